package trainers

import (
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/bpgo/bpgo/bpgo"
)

// Metrics are what one training or evaluation step reports: the loss and the auxiliary
// metrics, in BrainPy's printing order (the loss first, then the aux metrics sorted by name).
type Metrics struct {
	Loss float64
	Aux  []Metric
}

// Metric is one named scalar.
type Metric struct {
	Name  string
	Value float64
}

// Names lists the metric names, "loss" first.
func (m *Metrics) Names() []string {
	out := []string{"loss"}
	for _, a := range m.Aux {
		out = append(out, a.Name)
	}
	return out
}

// Value returns the named metric ("loss" or an aux name) and whether it is present.
func (m *Metrics) Value(name string) (float64, bool) {
	if name == "loss" {
		return m.Loss, true
	}
	for _, a := range m.Aux {
		if a.Name == name {
			return a.Value, true
		}
	}
	return 0, false
}

// LoopState is what hooks see: where the loop is and what the last step reported.
type LoopState struct {
	// Epoch is the index of the current epoch (counted over every Run of the loop); RunEpoch
	// counts the epochs of this Run before the current one; Epochs is this Run's number of
	// epochs.
	Epoch, RunEpoch, Epochs int
	// Step counts the steps of this Run so far (BrainPy's fit_i); EpochStep counts those of
	// the current epoch.
	Step, EpochStep int
	// StepsPerEpoch is the number of batches per epoch, -1 until the first epoch ended.
	StepsPerEpoch int
	// Metrics is the last step's report (nil before the first step).
	Metrics *Metrics
	// EpochStart is when the current epoch started.
	EpochStart time.Time
}

// Hook is called by a Loop at one of its events; an error stops the loop and is returned by Run.
type Hook func(ls *LoopState) error

// StepFunc runs one batch: a training step (gradients and an update) or an evaluation.
type StepFunc func(ls *LoopState, b Batch) (*Metrics, error)

// Loop is the one training loop of bpgo, modelled on GoMLX's train.Loop: it iterates epochs
// over a data source, calls a step function per batch, and calls hooks at the start, after every
// step, at the end of every epoch and at the end, in order of priority (lower first; equal
// priorities in the order they were added). BPTT, the online trainers and hand-written loops
// report, record history, show progress and advance schedules through hooks.
type Loop struct {
	// Name is used in error messages (e.g. "trainers.BPTT.Fit").
	Name  string
	hooks map[event][]hookEntry
	epoch int // epochs completed over all Runs
}

type event int

const (
	onStart event = iota
	onStep
	onEpoch
	onEnd
)

type hookEntry struct {
	name     string
	priority int
	fn       Hook
}

// NewLoop returns a loop with no hooks; name prefixes its errors.
func NewLoop(name string) *Loop { return &Loop{Name: name, hooks: map[event][]hookEntry{}} }

func (l *Loop) add(e event, name string, priority int, fn Hook) {
	if fn == nil {
		panic(fmt.Sprintf("trainers.Loop: hook %q is nil", name))
	}
	l.hooks[e] = append(l.hooks[e], hookEntry{name, priority, fn})
	slices.SortStableFunc(l.hooks[e], func(a, b hookEntry) int { return a.priority - b.priority })
}

// OnStart adds a hook called once before the first step of every Run.
func (l *Loop) OnStart(name string, priority int, fn Hook) { l.add(onStart, name, priority, fn) }

// OnStep adds a hook called after every step.
func (l *Loop) OnStep(name string, priority int, fn Hook) { l.add(onStep, name, priority, fn) }

// OnEpoch adds a hook called at the end of every epoch.
func (l *Loop) OnEpoch(name string, priority int, fn Hook) { l.add(onEpoch, name, priority, fn) }

// OnEnd adds a hook called once after the last epoch of a Run (not after an error).
func (l *Loop) OnEnd(name string, priority int, fn Hook) { l.add(onEnd, name, priority, fn) }

// EveryNSteps wraps a hook so that it runs only every n-th step (counted over the Run).
func EveryNSteps(n int, fn Hook) Hook {
	if n < 1 {
		panic(fmt.Sprintf("trainers.EveryNSteps: n must be >= 1, got %d", n))
	}
	return func(ls *LoopState) error {
		if ls.Step%n != 0 {
			return nil
		}
		return fn(ls)
	}
}

// Epochs is the number of epochs completed over every Run.
func (l *Loop) Epochs() int { return l.epoch }

func (l *Loop) fire(e event, ls *LoopState) error {
	for _, h := range l.hooks[e] {
		if err := h.fn(ls); err != nil {
			return fmt.Errorf("%s: epoch %d, step %d: %s: %w", l.Name, ls.Epoch, ls.Step, h.name, err)
		}
	}
	return nil
}

// Run runs epochs passes over data, calling step for every batch. It stops at the first error
// (from the data, the step or a hook), naming the epoch and batch, and at a non-finite loss,
// which the step function must not have applied.
func (l *Loop) Run(data Data, epochs int, step StepFunc) error {
	if data == nil {
		return fmt.Errorf("%s: data is nil", l.Name)
	}
	if epochs < 1 {
		return fmt.Errorf("%s: epochs must be >= 1, got %d", l.Name, epochs)
	}
	ls := &LoopState{Epochs: epochs, StepsPerEpoch: -1, Epoch: l.epoch}
	if err := l.fire(onStart, ls); err != nil {
		return err
	}
	for e := range epochs {
		ls.Epoch, ls.RunEpoch, ls.EpochStep, ls.EpochStart = l.epoch, e, 0, time.Now()
		for b, err := range data {
			if err != nil {
				return fmt.Errorf("%s: epoch %d, batch %d: data: %w", l.Name, ls.Epoch, ls.EpochStep, err)
			}
			m, err := step(ls, b)
			if err != nil {
				return fmt.Errorf("%s: epoch %d, batch %d: %w", l.Name, ls.Epoch, ls.EpochStep, err)
			}
			if math.IsNaN(m.Loss) || math.IsInf(m.Loss, 0) {
				return fmt.Errorf("%s: epoch %d, batch %d (training step %d): the loss is %v; stopped before applying that update (lower the learning rate, clip gradients, or check the data)", l.Name, ls.Epoch, ls.EpochStep, ls.Step, m.Loss)
			}
			ls.Metrics = m
			ls.Step++
			ls.EpochStep++
			if err := l.fire(onStep, ls); err != nil {
				return err
			}
		}
		if ls.EpochStep == 0 {
			return fmt.Errorf("%s: epoch %d: the data yielded no batches", l.Name, ls.Epoch)
		}
		ls.StepsPerEpoch = ls.EpochStep
		if err := l.fire(onEpoch, ls); err != nil {
			return err
		}
		l.epoch++
	}
	return l.fire(onEnd, ls)
}

// fitLoop returns a loop for one Fit call of a trainer: a copy of the trainer's own loop (so
// this call's hooks do not stay on it, while the caller's hooks run), with BrainPy's reporting
// (per epoch, or every numReport steps with the accumulators restarted every epoch), the
// metric history, live progress and the optimizer's epoch counter as hooks.
func fitLoop(base *Loop, hist *History, out io.Writer, prog Progress, opt bpgo.Optimizer, opts FitOptions) *Loop {
	numReport := opts.NumReport
	l := &Loop{Name: base.Name, hooks: map[event][]hookEntry{}, epoch: base.epoch}
	for e, hs := range base.hooks {
		l.hooks[e] = slices.Clone(hs)
	}
	rep := newReporter(hist, FitPhase, out, opts.Style)
	l.OnStep("history", -30, func(ls *LoopState) error { rep.add(ls.Metrics); return nil })
	if numReport > 0 {
		l.OnStep("report", -20, EveryNSteps(numReport, func(ls *LoopState) error {
			rep.flush("Train", fmt.Sprintf("%d steps", ls.Step))
			return nil
		}))
		l.OnEpoch("report", -20, func(*LoopState) error { rep.discard(); return nil })
	} else {
		l.OnEpoch("report", -20, func(ls *LoopState) error {
			rep.flush("Train", fmt.Sprintf("%d epoch", ls.Epoch))
			return nil
		})
	}
	if prog != nil {
		l.OnStep("progress", -10, func(ls *LoopState) error {
			total := -1
			if ls.StepsPerEpoch > 0 {
				total = ls.Epochs * ls.StepsPerEpoch
			}
			prog.Update(ls.Step, total, fmt.Sprintf("epoch %d/%d, loss %.6g", ls.RunEpoch+1, ls.Epochs, ls.Metrics.Loss))
			return nil
		})
	}
	if es, ok := opt.(bpgo.EpochStepper); ok {
		l.OnEpoch("schedule", -15, func(*LoopState) error { es.StepEpoch(); return nil })
	}
	return l
}
