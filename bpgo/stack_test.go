package bpgo

import (
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestStackLastAxis: graph.Stack of K per-step values on a new last axis (as online e-prop's
// block traces do) puts value k of every row at column k, for 4- and 8-byte dtypes and other
// sizes. On the Go backend this is the Concatenate case bpgo's patch of GoMLX compute copies
// with typed row-by-row loops (bpgo/third_party/README.md).
func TestStackLastAxis(t *testing.T) {
	for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64, dtypes.Int32, dtypes.Int64, dtypes.Int16} {
		for _, k := range []int{2, 5, 100} {
			const rows, cols = 3, 37
			vals := make([]*tensors.Tensor, k)
			for i := range vals {
				v := make([]float64, rows*cols)
				for j := range v {
					v[j] = float64(i*200 + j)
				}
				vals[i] = Must1(FromFloat64s(dtypes.Float64, v, rows, cols))
			}
			out := graph.MustExecOnceN(Must1(Backend()), func(xs []*graph.Node) []*graph.Node {
				cast := make([]*graph.Node, len(xs))
				for i, x := range xs {
					cast[i] = graph.ConvertDType(x, dt)
				}
				return []*graph.Node{graph.ConvertDType(graph.Stack(cast, 2), dtypes.Float64)}
			}, anySlice(vals)...)[0]
			if d := out.Shape().Dimensions; len(d) != 3 || d[0] != rows || d[1] != cols || d[2] != k {
				t.Fatalf("%s k=%d: shape %v, want (%d, %d, %d)", dt, k, d, rows, cols, k)
			}
			got := ToFloat64s(out)
			for j := range rows * cols {
				for i := range k {
					if want := float64(i*200 + j); got[j*k+i] != want {
						t.Fatalf("%s k=%d: element (%d, %d) = %v, want %v", dt, k, j, i, got[j*k+i], want)
					}
				}
			}
		}
	}
}

func anySlice(ts []*tensors.Tensor) []any {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}
