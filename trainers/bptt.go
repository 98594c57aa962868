package trainers

import (
	"fmt"
	"io"
	"iter"
	"os"

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
	// Predict (BPTT.Mon); an unknown name is an error from NewBPTT.
	Monitors []string
	// Watch monitors variables by reference (see bpgo.RunnerOptions.Watch).
	Watch []*bpgo.Variable
	// Layout of inputs, targets, outputs and monitors: bpgo.BatchFirst (default) or
	// bpgo.TimeFirst (BrainPy's data_first_axis='T').
	Layout bpgo.Layout
	// Chunk is the number of steps per compiled graph (bpgo.GradOptions.Chunk); 0 means
	// bpgo.DefaultChunk, like the engine's options.
	Chunk int
	// Dt is the integration step (ms); 0 means the global bpgo.Dt().
	Dt float64
	// Engine runs the time loops of training and Predict (bpgo.GradOptions.Engine):
	// bpgo.EngineAuto (the zero value: the compile-once scan on XLA, unrolled chunks on the Go
	// backend), bpgo.EngineUnrolled or bpgo.EngineScan.
	Engine bpgo.Engine
	// Checkpoint (scan engine) bounds the steps whose states the backward loop keeps at once
	// (bpgo.GradOptions.Checkpoint); 0 chooses it from the sequence length.
	Checkpoint int
	// Shards runs each batch as that many groups of samples, one per core
	// (bpgo.GradOptions.Shards and bpgo.RunnerOptions.Shards): 0 automatic, 1 whole.
	Shards int
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
	// means since the last report; otherwise (0, or BrainPy's num_report=-1) once per epoch.
	NumReport int
	// Style is the format of the report lines: ReportMeans (the zero value, BrainPy 2.3 and
	// later) or ReportLastBatch (BrainPy 2.1.12's bp.nn trainers).
	Style ReportStyle
}

// ReportStyle is the format of Fit's report lines; BrainPy changed it between releases and
// the tutorials print both.
type ReportStyle int

const (
	// ReportMeans prints the means since the previous line of the loss and every aux metric,
	// "Train 500 steps, use 3.1995 s, loss 0.0974268716854756, acc 0.5", and test lines per
	// epoch (BrainPy 2.4.3 and 2.5.0).
	ReportMeans ReportStyle = iota
	// ReportLastBatch prints the current batch's values rounded to 5 decimals,
	// "Train 500 steps, use 3.1995 s, train loss 0.0275" (BrainPy 2.1.12's bp.nn.BPTT); test
	// data is evaluated and kept in the History but not printed, as there.
	ReportLastBatch
)

func (s ReportStyle) valid() bool { return s == ReportMeans || s == ReportLastBatch }

// check validates the options for fn.
func (o FitOptions) check(fn string) error {
	if !o.Style.valid() {
		return fmt.Errorf("%s: FitOptions.Style: want trainers.ReportMeans or trainers.ReportLastBatch, got %d", fn, int(o.Style))
	}
	return nil
}

// BPTT trains a model by back-propagation through time, like BrainPy's bp.BPTT: Fit runs
// epochs over a data source, resetting the state per batch, prints BrainPy's report lines and
// keeps the metric history; Predict runs the trained model. Fit runs on a Loop (see Loop),
// to which callers may add their own hooks.
type BPTT struct {
	model  bpgo.Stepper
	grad   *bpgo.Grad
	opt    bpgo.Optimizer
	runner *bpgo.Runner
	out    io.Writer
	prog   Progress
	loop   *Loop
	hist   *History
}

// NewBPTT builds a BPTT trainer for model with loss.
func NewBPTT(model bpgo.Stepper, loss bpgo.LossFunc, opts BPTTOptions) (*BPTT, error) {
	g, err := bpgo.NewGrad(model, loss, bpgo.GradOptions{Chunk: opts.Chunk, Dt: opts.Dt, Monitors: opts.Monitors,
		Watch: opts.Watch, Layout: opts.Layout, NoReset: opts.NoReset, Engine: opts.Engine, Checkpoint: opts.Checkpoint,
		Shards: opts.Shards})
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
	r, err := bpgo.NewRunner(model, bpgo.RunnerOptions{Chunk: g.Chunk(), Dt: opts.Dt, Monitors: opts.Monitors,
		Watch: opts.Watch, Layout: opts.Layout, Engine: opts.Engine, Shards: opts.Shards})
	if err != nil {
		return nil, fmt.Errorf("trainers.NewBPTT: %w", err)
	}
	out := opts.Out
	if out == nil {
		out = os.Stdout
	}
	return &BPTT{model: model, grad: g, opt: opt, runner: r, out: out, prog: opts.Progress,
		loop: NewLoop("trainers.BPTT.Fit"), hist: &History{}}, nil
}

// Optimizer is the trainer's optimizer.
func (t *BPTT) Optimizer() bpgo.Optimizer { return t.opt }

// Grad is the gradient engine, for hand-written steps alongside Fit.
func (t *BPTT) Grad() *bpgo.Grad { return t.grad }

// Loop is the training loop Fit runs; add hooks to it (for example to save a checkpoint every
// epoch) before calling Fit.
func (t *BPTT) Loop() *Loop { return t.loop }

// History is the metric history (BrainPy's get_hist_metric).
func (t *BPTT) History() *History { return t.hist }

// GradMetrics turns a gradient result into the loop's Metrics (for hand-written loops).
func GradMetrics(r *bpgo.GradResult) *Metrics {
	m := &Metrics{Loss: r.Loss}
	for _, k := range r.AuxNames {
		m.Aux = append(m.Aux, Metric{k, r.Aux[k]})
	}
	return m
}

// Fit trains for epochs passes over train, evaluating on test (nil: none) after each epoch,
// like BrainPy's trainer.fit(train_data, test_data, num_epoch, num_report). It stops at the
// first error: bad data (shapes, batch sizes, NaN inputs, no batches) or a non-finite loss,
// naming the epoch and step; parameters are then those of the last good step. The buffers its
// gradient keeps between steps are freed when it returns (bpgo.Grad.Release).
func (t *BPTT) Fit(train, test Data, epochs int, opts FitOptions) error {
	defer t.grad.Release()
	if train == nil {
		return fmt.Errorf("trainers.BPTT.Fit: train data is nil")
	}
	if err := opts.check("trainers.BPTT.Fit"); err != nil {
		return err
	}
	l := fitLoop(t.loop, t.hist, t.out, t.prog, t.opt, opts)
	if test != nil {
		l.OnEpoch("test", -5, func(ls *LoopState) error { return t.evaluate(test, ls.Epoch, opts) })
	}
	err := l.Run(train, epochs, func(_ *LoopState, b Batch) (*Metrics, error) {
		res, err := t.grad.Step(b.X, b.Y, t.opt)
		if err != nil {
			return nil, err
		}
		return GradMetrics(res), nil
	})
	t.loop.epoch = l.epoch
	return err
}

// evaluate runs the test data through the loss, reporting like BrainPy's test lines.
func (t *BPTT) evaluate(test Data, epoch int, opts FitOptions) error {
	out := t.out
	if opts.Style == ReportLastBatch {
		out = io.Discard
	}
	rep := newReporter(t.hist, TestPhase, out, opts.Style)
	numReport := opts.NumReport
	n := 0
	for b, err := range test {
		if err != nil {
			return fmt.Errorf("test batch %d: test data: %w", n, err)
		}
		res, err := t.grad.Evaluate(b.X, b.Y)
		if err != nil {
			return fmt.Errorf("test batch %d: %w", n, err)
		}
		rep.add(GradMetrics(res))
		n++
		if numReport > 0 && n%numReport == 0 {
			rep.flush("Test", fmt.Sprintf("%d steps", n))
		}
	}
	if n == 0 {
		return fmt.Errorf("the test data yielded no batches")
	}
	if numReport <= 0 {
		rep.flush("Test", fmt.Sprintf("%d epoch", epoch))
	}
	return nil
}

// Predict runs the model on inputs (B, T, F) (time-first with Layout TimeFirst) and returns
// the outputs, continuing from the current state unless reset (BrainPy's
// trainer.predict(inputs, reset_state)). Monitors of the run are in Mon afterwards.
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
func (t *BPTT) Epochs() int { return t.loop.epoch }
