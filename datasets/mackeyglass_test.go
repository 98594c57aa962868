package datasets_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/datasets"
)

func mustMG(t *testing.T, duration float64, o datasets.MackeyGlassOptions) *datasets.MackeyGlass {
	t.Helper()
	m, err := datasets.MackeyGlassEq(duration, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Xs) != m.Len() || len(m.XTaus) != m.Len() {
		t.Fatalf("Len %d but %d xs and %d x(t-tau)s", m.Len(), len(m.Xs), len(m.XTaus))
	}
	return m
}

// mgRHS is the classic right-hand side with beta 0.2, gamma 0.1, n 10.
func mgRHS(x, d float64) float64 { return 0.2*d/(1+math.Pow(d, 10)) - 0.1*x }

// mgRK4 is one RK4 step of size h whose stages see the delayed values d1, d23 (stages 2 and
// 3) and d4.
func mgRK4(x, h, d1, d23, d4 float64) float64 {
	k1 := mgRHS(x, d1)
	k2 := mgRHS(x+h*k1/2, d23)
	k3 := mgRHS(x+h*k2/2, d23)
	k4 := mgRHS(x+h*k3, d4)
	return x + h*(k1+2*k2+2*k3+k4)/6
}

func classic(conv string, dt, tau float64, hist []float64) datasets.MackeyGlassOptions {
	o := datasets.MackeyGlassReservoirPyDefaults()
	o.Convention, o.Dt, o.Tau, o.History = conv, dt, tau, hist
	return o
}

// TestMackeyGlassBrainPyHandComputed follows BrainPy's ring buffer by hand with dt 0.5 and
// tau 1 (L = ceil(1/0.5) + 1 = 3 slots, all times exact in binary, so the half-step stages
// round 0.5 down to the oldest slot).
func TestMackeyGlassBrainPyHandComputed(t *testing.T) {
	h := []float64{1.1, 1.25, 1.3}
	const x0, dt = 1.2, 0.5

	// Euler: step k sees the oldest slot, d = h0, h1, h2, then x1, x2, …
	o := classic(datasets.MackeyGlassBrainPy, dt, 1, h)
	o.Method = datasets.MackeyGlassEuler
	m := mustMG(t, 2.5, o) // 5 steps
	if m.Len() != 5 || m.Ts[0] != 0.5 || m.Ts[4] != 2.5 {
		t.Fatalf("Euler: %d points, ts %v", m.Len(), m.Ts)
	}
	if m.Xs[0] != 1.170608759871162 { // 1.2 + 0.5·(0.2·1.1/(1+1.1^10) − 0.12), by Python
		t.Errorf("Euler step 0: %.17g, want 1.170608759871162", m.Xs[0])
	}
	want := []float64{}
	d := append([]float64(nil), h...)
	x := x0
	for k := range 5 {
		x += dt * mgRHS(x, d[k])
		want = append(want, x)
		d = append(d, x)
	}
	closeSlices(t, "Euler xs", m.Xs, want, 1e-15)
	// x(t − tau) recorded after step k is the new oldest slot: h1, h2, x1, x2, x3.
	closeSlices(t, "Euler x(t-tau)", m.XTaus, []float64{h[1], h[2], want[0], want[1], want[2]}, 0)

	// RK4: stage 1 and the half-step stages read the oldest slot idx = k mod 3, stage 4 the
	// slot idx+1, except at idx = 2 where BrainPy clamps to slot 2 instead of wrapping to 0.
	o.Method = datasets.MackeyGlassRK4
	m = mustMG(t, 2.5, o)
	x1 := mgRK4(x0, dt, h[0], h[0], h[1])
	x2 := mgRK4(x1, dt, h[1], h[1], h[2])
	x3 := mgRK4(x2, dt, h[2], h[2], h[2]) // the clamp: a wrapped ring would give x1
	x4 := mgRK4(x3, dt, x1, x1, x2)
	x5 := mgRK4(x4, dt, x2, x2, x3)
	closeSlices(t, "RK4 xs", m.Xs, []float64{x1, x2, x3, x4, x5}, 1e-15)
	if math.Abs(x3-mgRK4(x2, dt, h[2], h[2], x1)) < 1e-6 {
		t.Fatalf("test is too weak: the clamp does not change step 2")
	}
}

// TestMackeyGlassReservoirPyHandComputed: history of floor(tau/h) values popped one per step,
// the delayed value held over the four RK4 stages, points recorded before each step.
func TestMackeyGlassReservoirPyHandComputed(t *testing.T) {
	h := []float64{0.9, 1.0, 1.1, 1.3, 1.25} // only the last 3 = floor(3/1) are used
	o := classic(datasets.MackeyGlassReservoirPy, 1, 3, h)
	m := mustMG(t, 6, o)
	if !slices.Equal(m.History, h[2:]) {
		t.Errorf("History = %v, want the last 3 given values %v", m.History, h[2:])
	}
	x := []float64{1.2}
	d := append([]float64(nil), h[2:]...)
	for k := range 5 {
		d = append(d, x[k])
		x = append(x, mgRK4(x[k], 1, d[k], d[k], d[k]))
	}
	closeSlices(t, "xs", m.Xs, x, 1e-15)
	closeSlices(t, "x(t-tau)", m.XTaus, d[:6], 0)
	closeSlices(t, "ts", m.Ts, []float64{0, 1, 2, 3, 4, 5}, 0)
}

// TestMackeyGlassMatchesBrainPy compares with BrainPy 2.4.3 / brainpy_datasets 0.0.0.6: the
// construction of bd.chaos.MackeyGlassEq (x64, XLA CPU) with the history 1.2 + 0.1·sin(j)
// written into its TimeDelay instead of the random one. The tau-17 run crosses the
// clamped-slot steps (every 171st); a wrapped ring would leave BrainPy's series at step 170.
func TestMackeyGlassMatchesBrainPy(t *testing.T) {
	type pt struct{ x, xtau float64 }
	for _, c := range []struct {
		name     string
		duration float64
		opts     datasets.MackeyGlassOptions
		tol      float64
		want     map[int]pt
	}{
		{"tau 17, dt 0.1", 300, func() datasets.MackeyGlassOptions {
			o := datasets.MackeyGlassReservoirPyDefaults()
			o.Convention, o.Dt = datasets.MackeyGlassBrainPy, 0.1
			return o
		}(), 1e-12, map[int]pt{
			0:    {1.1902261176526918, 1.2841470984807897},
			169:  {0.5181787394116999, 1.234664945549703},
			170:  {0.5156842737712657, 1.1902261176526918},
			171:  {0.5142762015928632, 1.1802512284844477},
			999:  {0.9033284736761897, 1.168857173705363},
			2999: {1.1359864581163475, 1.0807424452894077},
		}},
		{"defaults (tau 2, n 9.65)", 20, datasets.MackeyGlassDefaults(), 1e-11, map[int]pt{
			0:   {1.1080175876543137, 1.2841470984807897},
			19:  {0.4960201687384001, 1.2912945250727628},
			20:  {0.4680379785814793, 1.1080175876543137},
			21:  {0.48588281290616175, 1.0219684094740689},
			199: {0.6114878923445307, 0.9550302934853779},
		}},
	} {
		o := c.opts
		o.History = make([]float64, int(math.Ceil(o.Tau/o.Dt))+1)
		for j := range o.History {
			o.History[j] = 1.2 + 0.1*math.Sin(float64(j))
		}
		m := mustMG(t, c.duration, o)
		for i, w := range c.want {
			if math.Abs(m.Xs[i]-w.x) > c.tol || math.Abs(m.XTaus[i]-w.xtau) > c.tol {
				t.Errorf("%s: step %d = (%.17g, %.17g), want BrainPy's (%.17g, %.17g)", c.name, i, m.Xs[i], m.XTaus[i], w.x, w.xtau)
			}
		}
	}
}

func closeSlices(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !(math.Abs(got[i]-want[i]) <= tol) {
			t.Fatalf("%s[%d] = %.17g, want %.17g", what, i, got[i], want[i])
		}
	}
}

func TestMackeyGlassDefaultsAndSeries(t *testing.T) {
	o := datasets.MackeyGlassDefaults()
	if o.Dt != 0.1 || o.Beta != 2 || o.Gamma != 1 || o.Tau != 2 || o.N != 9.65 || o.X0 != 1.2 || o.Method != "rk4" || o.Convention != "brainpy" {
		t.Errorf("MackeyGlassDefaults() = %+v, not brainpy_datasets' defaults", o)
	}
	m := mustMG(t, 100, o)
	if m.Len() != 1000 || len(m.History) != 21 || math.Abs(m.Ts[0]-0.1) > 1e-15 {
		t.Fatalf("default series: %d points (want 1000), history %d (want ceil(2/0.1)+1 = 21), ts[0] %v", m.Len(), len(m.History), m.Ts[0])
	}
	for _, v := range m.History {
		if v < 1.1 || v >= 1.3 {
			t.Fatalf("random history value %v outside X0 ± 0.1", v)
		}
	}
	if again := mustMG(t, 100, o); !slices.Equal(again.Xs, m.Xs) {
		t.Errorf("same seed, different series")
	}
	o.Seed = 1
	if other := mustMG(t, 100, o); slices.Equal(other.Xs, m.Xs) {
		t.Errorf("another seed gave the same series")
	}

	// The classic chaotic series (tau 17) stays on its attractor, roughly [0.2, 1.4], in
	// both conventions.
	for _, conv := range []string{datasets.MackeyGlassBrainPy, datasets.MackeyGlassReservoirPy} {
		r := datasets.MackeyGlassReservoirPyDefaults()
		r.Convention = conv
		s := mustMG(t, 2000, r)
		lo, hi := slices.Min(s.Xs[300:]), slices.Max(s.Xs[300:])
		if lo < 0.15 || lo > 0.5 || hi < 1.1 || hi > 1.45 {
			t.Errorf("%s tau 17: range [%v, %v], want about [0.2, 1.4]", conv, lo, hi)
		}
	}
	// Integrating at dt 0.1 and keeping every 10th point gives the points at whole times.
	r := datasets.MackeyGlassReservoirPyDefaults()
	r.Convention, r.Dt, r.Subsample = datasets.MackeyGlassBrainPy, 0.1, 10
	s := mustMG(t, 50, r)
	full := r
	full.Subsample = 1
	f := mustMG(t, 50, full)
	if s.Len() != 50 || s.Dt != 1 || f.Len() != 500 {
		t.Fatalf("Subsample 10: %d points spaced %v from %d", s.Len(), s.Dt, f.Len())
	}
	for i := range s.Len() {
		if s.Xs[i] != f.Xs[10*i+9] || math.Abs(s.Ts[i]-float64(i+1)) > 1e-9 {
			t.Fatalf("Subsample 10: point %d = (%v, %v), want (%v, %v)", i, s.Ts[i], s.Xs[i], f.Ts[10*i+9], f.Xs[10*i+9])
		}
	}
	r.Convention = datasets.MackeyGlassReservoirPy
	rs := mustMG(t, 50, r)
	if rs.Len() != 50 || rs.Ts[0] != 0 || rs.Xs[0] != 1.2 {
		t.Errorf("ReservoirPy Subsample 10: %d points, first (%v, %v), want 50 from (0, 1.2)", rs.Len(), rs.Ts[0], rs.Xs[0])
	}
}

func TestMackeyGlassErrors(t *testing.T) {
	cases := []struct {
		duration float64
		edit     func(*datasets.MackeyGlassOptions)
		want     string
	}{
		{10, func(o *datasets.MackeyGlassOptions) { o.Dt = 0 }, "MackeyGlassOptions.Dt"},
		{0, func(o *datasets.MackeyGlassOptions) {}, "duration"},
		{10, func(o *datasets.MackeyGlassOptions) { o.Tau = 0 }, "MackeyGlassOptions.Tau"},
		{10, func(o *datasets.MackeyGlassOptions) { o.Beta = math.NaN() }, "MackeyGlassOptions.Beta"},
		{10, func(o *datasets.MackeyGlassOptions) { o.Method = "" }, "MackeyGlassOptions.Method"},
		{10, func(o *datasets.MackeyGlassOptions) { o.Convention = "jitcdde" }, "MackeyGlassOptions.Convention"},
		{10, func(o *datasets.MackeyGlassOptions) { o.Subsample = 0 }, "MackeyGlassOptions.Subsample"},
		{10, func(o *datasets.MackeyGlassOptions) { o.History = []float64{1, 2} }, "MackeyGlassOptions.History"},
		{10, func(o *datasets.MackeyGlassOptions) {
			o.Convention, o.Dt, o.Tau, o.History = "reservoirpy", 1, 3, []float64{1, 1}
		}, "MackeyGlassOptions.History"},
		{10, func(o *datasets.MackeyGlassOptions) { o.Convention, o.Dt, o.Tau = "reservoirpy", 1, 0.5 }, "MackeyGlassOptions.Tau"},
		{10000, func(o *datasets.MackeyGlassOptions) { o.Dt = 10 }, "the series became"},
	}
	for _, c := range cases {
		o := datasets.MackeyGlassDefaults()
		c.edit(&o)
		_, err := datasets.MackeyGlassEq(c.duration, o)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "datasets.MackeyGlassEq: ") {
			t.Errorf("duration %v, options %+v: error %v, want one about %s", c.duration, o, err, c.want)
		}
	}
}
