package models_test

import (
	"math"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/losses"
	"github.com/bpgo/bpgo/models"
	"github.com/gomlx/gomlx/core/graph"
)

// eirnnRef is the tutorial's step written out in plain Go: returns the new rates and the readout
// for one batch row, without noise.
func eirnnRef(m *models.EIRNN, u, h []float64) (hNew, out []float64) {
	wir, wrr, brr := m.WIr.Float64s(), m.WRr.Float64s(), m.BRr.Float64s()
	wro, bro, mask := m.WRo.Float64s(), m.BRo.Float64s(), m.Mask.Float64s()
	n, a := m.NumHidden, m.Alpha()
	hNew = make([]float64, n)
	for j := range n {
		pre := brr[j]
		for k := range m.NumIn {
			pre += u[k] * wir[k*n+j]
		}
		for i := range n {
			pre += h[i] * math.Abs(wrr[i*n+j]) * mask[i*n+j]
		}
		hNew[j] = math.Max(0, (1-a)*h[j]+a*pre)
	}
	out = make([]float64, m.NumOut)
	for o := range m.NumOut {
		out[o] = bro[o]
		for e := range m.NumE {
			out[o] += hNew[e] * wro[e*m.NumOut+o]
		}
	}
	return hNew, out
}

func newTestEIRNN(t *testing.T, sigma float64, perSample bool) *models.EIRNN {
	t.Helper()
	bpgo.SetSeed(5)
	o := models.EIRNNDefaults()
	o.ERatio, o.Dt, o.SigmaRec, o.PerSampleNoise = 0.6, 20, sigma, perSample
	m, err := models.NewEIRNN(2, 5, 3, o)
	if err != nil {
		t.Fatal(err)
	}
	// Larger biases keep most units above threshold, so every weight matters.
	if err := models.SetWeights(m.BRr, []float64{0.4, 0.3, 0.5, 0.2, 0.6}); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestEIRNNStepByHand runs three steps of a small network and compares the readout and the
// monitored rates with the tutorial's equations computed in plain Go.
func TestEIRNNStepByHand(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	m := newTestEIRNN(t, 0, false)
	if m.NumE != 3 || m.NumI != 2 || m.Alpha() != 0.2 {
		t.Fatalf("NumE, NumI, Alpha = %d, %d, %g; want 3, 2, 0.2", m.NumE, m.NumI, m.Alpha())
	}
	const B, T = 2, 3
	u := []float64{1, 0.5, -0.3, 2, 0.7, 0.1, 1.5, -1, 0.2, 0.9, -0.4, 0.3} // (B, T, 2)
	xs := bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), u, B, T, 2))
	r := bpgo.Must1(bpgo.NewRunner(m, bpgo.RunnerOptions{Monitors: []string{"H"}}))
	out := bpgo.ToFloat64s(bpgo.Must1(r.Run(xs, bpgo.RunOptions{ResetState: true})))
	hs := bpgo.ToFloat64s(r.Mon["H"])
	for b := range B {
		h := make([]float64, 5)
		for s := range T {
			var o []float64
			h, o = eirnnRef(m, u[(b*T+s)*2:(b*T+s)*2+2], h)
			for j := range 5 {
				if got := hs[(b*T+s)*5+j]; math.Abs(got-h[j]) > 1e-12 {
					t.Fatalf("H[b=%d, t=%d, %d] = %.15g, want %.15g", b, s, j, got, h[j])
				}
			}
			for j := range 3 {
				if got := out[(b*T+s)*3+j]; math.Abs(got-o[j]) > 1e-12 {
					t.Fatalf("out[b=%d, t=%d, %d] = %.15g, want %.15g", b, s, j, got, o[j])
				}
			}
		}
	}
}

// TestEIRNNInit checks the tutorial's construction: the mask, the division of the E columns and
// the bias ranges, and the PyTorch-style transposed variant.
func TestEIRNNInit(t *testing.T) {
	bpgo.SetSeed(1)
	o := models.EIRNNDefaults()
	o.Dt = 20
	m, err := models.NewEIRNN(3, 50, 3, o)
	if err != nil {
		t.Fatal(err)
	}
	if m.NumE != 40 || m.NumI != 10 {
		t.Fatalf("NumE, NumI = %d, %d; want 40, 10", m.NumE, m.NumI)
	}
	// KaimingUniform(scale=1) on (50, 50): bound sqrt(3/50) = 0.2449; E columns divided by 4.
	w := m.WRr.Float64s()
	var maxE, maxI float64
	for i := range 50 {
		for j := range 50 {
			if j < 40 {
				maxE = math.Max(maxE, math.Abs(w[i*50+j]))
			} else {
				maxI = math.Max(maxI, math.Abs(w[i*50+j]))
			}
		}
	}
	if bound := math.Sqrt(3.0 / 50); maxE > bound/4 || maxE < 0.8*bound/4 || maxI > bound || maxI < 0.8*bound {
		t.Errorf("max |W| onto E %g (want ≈ %g), onto I %g (want ≈ %g)", maxE, bound/4, maxI, bound)
	}
	for _, b := range m.BRr.Float64s() {
		if math.Abs(b) > 1/math.Sqrt(50) {
			t.Errorf("b_rr %g outside ±1/√50", b)
		}
	}
	for _, b := range m.BRo.Float64s() {
		if math.Abs(b) > 1/math.Sqrt(40) {
			t.Errorf("b_ro %g outside ±1/√40", b)
		}
	}
	c := m.Connectivity()
	for i := range 50 {
		for j := range 50 {
			switch {
			case i == j && c[i][j] != 0:
				t.Fatalf("self-connection %d: %g", i, c[i][j])
			case i != j && j < 40 && c[i][j] < 0, i != j && j >= 40 && c[i][j] > 0:
				t.Fatalf("weight %d→%d = %g has the wrong sign", i, j, c[i][j])
			}
		}
	}
	if m.Noise != nil || m.NoiseStd() != 0 {
		t.Error("SigmaRec 0 should draw no noise")
	}

	o.PresynapticSign = true
	p, err := models.NewEIRNN(3, 50, 3, o)
	if err != nil {
		t.Fatal(err)
	}
	c = p.Connectivity()
	w = p.WRr.Float64s()
	for i := range 50 {
		for j := range 50 {
			if i != j && ((i < 40) != (c[i][j] >= 0)) {
				t.Fatalf("presynaptic sign: weight %d→%d = %g", i, j, c[i][j])
			}
			if i < 40 && math.Abs(w[i*50+j]) > math.Sqrt(3.0/50)/4 {
				t.Fatalf("presynaptic scaling: row %d not divided by 4: %g", i, w[i*50+j])
			}
		}
	}
}

// TestEIRNNNoise checks the in-graph noise: with all weights zero and a large bias the rates
// stay positive, so h₁ − alpha·b is the noise itself, with standard deviation
// sqrt(2·alpha)·σ_rec; the default shares it across the batch, PerSampleNoise does not; and
// every step draws anew.
func TestEIRNNNoise(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	for _, perSample := range []bool{false, true} {
		m := newTestEIRNN(t, 0.5, perSample)
		for _, v := range []*bpgo.Variable{m.WIr, m.WRr} {
			if err := models.SetWeights(v, make([]float64, v.Value().Size())); err != nil {
				t.Fatal(err)
			}
		}
		if err := models.SetWeights(m.BRr, []float64{50, 50, 50, 50, 50}); err != nil {
			t.Fatal(err)
		}
		const B, T = 4, 400
		xs := bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), make([]float64, B*T*2), B, T, 2))
		r := bpgo.Must1(bpgo.NewRunner(m, bpgo.RunnerOptions{Monitors: []string{"H"}}))
		if _, err := r.Run(xs, bpgo.RunOptions{ResetState: true}); err != nil {
			t.Fatal(err)
		}
		hs := bpgo.ToFloat64s(r.Mon["H"]) // (B, T, 5)
		a := m.Alpha()
		var sum, sum2 float64
		var n int
		sameRows := true
		prev := make([]float64, B*5)
		for s := range T {
			for b := range B {
				for j := range 5 {
					h := hs[(b*T+s)*5+j]
					// h_t = (1−a)·h_{t−1} + a·50 + noise
					noise := h - (1-a)*prev[b*5+j] - a*50
					prev[b*5+j] = h
					sum += noise
					sum2 += noise * noise
					n++
					if b > 0 && h != hs[s*5+j] {
						sameRows = false
					}
				}
			}
		}
		mean := sum / float64(n)
		std := math.Sqrt(sum2/float64(n) - mean*mean)
		if want := math.Sqrt(2*a) * 0.5; math.Abs(std-want) > 0.05*want || math.Abs(mean) > 0.05*want {
			t.Errorf("perSample=%v: noise mean %g std %g, want 0 and %g", perSample, mean, std, want)
		}
		if sameRows == perSample {
			t.Errorf("perSample=%v: rows identical = %v", perSample, sameRows)
		}
	}
}

// TestEIRNNGradients compares the BPTT gradient through the noisy dynamics, with the
// tutorial's cross-entropy over all (T·B) outputs of a time-first run, with central finite
// differences (the noise replays identically because CheckGradients restores the random state).
func TestEIRNNGradients(t *testing.T) {
	skipShort(t)
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	for _, perSample := range []bool{false, true} {
		m := newTestEIRNN(t, 0.15, perSample)
		const B, T = 3, 12
		xs := normalTensor(3, T, B, 2)
		lab := make([]float64, T*B)
		for i := range lab {
			lab[i] = float64(i % 3)
		}
		ys := bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), lab, T, B))
		loss := func(lc *bpgo.LossContext, out, y *graph.Node) *graph.Node {
			return losses.CrossEntropy(graph.Reshape(out, T*B, 3), graph.Reshape(y, T*B))
		}
		g := bpgo.Must1(bpgo.NewGrad(m, loss, bpgo.GradOptions{Layout: bpgo.TimeFirst, Chunk: 5}))
		res, err := bpgo.CheckGradients(g, xs, ys, bpgo.GradCheckOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.MaxRelErr > 1e-5 || res.Checked < 40 {
			t.Errorf("perSample=%v: max relative error %g at %s over %d elements", perSample, res.MaxRelErr, res.Worst, res.Checked)
		}
	}
}

func TestEIRNNErrors(t *testing.T) {
	cases := []struct {
		edit func(o *models.EIRNNOptions)
		in   [3]int
		want string
	}{
		{func(o *models.EIRNNOptions) { o.ERatio = 1 }, [3]int{3, 50, 3}, "EIRNNOptions.ERatio: want in (0, 1), got 1"},
		{func(o *models.EIRNNOptions) { o.ERatio = 0.01 }, [3]int{3, 50, 3}, "gives 0 E and 50 I units; want both >= 1"},
		{func(o *models.EIRNNOptions) { o.Tau = 0 }, [3]int{3, 50, 3}, "EIRNNOptions.Tau"},
		{func(o *models.EIRNNOptions) { o.Dt = 0 }, [3]int{3, 50, 3}, "EIRNNOptions.Dt: want 0 < Dt <= Tau (100), got 0"},
		{func(o *models.EIRNNOptions) { o.Dt = 200 }, [3]int{3, 50, 3}, "EIRNNOptions.Dt"},
		{func(o *models.EIRNNOptions) { o.SigmaRec = math.NaN() }, [3]int{3, 50, 3}, "EIRNNOptions.SigmaRec"},
		{func(o *models.EIRNNOptions) {}, [3]int{0, 50, 3}, "want numIn >= 1"},
	}
	for _, c := range cases {
		o := models.EIRNNDefaults()
		c.edit(&o)
		_, err := models.NewEIRNN(c.in[0], c.in[1], c.in[2], o)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "models.NewEIRNN: ") {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
	}
	if _, err := models.DaleMask(0, 3); err == nil {
		t.Error("DaleMask(0, 3): no error")
	}
	m := newTestEIRNN(t, 0, false)
	if err := models.SetWeights(m.BRo, []float64{1}); err == nil {
		t.Error("SetWeights with the wrong size: no error")
	}
}
