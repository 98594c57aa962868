package cognitive

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// simulate draws n choices per level from a known logistic.
func simulate(l Logistic, levels []float64, n int, seed uint64) ([]float64, []bool) {
	rng := rand.New(rand.NewPCG(seed, 1))
	var x []float64
	var y []bool
	for _, v := range levels {
		for range n {
			x = append(x, v)
			y = append(y, rng.Float64() < l.P(v))
		}
	}
	return x, y
}

func TestFitLogisticRecovers(t *testing.T) {
	truth := Logistic{Bias: 0.3, Slope: 0.12}
	levels := []float64{-51.2, -25.6, -12.8, -6.4, 0, 6.4, 12.8, 25.6, 51.2}
	x, y := simulate(truth, levels, 4000, 7)
	fit, err := FitLogistic(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(fit.Bias-truth.Bias) > 0.06 || math.Abs(fit.Slope-truth.Slope)/truth.Slope > 0.05 {
		t.Errorf("fit %+v, want ≈ %+v", fit, truth)
	}
	if th := fit.Threshold(); math.Abs(th-(-2.5)) > 0.6 {
		t.Errorf("threshold %g, want ≈ -2.5", th)
	}
}

// The maximum-likelihood estimate satisfies Σ(p − y) = 0 (up to the tiny ridge): the fitted
// curve predicts as many choice-1 responses as were made.
func TestFitLogisticScoreEquation(t *testing.T) {
	x, y := simulate(Logistic{Bias: -0.5, Slope: 0.05}, []float64{-20, -5, 0, 5, 20}, 50, 3)
	fit, err := FitLogistic(x, y)
	if err != nil {
		t.Fatal(err)
	}
	var s float64
	for i, v := range x {
		s += fit.P(v)
		if y[i] {
			s--
		}
	}
	if math.Abs(s) > 0.05 {
		t.Errorf("Σ(p − y) = %g, want ≈ 0", s)
	}
}

func TestFitLogisticSeparated(t *testing.T) {
	x := []float64{-10, -5, -1, 1, 5, 10}
	y := []bool{false, false, false, true, true, true}
	fit, err := FitLogistic(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if math.IsInf(fit.Slope, 0) || fit.Slope < 1 || fit.P(-5) > 1e-3 || fit.P(5) < 1-1e-3 || math.Abs(fit.Threshold()) > 1e-6 {
		t.Errorf("separated fit %+v: P(-5) %g, P(5) %g", fit, fit.P(-5), fit.P(5))
	}
}

func TestPsychometric(t *testing.T) {
	x := []float64{6.4, -6.4, 6.4, 0, 0, -6.4, 6.4, 0}
	y := []bool{true, false, true, true, false, true, false, false}
	p, err := NewPsychometric(x, y)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(p.Levels, p.Fraction, p.Count)
	if want := "[-6.4 0 6.4] [0.5 0.3333333333333333 0.6666666666666666] [2 3 3]"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if !(p.Fit.Slope > 0) {
		t.Errorf("slope %g, want > 0", p.Fit.Slope)
	}
}

func TestPsychometricErrors(t *testing.T) {
	cases := []struct {
		x    []float64
		y    []bool
		want string
	}{
		{nil, nil, "cognitive.NewPsychometric: no trials"},
		{[]float64{1, 2}, []bool{true}, "2 stimulus values but 1 choices"},
		{[]float64{1, math.NaN()}, []bool{true, false}, "x[1] is NaN"},
		{[]float64{3, 3}, []bool{true, false}, "all 2 values are 3"},
	}
	for _, c := range cases {
		_, err := NewPsychometric(c.x, c.y)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

func ExampleNewPsychometric() {
	// Choices of a subject that picks choice 1 more often as the signed coherence grows.
	x := []float64{-20, -20, -20, -20, -5, -5, -5, -5, 5, 5, 5, 5, 20, 20, 20, 20}
	y := []bool{false, false, false, false, false, true, false, false, true, false, true, true, true, true, true, true}
	p, err := NewPsychometric(x, y)
	if err != nil {
		panic(err)
	}
	for i, l := range p.Levels {
		fmt.Printf("%+5.0f%%: %.2f of %d (fit %.2f)\n", l, p.Fraction[i], p.Count[i], p.Fit.P(l))
	}
	// Output:
	//   -20%: 0.00 of 4 (fit 0.01)
	//    -5%: 0.25 of 4 (fit 0.22)
	//    +5%: 0.75 of 4 (fit 0.78)
	//   +20%: 1.00 of 4 (fit 0.99)
}
