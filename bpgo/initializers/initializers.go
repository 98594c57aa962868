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

// Constant fills with Value (BrainPy's Constant / OneInit); Value 0 gives zeros.
type Constant struct{ Value float64 }

// Init implements Initializer.
func (c Constant) Init(_ *rand.Rand, dims ...int) ([]float64, error) {
	out := make([]float64, size(dims))
	for i := range out {
		out[i] = c.Value
	}
	return out, nil
}

// Normal draws N(Mean, Scale²), BrainPy's Normal(mean=0., scale=1.). Scale must be > 0
// (write Normal{Scale: 1} for BrainPy's default).
type Normal struct{ Mean, Scale float64 }

// Init implements Initializer.
func (n Normal) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	scale := n.Scale
	if err := checkScale("Normal", "Scale", scale, "1"); err != nil {
		return nil, err
	}
	if math.IsNaN(n.Mean) || math.IsInf(n.Mean, 0) {
		return nil, fmt.Errorf("initializers.Normal: Mean: want a finite number, got %v", n.Mean)
	}
	out := make([]float64, size(dims))
	for i := range out {
		out[i] = n.Mean + scale*rng.NormFloat64()
	}
	return out, nil
}

// Uniform draws U[Min, Max), Max > Min; BrainPy's default Uniform(0., 1.) is
// Uniform{Min: 0, Max: 1}.
type Uniform struct{ Min, Max float64 }

// Init implements Initializer.
func (u Uniform) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	lo, hi := u.Min, u.Max
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return nil, fmt.Errorf("initializers.Uniform: Max: want a finite number greater than Min (%v), got %v (BrainPy's default is Uniform{Min: 0, Max: 1})", lo, hi)
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
	if err := checkScale("VarianceScaling", "Scale", v.Scale, ""); err != nil {
		return nil, err
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
		return nil, fmt.Errorf("initializers.VarianceScaling: Mode: want fan_in, fan_out or fan_avg, got %q", v.Mode)
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
		return nil, fmt.Errorf("initializers.VarianceScaling: Distribution: want truncated_normal, normal or uniform, got %q", v.Distribution)
	}
	return out, nil
}

// checkScale reports a scale that is not a positive finite number, naming the field and
// BrainPy's default (def; "" when BrainPy has none).
func checkScale(typ, field string, x float64, def string) error {
	if x > 0 && !math.IsInf(x, 0) {
		return nil
	}
	note := ""
	if def != "" {
		note = fmt.Sprintf(" (BrainPy's default is %s: %s{%s: %s})", def, typ, field, def)
	}
	return fmt.Errorf("initializers.%s: %s: want > 0, got %v%s", typ, field, x, note)
}

// scaled validates the Scale of a named variance-scaling initializer and returns the
// VarianceScaling it stands for.
func scaled(typ string, scale float64, def string, mode FanMode, dist Distribution) (VarianceScaling, error) {
	if err := checkScale(typ, "Scale", scale, def); err != nil {
		return VarianceScaling{}, err
	}
	return VarianceScaling{scale, mode, dist}, nil
}

// KaimingNormal is BrainPy's KaimingNormal(scale=2.0, mode='fan_in', truncated normal). Scale
// must be > 0: KaimingNormal{Scale: 2} is BrainPy's default.
type KaimingNormal struct{ Scale float64 }

// Init implements Initializer.
func (k KaimingNormal) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	v, err := scaled("KaimingNormal", k.Scale, "2", FanIn, TruncatedNormalDist)
	if err != nil {
		return nil, err
	}
	return v.Init(rng, dims...)
}

// KaimingUniform is BrainPy's KaimingUniform(scale=2.0, mode='fan_in', uniform);
// KaimingUniform{Scale: 2} is BrainPy's default.
type KaimingUniform struct{ Scale float64 }

// Init implements Initializer.
func (k KaimingUniform) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	v, err := scaled("KaimingUniform", k.Scale, "2", FanIn, UniformDist)
	if err != nil {
		return nil, err
	}
	return v.Init(rng, dims...)
}

// XavierNormal is BrainPy's XavierNormal(scale=1.0, mode='fan_avg', truncated normal), the
// default weight initializer of Dense; XavierNormal{Scale: 1} is BrainPy's default.
type XavierNormal struct{ Scale float64 }

// Init implements Initializer.
func (x XavierNormal) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	v, err := scaled("XavierNormal", x.Scale, "1", FanAvg, TruncatedNormalDist)
	if err != nil {
		return nil, err
	}
	return v.Init(rng, dims...)
}

// XavierUniform is BrainPy's XavierUniform(scale=1.0, mode='fan_avg', uniform);
// XavierUniform{Scale: 1} is BrainPy's default.
type XavierUniform struct{ Scale float64 }

// Init implements Initializer.
func (x XavierUniform) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	v, err := scaled("XavierUniform", x.Scale, "1", FanAvg, UniformDist)
	if err != nil {
		return nil, err
	}
	return v.Init(rng, dims...)
}

// LecunNormal is BrainPy's LecunNormal(scale=1.0, mode='fan_in', truncated normal): std
// sqrt(Scale/fan_in); LecunNormal{Scale: 1} is BrainPy's default.
type LecunNormal struct{ Scale float64 }

// Init implements Initializer.
func (l LecunNormal) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	v, err := scaled("LecunNormal", l.Scale, "1", FanIn, TruncatedNormalDist)
	if err != nil {
		return nil, err
	}
	return v.Init(rng, dims...)
}

// LecunUniform is BrainPy's LecunUniform(scale=1.0, mode='fan_in', uniform): U(-b, b) with
// b = sqrt(3·Scale/fan_in); LecunUniform{Scale: 1} is BrainPy's default.
type LecunUniform struct{ Scale float64 }

// Init implements Initializer.
func (l LecunUniform) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	v, err := scaled("LecunUniform", l.Scale, "1", FanIn, UniformDist)
	if err != nil {
		return nil, err
	}
	return v.Init(rng, dims...)
}

// OneInit fills with Value, BrainPy's OneInit(value=1.). Value is used as given: OneInit{}
// fills zeros, BrainPy's default is OneInit{Value: 1}.
type OneInit struct{ Value float64 }

// Init implements Initializer.
func (o OneInit) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	if math.IsNaN(o.Value) || math.IsInf(o.Value, 0) {
		return nil, fmt.Errorf("initializers.OneInit: Value: want a finite number, got %v", o.Value)
	}
	return Constant{o.Value}.Init(rng, dims...)
}

// TruncatedNormal draws N(Loc, Scale²) conditioned on Lower <= x <= Upper, BrainPy's
// TruncatedNormal(loc=0., scale=1., lower=None, upper=None) [2.5.0]. Lower and Upper bound the
// values themselves (they are not in units of Scale); Loc is the mean before truncation, so the
// mean of the draws differs from Loc when the bounds are asymmetric.
//
// Every field is used as given; TruncatedNormalDefaults() is BrainPy's default (Loc 0, Scale 1,
// no bounds: Lower -Inf, Upper +Inf, BrainPy's None). For a one-sided bound set the other side
// to math.Inf(-1) or math.Inf(1).
//
// Sampling is exact for any interval, including ones far in a tail (e.g. [5σ, 6σ]): plain
// rejection when the interval holds a large part of the mass, otherwise Robert's (1995)
// exponential or uniform proposals. The draws differ from BrainPy's (a different generator),
// the distribution is the same.
type TruncatedNormal struct{ Loc, Scale, Lower, Upper float64 }

// TruncatedNormalDefaults returns BrainPy's TruncatedNormal(): Loc 0, Scale 1, no truncation.
func TruncatedNormalDefaults() TruncatedNormal {
	return TruncatedNormal{Scale: 1, Lower: math.Inf(-1), Upper: math.Inf(1)}
}

// Init implements Initializer.
func (tn TruncatedNormal) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	scale := tn.Scale
	if !(scale > 0) || math.IsInf(scale, 0) {
		return nil, fmt.Errorf("initializers.TruncatedNormal: Scale: want > 0, got %v (BrainPy's default is 1: start from initializers.TruncatedNormalDefaults())", tn.Scale)
	}
	if math.IsNaN(tn.Loc) || math.IsInf(tn.Loc, 0) {
		return nil, fmt.Errorf("initializers.TruncatedNormal: Loc: want a finite number, got %v", tn.Loc)
	}
	lower, upper := tn.Lower, tn.Upper
	if !(lower < upper) {
		return nil, fmt.Errorf("initializers.TruncatedNormal: Upper: want greater than Lower (%v), got %v (BrainPy's default is no bounds, Lower -Inf and Upper +Inf: start from initializers.TruncatedNormalDefaults())", tn.Lower, tn.Upper)
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
