package bpgo

import (
	"fmt"
	"maps"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// Engine chooses how a Runner or a Grad runs its time loop.
//
// The unrolled engine builds Chunk steps into one graph and calls it chunk after chunk; the
// scan engine builds ONE step into the body of a While loop, so that its compile time does not
// depend on the number of steps. Gradients through a scan are a second While loop that walks
// the steps backwards, recomputing one step from its stored state and taking that step's
// vector-Jacobian product (see scan.go). Both give the same results up to rounding.
type Engine int

const (
	// EngineAuto is the scan on XLA and the unrolled engine on the Go backend, where graphs
	// are cheap to build and GoMLX's While bodies cannot hold gradients.
	EngineAuto Engine = iota
	// EngineUnrolled unrolls Chunk steps per compiled graph.
	EngineUnrolled
	// EngineScan runs the steps in a compiled While loop (XLA only).
	EngineScan
)

func (e Engine) String() string {
	switch e {
	case EngineAuto:
		return "auto"
	case EngineUnrolled:
		return "unrolled"
	case EngineScan:
		return "scan"
	}
	return fmt.Sprintf("Engine(%d)", int(e))
}

// DefaultScanStateBytes is how much memory the scan engine spends, by default, on the states
// it stores for the backward loop (GradOptions.Checkpoint 0): every step's state while they
// fit, segments recomputed from checkpoints beyond.
const DefaultScanStateBytes = 1 << 30

// DefaultScanSegment is the number of steps a scan Runner runs per call when
// RunnerOptions.Chunk is 0 (the last call of a run may run fewer; all share one graph).
const DefaultScanSegment = 1000

// useScan validates an Engine option and says whether it selects the scan on backend b; what
// names the options struct in errors.
func (e Engine) useScan(what string, b compute.Backend) (bool, error) {
	goBackend := b.String() == gobackend.BackendName
	switch e {
	case EngineAuto:
		return !goBackend, nil
	case EngineUnrolled:
		return false, nil
	case EngineScan:
		if goBackend {
			return false, fmt.Errorf("%s.Engine: EngineScan needs the XLA backend (BPGO_BACKEND=xla); on the Go backend use EngineAuto or EngineUnrolled", what)
		}
		return true, nil
	}
	return false, fmt.Errorf("%s.Engine: want bpgo.EngineAuto, EngineUnrolled or EngineScan, got %v", what, e)
}

// The scan's graphs obey three rules that keep them clear of GoMLX v0.28 and go-xla v0.4
// limits with public API only:
//
//  1. Each compiled graph holds at most one function that runs model or loss code: a While
//     body. GoMLX caches scalar constants (graph.Scalar, AddScalar, Context.Const, …) per
//     graph, not per function, and XLA rejects a node of one function used in another, so a
//     model's constants built in a body must never meet the same constants built in main or in
//     another body. go-xla caches its reduction closures per graph too (a ReduceSum in a body
//     after one in main fails), which the same rule avoids. The forward loop, the loss and the
//     backward loop are therefore three graphs, and the main functions of the loop graphs use
//     only uncached constants (graph.Const) and no reductions.
//  2. A body reads only its loop state: XLA closures cannot capture values of the enclosing
//     function, so parameters, inputs and cotangents all travel as loop state.
//  3. Inner products are DotGenerals, not reductions.

// loopParams declares a closure's inputs with the shapes of the loop state.
func loopParams(g *graph.Graph, init []*graph.Node) []*graph.Node {
	out := make([]*graph.Node, len(init))
	for i, n := range init {
		out[i] = graph.Parameter(g, fmt.Sprintf("s%d", i), n.Shape())
	}
	return out
}

// constI32 is an uncached int32 scalar (see rule 1).
func constI32(g *graph.Graph, v int) *graph.Node { return graph.Const(g, int32(v)) }

// zerosOf is an uncached zero tensor of the given shape (see rule 1).
func zerosOf(g *graph.Graph, s shapes.Shape) *graph.Node {
	z := graph.ConstAsDType(g, s.DType, 0)
	if s.Rank() == 0 {
		return z
	}
	return graph.BroadcastToDims(z, s.Dimensions...)
}

// inner is <a, b> as a DotGeneral (rule 3).
func inner(a, b *graph.Node) *graph.Node {
	return graph.Reshape(graph.MatMul(graph.Reshape(a, 1, -1), graph.Reshape(b, -1, 1)))
}

// timeAxis is where a sequence node keeps time: axis 1 of batch-first (B, T, ...) values,
// axis 0 of per-step scalars (T,).
func timeAxis(rank int) int {
	if rank >= 2 {
		return 1
	}
	return 0
}

// sliceSteps reads steps [t, t+k) of a sequence as a k-step sequence ((B, k, ...) or (k,)).
func sliceSteps(seq, t *graph.Node, k int) *graph.Node {
	g := seq.Graph()
	axis := timeAxis(seq.Rank())
	starts := make([]*graph.Node, seq.Rank())
	dims := seq.Shape().Clone().Dimensions
	for i := range starts {
		starts[i] = constI32(g, 0)
	}
	starts[axis], dims[axis] = t, k
	return graph.DynamicSlice(seq, starts, dims)
}

// writeStep writes a sequence of one or more steps into a sequence buffer from step t on.
func writeStep(buf, step, t *graph.Node) *graph.Node {
	g := buf.Graph()
	starts := make([]*graph.Node, buf.Rank())
	for i := range starts {
		starts[i] = constI32(g, 0)
	}
	starts[timeAxis(buf.Rank())] = t
	return graph.DynamicUpdateSlice(buf, step, starts)
}

// bufShape is the shape of a buffer holding a state of shape s at k steps, time first.
func bufShape(s shapes.Shape, k int) shapes.Shape {
	return shapes.Make(s.DType, append([]int{k}, s.Dimensions...)...)
}

// readRow reads row t of a time-first buffer (T, ...) as a value of the row's shape.
func readRow(buf, t *graph.Node) *graph.Node {
	g := buf.Graph()
	starts := make([]*graph.Node, buf.Rank())
	dims := buf.Shape().Clone().Dimensions
	for i := range starts {
		starts[i] = constI32(g, 0)
	}
	starts[0], dims[0] = t, 1
	return graph.Reshape(graph.DynamicSlice(buf, starts, dims), buf.Shape().Dimensions[1:]...)
}

// writeRow writes v into row t of a time-first buffer.
func writeRow(buf, v, t *graph.Node) *graph.Node {
	g := buf.Graph()
	starts := make([]*graph.Node, buf.Rank())
	for i := range starts {
		starts[i] = constI32(g, 0)
	}
	starts[0] = t
	return graph.DynamicUpdateSlice(buf, graph.InsertAxes(v, 0), starts)
}

// stepShape is the shape of one step (B, ...) of a batch-first sequence (B, T, ...).
func stepShape(s shapes.Shape) shapes.Shape {
	return shapes.Make(s.DType, append([]int{s.Dimensions[0]}, s.Dimensions[2:]...)...)
}

// withSteps returns a one-step shape (B, 1, ...) or (1,) with k steps instead.
func withSteps(s shapes.Shape, k int) shapes.Shape {
	s = s.Clone()
	s.Dimensions[timeAxis(s.Rank())] = k
	return s
}

// scanStep is what a loop needs to know about one step of the model.
type scanStep struct {
	model   Stepper
	tree    *Tree
	dtype   dtypes.DType
	dt      float64
	fit     bool
	vars    []*Variable // the model's variables, bound by position
	hook    StepHook
	hookVar []*Variable
	mons    []monitorRef
	records bool
	encoded bool // the loops' inputs are Encoder encodings (see encode.go)
	// projected: the model is a Projector whose projections the forward loop stores and the
	// backward loop reads (a Grad's loops only).
	projected bool
	// stored, when not nil, are the states whose values before every step the forward loop
	// stores for the backward loop (see readStates); nil stores them all.
	stored []*Variable
}

// storedOf returns the states of states whose rows the loops store (s.stored's, in states'
// order).
func (s *scanStep) storedOf(states []*Variable) []*Variable {
	if s.stored == nil {
		return states
	}
	var out []*Variable
	for _, v := range states {
		if slices.Contains(s.stored, v) {
			out = append(out, v)
		}
	}
	return out
}

// build runs one step of the model on the step's input x (B, ...) at the given clock index,
// with the variables bound to values; the map advances as the step Sets state. target is the
// step's target (B, 1, ...) or nil.
func (s *scanStep) build(g *graph.Graph, values map[*Variable]*graph.Node, clock, x, target *graph.Node) (*Context, unrolled) {
	return s.buildGiven(g, values, clock, x, target, nil)
}

// buildGiven is build; a Projector's step runs on the given projection when it is not nil.
func (s *scanStep) buildGiven(g *graph.Graph, values map[*Variable]*graph.Node, clock, x, target, proj *graph.Node) (*Context, unrolled) {
	ctx := s.context(g, values, clock)
	u := unrollSpec{steps: []*graph.Node{x}, targets: target, hook: s.hook, mons: s.mons, records: s.records, encoded: s.encoded}
	switch {
	case !s.projected:
	case proj != nil:
		u.project, u.given = projGiven, proj
	default:
		u.project = projRecord
	}
	return ctx, unroll(ctx, s.model, u)
}

// projectAt builds the model's Project on the given values (the state a step starts from): the
// backward loop takes the projection's gradient from it.
func (s *scanStep) projectAt(g *graph.Graph, values map[*Variable]*graph.Node, clock, x *graph.Node) *graph.Node {
	ctx := s.context(g, values, clock)
	ctx.steps = 1
	return project(ctx, s.model.(Projector), x)
}

// context is a step's Context over the given values at the given clock index.
func (s *scanStep) context(g *graph.Graph, values map[*Variable]*graph.Node, clock *graph.Node) *Context {
	ctx := newContext(g, s.dtype, s.dt, s.fit, values, clock)
	ctx.tree = s.tree
	return ctx
}

// stepInput reads step t of a batch-first sequence (B, T, ...) as a value (B, ...).
func stepInput(seq, t *graph.Node) *graph.Node {
	return graph.Reshape(sliceSteps(seq, t, 1), stepShape(seq.Shape()).Dimensions...)
}

// probe builds one step in a scratch graph to learn the shapes of a step's output, monitors
// and records, which the loop's buffers need before the loop body exists.
func (s *scanStep) probe(b compute.Backend, x, target shapes.Shape) (y shapes.Shape, mons []shapes.Shape, keys []any, recs []shapes.Shape, proj shapes.Shape) {
	s.probeStep(b, x, target, func(_ *graph.Graph, _ map[*Variable]*graph.Node, u unrolled) {
		y = u.ys.Shape()
		for _, m := range u.mons {
			mons = append(mons, m.Shape())
		}
		for _, r := range u.recNodes {
			recs = append(recs, r.Shape())
		}
		if u.proj != nil {
			proj = u.proj.Shape()
		}
		keys = u.recKeys
	})
	return
}

// readStates returns the states of states that one step reads: those whose value before the
// step is an input of one of the step's ops. The others are only written (a refractory flag,
// an input current) or passed on unchanged; the backward loop needs no stored rows of them
// (a pass-through's cotangent does not depend on its value), and on XLA each stored state is
// a (T, B, ...) buffer that every training step maps and fills. At least one state is kept:
// the backward loop reads its segment's length from a stored buffer.
func (s *scanStep) readStates(b compute.Backend, x shapes.Shape, states []*Variable) []*Variable {
	read := []*Variable{} // not nil, even for a model without states: nil means "not decided yet"
	s.probeStep(b, x, shapes.Shape{}, func(g *graph.Graph, start map[*Variable]*graph.Node, _ unrolled) {
		used := map[*graph.Node]bool{}
		for _, n := range g.Nodes() {
			for _, in := range n.Inputs() {
				used[in] = true
			}
		}
		for _, v := range states {
			if used[start[v]] {
				read = append(read, v)
			}
		}
	})
	if len(read) == 0 && len(states) > 0 {
		read = states[:1]
	}
	return read
}

// probeStep builds one step in a scratch graph on parameters for the variables (start) and
// hands the graph and the step to f.
func (s *scanStep) probeStep(b compute.Backend, x, target shapes.Shape, f func(g *graph.Graph, start map[*Variable]*graph.Node, u unrolled)) {
	g := graph.NewGraph(b, "bpgo.scan.probe")
	defer g.Finalize()
	values := map[*Variable]*graph.Node{}
	all := append(append([]*Variable{}, s.vars...), s.hookVar...)
	for i, v := range all {
		values[v] = graph.Parameter(g, fmt.Sprintf("v%d", i), v.Shape())
	}
	start := maps.Clone(values)
	var tg *graph.Node
	if target.Ok() {
		tg = graph.Parameter(g, "target", target)
	}
	_, u := s.build(g, values, graph.Parameter(g, "clock", shapes.Make(dtypes.Int32)), graph.Parameter(g, "x", x), tg)
	f(g, start, u)
}

// scanFwdExec is a compiled forward loop over steps [start, start+n) of its inputs.
//
// Inputs: "vars" (the model's variables), "hook" (the hook's variables), "clock" (int32 clock
// index of the inputs' first step), "start" and "n" (int32: the steps to run), "xs" (B, T, ...),
// "targets" (B, T, ...) when the hook has targets, and with spare (a Grad's loops) "spare": the
// buffers the loop writes "bufs", "proj" and "mons" into (see spares), which the results list
// first, in that order. Results: "ys" (B, L, ...), "mons" and "records", the steps run written
// from index 0 (later ones are zeros, or with spare what the spare held; L is store, or T
// without store); the final "states", "params" and "hook" values; with store > 0, "bufs": each stored
// state (scanStep.stored) before every step run (see bufShape); with ckpt > 0, "ckpts": each state before the steps
// that are multiples of ckpt, ceil(T/ckpt) rows (the checkpoints the backward pass recomputes
// segments from).
type scanFwdExec struct {
	exec      *graph.Exec
	ins, outs argGroups
	keys      []any
	enc       *encodeExec // a Runner's Encoder: its inputs are encoded before the loop
}

func newScanFwdExec(b compute.Backend, s *scanStep, states, outParams []*Variable, targets bool, store, ckpt int, spare bool) *scanFwdExec {
	ex := &scanFwdExec{}
	nTargets := 0
	if targets {
		nTargets = 1
	}
	bufStates := s.storedOf(states)
	nBufs, nCkpts, nProj := 0, 0, 0
	if store > 0 {
		nBufs = len(bufStates)
		if s.projected {
			nProj = 1
		}
	}
	if ckpt > 0 {
		nCkpts = len(states)
	}
	nSpare := 0
	if spare {
		nSpare = nBufs + nProj + len(s.mons)
	}
	ex.ins.add("vars", len(s.vars)).add("hook", len(s.hookVar)).add("clock", 1).add("start", 1).add("n", 1).add("xs", 1).add("targets", nTargets).
		add("spare", nSpare)
	ex.exec = graph.MustNewExec(b, func(g *graph.Graph, ins []*graph.Node) []*graph.Node {
		in := splitArgs(&ex.ins, ins)
		xs := in["xs"][0]
		steps := xs.Shape().Dimensions[1]
		k := steps
		if store > 0 {
			k = store
		}
		var tgShape shapes.Shape
		if targets {
			tgShape = withSteps(in["targets"][0].Shape(), 1)
		}
		yShape, monShapes, keys, recShapes, projShape := s.probe(b, stepShape(xs.Shape()), tgShape)
		ex.keys = keys
		var ls argGroups
		ls.add("t", 1).add("n", 1).add("clock", 1).add("start", 1).add("vars", len(s.vars)).add("hook", len(s.hookVar)).
			add("xs", 1).add("targets", nTargets).add("ys", 1).add("mons", len(monShapes)).add("records", len(recShapes)).
			add("bufs", nBufs).add("ckpts", nCkpts).add("proj", nProj)
		init := map[string][]*graph.Node{"t": {constI32(g, 0)}, "n": in["n"], "clock": in["clock"], "start": in["start"], "vars": in["vars"],
			"hook": in["hook"], "xs": {xs}, "targets": in["targets"], "ys": {zerosOf(g, withSteps(yShape, k))}}
		if len(monShapes) != len(s.mons) {
			panic(fmt.Sprintf("bpgo: %d monitors probed for %d", len(monShapes), len(s.mons)))
		}
		spares := in["spare"]
		fresh := func(s shapes.Shape) *graph.Node { // a spare (see spares) or zeros
			if len(spares) == 0 {
				return zerosOf(g, s)
			}
			n := spares[0]
			spares = spares[1:]
			return n
		}
		for _, r := range recShapes {
			init["records"] = append(init["records"], zerosOf(g, withSteps(r, k)))
		}
		for _, v := range bufStates[:nBufs] {
			init["bufs"] = append(init["bufs"], fresh(bufShape(v.Shape(), k)))
		}
		for _, v := range states[:nCkpts] {
			init["ckpts"] = append(init["ckpts"], zerosOf(g, bufShape(v.Shape(), (steps+ckpt-1)/ckpt)))
		}
		if nProj > 0 {
			init["proj"] = []*graph.Node{fresh(bufShape(projShape, k))}
		}
		for _, m := range monShapes {
			init["mons"] = append(init["mons"], fresh(withSteps(m, k)))
		}
		initNodes := packArgs(&ls, init)
		cond := graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
			p := splitArgs(&ls, loopParams(g, initNodes))
			return []*graph.Node{graph.LessThan(p["t"][0], p["n"][0])}
		})
		body := graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
			p := splitArgs(&ls, loopParams(g, initNodes))
			t := p["t"][0]
			values := bindInputs(s.vars, p["vars"])
			for i, v := range s.hookVar {
				values[v] = p["hook"][i]
			}
			var bufs, ckpts []*graph.Node
			for i, v := range bufStates[:nBufs] {
				bufs = append(bufs, writeRow(p["bufs"][i], values[v], t))
			}
			if nCkpts > 0 {
				row := graph.Div(t, constI32(g, ckpt))
				first := graph.Equal(graph.Mul(row, constI32(g, ckpt)), t)
				for i, v := range states {
					keep := graph.Where(first, values[v], readRow(p["ckpts"][i], row))
					ckpts = append(ckpts, writeRow(p["ckpts"][i], keep, row))
				}
			}
			at := graph.Add(p["start"][0], t) // the step's index in the inputs
			var tg *graph.Node
			if targets {
				tg = sliceSteps(p["targets"][0], at, 1)
			}
			ctx, u := s.build(g, values, graph.Add(p["clock"][0], at), stepInput(p["xs"][0], at), tg)
			if len(u.recKeys) != len(keys) {
				panic(fmt.Sprintf("bpgo: the model recorded %d keys in the loop body but %d when probed", len(u.recKeys), len(keys)))
			}
			out := map[string][]*graph.Node{"t": {graph.Add(t, constI32(g, 1))}, "n": p["n"], "clock": p["clock"], "start": p["start"],
				"vars": valuesOf(ctx, s.vars), "hook": valuesOf(ctx, s.hookVar), "xs": p["xs"], "targets": p["targets"],
				"ys": {writeStep(p["ys"][0], u.ys, t)}, "bufs": bufs, "ckpts": ckpts}
			if nProj > 0 {
				out["proj"] = []*graph.Node{writeRow(p["proj"][0], u.proj, t)}
			}
			for i, m := range u.mons {
				out["mons"] = append(out["mons"], writeStep(p["mons"][i], m, t))
			}
			for i, r := range u.recNodes {
				out["records"] = append(out["records"], writeStep(p["records"][i], r, t))
			}
			return packArgs(&ls, out)
		})
		res := splitArgs(&ls, graph.While(cond, body, initNodes...))
		final := bindInputs(s.vars, res["vars"])
		ex.outs = argGroups{}
		// The spares' outputs first, in the spares' order, as the graph's name says.
		ex.outs.add("bufs", nBufs).add("proj", nProj).add("mons", len(monShapes)).add("ys", 1).add("records", len(recShapes)).
			add("states", len(states)).add("params", len(outParams)).add("hook", len(s.hookVar)).add("ckpts", nCkpts)
		return packArgs(&ex.outs, map[string][]*graph.Node{"ys": res["ys"], "mons": res["mons"], "records": res["records"],
			"states": valuesOfMap(final, states), "params": valuesOfMap(final, outParams), "hook": res["hook"],
			"bufs": res["bufs"], "ckpts": res["ckpts"], "proj": res["proj"]})
	})
	ex.exec = ex.exec.WithName(aliased("scan-forward", aliasRun{ex.ins.offset("spare"), 0, nSpare}))
	ex.exec.SetMaxCache(-1)
	return ex
}

// scanBwdExec is a compiled backward loop over a segment: from the states stored by the
// forward loop it walks the steps t = n-1 … 0, recomputes step t and adds its vector-Jacobian
// product: the gradient of <y_t, gOut_t> + Σ<monitor_t, gMon_t> + Σ<state_{t+1}, λ_{t+1}> with
// respect to the parameters (accumulated) and to state_t (the next λ).
//
// Inputs: "vars", "clock", "start" and "n" (the segment is steps [start, start+n) of the
// inputs), "xs" (B, T, ...), "bufs" (each stored state (scanStep.stored) before every step of the
// segment, as the forward loop stores them; a state the step does not read starts each step as
// zeros), "gOut" (B, T, ...), "gMons", "lambda" (the cotangent of the segment's final
// float states) and "acc" (the parameter gradients so far). Results: "acc" and "lambda" (of the
// segment's first state); with encoded inputs also "gE" (B, K, ...), K the segment length that
// "bufs" holds: the cotangents of the encodings of the window of K steps that encodeGradExec
// reads (zero outside the segment).
type scanBwdExec struct {
	exec      *graph.Exec
	ins, outs argGroups
}

func newScanBwdExec(b compute.Backend, s *scanStep, states, params []*Variable) *scanBwdExec {
	fs := floatStateIdx(states)
	bufStates := s.storedOf(states)
	ex := &scanBwdExec{}
	nE, nP := 0, 0
	if s.encoded {
		nE = 1
	}
	if s.projected {
		nP = 1
	}
	ex.ins.add("vars", len(s.vars)).add("clock", 1).add("start", 1).add("n", 1).add("xs", 1).add("bufs", len(bufStates)).
		add("gOut", 1).add("gMons", len(s.mons)).add("lambda", len(fs)).add("acc", len(params)).add("proj", nP)
	ex.outs.add("acc", len(params)).add("lambda", len(fs)).add("gE", nE).add("spare", len(bufStates)+nP)
	ex.exec = graph.MustNewExec(b, func(g *graph.Graph, ins []*graph.Node) []*graph.Node {
		in := splitArgs(&ex.ins, ins)
		var ls argGroups
		ls.add("t", 1).add("clock", 1).add("start", 1).add("vars", len(s.vars)).add("xs", 1).add("bufs", len(bufStates)).
			add("gOut", 1).add("gMons", len(s.mons)).add("lambda", len(fs)).add("acc", len(params)).add("gE", nE).add("w", nE).
			add("proj", nP)
		init := map[string][]*graph.Node{"t": {graph.Sub(in["n"][0], constI32(g, 1))}, "clock": in["clock"], "start": in["start"],
			"vars": in["vars"], "xs": in["xs"], "bufs": in["bufs"], "gOut": in["gOut"], "gMons": in["gMons"],
			"lambda": in["lambda"], "acc": in["acc"], "proj": in["proj"]}
		if s.encoded {
			xs := in["xs"][0]
			k := in["bufs"][0].Shape().Dimensions[0]
			init["gE"] = []*graph.Node{zerosOf(g, withSteps(xs.Shape(), k))}
			init["w"] = []*graph.Node{windowStart(in["start"][0], xs.Shape().Dimensions[1], k)}
		}
		initNodes := packArgs(&ls, init)
		cond := graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
			p := splitArgs(&ls, loopParams(g, initNodes))
			return []*graph.Node{graph.GreaterOrEqual(p["t"][0], constI32(g, 0))}
		})
		body := graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
			p := splitArgs(&ls, loopParams(g, initNodes))
			t := p["t"][0]
			values := bindInputs(s.vars, p["vars"])
			start := make([]*graph.Node, len(fs))
			for _, v := range states {
				if i := slices.Index(bufStates, v); i >= 0 {
					values[v] = readRow(p["bufs"][i], t)
				} else {
					values[v] = zerosOf(g, v.Shape()) // not read by the step (readStates)
				}
			}
			for i, si := range fs {
				start[i] = values[states[si]]
			}
			pnodes := valuesOfMap(values, params)
			at := graph.Add(p["start"][0], t)
			x := stepInput(p["xs"][0], at)
			clock := graph.Add(p["clock"][0], at)
			var proj *graph.Node
			var before map[*Variable]*graph.Node
			if s.projected {
				proj, before = readRow(p["proj"][0], t), maps.Clone(values)
			}
			ctx, u := s.buildGiven(g, values, clock, x, nil, proj)
			sum := inner(u.ys, sliceSteps(p["gOut"][0], at, 1))
			for i, m := range u.mons {
				if m.DType().IsFloat() {
					sum = graph.Add(sum, inner(m, sliceSteps(p["gMons"][i], at, 1)))
				}
			}
			for i, si := range fs {
				sum = graph.Add(sum, inner(ctx.values[states[si]], p["lambda"][i]))
			}
			wrt := append(pnodes, start...)
			if s.encoded {
				wrt = append(wrt, x)
			}
			if s.projected {
				wrt = append(wrt, proj)
			}
			grads := graph.Gradient(sum, wrt...)
			if s.projected {
				// The projection's share: its vector-Jacobian product at the step's start,
				// which needs the projection's inputs but not its value (XLA drops the product).
				gp := graph.StopGradient(grads[len(grads)-1])
				more := graph.Gradient(inner(s.projectAt(g, before, clock, x), gp), wrt[:len(params)+len(fs)]...)
				for i := range more {
					grads[i] = graph.Add(grads[i], more[i])
				}
			}
			acc := make([]*graph.Node, len(params))
			for i := range params {
				acc[i] = graph.Add(p["acc"][i], grads[i])
			}
			out := map[string][]*graph.Node{"t": {graph.Sub(t, constI32(g, 1))}, "clock": p["clock"], "start": p["start"], "vars": p["vars"],
				"xs": p["xs"], "bufs": p["bufs"], "gOut": p["gOut"], "gMons": p["gMons"],
				"lambda": grads[len(params) : len(params)+len(fs)], "acc": acc, "w": p["w"], "proj": p["proj"]}
			if s.encoded {
				out["gE"] = []*graph.Node{writeStep(p["gE"][0], graph.InsertAxes(grads[len(grads)-1], 1), graph.Sub(at, p["w"][0]))}
			}
			return packArgs(&ls, out)
		})
		res := splitArgs(&ls, graph.While(cond, body, initNodes...))
		return packArgs(&ex.outs, map[string][]*graph.Node{"acc": res["acc"], "lambda": res["lambda"], "gE": res["gE"],
			"spare": append(slices.Clone(res["bufs"]), res["proj"]...)})
	})
	// The stored states and projections come back unchanged, in their own buffers (see spares).
	spare := ex.outs.offset("spare")
	ex.exec = ex.exec.WithName(aliased("scan-backward", aliasRun{ex.ins.offset("bufs"), spare, len(bufStates)},
		aliasRun{ex.ins.offset("proj"), spare + len(bufStates), nP}))
	ex.exec.SetMaxCache(-1)
	return ex
}
