package optim

import (
	"fmt"
	"math"
)

// Counter names used by Schedule.Counters and the optimizers' Counters.
const (
	// CounterLastEpoch is BrainPy's last_epoch: -1 before the first StepEpoch.
	CounterLastEpoch = "last_epoch"
	// CounterLastCall is BrainPy's last_call: -1 before the first StepCall.
	CounterLastCall = "last_call"
	// CounterUpdates (optimizers only) is the number of updates applied so far.
	CounterUpdates = "updates"
)

// Schedule is a learning-rate schedule (BrainPy's bp.optim.Scheduler) with its two counters.
type Schedule interface {
	// Value is the learning rate of the next update; it changes no counter.
	Value() float64
	// At is the value at index i: the call index for call-based schedules, the epoch index
	// for epoch-based ones (Value() == At(LastCall()+1) or At(LastEpoch()+1)).
	At(i int) float64
	// StepCall advances last_call; optimizers call it after every update.
	StepCall()
	// StepEpoch advances last_epoch; trainers.BPTT calls it after every training epoch.
	StepEpoch()
	// LastEpoch is BrainPy's last_epoch (starts at -1).
	LastEpoch() int
	// LastCall is BrainPy's last_call (starts at -1). Epoch-based schedules count calls too
	// but do not use them.
	LastCall() int
	// Counters returns {"last_epoch": LastEpoch(), "last_call": LastCall()}.
	Counters() map[string]int
	// SetCounters sets the counters present in m (keys "last_epoch", "last_call", each >= -1);
	// absent keys keep their value, unknown keys are an error.
	SetCounters(m map[string]int) error
	fmt.Stringer
}

// Counter holds a schedule's two counters; embed it in a custom Schedule. Its zero value has
// both counters at -1, as in BrainPy.
type Counter struct {
	epochs, calls int // number of StepEpoch / StepCall so far
}

// StepCall advances last_call.
func (c *Counter) StepCall() { c.calls++ }

// StepEpoch advances last_epoch.
func (c *Counter) StepEpoch() { c.epochs++ }

// LastEpoch is BrainPy's last_epoch.
func (c *Counter) LastEpoch() int { return c.epochs - 1 }

// LastCall is BrainPy's last_call.
func (c *Counter) LastCall() int { return c.calls - 1 }

// Counters returns {"last_epoch": LastEpoch(), "last_call": LastCall()}.
func (c *Counter) Counters() map[string]int {
	return map[string]int{CounterLastEpoch: c.LastEpoch(), CounterLastCall: c.LastCall()}
}

// SetCounters sets the counters present in m; see Schedule.SetCounters.
func (c *Counter) SetCounters(m map[string]int) error {
	for k, v := range m {
		if k != CounterLastEpoch && k != CounterLastCall {
			return fmt.Errorf("optim: unknown schedule counter %q (want %q or %q)", k, CounterLastEpoch, CounterLastCall)
		}
		if v < -1 {
			return fmt.Errorf("optim: schedule counter %q must be >= -1, got %d", k, v)
		}
	}
	if v, ok := m[CounterLastEpoch]; ok {
		c.epochs = v + 1
	}
	if v, ok := m[CounterLastCall]; ok {
		c.calls = v + 1
	}
	return nil
}

// Must returns s and panics on err, for schedules built from constants:
//
//	optim.Must(optim.ExponentialDecay(0.025, 1, 0.99975))
func Must[T any](s T, err error) T {
	if err != nil {
		panic(err)
	}
	return s
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// checkLR validates a base learning rate.
func checkLR(fn string, lr float64) error {
	if !(lr > 0) || !finite(lr) {
		return fmt.Errorf("optim.%s: lr must be a positive finite number, got %v", fn, lr)
	}
	return nil
}

// checkGamma validates a multiplicative decay factor in [0, 1].
func checkGamma(fn string, gamma float64) error {
	if !(gamma >= 0 && gamma <= 1) {
		return fmt.Errorf("optim.%s: gamma must be in [0, 1], got %v", fn, gamma)
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
