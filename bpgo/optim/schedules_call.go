package optim

import (
	"fmt"
	"math"
)

// ExponentialDecay returns BrainPy's call-based ExponentialDecay (ExponentialDecayLR in 2.5.0):
// the k-th update (k = last_call+1 = 0, 1, ...) uses
//
//	lr * decayRate^(k/decaySteps)
//
// with a continuous exponent (no staircase); the first update uses lr. BPTT's default is
// ExponentialDecay(0.025, 1, 0.99975). decaySteps and decayRate must be positive and finite.
func ExponentialDecay(lr, decaySteps, decayRate float64) (Schedule, error) {
	const fn = "ExponentialDecay"
	if err := checkLR(fn, lr); err != nil {
		return nil, err
	}
	if !(decaySteps > 0) || !finite(decaySteps) {
		return nil, fmt.Errorf("optim.%s: decaySteps must be a positive finite number, got %v", fn, decaySteps)
	}
	if !(decayRate > 0) || !finite(decayRate) {
		return nil, fmt.Errorf("optim.%s: decayRate must be a positive finite number, got %v", fn, decayRate)
	}
	return &exponentialDecay{lr: lr, steps: decaySteps, rate: decayRate}, nil
}

type exponentialDecay struct {
	Counter
	lr, steps, rate float64
}

func (s *exponentialDecay) Value() float64 { return s.At(s.LastCall() + 1) }
func (s *exponentialDecay) At(i int) float64 {
	return s.lr * math.Pow(s.rate, float64(i)/s.steps)
}
func (s *exponentialDecay) String() string {
	return fmt.Sprintf("ExponentialDecay(lr=%v, decay_steps=%v, decay_rate=%v, last_call=%d)", s.lr, s.steps, s.rate, s.LastCall())
}

// InverseTimeDecay returns BrainPy's call-based InverseTimeDecay: the k-th update uses
//
//	lr / (1 + decayRate*k/decaySteps)             (staircase false)
//	lr / (1 + decayRate*floor(k/decaySteps))      (staircase true)
//
// decaySteps must be positive and finite, decayRate non-negative and finite.
func InverseTimeDecay(lr, decaySteps, decayRate float64, staircase bool) (Schedule, error) {
	const fn = "InverseTimeDecay"
	if err := checkLR(fn, lr); err != nil {
		return nil, err
	}
	if !(decaySteps > 0) || !finite(decaySteps) {
		return nil, fmt.Errorf("optim.%s: decaySteps must be a positive finite number, got %v", fn, decaySteps)
	}
	if !(decayRate >= 0) || !finite(decayRate) {
		return nil, fmt.Errorf("optim.%s: decayRate must be a non-negative finite number, got %v", fn, decayRate)
	}
	return &inverseTimeDecay{lr: lr, steps: decaySteps, rate: decayRate, staircase: staircase}, nil
}

type inverseTimeDecay struct {
	Counter
	lr, steps, rate float64
	staircase       bool
}

func (s *inverseTimeDecay) Value() float64 { return s.At(s.LastCall() + 1) }
func (s *inverseTimeDecay) At(i int) float64 {
	if s.staircase {
		return s.lr / (1 + s.rate*math.Floor(float64(i)/s.steps))
	}
	return s.lr / (1 + s.rate*float64(i)/s.steps)
}
func (s *inverseTimeDecay) String() string {
	return fmt.Sprintf("InverseTimeDecay(lr=%v, decay_steps=%v, decay_rate=%v, staircase=%v, last_call=%d)",
		s.lr, s.steps, s.rate, s.staircase, s.LastCall())
}
