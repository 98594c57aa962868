package optim

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// RMSPropOptions configures NewRMSProp.
type RMSPropOptions struct {
	// LR is the learning-rate schedule (required).
	LR Schedule
	// Rho is the decay rate of the squared-gradient average, in [0, 1); default 0.9.
	Rho float64
	// Eps is added inside the square root; default 1e-6 (BrainPy's epsilon).
	Eps float64
	// WeightDecay wd in [0, 1]: p = (1-wd)*p - update. Default 0 (none).
	WeightDecay float64
	// Clip clips the gradients before the update.
	Clip Clip
}

// RMSProp is BrainPy's bp.optim.RMSProp: c = rho*c + (1-rho)*g²; p = p - lr*g/sqrt(c+eps)
// (eps inside the square root). Its slot is c per parameter.
type RMSProp struct {
	*core
	rho, eps float64
}

var (
	_ bpgo.Optimizer    = (*RMSProp)(nil)
	_ bpgo.EpochStepper = (*RMSProp)(nil)
	_ bpgo.Counters     = (*RMSProp)(nil)
)

// NewRMSProp validates the options and returns an RMSProp with no registered variables.
func NewRMSProp(o RMSPropOptions) (*RMSProp, error) {
	const fn = "RMSProp"
	c, err := newCore(fn, o.LR, o.WeightDecay, o.Clip, "cache")
	if err != nil {
		return nil, err
	}
	r := &RMSProp{core: c, rho: resolve(o.Rho, 0.9), eps: resolve(o.Eps, 1e-6)}
	if err := checkUnit(fn, "Rho", r.rho); err != nil {
		return nil, err
	}
	if err := checkNonNeg(fn, "Eps", r.eps); err != nil {
		return nil, err
	}
	return r, nil
}

// Hyper returns [lr()].
func (r *RMSProp) Hyper() []float64 { return []float64{r.lr.Value()} }

// UpdateGraph builds c = rho*c + (1-rho)*g²; p = p - lr*g/sqrt(c+eps) (or (1-wd)*p - ...)
// after clipping g.
func (r *RMSProp) UpdateGraph(hyper, params, grads, slots []*graph.Node) (newParams, newSlots []*graph.Node) {
	r.checkSlots(params, slots)
	lrs, gs := r.prepare(hyper[0], params, grads)
	newParams = make([]*graph.Node, len(params))
	newSlots = make([]*graph.Node, len(slots))
	for i, p := range params {
		g := gs[i]
		c := graph.Add(graph.MulScalar(slots[i], r.rho), graph.MulScalar(graph.Mul(g, g), 1-r.rho))
		update := graph.Div(graph.Mul(lrs[i], g), graph.Sqrt(graph.AddScalar(c, r.eps)))
		newParams[i] = r.decayed(p, update)
		newSlots[i] = c
	}
	return newParams, newSlots
}

// Update applies one update via bpgo.ApplyGradients (see Adam.Update).
func (r *RMSProp) Update(grads bpgo.Grads) error { return bpgo.ApplyGradients(r, grads) }

func (r *RMSProp) String() string {
	s := fmt.Sprintf("RMSProp(lr=%s, epsilon=%v, rho=%v", r.lr, r.eps, r.rho)
	if r.wd != 0 {
		s += fmt.Sprintf(", weight_decay=%v", r.wd)
	}
	return s + ")"
}
