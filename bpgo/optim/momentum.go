package optim

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// MomentumOptions configures NewMomentum. Every field is used as given (0 means 0); start
// from MomentumDefaults() for BrainPy's defaults.
type MomentumOptions struct {
	// Momentum in [0, 1); BrainPy's default 0.9 (0 is plain SGD).
	Momentum float64
	// WeightDecay wd in [0, 1]: p = (1-wd)*p + v; 0 (BrainPy's default) is none.
	WeightDecay float64
	// Clip clips the gradients before the update; the zero Clip clips nothing.
	Clip Clip
}

// MomentumDefaults returns BrainPy's defaults: Momentum 0.9, no weight decay, no clipping.
func MomentumDefaults() MomentumOptions { return MomentumOptions{Momentum: 0.9} }

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

// NewMomentum validates lr and the options and returns a Momentum with no registered
// variables.
func NewMomentum(lr Schedule, o MomentumOptions) (*Momentum, error) {
	const fn = "NewMomentum"
	c, err := newCore(fn, "MomentumOptions", lr, o.WeightDecay, o.Clip, "v")
	if err != nil {
		return nil, err
	}
	if err := checkUnit(fn, "MomentumOptions.Momentum", o.Momentum, 0.9); err != nil {
		return nil, err
	}
	return &Momentum{core: c, momentum: o.Momentum}, nil
}

// Hyper returns [lr()].
func (m *Momentum) Hyper() []float64 { return []float64{m.LearningRate()} }

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
