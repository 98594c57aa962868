package bpgo

import (
	"fmt"

	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// MatMul returns x @ w for x (M, K) and w (K, N). It is graph.MatMul, except that on the Go
// backend a left factor whose number of rows M is not a multiple of 4 is padded with zero rows
// to the next multiple of 4 and the result sliced back, where that pays (see rowPad). The
// backend's kernels for products this small compute 4 rows at a time with vector instructions
// and the rows left over one scalar product at a time: measured on (1,400)@(400,400) in
// float64, the padded product takes 24-50 µs where the plain one takes 170-190 µs (and
// 55-100 µs as (wᵀ @ xᵀ)ᵀ). A batch-1 reservoir or RLS readout makes one such product per
// step. Rows of a matrix product do not mix, so the padding changes no value beyond the order
// in which the kernel sums (rounding), and the gradient flows through the padding and the slice.
func MatMul(x, w *graph.Node) *graph.Node {
	checkMatMul("bpgo.MatMul", x, w, 0)
	return rowPadded(x, w.Shape().Dimensions[1], func(x *graph.Node) *graph.Node { return graph.MatMul(x, w) })
}

// MatMulT returns x @ wᵀ for x (M, K) and w (N, K), padding x's rows as MatMul does. It is
// the product for a matrix-vector step k = P·xᵀ computed as (x·Pᵀ)ᵀ, which takes the
// backend's tiled kernel for a transposed right factor instead of its column-by-column path.
func MatMulT(x, w *graph.Node) *graph.Node {
	checkMatMul("bpgo.MatMulT", x, w, 1)
	return rowPadded(x, w.Shape().Dimensions[0], func(x *graph.Node) *graph.Node {
		return graph.DotGeneral(x, []int{1}, nil, w, []int{1}, nil)
	})
}

// rowTile is the number of rows the Go backend's small-matmul kernels take at once.
const rowTile = 4

// smallMatMulFlops is the Go backend's bound (M·K·N) below which a product takes its
// small-matmul kernels (GoMLX compute v0.1.14, matmul.SmallMatMulSizeThreshold); above it the
// packing kernels take any number of rows at full speed.
const smallMatMulFlops = 4 * 1024 * 1024

// rowPadded applies prod to x, with x's rows padded as rowPad says.
func rowPadded(x *graph.Node, n int, prod func(*graph.Node) *graph.Node) *graph.Node {
	pad := rowPad(x, n)
	if pad == 0 {
		return prod(x)
	}
	m, k := x.Shape().Dimensions[0], x.Shape().Dimensions[1]
	zeros := graph.Zeros(x.Graph(), shapes.Make(x.DType(), pad, k))
	return graph.Slice(prod(graph.Concatenate([]*graph.Node{x, zeros}, 0)), graph.AxisRange(0, m))
}

// rowPad is the number of zero rows to add to x (m, k) for a product with n output columns: the
// rows up to a multiple of rowTile when the graph runs on the Go backend, the padded product is
// small enough for its small kernels, and padding pays (it copies x and the result, m·(k+n)
// elements, to spare the scalar products of the leftover rows, (m % 4)·k·n, so a
// (130, 100)·(100, 100) product is left as it is); 0 otherwise.
func rowPad(x *graph.Node, n int) int {
	m, k := x.Shape().Dimensions[0], x.Shape().Dimensions[1]
	left := m % rowTile
	if left == 0 || m*(k+n) >= left*k*n || (m+rowTile-left)*k*n >= smallMatMulFlops {
		return 0
	}
	if b := x.Graph().Backend(); b == nil || b.String() != gobackend.BackendName {
		return 0
	}
	return rowTile - left
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
