package surrogate_test

import (
	"math"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/surrogate"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// xs are the points of the BrainPy reference gradients below.
var xs = []float64{-2.0, -1.0, -0.6, -0.25, -0.01, 0.0, 0.01, 0.25, 0.5, 1.0, 1.5, 3.0}

// refCase pairs a surrogate with
//   - ref: BrainPy 2.4.3's gradient at xs, produced once (jax 0.4.18, jax_enable_x64, float64) by
//     /work/scratch/ref/bpvenv/bin/python with
//     g = jax.grad(lambda v: jnp.sum(f(v)))(jnp.asarray(xs)) for f = bm.surrogate.<Class>(<params>),
//     printed with repr(float(v)); the same script asserted f(xs) == (xs >= 0) and that the
//     float32 gradient agrees to rtol 1e-5;
//   - plain: the formula of _one_input.py evaluated in plain Go float64;
//   - prim: the smooth primitive whose derivative the surrogate is (BrainPy's origin=True
//     function, where it defines one and where its derivative is the backward), or nil.
type refCase struct {
	f     surrogate.Function
	ref   []float64
	plain func(x float64) float64
	prim  func(x float64) float64
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func normal(x, mean, sd float64) float64 {
	return math.Exp(-(x-mean)*(x-mean)/(2*sd*sd)) / (math.Sqrt(2*math.Pi) * sd)
}

func invSquare(a float64) func(float64) float64 {
	return func(x float64) float64 { return 1 / ((a*math.Abs(x) + 1) * (a*math.Abs(x) + 1)) }
}
func sigmoidGrad(a float64) func(float64) float64 {
	return func(x float64) float64 { s := sigmoid(a * x); return a * s * (1 - s) }
}
func sigmoidPrim(a float64) func(float64) float64 {
	return func(x float64) float64 { return sigmoid(a * x) }
}
func arctanGrad(a float64) func(float64) float64 {
	return func(x float64) float64 { z := math.Pi / 2 * a * x; return a / 2 / (1 + z*z) }
}
func arctanPrim(a float64) func(float64) float64 {
	return func(x float64) float64 { return math.Atan(math.Pi/2*a*x)/math.Pi + 0.5 }
}
func pwQuadGrad(a float64) func(float64) float64 {
	return func(x float64) float64 {
		if math.Abs(x) > 1/a {
			return 0
		}
		return a - (a*x)*(a*x)
	}
}

// pwQuadPrim is BrainPy's origin=True piecewise_quadratic; its derivative is a - a²|x|, not the
// backward (see TestPiecewiseQuadraticQuirk).
func pwQuadPrim(a float64) func(float64) float64 {
	return func(x float64) float64 {
		switch {
		case x < -1/a:
			return 0
		case x > 1/a:
			return 1
		}
		return (-a*math.Abs(x)/2+1)*a*x + 0.5
	}
}
func pwExpGrad(a float64) func(float64) float64 {
	return func(x float64) float64 { return a / 2 * math.Exp(-a*math.Abs(x)) }
}
func pwExpPrim(a float64) func(float64) float64 {
	return func(x float64) float64 {
		if x < 0 {
			return math.Exp(a*x) / 2
		}
		return 1 - math.Exp(-a*x)/2
	}
}
func softSignGrad(a float64) func(float64) float64 {
	return func(x float64) float64 { d := 1 + math.Abs(a*x); return a * 0.5 / (d * d) }
}
func softSignPrim(a float64) func(float64) float64 {
	return func(x float64) float64 { return x/(2/a+2*math.Abs(x)) + 0.5 }
}
func erfGrad(a float64) func(float64) float64 {
	return func(x float64) float64 { return a / math.Sqrt(math.Pi) * math.Exp(-a*a*x*x) }
}

// erfPrim is (1 + erf(a x))/2. BrainPy's origin=True erf returns erf(-a x)/2, whose derivative
// has the opposite sign of the backward; this is the primitive the backward belongs to.
func erfPrim(a float64) func(float64) float64 {
	return func(x float64) float64 { return (1 + math.Erf(a*x)) / 2 }
}
func reluGrad(a, w float64) func(float64) float64 {
	return func(x float64) float64 { return math.Max(a*w-math.Abs(x)*a, 0) }
}
func gaussGrad(sigma, a float64) func(float64) float64 {
	return func(x float64) float64 {
		return a * math.Exp(-(x*x)/2*sigma*sigma) / (math.Sqrt(2*math.Pi) * sigma)
	}
}
func multiGaussGrad(h, s, sigma, scale float64) func(float64) float64 {
	return func(x float64) float64 {
		g1 := normal(x, 0, sigma)
		g2 := normal(x, sigma, s*sigma)
		g3 := normal(x, -sigma, s*sigma)
		return scale * (g1*(1+h) - g2*h - g3*h)
	}
}
func slayerGrad(a float64) func(float64) float64 {
	return func(x float64) float64 { return math.Exp(-a * math.Abs(x)) }
}

var cases = []refCase{
	{surrogate.InvSquareGrad{Alpha: 100}, []float64{2.475186257765897e-05, 9.802960494069208e-05, 0.0002687449610319806, 0.0014792899408284023, 0.25, 1.0, 0.25, 0.0014792899408284023, 0.00038446751249519417, 9.802960494069208e-05, 4.385772553835358e-05, 1.1037405768148255e-05}, invSquare(100), nil},
	{surrogate.InvSquareGrad{Alpha: 2}, []float64{0.04, 0.1111111111111111, 0.20661157024793386, 0.4444444444444444, 0.9611687812379854, 1.0, 0.9611687812379854, 0.4444444444444444, 0.25, 0.1111111111111111, 0.0625, 0.02040816326530612}, invSquare(2), nil},
	{surrogate.Sigmoid{Alpha: 4}, []float64{0.001340950683025897, 0.07065082485316447, 0.305019996207409, 0.7864477329659274, 0.9996001066424939, 1.0, 0.9996001066424939, 0.7864477329659274, 0.41997434161402647, 0.07065082485316443, 0.009866037165439724, 2.4576547405302974e-05}, sigmoidGrad(4), sigmoidPrim(4)},
	{surrogate.Sigmoid{Alpha: 1.5}, []float64{0.0677649895963682, 0.2237196781054993, 0.30825046101339515, 0.36211935187942856, 0.37497890704099035, 0.375, 0.3749789070409904, 0.3621193518794286, 0.3268424906427211, 0.2237196781054993, 0.12938691666384441, 0.016299344583337864}, sigmoidGrad(1.5), sigmoidPrim(1.5)},
	{surrogate.Arctan{Alpha: 1}, []float64{0.04599983417518762, 0.1442002195710005, 0.26479342672202727, 0.4331957678593997, 0.4998766603778183, 0.5, 0.4998766603778183, 0.4331957678593997, 0.30924322907941815, 0.1442002195710005, 0.07631662421979059, 0.021545585594007446}, arctanGrad(1), arctanPrim(1)},
	{surrogate.Arctan{Alpha: 3}, []float64{0.016698869581337393, 0.06463675678202234, 0.1667708138376319, 0.6281635575958372, 1.4966763891276433, 1.5, 1.4966763891276433, 0.6281635575958372, 0.22894987265937175, 0.06463675678202234, 0.02943203686931414, 0.007467907075520196}, arctanGrad(3), arctanPrim(3)},
	{surrogate.PiecewiseQuadratic{Alpha: 1}, []float64{0.0, 0.0, 0.64, 0.9375, 0.9999, 1.0, 0.9999, 0.9375, 0.75, 0.0, 0.0, 0.0}, pwQuadGrad(1), nil},
	{surrogate.PiecewiseQuadratic{Alpha: 2}, []float64{0.0, 0.0, 0.0, 1.75, 1.9996, 2.0, 1.9996, 1.75, 1.0, 0.0, 0.0, 0.0}, pwQuadGrad(2), nil},
	{surrogate.PiecewiseExp{Alpha: 1}, []float64{0.06766764161830635, 0.18393972058572117, 0.2744058180470132, 0.38940039153570244, 0.49502491687458405, 0.5, 0.49502491687458405, 0.38940039153570244, 0.3032653298563167, 0.18393972058572117, 0.11156508007421491, 0.024893534183931972}, pwExpGrad(1), pwExpPrim(1)},
	{surrogate.PiecewiseExp{Alpha: 2.5}, []float64{0.008422433748856834, 0.1026062482798735, 0.27891270018553727, 0.6690767856487378, 1.2191373900354159, 1.25, 1.2191373900354159, 0.6690767856487378, 0.35813099607523763, 0.1026062482798735, 0.029397182320011383, 0.000691355462684792}, pwExpGrad(2.5), pwExpPrim(2.5)},
	{surrogate.SoftSign{Alpha: 1}, []float64{0.05555555555555555, 0.125, 0.19531249999999997, 0.32, 0.4901480247034604, 0.5, 0.4901480247034604, 0.32, 0.2222222222222222, 0.125, 0.08, 0.03125}, softSignGrad(1), softSignPrim(1)},
	{surrogate.SoftSign{Alpha: 4}, []float64{0.024691358024691357, 0.08, 0.17301038062283738, 0.5, 1.8491124260355027, 2.0, 1.8491124260355027, 0.5, 0.2222222222222222, 0.08, 0.04081632653061224, 0.011834319526627219}, softSignGrad(4), softSignPrim(4)},
	{surrogate.ERF{Alpha: 1}, []float64{0.010333492677046027, 0.20755374871029736, 0.3936217158571436, 0.5300070646880571, 0.5641331674102554, 0.5641895835477563, 0.5641331674102554, 0.5300070646880571, 0.4393912894677224, 0.20755374871029736, 0.05946514461181468, 6.962652597337393e-05}, erfGrad(1), erfPrim(1)},
	{surrogate.ERF{Alpha: 2}, []float64{1.2698234671866558e-07, 0.020666985354092053, 0.26734434700353915, 0.8787825789354448, 1.1279279056869729, 1.1283791670955126, 1.1279279056869729, 0.8787825789354448, 0.4151074974205947, 0.020666985354092053, 0.00013925305194674786, 2.617301239249265e-16}, erfGrad(2), erfPrim(2)},
	{surrogate.ReluGradDefaults(), []float64{0.0, 0.0, 0.12, 0.22499999999999998, 0.297, 0.3, 0.297, 0.22499999999999998, 0.15, 0.0, 0.0, 0.0}, reluGrad(0.3, 1), nil},
	{surrogate.ReluGrad{Alpha: 0.5, Width: 0.75}, []float64{0.0, 0.0, 0.07500000000000001, 0.25, 0.37, 0.375, 0.37, 0.25, 0.125, 0.0, 0.0, 0.0}, reluGrad(0.5, 0.75), nil},
	{surrogate.GaussianGradDefaults(), []float64{0.24197072451914337, 0.3520653267642995, 0.38138781546052414, 0.3958376869447495, 0.3989372936540949, 0.3989422804014327, 0.3989372936540949, 0.3958376869447495, 0.3866681168028493, 0.3520653267642995, 0.30113743215480443, 0.12951759566589174}, gaussGrad(0.5, 0.5), nil},
	{surrogate.GaussianGrad{Sigma: 2, Alpha: 1}, []float64{6.691511288244268e-05, 0.02699548325659403, 0.09709302749160649, 0.17603266338214976, 0.19943124996183306, 0.19947114020071635, 0.19943124996183306, 0.17603266338214976, 0.12098536225957168, 0.02699548325659403, 0.0022159242059690038, 3.037941424911643e-09}, gaussGrad(2, 1), nil},
	{surrogate.MultiGaussianGradDefaults(), []float64{-0.015695525294735432, 0.04345198541851028, 0.20402079537663728, 0.38526943620241466, 0.439019995359842, 0.43911163665655056, 0.439019995359842, 0.38526943620241466, 0.25885819549465416, 0.04345198541851028, -0.012324155156654928, -0.012097757036843758}, multiGaussGrad(0.15, 6, 0.5, 0.5), nil},
	{surrogate.MultiGaussianGrad{H: 0.3, S: 4, Sigma: 0.8, Scale: 1}, []float64{-0.031883082846230405, 0.2275486902252809, 0.41803306096461984, 0.5450940925495648, 0.5757306206400974, 0.5757809337517938, 0.5757306206400974, 0.5450940925495648, 0.46158628614067104, 0.2275486902252809, 0.04637406391674011, -0.04743443239226358}, multiGaussGrad(0.3, 4, 0.8, 1), nil},
	{surrogate.SlayerGrad{Alpha: 1}, []float64{0.1353352832366127, 0.36787944117144233, 0.5488116360940264, 0.7788007830714049, 0.9900498337491681, 1.0, 0.9900498337491681, 0.7788007830714049, 0.6065306597126334, 0.36787944117144233, 0.22313016014842982, 0.049787068367863944}, slayerGrad(1), nil},
	{surrogate.SlayerGrad{Alpha: 3}, []float64{0.0024787521766663585, 0.049787068367863944, 0.16529888822158656, 0.4723665527410147, 0.9704455335485082, 1.0, 0.9704455335485082, 0.4723665527410147, 0.22313016014842982, 0.049787068367863944, 0.011108996538242306, 0.00012340980408667956}, slayerGrad(3), nil},
}

// ---- helpers ----------------------------------------------------------------------------------

var floatDTypes = []dtypes.DType{dtypes.Float32, dtypes.Float64}

// tensorOf builds a 1-D tensor of v in dtype dt.
func tensorOf(dt dtypes.DType, v []float64) *tensors.Tensor {
	if dt == dtypes.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensors.FromFlatDataAndDimensions(f, len(f))
	}
	return tensors.FromFlatDataAndDimensions(append([]float64(nil), v...), len(v))
}

// values returns t's data as float64s, failing unless t has dtype dt.
func values(t *testing.T, tn *tensors.Tensor, dt dtypes.DType) []float64 {
	t.Helper()
	if tn.DType() != dt {
		t.Fatalf("output dtype %s, want %s", tn.DType(), dt)
	}
	if dt == dtypes.Float32 {
		f := tensors.MustCopyFlatData[float32](tn)
		out := make([]float64, len(f))
		for i, x := range f {
			out[i] = float64(x)
		}
		return out
	}
	return tensors.MustCopyFlatData[float64](tn)
}

// run executes fn once on the bpgo backend and returns its outputs as float64s.
func run(t *testing.T, dt dtypes.DType, fn func(x, w *graph.Node) []*graph.Node, x, w []float64) [][]float64 {
	t.Helper()
	exec, err := graph.NewExec(bpgo.Must1(bpgo.Backend()), fn)
	if err != nil {
		t.Fatalf("NewExec: %v", err)
	}
	defer exec.Finalize()
	outs, err := exec.Call(tensorOf(dt, x), tensorOf(dt, w))
	if err != nil {
		t.Fatalf("exec: %v", err)
	}
	res := make([][]float64, len(outs))
	for i, o := range outs {
		res[i] = values(t, o, dt)
	}
	return res
}

// tol is the relative tolerance (with an absolute floor of tol) for dtype dt.
func tol(dt dtypes.DType) float64 {
	if dt == dtypes.Float32 {
		return 2e-6
	}
	return 1e-13
}

func near(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func weights(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 + 0.5*float64(i)
	}
	return w
}

// ---- tests ------------------------------------------------------------------------------------

// TestForwardIsExactHeaviside: every surrogate's forward is bit-exact 0/1 with x >= 0 spiking,
// including x == 0, -0 and the smallest normal float32 magnitudes, in float32 and float64.
// (Subnormal inputs are left out: XLA CPU, like JAX's, flushes them to zero, so -1e-45 in
// float32 spikes there, in BrainPy too, and not on the Go backend.)
func TestForwardIsExactHeaviside(t *testing.T) {
	const minNormal32 = 0x1p-126
	x := append(append([]float64(nil), xs...), math.Copysign(0, -1), -1e-30, 1e-30,
		-minNormal32, minNormal32, -1e6, 1e6)
	for _, c := range cases {
		for _, dt := range floatDTypes {
			out := run(t, dt, func(x, _ *graph.Node) []*graph.Node { return []*graph.Node{c.f.Spike(x)} }, x, x)[0]
			for i, xi := range x {
				want := 0.0
				if float64(float32(xi)) >= 0 && dt == dtypes.Float32 || xi >= 0 && dt == dtypes.Float64 {
					want = 1
				}
				if out[i] != want {
					t.Errorf("%s %s: Spike(%g) = %v, want exactly %v", c.f, dt, xi, out[i], want)
				}
			}
		}
	}
}

// TestGradient: the gradient of Σ w·Spike(x) is w·Grad(x), and Grad matches BrainPy 2.4.3's
// jax.grad numbers and the formula evaluated in plain Go.
func TestGradient(t *testing.T) {
	w := weights(len(xs))
	for _, c := range cases {
		for _, dt := range floatDTypes {
			outs := run(t, dt, func(x, w *graph.Node) []*graph.Node {
				loss := graph.ReduceAllSum(graph.Mul(w, c.f.Spike(x)))
				return []*graph.Node{graph.Gradient(loss, x)[0], c.f.Grad(x)}
			}, xs, w)
			dx, g := outs[0], outs[1]
			for i, xi := range xs {
				if !near(dx[i], w[i]*g[i], tol(dt)) {
					t.Errorf("%s %s x=%g: d/dx Σ w·Spike = %.17g, w·Grad = %.17g", c.f, dt, xi, dx[i], w[i]*g[i])
				}
				if !near(g[i], c.ref[i], tol(dt)) {
					t.Errorf("%s %s x=%g: Grad = %.17g, BrainPy 2.4.3 = %.17g", c.f, dt, xi, g[i], c.ref[i])
				}
				if p := c.plain(xi); !near(g[i], p, tol(dt)) {
					t.Errorf("%s %s x=%g: Grad = %.17g, plain Go = %.17g", c.f, dt, xi, g[i], p)
				}
			}
		}
	}
}

// TestGradientMatrix: Spike and its gradient work elementwise on a rank-2 batch.
func TestGradientMatrix(t *testing.T) {
	x := tensors.FromFlatDataAndDimensions([]float32{-1, 0, 0.5, 2, -0.1, 0}, 2, 3)
	out, err := graph.ExecOnce(bpgo.Must1(bpgo.Backend()), func(x *graph.Node) *graph.Node {
		return graph.Gradient(graph.ReduceAllSum(surrogate.ReluGradDefaults().Spike(x)), x)[0]
	}, x)
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](out)
	want := []float32{0, 0.3, 0.15, 0, 0.27, 0.3}
	if d := out.Shape().Dimensions; len(d) != 2 || d[0] != 2 || d[1] != 3 {
		t.Fatalf("gradient shape %v, want [2 3]", d)
	}
	for i := range want {
		if !near(float64(got[i]), float64(want[i]), 1e-6) {
			t.Fatalf("gradient %v, want %v", got, want)
		}
	}
}

// TestFiniteDifference: where BrainPy's backward is the derivative of a smooth primitive, a
// central difference of that primitive (plain Go, float64) matches Grad. (PiecewiseExp's and
// SoftSign's primitives have a kink in the second derivative at 0, where the central difference
// is only O(h) accurate: hence h = 1e-7 and a 1e-6 tolerance.)
func TestFiniteDifference(t *testing.T) {
	const h = 1e-7
	for _, c := range cases {
		if c.prim == nil {
			continue
		}
		g := run(t, dtypes.Float64, func(x, _ *graph.Node) []*graph.Node { return []*graph.Node{c.f.Grad(x)} }, xs, xs)[0]
		for i, x := range xs {
			fd := (c.prim(x+h) - c.prim(x-h)) / (2 * h)
			if !near(g[i], fd, 1e-6) {
				t.Errorf("%s x=%g: Grad = %.12g, finite difference of the primitive = %.12g", c.f, x, g[i], fd)
			}
		}
	}
}

// TestPiecewiseQuadraticQuirk pins BrainPy 2.4.3's piecewise_quadratic backward, alpha -
// (alpha·x)², which is not the derivative alpha - alpha²|x| of its own origin=True primitive.
func TestPiecewiseQuadraticQuirk(t *testing.T) {
	x := []float64{0.5}
	g := run(t, dtypes.Float64, func(x, _ *graph.Node) []*graph.Node {
		return []*graph.Node{surrogate.PiecewiseQuadratic{Alpha: 1}.Grad(x)}
	}, x, x)[0][0]
	const h = 1e-6
	fd := (pwQuadPrim(1)(0.5+h) - pwQuadPrim(1)(0.5-h)) / (2 * h)
	if g != 0.75 || !near(fd, 0.5, 1e-7) {
		t.Errorf("PiecewiseQuadratic at 0.5: Grad %v (want BrainPy's 0.75), primitive slope %v (want 0.5)", g, fd)
	}
}

// TestComparisonHeavisideHasZeroGradient: a Heaviside built from a comparison alone has a
// silently zero gradient (pitfall 7); Spike's is the surrogate.
func TestComparisonHeavisideHasZeroGradient(t *testing.T) {
	w := weights(len(xs))
	for _, dt := range floatDTypes {
		outs := run(t, dt, func(x, w *graph.Node) []*graph.Node {
			plain := graph.ConvertDType(graph.GreaterOrEqual(x, graph.ZerosLike(x)), x.DType())
			spike := surrogate.InvSquareGrad{Alpha: 100}.Spike(x)
			return []*graph.Node{
				plain, spike,
				graph.Gradient(graph.ReduceAllSum(graph.Mul(w, plain)), x)[0],
				graph.Gradient(graph.ReduceAllSum(graph.Mul(w, spike)), x)[0],
			}
		}, xs, w)
		for i := range xs {
			if outs[0][i] != outs[1][i] {
				t.Errorf("%s: forward differs at x=%g: comparison %v, Spike %v", dt, xs[i], outs[0][i], outs[1][i])
			}
			if outs[2][i] != 0 {
				t.Errorf("%s: comparison Heaviside gradient at x=%g is %v, expected the silent 0", dt, xs[i], outs[2][i])
			}
			if outs[3][i] <= 0 {
				t.Errorf("%s: Spike gradient at x=%g is %v, want > 0", dt, xs[i], outs[3][i])
			}
		}
	}
}

func TestString(t *testing.T) {
	for f, want := range map[surrogate.Function]string{
		surrogate.InvSquareGrad{Alpha: 100}:                             "InvSquareGrad(alpha=100)",
		surrogate.Sigmoid{Alpha: 4}:                                     "Sigmoid(alpha=4)",
		surrogate.Arctan{Alpha: 2}:                                      "Arctan(alpha=2)",
		surrogate.PiecewiseQuadratic{Alpha: 1}:                          "PiecewiseQuadratic(alpha=1)",
		surrogate.PiecewiseExp{Alpha: 1}:                                "PiecewiseExp(alpha=1)",
		surrogate.SoftSign{Alpha: 1}:                                    "SoftSign(alpha=1)",
		surrogate.ERF{Alpha: 1}:                                         "ERF(alpha=1)",
		surrogate.ReluGradDefaults():                                    "ReluGrad(alpha=0.3, width=1)",
		surrogate.GaussianGradDefaults():                                "GaussianGrad(sigma=0.5, alpha=0.5)",
		surrogate.MultiGaussianGradDefaults():                           "MultiGaussianGrad(h=0.15, s=6, sigma=0.5, scale=0.5)",
		surrogate.MultiGaussianGrad{H: 0.2, S: 6, Sigma: 1, Scale: 0.5}: "MultiGaussianGrad(h=0.2, s=6, sigma=1, scale=0.5)",
		surrogate.SlayerGrad{Alpha: 1}:                                  "SlayerGrad(alpha=1)",
		surrogate.ReluGrad{Alpha: 0.3, Width: 2}:                        "ReluGrad(alpha=0.3, width=2)",
		surrogate.GaussianGrad{Sigma: 1, Alpha: 0.25}:                   "GaussianGrad(sigma=1, alpha=0.25)",
		surrogate.InvSquareGrad{Alpha: 10}:                              "InvSquareGrad(alpha=10)",
		surrogate.Sigmoid{Alpha: 0.5}:                                   "Sigmoid(alpha=0.5)",
	} {
		if got := f.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

func TestByName(t *testing.T) {
	for name, want := range map[string]surrogate.Function{
		"inv_square_grad": surrogate.InvSquareGrad{Alpha: 100}, "relu_grad": surrogate.ReluGradDefaults(),
		"sigmoid": surrogate.Sigmoid{Alpha: 4}, "arctan": surrogate.Arctan{Alpha: 1},
		"piecewise_quadratic": surrogate.PiecewiseQuadratic{Alpha: 1}, "piecewise_exp": surrogate.PiecewiseExp{Alpha: 1},
		"soft_sign": surrogate.SoftSign{Alpha: 1}, "erf": surrogate.ERF{Alpha: 1}, "gaussian_grad": surrogate.GaussianGradDefaults(),
		"multi_gaussian_grad": surrogate.MultiGaussianGradDefaults(), "slayer_grad": surrogate.SlayerGrad{Alpha: 1},
		"InvSquareGrad": surrogate.InvSquareGrad{Alpha: 100}, "ReluGrad": surrogate.ReluGradDefaults(),
		"SoftSign": surrogate.SoftSign{Alpha: 1}, "ERF": surrogate.ERF{Alpha: 1}, "MultiGaussianGrad": surrogate.MultiGaussianGradDefaults(),
	} {
		got, err := surrogate.ByName(name)
		if err != nil || got != want {
			t.Errorf("ByName(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	if n := len(surrogate.Names()); n != 11 {
		t.Errorf("Names() has %d entries, want 11: %v", n, surrogate.Names())
	}
	for _, name := range surrogate.Names() {
		if _, err := surrogate.ByName(name); err != nil {
			t.Errorf("ByName(%q): %v", name, err)
		}
	}
	if _, err := surrogate.ByName("heaviside"); err == nil || !strings.Contains(err.Error(), "unknown") ||
		!strings.Contains(err.Error(), "inv_square_grad") {
		t.Errorf("ByName(heaviside) error = %v", err)
	}
	if _, err := surrogate.ByName("leaky_relu"); err == nil || !strings.Contains(err.Error(), "not implemented") {
		t.Errorf("ByName(leaky_relu) error = %v", err)
	}
}

// TestInvalidParameters: a zero, negative, NaN or infinite parameter is reported by Validate, and
// Spike and Grad panic with the same message while the graph is built (graph.Exec returns it).
func TestInvalidParameters(t *testing.T) {
	bad := []struct {
		f     surrogate.Function
		field string
	}{
		{surrogate.InvSquareGrad{Alpha: -1}, "Alpha"},
		{surrogate.InvSquareGrad{}, "Alpha"},
		{surrogate.Sigmoid{}, "Alpha"},
		{surrogate.ReluGrad{Alpha: 0.3}, "Width"},
		{surrogate.GaussianGrad{Sigma: 0.5}, "Alpha"},
		{surrogate.MultiGaussianGrad{H: 0.15, S: 6, Sigma: 0.5}, "Scale"},
		{surrogate.Sigmoid{Alpha: -4}, "Alpha"},
		{surrogate.Arctan{Alpha: math.NaN()}, "Alpha"},
		{surrogate.PiecewiseQuadratic{Alpha: math.Inf(1)}, "Alpha"},
		{surrogate.PiecewiseExp{Alpha: -1}, "Alpha"},
		{surrogate.SoftSign{Alpha: -1}, "Alpha"},
		{surrogate.ERF{Alpha: -1}, "Alpha"},
		{surrogate.ReluGrad{Alpha: 0.3, Width: -1}, "Width"},
		{surrogate.ReluGrad{Alpha: -0.3, Width: 1}, "Alpha"},
		{surrogate.GaussianGrad{Sigma: -0.5, Alpha: 0.5}, "Sigma"},
		{surrogate.MultiGaussianGrad{S: 6, Sigma: 0.5, Scale: -1}, "Scale"},
		{surrogate.MultiGaussianGrad{S: math.Inf(-1), Sigma: 0.5, Scale: 0.5}, "S:"},
		{surrogate.MultiGaussianGrad{H: -0.1, S: 6, Sigma: 0.5, Scale: 0.5}, "H"},
		{surrogate.SlayerGrad{Alpha: -2}, "Alpha"},
	}
	for _, b := range bad {
		err := b.f.Validate()
		if err == nil || !strings.Contains(err.Error(), ": "+b.field) || !strings.Contains(err.Error(), "BrainPy's default") {
			t.Errorf("%#v.Validate() = %v, want an error naming %s", b.f, err, b.field)
			continue
		}
		for what, fn := range map[string]func(x *graph.Node) *graph.Node{"Spike": b.f.Spike, "Grad": b.f.Grad} {
			_, execErr := graph.ExecOnce(bpgo.Must1(bpgo.Backend()), fn, []float32{0, 1})
			if execErr == nil || !strings.Contains(execErr.Error(), err.Error()) {
				t.Errorf("%#v.%s: exec error %v, want it to contain %q", b.f, what, execErr, err)
			}
		}
	}
	for _, c := range cases {
		if err := c.f.Validate(); err != nil {
			t.Errorf("%s.Validate() = %v", c.f, err)
		}
	}
	// MultiGaussianGrad's H may be 0 (no side Gaussians): the central Gaussian alone.
	if err := (surrogate.MultiGaussianGrad{S: 6, Sigma: 0.5, Scale: 0.5}).Validate(); err != nil {
		t.Errorf("MultiGaussianGrad with H 0: %v", err)
	}
	err := surrogate.ReluGrad{Alpha: 0.3}.Validate()
	if want := "surrogate.ReluGrad: Width: want a positive finite number, got 0 (BrainPy's default is 1: start from surrogate.ReluGradDefaults())"; err == nil || err.Error() != want {
		t.Errorf("ReluGrad{Alpha: 0.3}.Validate() = %v, want %q", err, want)
	}
}

func TestIntegerInputPanics(t *testing.T) {
	_, err := graph.ExecOnce(bpgo.Must1(bpgo.Backend()), surrogate.Sigmoid{Alpha: 4}.Spike, []int32{0, 1})
	if err == nil || !strings.Contains(err.Error(), "float") {
		t.Errorf("Spike on int32: err = %v, want a float dtype error", err)
	}
}
