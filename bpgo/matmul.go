package bpgo

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
)

// MatMul returns x @ w for x (M, K) and w (K, N), with an error naming both shapes when they
// do not fit. Every model's step product goes through it (and MatMulT), so that a product's
// form is chosen in one place.
//
// Any number of rows runs at full speed on the Go backend: GoMLX's small-matmul kernels compute
// 4 rows and one vector of columns at a time, and the rows and columns left over went through
// scalar loops (a batch-1 reservoir step, (1,400)·(400,400) in float64, took 247 µs instead of
// 28 µs). bpgo carries a patched copy of that module whose kernels use vector tiles for the
// leftovers too (bpgo/third_party/README.md).
func MatMul(x, w *graph.Node) *graph.Node {
	checkMatMul("bpgo.MatMul", x, w, 0)
	return graph.MatMul(x, w)
}

// MatMulT returns x @ wᵀ for x (M, K) and w (N, K), without materialising wᵀ. It is the
// product for a matrix-vector step k = P·xᵀ computed as (x·Pᵀ)ᵀ, which takes the backend's
// tiled kernels instead of a column-by-column path.
func MatMulT(x, w *graph.Node) *graph.Node {
	checkMatMul("bpgo.MatMulT", x, w, 1)
	return graph.DotGeneral(x, []int{1}, nil, w, []int{1}, nil)
}

// checkMatMul panics, naming fn and the operands, unless x is (M, K) and w is rank 2 with K on
// axis wAxis, of x's dtype.
func checkMatMul(fn string, x, w *graph.Node, wAxis int) {
	if x.Rank() != 2 || w.Rank() != 2 || x.Shape().Dimensions[1] != w.Shape().Dimensions[wAxis] || x.DType() != w.DType() {
		want := "w (K, N)"
		if wAxis == 1 {
			want = "w (N, K)"
		}
		panic(fmt.Sprintf("%s: x %s and w %s: want x (M, K) and %s of the same dtype", fn, x.Shape(), w.Shape(), want))
	}
}
