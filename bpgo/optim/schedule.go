package optim

import (
	"fmt"
	"math"
)

// Counter names used by the optimizers' Counters and SetCounters.
const (
	// CounterLastEpoch is BrainPy's last_epoch: -1 before the first StepEpoch.
	CounterLastEpoch = "last_epoch"
	// CounterLastCall is BrainPy's last_call: -1 before the first update.
	CounterLastCall = "last_call"
	// CounterUpdates is the number of updates applied so far.
	CounterUpdates = "updates"
)

// Schedule is a learning-rate schedule (BrainPy's bp.optim.Scheduler) as a plain, stateless
// value. The counters BrainPy keeps in the scheduler (last_epoch, last_call) live in the
// optimizer, which asks Rate(last_epoch+1, last_call+1) before every update. Call-based
// schedules ([ExponentialDecay], [InverseTimeDecay]) read call, epoch-based ones ([StepLR],
// [MultiStepLR], [CosineAnnealingLR], [ExponentialLR]) read epoch and [Constant] reads neither.
//
// The optimizers' constructors call Validate, so a bad schedule is an error there.
type Schedule interface {
	// Validate reports a field out of range, naming it.
	Validate() error
	// Rate is the learning rate during epoch index epoch (last_epoch+1) at update index call
	// (last_call+1), both counted from 0.
	Rate(epoch, call int) float64
	fmt.Stringer
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// checkLR validates a base learning rate.
func checkLR(typ string, lr float64) error {
	if !(lr > 0) || !finite(lr) {
		return fmt.Errorf("optim.%s: LR: want a positive finite number, got %v", typ, lr)
	}
	return nil
}

// checkGamma validates a multiplicative decay factor in [0, 1]; note names BrainPy's default
// where it has one.
func checkGamma(typ string, gamma float64, note string) error {
	if !(gamma >= 0 && gamma <= 1) {
		return fmt.Errorf("optim.%s: Gamma: want in [0, 1], got %v%s", typ, gamma, note)
	}
	return nil
}

// floorDiv is Python's // for ints.
func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
