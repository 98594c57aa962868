package optim

import (
	"fmt"
	"math"

	"github.com/bpgo/bpgo/bpgo"
)

// Zero is a sentinel for option fields whose zero value selects BrainPy's default: setting such
// a field to Zero asks for the value 0 itself, e.g. AdamOptions{Eps: optim.Zero} for eps = 0
// (where Eps: 0 means the default 1e-8). It is accepted, and means 0, in every float option.
const Zero = -math.MaxFloat64

// resolve maps an option field to its value: 0 → def, Zero → 0, anything else unchanged.
func resolve(v, def float64) float64 {
	switch v {
	case 0:
		return def
	case Zero:
		return 0
	}
	return v
}

// checkUnit checks x in [0, 1) (betas, rho, momentum).
func checkUnit(fn, name string, x float64) error {
	if !(x >= 0 && x < 1) {
		return fmt.Errorf("optim.%s: %s must be in [0, 1), got %v", fn, name, x)
	}
	return nil
}

// checkNonNeg checks a non-negative finite x (eps).
func checkNonNeg(fn, name string, x float64) error {
	if !(x >= 0) || !finite(x) {
		return fmt.Errorf("optim.%s: %s must be a non-negative finite number, got %v", fn, name, x)
	}
	return nil
}

// newCore validates the options every optimizer shares and builds its core.
func newCore(fn string, lr Schedule, weightDecay float64, clip Clip, slotKinds ...string) (*core, error) {
	if lr == nil {
		return nil, fmt.Errorf("optim.%s: LR is required (e.g. optim.Must(optim.Constant(0.01)))", fn)
	}
	wd := resolve(weightDecay, 0)
	if !(wd >= 0 && wd <= 1) {
		return nil, fmt.Errorf("optim.%s: WeightDecay must be in [0, 1] (0 = none), got %v", fn, weightDecay)
	}
	if err := clip.Validate(); err != nil {
		return nil, fmt.Errorf("optim.%s: %w", fn, err)
	}
	return &core{name: fn, lr: lr, wd: wd, clip: clip.resolved(), kinds: slotKinds, index: map[*bpgo.Variable]bool{}}, nil
}
