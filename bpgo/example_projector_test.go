package bpgo_test

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// recDecay is decay (example_runner_test.go) driven by the current w·x + u·v, its input and
// its own state through two weights: v ← 0.5·v + (w·x + u·v).
type recDecay struct {
	W, U *bpgo.Variable
	D    *decay
}

func (m *recDecay) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.UpdateProjected(ctx, x, m.Project(ctx, x))
}

// Project is the current: it reads the state the step starts from and sets nothing.
func (m *recDecay) Project(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	w, u := graph.InsertAxes(ctx.Value(m.W), 0), graph.InsertAxes(ctx.Value(m.U), 0)
	return graph.Add(graph.Mul(x, w), graph.Mul(ctx.Value(m.D.V), u))
}

// UpdateProjected is the rest of the step.
func (m *recDecay) UpdateProjected(ctx *bpgo.Context, x, p *graph.Node) *graph.Node {
	return m.D.Update(ctx, p)
}

// A model splits its step after the currents its weights deliver to be a Projector. On XLA a
// Grad's forward loop then stores each step's current and its backward loop runs the rest of
// the step from it, instead of recomputing the products; the unrolled engine steps through
// Update. Both give the same loss and gradients.
func ExampleProjector() {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	scalar := func(v float64) *bpgo.Variable {
		return bpgo.NewParam(bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), []float64{v}, 1)), true)
	}
	model := &recDecay{W: scalar(1), U: scalar(0.25), D: &decay{V: bpgo.NewState(bpgo.Zeros(1, 1), 0)}}
	var _ bpgo.Projector = model
	loss := func(lc *bpgo.LossContext, out, y *graph.Node) *graph.Node {
		return graph.ReduceAllSum(out) // v1 + v2 + v3
	}
	g := bpgo.Must1(bpgo.NewGrad(model, loss, bpgo.GradOptions{}))
	x := bpgo.Must1(bpgo.Sequence([]float64{1, 2, 3}))
	res := bpgo.Must1(g.Compute(x, x))
	// v = 0.75·v + x: (1, 2.75, 5.0625). dv/dw = 0.75·dv/dw + x: (1, 2.75, 5.0625);
	// dv/du = 0.75·dv/du + v_{t−1}: (0, 1, 3.5).
	fmt.Printf("loss %.4f, dL/dw %.4f, dL/du %.4f\n", res.Loss, bpgo.ToFloat64s(res.Grads[model.W])[0], bpgo.ToFloat64s(res.Grads[model.U])[0])
	// Output:
	// loss 8.8125, dL/dw 8.8125, dL/du 4.5000
}
