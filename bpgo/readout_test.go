package bpgo_test

import (
	"math"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// readoutRNN is tanhRNN as a bpgo.Readouter: the same step, with the readout split off. It
// counts the rows of every Readout call made while graphs are built.
type readoutRNN struct {
	*tanhRNN
	rows []int
	bad  bool // Readout drops a row: the engine must reject it
}

func (m *readoutRNN) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.Readout(ctx, m.UpdateHidden(ctx, x))
}

func (m *readoutRNN) UpdateHidden(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.step(ctx, x)
}

func (m *readoutRNN) Readout(ctx *bpgo.Context, h *graph.Node) *graph.Node {
	m.rows = append(m.rows, h.Shape().Dimensions[0])
	if m.bad {
		h = graph.Slice(h, graph.AxisRange(1))
	}
	return graph.MatMul(h, ctx.Value(m.Wo))
}

// TestReadouterSameGradients: a Readouter's readout, applied once to all the steps of an
// unrolled graph, gives the loss, gradients and outputs of the same model stepped with Update,
// in one fused graph and in chunks, batch-first and time-first.
func TestReadouterSameGradients(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const b, T = 3, 9
	xs := randTensor(11, 1, b, T, 2)
	ys := randTensor(12, 1, b, T, 1)
	for _, layout := range []bpgo.Layout{bpgo.BatchFirst, bpgo.TimeFirst} {
		for _, chunk := range []int{100, 4} {
			x, y := xs, ys
			if layout == bpgo.TimeFirst {
				x, y = bpgo.SwapLeadingAxes(xs), bpgo.SwapLeadingAxes(ys)
			}
			opts := bpgo.GradOptions{Chunk: chunk, Monitors: []string{"H"}, Layout: layout, Engine: bpgo.EngineUnrolled}
			compute := func(m bpgo.Stepper) (*bpgo.GradResult, []*bpgo.Variable) { return computeGrad(t, m, opts, x, y) }
			bpgo.SetSeed(7)
			want, wantVars := compute(newTanhRNN(t, 2, 5, 1, b))
			bpgo.SetSeed(7)
			ro := &readoutRNN{tanhRNN: newTanhRNN(t, 2, 5, 1, b)}
			got, gotVars := compute(ro)
			if math.Abs(got.Loss-want.Loss) > 1e-12*math.Abs(want.Loss) {
				t.Errorf("layout %v, chunk %d: loss %v, want %v", layout, chunk, got.Loss, want.Loss)
			}
			for i, p := range gotVars {
				a, w := bpgo.ToFloat64s(got.Grads[p]), bpgo.ToFloat64s(want.Grads[wantVars[i]])
				for j := range a {
					if math.Abs(a[j]-w[j]) > 1e-12 {
						t.Fatalf("layout %v, chunk %d: d%s[%d] = %v, want %v", layout, chunk, p.Name(), j, a[j], w[j])
					}
				}
			}
			// Chunks of 4 of 9 steps: graphs of 4 steps, and of the 1 step left over (Update).
			for _, rows := range ro.rows {
				if rows != b*min(chunk, T) && !(chunk < T && rows == b) {
					t.Errorf("layout %v, chunk %d: Readout built on %d rows: %v; want it once per graph of %d steps", layout, chunk, rows, ro.rows, min(chunk, T))
					break
				}
			}
		}
	}

	// A Runner gives the same outputs either way.
	run := func(m bpgo.Stepper) *tensors.Tensor {
		r, err := bpgo.NewRunner(m, bpgo.RunnerOptions{Chunk: 4, Engine: bpgo.EngineUnrolled})
		if err != nil {
			t.Fatal(err)
		}
		out, err := r.Run(xs, bpgo.RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	bpgo.SetSeed(7)
	want := bpgo.ToFloat64s(run(newTanhRNN(t, 2, 5, 1, b)))
	bpgo.SetSeed(7)
	got := bpgo.ToFloat64s(run(&readoutRNN{tanhRNN: newTanhRNN(t, 2, 5, 1, b)}))
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("Runner output %d: %v, want %v", i, got[i], want[i])
		}
	}
}

// TestReadouterBadRows: a Readout that does not map rows one to one is an error naming it.
func TestReadouterBadRows(t *testing.T) {
	bpgo.SetSeed(7)
	m := &readoutRNN{tanhRNN: newTanhRNN(t, 2, 5, 1, 3), bad: true}
	g, err := bpgo.NewGrad(m, mseL2, bpgo.GradOptions{Monitors: []string{"H"}, Engine: bpgo.EngineUnrolled})
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.Compute(randTensor(1, 1, 3, 5, 2), randTensor(2, 1, 3, 5, 1))
	if err == nil || !strings.Contains(err.Error(), "Readout") || !strings.Contains(err.Error(), "want (15, ...)") {
		t.Errorf("Readout dropping a row: error %v, want one naming Readout and (15, ...)", err)
	}
}
