package bpgo

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/core/graph"
)

// monitorRef is one monitored quantity: a state variable (read after each step) or, when v is
// nil, a key a module passes to Context.Record.
type monitorRef struct {
	name string
	v    *Variable
}

// Recorder is implemented by modules that record named values with Context.Record for
// monitors (for example a synapse's conductance that is not a state variable): RecordKeys
// lists the names, so that a monitor naming one is known when a runner is built.
type Recorder interface {
	RecordKeys() []string
}

// resolveMonitors maps monitor names, and watched variables, to the model's state variables
// or declared record keys. An unknown name fails here, with the valid names, not at the first
// run.
func resolveMonitors(tree *Tree, names []string, watch []*Variable) ([]monitorRef, error) {
	byName := map[string]*Variable{}
	for _, v := range tree.Vars {
		byName[v.name] = v
	}
	declared := map[string]bool{}
	for _, m := range tree.Modules {
		if r, ok := m.Module.(Recorder); ok {
			for _, k := range r.RecordKeys() {
				declared[k] = true
			}
		}
	}
	for i, v := range watch {
		if v == nil {
			return nil, fmt.Errorf("Watch[%d] is nil", i)
		}
		if byName[v.name] != v {
			return nil, fmt.Errorf("Watch[%d]: the variable is not part of the model (keep modules in fields of the model struct)", i)
		}
		names = append(names, v.name)
	}
	seen := map[string]bool{}
	out := make([]monitorRef, 0, len(names))
	for _, n := range names {
		switch {
		case n == "":
			return nil, fmt.Errorf("monitor names must not be empty")
		case n == "ts":
			return nil, fmt.Errorf("monitor name %q is reserved (the runner's time axis)", n)
		case seen[n]:
			return nil, fmt.Errorf("monitor %q listed twice", n)
		}
		seen[n] = true
		v, ok := byName[n]
		switch {
		case ok && v.Kind == State:
			out = append(out, monitorRef{name: n, v: v})
		case ok:
			return nil, fmt.Errorf("monitor %q is a parameter; monitors record state variables (%s)", n, validMonitors(tree, declared))
		case declared[n]:
			out = append(out, monitorRef{name: n})
		default:
			return nil, fmt.Errorf("unknown monitor %q: the model's state variables and record keys are %s", n, validMonitors(tree, declared))
		}
	}
	return out, nil
}

// validMonitors lists the names a monitor may take, for error messages.
func validMonitors(tree *Tree, declared map[string]bool) string {
	var out []string
	for _, v := range tree.States() {
		out = append(out, v.name)
	}
	for k := range declared {
		out = append(out, k)
	}
	slices.Sort(out)
	if len(out) == 0 {
		return "(none: the model has no state)"
	}
	return "[" + strings.Join(out, " ") + "]"
}

// unrollSpec is what one compiled chunk of steps is built from.
type unrollSpec struct {
	xs *graph.Node // inputs (B, K, ...)
	// steps, where set instead of xs, are the K steps' inputs (B, ...), one graph input each.
	steps   []*graph.Node
	targets *graph.Node // per-step targets (B, K, ...) for the hook, or nil
	hook    StepHook    // online learning rule run after every step, or nil
	mons    []monitorRef
	records bool // collect Context.Record keys and values
	encoded bool // the inputs are the model's encodings: steps run Encoder.UpdateEncoded
	// project runs a one-step chunk as Projector.UpdateProjected, with the step's projection
	// computed by Project (projRecord: returned as unrolled.proj) or given (projGiven).
	project projMode
	given   *graph.Node
}

// projMode says how a step of a Projector is built (unrollSpec.project).
type projMode int

const (
	projNone   projMode = iota // through Update
	projRecord                 // Project, then UpdateProjected; the projection is returned
	projGiven                  // UpdateProjected on a given projection
)

// unrolled is what unroll returns: the outputs stacked to (B, K, ...), each monitor stacked
// over time, and (with records) the Context.Record keys of step 0 with their stacked values.
type unrolled struct {
	ys       *graph.Node
	mons     []*graph.Node
	recKeys  []any
	recNodes []*graph.Node
	proj     *graph.Node // the step's projection (unrollSpec.project, one step)
}

// unroll builds K steps of the model (K = len(u.steps), or axis 1 of u.xs). The nodes in
// ctx.values advance as the model (and the hook) Set them.
func unroll(ctx *Context, model Stepper, u unrollSpec) unrolled {
	k, xs := len(u.steps), func(t int) *graph.Node { return u.steps[t] }
	if u.steps == nil {
		k = u.xs.Shape().Dimensions[1]
		xs = stepper(u.xs, k)
	}
	steps := make([]*graph.Node, k)
	monSteps := make([][]*graph.Node, len(u.mons))
	recs := map[any][]*graph.Node{}
	ctx.steps = k
	ro, readout := model.(Readouter)
	readout = readout && k > 1 && u.hook == nil && !ctx.fitting && !u.encoded
	if u.project != projNone && k != 1 {
		panic(fmt.Sprintf("bpgo: a Projector's steps are built one at a time, not %d", k))
	}
	var proj *graph.Node
	targets := (func(int) *graph.Node)(nil)
	if u.targets != nil {
		targets = stepper(u.targets, k)
	}
	for t := range k {
		ctx.step, ctx.index = t, nil
		clear(ctx.drawN)
		clear(ctx.records)
		x := xs(t)
		if u.encoded {
			steps[t] = model.(Encoder).UpdateEncoded(ctx, x)
		} else if u.project != projNone {
			proj = u.given
			if u.project == projRecord {
				proj = project(ctx, model.(Projector), x)
			}
			steps[t] = model.(Projector).UpdateProjected(ctx, x, proj)
		} else if readout {
			steps[t] = ro.UpdateHidden(ctx, x)
		} else {
			steps[t] = model.Update(ctx, x)
		}
		if steps[t] == nil {
			panic("bpgo: the model's Update returned nil")
		}
		if u.hook != nil {
			sc := &StepContext{Context: ctx, X: x, Y: steps[t], Last: t == k-1}
			if u.targets != nil {
				sc.Target = targets(t)
			}
			callHook(u.hook, sc)
		}
		for i, m := range u.mons {
			var n *graph.Node
			if m.v != nil {
				n = ctx.values[m.v]
			} else {
				var ok bool
				n, ok = ctx.records[m.name]
				if !ok {
					panic(fmt.Sprintf("bpgo: monitor %q is declared by a module's RecordKeys but was not recorded with Context.Record at step %d", m.name, t))
				}
			}
			monSteps[i] = append(monSteps[i], n)
		}
		if u.records {
			for _, key := range ctx.recKeys {
				n, ok := ctx.records[key]
				if !ok {
					panic(fmt.Sprintf("bpgo: record %v made at step 0 but not at step %d", key, t))
				}
				recs[key] = append(recs[key], n)
			}
		}
	}
	out := unrolled{proj: proj}
	if readout {
		out.ys = readoutAll(ctx, ro, steps)
	} else {
		out.ys = graph.Stack(steps, 1)
	}
	for i := range u.mons {
		out.mons = append(out.mons, stackMonitor(monSteps[i]))
	}
	if u.records {
		out.recKeys = slices.Clone(ctx.recKeys)
		for _, key := range out.recKeys {
			out.recNodes = append(out.recNodes, graph.Stack(recs[key], 1))
		}
	}
	return out
}

// readoutAll applies a Readouter's readout once to the hidden values of K steps, each
// (B, ...), and returns the outputs (B, K, ...). The values are stacked time-major, (K·B, ...),
// so that every step's share of the gradient is one contiguous block.
func readoutAll(ctx *Context, ro Readouter, hs []*graph.Node) *graph.Node {
	k, d := len(hs), hs[0].Shape().Dimensions
	if len(d) == 0 {
		panic("bpgo: the model's UpdateHidden returned a scalar, want (batch, ...)")
	}
	b := d[0]
	flat := graph.Concatenate(hs, 0) // (K·B, ...)
	ctx.step, ctx.index = 0, nil
	y := ro.Readout(ctx, flat)
	if y == nil || y.Rank() == 0 || y.Shape().Dimensions[0] != k*b {
		panic(fmt.Sprintf("bpgo: the model's Readout of hidden values %s returned %v, want (%d, ...): Readout maps rows", flat.Shape(), shapeOf(y), k*b))
	}
	yd := y.Shape().Dimensions
	y = graph.Reshape(y, append([]int{k, b}, yd[1:]...)...)
	return swapLeadingAxesNode(y)
}

// shapeOf describes a node's shape for error messages (nil gives "nil").
func shapeOf(n *graph.Node) string {
	if n == nil {
		return "nil"
	}
	return n.Shape().String()
}

// stepper returns a function giving step t of a sequence (B, K, ...) as (B, ...). The Go
// backend's Slice copies element by element (2.7 ns each: 14% of seed 000's SNN epoch went to
// slicing its (256, 100) inputs), its Gather copies contiguous runs of bytes. Where a step's
// row of one sample is a long run, every step gathers its B runs straight from the sequence;
// otherwise the sequence is transposed once to (K, B, ...) and each step is one contiguous
// block.
func stepper(seq *graph.Node, k int) func(t int) *graph.Node {
	if k == 1 {
		return func(int) *graph.Node { return graph.Squeeze(seq, 1) }
	}
	d := seq.Shape().Dimensions
	run := seq.DType().Size()
	for _, n := range d[2:] {
		run *= n
	}
	if run >= gatherRunBytes {
		sizes := slices.Clone(d)
		sizes[1] = 1
		offsets := make([]int, len(d)-1)
		for i := range offsets {
			offsets[i] = i
		}
		return func(t int) *graph.Node {
			at := graph.Const(seq.Graph(), []int32{int32(t)})
			return graph.BackendGather(seq, at, 0, offsets, []int{1}, []int{1}, sizes, true)
		}
	}
	timeMajor := swapLeadingAxesNode(seq)
	return func(t int) *graph.Node {
		return graph.Gather(timeMajor, graph.Const(seq.Graph(), []int32{int32(t)}))
	}
}

// gatherRunBytes is the shortest run of bytes per sample that steps gather straight from a
// batch-first sequence (see stepper).
var gatherRunBytes = 256

// stackMonitor stacks per-step values with time on axis 1, which is batch-first for values
// whose batch axis is 0 (BrainPy moves its time-first monitors with moveaxis(0, 1) too);
// scalars per step give (T,).
func stackMonitor(steps []*graph.Node) *graph.Node {
	if steps[0].Rank() == 0 {
		return graph.Stack(steps, 0)
	}
	return graph.Stack(steps, 1)
}

// project runs the model's Project at the current step and checks that it left the state as
// it was: the backward loop recomputes it from the state the step starts from.
func project(ctx *Context, m Projector, x *graph.Node) *graph.Node {
	before := maps.Clone(ctx.values)
	p := m.Project(ctx, x)
	if p == nil {
		panic("bpgo: the model's Project returned nil")
	}
	if p.DType() != ctx.dtype {
		panic(fmt.Sprintf("bpgo: the model's Project returned dtype %s, want the model's float type %s", p.DType(), ctx.dtype))
	}
	for v, n := range ctx.values {
		if before[v] != n {
			panic(fmt.Sprintf("bpgo: the model's Project set %s: Project reads the state the step starts from and sets nothing (UpdateProjected sets state)", v.Name()))
		}
	}
	return p
}
