package bpgo_test

import (
	"math"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestReduceMaxMinTieGradient checks JAX's rule (BrainPy's bm.max / bm.min): a maximum or
// minimum shared by k elements passes 1/k of its cotangent to each of them. The expected
// values are computed by hand; GoMLX's own rule would give 1 to every tied element.
func TestReduceMaxMinTieGradient(t *testing.T) {
	// x (2, 2, 3); the cotangent of the result is w (weights of a weighted sum), so the
	// gradient of each tied element is w/k.
	x := []float32{
		1, 3, 3, // max 3 twice, min 1 once
		0, 0, 0, // all tied
		5, -1, 2,
		2, 2, -1,
	}
	backend := bpgo.Must1(bpgo.Backend())
	for _, c := range []struct {
		name string
		f    func(x *graph.Node) *graph.Node
		w    []float32 // cotangent of the result (its shape flattened)
		want []float64
	}{
		{"max axis 2", func(x *graph.Node) *graph.Node { return graph.ReduceMax(x, 2) }, []float32{1, 2, 3, 4},
			[]float64{0, 0.5, 0.5, 2. / 3, 2. / 3, 2. / 3, 3, 0, 0, 2, 2, 0}},
		{"max axis -1", func(x *graph.Node) *graph.Node { return graph.ReduceMax(x, -1) }, []float32{1, 2, 3, 4},
			[]float64{0, 0.5, 0.5, 2. / 3, 2. / 3, 2. / 3, 3, 0, 0, 2, 2, 0}},
		{"min axis 2", func(x *graph.Node) *graph.Node { return graph.ReduceMin(x, 2) }, []float32{1, 2, 3, 4},
			[]float64{1, 0, 0, 2. / 3, 2. / 3, 2. / 3, 0, 3, 0, 0, 0, 4}},
		// Over axis 1 (the time axis of a (B, T, N) readout): pairs (x[b,0,n], x[b,1,n]).
		{"max axis 1", func(x *graph.Node) *graph.Node { return graph.ReduceMax(x, 1) }, []float32{1, 1, 1, 1, 1, 1},
			[]float64{1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0}},
		// Axes 0 and 2 of a (2, 2, 3) input: slices x[:, t, :] of 6 elements each; the maximum
		// of the second (0, 0, 0, 2, 2, -1) is shared by two elements.
		{"max axes 0,2", func(x *graph.Node) *graph.Node { return graph.ReduceMax(x, 0, 2) }, []float32{1, 6},
			[]float64{0, 0, 0, 0, 0, 0, 1, 0, 0, 3, 3, 0}},
		{"max all", func(x *graph.Node) *graph.Node { return graph.ReduceAllMax(x) }, []float32{1},
			[]float64{0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0}},
		{"min all", func(x *graph.Node) *graph.Node { return graph.ReduceAllMin(x) }, []float32{3},
			[]float64{0, 0, 0, 0, 0, 0, 0, 1.5, 0, 0, 0, 1.5}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := graph.ExecOnceN(backend, func(xn *graph.Node) []*graph.Node {
				y := c.f(xn)
				w := graph.Const(xn.Graph(), c.w)
				w = graph.ReshapeWithShape(w, y.Shape())
				return []*graph.Node{graph.Gradient(graph.ReduceAllSum(graph.Mul(y, w)), xn)[0]}
			}, tensors.FromFlatDataAndDimensions(x, 2, 2, 3))
			if err != nil {
				t.Fatal(err)
			}
			got := bpgo.ToFloat64s(out[0])
			for i := range c.want {
				if math.Abs(got[i]-c.want[i]) > 1e-6 {
					t.Fatalf("gradient %v, want %v", got, c.want)
				}
			}
		})
	}
}
