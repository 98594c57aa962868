package bpgo

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// DefaultChunk is the number of time steps unrolled into one compiled graph.
const DefaultChunk = 100

// Layout says where the time axis of sequences is: batch-first (B, T, ...), bpgo's and
// BrainPy's default, or time-first (T, B, ...), BrainPy's data_first_axis='T'. Runners,
// gradients and trainers take inputs, and give outputs and monitors, in their Layout.
type Layout int

const (
	// BatchFirst sequences are (B, T, ...).
	BatchFirst Layout = iota
	// TimeFirst sequences are (T, B, ...).
	TimeFirst
)

func (l Layout) String() string {
	switch l {
	case BatchFirst:
		return "batch-first"
	case TimeFirst:
		return "time-first"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// check validates a Layout option; what names it in errors.
func (l Layout) check(what string) error {
	if l != BatchFirst && l != TimeFirst {
		return fmt.Errorf("%s.Layout: want bpgo.BatchFirst or bpgo.TimeFirst, got %v", what, l)
	}
	return nil
}

// timeAxis is the axis of a sequence in layout l that counts its steps.
func (l Layout) timeAxis() int {
	if l == TimeFirst {
		return 0
	}
	return 1
}

// toBatchFirst returns a sequence in the engine's batch-first layout.
func (l Layout) toBatchFirst(arg string, t *tensors.Tensor) (*tensors.Tensor, error) {
	if l != TimeFirst || t == nil {
		return t, nil
	}
	if t.Rank() < 2 {
		return nil, fmt.Errorf("%s: want a time-first (T, B, ...) tensor, got shape %s", arg, t.Shape())
	}
	return SwapLeadingAxes(t), nil
}

// fromBatchFirst returns an engine result (B, T, ...) in the layout l.
func (l Layout) fromBatchFirst(t *tensors.Tensor) *tensors.Tensor {
	if l != TimeFirst || t == nil || t.Rank() < 2 {
		return t
	}
	return SwapLeadingAxes(t)
}

// RunnerOptions configure a Runner.
type RunnerOptions struct {
	// Chunk is the number of steps unrolled into one compiled graph (default DefaultChunk).
	// A sequence of T steps runs as T/Chunk calls of one graph plus one call of a graph for the
	// remainder; both are compiled once and reused for any T.
	Chunk int
	// Dt is the integration step in ms; 0 means the global Dt() at construction (BrainPy's
	// runners also capture dt when they are built).
	Dt float64
	// Monitors names state variables (by their path in the model, e.g. "R.V") to record after
	// every step, like DSRunner's monitors; after a run, Mon holds each as (B, T, ...) and
	// "ts" as the times of the steps. Names a module declares with Recorder are accepted too.
	// An unknown name is an error from NewRunner that lists the valid ones.
	Monitors []string
	// Watch monitors variables by reference (Watch: []*bpgo.Variable{net.R.V}), so that a typo
	// fails to compile; they appear in Mon under their path names.
	Watch []*Variable
	// Layout of inputs, outputs and monitors: BatchFirst (default) or TimeFirst.
	Layout Layout
	// Hook is an online learning rule run inside the compiled loop after every step (see
	// StepHook); with a hook, RunOptions.Targets gives it per-step targets, and parameters the
	// hook changes are written back to the model after every chunk.
	Hook StepHook
	// Engine runs the time loop: EngineAuto (the scan on XLA, unrolled chunks on the Go
	// backend), EngineUnrolled or EngineScan. On the scan engine Chunk is the number of steps
	// per call of the compiled loop (0: DefaultScanSegment).
	Engine Engine
	// Shards (unrolled engine) runs the batch as that many equal groups of samples, each its
	// own chain of compiled calls on its own core, joined after the run, as GradOptions.Shards
	// does: 0 is automatic (one group per core on the Go backend when a first-chunk probe shows
	// that the samples run alone give, to the bit, what they give in the whole batch; a hook's
	// variables without a batch axis must be sums over samples, declared by SummedHook), 1 runs
	// the batch whole, N >= 2 asks for N groups and is an error where the probe fails. Runs with
	// RunOptions.OnChunk run whole.
	Shards int
}

// Runner runs a model over time, like BrainPy's DSRunner: inputs are batch-first (B, T, F),
// outputs come back as (B, T, ...), and state continues from run to run unless reset.
type Runner struct {
	model   Stepper
	tree    *Tree
	chunk   int
	dt      float64
	dtype   dtypes.DType
	backend compute.Backend
	// handBack: the runner computes on auto's XLA backend, not the process's (runnerBackend), so
	// it takes its variables and inputs from wherever they are and leaves everything on the host.
	handBack bool

	monitors []string
	watch    []*Variable
	mons     []monitorRef
	layout   Layout
	hook     StepHook
	hookVars []*Variable
	i0       int // steps run since the last reset (BrainPy's i0): the next step's index

	// Mon holds the monitors of the last run, (B, T, ...) (or (T, B, ...) with TimeFirst), and
	// "ts", the times t0 + i*dt of its steps (the first step of a reset run has t = 0).
	Mon map[string]*tensors.Tensor

	scanSeg int // steps per call on the scan engine; 0: the unrolled engine

	nShards    int // RunnerOptions.Shards
	shardMemo  shardMemo
	lastShards int
	// stages hand each shard's chunks their inputs and targets in buffers of the backend's
	// own, rewritten from chunk to chunk (see stager): a host copy, then a device copy of it,
	// per chunk and shard was most of what a long run allocated after its traces.
	stages []*stager

	mu        sync.Mutex
	execs     map[runKey]*runExec
	scanExecs map[runKey]*scanFwdExec
}

// runKey identifies a compiled chunk graph of a Runner.
type runKey struct{ fit, targets bool }

// runExec is a compiled chunk with the names of its inputs and results.
type runExec struct {
	exec      *graph.Exec
	quiet     *runExec // with targets: the graph for chunks whose targets are all zero (ZeroTargetHook)
	ins, outs argGroups
	keys      []any // Context.Record keys, known once the graph is built
	// built holds the (rows, steps) shapes the exec has run: a call of a new shape builds a
	// graph, and building runs the model's Update, which may read its variables' values.
	built sync.Map
}

// shapeKey is the shape of a chunk call: rows of the batch and steps.
type shapeKey struct{ rows, steps int }

// NewRunner builds a runner for a model (a pointer to a struct with an Update method).
func NewRunner(model Stepper, opts RunnerOptions) (*Runner, error) {
	const what = "bpgo.NewRunner: RunnerOptions"
	chunk, stepDt, err := resolveLoop(what, opts.Chunk, opts.Dt)
	if err != nil {
		return nil, err
	}
	if err := opts.Layout.check(what); err != nil {
		return nil, err
	}
	if opts.Shards < 0 {
		return nil, fmt.Errorf("%s.Shards: want >= 0 (0: automatic, 1: off), got %d", what, opts.Shards)
	}
	tree, err := Walk(model)
	if err != nil {
		return nil, err
	}
	dt := FloatDType()
	if err := checkVars(tree, dt); err != nil {
		return nil, fmt.Errorf("bpgo.NewRunner: %w", err)
	}
	mons, err := resolveMonitors(tree, opts.Monitors, opts.Watch)
	if err != nil {
		return nil, fmt.Errorf("%s.Monitors: %w", what, err)
	}
	hv, err := hookVars(opts.Hook, tree)
	if err != nil {
		return nil, fmt.Errorf("%s.%w", what, err)
	}
	b, handBack, err := runnerBackend(tree)
	if err != nil {
		return nil, err
	}
	scan, err := opts.Engine.useScan(what, b)
	if err != nil {
		return nil, err
	}
	scanSeg := 0
	if scan {
		scanSeg = opts.Chunk
		if scanSeg == 0 {
			scanSeg = DefaultScanSegment
		}
	}
	return &Runner{scanSeg: scanSeg, scanExecs: map[runKey]*scanFwdExec{}, model: model, tree: tree, chunk: chunk, dt: stepDt, dtype: dt, backend: b, handBack: handBack,
		monitors: slices.Clone(opts.Monitors), watch: slices.Clone(opts.Watch), mons: mons,
		layout: opts.Layout, hook: opts.Hook, hookVars: hv, nShards: opts.Shards,
		Mon: map[string]*tensors.Tensor{}, execs: map[runKey]*runExec{}}, nil
}

// LastShards is the number of batch shards (RunnerOptions.Shards) the last run on the unrolled
// engine used: 1 when it ran the batch whole, 0 before any such run.
func (r *Runner) LastShards() int { return r.lastShards }

// Tree returns the model's modules and variables.
func (r *Runner) Tree() *Tree { return r.tree }

// Dt is the runner's integration step (ms).
func (r *Runner) Dt() float64 { return r.dt }

// Chunk is the number of steps per compiled graph (RunnerOptions.Chunk, DefaultChunk for 0).
func (r *Runner) Chunk() int { return r.chunk }

// Model returns the model the runner drives.
func (r *Runner) Model() Stepper { return r.model }

// Layout is the runner's sequence layout.
func (r *Runner) Layout() Layout { return r.layout }

// Chunk is one compiled call's worth of results, handed to RunOptions.OnChunk.
type Chunk struct {
	Start, Len int             // time steps [Start, Start+Len)
	Outputs    *tensors.Tensor // (B, Len, ...), batch-first whatever the runner's Layout
	// Records maps each key given to Context.Record to its values, (B, Len, ...).
	Records map[any]*tensors.Tensor
}

// RunOptions configure one run.
type RunOptions struct {
	// ResetState resets the model's state to the input batch size before running, and the
	// runner's clock to 0.
	ResetState bool
	// Fit turns on Context.Fitting, so trainable nodes record what trainers need.
	Fit bool
	// Targets are per-step targets for the runner's Hook, in the runner's Layout with the same
	// batch and time sizes as the inputs; nil for none.
	Targets *tensors.Tensor
	// OnChunk, if set, is called after each compiled chunk, in time order.
	OnChunk func(c *Chunk) error
	// DiscardOutputs skips assembling the output; Run then returns nil.
	DiscardOutputs bool
}

// Run runs the model over inputs of shape (B, T, F) ((T, B, F) with TimeFirst) and returns the
// outputs (B, T, ...) (or time-first). Monitors of the run are left in r.Mon.
func (r *Runner) Run(inputs *tensors.Tensor, opts RunOptions) (*tensors.Tensor, error) {
	if r.handBack {
		if err := r.handOver(inputs, opts); err != nil {
			return nil, fmt.Errorf("bpgo.Runner.Run: %w", err)
		}
		if opts.OnChunk != nil {
			onChunk := opts.OnChunk
			opts.OnChunk = func(c *Chunk) error {
				if err := toHost(nil, c.Outputs); err != nil {
					return err
				}
				for _, t := range c.Records {
					if err := toHost(nil, t); err != nil {
						return err
					}
				}
				return onChunk(c)
			}
		}
	}
	out, err := r.run(inputs, opts)
	if r.handBack { // a failed run too: its variables stay usable on the process's backend
		if e := r.handBackAll(out); err == nil {
			err = e
		}
	}
	if err != nil {
		return nil, fmt.Errorf("bpgo.Runner.Run: %w", err)
	}
	return out, nil
}

// Backend is the backend the runner computes on: the process's (Backend), or under
// BPGO_BACKEND=auto in a program built with XLA, XLA for batch-1 models with a large weight
// (AutoXLAMinWeight). Such a runner leaves its outputs, monitors and variables on the host.
func (r *Runner) Backend() compute.Backend { return r.backend }

// handOver detaches the variables and the run's inputs from any other backend (see toHost).
func (r *Runner) handOver(inputs *tensors.Tensor, opts RunOptions) error {
	return toHost(r.backend, append(r.varTensors(), inputs, opts.Targets)...)
}

// handBackAll leaves the output, the monitors and the variables on the host.
func (r *Runner) handBackAll(out *tensors.Tensor) error {
	return toHost(nil, append(append(r.varTensors(), out), slices.Collect(maps.Values(r.Mon))...)...)
}

// varTensors are the values of the model's and the hook's variables.
func (r *Runner) varTensors() []*tensors.Tensor {
	return append(varValuesT(r.tree.Vars), varValuesT(r.hookVars)...)
}

func (r *Runner) run(inputs *tensors.Tensor, opts RunOptions) (*tensors.Tensor, error) {
	inputs, err := r.layout.toBatchFirst("inputs", inputs)
	if err != nil {
		return nil, err
	}
	if err := CheckSequence("inputs", inputs, r.dtype, -1); err != nil {
		return nil, err
	}
	dims := inputs.Shape().Dimensions
	batch, steps := dims[0], dims[1]
	targets, err := r.layout.toBatchFirst("RunOptions.Targets", opts.Targets)
	if err != nil {
		return nil, err
	}
	if targets != nil {
		if r.hook == nil {
			return nil, fmt.Errorf("RunOptions.Targets given but the runner has no Hook to use them")
		}
		if td := targets.Shape().Dimensions; len(td) < 2 || td[0] != batch || td[1] != steps {
			return nil, fmt.Errorf("RunOptions.Targets: shape %s, want (batch %d, steps %d, ...) like the inputs", targets.Shape(), batch, steps)
		}
		if err := CheckFinite("RunOptions.Targets", targets); err != nil {
			return nil, err
		}
	}
	if opts.ResetState {
		if err := ResetState(r.model, batch); err != nil {
			return nil, err
		}
		r.i0 = 0
	}
	if err := r.refresh(); err != nil {
		return nil, err
	}
	if err := checkBatch(r.tree, batch); err != nil {
		return nil, err
	}
	if r.scanSeg > 0 {
		return r.runScan(inputs, targets, opts)
	}
	ex := r.exec(runKey{opts.Fit, targets != nil})
	if _, ok := r.hook.(ZeroTargetHook); ok && targets != nil && opts.OnChunk == nil {
		ex.quiet = r.exec(runKey{opts.Fit, false})
	} else {
		ex.quiet = nil
	}
	rows, err := r.runShards(ex, inputs, targets, opts)
	if err != nil {
		return nil, err
	}
	r.lastShards = len(rows)
	if len(rows) > 1 {
		return r.runSharded(ex, rows, inputs, targets, opts)
	}
	var outs []*tensors.Tensor
	monParts := make([][]*tensors.Tensor, len(r.mons))
	states, params := r.tree.States(), r.tree.Params(false)
	for start := 0; start < steps; start += r.chunk {
		k := min(r.chunk, steps-start)
		out, err := r.runChunkRows(ex, r.stage(0), inputs, targets, rowSpan{0, batch}, start, k, varValuesT(states), varValuesT(r.hookVars), start > 0 && opts.OnChunk == nil)
		if err != nil {
			return nil, err
		}
		setValues(states, out["states"])
		if r.hook != nil {
			setValues(params, out["params"])
			setValues(r.hookVars, out["hook"])
		}
		for j := range r.mons {
			monParts[j] = append(monParts[j], out["mons"][j])
		}
		if opts.OnChunk != nil {
			c := &Chunk{Start: start, Len: k, Outputs: out["ys"][0], Records: map[any]*tensors.Tensor{}}
			for j, key := range ex.keys {
				c.Records[key] = out["records"][j]
			}
			if err := opts.OnChunk(c); err != nil {
				return nil, err
			}
		}
		if !opts.DiscardOutputs {
			outs = append(outs, out["ys"][0])
		}
	}
	return r.finish(monParts, steps, outs, opts.DiscardOutputs)
}

// finish ends a run: it joins the monitors' and the outputs' chunks along time and returns
// the outputs in the runner's layout (nil when discarded).
func (r *Runner) finish(monParts [][]*tensors.Tensor, steps int, outs []*tensors.Tensor, discard bool) (*tensors.Tensor, error) {
	if err := r.collectMonitors(monParts, steps); err != nil {
		return nil, err
	}
	if discard {
		return nil, nil
	}
	out, err := joinMonitor(outs)
	if err != nil {
		return nil, err
	}
	return r.layout.fromBatchFirst(out), nil
}

// varValues lists the variables' current values as call arguments.
func varValues(vs []*Variable) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v.get()
	}
	return out
}

// setValues stores a compiled call's results into the variables, in order.
func setValues(vs []*Variable, ts []*tensors.Tensor) {
	for i, v := range vs {
		v.put(ts[i])
	}
}

// collectMonitors joins the monitors' chunks into r.Mon and advances the runner's clock.
func (r *Runner) collectMonitors(parts [][]*tensors.Tensor, steps int) error {
	mon := map[string]*tensors.Tensor{}
	for j, m := range r.mons {
		t, err := joinMonitor(parts[j])
		if err != nil {
			return fmt.Errorf("monitor %q: %w", m.name, err)
		}
		mon[m.name] = r.layout.fromBatchFirst(t)
	}
	ts := make([]float64, steps)
	for i := range ts {
		ts[i] = float64(r.i0+i) * r.dt
	}
	var err error
	if mon["ts"], err = FromFloat64s(r.dtype, ts, steps); err != nil {
		return err
	}
	r.i0 += steps
	r.Mon = mon
	return nil
}

// checkBatch verifies that every batched state has the given batch size.
func checkBatch(tree *Tree, batch int) error {
	for _, v := range tree.States() {
		if v.BatchAxis >= 0 && v.Shape().Dimensions[v.BatchAxis] != batch {
			return fmt.Errorf("state %q has batch size %d but inputs have batch size %d: reset the state for this batch (RunOptions.ResetState, or bpgo.ResetState(model, %d))",
				v.name, v.Shape().Dimensions[v.BatchAxis], batch, batch)
		}
	}
	return nil
}

// refresh re-walks the model: if a module replaced a variable (or the tree changed), the
// compiled graphs, whose inputs are the old variables, are dropped and rebuilt on demand.
func (r *Runner) refresh() error {
	tree, err := Walk(r.model)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Equal(tree.Vars, r.tree.Vars) {
		if err := checkVars(tree, r.dtype); err != nil {
			return err
		}
		mons, err := resolveMonitors(tree, r.monitors, r.watch)
		if err != nil {
			return err
		}
		hv, err := hookVars(r.hook, tree)
		if err != nil {
			return err
		}
		r.tree, r.mons, r.hookVars = tree, mons, hv
		for _, e := range r.execs {
			e.exec.Finalize()
		}
		r.execs = map[runKey]*runExec{}
		for _, e := range r.scanExecs {
			e.exec.Finalize()
			if e.enc != nil {
				e.enc.exec.Finalize()
			}
		}
		r.scanExecs = map[runKey]*scanFwdExec{}
		r.shardMemo.forget()
	}
	return nil
}

// exec returns the compiled chunk for key; graphs are built per input shape and cached.
func (r *Runner) exec(key runKey) *runExec {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.execs[key]; ok {
		return e
	}
	vars, hook := slices.Clone(r.tree.Vars), slices.Clone(r.hookVars)
	states, params, mons := r.tree.States(), r.tree.Params(false), slices.Clone(r.mons)
	nTargets, nParams := 0, 0
	if key.targets {
		nTargets = 1
	}
	if r.hook != nil {
		nParams = len(params) // a hook may change any parameter: carry them all out
	}
	ex := &runExec{}
	ex.ins.add("vars", len(vars)).add("hook", len(hook)).add("clock", 1).add("xs", 1).add("targets", nTargets)
	ex.exec = graph.MustNewExec(r.backend, func(g *graph.Graph, ins []*graph.Node) []*graph.Node {
		in := splitArgs(&ex.ins, ins)
		values := bindInputs(vars, in["vars"])
		for i, v := range hook {
			values[v] = in["hook"][i]
		}
		ctx := newContext(g, r.dtype, r.dt, key.fit, values, in["clock"][0])
		ctx.tree = r.tree
		u := unrollSpec{xs: in["xs"][0], hook: r.hook, mons: mons, records: true}
		if key.targets {
			u.targets = in["targets"][0]
		}
		res := unroll(ctx, r.model, u)
		outs := map[string][]*graph.Node{"ys": {res.ys}, "states": valuesOf(ctx, states),
			"params": valuesOf(ctx, params[:nParams]), "hook": valuesOf(ctx, hook), "mons": res.mons, "records": res.recNodes}
		ex.outs = argGroups{}
		ex.outs.add("ys", 1).add("states", len(states)).add("params", nParams).add("hook", len(hook)).
			add("mons", len(mons)).add("records", len(res.recNodes))
		ex.keys = res.recKeys
		return packArgs(&ex.outs, outs)
	})
	ex.exec.SetMaxCache(-1)
	r.execs[key] = ex
	return ex
}

// valuesOf returns the current nodes of the variables.
func valuesOf(ctx *Context, vs []*Variable) []*graph.Node {
	out := make([]*graph.Node, len(vs))
	for i, v := range vs {
		out[i] = ctx.values[v]
	}
	return out
}

// callExec runs a compiled chunk, turning a panic raised while the graph is built (a model's
// Update rejecting its input, say) into an error.
func callExec(e *graph.Exec, args []any) (res []*tensors.Tensor, err error) {
	keepHeapHeadroom()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("building the step graph: %v", r)
		}
	}()
	return e.Call(args...)
}

// resolveLoop applies the defaults of the Chunk and Dt options shared by runners and gradients
// (DefaultChunk, the global Dt) and validates them; what names the options struct in errors.
func resolveLoop(what string, chunk int, dt float64) (int, float64, error) {
	if chunk == 0 {
		chunk = DefaultChunk
	}
	if chunk < 1 {
		return 0, 0, fmt.Errorf("%s.Chunk must be >= 1, got %d", what, chunk)
	}
	if dt == 0 {
		dt = Dt()
	}
	if !(dt > 0) || math.IsInf(dt, 0) {
		return 0, 0, fmt.Errorf("%s.Dt must be a positive number of ms, got %v", what, dt)
	}
	return chunk, dt, nil
}

// checkVars verifies that every variable of a model has a value and that float variables have
// the runtime float type the graphs are built for.
func checkVars(tree *Tree, dt dtypes.DType) error {
	for _, v := range tree.Vars {
		if !v.has() {
			return fmt.Errorf("variable %q has no value", v.name)
		}
		if vdt := v.Shape().DType; vdt.IsFloat() && vdt != dt {
			return fmt.Errorf("variable %q is %s but the runtime float type is %s: call bpgo.EnableX64() (or not) before building the model, consistently", v.name, vdt, dt)
		}
	}
	return nil
}
