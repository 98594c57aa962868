package optim

import (
	"fmt"
	"math"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// AdamOptions configures NewAdam. Every field is used as given (0 means 0); start from
// AdamDefaults() for BrainPy's defaults.
type AdamOptions struct {
	// Beta1 is the first-moment decay rate in [0, 1); BrainPy's default 0.9.
	Beta1 float64
	// Beta2 is the second-moment decay rate in [0, 1); BrainPy's default 0.999.
	Beta2 float64
	// Eps is added to sqrt(v) (outside the square root), >= 0; BrainPy's default 1e-8. The
	// 2.4.3 quickstart RNN uses 0.1.
	Eps float64
	// WeightDecay wd in [0, 1]: p = (1-wd)*p - update; 0 (BrainPy's default) is none.
	WeightDecay float64
	// Textbook selects BrainPy 2.1.12's Adam: the bias-correction exponent is the number of
	// updates so far + 1 instead of last_epoch + 2 (see the package doc).
	Textbook bool
	// Clip clips the gradients before the update; the zero Clip clips nothing.
	Clip Clip
}

// AdamDefaults returns BrainPy's defaults: Beta1 0.9, Beta2 0.999, Eps 1e-8, no weight decay,
// no clipping, BrainPy 2.4.3's bias correction.
func AdamDefaults() AdamOptions { return AdamOptions{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

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

// NewAdam validates lr and the options and returns an Adam with no registered variables:
//
//	o := optim.AdamDefaults()
//	o.Eps = 0.1
//	opt, err := optim.NewAdam(optim.ExponentialDecay{LR: 0.025, DecaySteps: 1, DecayRate: 0.99975}, o)
func NewAdam(lr Schedule, o AdamOptions) (*Adam, error) {
	const fn = "NewAdam"
	c, err := newCore(fn, "AdamOptions", lr, o.WeightDecay, o.Clip, "m", "v")
	if err != nil {
		return nil, err
	}
	if err := checkUnit(fn, "AdamOptions.Beta1", o.Beta1, 0.9); err != nil {
		return nil, err
	}
	if err := checkUnit(fn, "AdamOptions.Beta2", o.Beta2, 0.999); err != nil {
		return nil, err
	}
	if o.Beta2 == 0 {
		// v = g², so the update is lr_t·m/(|g|+eps) with lr_t divided by 1-beta2^n = 1: a
		// legal but almost never intended setting, hence the error that says where 0 came from.
		return nil, fmt.Errorf("optim.%s: AdamOptions.Beta2: want in (0, 1), got 0 (BrainPy's default is 0.999: start from optim.AdamDefaults())", fn)
	}
	if err := checkNonNeg(fn, "AdamOptions.Eps", o.Eps, 1e-8); err != nil {
		return nil, err
	}
	return &Adam{core: c, beta1: o.Beta1, beta2: o.Beta2, eps: o.Eps, textbook: o.Textbook}, nil
}

// BiasCorrectionStep is the exponent n of the next update's bias correction: last_epoch + 2 (BrainPy 2.4.3), or Updates()+1 with Textbook.
func (a *Adam) BiasCorrectionStep() int {
	if a.textbook {
		return a.updates + 1
	}
	return a.lastEpoch + 2
}

// EffectiveLR is the step size of the next update, lr() * sqrt(1-beta2^n) / (1-beta1^n) with
// n = BiasCorrectionStep().
func (a *Adam) EffectiveLR() float64 {
	n := float64(a.BiasCorrectionStep())
	lr := a.LearningRate()
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
