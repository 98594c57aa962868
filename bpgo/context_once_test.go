package bpgo_test

import (
	"fmt"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// squaredWeight is leaky with the output weight squared through Context.Once: h ← a·h + x,
// output h·w². It counts how often Once built the derived weight.
type squaredWeight struct {
	*leaky
	builds *int
	graphs []int // StepsPerGraph of each step built
}

type squaredKey struct{ w *graph.Node }

func (m *squaredWeight) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	h := graph.Add(graph.MulScalar(ctx.Value(m.H), m.A), x)
	ctx.Set(m.H, h)
	m.graphs = append(m.graphs, ctx.StepsPerGraph())
	w := ctx.Value(m.W)
	w2 := ctx.Once(squaredKey{w}, func() *graph.Node { *m.builds++; return graph.Square(w) })
	if again := ctx.Once(squaredKey{w}, func() *graph.Node { panic("built twice") }); again != w2 {
		panic("Once returned another node for the same key")
	}
	return graph.Mul(h, graph.InsertAxes(w2, 0))
}

func TestContextOnce(t *testing.T) {
	builds := 0
	m := &squaredWeight{leaky: newLeaky(0.5, 1), builds: &builds}
	const T, chunk = 7, 3 // graphs of 3, 3 and 1 steps; the last two share the 3-step graph
	r := bpgo.Must1(bpgo.NewRunner(m, bpgo.RunnerOptions{Chunk: chunk, Engine: bpgo.EngineUnrolled}))
	xs := bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), []float64{1, 0, 0, 1, 0, 0, 1}, 1, T, 1))
	out := bpgo.ToFloat64s(bpgo.Must1(r.Run(xs, bpgo.RunOptions{})))
	h, want := 0.0, make([]float64, T)
	for i, x := range []float64{1, 0, 0, 1, 0, 0, 1} {
		h = 0.5*h + x
		want[i] = 4 * h // w = 2
	}
	for i := range want {
		if d := out[i] - want[i]; d > 1e-5 || d < -1e-5 {
			t.Fatalf("step %d: got %v, want %v", i, out[i], want[i])
		}
	}
	if builds != 2 { // one per compiled graph (3 steps, 1 step), not one per step
		t.Errorf("Once built the derived weight %d times, want 2 (once per graph)", builds)
	}
	if want := []int{3, 3, 3, 1}; fmt.Sprint(m.graphs) != fmt.Sprint(want) {
		t.Errorf("StepsPerGraph over the steps built: %v, want %v", m.graphs, want)
	}
	// In the XLA scan's While body every step is built alone.
	if bpgo.BackendName(bpgo.Must1(bpgo.Backend()))[:3] == "xla" {
		m.graphs = nil
		r := bpgo.Must1(bpgo.NewRunner(m, bpgo.RunnerOptions{Engine: bpgo.EngineScan}))
		bpgo.Must1(r.Run(xs, bpgo.RunOptions{}))
		for _, n := range m.graphs {
			if n != 1 {
				t.Errorf("scan body: StepsPerGraph %d, want 1", n)
			}
		}
		if len(m.graphs) == 0 {
			t.Error("the scan built no step")
		}
	}
}
