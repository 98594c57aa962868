package trainers_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/models"
	"github.com/bpgo/bpgo/trainers"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

type readout struct{ O *models.Dense }

func (m *readout) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node { return m.O.Update(ctx, x) }

type twoReadouts struct{ A, B *models.Dense }

func (m *twoReadouts) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.B.Update(ctx, m.A.Update(ctx, x))
}

// linearData returns inputs (1, n, 3) and targets y = x·W + b (1, n, 2), plus W and b.
func linearData(t *testing.T, n int, dup bool) (x, y *tensors.Tensor, w, b []float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	w = []float64{1, -2, 0.5, 3, -1, 0.25}
	b = []float64{0.7, -0.3}
	xs := make([]float64, n*3)
	ys := make([]float64, n*2)
	for i := range n {
		for j := range 3 {
			xs[i*3+j] = rng.NormFloat64()
		}
		if dup {
			xs[i*3+2] = xs[i*3+1] // a singular design: two identical features
		}
		for k := range 2 {
			ys[i*2+k] = b[k]
			for j := range 3 {
				ys[i*2+k] += xs[i*3+j] * w[j*2+k]
			}
		}
	}
	x, _ = bpgo.FromFloat64s(bpgo.FloatDType(), xs, 1, n, 3)
	y, _ = bpgo.FromFloat64s(bpgo.FloatDType(), ys, 1, n, 2)
	return
}

func newReadout(t *testing.T, opts models.DenseOptions) *readout {
	opts.Mode = bpgo.TrainingMode
	d, err := models.NewDense(3, 2, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &readout{d}
}

// TestRidgeRecoversLinearMap: with a tiny alpha the fit recovers W and b; both solvers agree,
// and the fitted model then predicts the targets.
func TestRidgeRecoversLinearMap(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	x, y, w, b := linearData(t, 250, false)
	for _, normal := range []bool{false, true} {
		m := newReadout(t, models.DenseOptions{})
		tr, err := trainers.NewRidge(m, trainers.RidgeOptions{Alpha: 1e-9, NormalEquations: normal, Chunk: 60})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Fit(x, y); err != nil {
			t.Fatal(err)
		}
		gw, gb := m.O.W.Float64s(), m.O.B.Float64s()
		for i := range w {
			if math.Abs(gw[i]-w[i]) > 1e-8 {
				t.Fatalf("normal=%v: W = %v, want %v", normal, gw, w)
			}
		}
		for i := range b {
			if math.Abs(gb[i]-b[i]) > 1e-8 {
				t.Fatalf("normal=%v: b = %v, want %v", normal, gb, b)
			}
		}
		pred, err := tr.Predict(x, false)
		if err != nil {
			t.Fatal(err)
		}
		p, yy := bpgo.ToFloat64s(pred), bpgo.ToFloat64s(y)
		for i := range p {
			if math.Abs(p[i]-yy[i]) > 1e-8 {
				t.Fatalf("prediction %d = %v, want %v", i, p[i], yy[i])
			}
		}
	}
}

// TestRidgeChunkShorterThanFeatures: chunks with fewer steps than features (an echo-state
// network's 400 units in chunks of 100 steps) give the same fit as one long chunk.
func TestRidgeChunkShorterThanFeatures(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	x, y, _, _ := linearData(t, 31, false)
	var ws [][]float64
	for _, chunk := range []int{100, 2, 1} {
		m := newReadout(t, models.DenseOptions{})
		tr := bpgo.Must1(trainers.NewRidge(m, trainers.RidgeOptions{Alpha: 1e-3, Chunk: chunk}))
		if _, err := tr.Fit(x, y); err != nil {
			t.Fatalf("chunk %d: %v", chunk, err)
		}
		ws = append(ws, append(m.O.W.Float64s(), m.O.B.Float64s()...))
	}
	for c := 1; c < len(ws); c++ {
		for i := range ws[0] {
			if math.Abs(ws[c][i]-ws[0][i]) > 1e-12 {
				t.Fatalf("chunked fit %d differs at %d: %v vs %v", c, i, ws[c][i], ws[0][i])
			}
		}
	}
}

// TestRidgeRegularisesBias: one constant feature x = 1, target 2, no-bias vs bias. With bias
// the system is [1 1; 1 1]·w = [2 2]·n plus alpha on both: the bias row is regularised too, so
// W and b split the value equally: w = b = 2n/(2n + alpha).
func TestRidgeRegularisesBias(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const n, alpha = 10, 5.0
	ones := make([]float64, n)
	twos := make([]float64, n)
	for i := range ones {
		ones[i], twos[i] = 1, 2
	}
	x, _ := bpgo.FromFloat64s(bpgo.FloatDType(), ones, 1, n, 1)
	y, _ := bpgo.FromFloat64s(bpgo.FloatDType(), twos, 1, n, 1)
	d, _ := models.NewDense(1, 1, models.DenseOptions{Mode: bpgo.TrainingMode})
	for _, normal := range []bool{false, true} {
		tr, err := trainers.NewRidge(&readout{d}, trainers.RidgeOptions{Alpha: alpha, NormalEquations: normal, Chunk: bpgo.DefaultChunk})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Fit(x, y); err != nil {
			t.Fatal(err)
		}
		want := 2.0 * n / (2*n + alpha)
		if gw, gb := d.W.Float64s()[0], d.B.Float64s()[0]; math.Abs(gw-want) > 1e-12 || math.Abs(gb-want) > 1e-12 {
			t.Errorf("normal=%v: w=%v b=%v, want both %v", normal, gw, gb, want)
		}
	}
}

func TestRidgeSingularFeatures(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	x, y, trueW, _ := linearData(t, 100, true)
	for _, normal := range []bool{false, true} {
		m := newReadout(t, models.DenseOptions{})
		tr, _ := trainers.NewRidge(m, trainers.RidgeOptions{Alpha: 0, NormalEquations: normal, Chunk: bpgo.DefaultChunk})
		if _, err := tr.Fit(x, y); err != nil {
			t.Fatalf("normal=%v: singular design: %v", normal, err)
		}
		for _, v := range m.O.W.Float64s() {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("normal=%v: W has %v", normal, v)
			}
		}
		// The pseudo-inverse splits the duplicated features' weight equally (W is (3, 2), row-major:
		// features 1 and 2 of output 0 are W[2] and W[4]).
		w := m.O.W.Float64s()
		want := (trueW[2] + trueW[4]) / 2
		if math.Abs(w[2]-w[4]) > 1e-8 || math.Abs(w[2]-want) > 1e-6 {
			t.Errorf("normal=%v: weights of duplicated features %v, %v, want both %v", normal, w[2], w[4], want)
		}
	}
}

func TestRidgeErrors(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	x, y, _, _ := linearData(t, 20, false)
	m := newReadout(t, models.DenseOptions{})
	tr, err := trainers.NewRidge(m, trainers.RidgeDefaults())
	if err != nil {
		t.Fatal(err)
	}
	if tr.Alpha() != 1e-7 {
		t.Errorf("default alpha %v, want 1e-7", tr.Alpha())
	}
	short, _, _, _ := linearData(t, 10, false)
	y3, _ := bpgo.FromFloat64s(bpgo.FloatDType(), make([]float64, 20*3), 1, 20, 3)
	rank2, _ := bpgo.FromFloat64s(bpgo.FloatDType(), make([]float64, 6), 2, 3)
	bad := bpgo.ToFloat64s(x)
	bad[5] = math.NaN()
	nanX, _ := bpgo.FromFloat64s(bpgo.FloatDType(), bad, 1, 20, 3)
	for _, c := range []struct {
		name string
		x, y *tensors.Tensor
		msg  string
	}{
		{"length", short, y, "must agree in batch and time"},
		{"outputs", x, y3, "want 2 features"},
		{"rank", rank2, y, "Ridge.Fit: inputs: got shape [2 3] (rank 2)"},
		{"nan", nanX, y, "NaN"},
		{"nil targets", x, nil, "Ridge.Fit: targets: got nil"},
	} {
		if _, err := tr.Fit(c.x, c.y); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.msg)
		}
	}
	if _, err := tr.Predict(rank2, false); err == nil || !strings.Contains(err.Error(), "rank 3") {
		t.Errorf("Predict(rank 2): %v", err)
	}
	wide, _ := bpgo.FromFloat64s(bpgo.FloatDType(), make([]float64, 20*4), 1, 20, 4)
	if _, err := tr.Predict(wide, false); err == nil || !strings.Contains(err.Error(), "want last axis 3") {
		t.Errorf("Predict(4 features into a 3-input Dense): %v", err)
	}
	fixed, _ := models.NewDense(3, 2, models.DenseOptions{})
	if _, err := trainers.NewRidge(&readout{fixed}, trainers.RidgeDefaults()); err == nil || !strings.Contains(err.Error(), "no trainable") {
		t.Errorf("no trainable node: %v", err)
	}
	a, _ := models.NewDense(3, 3, models.DenseOptions{Mode: bpgo.TrainingMode})
	b, _ := models.NewDense(3, 2, models.DenseOptions{Mode: bpgo.TrainingMode})
	if _, err := trainers.NewRidge(&twoReadouts{a, b}, trainers.RidgeDefaults()); err == nil || !strings.Contains(err.Error(), `"A"`) {
		t.Errorf("two trainable nodes: %v", err)
	}
	for _, c := range []struct {
		o    trainers.RidgeOptions
		want string
	}{
		{trainers.RidgeOptions{Alpha: -1, Chunk: 10}, "RidgeOptions.Alpha"},
		{trainers.RidgeOptions{Alpha: math.NaN(), Chunk: 10}, "RidgeOptions.Alpha"},
		{trainers.RidgeOptions{Alpha: 1e-7, Chunk: -1}, "Chunk must be >= 1, got -1"},
	} {
		if _, err := trainers.NewRidge(m, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("options %+v: %v, want an error naming %q", c.o, err, c.want)
		}
	}
}

// TestRidgeTimeFirst: with Layout TimeFirst, Fit and Predict take and give (T, B, ...) and the
// fit equals the batch-first one.
func TestRidgeTimeFirst(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	x, y, _, _ := linearData(t, 40, false)
	var ws [][]float64
	for _, layout := range []bpgo.Layout{bpgo.BatchFirst, bpgo.TimeFirst} {
		m := newReadout(t, models.DenseOptions{})
		o := trainers.RidgeDefaults()
		o.Layout = layout
		tr := bpgo.Must1(trainers.NewRidge(m, o))
		xi, yi := x, y
		if layout == bpgo.TimeFirst {
			xi, yi = bpgo.SwapLeadingAxes(x), bpgo.SwapLeadingAxes(y)
		}
		if _, err := tr.Fit(xi, yi); err != nil {
			t.Fatal(err)
		}
		pred := bpgo.Must1(tr.Predict(xi, true))
		if d := pred.Shape().Dimensions; (layout == bpgo.TimeFirst) != (d[0] == 40) {
			t.Errorf("%v: prediction shape %v", layout, d)
		}
		ws = append(ws, append(m.O.W.Float64s(), m.O.B.Float64s()...))
	}
	for i := range ws[0] {
		if math.Abs(ws[0][i]-ws[1][i]) > 1e-12 {
			t.Fatalf("time-first fit differs at %d: %v vs %v", i, ws[1][i], ws[0][i])
		}
	}
}
