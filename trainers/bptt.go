package trainers

import (
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"strings"
	"time"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/optim"
	"github.com/gomlx/gomlx/core/tensors"
)

// Batch is one training batch: inputs X (B, T, F) and targets Y, batch-first, of any shape the
// loss understands.
type Batch struct {
	X, Y *tensors.Tensor
}

// Data yields batches; it is iterated once per epoch, so a generator function (BrainPy's
// callable train_data) is written as
//
//	func(yield func(trainers.Batch, error) bool) {
//		for range 100 {
//			x, y := makeBatch()
//			if !yield(trainers.Batch{X: x, Y: y}, nil) {
//				return
//			}
//		}
//	}
//
// A non-nil error stops training with that error.
type Data = iter.Seq2[Batch, error]

// Batches turns a slice of batches into Data.
func Batches(bs ...Batch) Data {
	return func(yield func(Batch, error) bool) {
		for _, b := range bs {
			if !yield(b, nil) {
				return
			}
		}
	}
}

// Progress receives live progress from long-running trainers; kernel.NewProgress draws it in
// a notebook. total is the number of steps when known, else -1.
type Progress interface {
	Update(done, total int, text string)
}

// BPTTOptions configure a BPTT trainer. Start from BPTTDefaults().
type BPTTOptions struct {
	// Optimizer updates the trainable variables; nil means BrainPy's default, a new
	// Adam(lr=ExponentialDecay(0.025, 1, 0.99975)) for this trainer. If it has no registered
	// variables, all trainable variables of the model are registered.
	Optimizer bpgo.Optimizer
	// Monitors are state variables handed to the loss (LossContext.Monitor) and recorded by
	// Predict (BPTT.Mon).
	Monitors []string
	// Chunk is the number of steps per compiled graph (bpgo.GradOptions.Chunk), >= 1
	// (BPTTDefaults: bpgo.DefaultChunk).
	Chunk int
	// Dt is the integration step (ms); 0 means the global bpgo.Dt().
	Dt float64
	// NoReset keeps state from batch to batch (BrainPy's fit(reset_state=False)); by default
	// the model is reset to each batch's size before it runs.
	NoReset bool
	// Out receives the report lines; nil means os.Stdout.
	Out io.Writer
	// Progress, if set, is told about every training step.
	Progress Progress
}

// BPTTDefaults returns BrainPy's defaults: Chunk bpgo.DefaultChunk, the global Dt, reports on
// os.Stdout. Optimizer stays nil (a new default Adam per trainer): an optimizer holds the
// variables it updates, so one shared by two trainers would update the first model's.
func BPTTDefaults() BPTTOptions { return BPTTOptions{Chunk: bpgo.DefaultChunk, Out: os.Stdout} }

// FitOptions configure one call of Fit.
type FitOptions struct {
	// NumReport > 0 reports every NumReport training steps (counted across epochs), with the
	// means since the last report; otherwise once per epoch (BrainPy's num_report=-1).
	NumReport int
}

// BPTT trains a model by back-propagation through time, like BrainPy's bp.BPTT: Fit runs
// epochs over a data source, resetting the state per batch, prints BrainPy's report lines and
// keeps the metric history; Predict runs the trained model.
type BPTT struct {
	model  bpgo.Stepper
	grad   *bpgo.Grad
	opt    bpgo.Optimizer
	runner *bpgo.Runner
	out    io.Writer
	prog   Progress
	epochs int // epochs completed over all Fit calls

	// history: phase ("fit"/"test") → metric → values
	report   map[string]map[string][]float64
	detailed map[string]map[string][]float64
	order    map[string][]string
}

// NewBPTT builds a BPTT trainer for model with loss.
func NewBPTT(model bpgo.Stepper, loss bpgo.LossFunc, opts BPTTOptions) (*BPTT, error) {
	if opts.Chunk < 1 {
		return nil, fmt.Errorf("trainers.NewBPTT: BPTTOptions.Chunk: want >= 1, got %d (the default is bpgo.DefaultChunk = %d: start from trainers.BPTTDefaults())", opts.Chunk, bpgo.DefaultChunk)
	}
	g, err := bpgo.NewGrad(model, loss, bpgo.GradOptions{Chunk: opts.Chunk, Dt: opts.Dt, Monitors: opts.Monitors, NoReset: opts.NoReset})
	if err != nil {
		return nil, fmt.Errorf("trainers.NewBPTT: %w", err)
	}
	opt := opts.Optimizer
	if opt == nil {
		lr := optim.ExponentialDecay{LR: 0.025, DecaySteps: 1, DecayRate: 0.99975}
		if opt, err = optim.NewAdam(lr, optim.AdamDefaults()); err != nil {
			return nil, err
		}
	}
	if len(opt.Params()) == 0 {
		if err := opt.Register(g.Params()); err != nil {
			return nil, fmt.Errorf("trainers.NewBPTT: registering the model's trainable variables: %w", err)
		}
	}
	r, err := bpgo.NewRunner(model, bpgo.RunnerOptions{Chunk: g.Chunk(), Dt: opts.Dt, Monitors: opts.Monitors})
	if err != nil {
		return nil, fmt.Errorf("trainers.NewBPTT: %w", err)
	}
	out := opts.Out
	if out == nil {
		out = os.Stdout
	}
	return &BPTT{model: model, grad: g, opt: opt, runner: r, out: out, prog: opts.Progress,
		report: map[string]map[string][]float64{}, detailed: map[string]map[string][]float64{}, order: map[string][]string{}}, nil
}

// Optimizer is the trainer's optimizer.
func (t *BPTT) Optimizer() bpgo.Optimizer { return t.opt }

// Grad is the gradient engine, for hand-written steps alongside Fit.
func (t *BPTT) Grad() *bpgo.Grad { return t.grad }

// Fit trains for epochs passes over train, evaluating on test (nil: none) after each epoch,
// like BrainPy's trainer.fit(train_data, test_data, num_epoch, num_report). It stops at the
// first error: bad data (shapes, batch sizes, NaN inputs, no batches) or a non-finite loss,
// naming the epoch and step; parameters are then those of the last good step.
func (t *BPTT) Fit(train, test Data, epochs int, opts FitOptions) error {
	if train == nil {
		return fmt.Errorf("trainers.BPTT.Fit: train data is nil")
	}
	if epochs < 1 {
		return fmt.Errorf("trainers.BPTT.Fit: epochs must be >= 1, got %d", epochs)
	}
	step := 0      // training steps over this Fit call (BrainPy's fit_i)
	perEpoch := -1 // batches per epoch, known after the first
	for e := range epochs {
		epoch := t.epochs
		acc := newAccum()
		t0 := time.Now()
		n := 0
		for b, err := range train {
			if err != nil {
				return fmt.Errorf("trainers.BPTT.Fit: epoch %d, batch %d: train data: %w", epoch, n, err)
			}
			res, err := t.grad.Step(b.X, b.Y, t.opt)
			if err != nil {
				return fmt.Errorf("trainers.BPTT.Fit: epoch %d, batch %d: %w", epoch, n, err)
			}
			if math.IsNaN(res.Loss) || math.IsInf(res.Loss, 0) {
				return fmt.Errorf("trainers.BPTT.Fit: epoch %d, batch %d (training step %d): the loss is %v; stopped before applying that update (lower the learning rate, clip gradients, or check the data)", epoch, n, step, res.Loss)
			}
			acc.add(res)
			t.record("fit", res)
			n++
			step++
			if t.prog != nil {
				total := -1
				if perEpoch > 0 {
					total = epochs * perEpoch
				}
				t.prog.Update(step, total, fmt.Sprintf("epoch %d/%d, loss %.6g", e+1, epochs, res.Loss))
			}
			if opts.NumReport > 0 && step%opts.NumReport == 0 {
				t.print("Train", fmt.Sprintf("%d steps", step), time.Since(t0), acc, "fit")
				acc = newAccum()
				t0 = time.Now()
			}
		}
		if n == 0 {
			return fmt.Errorf("trainers.BPTT.Fit: epoch %d: the train data yielded no batches", epoch)
		}
		perEpoch = n
		if opts.NumReport <= 0 {
			t.print("Train", fmt.Sprintf("%d epoch", epoch), time.Since(t0), acc, "fit")
		}
		if es, ok := t.opt.(bpgo.EpochStepper); ok {
			es.StepEpoch()
		}
		t.epochs++
		if test != nil {
			if err := t.evaluate(test, epoch, opts.NumReport); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *BPTT) evaluate(test Data, epoch, numReport int) error {
	acc := newAccum()
	t0 := time.Now()
	n := 0
	for b, err := range test {
		if err != nil {
			return fmt.Errorf("trainers.BPTT.Fit: epoch %d, test batch %d: test data: %w", epoch, n, err)
		}
		res, err := t.grad.Evaluate(b.X, b.Y)
		if err != nil {
			return fmt.Errorf("trainers.BPTT.Fit: epoch %d, test batch %d: %w", epoch, n, err)
		}
		acc.add(res)
		t.record("test", res)
		n++
		if numReport > 0 && n%numReport == 0 {
			t.print("Test", fmt.Sprintf("%d steps", n), time.Since(t0), acc, "test")
			acc = newAccum()
			t0 = time.Now()
		}
	}
	if n == 0 {
		return fmt.Errorf("trainers.BPTT.Fit: epoch %d: the test data yielded no batches", epoch)
	}
	if numReport <= 0 {
		t.print("Test", fmt.Sprintf("%d epoch", epoch), time.Since(t0), acc, "test")
	}
	return nil
}

// accum collects per-step metrics between reports.
type accum struct {
	keys []string
	vals map[string][]float64
}

func newAccum() *accum { return &accum{keys: []string{"loss"}, vals: map[string][]float64{}} }

func (a *accum) add(r *bpgo.GradResult) {
	a.vals["loss"] = append(a.vals["loss"], r.Loss)
	for _, k := range r.AuxNames {
		if _, ok := a.vals[k]; !ok && k != "loss" {
			a.keys = append(a.keys, k)
		}
		a.vals[k] = append(a.vals[k], r.Aux[k])
	}
}

func (t *BPTT) record(phase string, r *bpgo.GradResult) {
	d := t.detailed[phase]
	if d == nil {
		d = map[string][]float64{}
		t.detailed[phase] = d
	}
	d["loss"] = append(d["loss"], r.Loss)
	for _, k := range r.AuxNames {
		d[k] = append(d[k], r.Aux[k])
	}
}

// print writes a BrainPy report line and appends the means to the report history.
func (t *BPTT) print(prefix, what string, took time.Duration, a *accum, phase string) {
	if len(a.vals["loss"]) == 0 {
		return
	}
	rep := t.report[phase]
	if rep == nil {
		rep = map[string][]float64{}
		t.report[phase] = rep
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s, use %.4f s", prefix, what, took.Seconds())
	for _, k := range a.keys {
		m := mean(a.vals[k])
		rep[k] = append(rep[k], m)
		if !contains(t.order[phase], k) {
			t.order[phase] = append(t.order[phase], k)
		}
		fmt.Fprintf(&sb, ", %s %s", k, PyFloat(m))
	}
	fmt.Fprintln(t.out, sb.String())
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// HistMetric returns the reported values of a metric (BrainPy's get_hist_metric(phase, metric,
// which='report')): one per epoch, or one per report with FitOptions.NumReport. phase is "fit"
// (or "train") or "test" (or "predict"); nil if there is none.
func (t *BPTT) HistMetric(phase, metric string) []float64 {
	return clone(t.report[canonPhase(phase)][metric])
}

// DetailedMetric returns every step's value of a metric (get_hist_metric(..., which='detailed')).
func (t *BPTT) DetailedMetric(phase, metric string) []float64 {
	return clone(t.detailed[canonPhase(phase)][metric])
}

// Metrics lists the metric names recorded for a phase, loss first.
func (t *BPTT) Metrics(phase string) []string { return clone(t.order[canonPhase(phase)]) }

// TrainLosses is HistMetric("fit", "loss"); TestLosses is HistMetric("test", "loss").
func (t *BPTT) TrainLosses() []float64 { return t.HistMetric("fit", "loss") }

// TestLosses is HistMetric("test", "loss").
func (t *BPTT) TestLosses() []float64 { return t.HistMetric("test", "loss") }

func canonPhase(p string) string {
	switch p {
	case "train":
		return "fit"
	case "predict":
		return "test"
	}
	return p
}

func clone[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append([]T(nil), s...)
}

// Predict runs the model on inputs (B, T, F) and returns the outputs (B, T, ...), continuing
// from the current state unless reset (BrainPy's trainer.predict(inputs, reset_state)).
// Monitors of the run are in Mon afterwards.
func (t *BPTT) Predict(inputs *tensors.Tensor, reset bool) (*tensors.Tensor, error) {
	out, err := t.runner.Run(inputs, bpgo.RunOptions{ResetState: reset})
	if err != nil {
		return nil, fmt.Errorf("trainers.BPTT.Predict: %w", err)
	}
	return out, nil
}

// Mon returns the monitors of the last Predict, (B, T, ...), and "ts".
func (t *BPTT) Mon() map[string]*tensors.Tensor { return t.runner.Mon }

// Epochs is the number of training epochs completed.
func (t *BPTT) Epochs() int { return t.epochs }
