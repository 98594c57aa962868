package trainers_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/models"
	"github.com/bpgo/bpgo/trainers"
	"github.com/gomlx/gomlx/core/graph"
)

// readoutModel is a bare LinearReadout as a model.
type readoutModel struct{ O *models.LinearReadout }

func (m *readoutModel) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.O.Update(ctx, x)
}

func zeroReadout(t *testing.T, numIn, numOut int, noBias bool) *readoutModel {
	t.Helper()
	o := models.LinearReadoutDefaults()
	o.WInit, o.NoBias = initializers.Zero{}, noBias
	return &readoutModel{O: bpgo.Must1(models.NewLinearReadout(numIn, numOut, o))}
}

// rlsReference is RLS in plain Go for one sample per step (B = 1): it returns the outputs
// computed before each update and the final weights [b; W] (F' × out, row-major).
func rlsReference(xs [][]float64, ds [][]float64, w []float64, alpha float64, bias bool) (outs [][]float64, wOut []float64) {
	nOut := len(ds[0])
	f := len(xs[0])
	if bias {
		f++
	}
	p := make([]float64, f*f)
	for i := range f {
		p[i*f+i] = alpha
	}
	w = append([]float64(nil), w...)
	for s := range xs {
		x := xs[s]
		if bias {
			x = append([]float64{1}, x...)
		}
		y := make([]float64, nOut)
		for o := range nOut {
			for i := range f {
				y[o] += x[i] * w[i*nOut+o]
			}
		}
		outs = append(outs, y)
		k := make([]float64, f)
		for i := range f {
			for j := range f {
				k[i] += p[i*f+j] * x[j]
			}
		}
		h := 0.0
		for i := range f {
			h += x[i] * k[i]
		}
		c := 1 / (1 + h)
		for i := range f {
			for j := range f {
				p[i*f+j] -= c * k[i] * k[j]
			}
		}
		for i := range f {
			for o := range nOut {
				w[i*nOut+o] -= c * k[i] * (y[o] - ds[s][o])
			}
		}
	}
	return outs, w
}

// TestRLSHandSteps checks three RLS steps on 2 features against hand computation: step 1 with
// x = (1, 2), d = 1, P = I, W = 0 gives k = (1, 2), c = 1/6, W = (1/6, 1/3).
func TestRLSHandSteps(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	m := zeroReadout(t, 2, 1, true)
	tr, err := trainers.NewOnline(m, trainers.ForceDefaults())
	if err != nil {
		t.Fatal(err)
	}
	xs := [][]float64{{1, 2}, {0.5, -1}, {3, 1}}
	ds := [][]float64{{1}, {0}, {2}}
	// Step 1 alone, by hand.
	out := bpgo.Must1(tr.Fit(bpgo.Must1(bpgo.Sequence([]float64{1}, []float64{2})), bpgo.Must1(bpgo.Sequence([]float64{1}))))
	if got := bpgo.ToFloat64s(out); got[0] != 0 {
		t.Errorf("step 1 output %v, want 0 (old weights)", got)
	}
	if w := m.O.Dense.W.Float64s(); math.Abs(w[0]-1.0/6) > 1e-15 || math.Abs(w[1]-1.0/3) > 1e-15 {
		t.Errorf("W after step 1 = %v, want [1/6 1/3]", w)
	}
	if p := tr.Rule().P.Float64s(); math.Abs(p[0]-5.0/6) > 1e-15 || math.Abs(p[1]+1.0/3) > 1e-15 || math.Abs(p[3]-1.0/3) > 1e-15 {
		t.Errorf("P after step 1 = %v, want [5/6 -1/3; -1/3 1/3]", p)
	}
	// Steps 2 and 3 continue from there.
	out = bpgo.Must1(tr.Fit(bpgo.Must1(bpgo.Sequence([]float64{0.5, 3}, []float64{-1, 1})), bpgo.Must1(bpgo.Sequence([]float64{0, 2}))))
	refOuts, refW := rlsReference(xs, ds, []float64{0, 0}, 1, false)
	got := bpgo.ToFloat64s(out)
	for s := range 2 {
		if math.Abs(got[s]-refOuts[s+1][0]) > 1e-14 {
			t.Errorf("step %d output %v, want %v", s+2, got[s], refOuts[s+1][0])
		}
	}
	w := m.O.Dense.W.Float64s()
	for i := range w {
		if math.Abs(w[i]-refW[i]) > 1e-14 {
			t.Errorf("W after 3 steps = %v, want %v", w, refW)
			break
		}
	}
	if ch := tr.WeightChanges(); len(ch) != 2 || !(ch[0] > 0) {
		t.Errorf("WeightChanges = %v, want 2 positive values", ch)
	}
}

// TestRLSConvergesToRidge: RLS from W = 0 with P(0) = αI is exactly ridge regression with
// penalty 1/α (bias included), so after a pass over the data both agree.
func TestRLSConvergesToRidge(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const steps, nIn, alpha = 400, 3, 0.5
	rng := rand.New(rand.NewPCG(1, 2))
	cols := make([][]float64, nIn)
	tgt := make([][]float64, 2)
	for range steps {
		var row [3]float64
		for i := range nIn {
			row[i] = rng.NormFloat64()
			cols[i] = append(cols[i], row[i])
		}
		tgt[0] = append(tgt[0], 0.5+2*row[0]-row[1]+0.1*rng.NormFloat64())
		tgt[1] = append(tgt[1], -1+row[2]+0.1*rng.NormFloat64())

	}
	x, y := bpgo.Must1(bpgo.Sequence(cols...)), bpgo.Must1(bpgo.Sequence(tgt...))
	online := zeroReadout(t, nIn, 2, false)
	o := trainers.OnlineDefaults()
	o.Alpha = alpha
	tr := bpgo.Must1(trainers.NewOnline(online, o))
	bpgo.Must1(tr.Fit(x, y))
	ridge := zeroReadout(t, nIn, 2, false)
	ro := trainers.RidgeDefaults()
	ro.Alpha = 1 / alpha
	rt := bpgo.Must1(trainers.NewRidge(ridge, ro))
	bpgo.Must1(rt.Fit(x, y))
	for _, pair := range [][2][]float64{{online.O.Dense.W.Float64s(), ridge.O.Dense.W.Float64s()}, {online.O.Dense.B.Float64s(), ridge.O.Dense.B.Float64s()}} {
		for i := range pair[0] {
			if math.Abs(pair[0][i]-pair[1][i]) > 1e-9 {
				t.Fatalf("RLS weights %v, ridge %v", pair[0], pair[1])
			}
		}
	}
	if w := online.O.Dense.W.Float64s(); math.Abs(w[0]-2) > 0.05 || math.Abs(w[2]+1) > 0.05 {
		t.Errorf("RLS weights %v, want about [2 0; -1 0; 0 1]", w)
	}
}

// TestOnlineFeedbackTiming: in (i >> r >> o) & (r << o) trained online, the value fed back at
// step t+1 is the readout's output of step t computed before step t's update.
func TestOnlineFeedbackTiming(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const nIn, nRes, steps = 1, 4, 5
	i := bpgo.Must1(models.NewInput(nIn))
	ro := models.ReservoirDefaults()
	ro.InConnectivity, ro.RecConnectivity, ro.FbConnectivity, ro.NumFeedback = 1, 1, 1, 1
	r := bpgo.Must1(models.NewReservoir(nIn, nRes, ro))
	lo := models.LinearReadoutDefaults()
	lo.WInit = initializers.Zero{}
	o := bpgo.Must1(models.NewLinearReadout(nRes, 1, lo))
	net := bpgo.Must1(models.NewNetwork(models.Feedforward(i, r, o).And(models.Feedback(r, o))))
	tr := bpgo.Must1(trainers.NewOnline(net, trainers.ForceDefaults()))
	xs := []float64{1, -0.5, 0.3, 0.8, -1}
	ds := []float64{0.5, 1, -0.5, 0.2, 0.7}
	out := bpgo.ToFloat64s(bpgo.Must1(tr.Fit(bpgo.Must1(bpgo.Sequence(xs)), bpgo.Must1(bpgo.Sequence(ds)))))
	// Host replay: reservoir with feedback, RLS on [1 | h].
	win, wrec, wfb := r.Win.Float64s(), r.Wrec.Float64s(), r.Wfb.Float64s()
	w := make([]float64, nRes+1)
	f := nRes + 1
	p := make([]float64, f*f)
	for k := range f {
		p[k*f+k] = 1
	}
	h := make([]float64, nRes)
	prev := 0.0
	for s := range steps {
		next := make([]float64, nRes)
		for j := range nRes {
			u := xs[s]*win[j] + prev*wfb[j]
			for k := range nRes {
				u += h[k] * wrec[k*nRes+j]
			}
			next[j] = 0.7*h[j] + 0.3*math.Tanh(u)
		}
		h = next
		var y float64
		y, w = rlsStep(append([]float64{1}, h...), ds[s], w, p)
		if math.Abs(out[s]-y) > 1e-12 {
			t.Fatalf("step %d: output %v, host replay %v", s, out[s], y)
		}
		prev = y // fed back at the next step: the output before this step's update
	}
	got := o.Dense.W.Float64s()
	for k := range nRes {
		if math.Abs(got[k]-w[k+1]) > 1e-12 {
			t.Fatalf("W after %d steps = %v, host replay %v", steps, got, w[1:])
		}
	}
	if b := o.Dense.B.Float64s()[0]; math.Abs(b-w[0]) > 1e-12 {
		t.Fatalf("b = %v, host replay %v", b, w[0])
	}
}

// rlsStep applies one RLS update in place to p and returns the pre-update output and w.
func rlsStep(x []float64, d float64, w, p []float64) (float64, []float64) {
	f := len(x)
	y := 0.0
	for i := range f {
		y += x[i] * w[i]
	}
	k := make([]float64, f)
	for i := range f {
		for j := range f {
			k[i] += p[i*f+j] * x[j]
		}
	}
	hh := 0.0
	for i := range f {
		hh += x[i] * k[i]
	}
	c := 1 / (1 + hh)
	for i := range f {
		for j := range f {
			p[i*f+j] -= c * k[i] * k[j]
		}
	}
	for i := range f {
		w[i] -= c * k[i] * (y - d)
	}
	return y, w
}

func TestOnlineErrors(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	m := zeroReadout(t, 2, 1, false)
	o := trainers.OnlineDefaults()
	o.Alpha = 0
	if _, err := trainers.NewOnline(m, o); err == nil || !strings.Contains(err.Error(), "OnlineOptions.Alpha") {
		t.Errorf("Alpha 0: %v", err)
	}
	fixed := models.LinearReadoutDefaults()
	fixed.Trainable = false
	if _, err := trainers.NewOnline(&readoutModel{O: bpgo.Must1(models.NewLinearReadout(2, 1, fixed))}, trainers.ForceDefaults()); err == nil || !strings.Contains(err.Error(), "no trainable linear node") {
		t.Errorf("untrainable: %v", err)
	}
	tr := bpgo.Must1(trainers.NewOnline(m, trainers.ForceDefaults()))
	x := bpgo.Must1(bpgo.Sequence([]float64{1, 2}, []float64{0, 1}))
	if _, err := tr.Fit(x, bpgo.Must1(bpgo.Sequence([]float64{1, 2}, []float64{0, 1}))); err == nil || !strings.Contains(err.Error(), "targets") {
		t.Errorf("targets with 2 columns for 1 output: %v", err)
	}
}
