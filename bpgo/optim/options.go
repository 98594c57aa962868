package optim

import (
	"fmt"
	"slices"

	"github.com/bpgo/bpgo/bpgo"
)

// checkUnit checks x in [0, 1) (betas, rho, momentum); def is BrainPy's default.
func checkUnit(fn, field string, x, def float64) error {
	if !(x >= 0 && x < 1) {
		return fmt.Errorf("optim.%s: %s: want in [0, 1), got %v (BrainPy's default is %v: start from optim.%sDefaults())", fn, field, x, def, typeName(fn))
	}
	return nil
}

// checkNonNeg checks a non-negative finite x (eps); def is BrainPy's default.
func checkNonNeg(fn, field string, x, def float64) error {
	if !(x >= 0) || !finite(x) {
		return fmt.Errorf("optim.%s: %s: want a non-negative finite number, got %v (BrainPy's default is %v: start from optim.%sDefaults())", fn, field, x, def, typeName(fn))
	}
	return nil
}

// typeName maps "NewAdam" to "Adam".
func typeName(fn string) string { return fn[len("New"):] }

// newCore validates what every optimizer shares and builds its core; fn is the constructor
// ("NewAdam") and opts the options type ("AdamOptions") for errors.
func newCore(fn, opts string, lr Schedule, weightDecay float64, clip Clip, slotKinds ...string) (*core, error) {
	if lr == nil {
		return nil, fmt.Errorf("optim.%s: lr: want a Schedule, got nil (e.g. optim.Constant(0.001))", fn)
	}
	if err := lr.Validate(); err != nil {
		return nil, fmt.Errorf("optim.%s: lr: %w", fn, err)
	}
	if m, ok := lr.(MultiStepLR); ok {
		// A schedule is a value: keep the caller's later edits of the slice out of it.
		m.Milestones = slices.Clone(m.Milestones)
		lr = m
	}
	if !(weightDecay >= 0 && weightDecay <= 1) {
		return nil, fmt.Errorf("optim.%s: %s.WeightDecay: want in [0, 1] (0 = none), got %v", fn, opts, weightDecay)
	}
	if err := clip.Validate(); err != nil {
		return nil, fmt.Errorf("optim.%s: %s.Clip: %w", fn, opts, err)
	}
	return &core{name: typeName(fn), lr: lr, wd: weightDecay, clip: clip, kinds: slotKinds,
		index: map[*bpgo.Variable]bool{}, lastEpoch: -1, lastCall: -1}, nil
}
