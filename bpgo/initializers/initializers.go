package initializers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/tensors"
)

// Initializer fills a tensor of the given dimensions with row-major values.
type Initializer interface {
	Init(rng *rand.Rand, dims ...int) ([]float64, error)
}

// New draws a tensor of the current float type (bpgo.FloatDType) from init, with a generator
// derived from the global seed (bpgo.NewRNG).
func New(init Initializer, dims ...int) (*tensors.Tensor, error) {
	return NewWithRNG(init, bpgo.NewRNG(), dims...)
}

// NewWithRNG is New with an explicit generator.
func NewWithRNG(init Initializer, rng *rand.Rand, dims ...int) (*tensors.Tensor, error) {
	if init == nil {
		return nil, fmt.Errorf("initializers.New: initializer is nil")
	}
	for _, d := range dims {
		if d < 1 {
			return nil, fmt.Errorf("initializers.New: dimensions must be >= 1, got %v", dims)
		}
	}
	vals, err := init.Init(rng, dims...)
	if err != nil {
		return nil, err
	}
	return bpgo.FromFloat64s(bpgo.FloatDType(), vals, dims...)
}

func size(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// Zero fills with zeros (BrainPy's ZeroInit).
type Zero struct{}

// Init implements Initializer.
func (Zero) Init(_ *rand.Rand, dims ...int) ([]float64, error) {
	return make([]float64, size(dims)), nil
}

// Constant fills with Value (BrainPy's Constant / OneInit).
type Constant struct{ Value float64 }

// Init implements Initializer.
func (c Constant) Init(_ *rand.Rand, dims ...int) ([]float64, error) {
	out := make([]float64, size(dims))
	for i := range out {
		out[i] = c.Value
	}
	return out, nil
}

// Normal draws N(Mean, Scale²); Scale 0 means 1 (BrainPy's Normal(mean=0., scale=1.)).
type Normal struct{ Mean, Scale float64 }

// Init implements Initializer.
func (n Normal) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	scale := n.Scale
	if scale == 0 {
		scale = 1
	}
	if !(scale > 0) || math.IsInf(scale, 0) || math.IsNaN(n.Mean) {
		return nil, fmt.Errorf("initializers.Normal: Scale must be a positive finite number and Mean finite, got %+v", n)
	}
	out := make([]float64, size(dims))
	for i := range out {
		out[i] = n.Mean + scale*rng.NormFloat64()
	}
	return out, nil
}

// Uniform draws U[Min, Max); both zero means U[0, 1) (BrainPy's Uniform(0., 1.)).
type Uniform struct{ Min, Max float64 }

// Init implements Initializer.
func (u Uniform) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	lo, hi := u.Min, u.Max
	if lo == 0 && hi == 0 {
		hi = 1
	}
	if !(hi > lo) {
		return nil, fmt.Errorf("initializers.Uniform: Max (%v) must be greater than Min (%v)", hi, lo)
	}
	out := make([]float64, size(dims))
	for i := range out {
		out[i] = lo + (hi-lo)*rng.Float64()
	}
	return out, nil
}

// FanMode selects the denominator of variance scaling.
type FanMode string

// Distribution selects how variance-scaled values are drawn.
type Distribution string

const (
	FanIn  FanMode = "fan_in"
	FanOut FanMode = "fan_out"
	FanAvg FanMode = "fan_avg"

	// TruncatedNormalDist is a normal truncated to ±2σ and rescaled to the wanted std
	// (BrainPy's 'truncated_normal'). The TruncatedNormal type is a different thing: an
	// initializer with explicit bounds.
	TruncatedNormalDist Distribution = "truncated_normal"
	NormalDist          Distribution = "normal"
	UniformDist         Distribution = "uniform"
)

// truncStd is the standard deviation of N(0, 1) truncated to [-2, 2].
const truncStd = 0.87962566103423978

// VarianceScaling is BrainPy's VarianceScaling: variance = Scale / denominator(Mode).
type VarianceScaling struct {
	Scale        float64
	Mode         FanMode
	Distribution Distribution
}

// Fans returns (fan_in, fan_out) of a weight shape as BrainPy computes them.
func Fans(dims []int) (fanIn, fanOut float64, err error) {
	if len(dims) < 2 {
		return 0, 0, fmt.Errorf("fan-based initializers need a weight of rank >= 2, got shape %v", dims)
	}
	n := len(dims)
	receptive := float64(size(dims)) / float64(dims[n-2]) / float64(dims[n-1])
	return float64(dims[n-2]) * receptive, float64(dims[n-1]) * receptive, nil
}

// Init implements Initializer.
func (v VarianceScaling) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	if !(v.Scale > 0) {
		return nil, fmt.Errorf("initializers.VarianceScaling: Scale must be > 0, got %v", v.Scale)
	}
	fanIn, fanOut, err := Fans(dims)
	if err != nil {
		return nil, err
	}
	var den float64
	switch v.Mode {
	case FanIn:
		den = fanIn
	case FanOut:
		den = fanOut
	case FanAvg:
		den = (fanIn + fanOut) / 2
	default:
		return nil, fmt.Errorf("initializers.VarianceScaling: Mode %q is not fan_in, fan_out or fan_avg", v.Mode)
	}
	variance := v.Scale / den
	out := make([]float64, size(dims))
	switch v.Distribution {
	case TruncatedNormalDist:
		s := math.Sqrt(variance) / truncStd
		for i := range out {
			z := rng.NormFloat64()
			for z < -2 || z > 2 {
				z = rng.NormFloat64()
			}
			out[i] = z * s
		}
	case NormalDist:
		s := math.Sqrt(variance)
		for i := range out {
			out[i] = rng.NormFloat64() * s
		}
	case UniformDist:
		bound := math.Sqrt(3 * variance)
		for i := range out {
			out[i] = (2*rng.Float64() - 1) * bound
		}
	default:
		return nil, fmt.Errorf("initializers.VarianceScaling: Distribution %q is not truncated_normal, normal or uniform", v.Distribution)
	}
	return out, nil
}

func orDefault(x, def float64) float64 {
	if x == 0 {
		return def
	}
	return x
}

// KaimingNormal is BrainPy's KaimingNormal(scale=2.0, mode='fan_in', truncated normal).
// Scale 0 means the default 2.
type KaimingNormal struct{ Scale float64 }

// Init implements Initializer.
func (k KaimingNormal) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	return VarianceScaling{orDefault(k.Scale, 2), FanIn, TruncatedNormalDist}.Init(rng, dims...)
}

// KaimingUniform is BrainPy's KaimingUniform(scale=2.0, mode='fan_in', uniform).
type KaimingUniform struct{ Scale float64 }

// Init implements Initializer.
func (k KaimingUniform) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	return VarianceScaling{orDefault(k.Scale, 2), FanIn, UniformDist}.Init(rng, dims...)
}

// XavierNormal is BrainPy's XavierNormal(scale=1.0, mode='fan_avg', truncated normal), the
// default weight initializer of Dense.
type XavierNormal struct{ Scale float64 }

// Init implements Initializer.
func (x XavierNormal) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	return VarianceScaling{orDefault(x.Scale, 1), FanAvg, TruncatedNormalDist}.Init(rng, dims...)
}

// XavierUniform is BrainPy's XavierUniform(scale=1.0, mode='fan_avg', uniform).
type XavierUniform struct{ Scale float64 }

// Init implements Initializer.
func (x XavierUniform) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	return VarianceScaling{orDefault(x.Scale, 1), FanAvg, UniformDist}.Init(rng, dims...)
}

// LecunNormal is BrainPy's LecunNormal(scale=1.0, mode='fan_in', truncated normal): std
// sqrt(Scale/fan_in). Scale 0 means the default 1.
type LecunNormal struct{ Scale float64 }

// Init implements Initializer.
func (l LecunNormal) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	return VarianceScaling{orDefault(l.Scale, 1), FanIn, TruncatedNormalDist}.Init(rng, dims...)
}

// LecunUniform is BrainPy's LecunUniform(scale=1.0, mode='fan_in', uniform): U(-b, b) with
// b = sqrt(3·Scale/fan_in). Scale 0 means the default 1.
type LecunUniform struct{ Scale float64 }

// Init implements Initializer.
func (l LecunUniform) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	return VarianceScaling{orDefault(l.Scale, 1), FanIn, UniformDist}.Init(rng, dims...)
}

// OneInit fills with Value, BrainPy's OneInit(value=1.). Value 0 means the default 1 (use Zero
// for zeros).
type OneInit struct{ Value float64 }

// Init implements Initializer.
func (o OneInit) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	if math.IsNaN(o.Value) || math.IsInf(o.Value, 0) {
		return nil, fmt.Errorf("initializers.OneInit: Value must be finite, got %v", o.Value)
	}
	return Constant{orDefault(o.Value, 1)}.Init(rng, dims...)
}

// TruncatedNormal draws N(Loc, Scale²) conditioned on Lower <= x <= Upper, BrainPy's
// TruncatedNormal(loc=0., scale=1., lower=None, upper=None) [2.5.0]. Lower and Upper bound the
// values themselves (they are not in units of Scale); Loc is the mean before truncation, so the
// mean of the draws differs from Loc when the bounds are asymmetric.
//
// Defaults: Scale 0 means 1; Lower and Upper both 0 means no truncation (BrainPy's None). For a
// one-sided bound set the other side to math.Inf(-1) or math.Inf(1).
//
// Sampling is exact for any interval, including ones far in a tail (e.g. [5σ, 6σ]): plain
// rejection when the interval holds a large part of the mass, otherwise Robert's (1995)
// exponential or uniform proposals. The draws differ from BrainPy's (a different generator),
// the distribution is the same.
type TruncatedNormal struct{ Loc, Scale, Lower, Upper float64 }

// Init implements Initializer.
func (tn TruncatedNormal) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	scale := orDefault(tn.Scale, 1)
	if !(scale > 0) || math.IsInf(scale, 0) {
		return nil, fmt.Errorf("initializers.TruncatedNormal: Scale must be a positive finite number, got %v", tn.Scale)
	}
	if math.IsNaN(tn.Loc) || math.IsInf(tn.Loc, 0) {
		return nil, fmt.Errorf("initializers.TruncatedNormal: Loc must be finite, got %v", tn.Loc)
	}
	lower, upper := tn.Lower, tn.Upper
	if lower == 0 && upper == 0 {
		lower, upper = math.Inf(-1), math.Inf(1)
	}
	if !(lower < upper) {
		return nil, fmt.Errorf("initializers.TruncatedNormal: Lower (%v) must be less than Upper (%v)", tn.Lower, tn.Upper)
	}
	a, b := (lower-tn.Loc)/scale, (upper-tn.Loc)/scale
	if math.IsNaN(a) || math.IsNaN(b) || a == b {
		return nil, fmt.Errorf("initializers.TruncatedNormal: the interval [Lower, Upper] = [%v, %v] is empty in units of Scale %v around Loc %v", tn.Lower, tn.Upper, scale, tn.Loc)
	}
	out := make([]float64, size(dims))
	for i := range out {
		out[i] = min(max(tn.Loc+scale*stdTruncNormal(rng, a, b), lower), upper)
	}
	return out, nil
}

// stdTruncNormal draws a standard normal conditioned on [a, b] (a < b, either may be infinite).
func stdTruncNormal(rng *rand.Rand, a, b float64) float64 {
	switch {
	case b <= 0: // lower tail: mirror the upper-tail sampler
		return -stdTruncNormal(rng, -b, -a)
	case a < 0: // a < 0 < b: the interval holds the mode
		if mass := 0.5 * (math.Erf(b/math.Sqrt2) - math.Erf(a/math.Sqrt2)); mass >= 0.3 {
			for {
				if z := rng.NormFloat64(); z >= a && z <= b {
					return z
				}
			}
		}
		// Narrow interval around 0 (mass < 0.3 means b - a < 0.8): uniform proposal,
		// acceptance exp(-z²/2) >= exp(-0.32).
		for {
			z := a + (b-a)*rng.Float64()
			if rng.Float64() <= math.Exp(-z*z/2) {
				return z
			}
		}
	}
	// 0 <= a < b: Robert (1995). A uniform proposal for short intervals, else a translated
	// exponential with the optimal rate; both accept with probability >= ~0.6.
	lam := (a + math.Sqrt(a*a+4)) / 2
	if !math.IsInf(b, 1) && b-a < 2/(a+math.Sqrt(a*a+4))*math.Exp((a*a-a*math.Sqrt(a*a+4))/4+0.5) {
		for {
			z := a + (b-a)*rng.Float64()
			if rng.Float64() <= math.Exp((a*a-z*z)/2) {
				return z
			}
		}
	}
	for {
		z := a + rng.ExpFloat64()/lam
		if z <= b && rng.Float64() <= math.Exp(-(z-lam)*(z-lam)/2) {
			return z
		}
	}
}
