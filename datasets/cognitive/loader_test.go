package cognitive_test

import (
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/bpgo/bpgo/datasets/cognitive"
)

func newLoader[I cognitive.Info](t *testing.T, task cognitive.Task[I], edit func(*cognitive.TaskLoaderOptions)) *cognitive.TaskLoader[I] {
	t.Helper()
	o := cognitive.TaskLoaderDefaults()
	if edit != nil {
		edit(&o)
	}
	l, err := cognitive.NewTaskLoader(task, o)
	if err != nil {
		t.Fatalf("NewTaskLoader(%+v): %v", o, err)
	}
	return l
}

func TestTaskLoaderDefaults(t *testing.T) {
	o := cognitive.TaskLoaderDefaults()
	if o.BatchSize != 1 || o.DataFirstAxis != "T" || o.DropLast || o.DType != cognitive.Float64 {
		t.Errorf("defaults %+v, want batch_size 1, data_first_axis T, drop_last False, float64", o)
	}
}

// TestTaskLoaderTutorialEpoch runs the seed-003 loop shape: TaskLoader(dataset, batch_size=16)
// over RatePerceptualDecisionMaking(dt=20.): 64 batches of (110, 16, 3) inputs and (110, 16)
// labels per epoch, fresh trials every epoch.
func TestTaskLoaderTutorialEpoch(t *testing.T) {
	l := newLoader(t, tutorialPDM(t, nil), func(o *cognitive.TaskLoaderOptions) { o.BatchSize = 16 })
	if l.Len() != 64 || l.BatchSize() != 16 {
		t.Fatalf("Len, BatchSize = %d, %d; want 64, 16", l.Len(), l.BatchSize())
	}
	var firsts [][]float64
	for epoch := range 2 {
		n := 0
		for b, err := range l.Epoch() {
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(b.InputShape(), []int{110, 16, 3}) || !slices.Equal(b.LabelShape(), []int{110, 16}) ||
				len(b.Inputs64) != 110*16*3 || b.Inputs32 != nil || len(b.Labels) != 110*16 || len(b.Infos) != 16 {
				t.Fatalf("batch shapes %v %v, %d inputs, %d labels", b.InputShape(), b.LabelShape(), len(b.Inputs64), len(b.Labels))
			}
			if b.Start != 16*n {
				t.Errorf("batch %d starts at trial %d", n, b.Start)
			}
			// Time-first: the label of trial i at step t sits at t*B+i and is gt+1 at the end.
			last := b.LabelsAt(109)
			for i, info := range b.Infos {
				if b.Labels[109*16+i] != info.GroundTruth+1 || last[i] != info.GroundTruth+1 || b.Label(0, i) != 0 {
					t.Fatalf("trial %d: last label %d, gt %d", i, b.Labels[109*16+i], info.GroundTruth)
				}
			}
			if n == 0 {
				firsts = append(firsts, b.Inputs64)
			}
			n++
		}
		if n != 64 {
			t.Errorf("epoch %d: %d batches, want 64", epoch, n)
		}
	}
	if slices.Equal(firsts[0], firsts[1]) {
		t.Error("the second epoch repeated the first epoch's trials")
	}
}

// TestTaskLoaderLayouts checks that batch-first is the transpose of time-first and float32 the
// rounding of float64, for the same seed.
func TestTaskLoaderLayouts(t *testing.T) {
	seed := func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.Seed = 21 }
	tf := newLoader(t, tutorialPDM(t, seed), func(o *cognitive.TaskLoaderOptions) { o.BatchSize = 5 })
	bf := newLoader(t, tutorialPDM(t, seed), func(o *cognitive.TaskLoaderOptions) { o.BatchSize = 5; o.DataFirstAxis = "B" })
	f32 := newLoader(t, tutorialPDM(t, seed), func(o *cognitive.TaskLoaderOptions) { o.BatchSize = 5; o.DType = cognitive.Float32 })
	a, err := tf.GetBatch()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := bf.GetBatch()
	c, _ := f32.GetBatch()
	if !slices.Equal(b.InputShape(), []int{5, 110, 3}) || !slices.Equal(b.LabelShape(), []int{5, 110}) || b.TimeFirst {
		t.Fatalf("batch-first shapes %v %v", b.InputShape(), b.LabelShape())
	}
	if c.Inputs64 != nil || len(c.Inputs32) != 110*5*3 {
		t.Fatalf("float32 batch: %d float64, %d float32 inputs", len(c.Inputs64), len(c.Inputs32))
	}
	if ta, tb := a.Trial(2), b.Trial(2); !slices.Equal(ta.Inputs, tb.Inputs) || !slices.Equal(ta.Labels, tb.Labels) {
		t.Error("Batch.Trial differs between the layouts")
	}
	for step := range 110 {
		for i := range 5 {
			if a.Label(step, i) != b.Labels[i*110+step] || a.Labels[step*5+i] != b.Labels[i*110+step] || c.Label(step, i) != a.Label(step, i) {
				t.Fatalf("labels differ at step %d trial %d", step, i)
			}
			for ch := range 3 {
				v := a.Inputs64[(step*5+i)*3+ch]
				if b.Inputs64[(i*110+step)*3+ch] != v || b.Input(step, i, ch) != v || a.Input(step, i, ch) != v {
					t.Fatalf("inputs differ at step %d trial %d channel %d", step, i, ch)
				}
				if c.Inputs32[(step*5+i)*3+ch] != float32(v) || c.Input(step, i, ch) != float64(float32(v)) {
					t.Fatalf("float32 input at step %d trial %d channel %d is %v, want %v", step, i, ch, c.Inputs32[(step*5+i)*3+ch], float32(v))
				}
			}
		}
	}
}

// TestTaskLoaderPartialBatch checks brainpy_datasets' handling of an epoch that BatchSize does
// not divide: a smaller last batch, or none with DropLast; GetBatch then reports io.EOF.
func TestTaskLoaderPartialBatch(t *testing.T) {
	task := tutorialPDM(t, func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.NumTrial = 10 })
	for _, drop := range []bool{false, true} {
		l := newLoader(t, task, func(o *cognitive.TaskLoaderOptions) { o.BatchSize = 4; o.DropLast = drop })
		want := []int{4, 4, 2}
		if drop {
			want = want[:2]
		}
		var sizes []int
		for b, err := range l.Epoch() {
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, b.Size)
			if len(b.Labels) != 110*b.Size || len(b.Infos) != b.Size || b.InputShape()[1] != b.Size {
				t.Errorf("batch of %d has %d labels, %d infos, shape %v", b.Size, len(b.Labels), len(b.Infos), b.InputShape())
			}
		}
		if !slices.Equal(sizes, want) || l.Len() != len(want) {
			t.Errorf("DropLast %v: batch sizes %v (Len %d), want %v", drop, sizes, l.Len(), want)
		}
		if _, err := l.GetBatch(); err != io.EOF {
			t.Errorf("DropLast %v: GetBatch after the epoch = %v, want io.EOF", drop, err)
		}
		l.Reset()
		if b, err := l.GetBatch(); err != nil || b.Start != 0 || b.Size != 4 {
			t.Errorf("after Reset: %v, %+v", err, b)
		}
	}
	// Batch size equal to NumTrial: one batch.
	l := newLoader(t, task, func(o *cognitive.TaskLoaderOptions) { o.BatchSize = 10 })
	if l.Len() != 1 {
		t.Errorf("BatchSize = NumTrial: Len %d", l.Len())
	}
}

// TestTaskLoaderSharedStream checks that loaders on one task share its stream (the tutorial's
// analysis loader continues where training stopped), that same-seeded tasks give the same
// batches, and that leaving an epoch early is safe.
func TestTaskLoaderSharedStream(t *testing.T) {
	mk := func() *cognitive.RatePerceptualDecisionMaking { return tutorialPDM(t, nil) }
	t1, t2 := mk(), mk()
	a1, b1 := newLoader(t, t1, nil), newLoader(t, t1, nil)
	a2 := newLoader(t, t2, nil)
	x, _ := a1.GetBatch()
	y, _ := b1.GetBatch() // fresh loader, same task: the stream's second trial
	z, _ := a2.GetBatch()
	if !slices.Equal(x.Inputs64, z.Inputs64) || x.Infos[0].Coherence != z.Infos[0].Coherence {
		t.Error("same-seeded tasks gave different first batches")
	}
	if slices.Equal(x.Inputs64, y.Inputs64) {
		t.Error("a second loader on the same task repeated the first loader's trial")
	}
	w, _ := a2.GetBatch()
	if !slices.Equal(w.Inputs64, y.Inputs64) {
		t.Error("the stream is not shared in draw order")
	}
	// Batch.Trial recovers the trial as the task made it.
	t3 := mk()
	want, _ := t3.Sample()
	if got := x.Trial(0); !slices.Equal(got.Inputs, want.Inputs) || !slices.Equal(got.Labels, want.Labels) ||
		got.NumSteps != 110 || got.NumInputs != 3 || got.Info.Coherence != want.Info.Coherence {
		t.Error("Batch.Trial(0) differs from the task's first trial")
	}
	for b, err := range a1.Epoch() {
		if err != nil || b.Start != 0 {
			t.Fatalf("first batch of a new epoch: %v, start %d", err, b.Start)
		}
		break
	}
	if b, err := a1.GetBatch(); err != nil || b.Start != 1 {
		t.Errorf("after leaving the epoch early GetBatch continues at trial 1: %v, %+v", err, b)
	}
}

// TestTaskLoaderOtherTasks checks the loader with the two other tasks' info types.
func TestTaskLoaderOtherTasks(t *testing.T) {
	lc := newLoader(t, newCDM(t, nil), func(o *cognitive.TaskLoaderOptions) { o.BatchSize = 8; o.DataFirstAxis = "B" })
	b, err := lc.GetBatch()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.InputShape(), []int{8, 60, 7}) {
		t.Errorf("context batch shape %v", b.InputShape())
	}
	for i, info := range b.Infos {
		if b.Label(59, i) != info.Direction[info.Context]+1 || b.Input(10, i, 5+info.Context) != b.Inputs64[(i*60+10)*7+5+info.Context] {
			t.Errorf("context trial %d: label %d, info %+v", i, b.Label(59, i), info)
		}
	}
	lm := newLoader(t, newDMS(t, nil), func(o *cognitive.TaskLoaderOptions) { o.BatchSize = 3 })
	m, err := lm.GetBatch()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.InputShape(), []int{160, 3, 3}) || m.LabelsAt(159)[2] != m.Infos[2].GroundTruth+1 {
		t.Errorf("match batch shape %v, last labels %v", m.InputShape(), m.LabelsAt(159))
	}
}

func TestTaskLoaderErrors(t *testing.T) {
	task := tutorialPDM(t, nil)
	const rec = "cognitive.NewTaskLoader: TaskLoaderOptions."
	cases := []struct {
		name  string
		edit  func(*cognitive.TaskLoaderOptions)
		frags []string
	}{
		{"batch 0", func(o *cognitive.TaskLoaderOptions) { o.BatchSize = 0 }, []string{rec + "BatchSize", "1..1024", "got 0"}},
		{"batch above NumTrial", func(o *cognitive.TaskLoaderOptions) { o.BatchSize = 1025 }, []string{rec + "BatchSize", "NumTrial", "1025"}},
		{"axis t", func(o *cognitive.TaskLoaderOptions) { o.DataFirstAxis = "t" }, []string{rec + "DataFirstAxis", `"t"`}},
		{"axis empty", func(o *cognitive.TaskLoaderOptions) { o.DataFirstAxis = "" }, []string{rec + "DataFirstAxis"}},
		{"dtype 5", func(o *cognitive.TaskLoaderOptions) { o.DType = 5 }, []string{rec + "DType", "DType(5)"}},
	}
	for _, c := range cases {
		o := cognitive.TaskLoaderDefaults()
		c.edit(&o)
		l, err := cognitive.NewTaskLoader(task, o)
		wantErr(t, c.name, err, c.frags...)
		if l != nil {
			t.Errorf("%s: a loader came back with the error", c.name)
		}
	}
	_, err := cognitive.NewTaskLoader[cognitive.PerceptualInfo](nil, cognitive.TaskLoaderDefaults())
	wantErr(t, "nil task", err, "cognitive.NewTaskLoader: task is nil")
	if cognitive.Float32.String() != "Float32" || cognitive.Float64.String() != "Float64" {
		t.Error("DType names")
	}
}

// brokenTask is a task whose trials fail or change length, to check the loader's errors.
type brokenTask struct {
	*cognitive.RatePerceptualDecisionMaking
	calls int
}

func (b *brokenTask) Sample() (cognitive.Trial[cognitive.PerceptualInfo], error) {
	b.calls++
	tr, err := b.RatePerceptualDecisionMaking.Sample()
	switch b.calls {
	case 2:
		tr.Labels = tr.Labels[:10]
	case 3:
		err = errors.New("no more trials")
	}
	return tr, err
}

func TestTaskLoaderTrialErrors(t *testing.T) {
	l := newLoader[cognitive.PerceptualInfo](t, &brokenTask{RatePerceptualDecisionMaking: tutorialPDM(t, nil)}, nil)
	if _, err := l.GetBatch(); err != nil {
		t.Fatal(err)
	}
	_, err := l.GetBatch()
	wantErr(t, "short trial", err, "cognitive.TaskLoader.GetBatch: trial 1", "10 labels")
	var seen error
	n := 0
	for b, err := range l.Epoch() {
		n++
		if err != nil {
			seen = err
			if b != nil {
				t.Error("a batch came with the error")
			}
		}
	}
	wantErr(t, "failing trial", seen, "trial 0", "no more trials")
	if n != 1 {
		t.Errorf("the epoch went on for %d yields after the error", n)
	}
}
