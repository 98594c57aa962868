package optim

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// RMSPropOptions configures NewRMSProp. Every field is used as given; start from
// RMSPropDefaults() for BrainPy's defaults.
type RMSPropOptions struct {
	// Rho is the decay rate of the squared-gradient average, in (0, 1); BrainPy's default 0.9.
	Rho float64
	// Eps is added inside the square root, > 0 (0 would divide 0 by 0 where g = 0); BrainPy's
	// default (epsilon) 1e-6.
	Eps float64
	// WeightDecay wd in [0, 1]: p = (1-wd)*p - update; 0 (BrainPy's default) is none.
	WeightDecay float64
	// Clip clips the gradients before the update; the zero Clip clips nothing.
	Clip Clip
}

// RMSPropDefaults returns BrainPy's defaults: Rho 0.9, Eps 1e-6, no weight decay, no clipping.
func RMSPropDefaults() RMSPropOptions { return RMSPropOptions{Rho: 0.9, Eps: 1e-6} }

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

// NewRMSProp validates lr and the options and returns an RMSProp with no registered variables.
func NewRMSProp(lr Schedule, o RMSPropOptions) (*RMSProp, error) {
	const fn = "NewRMSProp"
	c, err := newCore(fn, "RMSPropOptions", lr, o.WeightDecay, o.Clip, "cache")
	if err != nil {
		return nil, err
	}
	if !(o.Rho > 0 && o.Rho < 1) {
		return nil, fmt.Errorf("optim.%s: RMSPropOptions.Rho: want in (0, 1), got %v (BrainPy's default is 0.9: start from optim.RMSPropDefaults())", fn, o.Rho)
	}
	if !(o.Eps > 0) || !finite(o.Eps) {
		return nil, fmt.Errorf("optim.%s: RMSPropOptions.Eps: want a positive finite number, got %v (BrainPy's default is 1e-6: start from optim.RMSPropDefaults())", fn, o.Eps)
	}
	return &RMSProp{core: c, rho: o.Rho, eps: o.Eps}, nil
}

// Hyper returns [lr()].
func (r *RMSProp) Hyper() []float64 { return []float64{r.LearningRate()} }

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
