package optim

import (
	"fmt"
	"math"
	"slices"
)

// Constant returns a fixed learning rate (what BrainPy makes of a float lr).
func Constant(lr float64) (Schedule, error) {
	if err := checkLR("Constant", lr); err != nil {
		return nil, err
	}
	return &constant{lr: lr}, nil
}

type constant struct {
	Counter
	lr float64
}

func (s *constant) Value() float64 { return s.lr }
func (s *constant) At(int) float64 { return s.lr }
func (s *constant) String() string { return fmt.Sprintf("Constant(lr=%v)", s.lr) }

// StepLR returns BrainPy's epoch-based StepLR: during epoch e (e = last_epoch+1) the rate is
// lr * gamma^floor(e/stepSize). stepSize must be >= 1 and gamma in [0, 1] (BrainPy's default
// gamma is 0.1).
func StepLR(lr float64, stepSize int, gamma float64) (Schedule, error) {
	const fn = "StepLR"
	if err := checkLR(fn, lr); err != nil {
		return nil, err
	}
	if stepSize < 1 {
		return nil, fmt.Errorf("optim.%s: stepSize must be >= 1, got %d", fn, stepSize)
	}
	if err := checkGamma(fn, gamma); err != nil {
		return nil, err
	}
	return &stepLR{lr: lr, size: stepSize, gamma: gamma}, nil
}

type stepLR struct {
	Counter
	lr    float64
	size  int
	gamma float64
}

func (s *stepLR) Value() float64 { return s.At(s.LastEpoch() + 1) }
func (s *stepLR) At(i int) float64 {
	return s.lr * math.Pow(s.gamma, float64(floorDiv(i, s.size)))
}
func (s *stepLR) String() string {
	return fmt.Sprintf("StepLR(lr=%v, step_size=%d, gamma=%v, last_epoch=%d)", s.lr, s.size, s.gamma, s.LastEpoch())
}

// MultiStepLR returns BrainPy's epoch-based MultiStepLR: during epoch e the rate is
// lr * gamma^p, p = the number of milestones <= e. milestones must be non-empty and strictly
// increasing; gamma in [0, 1] (BrainPy's default gamma is 0.1).
func MultiStepLR(lr float64, milestones []int, gamma float64) (Schedule, error) {
	const fn = "MultiStepLR"
	if err := checkLR(fn, lr); err != nil {
		return nil, err
	}
	if len(milestones) == 0 {
		return nil, fmt.Errorf("optim.%s: milestones must not be empty", fn)
	}
	for i := 1; i < len(milestones); i++ {
		if milestones[i] <= milestones[i-1] {
			return nil, fmt.Errorf("optim.%s: milestones must be strictly increasing, got %v", fn, milestones)
		}
	}
	if err := checkGamma(fn, gamma); err != nil {
		return nil, err
	}
	return &multiStepLR{lr: lr, milestones: slices.Clone(milestones), gamma: gamma}, nil
}

type multiStepLR struct {
	Counter
	lr         float64
	milestones []int
	gamma      float64
}

func (s *multiStepLR) Value() float64 { return s.At(s.LastEpoch() + 1) }
func (s *multiStepLR) At(i int) float64 {
	p := len(s.milestones)
	for k, m := range s.milestones {
		if i < m {
			p = k
			break
		}
	}
	return s.lr * math.Pow(s.gamma, float64(p))
}
func (s *multiStepLR) String() string {
	return fmt.Sprintf("MultiStepLR(lr=%v, milestones=%v, gamma=%v, last_epoch=%d)", s.lr, s.milestones, s.gamma, s.LastEpoch())
}

// CosineAnnealingLR returns BrainPy's epoch-based CosineAnnealingLR (no restarts): during
// epoch e the rate is etaMin + (lr-etaMin)*(1+cos(pi*e/tMax))/2, which keeps oscillating
// past tMax as in BrainPy. tMax must be >= 1 and etaMin non-negative and finite.
func CosineAnnealingLR(lr float64, tMax int, etaMin float64) (Schedule, error) {
	const fn = "CosineAnnealingLR"
	if err := checkLR(fn, lr); err != nil {
		return nil, err
	}
	if tMax < 1 {
		return nil, fmt.Errorf("optim.%s: tMax must be >= 1, got %d", fn, tMax)
	}
	if !(etaMin >= 0) || !finite(etaMin) {
		return nil, fmt.Errorf("optim.%s: etaMin must be a non-negative finite number, got %v", fn, etaMin)
	}
	return &cosineAnnealingLR{lr: lr, tMax: tMax, etaMin: etaMin}, nil
}

type cosineAnnealingLR struct {
	Counter
	lr     float64
	tMax   int
	etaMin float64
}

func (s *cosineAnnealingLR) Value() float64 { return s.At(s.LastEpoch() + 1) }
func (s *cosineAnnealingLR) At(i int) float64 {
	return s.etaMin + (s.lr-s.etaMin)*(1+math.Cos(math.Pi*float64(i)/float64(s.tMax)))/2
}
func (s *cosineAnnealingLR) String() string {
	return fmt.Sprintf("CosineAnnealingLR(lr=%v, T_max=%d, eta_min=%v, last_epoch=%d)", s.lr, s.tMax, s.etaMin, s.LastEpoch())
}

// ExponentialLR returns BrainPy's epoch-based ExponentialLR: during epoch e the rate is
// lr * gamma^e, gamma in [0, 1].
func ExponentialLR(lr, gamma float64) (Schedule, error) {
	const fn = "ExponentialLR"
	if err := checkLR(fn, lr); err != nil {
		return nil, err
	}
	if err := checkGamma(fn, gamma); err != nil {
		return nil, err
	}
	return &exponentialLR{lr: lr, gamma: gamma}, nil
}

type exponentialLR struct {
	Counter
	lr, gamma float64
}

func (s *exponentialLR) Value() float64   { return s.At(s.LastEpoch() + 1) }
func (s *exponentialLR) At(i int) float64 { return s.lr * math.Pow(s.gamma, float64(i)) }
func (s *exponentialLR) String() string {
	return fmt.Sprintf("ExponentialLR(lr=%v, gamma=%v, last_epoch=%d)", s.lr, s.gamma, s.LastEpoch())
}
