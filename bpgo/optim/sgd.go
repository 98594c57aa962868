package optim

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// SGDOptions configures NewSGD; the zero value (BrainPy's defaults, also SGDDefaults()) is
// plain SGD.
type SGDOptions struct {
	// WeightDecay wd in [0, 1]: p = (1-wd)*p - lr*g; 0 (BrainPy's default) is none.
	WeightDecay float64
	// Clip clips the gradients before the update; the zero Clip clips nothing.
	Clip Clip
}

// SGDDefaults returns BrainPy's defaults: no weight decay, no clipping (the zero SGDOptions).
func SGDDefaults() SGDOptions { return SGDOptions{} }

// SGD is plain gradient descent, p = p - lr*g (BrainPy's bp.optim.SGD). It has no slots.
type SGD struct {
	*core
}

var (
	_ bpgo.Optimizer    = (*SGD)(nil)
	_ bpgo.EpochStepper = (*SGD)(nil)
	_ bpgo.Counters     = (*SGD)(nil)
)

// NewSGD validates lr and the options and returns an SGD with no registered variables.
func NewSGD(lr Schedule, o SGDOptions) (*SGD, error) {
	c, err := newCore("NewSGD", "SGDOptions", lr, o.WeightDecay, o.Clip)
	if err != nil {
		return nil, err
	}
	return &SGD{core: c}, nil
}

// Hyper returns [lr()].
func (s *SGD) Hyper() []float64 { return []float64{s.LearningRate()} }

// UpdateGraph builds p = p - lr*g (or (1-wd)*p - lr*g) after clipping g.
func (s *SGD) UpdateGraph(hyper, params, grads, slots []*graph.Node) (newParams, newSlots []*graph.Node) {
	s.checkSlots(params, slots)
	lrs, gs := s.prepare(hyper[0], params, grads)
	newParams = make([]*graph.Node, len(params))
	for i, p := range params {
		newParams[i] = s.decayed(p, graph.Mul(lrs[i], gs[i]))
	}
	return newParams, nil
}

// Update applies one update via bpgo.ApplyGradients (see Adam.Update).
func (s *SGD) Update(grads bpgo.Grads) error { return bpgo.ApplyGradients(s, grads) }

func (s *SGD) String() string {
	if s.wd != 0 {
		return fmt.Sprintf("SGD(lr=%s, weight_decay=%v)", s.lr, s.wd)
	}
	return fmt.Sprintf("SGD(lr=%s)", s.lr)
}
