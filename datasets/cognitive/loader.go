package cognitive

import (
	"fmt"
	"io"
	"iter"
)

// DType is the element type of a batch's inputs.
type DType int

const (
	// Float64 fills Batch.Inputs64 (brainpy_datasets hands out float64 NumPy arrays).
	Float64 DType = iota
	// Float32 fills Batch.Inputs32, for a float32 model (JAX's default, the EI-RNN tutorial's).
	Float32
)

func (d DType) String() string {
	switch d {
	case Float64:
		return "Float64"
	case Float32:
		return "Float32"
	}
	return fmt.Sprintf("DType(%d)", int(d))
}

// TaskLoaderOptions configure a TaskLoader; the fields are brainpy_datasets' TaskLoader keyword
// arguments. Start from TaskLoaderDefaults().
type TaskLoaderOptions struct {
	// BatchSize is the number of trials per batch (batch_size), 1..NumTrial.
	BatchSize int
	// DataFirstAxis is "T" for time-first batches, inputs (T, B, C) and labels (T, B), or "B"
	// for batch-first, (B, T, C) and (B, T) (data_first_axis).
	DataFirstAxis string
	// DropLast drops the last batch of an epoch when it has fewer than BatchSize trials
	// (drop_last); by default it is yielded smaller.
	DropLast bool
	// DType is the element type of the inputs.
	DType DType
}

// TaskLoaderDefaults returns brainpy_datasets' defaults: batch_size 1, data_first_axis 'T',
// drop_last False, and float64 inputs.
func TaskLoaderDefaults() TaskLoaderOptions {
	return TaskLoaderOptions{BatchSize: 1, DataFirstAxis: "T", DType: Float64}
}

// TaskLoader batches the trials of a task, as brainpy_datasets' TaskLoader does.
//
// An epoch is NumTrial trials in ceil(NumTrial/BatchSize) batches, the last one smaller when
// BatchSize does not divide NumTrial (floor(NumTrial/BatchSize) full batches with DropLast).
// Every trial is drawn fresh from the task's stream when its batch is made, so each epoch sees
// new trials, and loaders built on the same task share one stream. Batches are time-first by
// default: the EI-RNN tutorial's loop scans axis 0 as time and flattens outputs and labels
// time-major.
//
// brainpy_datasets' max_seq_len/padding (concatenating trials to a fixed length), shuffle
// (permuting indices that the tasks ignore) and worker processes are not provided. Where
// brainpy_datasets accepts a batch_size above num_trial and makes one short batch,
// NewTaskLoader refuses it. A TaskLoader is not safe for concurrent use.
type TaskLoader[I Info] struct {
	task Task[I]
	opts TaskLoaderOptions
	next int // index of the next trial in the epoch
}

// NewTaskLoader validates the options and builds a loader over task.
func NewTaskLoader[I Info](task Task[I], opts TaskLoaderOptions) (*TaskLoader[I], error) {
	const fn, rec = "cognitive.NewTaskLoader", "TaskLoaderOptions"
	if task == nil {
		return nil, fmt.Errorf("%s: task is nil", fn)
	}
	if n := task.NumTrial(); opts.BatchSize < 1 || opts.BatchSize > n {
		return nil, fmt.Errorf("%s: %s.BatchSize: want 1..%d (the task's NumTrial), got %d", fn, rec, n, opts.BatchSize)
	}
	if opts.DataFirstAxis != "T" && opts.DataFirstAxis != "B" {
		return nil, fmt.Errorf("%s: %s.DataFirstAxis: want \"T\" (time-first) or \"B\" (batch-first), got %q", fn, rec, opts.DataFirstAxis)
	}
	if opts.DType != Float64 && opts.DType != Float32 {
		return nil, fmt.Errorf("%s: %s.DType: want Float64 or Float32, got %v", fn, rec, opts.DType)
	}
	return &TaskLoader[I]{task: task, opts: opts}, nil
}

// Task returns the loader's task.
func (l *TaskLoader[I]) Task() Task[I] { return l.task }

// Options returns the loader's options.
func (l *TaskLoader[I]) Options() TaskLoaderOptions { return l.opts }

// BatchSize is the number of trials in a full batch.
func (l *TaskLoader[I]) BatchSize() int { return l.opts.BatchSize }

// Len is the number of batches per epoch (len(loader)).
func (l *TaskLoader[I]) Len() int {
	n, b := l.task.NumTrial(), l.opts.BatchSize
	if l.opts.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// Reset moves the loader back to the start of an epoch.
func (l *TaskLoader[I]) Reset() { l.next = 0 }

// GetBatch makes the next batch of the epoch (get_batch): on a fresh loader the first one. At
// the end of the epoch it returns io.EOF until Reset (brainpy_datasets returns None).
func (l *TaskLoader[I]) GetBatch() (*Batch[I], error) {
	n := l.task.NumTrial() - l.next
	if n <= 0 || (l.opts.DropLast && n < l.opts.BatchSize) {
		return nil, io.EOF
	}
	n = min(n, l.opts.BatchSize)
	b, err := l.makeBatch(n)
	if err != nil {
		return nil, err
	}
	b.Start = l.next
	l.next += n
	return b, nil
}

// Epoch resets the loader and yields the batches of one epoch (iterating the loader):
//
//	for batch, err := range loader.Epoch() {
//		if err != nil { ... }
//		...
//	}
//
// On an error it yields (nil, err) and stops.
func (l *TaskLoader[I]) Epoch() iter.Seq2[*Batch[I], error] {
	return func(yield func(*Batch[I], error) bool) {
		l.Reset()
		for {
			b, err := l.GetBatch()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(b, nil) {
				return
			}
		}
	}
}

func (l *TaskLoader[I]) makeBatch(n int) (*Batch[I], error) {
	const method = "cognitive.TaskLoader.GetBatch"
	steps, nc := l.task.NumSteps(), l.task.NumInputs()
	b := &Batch[I]{
		NumSteps: steps, Size: n, NumInputs: nc, TimeFirst: l.opts.DataFirstAxis == "T",
		Labels: make([]int, steps*n), Infos: make([]I, n),
	}
	var x64 []float64
	var x32 []float32
	if l.opts.DType == Float32 {
		x32 = make([]float32, steps*n*nc)
		b.Inputs32 = x32
	} else {
		x64 = make([]float64, steps*n*nc)
		b.Inputs64 = x64
	}
	for i := range n {
		tr, err := l.task.Sample()
		if err != nil {
			return nil, fmt.Errorf("%s: trial %d: %w", method, l.next+i, err)
		}
		if tr.NumSteps != steps || tr.NumInputs != nc || len(tr.Inputs) != steps*nc || len(tr.Labels) != steps {
			return nil, fmt.Errorf("%s: trial %d of %s has %d×%d inputs and %d labels, want %d×%d and %d",
				method, l.next+i, l.task.Name(), tr.NumSteps, tr.NumInputs, len(tr.Labels), steps, nc, steps)
		}
		b.Infos[i] = tr.Info
		for t := range steps {
			row := b.index(t, i)
			b.Labels[row] = tr.Labels[t]
			src := tr.Inputs[t*nc : (t+1)*nc]
			if x32 != nil {
				for c, v := range src {
					x32[row*nc+c] = float32(v)
				}
			} else {
				copy(x64[row*nc:(row+1)*nc], src)
			}
		}
	}
	return b, nil
}

// Batch is one batch of trials. Inputs are flat, row-major, with the shape InputShape; labels
// have the shape LabelShape. Exactly one of Inputs64 and Inputs32 is set, after the loader's
// DType.
type Batch[I Info] struct {
	Inputs64 []float64
	Inputs32 []float32
	// Labels are the per-step target classes.
	Labels []int
	// NumSteps (T), Size (B) and NumInputs (C) are the batch's dimensions.
	NumSteps, Size, NumInputs int
	// TimeFirst is true for the (T, B, ...) layout and false for (B, T, ...).
	TimeFirst bool
	// Infos describe the trials in batch order (for psychometric curves, selectivity, ...).
	Infos []I
	// Start is the index of the batch's first trial in the epoch.
	Start int
}

// InputShape is (T, B, C) when TimeFirst, else (B, T, C).
func (b *Batch[I]) InputShape() []int {
	if b.TimeFirst {
		return []int{b.NumSteps, b.Size, b.NumInputs}
	}
	return []int{b.Size, b.NumSteps, b.NumInputs}
}

// LabelShape is (T, B) when TimeFirst, else (B, T).
func (b *Batch[I]) LabelShape() []int {
	if b.TimeFirst {
		return []int{b.NumSteps, b.Size}
	}
	return []int{b.Size, b.NumSteps}
}

// index is the flat position of (step t, trial i) in the labels (times NumInputs: inputs).
func (b *Batch[I]) index(t, i int) int {
	if b.TimeFirst {
		return t*b.Size + i
	}
	return i*b.NumSteps + t
}

// Input returns input channel c of trial i at step t, whatever the layout and DType.
func (b *Batch[I]) Input(t, i, c int) float64 {
	k := b.index(t, i)*b.NumInputs + c
	if b.Inputs32 != nil {
		return float64(b.Inputs32[k])
	}
	return b.Inputs64[k]
}

// Label returns the label of trial i at step t.
func (b *Batch[I]) Label(t, i int) int { return b.Labels[b.index(t, i)] }

// LabelsAt returns the labels of all trials at step t; LabelsAt(NumSteps-1) is the EI-RNN
// tutorial's trial_infos[-1] (ground truth + 1).
func (b *Batch[I]) LabelsAt(t int) []int {
	out := make([]int, b.Size)
	for i := range out {
		out[i] = b.Labels[b.index(t, i)]
	}
	return out
}

// Trial returns a copy of trial i of the batch as a Trial (T×C float64 inputs, time-major),
// e.g. to plot one trial of an analysis batch.
func (b *Batch[I]) Trial(i int) Trial[I] {
	tr := Trial[I]{
		Inputs: make([]float64, b.NumSteps*b.NumInputs), Labels: make([]int, b.NumSteps),
		NumSteps: b.NumSteps, NumInputs: b.NumInputs, Info: b.Infos[i],
	}
	for t := range b.NumSteps {
		tr.Labels[t] = b.Label(t, i)
		for c := range b.NumInputs {
			tr.Inputs[t*b.NumInputs+c] = b.Input(t, i, c)
		}
	}
	return tr
}
