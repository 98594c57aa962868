package optim

import (
	"fmt"
	"math"
)

// Constant is a fixed learning rate (what BrainPy makes of a float lr), e.g.
// optim.Constant(0.001). It must be positive and finite.
type Constant float64

// Validate implements Schedule.
func (c Constant) Validate() error { return checkLR("Constant", float64(c)) }

// Rate implements Schedule.
func (c Constant) Rate(_, _ int) float64 { return float64(c) }

func (c Constant) String() string { return fmt.Sprintf("Constant(lr=%v)", float64(c)) }

// StepLR is BrainPy's epoch-based StepLR: during epoch e (e = last_epoch+1) the rate is
// LR * Gamma^floor(e/StepSize). StepSize must be >= 1 and Gamma in [0, 1]; BrainPy's default
// is gamma=0.1.
type StepLR struct {
	LR       float64
	StepSize int
	Gamma    float64
}

// Validate implements Schedule.
func (s StepLR) Validate() error {
	const typ = "StepLR"
	if err := checkLR(typ, s.LR); err != nil {
		return err
	}
	if s.StepSize < 1 {
		return fmt.Errorf("optim.%s: StepSize: want >= 1, got %d", typ, s.StepSize)
	}
	return checkGamma(typ, s.Gamma, " (BrainPy's default is 0.1)")
}

// Rate implements Schedule (epoch-based).
func (s StepLR) Rate(epoch, _ int) float64 {
	return s.LR * math.Pow(s.Gamma, float64(floorDiv(epoch, s.StepSize)))
}

func (s StepLR) String() string {
	return fmt.Sprintf("StepLR(lr=%v, step_size=%d, gamma=%v)", s.LR, s.StepSize, s.Gamma)
}

// MultiStepLR is BrainPy's epoch-based MultiStepLR: during epoch e the rate is LR * Gamma^p,
// p = the number of milestones <= e. Milestones must be non-empty and strictly increasing;
// Gamma in [0, 1] (BrainPy's default is 0.1).
type MultiStepLR struct {
	LR         float64
	Milestones []int
	Gamma      float64
}

// Validate implements Schedule.
func (s MultiStepLR) Validate() error {
	const typ = "MultiStepLR"
	if err := checkLR(typ, s.LR); err != nil {
		return err
	}
	if len(s.Milestones) == 0 {
		return fmt.Errorf("optim.%s: Milestones: want at least one epoch, got none", typ)
	}
	for i := 1; i < len(s.Milestones); i++ {
		if s.Milestones[i] <= s.Milestones[i-1] {
			return fmt.Errorf("optim.%s: Milestones: want strictly increasing epochs, got %v", typ, s.Milestones)
		}
	}
	return checkGamma(typ, s.Gamma, " (BrainPy's default is 0.1)")
}

// Rate implements Schedule (epoch-based).
func (s MultiStepLR) Rate(epoch, _ int) float64 {
	p := len(s.Milestones)
	for k, m := range s.Milestones {
		if epoch < m {
			p = k
			break
		}
	}
	return s.LR * math.Pow(s.Gamma, float64(p))
}

func (s MultiStepLR) String() string {
	return fmt.Sprintf("MultiStepLR(lr=%v, milestones=%v, gamma=%v)", s.LR, s.Milestones, s.Gamma)
}

// CosineAnnealingLR is BrainPy's epoch-based CosineAnnealingLR (no restarts): during epoch e
// the rate is EtaMin + (LR-EtaMin)*(1+cos(pi*e/TMax))/2, which keeps oscillating past TMax as
// in BrainPy. TMax must be >= 1; EtaMin non-negative and finite (BrainPy's default is 0).
type CosineAnnealingLR struct {
	LR     float64
	TMax   int
	EtaMin float64
}

// Validate implements Schedule.
func (s CosineAnnealingLR) Validate() error {
	const typ = "CosineAnnealingLR"
	if err := checkLR(typ, s.LR); err != nil {
		return err
	}
	if s.TMax < 1 {
		return fmt.Errorf("optim.%s: TMax: want >= 1, got %d", typ, s.TMax)
	}
	if !(s.EtaMin >= 0) || !finite(s.EtaMin) {
		return fmt.Errorf("optim.%s: EtaMin: want a non-negative finite number, got %v", typ, s.EtaMin)
	}
	return nil
}

// Rate implements Schedule (epoch-based).
func (s CosineAnnealingLR) Rate(epoch, _ int) float64 {
	return s.EtaMin + (s.LR-s.EtaMin)*(1+math.Cos(math.Pi*float64(epoch)/float64(s.TMax)))/2
}

func (s CosineAnnealingLR) String() string {
	return fmt.Sprintf("CosineAnnealingLR(lr=%v, T_max=%d, eta_min=%v)", s.LR, s.TMax, s.EtaMin)
}

// ExponentialLR is BrainPy's epoch-based ExponentialLR: during epoch e the rate is
// LR * Gamma^e, Gamma in [0, 1] (BrainPy has no default).
type ExponentialLR struct {
	LR, Gamma float64
}

// Validate implements Schedule.
func (s ExponentialLR) Validate() error {
	const typ = "ExponentialLR"
	if err := checkLR(typ, s.LR); err != nil {
		return err
	}
	return checkGamma(typ, s.Gamma, "")
}

// Rate implements Schedule (epoch-based).
func (s ExponentialLR) Rate(epoch, _ int) float64 { return s.LR * math.Pow(s.Gamma, float64(epoch)) }

func (s ExponentialLR) String() string {
	return fmt.Sprintf("ExponentialLR(lr=%v, gamma=%v)", s.LR, s.Gamma)
}
