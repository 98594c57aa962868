package trainers_test

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/losses"
	"github.com/bpgo/bpgo/bpgo/optim"
	"github.com/bpgo/bpgo/models"
	"github.com/bpgo/bpgo/trainers"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// integrator is the quickstart's RNN at a small size.
type integrator struct {
	RNN *models.RNNCell
	Out *models.Dense
}

func (m *integrator) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.Out.Update(ctx, m.RNN.Update(ctx, x))
}

func newIntegrator(t *testing.T, hidden int) *integrator {
	t.Helper()
	bpgo.SetSeed(1)
	cell, err := models.NewRNNCell(1, hidden, models.RNNCellOptions{TrainState: true, Mode: bpgo.TrainingMode})
	if err != nil {
		t.Fatal(err)
	}
	out, err := models.NewDense(hidden, 1, models.DenseOptions{Mode: bpgo.TrainingMode})
	if err != nil {
		t.Fatal(err)
	}
	return &integrator{RNN: cell, Out: out}
}

func integratorLoss(lc *bpgo.LossContext, pred, y *graph.Node) *graph.Node {
	mse := losses.MSE(pred, y)
	lc.Aux("mse", mse)
	return graph.Add(mse, graph.MulScalar(losses.L2NormSquared(lc.TrainVars()...), 2e-4))
}

// noiseData is the quickstart's white-noise integration task (dt 0.04, 25 steps), with a
// fixed seed so every epoch sees the same batches.
func noiseData(batches, batch int, seed uint64) trainers.Data {
	return func(yield func(trainers.Batch, error) bool) {
		bpgo.SetSeed(seed)
		rng := bpgo.NewRNG()
		for range batches {
			xs := make([]float64, batch*25)
			ys := make([]float64, batch*25)
			for b := range batch {
				bias := 0.05 * (rng.NormFloat64() - 0.5)
				sum := 0.0
				for t := range 25 {
					v := bias + 0.01/math.Sqrt(0.04)*rng.NormFloat64()
					sum += v
					xs[b*25+t], ys[b*25+t] = v, sum
				}
			}
			x := bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), xs, batch, 25, 1))
			y := bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), ys, batch, 25, 1))
			if !yield(trainers.Batch{X: x, Y: y}, nil) {
				return
			}
		}
	}
}

func newAdam(t *testing.T) *optim.Adam {
	t.Helper()
	a, err := optim.NewAdam(optim.ExponentialDecay{LR: 0.025, DecaySteps: 1, DecayRate: 0.99975}, adamEps(0.1))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestBPTTFitReportsAndLearns(t *testing.T) {
	skipShort(t)
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	m := newIntegrator(t, 16)
	var out bytes.Buffer
	opt := newAdam(t)
	tr, err := trainers.NewBPTT(m, integratorLoss, trainers.BPTTOptions{Optimizer: opt, Out: &out, Chunk: bpgo.DefaultChunk})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Fit(noiseData(10, 16, 1), noiseData(2, 16, 2), 3, trainers.FitOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("want 3 Train + 3 Test lines, got:\n%s", out.String())
	}
	re := regexp.MustCompile(`^(Train|Test) (\d) epoch, use \d+\.\d{4} s, loss (\S+), mse (\S+)$`)
	for i, l := range lines {
		mm := re.FindStringSubmatch(l)
		if mm == nil {
			t.Fatalf("line %q does not look like BrainPy's report", l)
		}
		if want := []string{"Train", "Test"}[i%2]; mm[1] != want || mm[2] != string(rune('0'+i/2)) {
			t.Errorf("line %d is %q", i, l)
		}
	}
	losses := tr.History().Report(trainers.FitPhase, "loss")
	if len(losses) != 3 || len(tr.History().Detailed(trainers.FitPhase, "loss")) != 30 || len(tr.History().Report(trainers.TestPhase, "loss")) != 3 {
		t.Fatalf("history lengths: fit %d, detailed %d, test %d", len(losses), len(tr.History().Detailed(trainers.FitPhase, "loss")), len(tr.History().Report(trainers.TestPhase, "loss")))
	}
	if !(losses[2] < losses[0]) {
		t.Errorf("loss did not decrease: %v", losses)
	}
	if mse := tr.History().Report(trainers.FitPhase, "mse"); len(mse) != 3 || !(mse[0] < losses[0]) {
		t.Errorf("aux mse history %v vs loss %v", mse, losses)
	}
	if got := strings.Join(tr.History().Names(trainers.FitPhase), ","); got != "loss,mse" {
		t.Errorf("metric order %q", got)
	}
	// BPTT.fit steps the schedule's epoch counter once per epoch: Adam's bias correction uses
	// last_epoch+2 = 4 after three epochs.
	if n := opt.BiasCorrectionStep(); n != 4 {
		t.Errorf("Adam bias-correction step %d, want 4", n)
	}
	pred, err := tr.Predict(bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), make([]float64, 2*25), 2, 25, 1)), true)
	if err != nil {
		t.Fatal(err)
	}
	if d := pred.Shape().Dimensions; d[0] != 2 || d[1] != 25 || d[2] != 1 {
		t.Errorf("predict shape %v", d)
	}
}

func TestBPTTNumReport(t *testing.T) {
	skipShort(t)
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	var out bytes.Buffer
	tr := bpgo.Must1(trainers.NewBPTT(newIntegrator(t, 4), integratorLoss, trainers.BPTTOptions{Optimizer: newAdam(t), Out: &out, Chunk: bpgo.DefaultChunk}))
	// 5 batches per epoch, report every 3 steps over 2 epochs: reports at steps 3, 6, 9; the
	// per-epoch accumulator restarts each epoch, so the report at step 6 averages step 6 only.
	if err := tr.Fit(noiseData(5, 4, 1), nil, 2, trainers.FitOptions{NumReport: 3}); err != nil {
		t.Fatal(err)
	}
	got := regexp.MustCompile(`Train (\d+) steps`).FindAllStringSubmatch(out.String(), -1)
	if len(got) != 3 || got[0][1] != "3" || got[1][1] != "6" || got[2][1] != "9" {
		t.Fatalf("report lines:\n%s", out.String())
	}
	d := tr.History().Detailed(trainers.FitPhase, "loss")
	if r := tr.History().Report(trainers.FitPhase, "loss"); len(r) != 3 || math.Abs(r[1]-d[5]) > 1e-15 {
		t.Errorf("report means %v, detailed %v", r, d)
	}
}

func TestBPTTReportLastBatch(t *testing.T) {
	skipShort(t)
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	var out bytes.Buffer
	tr := bpgo.Must1(trainers.NewBPTT(newIntegrator(t, 4), integratorLoss, trainers.BPTTOptions{Optimizer: newAdam(t), Out: &out, Chunk: bpgo.DefaultChunk}))
	// BrainPy 2.1.12: the current batch's values rounded to 5 decimals, "train loss"; the test
	// data is evaluated into the History but not printed.
	if err := tr.Fit(noiseData(5, 4, 1), noiseData(3, 4, 2), 2, trainers.FitOptions{NumReport: 3, Style: trainers.ReportLastBatch}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	re := regexp.MustCompile(`^Train (\d+) steps, use \d+\.\d{4} s, train loss (\S+), train mse (\S+)$`)
	d := tr.History().Detailed(trainers.FitPhase, "loss")
	if len(lines) != 3 {
		t.Fatalf("want 3 Train lines and no Test line, got:\n%s", out.String())
	}
	for i, l := range lines {
		mm := re.FindStringSubmatch(l)
		if mm == nil {
			t.Fatalf("line %q is not BrainPy 2.1.12's report", l)
		}
		step := 3 * (i + 1)
		if mm[1] != strconv.Itoa(step) {
			t.Errorf("line %d reports step %s, want %d", i, mm[1], step)
		}
		want := math.Round(d[step-1]*1e5) / 1e5
		if got, _ := strconv.ParseFloat(mm[2], 64); got != want || len(mm[2]) > 7 {
			t.Errorf("line %d: train loss %s, want step %d's loss %v rounded to %v", i, mm[2], step, d[step-1], want)
		}
	}
	if n := len(tr.History().Report(trainers.TestPhase, "loss")); n != 2 {
		t.Errorf("test reports kept in the History: %d, want one per epoch (2)", n)
	}
	if err := tr.Fit(noiseData(1, 4, 1), nil, 1, trainers.FitOptions{Style: 7}); err == nil || !strings.Contains(err.Error(), "FitOptions.Style") {
		t.Errorf("unknown style: err = %v, want one naming FitOptions.Style", err)
	}
}

func TestBPTTBadData(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	tr := bpgo.Must1(trainers.NewBPTT(newIntegrator(t, 4), integratorLoss, trainers.BPTTOptions{Optimizer: newAdam(t), Out: &bytes.Buffer{}, Chunk: bpgo.DefaultChunk}))
	f := func(v []float64, dims ...int) *tensors.Tensor {
		return bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), v, dims...))
	}
	x := f(make([]float64, 2*3), 2, 3, 1)
	y := f(make([]float64, 2*3), 2, 3, 1)
	cases := map[string]struct {
		data trainers.Data
		want []string
	}{
		"empty":         {trainers.Batches(), []string{"epoch 0", "no batches"}},
		"wrong feature": {trainers.Batches(trainers.Batch{X: f(make([]float64, 2*3*2), 2, 3, 2), Y: y}), []string{"epoch 0, batch 0", "want (batch, 1)"}},
		"batch sizes":   {trainers.Batches(trainers.Batch{X: x, Y: f(make([]float64, 3*3), 3, 3, 1)}), []string{"same batch size"}},
		"nan input":     {trainers.Batches(trainers.Batch{X: x, Y: y}, trainers.Batch{X: f([]float64{0, math.NaN(), 0, 0, 0, 0}, 2, 3, 1), Y: y}), []string{"batch 1", "NaN"}},
		"generator error": {func(yield func(trainers.Batch, error) bool) {
			yield(trainers.Batch{}, errors.New("disk on fire"))
		}, []string{"batch 0", "disk on fire"}},
	}
	for name, c := range cases {
		err := tr.Fit(c.data, nil, 1, trainers.FitOptions{})
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want it to mention %q", name, err, w)
			}
		}
	}
	if err := tr.Fit(nil, nil, 1, trainers.FitOptions{}); err == nil {
		t.Error("nil data accepted")
	}
	if err := tr.Fit(trainers.Batches(trainers.Batch{X: x, Y: y}), nil, 0, trainers.FitOptions{}); err == nil {
		t.Error("0 epochs accepted")
	}
}

// TestBPTTNaNLossStops: a loss that turns non-finite stops training with the epoch and step,
// and the parameters keep their last finite values.
func TestBPTTNaNLossStops(t *testing.T) {
	skipShort(t)
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	m := newIntegrator(t, 4)
	// The loss is finite for targets below 100 and NaN above (log of a negative number).
	loss := func(lc *bpgo.LossContext, pred, y *graph.Node) *graph.Node {
		return graph.Add(losses.MSE(pred, y), graph.Log(graph.Sub(lc.Const(100), graph.ReduceAllMax(y))))
	}
	tr := bpgo.Must1(trainers.NewBPTT(m, loss, trainers.BPTTOptions{Optimizer: newAdam(t), Out: &bytes.Buffer{}, Chunk: bpgo.DefaultChunk}))
	f := func(v float64) *tensors.Tensor {
		d := make([]float64, 2*3)
		for i := range d {
			d[i] = v
		}
		return bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), d, 2, 3, 1))
	}
	data := trainers.Batches(trainers.Batch{X: f(1), Y: f(1)}, trainers.Batch{X: f(1), Y: f(1)}, trainers.Batch{X: f(1), Y: f(200)})
	err := tr.Fit(data, nil, 2, trainers.FitOptions{})
	if err == nil || !strings.Contains(err.Error(), "epoch 0, batch 2 (training step 2)") || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("error %v", err)
	}
	for _, v := range bpgo.Must1(bpgo.Walk(m)).Params(true) {
		for _, x := range v.Float64s() {
			if math.IsNaN(x) {
				t.Fatalf("%s became NaN", v.Name())
			}
		}
	}
}

// TestSaveLoadResume: saving after two epochs and loading into a fresh model and optimizer
// resumes training exactly where the original continues.
func TestSaveLoadResume(t *testing.T) {
	skipShort(t)
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	path := filepath.Join(t.TempDir(), "rnn.ckpt")
	m := newIntegrator(t, 8)
	opt := newAdam(t)
	tr := bpgo.Must1(trainers.NewBPTT(m, integratorLoss, trainers.BPTTOptions{Optimizer: opt, Out: &bytes.Buffer{}, Chunk: bpgo.DefaultChunk}))
	bpgo.Must(tr.Fit(noiseData(4, 8, 1), nil, 2, trainers.FitOptions{}))
	if err := bpgo.Save(path, m, opt); err != nil {
		t.Fatal(err)
	}
	bpgo.Must(tr.Fit(noiseData(4, 8, 3), nil, 1, trainers.FitOptions{}))
	want := tr.History().Report(trainers.FitPhase, "loss")[2]

	m2 := newIntegrator(t, 8) // same structure, different weights until loaded
	m2.Out.W.SetValue(bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), make([]float64, 8), 8, 1)))
	opt2 := newAdam(t)
	if err := bpgo.Load(path, m2, opt2); err != nil {
		t.Fatal(err)
	}
	tr2 := bpgo.Must1(trainers.NewBPTT(m2, integratorLoss, trainers.BPTTOptions{Optimizer: opt2, Out: &bytes.Buffer{}, Chunk: bpgo.DefaultChunk}))
	bpgo.Must(tr2.Fit(noiseData(4, 8, 3), nil, 1, trainers.FitOptions{}))
	if got := tr2.History().Report(trainers.FitPhase, "loss")[0]; got != want {
		t.Errorf("resumed loss %v, want %v (the original's third epoch)", got, want)
	}
	// A file saved with an optimizer also loads into a bare model (for inference).
	m3 := newIntegrator(t, 8)
	if err := bpgo.Load(path, m3, nil); err != nil {
		t.Fatalf("loading parameters only: %v", err)
	}
	if opt2.BiasCorrectionStep() != opt.BiasCorrectionStep() || opt2.Updates() != opt.Updates() {
		t.Errorf("optimizer counters not restored: %d/%d vs %d/%d", opt2.BiasCorrectionStep(), opt2.Updates(), opt.BiasCorrectionStep(), opt.Updates())
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	dir := t.TempDir()
	m := newIntegrator(t, 4)
	good := filepath.Join(dir, "good.ckpt")
	bpgo.Must(bpgo.Save(good, m, nil))
	raw, _ := os.ReadFile(good)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	before := m.Out.W.Float64s()
	cases := map[string]struct {
		path  string
		model any
		opt   bpgo.Optimizer
		want  string
	}{
		"missing":   {filepath.Join(dir, "nope.ckpt"), m, nil, "no such file"},
		"not ckpt":  {write("junk", []byte("hello")), m, nil, "not a bpgo checkpoint"},
		"truncated": {write("trunc", raw[:len(raw)-9]), m, nil, "checksum"},
		"flipped":   {write("flip", append(append([]byte{}, raw[:len(raw)-1]...), raw[len(raw)-1]^1)), m, nil, "checksum"},
		"shape":     {good, newIntegrator(t, 5), nil, "shape"},
		"no opt":    {good, m, newAdam(t), "no optimizer state"},
	}
	for name, c := range cases {
		err := bpgo.Load(c.path, c.model, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to mention %q", name, err, c.want)
		}
	}
	after := m.Out.W.Float64s()
	for i := range before {
		if before[i] != after[i] {
			t.Fatal("a failed load changed the model")
		}
	}
	// Saving over an existing file through a directory that does not exist fails cleanly.
	if err := bpgo.Save(filepath.Join(dir, "no", "such", "dir.ckpt"), m, nil); err == nil {
		t.Error("save into a missing directory succeeded")
	}
}

func TestPyFloat(t *testing.T) {
	for x, want := range map[float64]string{
		0.5766880554736651: "0.5766880554736651", 1: "1.0", 1e-5: "1e-05", 2.5e-7: "2.5e-07",
		123456789: "123456789.0", 1e16: "1e+16", 1.5e300: "1.5e+300", 0.0001: "0.0001", -3.25: "-3.25",
		0.019928165854451382: "0.019928165854451382", math.NaN(): "nan",
	} {
		if got := trainers.PyFloat(x); got != want {
			t.Errorf("PyFloat(%v) = %q, want %q", x, got, want)
		}
	}
}

// skipShort skips compile-heavy tests under -short (the XLA run of `make test`).
func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles many graphs; runs without -short (the Go backend)")
	}
}

// adamEps is BrainPy's Adam with eps changed (the quickstart's eps=0.1).
func adamEps(eps float64) optim.AdamOptions {
	o := optim.AdamDefaults()
	o.Eps = eps
	return o
}

// BPTTDefaults builds BrainPy's default trainer: a fresh Adam(ExponentialDecay(0.025, 1,
// 0.99975)) per trainer; Chunk 0 is an error that points at the defaults.
func TestBPTTDefaults(t *testing.T) {
	o := trainers.BPTTDefaults()
	if o.Chunk != bpgo.DefaultChunk || o.Out != os.Stdout || o.Optimizer != nil {
		t.Fatalf("BPTTDefaults() = %+v", o)
	}
	o.Out = &bytes.Buffer{}
	a := bpgo.Must1(trainers.NewBPTT(newIntegrator(t, 3), integratorLoss, o))
	b := bpgo.Must1(trainers.NewBPTT(newIntegrator(t, 3), integratorLoss, o))
	adam, ok := a.Optimizer().(*optim.Adam)
	if !ok || a.Optimizer() == b.Optimizer() {
		t.Fatalf("default optimizers %T and %T: want two distinct *optim.Adam", a.Optimizer(), b.Optimizer())
	}
	if got, want := adam.String(), "Adam(lr=ExponentialDecay(lr=0.025, decay_steps=1, decay_rate=0.99975), beta1=0.9, beta2=0.999, eps=1e-08)"; got != want {
		t.Errorf("default optimizer %s, want %s", got, want)
	}
	o.Chunk = -1
	if _, err := trainers.NewBPTT(newIntegrator(t, 3), integratorLoss, o); err == nil || !strings.Contains(err.Error(), "Chunk must be >= 1, got -1") {
		t.Errorf("Chunk -1: err = %v", err)
	}
}

// TestBPTTEngine: the Engine option reaches the gradient: on XLA the automatic engine is the
// compile-once scan, whose losses must equal the unrolled engine's; a bad engine is an error.
func TestBPTTEngine(t *testing.T) {
	skipShort(t)
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	run := func(e bpgo.Engine) []float64 {
		o := trainers.BPTTDefaults()
		o.Optimizer, o.Out, o.Engine = newAdam(t), &bytes.Buffer{}, e
		tr := bpgo.Must1(trainers.NewBPTT(newIntegrator(t, 4), integratorLoss, o))
		if err := tr.Fit(noiseData(3, 4, 1), nil, 1, trainers.FitOptions{}); err != nil {
			t.Fatal(err)
		}
		return tr.History().Detailed(trainers.FitPhase, "loss")
	}
	auto, unrolled := run(bpgo.EngineAuto), run(bpgo.EngineUnrolled)
	for i := range unrolled {
		if math.Abs(auto[i]-unrolled[i]) > 1e-10*math.Abs(unrolled[i]) {
			t.Errorf("step %d: loss %v with EngineAuto, %v unrolled", i, auto[i], unrolled[i])
		}
	}
	o := trainers.BPTTDefaults()
	o.Engine = bpgo.Engine(99)
	if _, err := trainers.NewBPTT(newIntegrator(t, 3), integratorLoss, o); err == nil || !strings.Contains(err.Error(), "Engine") {
		t.Errorf("Engine 99: err = %v, want one naming Engine", err)
	}
}
