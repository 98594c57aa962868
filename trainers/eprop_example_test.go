package trainers_test

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/datasets"
	"github.com/bpgo/bpgo/models"
	"github.com/bpgo/bpgo/trainers"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// snn is a recurrent spiking network in the form e-prop trains: ALIF neurons driven by the
// input and by their own spikes of the previous step, and a leaky readout.
type snn struct {
	R             *models.ALIFBellec2020
	I2R, R2R, R2O *models.Dense
	O             *models.Leaky
}

func (m *snn) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	i := graph.Add(m.R2R.Update(ctx, ctx.Value(m.R.Spike)), m.I2R.Update(ctx, x))
	return m.O.Update(ctx, m.R2O.Update(ctx, m.R.Update(ctx, i)))
}

// newSNN builds an snn of nIn inputs, n ALIF neurons (BrainPy's defaults with rest 0,
// threshold 0.6, 2 ms refractory) and k readout units, weights KaimingNormal(2), no biases.
func newSNN(nIn, n, k int) *snn {
	o := models.ALIFDefaults()
	o.VRest, o.VTh, o.TauRef, o.NoInputVar = 0, 0.6, 2, true
	o.VInit, o.AInit = initializers.Zero{}, initializers.Zero{}
	dense := func(in, out int) *models.Dense {
		return bpgo.Must1(models.NewDense(in, out, models.DenseOptions{WInit: initializers.KaimingNormal{Scale: 2}, NoBias: true}))
	}
	return &snn{R: bpgo.Must1(models.NewALIFBellec2020(n, o)), I2R: dense(nIn, n), R2R: dense(n, n), R2O: dense(n, k),
		O: bpgo.Must1(models.NewLeaky(k, models.LeakyDefaults()))}
}

// An EProp trainer computes the e-prop update of a trial online, inside the compiled time loop,
// and applies it with its optimizer (Step) or returns it (Compute). Targets are per step: here
// a one-hot label over the last 5 steps of each 20-step trial.
func ExampleNewEProp() {
	defer bpgo.UseMode(bpgo.TrainingMode)()
	bpgo.SetSeed(1)
	m := newSNN(3, 8, 2)
	net := trainers.EPropNetwork{Neurons: m.R, In: m.I2R, Rec: m.R2R, Out: m.R2O, Readout: m.O}

	opts := trainers.EPropDefaults()
	opts.Feedback, opts.Dt = trainers.RandomFeedback, 1
	tr := bpgo.Must1(trainers.NewEProp(m, net, opts))

	xs := bpgo.Zeros(2, 20, 3) // (batch, steps, channels)
	ys := bpgo.Must1(trainers.EvidenceTargets([]int{0, 1}, 20, 5, 2))
	res := bpgo.Must1(tr.Compute(xs, ys))
	fmt.Println("update shapes:", res.Grads[m.I2R.W].Shape().Dimensions, res.Grads[m.R2R.W].Shape().Dimensions, res.Grads[m.R2O.W].Shape().Dimensions)
	fmt.Printf("cross-entropy of a silent network: %.4f (ln 2)\n", res.CrossEntropy)

	_, err := tr.Compute(bpgo.Zeros(2, 20, 4), ys)
	fmt.Println(err)
	opts.FeedbackWeights = bpgo.Zeros(2, 8)
	_, err = trainers.NewEProp(m, net, opts)
	fmt.Println(err)
	// Output:
	// update shapes: [3 8] [8 8] [8 2]
	// cross-entropy of a silent network: 0.6931 (ln 2)
	// trainers.EProp.Compute: inputs: shape [2 20 4], want (batch, steps, 3): the network has 3 input channels
	// trainers.NewEProp: EPropOptions.FeedbackWeights: shape [2 8], want (8, 2) (recurrent neurons, readout units)
}

// smallEProp is an EProp trainer (dt 1, chunks of chunk steps) of an snn with 8 inputs, 8
// neurons and 2 readout units.
func smallEProp(chunk int) (*snn, *trainers.EProp) {
	m := newSNN(8, 8, 2)
	opts := trainers.EPropDefaults()
	opts.Dt, opts.Chunk = 1, chunk
	return m, bpgo.Must1(trainers.NewEProp(m, trainers.EPropNetwork{Neurons: m.R, In: m.I2R, Rec: m.R2R, Out: m.R2O, Readout: m.O}, opts))
}

// smallClickTask is a small click task: 4 trials, 8 channels, 3 cues, 60 steps, a recall
// window of 10.
func smallClickTask() (datasets.EvidenceOptions, *datasets.EvidenceAccumulation) {
	d := datasets.EvidenceDefaults()
	d.Batch, d.Channels, d.Cues, d.CueDuration, d.CueInterval, d.RecallDuration, d.SeqLen = 4, 8, 3, 8, 10, 10, 60
	return d, bpgo.Must1(datasets.NewEvidenceAccumulation(d))
}

// StepTrial takes a trial a window of steps at a time, here drawn by a datasets.EvidenceStream:
// EProp keeps nothing of earlier windows, so a trial of any length trains in the memory of one
// window (WindowSteps long; by default 10 chunks). The targets of a window come from
// EvidenceTargetsWindow.
func ExampleEProp_StepTrial() {
	defer bpgo.UseMode(bpgo.TrainingMode)()
	bpgo.SetSeed(1)
	m, tr := smallEProp(25)
	d, task := smallClickTask()
	s := task.Stream(0, 0)
	res, err := tr.StepTrial(trainers.EPropTrial{Batch: s.Batch(), Steps: s.Steps(), WindowSteps: 25, Window: func(start, k int) (*tensors.Tensor, *tensors.Tensor, error) {
		fmt.Println("window", start, k)
		w, err := s.Window(start, k)
		if err != nil {
			return nil, nil, err
		}
		ys, err := trainers.EvidenceTargetsWindow(s.Labels(), s.Steps(), d.RecallDuration, 2, start, k)
		return tensors.FromFlatDataAndDimensions(w.Float32, w.Dims[:]...), ys, err
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("update shapes:", res.Grads[m.I2R.W].Shape().Dimensions, res.Grads[m.R2R.W].Shape().Dimensions, res.Grads[m.R2O.W].Shape().Dimensions)
	// Output:
	// window 0 25
	// window 25 25
	// window 50 10
	// update shapes: [8 8] [8 8] [8 2]
}

// EvidenceTrial hands a click-task stream to StepTrial window by window, writing each window
// into the tensors of the last one: a streamed trial of any length allocates nothing per window.
func ExampleEvidenceTrial() {
	defer bpgo.UseMode(bpgo.TrainingMode)()
	bpgo.SetSeed(1)
	m, tr := smallEProp(25)
	d, task := smallClickTask()
	trial := bpgo.Must1(trainers.EvidenceTrial(task.Stream(0, 0), d.RecallDuration, 2))
	trial.WindowSteps = 25
	res := bpgo.Must1(tr.StepTrial(trial))
	fmt.Println("update shapes:", res.Grads[m.I2R.W].Shape().Dimensions, res.Grads[m.R2R.W].Shape().Dimensions, res.Grads[m.R2O.W].Shape().Dimensions)
	fmt.Println("target rows:", trial.TargetRows)

	_, err := trainers.EvidenceTrial(task.Stream(0, 1), 61, 2)
	fmt.Println(err)
	// Output:
	// update shapes: [8 8] [8 8] [8 2]
	// target rows: 40
	// trainers.EvidenceTrial: window: want 1..60 (the trial's steps), got 61
}
