package bpgo_test

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// A batch-1 step product, as a reservoir makes at every step: bpgo.MatMul gives graph.MatMul's
// values, computed on the Go backend by the same vector tiles as a batch of four rows.
func ExampleMatMul() {
	h := bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), []float64{1, 2, 3}, 1, 3))
	w := bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), []float64{1, 0, 0, 1, 1, 1}, 3, 2))
	out := graph.MustExecOnce(bpgo.Must1(bpgo.Backend()), func(h, w *graph.Node) *graph.Node {
		return bpgo.MatMul(h, w)
	}, h, w)
	fmt.Println(out.Shape().Dimensions, bpgo.ToFloat64s(out))
	// Output: [1 2] [4 5]
}
