package bpgo_test

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/optim"
	"github.com/gomlx/gomlx/core/graph"
)

// gain is a one-parameter model: y = w·x at every step.
type gain struct{ W *bpgo.Variable }

func (m *gain) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return graph.Mul(x, graph.InsertAxes(ctx.Value(m.W), 0))
}

// A hand-written training loop, as BrainPy users write with bm.grad and optimizer.update: the
// gradient of a loss over a run, then one optimizer step.
func ExampleGrad_Compute() {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	model := &gain{W: bpgo.NewParam(bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), []float64{0.5}, 1)), true)}
	loss := func(lc *bpgo.LossContext, out, y *graph.Node) *graph.Node {
		return graph.ReduceAllMean(graph.Square(graph.Sub(out, y)))
	}
	g := bpgo.Must1(bpgo.NewGrad(model, loss, bpgo.GradOptions{}))
	opt := bpgo.Must1(optim.NewSGD(optim.Constant(0.1), optim.SGDDefaults()))
	bpgo.Must(opt.Register(g.Params()))

	x := bpgo.Must1(bpgo.Sequence([]float64{1, 2, 3})) // (1, 3, 1)
	y := bpgo.Must1(bpgo.Sequence([]float64{2, 4, 6})) // the target gain is 2
	for step := range 3 {
		res := bpgo.Must1(g.Compute(x, y))
		fmt.Printf("step %d: loss %.4f, dL/dw %.4f\n", step, res.Loss, bpgo.ToFloat64s(res.Grads[model.W])[0])
		bpgo.Must(opt.Update(res.Grads))
	}
	fmt.Printf("w = %.4f\n", model.W.Float64s()[0])
	// Output:
	// step 0: loss 10.5000, dL/dw -14.0000
	// step 1: loss 0.0467, dL/dw -0.9333
	// step 2: loss 0.0002, dL/dw -0.0622
	// w = 1.9996
}
