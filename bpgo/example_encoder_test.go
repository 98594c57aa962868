package bpgo_test

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// gainDecay is decay (example_runner_test.go) driven through a gain, v ← 0.5·v + w·x: its step
// starts with the stateless map w·x.
type gainDecay struct {
	W *bpgo.Variable
	D *decay
}

func (m *gainDecay) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.UpdateEncoded(ctx, m.Encode(ctx, x))
}

// Encode maps inputs row by row and reads only parameters.
func (m *gainDecay) Encode(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return graph.Mul(x, graph.InsertAxes(ctx.Value(m.W), 0))
}

// UpdateEncoded is the rest of the step.
func (m *gainDecay) UpdateEncoded(ctx *bpgo.Context, e *graph.Node) *graph.Node {
	return m.D.Update(ctx, e)
}

// A model splits its step after a stateless input map to be an Encoder. On XLA the scan engine
// then maps all steps' inputs with one product before its loops and takes the map's gradient
// after them; the unrolled engine steps through Update. Both give the same loss and gradient.
func ExampleEncoder() {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	model := &gainDecay{
		W: bpgo.NewParam(bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), []float64{1}, 1)), true),
		D: &decay{V: bpgo.NewState(bpgo.Zeros(1, 1), 0)},
	}
	var _ bpgo.Encoder = model
	loss := func(lc *bpgo.LossContext, out, y *graph.Node) *graph.Node {
		return graph.ReduceAllSum(out) // v1 + v2 + v3
	}
	g := bpgo.Must1(bpgo.NewGrad(model, loss, bpgo.GradOptions{}))
	x := bpgo.Must1(bpgo.Sequence([]float64{1, 2, 3}))
	res := bpgo.Must1(g.Compute(x, x))
	// v = (1, 2.5, 4.25); d(v1+v2+v3)/dw = 1 + (0.5·1 + 2) + (0.25·1 + 0.5·2 + 3) = 7.75
	fmt.Printf("loss %.2f, dL/dw %.2f\n", res.Loss, bpgo.ToFloat64s(res.Grads[model.W])[0])
	// Output:
	// loss 7.75, dL/dw 7.75
}
