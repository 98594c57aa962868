package bpgo

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// AutoFusedSteps is the longest sequence a Grad with automatic chunking (GradOptions.Chunk 0)
// runs as one fused graph. A sequence just over DefaultChunk steps (seed 003's 110) would
// otherwise pay for a forward pass, a loss graph and a recomputing backward pass in separate
// calls: 1.22 s against 1.05 s per epoch of notebook 04's network on the Go backend.
const AutoFusedSteps = 150

// GradOptions configure a Grad.
type GradOptions struct {
	// Chunk is the number of steps unrolled into one compiled graph. Sequences of up to Chunk
	// steps run as one graph (forward, loss, backward and the optimizer update fused); longer
	// ones run chunk by chunk with recomputation (see Grad). 0 means automatic: sequences of up
	// to AutoFusedSteps run as one fused graph, longer ones in chunks of DefaultChunk. The scan
	// engine does not unroll and ignores it.
	Chunk int
	// Dt is the integration step in ms; 0 means the global Dt() at construction.
	Dt float64
	// Monitors names state variables (or keys declared by a Recorder) handed to the loss
	// through LossContext.Monitor, (B, T, ...), as BrainPy's BPTT passes (outputs, monitors).
	// An unknown name is an error from NewGrad that lists the valid ones.
	Monitors []string
	// Watch monitors variables by reference (see RunnerOptions.Watch).
	Watch []*Variable
	// Layout of the inputs: BatchFirst (default, xs (B, T, F)) or TimeFirst (xs (T, B, F)).
	// With TimeFirst the loss gets outputs and monitors time-first too, and the targets must
	// be time-first, (T, B, ...), or one per sample, (B,), as in BrainPy with
	// data_first_axis='T'.
	Layout Layout
	// NoReset keeps the model's state from call to call; by default every call first resets
	// the state to the input's batch size, as BrainPy's BPTT does for every batch.
	NoReset bool
	// Params are the variables to differentiate; default: every trainable parameter of the
	// model (BrainPy's train_vars()).
	Params []*Variable
	// Engine runs the time loop: EngineAuto (the scan on XLA, unrolled chunks on the Go
	// backend), EngineUnrolled or EngineScan (see Engine).
	Engine Engine
	// Checkpoint (scan engine) is the number of steps whose states the backward loop keeps at
	// once: 0 keeps every step's state while they fit in DefaultScanStateBytes and beyond that
	// recomputes equal segments from their first state; N > 0 uses segments of N steps.
	Checkpoint int
	// Shards (unrolled engine, sequences longer than one chunk) runs the batch as that many
	// equal groups of samples, each its own chain of compiled calls on its own core, and joins
	// them for the loss; the parameter gradients are the sum over the groups. 0 is automatic:
	// one group per core (GOMAXPROCS) on the Go backend, each of at least MinShardRows samples,
	// when a first-chunk probe finds that the groups run alone give, to the bit, what they give
	// as part of the whole batch (a model that mixes samples runs whole); 1 runs the batch
	// whole; N >= 2 asks for N groups and is an error where the probe fails. Gradients differ
	// from the whole batch's by summation order only.
	Shards int
}

// GradResult is what one gradient evaluation returns.
type GradResult struct {
	Loss float64
	// Aux holds the metrics the loss reported with LossContext.Aux, by name.
	Aux map[string]float64
	// AuxNames lists Aux's keys in BrainPy's printing order (sorted).
	AuxNames []string
	// Grads holds the gradient of each differentiated variable (nil after Step, which applied
	// them).
	Grads Grads
}

// Grad computes the gradient of a loss over a run of the model, back-propagating through time.
//
// On the scan engine (GradOptions.Engine; the default on XLA) the forward and backward passes
// are While loops over single steps (see Engine and scan.go). On the unrolled engine, a
// sequence of up to Chunk steps is one compiled graph. A longer one never becomes a T-step
// graph: the forward pass runs chunk by chunk keeping only the state at chunk boundaries (and
// the outputs and monitors the loss needs); the loss and its gradient with respect to those are
// one small graph; then the backward pass walks the chunks from the last to the first,
// recomputing each chunk's forward pass inside a graph that returns the vector-Jacobian
// product, and chains the state cotangents from chunk to chunk. Memory is bounded by the
// boundary states plus one chunk of activations; the result equals the unrolled gradient up to
// floating-point summation order.
type Grad struct {
	model     Stepper
	loss      LossFunc
	chunk     int
	fuseUpTo  int // sequences of up to this many steps run as one fused graph
	dt        float64
	dtype     dtypes.DType
	backend   compute.Backend
	monitors  []string
	watch     []*Variable
	layout    Layout
	reset     bool
	userVars  []*Variable
	tree      *Tree
	mons      []monitorRef
	params    []*Variable // differentiated
	allParams []*Variable

	scan       bool // the scan engine runs the loop
	checkpoint int

	stage       stager
	shardStages []*stager               // shards 1, 2, … (shard 0 uses stage)
	lossIn      map[int]*tensors.Tensor // joined outputs and monitors for the loss (joinForLoss)
	nShards     int                     // GradOptions.Shards
	shardMemo   shardMemo
	lastShards  atomic.Int32
	mu          sync.Mutex
	execs       map[any]*gradExec
	scanEx      *gradScan
	auxNames    []string // the loss's aux metric names, known once a graph is built
}

// NewGrad prepares gradients of loss over runs of model.
func NewGrad(model Stepper, loss LossFunc, opts GradOptions) (*Grad, error) {
	if model == nil {
		return nil, fmt.Errorf("bpgo.NewGrad: model is nil")
	}
	if loss == nil {
		return nil, fmt.Errorf("bpgo.NewGrad: loss is nil")
	}
	fuseUpTo := opts.Chunk
	chunk, stepDt, err := resolveLoop("bpgo.NewGrad: GradOptions", opts.Chunk, opts.Dt)
	if err != nil {
		return nil, err
	}
	if err := opts.Layout.check("bpgo.NewGrad: GradOptions"); err != nil {
		return nil, err
	}
	if fuseUpTo == 0 {
		fuseUpTo = max(chunk, AutoFusedSteps)
	} else {
		fuseUpTo = chunk
	}
	opts.Chunk, opts.Dt = chunk, stepDt
	b, err := Backend()
	if err != nil {
		return nil, err
	}
	scan, err := opts.Engine.useScan("bpgo.NewGrad: GradOptions", b)
	if err != nil {
		return nil, err
	}
	if opts.Shards < 0 {
		return nil, fmt.Errorf("bpgo.NewGrad: GradOptions.Shards: want >= 0 (0: automatic, 1: off), got %d", opts.Shards)
	}
	if opts.Checkpoint < 0 {
		return nil, fmt.Errorf("bpgo.NewGrad: GradOptions.Checkpoint: want >= 0 steps (0: automatic), got %d", opts.Checkpoint)
	}
	g := &Grad{scan: scan, checkpoint: opts.Checkpoint, model: model, loss: loss, chunk: opts.Chunk, fuseUpTo: fuseUpTo, dt: opts.Dt, dtype: FloatDType(), backend: b, stage: stager{backend: b},
		monitors: slices.Clone(opts.Monitors), watch: slices.Clone(opts.Watch), layout: opts.Layout, reset: !opts.NoReset, userVars: slices.Clone(opts.Params),
		execs: map[any]*gradExec{}, nShards: opts.Shards}
	if err := g.refresh(); err != nil {
		return nil, fmt.Errorf("bpgo.NewGrad: %w", err)
	}
	return g, nil
}

// Params returns the differentiated variables, in order.
func (g *Grad) Params() []*Variable { return slices.Clone(g.params) }

// Model returns the model.
func (g *Grad) Model() Stepper { return g.model }

// Chunk is the number of steps per compiled graph.
func (g *Grad) Chunk() int { return g.chunk }

// LastShards is the number of batch shards (GradOptions.Shards) the last call that ran chunk
// by chunk used: 1 when it ran the batch whole, 0 before any such call.
func (g *Grad) LastShards() int { return int(g.lastShards.Load()) }

// Layout is the layout of the inputs, outputs and monitors.
func (g *Grad) Layout() Layout { return g.layout }

// refresh walks the model (again) and drops compiled graphs if its variables changed.
func (g *Grad) refresh() error {
	tree, err := Walk(g.model)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.tree != nil && slices.Equal(tree.Vars, g.tree.Vars) {
		return nil
	}
	if err := checkVars(tree, g.dtype); err != nil {
		return err
	}
	mons, err := resolveMonitors(tree, g.monitors, g.watch)
	if err != nil {
		return fmt.Errorf("GradOptions.Monitors: %w", err)
	}
	params := tree.Params(true)
	if len(g.userVars) > 0 {
		in := map[*Variable]bool{}
		for _, v := range tree.Vars {
			in[v] = true
		}
		for _, v := range g.userVars {
			switch {
			case v == nil:
				return fmt.Errorf("GradOptions.Params holds a nil variable")
			case !in[v]:
				return fmt.Errorf("GradOptions.Params: variable %q is not part of the model", v.name)
			case v.Kind != Param:
				return fmt.Errorf("GradOptions.Params: %q is a state variable; only parameters are differentiated", v.name)
			case !v.Shape().DType.IsFloat():
				return fmt.Errorf("GradOptions.Params: %q has dtype %s, want a float type", v.name, v.Shape().DType)
			}
		}
		params = g.userVars
	}
	if len(params) == 0 {
		return fmt.Errorf("the model has no trainable parameters: build its layers in bpgo.TrainingMode (or pass GradOptions.Params)")
	}
	g.tree, g.mons, g.params, g.allParams = tree, mons, params, tree.Params(false)
	for _, e := range g.execs {
		e.exec.Finalize()
	}
	g.execs = map[any]*gradExec{}
	g.scanEx.finalize()
	g.scanEx = nil
	g.auxNames = nil
	g.shardMemo.forget()
	return nil
}

// Release frees the device buffers that the Grad keeps from one step to the next: on the scan
// engine its loops' stored states, monitors and the monitors' cotangents, which the next step
// writes in place (README, "XLA's memory between calls"). Trainers call it when a fit ends; the
// next step allocates them again. Not to be called while a step runs.
func (g *Grad) Release() {
	g.mu.Lock()
	sc := g.scanEx
	g.mu.Unlock()
	if sc != nil {
		sc.spare.release()
	}
}

// Compute returns the loss and its gradients for one batch: inputs xs (B, T, F), targets ys
// of any shape with the batch first. The model's state afterwards is the state at the end of
// the run.
func (g *Grad) Compute(xs, ys *tensors.Tensor) (*GradResult, error) {
	return wrapErr[*GradResult]("bpgo.Grad.Compute")(g.run(xs, ys, nil, true))
}

// Step is Compute followed by opt's update, fused into the same compiled graph when the
// sequence fits in one chunk. A non-finite loss leaves parameters and optimizer untouched (the
// result reports the loss, so the caller can stop).
func (g *Grad) Step(xs, ys *tensors.Tensor, opt Optimizer) (*GradResult, error) {
	if opt == nil {
		return nil, fmt.Errorf("bpgo.Grad.Step: optimizer is nil")
	}
	if err := g.checkOptimizer(opt); err != nil {
		return nil, fmt.Errorf("bpgo.Grad.Step: %w", err)
	}
	return wrapErr[*GradResult]("bpgo.Grad.Step")(g.run(xs, ys, opt, true))
}

// Evaluate returns the loss (and aux metrics) without gradients.
func (g *Grad) Evaluate(xs, ys *tensors.Tensor) (*GradResult, error) {
	return wrapErr[*GradResult]("bpgo.Grad.Evaluate")(g.run(xs, ys, nil, false))
}

// wrapErr prefixes a public method's error with its name (the package.Type.Method convention).
func wrapErr[T any](method string) func(T, error) (T, error) {
	return func(v T, err error) (T, error) {
		if err != nil {
			var zero T
			return zero, fmt.Errorf("%s: %w", method, err)
		}
		return v, nil
	}
}

func (g *Grad) checkOptimizer(opt Optimizer) error {
	if err := g.refresh(); err != nil {
		return err
	}
	ps := opt.Params()
	if len(ps) == 0 {
		if err := opt.Register(g.params); err != nil {
			return fmt.Errorf("registering the model's trainable variables with the optimizer: %w", err)
		}
		ps = opt.Params()
	}
	if !slices.Equal(ps, g.params) {
		return fmt.Errorf("the optimizer updates %d variables but the gradient has %d (%v): register exactly the trained variables, in the model's order", len(ps), len(g.params), varNames(g.params))
	}
	return nil
}

func varNames(vs []*Variable) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.name
	}
	return out
}

// CheckBatch validates a batch: xs (B, T, F) ((T, B, F) with TimeFirst) of the runtime float
// type, finite, and ys with the same batch size on its batch axis (axis 0, or axis 1 for
// time-first targets).
func (g *Grad) CheckBatch(xs, ys *tensors.Tensor) error {
	_, err := g.checkBatch(xs, ys, true)
	return err
}

// checkBatch is CheckBatch, returning xs batch-first. The inputs are scanned for non-finite
// values once: here (CheckSequence), or without finiteX by the caller while it stages them
// (on seed 000's SNN a second scan of the same data took 4% of a training step).
func (g *Grad) checkBatch(xs, ys *tensors.Tensor, finiteX bool) (*tensors.Tensor, error) {
	bxs, err := g.layout.toBatchFirst("xs", xs)
	if err != nil {
		return nil, err
	}
	check := CheckSequence
	if !finiteX {
		check = checkSequenceShape
	}
	if err := check("xs", bxs, g.dtype, -1); err != nil {
		return nil, err
	}
	if ys == nil {
		return nil, fmt.Errorf("ys: targets are nil")
	}
	batch := bxs.Shape().Dimensions[0]
	if g.layout == TimeFirst {
		// Time-first targets (T, B, ...), or one target per sample (B,).
		if !(ys.Rank() >= 2 && ys.Shape().Dimensions[1] == batch) && !(ys.Rank() == 1 && ys.Shape().Dimensions[0] == batch) {
			return nil, fmt.Errorf("ys: targets have shape %s but xs has batch size %d: with TimeFirst, ys must be time-first (T, %d, ...) or per sample (%d,)", ys.Shape(), batch, batch, batch)
		}
	} else if ys.Rank() == 0 || ys.Shape().Dimensions[0] != batch {
		return nil, fmt.Errorf("ys: targets have shape %s but xs has batch size %d: ys must be batch-first with the same batch size", ys.Shape(), batch)
	}
	if ys.DType().IsFloat() {
		if err := CheckFinite("ys", ys); err != nil {
			return nil, err
		}
	}
	return bxs, nil
}

func (g *Grad) run(xs, ys *tensors.Tensor, opt Optimizer, withGrad bool) (*GradResult, error) {
	fused := !g.scan && xs != nil && xs.Rank() >= 2 && xs.Shape().Dimensions[g.layout.timeAxis()] <= g.fuseUpTo
	// runFused checks xs while staging it, runScan while its loops run.
	laterCheck := g.scan || fused && g.backend.HasSharedBuffers()
	xs, err := g.checkBatch(xs, ys, !laterCheck)
	if err != nil {
		return nil, err
	}
	var checked func() error
	if g.scan {
		var wait func()
		checked, wait = g.checkMeanwhile(xs)
		defer wait()
	}
	batch := xs.Shape().Dimensions[0]
	if g.reset {
		if err := ResetState(g.model, batch); err != nil {
			return nil, err
		}
	}
	if err := g.refresh(); err != nil {
		return nil, err
	}
	if err := checkBatch(g.tree, batch); err != nil {
		return nil, err
	}
	if g.scan {
		return g.runScan(xs, ys, opt, withGrad, checked)
	}
	if fused {
		return g.runFused(xs, ys, opt, withGrad)
	}
	return g.runChunked(xs, ys, opt, withGrad)
}

// checkMeanwhile scans xs for non-finite values on another goroutine: the scan engine's loops
// run on XLA's threads, mostly one, and on seed 000's SNN the scan took 5% of a step before
// them. checked waits for the answer; a batch that fails it leaves the model's states as they
// were before run (reset included), and the caller applies nothing. wait waits too: run must
// not return while the scan reads xs, which its caller may reuse.
func (g *Grad) checkMeanwhile(xs *tensors.Tensor) (checked func() error, wait func()) {
	done := make(chan error, 1)
	go func() { done <- CheckFinite("xs", xs) }()
	var states []*Variable
	var before []*tensors.Tensor
	if tree, err := Walk(g.model); err == nil {
		states = tree.States()
		before = varValuesT(states)
	}
	var result error
	waited := false
	wait = func() {
		if !waited {
			result, waited = <-done, true
		}
	}
	checked = func() error {
		wait()
		if result != nil && before != nil {
			setValues(states, before)
		}
		return result
	}
	return checked, wait
}

// fusedKey identifies a fused graph: gradients or not, and which optimizer it applies.
type fusedKey struct {
	grad bool
	opt  Optimizer
	// steps is the number of per-step inputs of a staged graph; 0: one (B, T, ...) input.
	steps int
}

func (g *Grad) runFused(xs, ys *tensors.Tensor, opt Optimizer, withGrad bool) (*GradResult, error) {
	key := fusedKey{grad: withGrad, opt: opt}
	xin := []any{xs}
	if g.backend.HasSharedBuffers() {
		// One input per step, written into the backend's memory (see stager) and checked on
		// the way: run left the check to this.
		steps, err := g.stage.steps(xs, 0, xs.Shape().Dimensions[1], true, "xs")
		if err != nil {
			return nil, err
		}
		key.steps, xin = len(steps), anys(steps)
	}
	in := map[string][]any{"vars": varValues(g.tree.Vars), "clock": {clockArg(0)}, "xs": xin, "ys": {ys}}
	var slots []*Variable
	if opt != nil {
		slots = opt.Slots()
		h, err := hyperTensor(opt, g.params)
		if err != nil {
			return nil, err
		}
		in["hyper"], in["slots"] = []any{h}, varValues(slots)
	}
	ex := g.fusedExec(key, len(slots))
	res, err := callExec(ex.exec, packArgs(&ex.ins, in))
	if err != nil {
		return nil, err
	}
	out := splitArgs(&ex.outs, res)
	r := g.decodeLoss(out)
	if opt != nil {
		if math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0) {
			return r, nil // the graph kept parameters and slots; states stay as they were
		}
		setValues(g.params, out["params"])
		setValues(slots, out["slots"])
		opt.Advance()
	} else if withGrad {
		r.Grads = Grads{}
		for i, p := range g.params {
			r.Grads[p] = out["grads"][i]
		}
	}
	setValues(g.tree.States(), out["states"])
	return r, nil
}

// decodeLoss reads the "loss" and "aux" groups of a result.
func (g *Grad) decodeLoss(out map[string][]*tensors.Tensor) *GradResult {
	r := &GradResult{Loss: ToFloat64s(out["loss"][0])[0], Aux: map[string]float64{}}
	g.mu.Lock()
	r.AuxNames = slices.Clone(g.auxNames)
	g.mu.Unlock()
	for i, k := range r.AuxNames {
		r.Aux[k] = ToFloat64s(out["aux"][i])[0]
	}
	return r
}

// lossNodes builds the loss on batch-first outputs and monitors, handing them to the loss in
// the Grad's layout, and returns the loss and the aux metrics (sorted by name).
func (g *Grad) lossNodes(gr *graph.Graph, params map[*Variable]*graph.Node, outputs *graph.Node, mons []*graph.Node, targets *graph.Node) (*graph.Node, []*graph.Node) {
	monMap := make(map[string]*graph.Node, len(mons))
	for i, m := range g.mons {
		monMap[m.name] = g.layoutNode(mons[i])
	}
	lc := newLossContext(gr, g.dtype, params, g.params, monMap)
	loss := callLoss(g.loss, lc, g.layoutNode(outputs), targets)
	keys := lc.auxKeys()
	aux := make([]*graph.Node, len(keys))
	for i, k := range keys {
		aux[i] = lc.aux[k]
	}
	g.mu.Lock()
	if g.auxNames != nil && !slices.Equal(g.auxNames, keys) {
		g.mu.Unlock()
		panic(fmt.Sprintf("bpgo: the loss reported aux metrics %v, then %v: report the same metrics every time", g.auxNames, keys))
	}
	g.auxNames = keys
	g.mu.Unlock()
	return loss, aux
}

// layoutNode turns a batch-first sequence node into the Grad's layout.
func (g *Grad) layoutNode(n *graph.Node) *graph.Node {
	if g.layout != TimeFirst || n.Rank() < 2 {
		return n
	}
	return swapLeadingAxesNode(n)
}

// swapLeadingAxesNode turns a (A, B, ...) node into (B, A, ...): SwapLeadingAxes in a graph.
func swapLeadingAxesNode(n *graph.Node) *graph.Node {
	perm := make([]int, n.Rank())
	for i := range perm {
		perm[i] = i
	}
	perm[0], perm[1] = 1, 0
	return graph.TransposeAllAxes(n, perm...)
}

// gradExec is a compiled graph of a Grad with the names of its inputs and results.
type gradExec struct {
	exec      *graph.Exec
	ins, outs argGroups
}

func (g *Grad) fusedExec(key fusedKey, nSlots int) *gradExec {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e, ok := g.execs[key]; ok {
		return e
	}
	vars, states, params, allParams := slices.Clone(g.tree.Vars), g.tree.States(), slices.Clone(g.params), slices.Clone(g.allParams)
	mons, tree := slices.Clone(g.mons), g.tree
	nHyper := 0
	if key.opt != nil {
		nHyper = 1
	} else {
		nSlots = 0
	}
	ex := &gradExec{}
	ex.ins.add("vars", len(vars)).add("clock", 1).add("xs", max(key.steps, 1)).add("ys", 1).add("hyper", nHyper).add("slots", nSlots)
	ex.exec = graph.MustNewExec(g.backend, func(gr *graph.Graph, ins []*graph.Node) []*graph.Node {
		in := splitArgs(&ex.ins, ins)
		values := bindInputs(vars, in["vars"])
		pvals := make(map[*Variable]*graph.Node, len(allParams))
		for _, p := range allParams {
			pvals[p] = values[p]
		}
		ctx := newContext(gr, g.dtype, g.dt, false, values, in["clock"][0])
		ctx.tree = tree
		u := unroll(ctx, g.model, chunkSpec(in["xs"], key.steps, mons))
		loss, aux := g.lossNodes(gr, pvals, u.ys, u.mons, in["ys"][0])
		outs := map[string][]*graph.Node{"loss": {loss}, "aux": aux, "params": nil, "slots": nil, "grads": nil,
			"states": valuesOf(ctx, states)}
		if key.grad {
			pnodes := valuesOf(ctx, params)
			grads := graph.Gradient(loss, pnodes...)
			if key.opt != nil {
				hyper := splitHyper(in["hyper"][0], len(key.opt.Hyper()))
				slots := in["slots"]
				newP, newS := key.opt.UpdateGraph(hyper, pnodes, grads, slots)
				// A non-finite loss must not reach the parameters: keep the old values.
				ok := graph.IsFinite(loss)
				for i := range newP {
					newP[i] = graph.Where(ok, newP[i], pnodes[i])
				}
				for i := range newS {
					newS[i] = graph.Where(ok, newS[i], slots[i])
				}
				outs["params"], outs["slots"] = newP, newS
			} else {
				outs["grads"] = grads
			}
		}
		ex.outs = argGroups{}
		ex.outs.add("loss", 1).add("aux", len(aux)).add("params", len(outs["params"])).
			add("slots", len(outs["slots"])).add("grads", len(outs["grads"])).add("states", len(states))
		return packArgs(&ex.outs, outs)
	})
	ex.exec.SetMaxCache(-1)
	g.execs[key] = ex
	return ex
}
