package optim

import (
	"fmt"
	"math"
)

// ExponentialDecay is BrainPy's call-based ExponentialDecay (ExponentialDecayLR in 2.5.0): the
// k-th update (k = last_call+1 = 0, 1, ...) uses
//
//	LR * DecayRate^(k/DecaySteps)
//
// with a continuous exponent (no staircase); the first update uses LR. BPTT's default is
// ExponentialDecay{LR: 0.025, DecaySteps: 1, DecayRate: 0.99975}. DecaySteps and DecayRate
// must be positive and finite (BrainPy has no defaults for them).
type ExponentialDecay struct {
	LR, DecaySteps, DecayRate float64
}

// Validate implements Schedule.
func (s ExponentialDecay) Validate() error {
	const typ = "ExponentialDecay"
	if err := checkLR(typ, s.LR); err != nil {
		return err
	}
	if !(s.DecaySteps > 0) || !finite(s.DecaySteps) {
		return fmt.Errorf("optim.%s: DecaySteps: want a positive finite number, got %v", typ, s.DecaySteps)
	}
	if !(s.DecayRate > 0) || !finite(s.DecayRate) {
		return fmt.Errorf("optim.%s: DecayRate: want a positive finite number, got %v", typ, s.DecayRate)
	}
	return nil
}

// Rate implements Schedule (call-based).
func (s ExponentialDecay) Rate(_, call int) float64 {
	return s.LR * math.Pow(s.DecayRate, float64(call)/s.DecaySteps)
}

func (s ExponentialDecay) String() string {
	return fmt.Sprintf("ExponentialDecay(lr=%v, decay_steps=%v, decay_rate=%v)", s.LR, s.DecaySteps, s.DecayRate)
}

// InverseTimeDecay is BrainPy's call-based InverseTimeDecay: the k-th update uses
//
//	LR / (1 + DecayRate*k/DecaySteps)             (Staircase false, BrainPy's default)
//	LR / (1 + DecayRate*floor(k/DecaySteps))      (Staircase true)
//
// DecaySteps must be positive and finite, DecayRate non-negative and finite (0: constant).
type InverseTimeDecay struct {
	LR, DecaySteps, DecayRate float64
	Staircase                 bool
}

// Validate implements Schedule.
func (s InverseTimeDecay) Validate() error {
	const typ = "InverseTimeDecay"
	if err := checkLR(typ, s.LR); err != nil {
		return err
	}
	if !(s.DecaySteps > 0) || !finite(s.DecaySteps) {
		return fmt.Errorf("optim.%s: DecaySteps: want a positive finite number, got %v", typ, s.DecaySteps)
	}
	if !(s.DecayRate >= 0) || !finite(s.DecayRate) {
		return fmt.Errorf("optim.%s: DecayRate: want a non-negative finite number, got %v", typ, s.DecayRate)
	}
	return nil
}

// Rate implements Schedule (call-based).
func (s InverseTimeDecay) Rate(_, call int) float64 {
	if s.Staircase {
		return s.LR / (1 + s.DecayRate*math.Floor(float64(call)/s.DecaySteps))
	}
	return s.LR / (1 + s.DecayRate*float64(call)/s.DecaySteps)
}

func (s InverseTimeDecay) String() string {
	return fmt.Sprintf("InverseTimeDecay(lr=%v, decay_steps=%v, decay_rate=%v, staircase=%v)",
		s.LR, s.DecaySteps, s.DecayRate, s.Staircase)
}
