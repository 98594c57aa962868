package bpgo

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// NewRandomState makes the state of an in-graph random generator for a module that draws noise
// at every step, like BrainPy's bm.random inside a model: three uint64s, a key, a step counter
// and a spare word. It is seeded from the global generator (SetSeed), so the same seed and
// construction order give the same noise; it lives with the model's state, is not reset by
// ResetState (BrainPy's random state is not either), and its counter advances by one for every
// step of a run that draws from it. Draw from it with Context.Normal or Context.Uniform.
// Checkpoints leave it out: a loaded model keeps drawing from its own generator.
//
// The generator is counter-based (SplitMix64's mixer applied to the key, the step's count and
// the draw's place): a step's noise depends on nothing else, so it is the same however a run
// is cut into compiled chunks, on both time-loop engines, and the random bits are the same on
// both backends (normal values then agree to the rounding of log and cos). That lets a graph
// of K unrolled steps draw all its steps' noise in one go.
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
	return c.draw(state, "Normal", dims)
}

// Uniform draws uniform noise in [0, 1) of shape dims in the model's float type from a random
// state and advances the state.
func (c *Context) Uniform(state *Variable, dims ...int) *graph.Node {
	return c.draw(state, "Uniform", dims)
}

// drawKey names one draw of a step: the n-th draw from a state in that step, of that kind and
// shape.
type drawKey struct {
	state *Variable
	kind  string
	n     int
	dims  string
}

// draw returns this step's noise of shape dims. In a graph of K unrolled steps the first step
// that draws makes the draw for all K, (K, n), and every step takes its row: one draw is
// about 50 small ops, which per step would cost more than a small rate network's step itself
// on the Go backend. The state's counter advances by K once per graph.
func (c *Context) draw(state *Variable, kind string, dims []int) *graph.Node {
	rng := c.randomState(state, kind)
	n := 1
	for _, d := range dims {
		if d < 1 {
			panic(fmt.Sprintf("bpgo: Context.%s: dimensions %v, want all >= 1", kind, dims))
		}
		n *= d
	}
	steps := max(c.steps, 1)
	if c.drawN == nil {
		c.drawN, c.draws, c.drawBase = map[*Variable]int{}, map[drawKey]*graph.Node{}, map[*Variable]*graph.Node{}
	}
	base, ok := c.drawBase[state]
	if !ok {
		// Every draw of this graph reads the state as it came in; the graph hands on the
		// state with its counter moved past this graph's steps.
		base = rng
		c.drawBase[state] = base
		word := func(i int) *graph.Node { return graph.Slice(base, graph.AxisRange(i, i+1)) }
		c.values[state] = graph.Concatenate([]*graph.Node{word(0), graph.Add(word(1), u64(c.g, uint64(steps))), word(2)}, 0)
	}
	j := c.drawN[state]
	c.drawN[state]++
	key := drawKey{state: state, kind: kind, n: j, dims: fmt.Sprint(dims)}
	all, ok := c.draws[key]
	if !ok {
		// The draw's place in the step and its kind (the two low bits: 2 normal, 3 uniform)
		// salt its stream, so two draws of a step differ.
		normal := kind == "Normal"
		salt := uint64(j)<<2 | 3
		if normal {
			salt = uint64(j)<<2 | 2
		}
		all = counterNoise(base, salt, steps, n, normal, c.dtype)
		c.draws[key] = all
	}
	v := all
	if steps > 1 {
		v = graph.Slice(all, graph.AxisElem(c.step))
	}
	return graph.Reshape(v, dims...)
}

// SplitMix64's constants: its increment (the golden ratio) and its mixer's multipliers.
const (
	splitGolden = 0x9E3779B97F4A7C15
	splitMul1   = 0xBF58476D1CE4E5B9
	splitMul2   = 0x94D049BB133111EB
	saltMul     = 0xD1B54A32D192ED03
)

func u64(g *graph.Graph, v uint64) *graph.Node { return graph.Const(g, v) }

// mix64 is SplitMix64's output function, a bijection of uint64 with good avalanche.
func mix64(z *graph.Node) *graph.Node {
	g := z.Graph()
	z = graph.Mul(graph.BitwiseXor(z, graph.BitwiseShiftRightLogicalScalar(z, 30)), u64(g, splitMul1))
	z = graph.Mul(graph.BitwiseXor(z, graph.BitwiseShiftRightLogicalScalar(z, 27)), u64(g, splitMul2))
	return graph.BitwiseXor(z, graph.BitwiseShiftRightLogicalScalar(z, 31))
}

// counterNoise draws (steps, n) values for the steps counter .. counter+steps−1 of the state
// (key, counter, spare): step t seeds a SplitMix64 stream with mix64(key ⊕ mix64((counter+t)·φ
// + salt)), whose k-th value is mix64(seed + k·φ). Uniforms keep the top 53 (float64) or 24
// (float32) bits, converted exactly; normals use Box–Muller on the stream's first n and next
// n uniforms, with 1−u in the log so that it never sees 0.
func counterNoise(state *graph.Node, salt uint64, steps, n int, normal bool, dt dtypes.DType) *graph.Node {
	g := state.Graph()
	key := graph.Reshape(graph.Slice(state, graph.AxisRange(0, 1)))
	counter := graph.Reshape(graph.Slice(state, graph.AxisRange(1, 2)))
	t := graph.Add(graph.Iota(g, shapes.Make(dtypes.Uint64, steps, 1), 0), counter)
	stepMix := mix64(graph.Add(graph.Mul(t, u64(g, splitGolden)), u64(g, salt*saltMul)))
	seed := mix64(graph.BitwiseXor(stepMix, key)) // (steps, 1)
	width := n
	if normal {
		width = 2 * n
	}
	k := graph.Add(graph.Iota(g, shapes.Make(dtypes.Uint64, 1, width), 1), u64(g, 1))
	bits := mix64(graph.Add(seed, graph.Mul(k, u64(g, splitGolden)))) // (steps, width)
	var u *graph.Node
	if dt == dtypes.Float64 {
		u = graph.MulScalar(graph.ConvertDType(graph.BitwiseShiftRightLogicalScalar(bits, 11), dt), math.Ldexp(1, -53))
	} else {
		u = graph.MulScalar(graph.ConvertDType(graph.BitwiseShiftRightLogicalScalar(bits, 40), dt), math.Ldexp(1, -24))
	}
	u = graph.StopGradient(u)
	if !normal {
		return u
	}
	u1 := graph.Slice(u, graph.AxisRange(), graph.AxisRange(0, n))
	u2 := graph.Slice(u, graph.AxisRange(), graph.AxisRange(n, 2*n))
	r := graph.Sqrt(graph.MulScalar(graph.Log(graph.OneMinus(u1)), -2))
	return graph.Mul(r, graph.Cos(graph.MulScalar(u2, 2*math.Pi)))
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
