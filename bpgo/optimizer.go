package bpgo

import (
	"fmt"
	"sync"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Grads maps each trainable variable to its gradient (same shape and dtype).
type Grads map[*Variable]*tensors.Tensor

// Optimizer updates trainable parameters from their gradients. The implementations (Adam, SGD,
// ...) live in bpgo/optim; the engine needs only this contract, so that a training step can
// run forward, backward and update in one compiled graph.
//
// Host-side bookkeeping (schedules, step and epoch counters) stays in Go: Hyper evaluates the
// scalars of the next update on the host and the graph receives them as inputs, so changing the
// learning rate never recompiles anything.
type Optimizer interface {
	// Register adds the variables the optimizer updates (BrainPy's register_train_vars) and
	// creates their slots. Registering a variable twice is an error.
	Register(params []*Variable) error
	// Params are the registered variables, in registration order.
	Params() []*Variable
	// Slots are the optimizer's own state variables (moments, velocities, ...), in a fixed
	// order; they are saved and restored with the model.
	Slots() []*Variable
	// Hyper returns the host scalars of the next update (learning rate, bias-correction
	// factors, ...) without advancing any counter.
	Hyper() []float64
	// UpdateGraph builds one update. hyper holds Hyper() as scalar nodes of the parameters'
	// dtype; params, grads and slots follow the order of Params and Slots. It returns the new
	// parameters and slots in the same order.
	UpdateGraph(hyper, params, grads, slots []*graph.Node) (newParams, newSlots []*graph.Node)
	// Advance is called once after each applied update (BrainPy's lr.step_call()).
	Advance()
}

// EpochStepper is implemented by optimizers whose schedule counts epochs; trainers.BPTT calls
// StepEpoch after each training epoch, like BrainPy's BPTT.fit (this also drives BrainPy's Adam
// bias correction, see bpgo/optim).
type EpochStepper interface {
	StepEpoch()
}

// Counters is implemented by optimizers with host counters that must survive a save and load
// (schedule call and epoch counters).
type Counters interface {
	Counters() map[string]int
	SetCounters(map[string]int) error
}

// applyKey identifies a compiled update: the optimizer and its input counts (which change if
// variables are registered after an update).
type applyKey struct {
	opt        Optimizer
	np, ns, nh int
}

// applyCache keeps the compiled update graphs.
var applyCache sync.Map // applyKey -> *graph.Exec

// ApplyGradients applies one update of opt with the given gradients, one per registered
// parameter, then advances the optimizer's counters. It is what optim's Update methods call in
// hand-written training loops.
func ApplyGradients(opt Optimizer, grads Grads) error {
	params := opt.Params()
	if len(params) == 0 {
		return fmt.Errorf("bpgo.ApplyGradients: the optimizer has no registered variables (call Register)")
	}
	if len(grads) != len(params) {
		return fmt.Errorf("bpgo.ApplyGradients: grads has %d entries but the optimizer updates %d variables", len(grads), len(params))
	}
	slots := opt.Slots()
	args := make([]any, 0, 2*len(params)+len(slots)+1)
	for _, p := range params {
		args = append(args, p.get())
	}
	for _, p := range params {
		g, ok := grads[p]
		if !ok || g == nil {
			return fmt.Errorf("bpgo.ApplyGradients: grads has no gradient for %q", p.name)
		}
		if !g.Shape().Equal(p.Shape()) {
			return fmt.Errorf("bpgo.ApplyGradients: gradient of %q has shape %s, want %s", p.name, g.Shape(), p.Shape())
		}
		args = append(args, g)
	}
	for _, s := range slots {
		args = append(args, s.get())
	}
	hyper, err := hyperTensor(opt, params)
	if err != nil {
		return err
	}
	args = append(args, hyper)
	e, err := applyExec(opt, len(params), len(slots))
	if err != nil {
		return err
	}
	res, err := callExec(e, args)
	if err != nil {
		return fmt.Errorf("bpgo.ApplyGradients: %w", err)
	}
	for i, p := range params {
		p.put(res[i])
	}
	for i, s := range slots {
		s.put(res[len(params)+i])
	}
	opt.Advance()
	return nil
}

// hyperTensor packs Hyper() into a 1-D tensor of the parameters' dtype.
func hyperTensor(opt Optimizer, params []*Variable) (*tensors.Tensor, error) {
	h := opt.Hyper()
	dt := params[0].Shape().DType
	if len(h) == 0 {
		h = []float64{0}
	}
	return FromFloat64s(dt, h, len(h))
}

// splitHyper turns the packed hyper vector back into scalar nodes.
func splitHyper(h *graph.Node, n int) []*graph.Node {
	out := make([]*graph.Node, n)
	for i := range n {
		out[i] = graph.Reshape(graph.Slice(h, graph.AxisElem(i)))
	}
	return out
}

func applyExec(opt Optimizer, np, ns int) (*graph.Exec, error) {
	nh := len(opt.Hyper())
	key := applyKey{opt, np, ns, nh}
	if e, ok := applyCache.Load(key); ok {
		return e.(*graph.Exec), nil
	}
	b, err := Backend()
	if err != nil {
		return nil, err
	}
	e, err := graph.NewExec(b, func(ins []*graph.Node) []*graph.Node {
		params, grads, slots := ins[:np], ins[np:2*np], ins[2*np:2*np+ns]
		hyper := splitHyper(ins[2*np+ns], nh)
		newP, newS := opt.UpdateGraph(hyper, params, grads, slots)
		return append(append([]*graph.Node{}, newP...), newS...)
	})
	if err != nil {
		return nil, err
	}
	e.SetMaxCache(-1)
	applyCache.Store(key, e)
	return e, nil
}
