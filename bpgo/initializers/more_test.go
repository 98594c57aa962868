package initializers_test

import (
	"math"
	"slices"
	"testing"

	"github.com/bpgo/bpgo/bpgo/initializers"
)

// gram returns A·Aᵀ (rows) or Aᵀ·A (cols) of a row-major r×c matrix.
func gram(a []float64, r, c int, rows bool) [][]float64 {
	n := c
	if rows {
		n = r
	}
	g := make([][]float64, n)
	for i := range g {
		g[i] = make([]float64, n)
		for j := range g[i] {
			s := 0.0
			if rows {
				for k := range c {
					s += a[i*c+k] * a[j*c+k]
				}
			} else {
				for k := range r {
					s += a[k*c+i] * a[k*c+j]
				}
			}
			g[i][j] = s
		}
	}
	return g
}

// maxDevFromScaledEye is max |G - s·I| over the entries.
func maxDevFromScaledEye(g [][]float64, s float64) float64 {
	d := 0.0
	for i := range g {
		for j := range g[i] {
			want := 0.0
			if i == j {
				want = s
			}
			d = max(d, math.Abs(g[i][j]-want))
		}
	}
	return d
}

func TestOrthogonal2D(t *testing.T) {
	cases := []struct {
		in, out int
		scale   float64
	}{
		{5, 5, 1}, {3, 8, 1}, {8, 3, 1}, {1, 6, 1}, {6, 1, 1}, {40, 120, 1}, {120, 40, 2.5}, {64, 64, -0.5},
	}
	for _, c := range cases {
		w := mustInit(t, initializers.Orthogonal{Scale: c.scale, Axis: -1}, newRNG(uint64(c.in), uint64(c.out)), c.in, c.out)
		s := c.scale
		// (in, out) with Axis -1: orthonormal rows when in <= out, columns when in >= out.
		if c.in <= c.out {
			if d := maxDevFromScaledEye(gram(w, c.in, c.out, true), s*s); d > 1e-12 {
				t.Errorf("Orthogonal{%v} (%d,%d): |W·Wᵀ - s²I| = %.3g", c.scale, c.in, c.out, d)
			}
		}
		if c.in >= c.out {
			if d := maxDevFromScaledEye(gram(w, c.in, c.out, false), s*s); d > 1e-12 {
				t.Errorf("Orthogonal{%v} (%d,%d): |Wᵀ·W - s²I| = %.3g", c.scale, c.in, c.out, d)
			}
		}
	}
}

// TestOrthogonalAxis checks the flattening convention on a rank-3 weight: Axis is the column
// axis, all others (row-major) are rows.
func TestOrthogonalAxis(t *testing.T) {
	dims := []int{2, 3, 4}
	for _, axis := range []int{0, -1, -2, -3, 1, 2} {
		w := mustInit(t, initializers.Orthogonal{Scale: 1, Axis: axis}, newRNG(3, uint64(axis+10)), dims...)
		ax := axis
		switch {
		case ax < 0:
			ax += 3
		}
		// Build M[rest, i_axis] by hand.
		cols := dims[ax]
		rows := 24 / cols
		m := make([]float64, 24)
		for i := range 2 {
			for j := range 3 {
				for k := range 4 {
					idx := []int{i, j, k}
					var rest []int
					var restDims []int
					for d := range 3 {
						if d != ax {
							rest = append(rest, idx[d])
							restDims = append(restDims, dims[d])
						}
					}
					r := rest[0]*restDims[1] + rest[1]
					m[r*cols+idx[ax]] = w[(i*3+j)*4+k]
				}
			}
		}
		if rows < cols {
			if d := maxDevFromScaledEye(gram(m, rows, cols, true), 1); d > 1e-12 {
				t.Errorf("Axis %d: rows of the %dx%d matrix are not orthonormal (dev %.3g)", axis, rows, cols, d)
			}
		} else {
			if d := maxDevFromScaledEye(gram(m, rows, cols, false), 1); d > 1e-12 {
				t.Errorf("Axis %d: columns of the %dx%d matrix are not orthonormal (dev %.3g)", axis, rows, cols, d)
			}
		}
	}
	// BrainPy's default is Scale 1 over the last axis; Axis 0 is the first axis, not the default.
	a := mustInit(t, initializers.OrthogonalDefaults(), newRNG(1, 1), dims...)
	b := mustInit(t, initializers.Orthogonal{Scale: 1, Axis: 2}, newRNG(1, 1), dims...)
	c := mustInit(t, initializers.Orthogonal{Scale: 1, Axis: 0}, newRNG(1, 1), dims...)
	if !slices.Equal(a, b) {
		t.Errorf("OrthogonalDefaults() differs from Orthogonal{Scale: 1, Axis: 2} on rank 3")
	}
	if slices.Equal(a, c) {
		t.Errorf("Orthogonal{Axis: 0} gave the draws of the default axis -1")
	}
}

// TestOrthogonalHaar checks the sign correction: without it the diagonal of Q from a QR is biased
// (Householder QR gives R a fixed-sign diagonal). For Haar orthogonal n×n matrices every entry
// has mean 0 and variance 1/n.
func TestOrthogonalHaar(t *testing.T) {
	const n, reps = 4, 20000
	rng := newRNG(77, 78)
	var sum, sumSq [n * n]float64
	for range reps {
		w := mustInit(t, initializers.OrthogonalDefaults(), rng, n, n)
		for i, x := range w {
			sum[i] += x
			sumSq[i] += x * x
		}
	}
	for i := range sum {
		mean, v := sum[i]/reps, sumSq[i]/reps
		// std of a mean of reps values with variance 1/n is 1/sqrt(n·reps) ≈ 0.0035.
		if math.Abs(mean) > 5/math.Sqrt(n*reps) {
			t.Errorf("entry %d: mean %.4f, want ≈ 0 (Haar)", i, mean)
		}
		if math.Abs(v-1.0/n) > 0.01 {
			t.Errorf("entry %d: E[x²] %.4f, want %.4f", i, v, 1.0/n)
		}
	}
}

func TestOrthogonalErrors(t *testing.T) {
	rng := newRNG(1, 1)
	_, err := initializers.OrthogonalDefaults().Init(rng, 7)
	wantErr(t, err, "rank >= 2", "[7]")
	_, err = initializers.Orthogonal{Scale: 1, Axis: 2}.Init(rng, 3, 4)
	wantErr(t, err, "Axis", "2", "[3 4]")
	_, err = initializers.Orthogonal{Scale: 1, Axis: -3}.Init(rng, 3, 4)
	wantErr(t, err, "Axis", "-3")
	_, err = initializers.Orthogonal{Scale: math.NaN()}.Init(rng, 3, 4)
	wantErr(t, err, "Scale")
	_, err = initializers.Orthogonal{Axis: -1}.Init(rng, 3, 4)
	wantErr(t, err, "initializers.Orthogonal: Scale", "got 0", "default is 1", "OrthogonalDefaults()")
	_, err = initializers.New(initializers.Orthogonal{Scale: math.Inf(1)}, 3, 4)
	wantErr(t, err, "Scale")
}

func TestIdentity(t *testing.T) {
	w := mustInit(t, initializers.Identity{Scale: 1}, nil, 3, 3)
	if want := []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}; !slices.Equal(w, want) {
		t.Errorf("Identity{1} (3,3) = %v, want %v", w, want)
	}
	// Scale is used as given: Identity{} is a zero matrix.
	if w := mustInit(t, initializers.Identity{}, nil, 2, 2); !slices.Equal(w, []float64{0, 0, 0, 0}) {
		t.Errorf("Identity{} (2,2) = %v, want zeros", w)
	}
	w = mustInit(t, initializers.Identity{Scale: 2.5}, nil, 2, 3)
	if want := []float64{2.5, 0, 0, 0, 2.5, 0}; !slices.Equal(w, want) {
		t.Errorf("Identity{2.5} (2,3) = %v, want %v", w, want)
	}
	w = mustInit(t, initializers.Identity{Scale: -1}, nil, 3, 2)
	if want := []float64{-1, 0, 0, -1, 0, 0}; !slices.Equal(w, want) {
		t.Errorf("Identity{-1} (3,2) = %v, want %v", w, want)
	}
	for _, dims := range [][]int{{4}, {2, 2, 2}} {
		_, err := initializers.Identity{Scale: 1}.Init(nil, dims...)
		wantErr(t, err, "2-D")
	}
	_, err := initializers.Identity{Scale: math.NaN()}.Init(nil, 2, 2)
	wantErr(t, err, "Scale")
}

func TestOneInit(t *testing.T) {
	if v := mustInit(t, initializers.OneInit{Value: 1}, nil, 2, 3); slices.ContainsFunc(v, func(x float64) bool { return x != 1 }) {
		t.Errorf("OneInit{1} = %v, want ones", v)
	}
	// Value is used as given: OneInit{} fills zeros (BrainPy's default is Value 1).
	if v := mustInit(t, initializers.OneInit{}, nil, 3); !slices.Equal(v, []float64{0, 0, 0}) {
		t.Errorf("OneInit{} = %v, want zeros", v)
	}
	if v := mustInit(t, initializers.OneInit{Value: -0.5}, nil, 4); !slices.Equal(v, []float64{-0.5, -0.5, -0.5, -0.5}) {
		t.Errorf("OneInit{-0.5} = %v", v)
	}
	_, err := initializers.OneInit{Value: math.Inf(-1)}.Init(nil, 2)
	wantErr(t, err, "Value")
}

func TestLecun(t *testing.T) {
	dims := []int{6, 4, 5} // fan_in = 24
	cases := []struct {
		named  initializers.Initializer
		equals initializers.VarianceScaling
	}{
		{initializers.LecunNormal{Scale: 1}, initializers.VarianceScaling{Scale: 1, Mode: initializers.FanIn, Distribution: initializers.TruncatedNormalDist}},
		{initializers.LecunNormal{Scale: 3}, initializers.VarianceScaling{Scale: 3, Mode: initializers.FanIn, Distribution: initializers.TruncatedNormalDist}},
		{initializers.LecunUniform{Scale: 1}, initializers.VarianceScaling{Scale: 1, Mode: initializers.FanIn, Distribution: initializers.UniformDist}},
		{initializers.LecunUniform{Scale: 0.5}, initializers.VarianceScaling{Scale: 0.5, Mode: initializers.FanIn, Distribution: initializers.UniformDist}},
	}
	for _, c := range cases {
		a := mustInit(t, c.named, newRNG(5, 6), dims...)
		b := mustInit(t, c.equals, newRNG(5, 6), dims...)
		if !slices.Equal(a, b) {
			t.Errorf("%T%+v differs from %+v", c.named, c.named, c.equals)
		}
	}
	// LecunNormal on (400, 2500): std sqrt(1/400) = 0.05, within ±2·0.05/0.8796.
	v := mustInit(t, initializers.LecunNormal{Scale: 1}, newRNG(8, 1), 400, 2500)
	if s := moments(v); math.Abs(s.std-0.05) > 0.005*0.05 || s.max > 2*0.05/truncStd || s.min < -2*0.05/truncStd {
		t.Errorf("LecunNormal{} on (400,2500): std %v, span [%v, %v], want std 0.05 within ±%v", s.std, s.min, s.max, 2*0.05/truncStd)
	}
	// LecunUniform on (300, 1000): bound sqrt(3/300) = 0.1, std 0.1/sqrt(3).
	v = mustInit(t, initializers.LecunUniform{Scale: 1}, newRNG(8, 2), 300, 1000)
	if s := moments(v); s.max >= 0.1 || s.min < -0.1 || s.max < 0.0999 || s.min > -0.0999 || math.Abs(s.std-0.1/math.Sqrt(3)) > 0.005*0.1/math.Sqrt(3) {
		t.Errorf("LecunUniform{} on (300,1000): span [%v, %v], std %v, want ±0.1, std %v", s.min, s.max, s.std, 0.1/math.Sqrt(3))
	}
	for _, init := range []initializers.Initializer{initializers.LecunNormal{Scale: -1}, initializers.LecunUniform{Scale: math.NaN()}, initializers.LecunNormal{}} {
		_, err := init.Init(newRNG(1, 1), 3, 3)
		wantErr(t, err, "Scale")
	}
	_, err := initializers.LecunNormal{Scale: 1}.Init(newRNG(1, 1), 9)
	wantErr(t, err, "rank", "[9]")
}

// truncMoments is the mean and std of N(loc, scale²) truncated to [lo, hi] (closed form).
func truncMoments(loc, scale, lo, hi float64) (mean, std float64) {
	a, b := (lo-loc)/scale, (hi-loc)/scale
	phi := func(x float64) float64 {
		if math.IsInf(x, 0) {
			return 0
		}
		return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi)
	}
	xphi := func(x float64) float64 {
		if math.IsInf(x, 0) {
			return 0
		}
		return x * phi(x)
	}
	// Z = Φ(b) - Φ(a), computed in the tail where both are small.
	var z float64
	if a >= 0 {
		z = 0.5 * (math.Erfc(a/math.Sqrt2) - math.Erfc(b/math.Sqrt2))
	} else if b <= 0 {
		z = 0.5 * (math.Erfc(-b/math.Sqrt2) - math.Erfc(-a/math.Sqrt2))
	} else {
		z = 0.5 * (math.Erf(b/math.Sqrt2) - math.Erf(a/math.Sqrt2))
	}
	d := (phi(a) - phi(b)) / z
	v := 1 + (xphi(a)-xphi(b))/z - d*d
	return loc + scale*d, scale * math.Sqrt(v)
}

func TestTruncatedNormal(t *testing.T) {
	inf := math.Inf(1)
	cases := []initializers.TruncatedNormal{
		{Scale: 1, Lower: -2, Upper: 2},               // BrainPy's ±2σ standard case
		{Loc: 1, Scale: 0.5, Lower: 0, Upper: inf},    // one-sided, mass 0.977
		{Loc: 0, Scale: 2, Lower: 4, Upper: inf},      // upper tail, a = 2
		{Loc: 0, Scale: 1, Lower: 5, Upper: 6},        // far tail, mass 2.9e-7
		{Loc: 3, Scale: 1, Lower: -inf, Upper: -2},    // far lower tail, a = -5
		{Loc: 0, Scale: 1, Lower: 0.5, Upper: 0.51},   // narrow, uniform proposal
		{Loc: 0, Scale: 1, Lower: -0.1, Upper: 0.2},   // narrow around the mode
		{Loc: 0, Scale: 1, Lower: -0.2, Upper: 0.5},   // mass 0.27: uniform proposal around the mode
		{Loc: 1, Scale: 2, Lower: 7, Upper: 7.3},      // [3σ, 3.15σ]: uniform proposal in the tail
		{Loc: -1, Scale: 3, Lower: -7, Upper: 0},      // asymmetric, straddling
		{Loc: 0.5, Scale: 1, Lower: -inf, Upper: inf}, // no truncation: N(0.5, 1)
	}
	const n = 400000
	for i, c := range cases {
		v := mustInit(t, c, newRNG(21, uint64(i)), n)
		lo, hi := c.Lower, c.Upper
		if lo == 0 && hi == 0 {
			lo, hi = math.Inf(-1), inf
		}
		scale := c.Scale
		if scale == 0 {
			scale = 1
		}
		wantMean, wantStd := truncMoments(c.Loc, scale, lo, hi)
		s := moments(v)
		if s.min < lo || s.max > hi {
			t.Errorf("%+v: values span [%v, %v], outside [%v, %v]", c, s.min, s.max, lo, hi)
		}
		// Sampling error of the mean: std/sqrt(n); of the std: ~std/sqrt(2n).
		if math.Abs(s.mean-wantMean) > 5*wantStd/math.Sqrt(n) {
			t.Errorf("%+v: mean %.6g, want %.6g", c, s.mean, wantMean)
		}
		if math.Abs(s.std-wantStd) > 6*wantStd/math.Sqrt(2*n)+1e-12 {
			t.Errorf("%+v: std %.6g, want %.6g", c, s.std, wantStd)
		}
	}
	// Same generator seed → same values.
	a := mustInit(t, initializers.TruncatedNormal{Scale: 1, Lower: -1, Upper: 3}, newRNG(4, 4), 50)
	b := mustInit(t, initializers.TruncatedNormal{Scale: 1, Lower: -1, Upper: 3}, newRNG(4, 4), 50)
	if !slices.Equal(a, b) {
		t.Errorf("the same seed gave different TruncatedNormal draws")
	}
	// The defaults are N(0, 1) without bounds: the same draws as explicit infinite bounds.
	d := initializers.TruncatedNormalDefaults()
	if d.Loc != 0 || d.Scale != 1 || !math.IsInf(d.Lower, -1) || !math.IsInf(d.Upper, 1) {
		t.Errorf("TruncatedNormalDefaults() = %+v", d)
	}
	a = mustInit(t, d, newRNG(4, 5), 50)
	b = mustInit(t, initializers.TruncatedNormal{Scale: 1, Lower: math.Inf(-1), Upper: math.Inf(1)}, newRNG(4, 5), 50)
	if !slices.Equal(a, b) {
		t.Errorf("TruncatedNormalDefaults() draws differ from explicit unbounded ones")
	}

	for _, c := range []struct {
		tn   initializers.TruncatedNormal
		want []string
	}{
		{initializers.TruncatedNormal{Scale: -1, Upper: 1}, []string{"Scale", "-1"}},
		{initializers.TruncatedNormal{Lower: -1, Upper: 1}, []string{"Scale", "got 0", "default is 1", "TruncatedNormalDefaults()"}},
		{initializers.TruncatedNormal{Scale: math.Inf(1), Upper: 1}, []string{"Scale"}},
		{initializers.TruncatedNormal{Loc: math.NaN(), Scale: 1, Upper: 1}, []string{"Loc"}},
		{initializers.TruncatedNormal{Scale: 1, Lower: 2, Upper: 1}, []string{"Lower", "Upper"}},
		{initializers.TruncatedNormal{Scale: 1, Lower: 1, Upper: 1}, []string{"Lower", "Upper"}},
		{initializers.TruncatedNormal{Scale: 1}, []string{"Lower", "Upper", "TruncatedNormalDefaults()"}},
		{initializers.TruncatedNormal{Scale: 1, Lower: math.NaN(), Upper: 1}, []string{"Lower", "Upper"}},
	} {
		_, err := c.tn.Init(newRNG(1, 1), 3)
		wantErr(t, err, c.want...)
	}
}

// TestNewInitializersSeed checks that the new initializers are reproducible through the global
// seed (bpgo.SetSeed → initializers.New).
func TestNewInitializersSeed(t *testing.T) {
	for _, init := range []initializers.Initializer{
		initializers.OrthogonalDefaults(), initializers.LecunNormal{Scale: 1}, initializers.LecunUniform{Scale: 1},
		initializers.TruncatedNormal{Scale: 1, Lower: -1, Upper: 1},
	} {
		a := mustInit(t, init, newRNG(9, 10), 6, 7)
		b := mustInit(t, init, newRNG(9, 10), 6, 7)
		c := mustInit(t, init, newRNG(9, 11), 6, 7)
		if !slices.Equal(a, b) {
			t.Errorf("%T: same seed, different values", init)
		}
		if slices.Equal(a, c) {
			t.Errorf("%T: different seeds, same values", init)
		}
	}
}
