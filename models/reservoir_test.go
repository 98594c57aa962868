package models_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/models"
	"github.com/gomlx/gomlx/core/graph"
	"gonum.org/v1/gonum/mat"
)

type reservoirOnly struct{ R *models.Reservoir }

func (m *reservoirOnly) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.R.Update(ctx, x)
}

func newReservoir(t *testing.T, in, out int, o models.ReservoirOptions) *models.Reservoir {
	t.Helper()
	r, err := models.NewReservoir(in, out, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestReservoirOneUnit: one input, one unit, Win = 0.5, Wrec = 0.8, a = 0.3, inputs 1, −1,
// computed by hand (values from Python's math.tanh).
func TestReservoirOneUnit(t *testing.T) {
	x64(t)
	for _, c := range []struct {
		typ  string
		want []float64
	}{
		// internal: h1 = 0.3·tanh(0.5); h2 = 0.7·h1 + 0.3·tanh(−0.5 + 0.8·h1)
		{models.ReservoirInternal, []float64{0.1386351471780029, -0.014128521972787217}},
		// external: h1 = tanh(0.3·0.5); h2 = tanh(0.7·h1 + 0.3·(−0.5 + 0.8·h1))
		{models.ReservoirExternal, []float64{0.14888503362331798, -0.010047730244421953}},
	} {
		o := models.ReservoirDefaults()
		o.ActivationType = c.typ
		r := newReservoir(t, 1, 1, o)
		setVar(t, r.Win, []float64{0.5})
		setVar(t, r.Wrec, []float64{0.8})
		got := runReset(t, &reservoirOnly{r}, tensorOf(t, []float64{1, -1}, 1, 2, 1), 10)
		closeTo(t, c.typ, got, c.want, 1e-15)
	}
}

// TestReservoirHandComputed: 2 inputs, 3 units, batch 2 and batch 1 (which takes the
// transposed recurrent product), 3 steps against a plain-Go loop, for both activation types
// and two leak rates; the unused bias must not matter.
func TestReservoirHandComputed(t *testing.T) {
	x64(t)
	win, wrec := vals(cNI*cH, 1), vals(cH*cH, 2)
	for i := range wrec {
		wrec[i] *= 0.5
	}
	for _, batch := range []int{cB, 1} {
		testReservoirHandComputed(t, batch, win, wrec)
	}
}

func testReservoirHandComputed(t *testing.T, batch int, win, wrec []float64) {
	all := vals(cB*cT*cNI, 3)
	xs := all[:batch*cT*cNI]
	for _, typ := range []string{models.ReservoirInternal, models.ReservoirExternal} {
		for _, a := range []float64{0.3, 1} {
			o := models.ReservoirDefaults()
			o.ActivationType, o.LeakyRate, o.BInit = typ, a, initializers.Constant{Value: 7}
			r := newReservoir(t, cNI, cH, o)
			setVar(t, r.Win, win)
			setVar(t, r.Wrec, wrec)
			got := runReset(t, &reservoirOnly{r}, tensorOf(t, xs, batch, cT, cNI), 2)
			want := refRun(all, zeroRows(cH), func(x, h []float64) ([]float64, []float64) {
				u, rec := vecMat(x, win, cH), vecMat(h, wrec, cH)
				next := make([]float64, cH)
				for j := range next {
					uj := u[j] + rec[j]
					if typ == models.ReservoirInternal {
						next[j] = (1-a)*h[j] + a*math.Tanh(uj)
					} else {
						next[j] = math.Tanh((1-a)*h[j] + a*uj)
					}
				}
				return next, next
			})
			closeTo(t, fmt.Sprintf("%s, batch %d", typ, batch), got, want[:batch*cT*cH], 1e-14)
		}
	}
}

// TestReservoirMatchesBrainPy: the same weights and inputs as TestReservoirHandComputed (leak
// 0.3), run through BrainPy 2.4.3's bp.dnn.Reservoir (x64, batching mode, bias 7), outputs
// (B, T, H) printed with repr.
func TestReservoirMatchesBrainPy(t *testing.T) {
	x64(t)
	want := map[string][]float64{
		models.ReservoirInternal: {0.01797843105874305, -0.008997300971646045, -0.03582818956031576,
			0.020417738053878212, -0.015622014760863393, -0.04895334701322264, 0.015423685407063943,
			-0.016593375072060212, -0.04226172116493971, -4.996003610813204e-19, 0.008997300971646043,
			0.01797843105874305, -0.005326340605712218, 0.024109831468498183, 0.05080415525905125,
			-0.013166343263851141, 0.0461697190657029, 0.09606470388607788},
		models.ReservoirExternal: {0.017998056251909363, -0.008999757007872942, -0.03598445605792984,
			0.020412577789040518, -0.015641918165289714, -0.04908820543635368, 0.01540785037502854,
			-0.016620730086558705, -0.04234456265606981, -4.996003610813204e-19, 0.008999757007872942,
			0.017998056251909363, -0.005325120954091761, 0.024129937277648884, 0.05098421944216554,
			-0.013151763912326567, 0.04626316724032133, 0.09674385015244619},
	}
	win, wrec := vals(cNI*cH, 1), vals(cH*cH, 2)
	for i := range wrec {
		wrec[i] *= 0.5
	}
	for typ, w := range want {
		o := models.ReservoirDefaults()
		o.ActivationType, o.BInit = typ, initializers.Constant{Value: 7}
		r := newReservoir(t, cNI, cH, o)
		setVar(t, r.Win, win)
		setVar(t, r.Wrec, wrec)
		got := runReset(t, &reservoirOnly{r}, tensorOf(t, vals(cB*cT*cNI, 3), cB, cT, cNI), 2)
		closeTo(t, "BrainPy "+typ, got, w, 1e-15) // last-bit differences (operation order)
	}
}

// gelfandRadius estimates the spectral radius as ‖W^(2^k)‖_F^(1/2^k) by repeated squaring
// (Gelfand's formula), independently of any eigenvalue routine.
func gelfandRadius(w []float64, n, k int) float64 {
	m := mat.NewDense(n, n, append([]float64(nil), w...))
	logScale := 0.0 // m holds W^(2^j) / exp(logScale)
	for range k {
		var sq mat.Dense
		sq.Mul(m, m)
		logScale *= 2
		f := mat.Norm(&sq, 2)
		sq.Scale(1/f, &sq)
		logScale += math.Log(f)
		m = &sq
	}
	return math.Exp((logScale + math.Log(mat.Norm(m, 2))) / math.Exp2(float64(k)))
}

func TestSpectralRadius(t *testing.T) {
	// A rotation by 0.7 rad scaled by 1.3: complex eigenvalues of modulus 1.3.
	c, s := 1.3*math.Cos(0.7), 1.3*math.Sin(0.7)
	if sr, err := models.SpectralRadius([]float64{c, -s, s, c}, 2); err != nil || math.Abs(sr-1.3) > 1e-12 {
		t.Errorf("rotation: spectral radius %v (%v), want 1.3", sr, err)
	}
	// Triangular: the diagonal.
	if sr, _ := models.SpectralRadius([]float64{0.5, 9, 0, -2}, 2); math.Abs(sr-2) > 1e-12 {
		t.Errorf("triangular: spectral radius %v, want 2", sr)
	}
	if _, err := models.SpectralRadius([]float64{1, 2, 3}, 2); err == nil {
		t.Error("a non-square input gave no error")
	}
}

// TestReservoirSeed001: Reservoir(400, spectral_radius=1.4) on 3 inputs, as seed 001 builds
// it: connectivity, scales, the rescaled spectral radius, fixed weights.
func TestReservoirSeed001(t *testing.T) {
	x64(t)
	bpgo.SetSeed(5)
	defer bpgo.SetSeed(0)
	o := models.ReservoirDefaults()
	o.UseSpectralRadius, o.SpectralRadius = true, 1.4
	r := newReservoir(t, 3, 400, o)
	if r.Trainable() || r.Win.Trainable || r.Wrec.Trainable || r.LeakyRate() != 0.3 || r.Activation() != "tanh" || r.External() {
		t.Errorf("seed-001 reservoir: trainable %v, leak %v, activation %q, external %v", r.Trainable(), r.LeakyRate(), r.Activation(), r.External())
	}
	wrec := r.Wrec.Float64s()
	sr, err := models.SpectralRadius(wrec, 400)
	if err != nil || math.Abs(sr-1.4) > 1e-9 {
		t.Errorf("spectral radius after rescaling = %v (%v), want 1.4", sr, err)
	}
	g := gelfandRadius(wrec, 400, 10)
	if math.Abs(g-1.4) > 0.03 {
		t.Errorf("Gelfand estimate of the spectral radius %v, want ≈ 1.4", g)
	}
	t.Logf("spectral radius %.12f (gonum eigenvalues), %.4f (Gelfand, 2^10 steps)", sr, g)
	// Win: ≈10 % of 1200 entries kept, N(0, 0.1²); Wrec: ≈10 % of 160000.
	frac := func(w []float64) (float64, float64) {
		nz, ss := 0, 0.0
		for _, v := range w {
			if v != 0 {
				nz++
				ss += v * v
			}
		}
		return float64(nz) / float64(len(w)), math.Sqrt(ss / float64(nz))
	}
	win := r.Win.Float64s()
	fin, std := frac(win)
	if math.Abs(fin-0.1) > 5*math.Sqrt(0.09/1200) || math.Abs(std-0.1) > 0.015 {
		t.Errorf("Win: %.4f kept with std %.4f, want 0.1 kept, std 0.1", fin, std)
	}
	frec, _ := frac(wrec)
	if math.Abs(frec-0.1) > 5*math.Sqrt(0.09/160000) {
		t.Errorf("Wrec: %.4f kept, want 0.1", frec)
	}
	t.Logf("kept: Win %.4f (std %.4f), Wrec %.4f", fin, std, frec)
	// Same seed, same weights; bias zeros.
	bpgo.SetSeed(5)
	r2 := newReservoir(t, 3, 400, o)
	for i, v := range r2.Wrec.Float64s() {
		if v != wrec[i] {
			t.Fatalf("same seed, Wrec differs at %d", i)
		}
	}
	for _, v := range r.Bias.Float64s() {
		if v != 0 {
			t.Fatalf("bias %v, want zeros", v)
		}
	}
	// Without rescaling the radius is that of N(0, 0.01) at 10 %: ≈ 0.1·sqrt(0.1·400) ≈ 0.63.
	o.UseSpectralRadius = false
	raw, _ := models.SpectralRadius(newReservoir(t, 3, 400, o).Wrec.Float64s(), 400)
	if raw < 0.5 || raw > 0.8 {
		t.Errorf("unscaled spectral radius %v, want ≈ 0.63", raw)
	}
	t.Logf("unscaled spectral radius %.4f", raw)
}

func TestReservoirModesAndReset(t *testing.T) {
	if o := models.ReservoirDefaults243(); o.Mode != bpgo.DefaultMode || o.LeakyRate != 0.3 || o.InConnectivity != 0.1 {
		t.Errorf("ReservoirDefaults243() = %+v", o)
	}
	o := models.ReservoirDefaults243()
	o.Mode = bpgo.TrainingMode
	r := newReservoir(t, 2, 5, o)
	if !r.Trainable() || !r.Win.Trainable || !r.Wrec.Trainable || !r.Bias.Trainable {
		t.Error("a TrainingMode reservoir must have trainable Win, Wrec and bias (BrainPy 2.4.3's TrainVars)")
	}
	if d := r.State.Shape().Dimensions; d[0] != 1 || d[1] != 5 {
		t.Errorf("initial state shape %v, want [1 5]", d)
	}
	r.ResetState(4)
	if d := r.State.Shape().Dimensions; d[0] != 4 || d[1] != 5 {
		t.Errorf("state after ResetState(4) has shape %v, want [4 5]", d)
	}
	for _, v := range r.State.Float64s() {
		if v != 0 {
			t.Fatal("ResetState must give zeros")
		}
	}
	o.NoBias = true
	o.BInit = nil
	if r := newReservoir(t, 2, 5, o); r.Bias != nil {
		t.Error("NoBias: Bias must be nil")
	}
}

// TestReservoirTrainable: gradients flow through a trainable reservoir into Win and Wrec (the
// unused bias gets zero), like BrainPy 2.4.3 in TrainingMode.
func TestReservoirTrainable(t *testing.T) {
	x64(t)
	bpgo.SetSeed(8)
	defer bpgo.SetSeed(0)
	o := models.ReservoirDefaults243()
	o.Mode, o.InConnectivity, o.RecConnectivity = bpgo.TrainingMode, 1, 1
	r := newReservoir(t, 2, 4, o)
	out := bpgo.Must1(models.NewDense(4, 2, models.DenseOptions{Mode: bpgo.TrainingMode}))
	m := &cellNet{Cell: r, Out: out}
	g := bpgo.Must1(bpgo.NewGrad(m, mseL2Loss, bpgo.GradOptions{}))
	res, err := g.Compute(normalTensor(1, 3, 6, 2), normalTensor(2, 3, 6, 2))
	if err != nil {
		t.Fatal(err)
	}
	norm := func(v *bpgo.Variable) float64 {
		s := 0.0
		for _, x := range bpgo.ToFloat64s(res.Grads[v]) {
			s += x * x
		}
		return math.Sqrt(s)
	}
	if norm(r.Win) == 0 || norm(r.Wrec) == 0 {
		t.Errorf("zero gradient into Win (%v) or Wrec (%v)", norm(r.Win), norm(r.Wrec))
	}
	// The bias only sees the L2 penalty: 2·2e-4·b = 0 for the zero bias.
	if n := norm(r.Bias); n != 0 {
		t.Errorf("gradient into the unused bias %v, want 0", n)
	}
	// Batch 3 takes h @ Wrec; batch 1 takes (Wrecᵀ @ hᵀ)ᵀ with Wrecᵀ built once per graph.
	for _, batch := range []int{3, 1} {
		c, err := bpgo.CheckGradients(g, normalTensor(1, batch, 6, 2), normalTensor(2, batch, 6, 2), bpgo.GradCheckOptions{Floor: 1e-6})
		if err != nil {
			t.Fatal(err)
		}
		if c.MaxRelErr > 1e-5 {
			t.Errorf("batch %d: finite differences: max relative error %g at %s", batch, c.MaxRelErr, c.Worst)
		}
	}
}

func TestReservoirErrors(t *testing.T) {
	cases := []struct {
		in, out int
		edit    func(*models.ReservoirOptions)
		want    string
	}{
		{0, 5, func(o *models.ReservoirOptions) {}, "numIn"},
		{2, 5, func(o *models.ReservoirOptions) { o.LeakyRate = 1.5 }, "ReservoirOptions.LeakyRate"},
		{2, 5, func(o *models.ReservoirOptions) { o.Activation = "" }, "ReservoirOptions.Activation"},
		{2, 5, func(o *models.ReservoirOptions) { o.ActivationType = "" }, "ReservoirOptions.ActivationType"},
		{2, 5, func(o *models.ReservoirOptions) { o.WinInit = nil }, "ReservoirOptions.WinInit is nil: start from models.ReservoirDefaults()"},
		{2, 5, func(o *models.ReservoirOptions) { o.WrecInit = nil }, "ReservoirOptions.WrecInit"},
		{2, 5, func(o *models.ReservoirOptions) { o.BInit = nil }, "ReservoirOptions.BInit"},
		{2, 5, func(o *models.ReservoirOptions) { o.InConnectivity = -0.1 }, "ReservoirOptions.InConnectivity"},
		{2, 5, func(o *models.ReservoirOptions) { o.RecConnectivity = math.NaN() }, "ReservoirOptions.RecConnectivity"},
		{2, 5, func(o *models.ReservoirOptions) { o.UseSpectralRadius, o.SpectralRadius = true, math.Inf(1) }, "ReservoirOptions.SpectralRadius"},
		{2, 5, func(o *models.ReservoirOptions) {
			o.UseSpectralRadius, o.SpectralRadius, o.RecConnectivity = true, 1, 0
		}, "cannot be rescaled"},
		{2, 5, func(o *models.ReservoirOptions) { o.Mode = bpgo.Mode(99) }, "ReservoirOptions.Mode"},
	}
	for _, c := range cases {
		o := models.ReservoirDefaults()
		c.edit(&o)
		_, err := models.NewReservoir(c.in, c.out, o)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "models.NewReservoir: ") {
			t.Errorf("NewReservoir(%d, %d, %+v): error %v, want one containing %q", c.in, c.out, o, err, c.want)
		}
	}
}
