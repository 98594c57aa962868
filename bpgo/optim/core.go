package optim

import (
	"fmt"
	"slices"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// core is what every optimizer shares: the schedule, the registered parameters and their
// slots, the counters, weight decay and clipping.
type core struct {
	name   string   // "Adam", ...
	kinds  []string // slot kinds per parameter, e.g. {"m", "v"}
	lr     Schedule
	wd     float64
	clip   Clip
	params []*bpgo.Variable
	slots  []*bpgo.Variable // len(kinds) per parameter, parameter-major
	index  map[*bpgo.Variable]bool
	dtype  dtypes.DType

	// BrainPy's scheduler counters (both -1 before the first step) and the update count.
	lastEpoch, lastCall int
	updates             int
	advanced            bool
}

// Register adds trainable parameters (BrainPy's register_train_vars) and creates their slots,
// zero tensors of the parameter's shape and dtype. Every variable must be a trainable
// parameter with a Float32 or Float64 value, all of one dtype, none registered before.
// Register is all-or-nothing: on error nothing is added. It must be called before the first
// update (the compiled update has a fixed number of inputs).
func (c *core) Register(params []*bpgo.Variable) error {
	fn := "optim." + c.name + ".Register"
	if c.advanced {
		return fmt.Errorf("%s: cannot register variables after the first update (the compiled update has a fixed number of inputs); register all variables first", fn)
	}
	dt := c.dtype
	seen := map[*bpgo.Variable]bool{}
	for i, v := range params {
		switch {
		case v == nil:
			return fmt.Errorf("%s: variable #%d is nil", fn, i)
		case v.Kind != bpgo.Param || !v.Trainable:
			return fmt.Errorf("%s: variable #%d %s is not a trainable parameter (kind %s, trainable %v)", fn, i, label(v), v.Kind, v.Trainable)
		case v.Value() == nil:
			return fmt.Errorf("%s: variable #%d %s has no value", fn, i, label(v))
		case c.index[v] || seen[v]:
			return fmt.Errorf("%s: variable #%d %s is already registered", fn, i, label(v))
		}
		seen[v] = true
		vdt := v.Value().DType()
		if vdt != dtypes.Float32 && vdt != dtypes.Float64 {
			return fmt.Errorf("%s: variable #%d %s has dtype %s; only Float32 and Float64 are supported", fn, i, label(v), vdt)
		}
		if dt == dtypes.InvalidDType {
			dt = vdt
		} else if vdt != dt {
			return fmt.Errorf("%s: variable #%d %s has dtype %s but the optimizer's variables are %s; all must share one dtype", fn, i, label(v), vdt, dt)
		}
	}
	for _, v := range params {
		c.index[v] = true
		c.params = append(c.params, v)
		for range c.kinds {
			c.slots = append(c.slots, bpgo.NewState(tensors.FromShape(v.Shape()), -1))
		}
	}
	c.dtype = dt
	return nil
}

// label names a variable in errors.
func label(v *bpgo.Variable) string {
	if v.Name() == "" {
		return "(unnamed)"
	}
	return fmt.Sprintf("%q", v.Name())
}

// Params are the registered variables, in registration order.
func (c *core) Params() []*bpgo.Variable { return slices.Clone(c.params) }

// Slots are the optimizer's state variables: for each parameter in order, one per slot kind
// (see SlotNames).
func (c *core) Slots() []*bpgo.Variable { return slices.Clone(c.slots) }

// SlotNames names the slots, in the order of Slots: "<Optimizer>.<slot>/<parameter name>",
// e.g. "Adam.m/o.W"; a parameter without a name (not yet walked) is "#<index>". Names are
// computed from the parameters' current names at each call.
func (c *core) SlotNames() []string {
	names := make([]string, 0, len(c.slots))
	for i, p := range c.params {
		pn := p.Name()
		if pn == "" {
			pn = fmt.Sprintf("#%d", i)
		}
		for _, k := range c.kinds {
			names = append(names, c.name+"."+k+"/"+pn)
		}
	}
	return names
}

// LR is the learning-rate schedule.
func (c *core) LR() Schedule { return c.lr }

// LastEpoch is BrainPy's last_epoch of the schedule: -1 before the first StepEpoch.
func (c *core) LastEpoch() int { return c.lastEpoch }

// LastCall is BrainPy's last_call of the schedule: -1 before the first update.
func (c *core) LastCall() int { return c.lastCall }

// LearningRate is the scheduled learning rate of the next update,
// LR().Rate(LastEpoch()+1, LastCall()+1).
func (c *core) LearningRate() float64 { return c.lr.Rate(c.lastEpoch+1, c.lastCall+1) }

// Updates is the number of updates applied so far (Advance calls).
func (c *core) Updates() int { return c.updates }

// Advance is called once after each applied update: it advances last_call (BrainPy's
// lr.step_call()) and the update count.
func (c *core) Advance() {
	c.lastCall++
	c.updates++
	c.advanced = true
}

// StepEpoch advances last_epoch (BrainPy's lr.step_epoch()); trainers.BPTT calls it after every
// training epoch.
func (c *core) StepEpoch() { c.lastEpoch++ }

// Counters returns {"last_epoch", "last_call", "updates"}.
func (c *core) Counters() map[string]int {
	return map[string]int{CounterLastEpoch: c.lastEpoch, CounterLastCall: c.lastCall, CounterUpdates: c.updates}
}

// SetCounters restores counters saved by Counters; absent keys keep their value. An unknown key
// or a value out of range is an error and changes nothing.
func (c *core) SetCounters(m map[string]int) error {
	for k, v := range m {
		switch k {
		case CounterUpdates:
			if v < 0 {
				return fmt.Errorf("optim.%s.SetCounters: %q: want >= 0, got %d", c.name, k, v)
			}
		case CounterLastEpoch, CounterLastCall:
			if v < -1 {
				return fmt.Errorf("optim.%s.SetCounters: %q: want >= -1, got %d", c.name, k, v)
			}
		default:
			return fmt.Errorf("optim.%s.SetCounters: unknown counter %q (want %q, %q or %q)", c.name, k, CounterLastEpoch, CounterLastCall, CounterUpdates)
		}
	}
	if v, ok := m[CounterLastEpoch]; ok {
		c.lastEpoch = v
	}
	if v, ok := m[CounterLastCall]; ok {
		c.lastCall = v
	}
	if v, ok := m[CounterUpdates]; ok {
		c.updates = v
	}
	return nil
}

// prepare converts the gradients to their parameter's dtype and clips them, and returns the
// scalar hyper-parameter h converted to each parameter's dtype.
func (c *core) prepare(h *graph.Node, params, grads []*graph.Node) (lrs, gs []*graph.Node) {
	if len(params) != len(grads) {
		panic(fmt.Sprintf("optim.%s.UpdateGraph: %d parameters but %d gradients", c.name, len(params), len(grads)))
	}
	gs = make([]*graph.Node, len(grads))
	lrs = make([]*graph.Node, len(params))
	for i, p := range params {
		gs[i] = graph.ConvertDType(grads[i], p.DType())
		lrs[i] = graph.ConvertDType(h, p.DType())
	}
	return lrs, c.clip.Apply(gs)
}

// decayed is p - update, or (1-wd)*p - update with weight decay (BrainPy's form).
func (c *core) decayed(p, update *graph.Node) *graph.Node {
	if c.wd == 0 {
		return graph.Sub(p, update)
	}
	return graph.Sub(graph.MulScalar(p, 1-c.wd), update)
}

// checkSlots panics (UpdateGraph has no error return; bpgo turns the panic into an error)
// when the slot count does not match.
func (c *core) checkSlots(params, slots []*graph.Node) {
	if len(slots) != len(c.kinds)*len(params) {
		panic(fmt.Sprintf("optim.%s.UpdateGraph: got %d slots for %d parameters, want %d", c.name, len(slots), len(params), len(c.kinds)*len(params)))
	}
}
