package bpgo

import (
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// TestWithoutIdentityTranspose reads GoMLX's Transpose description: an identity permutation
// is dropped, a real one (also of a square matrix, whose shape does not change) is kept. If
// GoMLX changed the description, the first case would fail here rather than the gradients
// quietly keeping their copies.
func TestWithoutIdentityTranspose(t *testing.T) {
	g := graph.NewGraph(Must1(Backend()), "transposes")
	x := graph.Parameter(g, "x", shapes.Make(dtypes.Float32, 3, 3, 2))
	if n := withoutIdentityTranspose(graph.TransposeAllAxes(x, 0, 1, 2)); n != x {
		t.Errorf("identity permutation kept: %s", n)
	}
	for _, perm := range [][]int{{1, 0, 2}, {0, 2, 1}} {
		tr := graph.TransposeAllAxes(x, perm...)
		if n := withoutIdentityTranspose(tr); n != tr {
			t.Errorf("permutation %v dropped", perm)
		}
	}
	if n := withoutIdentityTranspose(graph.Neg(x)); n.Type() != graph.NodeTypeNeg {
		t.Errorf("a non-transpose changed: %s", n)
	}
}

// TestDotGeneralGradient checks the wrapped rule's terms against hand-computed ones for
// y = Σ (x @ w): dx = 1·wᵀ row sums, dw = xᵀ·1.
func TestDotGeneralGradient(t *testing.T) {
	x := Must1(FromFloat64s(dtypes.Float64, []float64{1, 2, 3, 4, 5, 6}, 2, 3))
	w := Must1(FromFloat64s(dtypes.Float64, []float64{1, -1, 2, 0, 3, 1}, 3, 2))
	out := graph.MustExecOnceN(Must1(Backend()), func(x, w *graph.Node) []*graph.Node {
		return graph.Gradient(graph.ReduceAllSum(graph.MatMul(x, w)), x, w)
	}, x, w)
	want := [][]float64{{0, 2, 4, 0, 2, 4}, {5, 5, 7, 7, 9, 9}}
	for i, o := range out {
		got := ToFloat64s(o)
		for j := range got {
			if got[j] != want[i][j] {
				t.Fatalf("gradient %d: %v, want %v", i, got, want[i])
			}
		}
	}
}
