package trainers_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/optim"
	"github.com/bpgo/bpgo/datasets"
	"github.com/bpgo/bpgo/trainers"
	"github.com/gomlx/gomlx/core/tensors"
)

// sliced is an EPropTrial over whole tensors, windows of win steps, that records the windows
// asked for.
func sliced(xs, ys *tensors.Tensor, win int, asked *[][2]int) trainers.EPropTrial {
	d := xs.Shape().Dimensions
	return trainers.EPropTrial{Batch: d[0], Steps: d[1], WindowSteps: win, Window: func(start, k int) (*tensors.Tensor, *tensors.Tensor, error) {
		*asked = append(*asked, [2]int{start, k})
		xw, err := bpgo.SliceTime(xs, start, k)
		if err != nil {
			return nil, nil, err
		}
		yw, err := bpgo.SliceTime(ys, start, k)
		return xw, yw, err
	}}
}

// A trial handed over in windows gives the whole trial's update and metrics, asks for the
// windows in order, WindowSteps at most (by default 10 chunks), and cuts them where online
// updates are applied.
func TestEPropTrialWindows(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const b, steps, nIn, n, k, window = 2, 30, 3, 5, 2, 12
	xs, labels := spikeTrains(b, steps, nIn, 0.5, k, 13)
	ys := bpgo.Must1(trainers.EvidenceTargets(labels, steps, window, k))
	for _, c := range []struct{ chunk, win, each int }{{7, 7, 7}, {7, 0, 70}, {4, 10, 10}, {30, 0, 300}} {
		chunk := c.chunk
		net := newEligSNN(t, nIn, n, k, []float64{0, 0, 1, 1, 0.5}, true)
		o := trainers.EPropDefaults()
		o.Dt, o.Chunk = 1, chunk
		ep := bpgo.Must1(trainers.NewEProp(net, net.network(), o))
		want := bpgo.Must1(ep.Compute(xs, ys))
		var asked [][2]int
		got := bpgo.Must1(ep.ComputeTrial(sliced(xs, ys, c.win, &asked)))
		for v, g := range want.Grads {
			if d := maxRelDiff(bpgo.ToFloat64s(got.Grads[v]), bpgo.ToFloat64s(g)); d > 1e-12 {
				t.Errorf("chunk %d: %s: the windowed trial's update differs from the whole one's by %.3g", chunk, v.Name(), d)
			}
		}
		if d := maxRelDiff([]float64{got.Loss, got.Reg, got.Accuracy}, []float64{want.Loss, want.Reg, want.Accuracy}); d > 1e-12 {
			t.Errorf("chunk %d: metrics %+v, want %+v", chunk, got, want)
		}
		var wantAsked [][2]int
		for s := 0; s < steps; s += c.each {
			wantAsked = append(wantAsked, [2]int{s, min(c.each, steps-s)})
		}
		if !slices.Equal(asked, wantAsked) {
			t.Errorf("chunk %d, WindowSteps %d: windows asked %v, want %v", chunk, c.win, asked, wantAsked)
		}
	}

	// Online updates: the windows are cut at the update steps, and the weights end as Step's.
	step := func(every int, trial bool) ([]float64, [][2]int) {
		net := newEligSNN(t, nIn, n, k, []float64{0, 0, 1, 1, 0.5}, true)
		o := trainers.EPropDefaults()
		o.Dt, o.Chunk, o.UpdateEvery = 1, 8, every
		o.Optimizer = bpgo.Must1(optim.NewSGD(optim.Constant(0.5), optim.SGDDefaults()))
		ep := bpgo.Must1(trainers.NewEProp(net, net.network(), o))
		var asked [][2]int
		if trial {
			tr := sliced(xs, ys, 8, &asked)
			tr.TargetRows = b * window
			bpgo.Must1(ep.StepTrial(tr))
		} else {
			bpgo.Must1(ep.Step(xs, ys))
		}
		return net.R2R.W.Float64s(), asked
	}
	want, _ := step(11, false)
	got, asked := step(11, true)
	if d := maxRelDiff(got, want); d > 1e-12 {
		t.Errorf("UpdateEvery 11: StepTrial's recurrent weights differ from Step's by %.3g", d)
	}
	if w := [][2]int{{0, 8}, {8, 3}, {11, 8}, {19, 3}, {22, 8}}; !slices.Equal(asked, w) {
		t.Errorf("UpdateEvery 11, chunk 8: windows %v, want %v", asked, w)
	}
}

func TestEPropTrialErrors(t *testing.T) {
	net := newEligSNN(t, 3, 4, 2, []float64{0, 0, 1, 1}, true)
	ep := bpgo.Must1(trainers.NewEProp(net, net.network(), trainers.EPropDefaults()))
	xs, labels := spikeTrains(2, 10, 3, 0.3, 2, 1)
	ys := bpgo.Must1(trainers.EvidenceTargets(labels, 10, 5, 2))
	var asked [][2]int
	check := func(what string, err error, want string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "trainers.EProp.") {
			t.Errorf("%s: got error %v, want one containing %q", what, err, want)
		}
	}
	tr := sliced(xs, ys, 0, &asked)
	tr.Window = nil
	_, err := ep.ComputeTrial(tr)
	check("no window", err, "EPropTrial.Window is nil")
	tr = sliced(xs, ys, 0, &asked)
	tr.Steps = 0
	_, err = ep.StepTrial(tr)
	check("no steps", err, "EPropTrial: Batch 2 and Steps 0: want both >= 1")
	tr = sliced(xs, ys, 0, &asked)
	tr.Batch = 3
	_, err = ep.ComputeTrial(tr)
	check("batch", err, "EPropTrial.Window(0, 10): inputs of shape [2 10 3], want (3, 10, 3)")
	tr = sliced(xs, bpgo.Zeros(2, 10, 3), 0, &asked)
	_, err = ep.ComputeTrial(tr)
	check("targets", err, "EPropTrial.Window(0, 10): targets of shape [2 10 3], want (2, 10, 2)")
	tr = sliced(xs, ys, 0, &asked)
	tr.Window = func(start, k int) (*tensors.Tensor, *tensors.Tensor, error) {
		return nil, nil, fmt.Errorf("disk on fire")
	}
	_, err = ep.ComputeTrial(tr)
	check("window error", err, "EPropTrial.Window(0, 10): disk on fire")
	_, err = ep.ComputeTrial(sliced(xs, bpgo.Zeros(2, 10, 2), 0, &asked))
	check("no targets", err, "no step has a target")
	_, err = ep.ComputeTrial(sliced(xs, ys, -1, &asked))
	check("window steps", err, "EPropTrial.WindowSteps: want 0 (10 chunks) or a number of steps >= 1, got -1")
	tr = sliced(xs, ys, 0, &asked)
	tr.TargetRows = -1
	_, err = ep.ComputeTrial(tr)
	check("target rows", err, "EPropTrial.TargetRows: want a finite value >= 0")

	o := trainers.EPropDefaults()
	o.UpdateEvery = 4
	ep = bpgo.Must1(trainers.NewEProp(net, net.network(), o))
	_, err = ep.StepTrial(sliced(xs, ys, 0, &asked))
	check("update every", err, "EPropTrial.TargetRows: EPropOptions.UpdateEvery (4) applies updates before the trial's end")
	_, err = trainers.EvidenceTargetsWindow(labels, 10, 5, 2, 8, 3)
	if err == nil || !strings.Contains(err.Error(), "trainers.EvidenceTargetsWindow: steps [8, 11) of 10") {
		t.Errorf("EvidenceTargetsWindow past the end: %v", err)
	}
	w := bpgo.Must1(trainers.EvidenceTargetsWindow(labels, 10, 5, 2, 3, 4))
	if got, want := bpgo.ToFloat64s(w), bpgo.ToFloat64s(bpgo.Must1(bpgo.SliceTime(ys, 3, 4))); !slices.Equal(got, want) {
		t.Errorf("EvidenceTargetsWindow(3, 4) = %v, want EvidenceTargets' steps 3..6 %v", got, want)
	}
}

// EvidenceTrial's windows are the stream's windows and EvidenceTargetsWindow's targets, written
// into one pair of tensors per window length; StepTrial on it gives what the same windows
// handed over as fresh tensors give. Bad arguments are named.
func TestEvidenceTrial(t *testing.T) {
	defer bpgo.UseMode(bpgo.TrainingMode)()
	for _, f64 := range []bool{false, true} {
		d, _ := smallClickTask()
		d.Float64 = f64
		task := bpgo.Must1(datasets.NewEvidenceAccumulation(d))
		tr := bpgo.Must1(trainers.EvidenceTrial(task.Stream(2, 1), d.RecallDuration, 2))
		ref := task.Stream(2, 1)
		if tr.Batch != 4 || tr.Steps != 60 || tr.TargetRows != 40 {
			t.Fatalf("Float64 %v: trial of %d × %d steps, %v target rows; want 4 × 60, 40", f64, tr.Batch, tr.Steps, tr.TargetRows)
		}
		seen := map[int]*tensors.Tensor{}
		for _, w := range [][2]int{{0, 25}, {25, 25}, {50, 10}, {10, 25}} {
			xs, ys, err := tr.Window(w[0], w[1])
			if err != nil {
				t.Fatal(err)
			}
			want := bpgo.Must1(ref.Window(w[0], w[1]))
			wantX := want.Float32
			if f64 {
				wantX = nil
				if !slices.Equal(tensors.MustCopyFlatData[float64](xs), want.Float64) {
					t.Errorf("Float64 window %v: inputs differ from the stream's", w)
				}
			}
			if wantX != nil && !slices.Equal(tensors.MustCopyFlatData[float32](xs), wantX) {
				t.Errorf("window %v: inputs differ from the stream's", w)
			}
			wantY := bpgo.Must1(trainers.EvidenceTargetsWindow(ref.Labels(), 60, d.RecallDuration, 2, w[0], w[1]))
			if !slices.Equal(bpgo.ToFloat64s(ys), bpgo.ToFloat64s(wantY)) || ys.DType() != wantY.DType() {
				t.Errorf("window %v: targets differ from EvidenceTargetsWindow's", w)
			}
			if prev := seen[w[1]]; prev != nil && prev != xs {
				t.Errorf("window %v: a new input tensor, want the one of the last %d-step window", w, w[1])
			}
			seen[w[1]] = xs
		}
	}

	d, task := smallClickTask()
	stepOn := func(trial trainers.EPropTrial) *trainers.EPropResult {
		bpgo.SetSeed(3)
		_, ep := smallEProp(10)
		trial.WindowSteps = 20
		return bpgo.Must1(ep.StepTrial(trial))
	}
	s := task.Stream(0, 3)
	fresh := trainers.EPropTrial{Batch: 4, Steps: 60, Window: func(start, k int) (*tensors.Tensor, *tensors.Tensor, error) {
		w := bpgo.Must1(s.Window(start, k))
		ys, err := trainers.EvidenceTargetsWindow(s.Labels(), 60, d.RecallDuration, 2, start, k)
		return tensors.FromFlatDataAndDimensions(w.Float32, w.Dims[:]...), ys, err
	}}
	got, want := stepOn(bpgo.Must1(trainers.EvidenceTrial(task.Stream(0, 3), d.RecallDuration, 2))), stepOn(fresh)
	if got.Loss != want.Loss || got.Accuracy != want.Accuracy {
		t.Errorf("StepTrial on EvidenceTrial: loss %v accuracy %v, want %v %v", got.Loss, got.Accuracy, want.Loss, want.Accuracy)
	}
	byName := map[string][]float64{}
	for v, g := range got.Grads {
		byName[v.Name()] = bpgo.ToFloat64s(g)
	}
	if len(byName) != 3 || len(want.Grads) != 3 {
		t.Fatalf("updates of %d and %d variables (by name %d), want 3", len(got.Grads), len(want.Grads), len(byName))
	}
	for v, g := range want.Grads { // the same network built twice: its variables by name
		if !slices.Equal(byName[v.Name()], bpgo.ToFloat64s(g)) {
			t.Errorf("StepTrial on EvidenceTrial: update of %s differs", v.Name())
		}
	}

	for _, c := range []struct {
		s       *datasets.EvidenceStream
		window  int
		classes int
		want    string
	}{
		{nil, 10, 2, "the stream is nil"},
		{task.Stream(0, 0), 0, 2, "window: want 1..60"},
		{task.Stream(0, 0), 10, 0, "classes: want >= 1"},
		{task.Stream(0, 0), 10, 1, "is not below classes = 1"},
	} {
		if _, err := trainers.EvidenceTrial(c.s, c.window, c.classes); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("EvidenceTrial(window %d, classes %d): error %v, want one saying %q", c.window, c.classes, err, c.want)
		}
	}
	tr := bpgo.Must1(trainers.EvidenceTrial(task.Stream(0, 0), 10, 2))
	if _, _, err := tr.Window(55, 10); err == nil || !strings.Contains(err.Error(), "steps [55, 65) of a 60-step trial") {
		t.Errorf("a window past the trial: error %v", err)
	}
}
