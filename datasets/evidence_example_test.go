package datasets_test

import (
	"fmt"

	"github.com/bpgo/bpgo/datasets"
)

// ExampleNewEvidenceAccumulation generates the seed's e-prop task batch by batch.
func ExampleNewEvidenceAccumulation() {
	o := datasets.EvidenceDefaults() // 128 trials, 2250 steps, 40 channels, 7 cues
	o.Batch = 2
	task, err := datasets.NewEvidenceAccumulation(o)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, b := range task.NextEpoch() {
		if i > 0 {
			break
		}
		fmt.Println("dims (B, T, C):", b.Dims)
		fmt.Println("cue onsets:", b.CueOnsets, "recall from", b.RecallStart)
	}
	fmt.Printf("groups: %+v\n", task.Groups())
	// Output:
	// dims (B, T, C): [2 2250 40]
	// cue onsets: [50 200 350 500 650 800 950] recall from 2100
	// groups: {Left:[0 10] Right:[10 20] Recall:[20 30] Background:[30 40]}
}

// A stream hands a batch of trials out a window of steps at a time, for trainers that run
// forward in time: a trial of any length then needs the memory of one window. Its labels are
// Batch's; its spikes come from other random streams.
func ExampleEvidenceAccumulation_Stream() {
	o := datasets.EvidenceDefaults()
	o.Batch, o.SeqLen = 4, 9000 // four times the seed's trial
	task, err := datasets.NewEvidenceAccumulation(o)
	if err != nil {
		fmt.Println(err)
		return
	}
	s := task.Stream(0, 0)
	for start := 0; start < s.Steps(); start += 100 {
		w, err := s.Window(start, 100)
		if err != nil {
			fmt.Println(err)
			return
		}
		if start == 0 || start == 8900 {
			fmt.Println("window from", w.Start, "dims (B, k, C):", w.Dims)
		}
	}
	fmt.Println("labels as Batch's:", fmt.Sprint(s.Labels()) == fmt.Sprint(task.Batch(0, 0).Labels))
	_, err = s.Window(8950, 100)
	fmt.Println(err)
	// Output:
	// window from 0 dims (B, k, C): [4 100 40]
	// window from 8900 dims (B, k, C): [4 100 40]
	// labels as Batch's: true
	// datasets.EvidenceStream.Window: steps [8950, 9050) of a 9000-step trial: want 0 <= start, 1 <= k and start+k <= 9000
}
