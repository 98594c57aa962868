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
