package bpgo

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Context is handed to Update while a step graph is built. It maps each variable to its
// current node (parameters are graph inputs; state nodes advance as modules Set them), and
// carries the run's settings: dt, dtype, the step's clock, and whether a trainer is recording
// fit data.
type Context struct {
	g       *graph.Graph
	dtype   dtypes.DType
	dt      float64
	fitting bool
	step    int
	clock0  *graph.Node // int32 scalar: the clock index of the chunk's first step
	index   *graph.Node // this step's clock index (built on first use)
	values  map[*Variable]*graph.Node
	records map[any]*graph.Node
	recKeys []any
	tree    *Tree  // for error messages
	noClock string // why a graph without a clock has none (Index's error), or ""
	// setParams lets Set change parameters: true only while a StepHook builds its update.
	setParams bool
	once      map[any]*graph.Node // Once's nodes, for this graph
	// steps is how many steps this graph unrolls (1 for a scan body); draws holds the noise
	// drawn for all of them, drawN counts each random state's draws in the current step and
	// drawBase is each random state as the graph received it.
	steps    int
	draws    map[drawKey]*graph.Node
	drawN    map[*Variable]int
	drawBase map[*Variable]*graph.Node
}

func newContext(g *graph.Graph, dt dtypes.DType, stepDt float64, fitting bool, values map[*Variable]*graph.Node, clock0 *graph.Node) *Context {
	return &Context{g: g, dtype: dt, dt: stepDt, fitting: fitting, values: values, records: map[any]*graph.Node{}, clock0: clock0}
}

// clockArg is the host value of a graph's clock input: the index of its first step.
func clockArg(i0 int) *tensors.Tensor { return tensors.FromScalar(int32(i0)) }

// Graph is the graph being built.
func (c *Context) Graph() *graph.Graph { return c.g }

// DType is the model's float type.
func (c *Context) DType() dtypes.DType { return c.dtype }

// Dt is the integration step (ms) of this run.
func (c *Context) Dt() float64 { return c.dt }

// Fitting reports whether an offline/online trainer is recording what its trainable nodes see
// (BrainPy's shared "fit" flag).
func (c *Context) Fitting() bool { return c.fitting }

// Step is the index of the step being built within its compiled chunk (a Go int, fixed when
// the graph is built); Index is the step's index on the run's clock.
func (c *Context) Step() int { return c.step }

// Index is the index of this step on the run's clock, BrainPy's shared `i`: an int32 scalar
// node. A Runner's clock counts the steps since its last reset (it continues from run to run,
// like DSRunner's); a Grad's clock starts at 0 for every batch, like BPTT's.
func (c *Context) Index() *graph.Node {
	if c.index == nil {
		if c.clock0 == nil {
			if c.noClock != "" {
				panic("bpgo: Context.Index: " + c.noClock)
			}
			panic("bpgo: Context.Index: this graph has no clock (a bug in bpgo)")
		}
		c.index = graph.AddScalar(c.clock0, float64(c.step))
	}
	return c.index
}

// T is the time of this step in ms, BrainPy's shared `t` = Index·dt, a scalar of the model's
// float type (the first step of a run from its clock's start has t = 0).
func (c *Context) T() *graph.Node {
	return graph.MulScalar(graph.ConvertDType(c.Index(), c.dtype), c.dt)
}

// Value returns the current node of a variable of the model.
func (c *Context) Value(v *Variable) *graph.Node {
	n, ok := c.values[v]
	if !ok {
		panic(fmt.Sprintf("bpgo: variable %q (%s %v) is not part of the model being run: keep modules in fields of the model struct", v.name, v.Kind, v.Shape()))
	}
	return n
}

// Set gives a state variable its new value for the following steps. Parameters change during
// a run only through a StepHook (an online learning rule), whose StepContext.Set allows it.
func (c *Context) Set(v *Variable, n *graph.Node) {
	if v.Kind != State && !c.setParams {
		panic(fmt.Sprintf("bpgo: Context.Set on parameter %q: only state variables change during a run (online learning rules update parameters in a StepHook)", v.name))
	}
	old := c.Value(v)
	if !old.Shape().Equal(n.Shape()) {
		panic(fmt.Sprintf("bpgo: state %q set to shape %s, want %s", v.name, n.Shape(), old.Shape()))
	}
	c.values[v] = n
}

// Record stores a node for this step under key (for example a trainable layer recording its
// input for ridge regression). The runner returns the records stacked over time, (B, T, ...).
func (c *Context) Record(key any, n *graph.Node) {
	if _, dup := c.records[key]; dup {
		panic(fmt.Sprintf("bpgo: Context.Record: key %v recorded twice in one step", key))
	}
	c.records[key] = n
	if c.step == 0 {
		c.recKeys = append(c.recKeys, key)
	}
}

// Recorded returns what a module recorded with Record under key at this step, and whether it
// did; a StepHook reads, for example, its readout's recorded input through it.
func (c *Context) Recorded(key any) (*graph.Node, bool) {
	n, ok := c.records[key]
	return n, ok
}

// Once returns the node that build made the first time Once was called with key while this
// graph was built, and calls build only then. Modules use it for values derived from
// parameters only (a masked or transposed weight matrix), which would otherwise be recomputed
// at every unrolled step, forward and backward. Put the nodes build reads in the key (for
// example struct{ w, mask *graph.Node }{ctx.Value(W), ctx.Value(Mask)}): a parameter changed by
// a StepHook gets a new node, so the key then misses and the value is derived again.
func (c *Context) Once(key any, build func() *graph.Node) *graph.Node {
	if n, ok := c.once[key]; ok {
		return n
	}
	n := build()
	if c.once == nil {
		c.once = map[any]*graph.Node{}
	}
	c.once[key] = n
	return n
}

// StepsPerGraph is how many steps share one build of the step code, and so the values of Once:
// the chunk length in an unrolled graph, 1 in the body of the XLA scan engine's While loop,
// which derives Once values again at every step. A module uses it to choose a form that pays
// for its derived values only where they are shared (models.Reservoir transposes Wrec for a
// batch of 1 only then).
func (c *Context) StepsPerGraph() int { return max(c.steps, 1) }

// Const returns a scalar constant of the model's float type.
func (c *Context) Const(x float64) *graph.Node { return graph.Scalar(c.g, c.dtype, x) }

// bindInputs maps each variable to the graph input at the same position: compiled graphs take
// the variables' values as their first inputs, in the order of vars.
func bindInputs(vars []*Variable, ins []*graph.Node) map[*Variable]*graph.Node {
	values := make(map[*Variable]*graph.Node, len(vars))
	for i, v := range vars {
		values[v] = ins[i]
	}
	return values
}
