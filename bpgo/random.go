package bpgo

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// NewRandomState makes the state of an in-graph random generator (GoMLX's Philox state, three
// uint64s) for a module that draws noise at every step, like BrainPy's bm.random inside a
// model. It is seeded from the global generator (SetSeed), so the same seed and construction
// order give the same noise; it lives with the model's state, advances at every draw, step and
// call, and is not reset by ResetState (BrainPy's random state is not either). Draw from it
// with Context.Normal or Context.Uniform. Checkpoints leave it out: a loaded model keeps
// drawing from its own generator.
func NewRandomState() *Variable {
	rng := NewRNG()
	t := tensors.FromShape(graph.RNGStateShape)
	err := t.MutableFlatData(func(flat any) {
		for i := range flat.([]uint64) {
			flat.([]uint64)[i] = rng.Uint64()
		}
	})
	if err != nil {
		panic(fmt.Sprintf("bpgo.NewRandomState: %v", err))
	}
	v := NewState(t, -1)
	v.random = true
	return v
}

// IsRandomState reports whether v is a random generator state (NewRandomState).
func (v *Variable) IsRandomState() bool { return v.random }

// Normal draws standard normal noise of shape dims in the model's float type from a random state
// (NewRandomState) and advances the state. Gradients flow through whatever the noise is added
// to, not into the generator.
func (c *Context) Normal(state *Variable, dims ...int) *graph.Node {
	next, v := graph.RandomNormal(c.randomState(state, "Normal"), shapes.Make(c.dtype, dims...))
	c.values[state] = next
	return v
}

// Uniform draws uniform noise in [0, 1) of shape dims in the model's float type from a random
// state and advances the state.
func (c *Context) Uniform(state *Variable, dims ...int) *graph.Node {
	next, v := graph.RandomUniform(c.randomState(state, "Uniform"), shapes.Make(c.dtype, dims...))
	c.values[state] = next
	return v
}

func (c *Context) randomState(state *Variable, fn string) *graph.Node {
	if state == nil || !state.random {
		panic(fmt.Sprintf("bpgo: Context.%s: the variable is not a random state (make it with bpgo.NewRandomState)", fn))
	}
	n := c.Value(state)
	if n.DType() != dtypes.Uint64 {
		panic(fmt.Sprintf("bpgo: Context.%s: random state %q has dtype %s, want Uint64", fn, state.name, n.DType()))
	}
	return n
}
