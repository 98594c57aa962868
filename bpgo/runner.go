package bpgo

import (
	"fmt"
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

// RunnerOptions configure a Runner.
type RunnerOptions struct {
	// Chunk is the number of steps unrolled into one compiled graph (default DefaultChunk).
	// A sequence of T steps runs as T/Chunk calls of one graph plus one call of a graph for the
	// remainder; both are compiled once and reused for any T.
	Chunk int
	// Dt is the integration step in ms; 0 means the global Dt() at construction (BrainPy's
	// runners also capture dt when they are built).
	Dt float64
	// Monitors names state variables (by their path in the model, e.g. "r.V") to record after
	// every step, like DSRunner's monitors; after a run, Mon holds each as (B, T, ...) and
	// "ts" as the times of the steps. A name that is not a state variable is looked up among
	// the keys modules pass to Context.Record.
	Monitors []string
	// TimeFirst makes inputs, outputs and monitors time-first, (T, B, ...), like BrainPy's
	// data_first_axis='T'. The default is batch-first, (B, T, ...).
	TimeFirst bool
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

	monitors  []string
	mons      []monitorRef
	timeFirst bool
	i0        int // steps run since the last reset (BrainPy's i0): the next step's t is i0*dt

	// Mon holds the monitors of the last run, (B, T, ...) (or (T, B, ...) with TimeFirst), and
	// "ts", the times t0 + i*dt of its steps (the first step of a reset run has t = 0).
	Mon map[string]*tensors.Tensor

	mu    sync.Mutex
	execs map[bool]*graph.Exec
	keys  map[bool][]any
}

// NewRunner builds a runner for a model (a pointer to a struct with an Update method).
func NewRunner(model Stepper, opts RunnerOptions) (*Runner, error) {
	chunk, stepDt, err := resolveLoop("bpgo.NewRunner: RunnerOptions", opts.Chunk, opts.Dt)
	if err != nil {
		return nil, err
	}
	opts.Chunk, opts.Dt = chunk, stepDt
	tree, err := Walk(model)
	if err != nil {
		return nil, err
	}
	dt := FloatDType()
	if err := checkVars(tree, dt); err != nil {
		return nil, fmt.Errorf("bpgo.NewRunner: %w", err)
	}
	mons, err := resolveMonitors(tree, opts.Monitors)
	if err != nil {
		return nil, fmt.Errorf("bpgo.NewRunner: RunnerOptions.Monitors: %w", err)
	}
	b, err := Backend()
	if err != nil {
		return nil, err
	}
	return &Runner{model: model, tree: tree, chunk: opts.Chunk, dt: opts.Dt, dtype: dt, backend: b,
		monitors: slices.Clone(opts.Monitors), mons: mons, timeFirst: opts.TimeFirst,
		Mon: map[string]*tensors.Tensor{}, execs: map[bool]*graph.Exec{}, keys: map[bool][]any{}}, nil
}

// Tree returns the model's modules and variables.
func (r *Runner) Tree() *Tree { return r.tree }

// Dt is the runner's integration step (ms).
func (r *Runner) Dt() float64 { return r.dt }

// Model returns the model the runner drives.
func (r *Runner) Model() Stepper { return r.model }

// Chunk is one compiled call's worth of results, handed to RunOptions.OnChunk.
type Chunk struct {
	Start, Len int             // time steps [Start, Start+Len)
	Outputs    *tensors.Tensor // (B, Len, ...)
	// Records maps each key given to Context.Record to its values, (B, Len, ...).
	Records map[any]*tensors.Tensor
}

// RunOptions configure one run.
type RunOptions struct {
	// ResetState resets the model's state to the input batch size before running.
	ResetState bool
	// Fit turns on Context.Fitting, so trainable nodes record what trainers need.
	Fit bool
	// OnChunk, if set, is called after each compiled chunk, in time order.
	OnChunk func(c *Chunk) error
	// DiscardOutputs skips assembling the (B, T, ...) output; Run then returns nil.
	DiscardOutputs bool
}

// Run runs the model over inputs of shape (B, T, F) ((T, B, F) with TimeFirst) and returns the
// outputs (B, T, ...) (or time-first). Monitors of the run are left in r.Mon.
func (r *Runner) Run(inputs *tensors.Tensor, opts RunOptions) (*tensors.Tensor, error) {
	if r.timeFirst {
		if inputs != nil && inputs.Rank() < 2 {
			return nil, fmt.Errorf("inputs: want a time-first (T, B, F) tensor, got shape %s", inputs.Shape())
		}
		if inputs != nil {
			inputs = SwapLeadingAxes(inputs)
		}
	}
	if err := CheckSequence("inputs", inputs, r.dtype, -1); err != nil {
		return nil, err
	}
	dims := inputs.Shape().Dimensions
	batch, steps := dims[0], dims[1]
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
	exec := r.exec(opts.Fit)
	hostIn := ToFloat64s(inputs)
	var outs []*tensors.Tensor
	monParts := make([][]*tensors.Tensor, len(r.mons))
	for start := 0; start < steps; start += r.chunk {
		k := min(r.chunk, steps-start)
		xs, err := FromFloat64s(r.dtype, TimeSlice(hostIn, dims, start, k), append([]int{batch, k}, dims[2:]...)...)
		if err != nil {
			return nil, err
		}
		args := make([]any, 0, len(r.tree.Vars)+1)
		for _, v := range r.tree.Vars {
			args = append(args, v.value)
		}
		args = append(args, xs)
		res, err := callExec(exec, args)
		if err != nil {
			return nil, fmt.Errorf("running steps [%d, %d): %w", start, start+k, err)
		}
		ys := res[0]
		i := 1
		for _, v := range r.tree.States() {
			v.value = res[i]
			i++
		}
		for j := range r.mons {
			monParts[j] = append(monParts[j], res[i])
			i++
		}
		keys := r.recordKeys(opts.Fit)
		if opts.OnChunk != nil {
			c := &Chunk{Start: start, Len: k, Outputs: ys, Records: map[any]*tensors.Tensor{}}
			for j, key := range keys {
				c.Records[key] = res[i+j]
			}
			if err := opts.OnChunk(c); err != nil {
				return nil, err
			}
		}
		if !opts.DiscardOutputs {
			outs = append(outs, ys)
		}
	}
	if err := r.collectMonitors(monParts, steps); err != nil {
		return nil, err
	}
	if opts.DiscardOutputs {
		return nil, nil
	}
	out, err := concatTime(outs)
	if err != nil || !r.timeFirst {
		return out, err
	}
	return SwapLeadingAxes(out), nil
}

// collectMonitors joins the monitors' chunks into r.Mon and advances the runner's clock.
func (r *Runner) collectMonitors(parts [][]*tensors.Tensor, steps int) error {
	mon := map[string]*tensors.Tensor{}
	for j, m := range r.mons {
		t, err := joinMonitor(parts[j])
		if err != nil {
			return fmt.Errorf("monitor %q: %w", m.name, err)
		}
		if r.timeFirst && t.Rank() >= 2 {
			t = SwapLeadingAxes(t)
		}
		mon[m.name] = t
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
		mons, err := resolveMonitors(tree, r.monitors)
		if err != nil {
			return err
		}
		r.tree, r.mons = tree, mons
		for _, e := range r.execs {
			e.Finalize()
		}
		r.execs = map[bool]*graph.Exec{}
		r.keys = map[bool][]any{}
	}
	return nil
}

func (r *Runner) recordKeys(fit bool) []any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keys[fit]
}

// exec returns the compiled-chunk executor; graphs are built per input shape and cached.
func (r *Runner) exec(fit bool) *graph.Exec {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.execs[fit]; ok {
		return e
	}
	vars := slices.Clone(r.tree.Vars)
	states := r.tree.States()
	mons := slices.Clone(r.mons)
	e := graph.MustNewExec(r.backend, func(g *graph.Graph, ins []*graph.Node) []*graph.Node {
		values := bindInputs(vars, ins)
		ctx := newContext(g, r.dtype, r.dt, fit, values)
		ctx.tree = r.tree
		ys, monNodes, recKeys, recNodes := unroll(ctx, r.model, ins[len(vars)], mons, true)
		outs := []*graph.Node{ys}
		for _, v := range states {
			outs = append(outs, ctx.values[v])
		}
		outs = append(outs, monNodes...)
		outs = append(outs, recNodes...)
		r.mu.Lock()
		r.keys[fit] = recKeys
		r.mu.Unlock()
		return outs
	})
	e.SetMaxCache(-1)
	r.execs[fit] = e
	return e
}

// TimeSlice copies steps [start, start+k) of a row-major, batch-first (B, T, ...) array:
// the result is the row-major data of a (B, k, ...) array.
func TimeSlice(data []float64, dims []int, start, k int) []float64 {
	b, t := dims[0], dims[1]
	inner := 1
	for _, d := range dims[2:] {
		inner *= d
	}
	out := make([]float64, 0, b*k*inner)
	for i := range b {
		base := (i*t + start) * inner
		out = append(out, data[base:base+k*inner]...)
	}
	return out
}

// concatTime joins (B, K_i, ...) tensors along axis 1 on the host.
func concatTime(parts []*tensors.Tensor) (*tensors.Tensor, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("no time steps")
	}
	d0 := parts[0].Shape().Dimensions
	b := d0[0]
	inner := 1
	for _, d := range d0[2:] {
		inner *= d
	}
	total := 0
	flats := make([][]float64, len(parts))
	for i, p := range parts {
		total += p.Shape().Dimensions[1]
		flats[i] = ToFloat64s(p)
	}
	out := make([]float64, 0, b*total*inner)
	for bi := range b {
		for i, p := range parts {
			k := p.Shape().Dimensions[1]
			out = append(out, flats[i][bi*k*inner:(bi+1)*k*inner]...)
		}
	}
	return FromFloat64s(parts[0].DType(), out, append([]int{b, total}, d0[2:]...)...)
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

// joinMonitor joins a monitor's chunks along time (axis 1, or axis 0 for per-step scalars).
func joinMonitor(parts []*tensors.Tensor) (*tensors.Tensor, error) {
	if len(parts) == 1 {
		return parts[0], nil
	}
	if parts[0].Rank() >= 2 {
		return concatTime(parts)
	}
	var all []float64
	for _, p := range parts {
		all = append(all, ToFloat64s(p)...)
	}
	return FromFloat64s(parts[0].DType(), all, len(all))
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
		if v.value == nil {
			return fmt.Errorf("variable %q has no value", v.name)
		}
		if vdt := v.value.DType(); vdt.IsFloat() && vdt != dt {
			return fmt.Errorf("variable %q is %s but the runtime float type is %s: call bpgo.EnableX64() (or not) before building the model, consistently", v.name, vdt, dt)
		}
	}
	return nil
}
