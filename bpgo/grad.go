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

// GradOptions configure a Grad.
type GradOptions struct {
	// Chunk is the number of steps unrolled into one compiled graph (default DefaultChunk).
	// Sequences of up to Chunk steps run as one graph (forward, loss, backward and the
	// optimizer update fused); longer ones run chunk by chunk with recomputation (see Grad).
	Chunk int
	// Dt is the integration step in ms; 0 means the global Dt() at construction.
	Dt float64
	// Monitors names state variables (or Context.Record keys) handed to the loss through
	// LossContext.Monitor, (B, T, ...), as BrainPy's BPTT passes (outputs, monitors).
	Monitors []string
	// NoReset keeps the model's state from call to call; by default every call first resets
	// the state to the input's batch size, as BrainPy's BPTT does for every batch.
	NoReset bool
	// Params are the variables to differentiate; default: every trainable parameter of the
	// model (BrainPy's train_vars()).
	Params []*Variable
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
// A sequence of up to Chunk steps is one compiled graph. A longer one never becomes a T-step
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
	dt        float64
	dtype     dtypes.DType
	backend   compute.Backend
	monitors  []string
	reset     bool
	userVars  []*Variable
	tree      *Tree
	mons      []monitorRef
	params    []*Variable // differentiated
	allParams []*Variable

	mu      sync.Mutex
	execs   map[any]*graph.Exec
	auxKeys map[any][]string
}

// NewGrad prepares gradients of loss over runs of model.
func NewGrad(model Stepper, loss LossFunc, opts GradOptions) (*Grad, error) {
	if model == nil {
		return nil, fmt.Errorf("bpgo.NewGrad: model is nil")
	}
	if loss == nil {
		return nil, fmt.Errorf("bpgo.NewGrad: loss is nil")
	}
	chunk, stepDt, err := resolveLoop("bpgo.NewGrad: GradOptions", opts.Chunk, opts.Dt)
	if err != nil {
		return nil, err
	}
	opts.Chunk, opts.Dt = chunk, stepDt
	b, err := Backend()
	if err != nil {
		return nil, err
	}
	g := &Grad{model: model, loss: loss, chunk: opts.Chunk, dt: opts.Dt, dtype: FloatDType(), backend: b,
		monitors: slices.Clone(opts.Monitors), reset: !opts.NoReset, userVars: slices.Clone(opts.Params),
		execs: map[any]*graph.Exec{}, auxKeys: map[any][]string{}}
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
	mons, err := resolveMonitors(tree, g.monitors)
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
			case !v.value.DType().IsFloat():
				return fmt.Errorf("GradOptions.Params: %q has dtype %s, want a float type", v.name, v.value.DType())
			}
		}
		params = g.userVars
	}
	if len(params) == 0 {
		return fmt.Errorf("the model has no trainable parameters: build its layers in bpgo.TrainingMode (or pass GradOptions.Params)")
	}
	g.tree, g.mons, g.params, g.allParams = tree, mons, params, tree.Params(false)
	for _, e := range g.execs {
		e.Finalize()
	}
	g.execs = map[any]*graph.Exec{}
	g.auxKeys = map[any][]string{}
	return nil
}

// Compute returns the loss and its gradients for one batch: inputs xs (B, T, F), targets ys
// of any shape with the batch first. The model's state afterwards is the state at the end of
// the run.
func (g *Grad) Compute(xs, ys *tensors.Tensor) (*GradResult, error) {
	return g.run(xs, ys, nil, true)
}

// Step is Compute followed by opt's update, fused into the same compiled graph when the
// sequence fits in one chunk. A non-finite loss leaves parameters and optimizer untouched (the
// result reports the loss, so the caller can stop).
func (g *Grad) Step(xs, ys *tensors.Tensor, opt Optimizer) (*GradResult, error) {
	if opt == nil {
		return nil, fmt.Errorf("bpgo.Grad.Step: optimizer is nil")
	}
	if err := g.checkOptimizer(opt); err != nil {
		return nil, err
	}
	return g.run(xs, ys, opt, true)
}

// Evaluate returns the loss (and aux metrics) without gradients.
func (g *Grad) Evaluate(xs, ys *tensors.Tensor) (*GradResult, error) {
	return g.run(xs, ys, nil, false)
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

// CheckBatch validates a batch: xs (B, T, F) of the runtime float type, finite, and ys with the
// same leading batch size.
func (g *Grad) CheckBatch(xs, ys *tensors.Tensor) error {
	if err := CheckSequence("xs", xs, g.dtype, -1); err != nil {
		return err
	}
	if err := CheckFinite("xs", xs); err != nil {
		return err
	}
	if ys == nil {
		return fmt.Errorf("ys: targets are nil")
	}
	if ys.Rank() == 0 || ys.Shape().Dimensions[0] != xs.Shape().Dimensions[0] {
		return fmt.Errorf("ys: targets have shape %s but xs has batch size %d: ys must be batch-first with the same batch size", ys.Shape(), xs.Shape().Dimensions[0])
	}
	if ys.DType().IsFloat() {
		if err := CheckFinite("ys", ys); err != nil {
			return err
		}
	}
	return nil
}

func (g *Grad) run(xs, ys *tensors.Tensor, opt Optimizer, withGrad bool) (*GradResult, error) {
	if err := g.CheckBatch(xs, ys); err != nil {
		return nil, err
	}
	batch, steps := xs.Shape().Dimensions[0], xs.Shape().Dimensions[1]
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
	if steps <= g.chunk {
		return g.runFused(xs, ys, opt, withGrad)
	}
	return g.runChunked(xs, ys, opt, withGrad)
}

// fusedKey identifies a fused graph: gradients or not, and which optimizer it applies.
type fusedKey struct {
	grad bool
	opt  Optimizer
}

func (g *Grad) runFused(xs, ys *tensors.Tensor, opt Optimizer, withGrad bool) (*GradResult, error) {
	key := fusedKey{withGrad, opt}
	vars := g.tree.Vars
	args := make([]any, 0, len(vars)+8)
	for _, v := range vars {
		args = append(args, v.value)
	}
	args = append(args, xs, ys)
	var slots []*Variable
	if opt != nil {
		slots = opt.Slots()
		h, err := hyperTensor(opt, g.params)
		if err != nil {
			return nil, err
		}
		args = append(args, h)
		for _, s := range slots {
			args = append(args, s.value)
		}
	}
	e := g.fusedExec(key, len(slots))
	res, err := callExec(e, args)
	if err != nil {
		return nil, err
	}
	out, rest := g.decodeLoss(key, res)
	states := g.tree.States()
	switch {
	case opt != nil:
		if math.IsNaN(out.Loss) || math.IsInf(out.Loss, 0) {
			return out, nil // the graph kept parameters and slots; states stay as they were
		}
		for i, p := range g.params {
			p.value = rest[i]
		}
		rest = rest[len(g.params):]
		for i, s := range slots {
			s.value = rest[i]
		}
		rest = rest[len(slots):]
		opt.Advance()
	case withGrad:
		out.Grads = Grads{}
		for i, p := range g.params {
			out.Grads[p] = rest[i]
		}
		rest = rest[len(g.params):]
	}
	for i, s := range states {
		s.value = rest[i]
	}
	return out, nil
}

// decodeLoss reads [loss, aux...] off the front of a result.
func (g *Grad) decodeLoss(key any, res []*tensors.Tensor) (*GradResult, []*tensors.Tensor) {
	g.mu.Lock()
	keys := g.auxKeys[key]
	g.mu.Unlock()
	out := &GradResult{Loss: ToFloat64s(res[0])[0], Aux: map[string]float64{}, AuxNames: keys}
	for i, k := range keys {
		out.Aux[k] = ToFloat64s(res[1+i])[0]
	}
	return out, res[1+len(keys):]
}

// lossNodes builds the loss on outputs and monitors and returns [loss, aux...].
func (g *Grad) lossNodes(key any, gr *graph.Graph, params map[*Variable]*graph.Node, outputs *graph.Node, mons []*graph.Node, targets *graph.Node) (*graph.Node, []*graph.Node) {
	monMap := make(map[string]*graph.Node, len(mons))
	for i, m := range g.mons {
		monMap[m.name] = mons[i]
	}
	lc := newLossContext(gr, g.dtype, params, g.params, monMap)
	loss := callLoss(g.loss, lc, outputs, targets)
	keys := lc.auxKeys()
	aux := make([]*graph.Node, len(keys))
	for i, k := range keys {
		aux[i] = lc.aux[k]
	}
	g.mu.Lock()
	g.auxKeys[key] = keys
	g.mu.Unlock()
	return loss, aux
}

func (g *Grad) fusedExec(key fusedKey, nSlots int) *graph.Exec {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e, ok := g.execs[key]; ok {
		return e
	}
	vars, states, params, allParams := slices.Clone(g.tree.Vars), g.tree.States(), slices.Clone(g.params), slices.Clone(g.allParams)
	mons, tree := slices.Clone(g.mons), g.tree
	e := graph.MustNewExec(g.backend, func(gr *graph.Graph, ins []*graph.Node) []*graph.Node {
		values := bindInputs(vars, ins)
		pvals := make(map[*Variable]*graph.Node, len(allParams))
		for _, p := range allParams {
			pvals[p] = values[p]
		}
		xs, targets := ins[len(vars)], ins[len(vars)+1]
		ctx := newContext(gr, g.dtype, g.dt, false, values)
		ctx.tree = tree
		ys, monNodes, _, _ := unroll(ctx, g.model, xs, mons, false)
		loss, aux := g.lossNodes(key, gr, pvals, ys, monNodes, targets)
		outs := append([]*graph.Node{loss}, aux...)
		if key.grad {
			pnodes := make([]*graph.Node, len(params))
			for i, p := range params {
				pnodes[i] = pvals[p]
			}
			grads := graph.Gradient(loss, pnodes...)
			if key.opt != nil {
				rest := ins[len(vars)+2:]
				hyper := splitHyper(rest[0], len(key.opt.Hyper()))
				slots := rest[1 : 1+nSlots]
				newP, newS := key.opt.UpdateGraph(hyper, pnodes, grads, slots)
				// A non-finite loss must not reach the parameters: keep the old values.
				ok := graph.IsFinite(loss)
				for i := range newP {
					newP[i] = graph.Where(ok, newP[i], pnodes[i])
				}
				for i := range newS {
					newS[i] = graph.Where(ok, newS[i], slots[i])
				}
				outs = append(outs, newP...)
				outs = append(outs, newS...)
			} else {
				outs = append(outs, grads...)
			}
		}
		for _, s := range states {
			outs = append(outs, ctx.values[s])
		}
		return outs
	})
	e.SetMaxCache(-1)
	g.execs[key] = e
	return e
}
