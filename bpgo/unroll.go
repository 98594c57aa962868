package bpgo

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/core/graph"
)

// monitorRef is one monitored quantity: a state variable (read after each step) or, when v is
// nil, a key a module passes to Context.Record.
type monitorRef struct {
	name string
	v    *Variable
}

// resolveMonitors maps monitor names to the model's state variables; names that are not state
// variables are taken as Context.Record keys (checked when the graph is built).
func resolveMonitors(tree *Tree, names []string) ([]monitorRef, error) {
	seen := map[string]bool{}
	out := make([]monitorRef, 0, len(names))
	for _, n := range names {
		if n == "" {
			return nil, fmt.Errorf("monitor names must not be empty")
		}
		if n == "ts" {
			return nil, fmt.Errorf("monitor name %q is reserved (the runner's time axis)", n)
		}
		if seen[n] {
			return nil, fmt.Errorf("monitor %q listed twice", n)
		}
		seen[n] = true
		ref := monitorRef{name: n}
		for _, v := range tree.Vars {
			if v.name == n {
				if v.Kind != State {
					return nil, fmt.Errorf("monitor %q is a parameter; monitors record state variables (or Context.Record keys)", n)
				}
				ref.v = v
			}
		}
		out = append(out, ref)
	}
	return out, nil
}

// stateNames lists the model's state variables, for error messages.
func stateNames(tree *Tree) []string {
	var out []string
	for _, v := range tree.States() {
		out = append(out, v.name)
	}
	return out
}

// unroll builds K = xs.Shape().Dimensions[1] steps of the model: the outputs stacked to
// (B, K, ...), each monitor stacked over time, and, if withRecords, the Context.Record keys of
// step 0 with their stacked values. The state nodes in ctx.values advance as the model Sets
// them.
func unroll(ctx *Context, model Stepper, xs *graph.Node, mons []monitorRef, withRecords bool) (ys *graph.Node, monNodes []*graph.Node, recKeys []any, recNodes []*graph.Node) {
	k := xs.Shape().Dimensions[1]
	steps := make([]*graph.Node, k)
	monSteps := make([][]*graph.Node, len(mons))
	recs := map[any][]*graph.Node{}
	for t := range k {
		ctx.step = t
		clear(ctx.records)
		x := graph.Squeeze(graph.SliceAxis(xs, 1, graph.AxisElem(t)), 1)
		steps[t] = model.Update(ctx, x)
		if steps[t] == nil {
			panic("bpgo: the model's Update returned nil")
		}
		for i, m := range mons {
			var n *graph.Node
			if m.v != nil {
				n = ctx.values[m.v]
			} else {
				var ok bool
				n, ok = ctx.records[m.name]
				if !ok {
					panic(fmt.Sprintf("bpgo: monitor %q is neither a state variable of the model (%v) nor a key recorded with Context.Record at step %d", m.name, stateNames(ctx.tree), t))
				}
			}
			monSteps[i] = append(monSteps[i], n)
		}
		if withRecords {
			for _, key := range ctx.recKeys {
				n, ok := ctx.records[key]
				if !ok {
					panic(fmt.Sprintf("bpgo: record %v made at step 0 but not at step %d", key, t))
				}
				recs[key] = append(recs[key], n)
			}
		}
	}
	ys = graph.Stack(steps, 1)
	for i, m := range mons {
		monNodes = append(monNodes, stackMonitor(monSteps[i], m))
	}
	if withRecords {
		recKeys = slices.Clone(ctx.recKeys)
		for _, key := range recKeys {
			recNodes = append(recNodes, graph.Stack(recs[key], 1))
		}
	}
	return
}

// stackMonitor stacks per-step values with time on axis 1, which is batch-first for values
// whose batch axis is 0 (BrainPy moves its time-first monitors with moveaxis(0, 1) too);
// scalars per step give (T,).
func stackMonitor(steps []*graph.Node, m monitorRef) *graph.Node {
	if steps[0].Rank() == 0 {
		return graph.Stack(steps, 0)
	}
	return graph.Stack(steps, 1)
}
