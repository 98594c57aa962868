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

	TruncatedNormal Distribution = "truncated_normal"
	NormalDist      Distribution = "normal"
	UniformDist     Distribution = "uniform"
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
	case TruncatedNormal:
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
	return VarianceScaling{orDefault(k.Scale, 2), FanIn, TruncatedNormal}.Init(rng, dims...)
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
	return VarianceScaling{orDefault(x.Scale, 1), FanAvg, TruncatedNormal}.Init(rng, dims...)
}

// XavierUniform is BrainPy's XavierUniform(scale=1.0, mode='fan_avg', uniform).
type XavierUniform struct{ Scale float64 }

// Init implements Initializer.
func (x XavierUniform) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	return VarianceScaling{orDefault(x.Scale, 1), FanAvg, UniformDist}.Init(rng, dims...)
}
