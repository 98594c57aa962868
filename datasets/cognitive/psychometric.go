package cognitive

import (
	"fmt"
	"math"
	"slices"
)

// Logistic is a psychometric function P(choice 1 | x) = 1 / (1 + exp(−(Bias + Slope·x))), x
// being the signed coherence.
type Logistic struct {
	Bias, Slope float64
}

// P is the probability of choice 1 at x.
func (l Logistic) P(x float64) float64 { return 1 / (1 + math.Exp(-(l.Bias + l.Slope*x))) }

// Threshold is the x where P = 0.5 (the point of subjective equality), −Bias/Slope.
func (l Logistic) Threshold() float64 { return -l.Bias / l.Slope }

// fitRidge is a tiny L2 penalty on the standardized coefficients: it changes an ordinary fit
// by far less than its standard error, and keeps the estimate finite when the choices are
// perfectly separated by x (a network that is always right), where maximum likelihood diverges.
const fitRidge = 1e-3

// FitLogistic fits a Logistic to binary choices (true = choice 1) at the stimulus values x by
// maximum likelihood (Newton's method on x scaled to [−1, 1], with a tiny ridge penalty so
// that perfectly separated choices still give a finite, very steep curve).
func FitLogistic(x []float64, choice1 []bool) (Logistic, error) {
	const fn = "cognitive.FitLogistic"
	if err := checkChoices(fn, x, choice1); err != nil {
		return Logistic{}, err
	}
	scale := 0.0
	for _, v := range x {
		scale = math.Max(scale, math.Abs(v))
	}
	if slices.Min(x) == slices.Max(x) {
		return Logistic{}, fmt.Errorf("%s: x: all %d values are %g; the slope needs at least two stimulus levels", fn, len(x), x[0])
	}
	var b0, b1 float64
	for range 100 {
		// gradient and Hessian of the penalized negative log-likelihood
		var g0, g1, h00, h01, h11 float64
		for i, v := range x {
			z := v / scale
			p := 1 / (1 + math.Exp(-(b0 + b1*z)))
			y := 0.0
			if choice1[i] {
				y = 1
			}
			w := p * (1 - p)
			g0 += p - y
			g1 += (p - y) * z
			h00 += w
			h01 += w * z
			h11 += w * z * z
		}
		g0 += fitRidge * b0
		g1 += fitRidge * b1
		h00 += fitRidge
		h11 += fitRidge
		det := h00*h11 - h01*h01
		d0 := (h11*g0 - h01*g1) / det
		d1 := (h00*g1 - h01*g0) / det
		b0 -= d0
		b1 -= d1
		if math.Abs(d0)+math.Abs(d1) < 1e-12*(1+math.Abs(b0)+math.Abs(b1)) {
			break
		}
	}
	if math.IsNaN(b0) || math.IsNaN(b1) {
		return Logistic{}, fmt.Errorf("%s: the fit did not converge", fn)
	}
	return Logistic{Bias: b0, Slope: b1 / scale}, nil
}

// Psychometric is a psychometric curve: the fraction of choice-1 responses at each stimulus
// level, with a fitted Logistic.
type Psychometric struct {
	// Levels are the distinct stimulus values (signed coherences), ascending.
	Levels []float64
	// Fraction is the fraction of choice 1 at each level, Count the number of trials there.
	Fraction []float64
	Count    []int
	// Fit is the logistic fitted to the single trials (FitLogistic).
	Fit Logistic
}

// NewPsychometric groups the trials' choices (true = choice 1) by their signed coherence and
// fits a Logistic. Signed coherences are in PerceptualInfo.SignedCoherence and
// ContextInfo.SignedCoherence.
func NewPsychometric(signedCoherence []float64, choice1 []bool) (*Psychometric, error) {
	const fn = "cognitive.NewPsychometric"
	if err := checkChoices(fn, signedCoherence, choice1); err != nil {
		return nil, err
	}
	fit, err := FitLogistic(signedCoherence, choice1)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	levels := slices.Clone(signedCoherence)
	slices.Sort(levels)
	levels = slices.Compact(levels)
	p := &Psychometric{Levels: levels, Fraction: make([]float64, len(levels)), Count: make([]int, len(levels)), Fit: fit}
	for i, x := range signedCoherence {
		k, _ := slices.BinarySearch(levels, x)
		p.Count[k]++
		if choice1[i] {
			p.Fraction[k]++
		}
	}
	for k := range levels {
		p.Fraction[k] /= float64(p.Count[k])
	}
	return p, nil
}

func checkChoices(fn string, x []float64, choice1 []bool) error {
	if len(x) == 0 {
		return fmt.Errorf("%s: no trials", fn)
	}
	if len(x) != len(choice1) {
		return fmt.Errorf("%s: %d stimulus values but %d choices", fn, len(x), len(choice1))
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: x[%d] is %g, want a finite value", fn, i, v)
		}
	}
	return nil
}
