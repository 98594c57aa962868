package models_test

import (
	"math"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/models"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// wrap turns one module into a model the runner can drive.
type nvarOnly struct{ R *models.NVAR }

func (m *nvarOnly) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node { return m.R.Update(ctx, x) }

type denseOnly struct{ D *models.Dense }

func (m *denseOnly) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node { return m.D.Update(ctx, x) }

func run(t *testing.T, model bpgo.Stepper, in *tensors.Tensor, chunk int) []float64 {
	t.Helper()
	r, err := bpgo.NewRunner(model, bpgo.RunnerOptions{Chunk: chunk})
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Run(in, bpgo.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return bpgo.ToFloat64s(out)
}

func x64(t *testing.T) {
	bpgo.EnableX64()
	t.Cleanup(bpgo.DisableX64)
}

func TestNVARNumOut(t *testing.T) {
	for _, c := range []struct {
		in, k, s int
		opts     models.NVAROptions
		want     int
	}{
		{3, 2, 1, models.NVAROptions{Order: 2, Constant: true, Stride: 1}, 28},
		{3, 4, 5, models.NVAROptions{Order: 2, Stride: 1}, 90},
		{2, 4, 5, models.NVAROptions{Order: 2, Stride: 1}, 44},
		{3, 2, 1, models.NVAROptions{Order: 3, Stride: 1}, 62},
		{3, 2, 1, models.NVAROptions{Orders: []int{2, 3}, Stride: 1}, 6 + 21 + 56},
		{2, 3, 1, models.NVARDefaults(), 6},
	} {
		c.opts.Stride = c.s
		n, err := models.NewNVAR(c.in, c.k, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		if n.NumOut() != c.want || len(n.FeatureNames(false)) != c.want {
			t.Errorf("NVAR(%d, delay %d, %+v): NumOut %d, names %d, want %d", c.in, c.k, c.opts, n.NumOut(), len(n.FeatureNames(false)), c.want)
		}
	}
}

// TestNVARHandComputed checks three steps against features computed by hand: delay 2,
// stride 2, order 2, constant, two inputs, so the taps are x(t) and x(t-2).
func TestNVARHandComputed(t *testing.T) {
	x64(t)
	n, err := models.NewNVAR(2, 2, models.NVAROptions{Order: 2, Stride: 2, Constant: true})
	if err != nil {
		t.Fatal(err)
	}
	xs := [][]float64{{1, 2}, {3, 4}, {5, 6}, {7, 8}}
	flat := []float64{}
	for _, x := range xs {
		flat = append(flat, x...)
	}
	in, _ := bpgo.FromFloat64s(bpgo.FloatDType(), flat, 1, 4, 2)
	got := run(t, &nvarOnly{n}, in, 3)
	// lin(t) = [x0(t), x1(t), x0(t-2), x1(t-2)], zeros before the first input.
	lin := [][]float64{{1, 2, 0, 0}, {3, 4, 0, 0}, {5, 6, 1, 2}, {7, 8, 3, 4}}
	var want []float64
	for _, l := range lin {
		want = append(want, 1)
		want = append(want, l...)
		for i := 0; i < 4; i++ {
			for j := i; j < 4; j++ {
				want = append(want, l[i]*l[j])
			}
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("feature %d (step %d, %s) = %v, want %v", i%15, i/15, n.FeatureNames(false)[i%15], got[i], want[i])
		}
	}
}

func TestNVARFeatureNames(t *testing.T) {
	n, _ := models.NewNVAR(3, 2, models.NVAROptions{Order: 2, Constant: true, Stride: 1})
	names := n.FeatureNames(false)
	want := []string{"1", "x0(t)", "x1(t)", "x2(t)", "x0(t-1)", "x1(t-1)", "x2(t-1)", "x0(t)^2", "x0(t) x1(t)"}
	for i, w := range want {
		if names[i] != w {
			t.Errorf("name %d = %q, want %q", i, names[i], w)
		}
	}
	if names[len(names)-1] != "x2(t-1)^2" {
		t.Errorf("last name %q, want x2(t-1)^2", names[len(names)-1])
	}
	if p := n.FeatureNames(true); p[4] != "$x0_{t-1}$" || p[1] != "$x0_t$" {
		t.Errorf("plot names %q %q", p[1], p[4])
	}
}

func TestNVARResetState(t *testing.T) {
	x64(t)
	n, _ := models.NewNVAR(1, 2, models.NVARDefaults())
	in, _ := bpgo.FromFloat64s(bpgo.FloatDType(), []float64{1, 2}, 1, 2, 1)
	first := run(t, &nvarOnly{n}, in, 10) // [1 0 2 1]
	if err := bpgo.ResetState(&nvarOnly{n}, 3); err != nil {
		t.Fatal(err)
	}
	if d := n.Store.Shape().Dimensions; d[0] != 2 || d[1] != 3 || d[2] != 1 {
		t.Fatalf("store after reset(3) has shape %v, want [2 3 1]", d)
	}
	bpgo.Must(bpgo.ResetState(&nvarOnly{n}, 1))
	again := run(t, &nvarOnly{n}, in, 10)
	for i := range first {
		if first[i] != again[i] {
			t.Fatalf("after reset the run differs: %v vs %v", first, again)
		}
	}
	if want := []float64{1, 0, 2, 1}; first[1] != want[1] || first[3] != want[3] {
		t.Fatalf("outputs %v, want %v", first, want)
	}
}

func TestNVARErrors(t *testing.T) {
	for _, c := range []struct {
		in, k int
		opts  models.NVAROptions
		msg   string
	}{
		{0, 1, models.NVARDefaults(), "numIn"},
		{2, 0, models.NVARDefaults(), "delay"},
		{2, 1, models.NVAROptions{Stride: -1}, "Stride"},
		{2, 1, models.NVAROptions{Order: 1, Stride: 1}, "order"},
		{2, 1, models.NVAROptions{Order: 2, Orders: []int{3}, Stride: 1}, "not both"},
	} {
		if _, err := models.NewNVAR(c.in, c.k, c.opts); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("NewNVAR(%d, %d, %+v) error = %v, want one naming %q", c.in, c.k, c.opts, err, c.msg)
		}
	}
}

func TestDenseForward(t *testing.T) {
	x64(t)
	d, err := models.NewDense(3, 2, models.DenseOptions{BInit: initializers.Constant{Value: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	w := []float64{1, 2, 3, 4, 5, 6}
	wt, _ := bpgo.FromFloat64s(bpgo.FloatDType(), w, 3, 2)
	bpgo.Must(d.W.SetValue(wt))
	in, _ := bpgo.FromFloat64s(bpgo.FloatDType(), []float64{1, 0, -1, 2, 1, 0}, 1, 2, 3)
	got := run(t, &denseOnly{d}, in, 100)
	want := []float64{1 - 5 + 0.5, 2 - 6 + 0.5, 2 + 3 + 0.5, 4 + 4 + 0.5}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("Dense outputs %v, want %v", got, want)
		}
	}
	if d.Trainable() {
		t.Error("a Dense in the default (batching) mode must not be trainable")
	}
}

func TestDenseDefaultsAndErrors(t *testing.T) {
	bpgo.SetSeed(3)
	defer bpgo.SetSeed(0)
	d, err := models.NewDense(100, 10, models.DenseOptions{Mode: bpgo.TrainingMode})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Trainable() || !d.W.Trainable || d.B == nil {
		t.Fatal("training-mode Dense must have trainable W and b")
	}
	w := d.W.Float64s()
	var ss float64
	for _, v := range w {
		ss += v * v
	}
	std := math.Sqrt(ss / float64(len(w)))
	if math.Abs(std-math.Sqrt(2.0/110)) > 0.02 { // XavierNormal: sqrt(2/(in+out)) = 0.135
		t.Errorf("default W std %.3f, want ≈ 0.135 (XavierNormal)", std)
	}
	for _, b := range d.B.Float64s() {
		if b != 0 {
			t.Fatal("default bias must be zero")
		}
	}
	nb, _ := models.NewDense(2, 2, models.DenseOptions{NoBias: true})
	if nb.B != nil {
		t.Error("NoBias must leave B nil")
	}
	if _, err := models.NewDense(0, 2, models.DenseOptions{}); err == nil || !strings.Contains(err.Error(), "numIn") {
		t.Errorf("NewDense(0, 2) error = %v", err)
	}
	if _, err := models.NewDense(2, 2, models.DenseOptions{Mode: bpgo.Mode(9)}); err == nil || !strings.Contains(err.Error(), "Mode") {
		t.Errorf("bad mode error = %v", err)
	}
}
