package surrogate_test

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/surrogate"
	"github.com/gomlx/gomlx/core/graph"
)

// Example spikes a membrane potential relative to threshold (V - V_th) through BrainPy's
// default surrogate and Bellec et al.'s relu_grad, and differentiates the spike count: the
// forward is the exact step (x == 0 spikes), the backward the smooth surrogate.
func Example() {
	v := []float32{-1, -0.2, 0, 0.5}
	for _, name := range []string{"inv_square_grad", "relu_grad"} {
		f, err := surrogate.ByName(name)
		if err != nil {
			panic(err)
		}
		exec := graph.MustNewExec(bpgo.Must1(bpgo.Backend()), func(x *graph.Node) (*graph.Node, *graph.Node) {
			spikes := f.Spike(x)
			return spikes, graph.Gradient(graph.ReduceAllSum(spikes), x)[0]
		})
		outs := exec.MustCall(v)
		fmt.Printf("%s: spikes %v, d(count)/dx %.4g\n", f, outs[0].Value(), outs[1].Value())
	}
	// Output:
	// InvSquareGrad(alpha=100): spikes [0 0 1 1], d(count)/dx [9.803e-05 0.002268 1 0.0003845]
	// ReluGrad(alpha=0.3, width=1): spikes [0 0 1 1], d(count)/dx [0 0.24 0.3 0.15]
}

// ExampleSigmoid sets a non-default parameter. Fields are used as given: Sigmoid{Alpha: 4} is
// BrainPy's default, and a zero or negative Alpha is an error that says so.
func ExampleSigmoid() {
	fmt.Println(surrogate.Sigmoid{Alpha: 4}, surrogate.Sigmoid{Alpha: 2})
	fmt.Println(surrogate.Sigmoid{}.Validate())
	// Output:
	// Sigmoid(alpha=4) Sigmoid(alpha=2)
	// surrogate.Sigmoid: Alpha: want a positive finite number, got 0 (BrainPy's default is 4: Sigmoid{Alpha: 4})
}
