package cognitive_test

import (
	"fmt"
	"strings"

	"github.com/bpgo/bpgo/datasets/cognitive"
)

// The EI-RNN tutorial's task: RatePerceptualDecisionMaking(dt=20.), with its periods in steps
// and ms (the spans a trial figure shades).
func ExampleRatePerceptualDecisionMaking() {
	o := cognitive.RatePerceptualDecisionMakingDefaults()
	o.Dt = 20
	task, err := cognitive.NewRatePerceptualDecisionMaking(o)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("T =", task.NumSteps(), "inputs", task.InputFeatures(), "outputs", task.NumOutputs())
	for _, p := range task.Periods() {
		fmt.Printf("%-8s steps %3d–%3d  %4g–%4g ms\n", p.Name, p.Start, p.End, p.StartMs, p.EndMs)
	}
	trial, err := task.Sample()
	if err != nil {
		fmt.Println(err)
		return
	}
	gt := trial.Info.GroundTruth
	fmt.Println("labels: step 104 =", trial.Labels[104], "| step 105 is ground truth + 1:", trial.Labels[105] == gt+1)
	// Output:
	// T = 110 inputs [fixation choice 0 choice 1] outputs 3
	// fixation steps   0–  5     0– 100 ms
	// stimulus steps   5–105   100–2100 ms
	// delay    steps 105–105  2100–2100 ms
	// decision steps 105–110  2100–2200 ms
	// labels: step 104 = 0 | step 105 is ground truth + 1: true
}

// The tutorial's training loop: TaskLoader(dataset, batch_size=16) yields 64 time-first
// batches per epoch; a float32 model asks for float32 inputs.
func ExampleTaskLoader() {
	o := cognitive.RatePerceptualDecisionMakingDefaults()
	o.Dt = 20
	dataset, err := cognitive.NewRatePerceptualDecisionMaking(o)
	if err != nil {
		fmt.Println(err)
		return
	}
	lo := cognitive.TaskLoaderDefaults()
	lo.BatchSize = 16
	lo.DType = cognitive.Float32
	task, err := cognitive.NewTaskLoader(dataset, lo)
	if err != nil {
		fmt.Println(err)
		return
	}
	n := 0
	for batch, err := range task.Epoch() {
		if err != nil {
			fmt.Println(err)
			return
		}
		if n == 0 {
			fmt.Println("inputs", batch.InputShape(), len(batch.Inputs32), "labels", batch.LabelShape())
		}
		n++
	}
	fmt.Println(n, "batches, Len", task.Len())

	// The analysis batch: a fresh loader of 500 trials; its last-step labels are gt+1.
	lo = cognitive.TaskLoaderDefaults()
	lo.BatchSize = 500
	analysis, err := cognitive.NewTaskLoader(dataset, lo)
	if err != nil {
		fmt.Println(err)
		return
	}
	batch, err := analysis.GetBatch()
	if err != nil {
		fmt.Println(err)
		return
	}
	ok := true
	for i, l := range batch.LabelsAt(batch.NumSteps - 1) {
		ok = ok && l == batch.Infos[i].GroundTruth+1
	}
	fmt.Println("inputs", batch.InputShape(), "trial_infos[-1] == gt+1:", ok)
	// Output:
	// inputs [110 16 3] 5280 labels [110 16]
	// 64 batches, Len 64
	// inputs [110 500 3] trial_infos[-1] == gt+1: true
}

// Context-dependent decisions: each trial records both modalities' signed coherences and the
// cued context, the axes of the psychometric curves.
func ExampleContextDecisionMaking() {
	o := cognitive.ContextDecisionMakingDefaults()
	o.Dt = 20
	task, err := cognitive.NewContextDecisionMaking(o)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(task.InputFeatures())
	agree := true
	for range 100 {
		trial, err := task.Sample()
		if err != nil {
			fmt.Println(err)
			return
		}
		in := trial.Info
		// The correct choice is 1 exactly when the cued modality's signed coherence is positive.
		agree = agree && (in.GroundTruth == 1) == (in.SignedCoherence[in.Context] > 0)
	}
	fmt.Println("T =", task.NumSteps(), "ground truth follows the cued modality:", agree)
	// Output:
	// [fixation motion choice 0 motion choice 1 color choice 0 color choice 1 context motion context color]
	// T = 60 ground truth follows the cued modality: true
}

// Delayed match-to-sample with the brainpy_datasets timing at dt 20.
func ExampleDelayedMatchToSample() {
	o := cognitive.DelayedMatchToSampleDefaults()
	o.Dt = 20
	task, err := cognitive.NewDelayedMatchToSample(o)
	if err != nil {
		fmt.Println(err)
		return
	}
	var spans []string
	for _, p := range task.Periods() {
		spans = append(spans, fmt.Sprintf("%s %g–%g ms", p.Name, p.StartMs, p.EndMs))
	}
	fmt.Println(strings.Join(spans, "; "))
	fmt.Println("T =", task.NumSteps(), "outputs", task.OutputFeatures())
	// Output:
	// fixation 0–300 ms; sample 300–800 ms; delay 800–1800 ms; test 1800–2300 ms; decision 2300–3200 ms
	// T = 160 outputs [fixation match non-match]
}

// A duration that dt does not divide is an error naming the option (BrainPy would truncate).
func ExampleNewRatePerceptualDecisionMaking_error() {
	o := cognitive.RatePerceptualDecisionMakingDefaults()
	o.Dt = 30
	_, err := cognitive.NewRatePerceptualDecisionMaking(o)
	fmt.Println(err)
	// Output:
	// cognitive.NewRatePerceptualDecisionMaking: RatePerceptualDecisionMakingOptions.TFixation: 100 ms is not a multiple of Dt 30 ms (3.3333333333333335 steps)
}
