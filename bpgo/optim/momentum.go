package optim

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// MomentumOptions configures NewMomentum.
type MomentumOptions struct {
	// LR is the learning-rate schedule (required).
	LR Schedule
	// Momentum in [0, 1); default 0.9 ([Zero] for 0).
	Momentum float64
	// WeightDecay wd in [0, 1]: p = (1-wd)*p + v. Default 0 (none).
	WeightDecay float64
	// Clip clips the gradients before the update.
	Clip Clip
}

// Momentum is BrainPy's bp.optim.Momentum: v = momentum*v - lr*g; p = p + v (or
// (1-wd)*p + v). Its slot is v per parameter.
type Momentum struct {
	*core
	momentum float64
}

var (
	_ bpgo.Optimizer    = (*Momentum)(nil)
	_ bpgo.EpochStepper = (*Momentum)(nil)
	_ bpgo.Counters     = (*Momentum)(nil)
)

// NewMomentum validates the options and returns a Momentum with no registered variables.
func NewMomentum(o MomentumOptions) (*Momentum, error) {
	const fn = "Momentum"
	c, err := newCore(fn, o.LR, o.WeightDecay, o.Clip, "v")
	if err != nil {
		return nil, err
	}
	m := &Momentum{core: c, momentum: resolve(o.Momentum, 0.9)}
	if err := checkUnit(fn, "Momentum", m.momentum); err != nil {
		return nil, err
	}
	return m, nil
}

// Hyper returns [lr()].
func (m *Momentum) Hyper() []float64 { return []float64{m.lr.Value()} }

// UpdateGraph builds v = momentum*v - lr*g; p = p + v (or (1-wd)*p + v) after clipping g.
func (m *Momentum) UpdateGraph(hyper, params, grads, slots []*graph.Node) (newParams, newSlots []*graph.Node) {
	m.checkSlots(params, slots)
	lrs, gs := m.prepare(hyper[0], params, grads)
	newParams = make([]*graph.Node, len(params))
	newSlots = make([]*graph.Node, len(slots))
	for i, p := range params {
		v := graph.Sub(graph.MulScalar(slots[i], m.momentum), graph.Mul(lrs[i], gs[i]))
		if m.wd != 0 {
			p = graph.MulScalar(p, 1-m.wd)
		}
		newParams[i] = graph.Add(p, v)
		newSlots[i] = v
	}
	return newParams, newSlots
}

// Update applies one update via bpgo.ApplyGradients (see Adam.Update).
func (m *Momentum) Update(grads bpgo.Grads) error { return bpgo.ApplyGradients(m, grads) }

func (m *Momentum) String() string {
	s := fmt.Sprintf("Momentum(lr=%s, momentum=%v", m.lr, m.momentum)
	if m.wd != 0 {
		s += fmt.Sprintf(", weight_decay=%v", m.wd)
	}
	return s + ")"
}
