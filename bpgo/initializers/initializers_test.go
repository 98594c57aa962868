package initializers_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

// truncStd is the std of N(0,1) truncated to [-2, 2] (BrainPy's constant).
const truncStd = 0.87962566103423978

func newRNG(a, b uint64) *rand.Rand { return rand.New(rand.NewPCG(a, b)) }

type stats struct {
	mean, std, min, max float64
	n                   int
}

func moments(v []float64) stats {
	s := stats{min: math.Inf(1), max: math.Inf(-1), n: len(v)}
	for _, x := range v {
		s.mean += x
		s.min = min(s.min, x)
		s.max = max(s.max, x)
	}
	s.mean /= float64(len(v))
	for _, x := range v {
		d := x - s.mean
		s.std += d * d
	}
	s.std = math.Sqrt(s.std / float64(len(v)))
	return s
}

// fracWithin is the fraction of values with |x| < c.
func fracWithin(v []float64, c float64) float64 {
	k := 0
	for _, x := range v {
		if math.Abs(x) < c {
			k++
		}
	}
	return float64(k) / float64(len(v))
}

func mustInit(t *testing.T, init initializers.Initializer, rng *rand.Rand, dims ...int) []float64 {
	t.Helper()
	v, err := init.Init(rng, dims...)
	if err != nil {
		t.Fatalf("%T%+v.Init(%v): %v", init, init, dims, err)
	}
	n := 1
	for _, d := range dims {
		n *= d
	}
	if len(v) != n {
		t.Fatalf("%T.Init(%v) returned %d values, want %d", init, dims, len(v), n)
	}
	return v
}

func wantErr(t *testing.T, err error, substrs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one mentioning %q", substrs)
	}
	for _, s := range substrs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
}

func TestFans(t *testing.T) {
	cases := []struct {
		dims          []int
		fanIn, fanOut float64
	}{
		{[]int{100, 10}, 100, 10},
		{[]int{784, 100}, 784, 100},
		{[]int{3, 50}, 3, 50},
		// Higher ranks: receptive field = prod(dims[:-2]) multiplies both fans.
		{[]int{5, 4, 3}, 20, 15},
		{[]int{3, 3, 16, 32}, 144, 288},
		{[]int{2, 7, 1, 1}, 14, 14},
	}
	for _, c := range cases {
		in, out, err := initializers.Fans(c.dims)
		if err != nil {
			t.Fatalf("Fans(%v): %v", c.dims, err)
		}
		if in != c.fanIn || out != c.fanOut {
			t.Errorf("Fans(%v) = (%v, %v), want (%v, %v)", c.dims, in, out, c.fanIn, c.fanOut)
		}
	}
	for _, dims := range [][]int{nil, {}, {7}} {
		_, _, err := initializers.Fans(dims)
		wantErr(t, err, "rank")
	}
}

// TestVarianceScalingDistributions checks std, bounds and shape of every mode × distribution on
// a million draws. fan_in = 400, fan_out = 2500, fan_avg = 1450.
func TestVarianceScalingDistributions(t *testing.T) {
	dims := []int{400, 2500}
	dens := map[initializers.FanMode]float64{
		initializers.FanIn: 400, initializers.FanOut: 2500, initializers.FanAvg: 1450,
	}
	const scale = 3.0
	// Expected fraction of values inside ±1 std for each distribution.
	pTrunc := math.Erf(truncStd/math.Sqrt2) / math.Erf(2/math.Sqrt2) // ≈ 0.6506
	pNorm := math.Erf(1 / math.Sqrt2)                                // ≈ 0.6827
	pUnif := 1 / math.Sqrt(3)                                        // ≈ 0.5774
	seed := uint64(1)
	for mode, den := range dens {
		for _, dist := range []initializers.Distribution{initializers.TruncatedNormalDist, initializers.NormalDist, initializers.UniformDist} {
			seed++
			vs := initializers.VarianceScaling{Scale: scale, Mode: mode, Distribution: dist}
			v := mustInit(t, vs, newRNG(seed, 7), dims...)
			wantStd := math.Sqrt(scale / den)
			s := moments(v)
			name := string(mode) + "/" + string(dist)
			if rel := math.Abs(s.std-wantStd) / wantStd; rel > 0.005 {
				t.Errorf("%s: std %.6g, want %.6g (rel err %.2g)", name, s.std, wantStd, rel)
			}
			if math.Abs(s.mean) > 5*wantStd/math.Sqrt(float64(s.n)) {
				t.Errorf("%s: mean %.3g, want ≈ 0", name, s.mean)
			}
			in1 := fracWithin(v, wantStd)
			switch dist {
			case initializers.TruncatedNormalDist:
				bound := 2 * wantStd / truncStd
				if s.max > bound || s.min < -bound {
					t.Errorf("%s: values span [%v, %v], want within ±%v", name, s.min, s.max, bound)
				}
				// The truncation is at ±2 standard normals, not tighter.
				if s.max < 0.99*bound || s.min > -0.99*bound {
					t.Errorf("%s: values span [%v, %v], want to reach close to ±%v", name, s.min, s.max, bound)
				}
				if math.Abs(in1-pTrunc) > 0.003 {
					t.Errorf("%s: fraction within 1 std = %.4f, want %.4f", name, in1, pTrunc)
				}
			case initializers.NormalDist:
				// Not truncated: about 4.6% of the values lie beyond 2 std.
				if out2 := 1 - fracWithin(v, 2*wantStd); math.Abs(out2-(1-math.Erf(2/math.Sqrt2))) > 0.002 {
					t.Errorf("%s: fraction beyond 2 std = %.4f, want %.4f", name, out2, 1-math.Erf(2/math.Sqrt2))
				}
				if math.Abs(in1-pNorm) > 0.003 {
					t.Errorf("%s: fraction within 1 std = %.4f, want %.4f", name, in1, pNorm)
				}
			case initializers.UniformDist:
				bound := math.Sqrt(3 * scale / den)
				if s.max >= bound || s.min < -bound {
					t.Errorf("%s: values span [%v, %v], want within ±%v", name, s.min, s.max, bound)
				}
				if s.max < 0.999*bound || s.min > -0.999*bound {
					t.Errorf("%s: values span [%v, %v], want to reach close to ±%v", name, s.min, s.max, bound)
				}
				if math.Abs(in1-pUnif) > 0.003 {
					t.Errorf("%s: fraction within 1 std = %.4f, want %.4f", name, in1, pUnif)
				}
			}
		}
	}
}

// TestWorkedValues checks the worked examples of the BrainPy reference on many draws of the
// small shapes the tutorials use.
func TestWorkedValues(t *testing.T) {
	rng := newRNG(11, 12)
	draw := func(init initializers.Initializer, reps int, dims ...int) []float64 {
		var all []float64
		for range reps {
			all = append(all, mustInit(t, init, rng, dims...)...)
		}
		return all
	}
	// KaimingNormal(scale=20.) on (100, 10): std = sqrt(20/100) = 0.447.
	if s := moments(draw(initializers.KaimingNormal{Scale: 20}, 300, 100, 10)); math.Abs(s.std-math.Sqrt(0.2)) > 0.005*math.Sqrt(0.2) {
		t.Errorf("KaimingNormal{20} on (100,10): std %.5f, want %.5f", s.std, math.Sqrt(0.2))
	}
	// KaimingNormal() on (784, 100): std = sqrt(2/784) = 0.0505.
	if s := moments(draw(initializers.KaimingNormal{Scale: 2}, 10, 784, 100)); math.Abs(s.std-math.Sqrt(2.0/784)) > 0.005*math.Sqrt(2.0/784) {
		t.Errorf("KaimingNormal{} on (784,100): std %.5f, want %.5f", s.std, math.Sqrt(2.0/784))
	}
	// XavierNormal() on Dense(100, 10): std = sqrt(2/110) = 0.135.
	if s := moments(draw(initializers.XavierNormal{Scale: 1}, 300, 100, 10)); math.Abs(s.std-math.Sqrt(2.0/110)) > 0.005*math.Sqrt(2.0/110) {
		t.Errorf("XavierNormal{} on (100,10): std %.5f, want %.5f", s.std, math.Sqrt(2.0/110))
	}
	// KaimingUniform(scale=1.) bounds: (3,50) → 1.0; (50,50) → sqrt(3/50); (40,3) → sqrt(3/40).
	for _, c := range []struct {
		dims  []int
		bound float64
	}{{[]int{3, 50}, 1.0}, {[]int{50, 50}, math.Sqrt(3.0 / 50)}, {[]int{40, 3}, math.Sqrt(3.0 / 40)}} {
		s := moments(draw(initializers.KaimingUniform{Scale: 1}, 2000, c.dims...))
		if s.max >= c.bound || s.min < -c.bound || s.max < 0.999*c.bound || s.min > -0.999*c.bound {
			t.Errorf("KaimingUniform{1} on %v: values span [%v, %v], want to fill (-%v, %v)", c.dims, s.min, s.max, c.bound, c.bound)
		}
	}
	// KaimingUniform() default scale 2 on (3, 50): bound sqrt(3*2/3) = sqrt(2).
	if s := moments(draw(initializers.KaimingUniform{Scale: 2}, 2000, 3, 50)); s.max >= math.Sqrt2 || s.max < 0.999*math.Sqrt2 {
		t.Errorf("KaimingUniform{} on (3,50): max %v, want just under sqrt(2)", s.max)
	}
	// XavierUniform() on (30, 90): bound sqrt(3/60).
	if s := moments(draw(initializers.XavierUniform{Scale: 1}, 1000, 30, 90)); s.max >= math.Sqrt(0.05) || s.max < 0.999*math.Sqrt(0.05) || s.min < -math.Sqrt(0.05) {
		t.Errorf("XavierUniform{} on (30,90): values span [%v, %v], want ±%v", s.min, s.max, math.Sqrt(0.05))
	}
}

// TestNamedInitializers checks that the named initializers are the documented VarianceScaling
// configurations (same generator → identical values) and that Scale 0 is an error naming
// BrainPy's default.
func TestNamedInitializers(t *testing.T) {
	dims := []int{6, 4, 5}
	cases := []struct {
		named  initializers.Initializer
		equals initializers.VarianceScaling
	}{
		{initializers.KaimingNormal{Scale: 2}, initializers.VarianceScaling{Scale: 2, Mode: initializers.FanIn, Distribution: initializers.TruncatedNormalDist}},
		{initializers.KaimingNormal{Scale: 20}, initializers.VarianceScaling{Scale: 20, Mode: initializers.FanIn, Distribution: initializers.TruncatedNormalDist}},
		{initializers.KaimingUniform{Scale: 2}, initializers.VarianceScaling{Scale: 2, Mode: initializers.FanIn, Distribution: initializers.UniformDist}},
		{initializers.XavierNormal{Scale: 1}, initializers.VarianceScaling{Scale: 1, Mode: initializers.FanAvg, Distribution: initializers.TruncatedNormalDist}},
		{initializers.XavierUniform{Scale: 0.5}, initializers.VarianceScaling{Scale: 0.5, Mode: initializers.FanAvg, Distribution: initializers.UniformDist}},
	}
	for _, c := range cases {
		a := mustInit(t, c.named, newRNG(5, 6), dims...)
		b := mustInit(t, c.equals, newRNG(5, 6), dims...)
		if !slices.Equal(a, b) {
			t.Errorf("%T%+v differs from %+v", c.named, c.named, c.equals)
		}
	}
	for _, c := range []struct {
		init initializers.Initializer
		want string
	}{
		{initializers.KaimingNormal{}, "initializers.KaimingNormal: Scale: want > 0, got 0 (BrainPy's default is 2: KaimingNormal{Scale: 2})"},
		{initializers.KaimingUniform{}, "initializers.KaimingUniform: Scale: want > 0, got 0 (BrainPy's default is 2"},
		{initializers.XavierNormal{}, "initializers.XavierNormal: Scale: want > 0, got 0 (BrainPy's default is 1"},
		{initializers.XavierUniform{}, "initializers.XavierUniform: Scale: want > 0, got 0 (BrainPy's default is 1"},
		{initializers.LecunUniform{}, "initializers.LecunUniform: Scale: want > 0, got 0 (BrainPy's default is 1"},
		{initializers.VarianceScaling{Mode: initializers.FanIn, Distribution: initializers.NormalDist}, "initializers.VarianceScaling: Scale: want > 0, got 0"},
	} {
		_, err := initializers.New(c.init, 3, 4)
		wantErr(t, err, c.want)
	}
	// XavierNormal's default scale is 1: Scale 2 gives exactly sqrt(2) times the same draws.
	one := mustInit(t, initializers.XavierNormal{Scale: 1}, newRNG(9, 9), 20, 30)
	two := mustInit(t, initializers.XavierNormal{Scale: 2}, newRNG(9, 9), 20, 30)
	for i := range one {
		if math.Abs(two[i]-math.Sqrt2*one[i]) > 1e-12*math.Abs(two[i]) {
			t.Fatalf("XavierNormal{2}[%d] = %v, want sqrt(2) × XavierNormal{}[%d] = %v", i, two[i], i, math.Sqrt2*one[i])
		}
	}
	// XavierNormal on a (1000, 1000) weight: std sqrt(1/1000).
	if s := moments(mustInit(t, initializers.XavierNormal{Scale: 1}, newRNG(3, 4), 1000, 1000)); math.Abs(s.std-math.Sqrt(1e-3)) > 0.005*math.Sqrt(1e-3) {
		t.Errorf("XavierNormal{} on (1000,1000): std %v, want %v", s.std, math.Sqrt(1e-3))
	}
	// KaimingNormal{Scale: 20} on (1000, 1000): std sqrt(20/1000), bounds ±2·std/0.8796.
	v := mustInit(t, initializers.KaimingNormal{Scale: 20}, newRNG(3, 5), 1000, 1000)
	s, std := moments(v), math.Sqrt(0.02)
	if math.Abs(s.std-std) > 0.005*std {
		t.Errorf("KaimingNormal{20} on (1000,1000): std %v, want %v", s.std, std)
	}
	if b := 2 * std / truncStd; s.max > b || s.min < -b {
		t.Errorf("KaimingNormal{20} on (1000,1000): values span [%v, %v], want within ±%v", s.min, s.max, b)
	}
}

func TestNormal(t *testing.T) {
	// The first field is the mean (BrainPy's Normal(0.01) has mean 0.01 and std 1).
	v := mustInit(t, initializers.Normal{0.01, 1}, newRNG(1, 1), 1000, 1000)
	if s := moments(v); math.Abs(s.mean-0.01) > 0.004 || math.Abs(s.std-1) > 0.005 {
		t.Errorf("Normal{0.01, 1}: mean %v, std %v, want 0.01, 1", s.mean, s.std)
	}
	v = mustInit(t, initializers.Normal{Mean: 3, Scale: 0.5}, newRNG(1, 2), 1000, 1000)
	if s := moments(v); math.Abs(s.mean-3) > 0.002 || math.Abs(s.std-0.5) > 0.0025 {
		t.Errorf("Normal{3, 0.5}: mean %v, std %v, want 3, 0.5", s.mean, s.std)
	}
	// Mean shifts the same draws exactly.
	a := mustInit(t, initializers.Normal{Scale: 1}, newRNG(8, 8), 50)
	b := mustInit(t, initializers.Normal{Mean: 0.25, Scale: 1}, newRNG(8, 8), 50)
	for i := range a {
		if b[i] != a[i]+0.25 {
			t.Fatalf("Normal{0.25, 1}[%d] = %v, want Normal{}[%d] + 0.25 = %v", i, b[i], i, a[i]+0.25)
		}
	}
	_, err := initializers.Normal{Scale: -1}.Init(newRNG(1, 1), 3)
	wantErr(t, err, "Scale", "-1")
	_, err = initializers.Normal{Mean: 0.01}.Init(newRNG(1, 1), 3)
	wantErr(t, err, "initializers.Normal: Scale: want > 0, got 0 (BrainPy's default is 1")
}

func TestUniform(t *testing.T) {
	v := mustInit(t, initializers.Uniform{Min: 0, Max: 1}, newRNG(2, 2), 1000, 1000)
	if s := moments(v); s.min < 0 || s.max >= 1 || s.min > 1e-4 || s.max < 1-1e-4 || math.Abs(s.mean-0.5) > 0.002 {
		t.Errorf("Uniform{0, 1}: span [%v, %v], mean %v, want U[0, 1)", s.min, s.max, s.mean)
	}
	v = mustInit(t, initializers.Uniform{Min: -2, Max: 5}, newRNG(2, 3), 1000, 1000)
	if s := moments(v); s.min < -2 || s.max >= 5 || s.min > -2+1e-3 || s.max < 5-1e-3 || math.Abs(s.mean-1.5) > 0.01 ||
		math.Abs(s.std-7/math.Sqrt(12)) > 0.01 {
		t.Errorf("Uniform{-2, 5}: span [%v, %v], mean %v, std %v, want U[-2, 5)", s.min, s.max, s.mean, s.std)
	}
	for _, u := range []initializers.Uniform{{Min: 1, Max: 1}, {Min: 2, Max: 1}, {Min: 0, Max: math.NaN()}, {}} {
		_, err := u.Init(newRNG(1, 1), 3)
		wantErr(t, err, "Max", "Min", "Uniform{Min: 0, Max: 1}")
	}
}

func TestZeroConstant(t *testing.T) {
	z, err := initializers.New(initializers.Zero{}, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, z, bpgo.FloatDType(), 3, 4)
	if v := bpgo.ToFloat64s(z); slices.ContainsFunc(v, func(x float64) bool { return x != 0 }) {
		t.Errorf("Zero: got %v, want all zeros", v)
	}
	c, err := initializers.New(initializers.Constant{Value: 1.5}, 2, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, c, bpgo.FloatDType(), 2, 3, 2)
	if v := bpgo.ToFloat64s(c); len(v) != 12 || slices.ContainsFunc(v, func(x float64) bool { return x != 1.5 }) {
		t.Errorf("Constant{1.5}: got %v, want 12 × 1.5", v)
	}
	// Rank 1 is fine for element-wise initializers.
	if _, err := initializers.New(initializers.Constant{Value: -2}, 7); err != nil {
		t.Errorf("Constant on a rank-1 shape: %v", err)
	}
}

func checkShape(t *testing.T, x *tensors.Tensor, dt dtypes.DType, dims ...int) {
	t.Helper()
	if x == nil {
		t.Fatalf("tensor is nil")
	}
	if got := x.Shape().Dimensions; !slices.Equal(got, dims) {
		t.Errorf("shape %v, want %v", got, dims)
	}
	if x.DType() != dt {
		t.Errorf("dtype %s, want %s", x.DType(), dt)
	}
}

func TestNewDType(t *testing.T) {
	if bpgo.X64() {
		t.Fatalf("X64 enabled at test start; this test expects the float32 default")
	}
	x := bpgo.Must1(initializers.NewWithRNG(initializers.Normal{Scale: 1}, newRNG(1, 2), 4, 5))
	checkShape(t, x, dtypes.Float32, 4, 5)
	bpgo.EnableX64()
	t.Cleanup(bpgo.DisableX64)
	y := bpgo.Must1(initializers.NewWithRNG(initializers.Normal{Scale: 1}, newRNG(1, 2), 4, 5))
	checkShape(t, y, dtypes.Float64, 4, 5)
	// Same draws, rounded to float32 in the first case.
	xv, yv := bpgo.ToFloat64s(x), bpgo.ToFloat64s(y)
	for i := range xv {
		if xv[i] != float64(float32(yv[i])) {
			t.Fatalf("float32 value %d = %v, want float32(%v)", i, xv[i], yv[i])
		}
	}
}

func TestErrors(t *testing.T) {
	rng := newRNG(1, 1)
	for _, s := range []float64{-1, math.NaN()} {
		_, err := initializers.KaimingNormal{Scale: s}.Init(rng, 3, 3)
		wantErr(t, err, "Scale")
		_, err = initializers.XavierUniform{Scale: s}.Init(rng, 3, 3)
		wantErr(t, err, "Scale")
	}
	_, err := initializers.VarianceScaling{Mode: initializers.FanIn, Distribution: initializers.NormalDist}.Init(rng, 3, 3)
	wantErr(t, err, "Scale", "> 0")

	_, err = initializers.VarianceScaling{Scale: 1, Mode: "fan_sideways", Distribution: initializers.NormalDist}.Init(rng, 3, 3)
	wantErr(t, err, "Mode", "fan_sideways")
	_, err = initializers.VarianceScaling{Scale: 1, Distribution: initializers.NormalDist}.Init(rng, 3, 3)
	wantErr(t, err, "Mode")
	_, err = initializers.VarianceScaling{Scale: 1, Mode: initializers.FanOut, Distribution: "cauchy"}.Init(rng, 3, 3)
	wantErr(t, err, "Distribution", "cauchy")

	// Fan-based initializers need rank >= 2.
	for _, init := range []initializers.Initializer{initializers.KaimingNormal{Scale: 2}, initializers.KaimingUniform{Scale: 2}, initializers.XavierNormal{Scale: 1}, initializers.XavierUniform{Scale: 1}} {
		_, err := initializers.New(init, 10)
		wantErr(t, err, "rank", "[10]")
	}

	// New rejects non-positive dimensions and a nil initializer.
	for _, dims := range [][]int{{3, 0}, {-1, 4}, {0}} {
		x, err := initializers.New(initializers.Zero{}, dims...)
		wantErr(t, err, "dimensions", ">= 1")
		if x != nil {
			t.Errorf("New(Zero, %v) returned a tensor with an error", dims)
		}
	}
	_, err = initializers.New(nil, 2, 2)
	wantErr(t, err, "nil")
}

func TestSeedReproducibility(t *testing.T) {
	t.Cleanup(func() { bpgo.SetSeed(0) })
	draw := func() []float64 {
		x, err := initializers.New(initializers.KaimingNormal{Scale: 2}, 20, 30)
		if err != nil {
			t.Fatal(err)
		}
		return bpgo.ToFloat64s(x)
	}
	bpgo.SetSeed(42)
	a1, a2 := draw(), draw()
	bpgo.SetSeed(42)
	b1, b2 := draw(), draw()
	if !slices.Equal(a1, b1) || !slices.Equal(a2, b2) {
		t.Errorf("the same seed gave different tensors")
	}
	if slices.Equal(a1, a2) {
		t.Errorf("two successive New calls gave identical tensors")
	}
	bpgo.SetSeed(43)
	if c := draw(); slices.Equal(a1, c) {
		t.Errorf("seeds 42 and 43 gave identical tensors")
	}
}

func TestNewWithRNG(t *testing.T) {
	a := bpgo.Must1(initializers.NewWithRNG(initializers.XavierUniform{Scale: 1}, rand.New(rand.NewPCG(1, 2)), 8, 9))
	b := bpgo.Must1(initializers.NewWithRNG(initializers.XavierUniform{Scale: 1}, rand.New(rand.NewPCG(1, 2)), 8, 9))
	c := bpgo.Must1(initializers.NewWithRNG(initializers.XavierUniform{Scale: 1}, rand.New(rand.NewPCG(1, 3)), 8, 9))
	checkShape(t, a, bpgo.FloatDType(), 8, 9)
	av, bv, cv := bpgo.ToFloat64s(a), bpgo.ToFloat64s(b), bpgo.ToFloat64s(c)
	if !slices.Equal(av, bv) {
		t.Errorf("the same generator seed gave different tensors")
	}
	if slices.Equal(av, cv) {
		t.Errorf("different generator seeds gave identical tensors")
	}
	// The tensor holds exactly the Init values (rounded to the float type).
	raw := mustInit(t, initializers.XavierUniform{Scale: 1}, rand.New(rand.NewPCG(1, 2)), 8, 9)
	for i := range raw {
		if want := float64(float32(raw[i])); bpgo.FloatDType() == dtypes.Float32 && av[i] != want {
			t.Fatalf("value %d = %v, want %v", i, av[i], want)
		}
	}
	// NewWithRNG does not touch the global generator.
	t.Cleanup(func() { bpgo.SetSeed(0) })
	bpgo.SetSeed(7)
	g1 := bpgo.ToFloat64s(bpgo.Must1(initializers.New(initializers.Normal{Scale: 1}, 5)))
	bpgo.SetSeed(7)
	_ = bpgo.Must1(initializers.NewWithRNG(initializers.Normal{Scale: 1}, rand.New(rand.NewPCG(9, 9)), 5))
	g2 := bpgo.ToFloat64s(bpgo.Must1(initializers.New(initializers.Normal{Scale: 1}, 5)))
	if !slices.Equal(g1, g2) {
		t.Errorf("NewWithRNG changed the global generator's stream")
	}
}
