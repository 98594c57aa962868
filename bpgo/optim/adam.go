package optim

import (
	"fmt"
	"math"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// AdamOptions configures NewAdam. Zero fields take BrainPy's defaults; set a field to [Zero]
// for the value 0 where 0 would mean the default.
type AdamOptions struct {
	// LR is the learning-rate schedule (required). BrainPy's BPTT default is
	// Must(ExponentialDecay(0.025, 1, 0.99975)).
	LR Schedule
	// Beta1 is the first-moment decay rate in [0, 1); default 0.9.
	Beta1 float64
	// Beta2 is the second-moment decay rate in [0, 1); default 0.999.
	Beta2 float64
	// Eps is added to sqrt(v) (outside the square root); default 1e-8. The 2.4.3 quickstart RNN
	// uses 0.1.
	Eps float64
	// WeightDecay wd in [0, 1]: p = (1-wd)*p - update. Default 0 (none).
	WeightDecay float64
	// Textbook selects BrainPy 2.1.12's Adam: the bias-correction exponent is the number of
	// updates so far + 1 instead of the schedule's last_epoch + 2 (see the package doc).
	Textbook bool
	// Clip clips the gradients before the update.
	Clip Clip
}

// Adam is BrainPy's Adam optimizer (bp.optim.Adam of 2.4.3, or of 2.1.12 with Textbook). Its
// slots are m and v per parameter.
type Adam struct {
	*core
	beta1, beta2, eps float64
	textbook          bool
}

var (
	_ bpgo.Optimizer    = (*Adam)(nil)
	_ bpgo.EpochStepper = (*Adam)(nil)
	_ bpgo.Counters     = (*Adam)(nil)
)

// NewAdam validates the options and returns an Adam with no registered variables.
func NewAdam(o AdamOptions) (*Adam, error) {
	const fn = "Adam"
	c, err := newCore(fn, o.LR, o.WeightDecay, o.Clip, "m", "v")
	if err != nil {
		return nil, err
	}
	a := &Adam{core: c, beta1: resolve(o.Beta1, 0.9), beta2: resolve(o.Beta2, 0.999), eps: resolve(o.Eps, 1e-8), textbook: o.Textbook}
	if err := checkUnit(fn, "Beta1", a.beta1); err != nil {
		return nil, err
	}
	if err := checkUnit(fn, "Beta2", a.beta2); err != nil {
		return nil, err
	}
	if err := checkNonNeg(fn, "Eps", a.eps); err != nil {
		return nil, err
	}
	return a, nil
}

// BiasCorrectionStep is the exponent n of the next update's bias correction: the schedule's
// last_epoch + 2 (BrainPy 2.4.3), or Updates()+1 with Textbook.
func (a *Adam) BiasCorrectionStep() int {
	if a.textbook {
		return a.updates + 1
	}
	return a.lr.LastEpoch() + 2
}

// EffectiveLR is the step size of the next update, lr() * sqrt(1-beta2^n) / (1-beta1^n) with
// n = BiasCorrectionStep().
func (a *Adam) EffectiveLR() float64 {
	n := float64(a.BiasCorrectionStep())
	lr := a.lr.Value()
	lr /= 1 - math.Pow(a.beta1, n)
	lr *= math.Sqrt(1 - math.Pow(a.beta2, n))
	return lr
}

// Hyper returns [EffectiveLR()].
func (a *Adam) Hyper() []float64 { return []float64{a.EffectiveLR()} }

// UpdateGraph builds one Adam update: m = b1*m + (1-b1)*g, v = b2*v + (1-b2)*g²,
// p = p - lr_t*m/(sqrt(v)+eps) (or (1-wd)*p - ...), after clipping g. Slots are [m0, v0, m1,
// v1, ...].
func (a *Adam) UpdateGraph(hyper, params, grads, slots []*graph.Node) (newParams, newSlots []*graph.Node) {
	a.checkSlots(params, slots)
	lrs, gs := a.prepare(hyper[0], params, grads)
	newParams = make([]*graph.Node, len(params))
	newSlots = make([]*graph.Node, len(slots))
	for i, p := range params {
		g := gs[i]
		m := graph.Add(graph.MulScalar(slots[2*i], a.beta1), graph.MulScalar(g, 1-a.beta1))
		v := graph.Add(graph.MulScalar(slots[2*i+1], a.beta2), graph.MulScalar(graph.Mul(g, g), 1-a.beta2))
		update := graph.Div(graph.Mul(lrs[i], m), graph.AddScalar(graph.Sqrt(v), a.eps))
		newParams[i] = a.decayed(p, update)
		newSlots[2*i], newSlots[2*i+1] = m, v
	}
	return newParams, newSlots
}

// Update applies one update with the given gradients (one per registered variable) and
// advances the counters, via bpgo.ApplyGradients; for hand-written training loops.
func (a *Adam) Update(grads bpgo.Grads) error { return bpgo.ApplyGradients(a, grads) }

func (a *Adam) String() string {
	s := fmt.Sprintf("Adam(lr=%s, beta1=%v, beta2=%v, eps=%v", a.lr, a.beta1, a.beta2, a.eps)
	if a.wd != 0 {
		s += fmt.Sprintf(", weight_decay=%v", a.wd)
	}
	if a.textbook {
		s += ", textbook=true"
	}
	return s + ")"
}
