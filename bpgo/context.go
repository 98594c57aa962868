package bpgo

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// Context is handed to Update while a step graph is built. It maps each variable to its
// current node (parameters are graph inputs; state nodes advance as modules Set them), and
// carries the run's settings: dt, dtype, and whether a trainer is recording fit data.
type Context struct {
	g       *graph.Graph
	dtype   dtypes.DType
	dt      float64
	fitting bool
	step    int
	values  map[*Variable]*graph.Node
	records map[any]*graph.Node
	recKeys []any
	tree    *Tree // for error messages
}

func newContext(g *graph.Graph, dt dtypes.DType, stepDt float64, fitting bool, values map[*Variable]*graph.Node) *Context {
	return &Context{g: g, dtype: dt, dt: stepDt, fitting: fitting, values: values, records: map[any]*graph.Node{}}
}

// Graph is the graph being built.
func (c *Context) Graph() *graph.Graph { return c.g }

// DType is the model's float type.
func (c *Context) DType() dtypes.DType { return c.dtype }

// Dt is the integration step (ms) of this run.
func (c *Context) Dt() float64 { return c.dt }

// Fitting reports whether an offline/online trainer is recording what its trainable nodes see
// (BrainPy's shared "fit" flag).
func (c *Context) Fitting() bool { return c.fitting }

// Step is the index of the step being built within its compiled chunk.
func (c *Context) Step() int { return c.step }

// Value returns the current node of a variable of the model.
func (c *Context) Value(v *Variable) *graph.Node {
	n, ok := c.values[v]
	if !ok {
		panic(fmt.Sprintf("bpgo: variable %q (%s %v) is not part of the model being run: keep modules in fields of the model struct", v.name, v.Kind, v.value.Shape()))
	}
	return n
}

// Set gives a state variable its new value for the following steps.
func (c *Context) Set(v *Variable, n *graph.Node) {
	if v.Kind != State {
		panic(fmt.Sprintf("bpgo: Context.Set on parameter %q: only state variables change during a run", v.name))
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
