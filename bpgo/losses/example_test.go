package losses_test

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/losses"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// ExampleCrossEntropyLoss evaluates BrainPy's cross_entropy_loss and the accuracy of two
// predictions over three classes: the logits are raw scores, the targets class indices.
func ExampleCrossEntropyLoss() {
	logits := tensors.FromFlatDataAndDimensions([]float32{
		1, 2, 3, // predicts class 2
		1, 1, 1, // a tie: argmax picks class 0
	}, 2, 3)
	labels := tensors.FromFlatDataAndDimensions([]int32{2, 1}, 2)

	// (log(e + e² + e³) - 3 + log 3) / 2
	ce, err := losses.CrossEntropyLoss(logits, labels)
	fmt.Printf("cross-entropy %.4f, err %v\n", ce, err)
	acc, err := losses.AccuracyOf(logits, labels)
	fmt.Printf("accuracy %.2f, err %v\n", acc, err)

	_, err = losses.CrossEntropyLoss(logits, tensors.FromFlatDataAndDimensions([]int32{2, 1, 0}, 3))
	fmt.Println(err)
	// Output:
	// cross-entropy 0.7531, err <nil>
	// accuracy 0.50, err <nil>
	// losses.CrossEntropyLoss: targets shape [3] must be the logits shape without its last axis (class indices) or the logits shape (probabilities); logits shape is [2 3]
}

// ExampleCrossEntropyReduce builds the per-sample losses inside a graph, with a weight that
// switches the second sample off, and sums them (reduction 'sum').
func ExampleCrossEntropyReduce() {
	fn := func(logits, targets, weight *graph.Node) *graph.Node {
		return losses.CrossEntropyReduce(logits, targets, losses.Options{Reduction: losses.Sum, Weight: weight})
	}
	out := graph.MustExecOnce(bpgo.Must1(bpgo.Backend()), fn,
		[][]float64{{0, 0}, {5, -5}}, // logits (2 samples, 2 classes)
		[]int32{0, 1},                // targets
		[]float64{1, 0})              // weight per sample
	fmt.Printf("%.6f\n", out.Value()) // log 2
	// Output:
	// 0.693147
}
