package losses_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/losses"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// ---- helpers ----------------------------------------------------------------------------------

func f64(dims []int, v ...float64) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(slices.Clone(v), dims...)
}

func f32(dims []int, v ...float64) *tensors.Tensor {
	return bpgo.Must1(bpgo.FromFloat64s(dtypes.Float32, v, dims...))
}

func dims(d ...int) []int { return d }

// eval builds fn over the given inputs, runs it and returns its output's values and shape.
func eval(t *testing.T, fn func(xs []*Node) *Node, args ...*tensors.Tensor) ([]float64, []int) {
	t.Helper()
	in := make([]any, len(args))
	for i, a := range args {
		in[i] = a
	}
	out, err := ExecOnce(bpgo.Must1(bpgo.Backend()), fn, in...)
	if err != nil {
		t.Fatalf("exec: %v", err)
	}
	return bpgo.ToFloat64s(out), out.Shape().Dimensions
}

func near(a, b, tol float64) bool {
	if math.IsInf(a, 0) || math.IsInf(b, 0) {
		return a == b
	}
	return math.Abs(a-b) <= tol*max(1, math.Abs(b))
}

func wantValues(t *testing.T, name string, got []float64, gotDims []int, want []float64, wantDims []int, tol float64) {
	t.Helper()
	if !slices.Equal(gotDims, wantDims) {
		t.Errorf("%s: shape %v, want %v", name, gotDims, wantDims)
		return
	}
	for i := range want {
		if !near(got[i], want[i], tol) {
			t.Errorf("%s: got %v, want %v", name, got, want)
			return
		}
	}
}

// panicMessage runs build on parameters of the given shapes in a fresh graph and returns the
// panic message ("" if it did not panic).
func panicMessage(build func(xs []*Node), ss ...shapes.Shape) (msg string) {
	g := NewGraph(bpgo.Must1(bpgo.Backend()), "panic-test")
	xs := make([]*Node, len(ss))
	for i, s := range ss {
		xs[i] = Parameter(g, fmt.Sprintf("x%d", i), s)
	}
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	build(xs)
	return ""
}

func wantPanic(t *testing.T, name string, build func(xs []*Node), ss []shapes.Shape, substrs ...string) {
	t.Helper()
	msg := panicMessage(build, ss...)
	if msg == "" {
		t.Errorf("%s: no panic, want one mentioning %q", name, substrs)
		return
	}
	for _, s := range substrs {
		if !strings.Contains(msg, s) {
			t.Errorf("%s: panic %q does not mention %q", name, msg, s)
		}
	}
}

func wantErr(t *testing.T, name string, err error, substrs ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one mentioning %q", name, substrs)
		return
	}
	for _, s := range substrs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%s: error %q does not mention %q", name, err, s)
		}
	}
}

func sh(dt dtypes.DType, d ...int) shapes.Shape { return shapes.Make(dt, d...) }

// ---- values -----------------------------------------------------------------------------------

// p - t = [[0, 2, 0], [4, 0, -3]]: squares [[0, 4, 0], [16, 0, 9]], abs [[0, 2, 0], [4, 0, 3]].
var (
	pVals = []float64{1, 2, 3, 4, 5, 6}
	tVals = []float64{1, 0, 3, 0, 5, 9}
)

func TestMSEReduceValues(t *testing.T) {
	p, tt := f64(dims(2, 3), pVals...), f64(dims(2, 3), tVals...)
	w := f64(dims(3), 1, 2, 0.5)
	cases := []struct {
		name     string
		opts     losses.Options
		weighted bool
		want     []float64
		wantDims []int
	}{
		{"mean", losses.Options{}, false, []float64{29.0 / 6}, nil},
		{"sum", losses.Options{Reduction: losses.Sum}, false, []float64{29}, nil},
		{"none", losses.Options{Reduction: losses.None}, false, []float64{0, 4, 0, 16, 0, 9}, dims(2, 3)},
		{"mean axis 0", losses.Options{Axes: []int{0}}, false, []float64{8, 2, 4.5}, dims(3)},
		{"sum axis -1", losses.Options{Reduction: losses.Sum, Axes: []int{-1}}, false, []float64{4, 25}, dims(2)},
		{"mean axes {1,0}", losses.Options{Axes: []int{1, 0}}, false, []float64{29.0 / 6}, nil},
		// weight (3,) broadcast onto (2, 3): [[0, 8, 0], [16, 0, 4.5]].
		{"weighted mean", losses.Options{}, true, []float64{28.5 / 6}, nil},
		{"weighted none", losses.Options{Reduction: losses.None}, true, []float64{0, 8, 0, 16, 0, 4.5}, dims(2, 3)},
		{"weighted sum axis 0", losses.Options{Reduction: losses.Sum, Axes: []int{0}}, true, []float64{16, 8, 4.5}, dims(3)},
	}
	for _, c := range cases {
		got, gd := eval(t, func(xs []*Node) *Node {
			o := c.opts
			if c.weighted {
				o.Weight = xs[2]
			}
			return losses.MSEReduce(xs[0], xs[1], o)
		}, p, tt, w)
		wantValues(t, "MSEReduce "+c.name, got, gd, c.want, c.wantDims, 1e-15)
	}
	// MSE is MSEReduce with the default options, and symmetric.
	got, gd := eval(t, func(xs []*Node) *Node { return losses.MSE(xs[1], xs[0]) }, p, tt)
	wantValues(t, "MSE", got, gd, []float64{29.0 / 6}, nil, 1e-15)
}

func TestMAEL2Values(t *testing.T) {
	p, tt := f64(dims(2, 3), pVals...), f64(dims(2, 3), tVals...)
	got, gd := eval(t, func(xs []*Node) *Node { return losses.MAE(xs[0], xs[1]) }, p, tt)
	wantValues(t, "MAE", got, gd, []float64{1.5}, nil, 1e-15)
	got, gd = eval(t, func(xs []*Node) *Node {
		return losses.MAEReduce(xs[0], xs[1], losses.Options{Reduction: losses.Sum, Axes: []int{1}})
	}, p, tt)
	wantValues(t, "MAEReduce sum axis 1", got, gd, []float64{2, 7}, dims(2), 1e-15)
	got, gd = eval(t, func(xs []*Node) *Node { return losses.MAEReduce(xs[0], xs[1], losses.Options{Reduction: losses.None}) }, p, tt)
	wantValues(t, "MAEReduce none", got, gd, []float64{0, 2, 0, 4, 0, 3}, dims(2, 3), 1e-15)

	got, gd = eval(t, func(xs []*Node) *Node { return losses.L2Loss(xs[0], xs[1]) }, p, tt)
	wantValues(t, "L2Loss", got, gd, []float64{0, 2, 0, 8, 0, 4.5}, dims(2, 3), 1e-15)

	// 9 + 16 + 1 + 4 + 4 + 16 = 50.
	x, y := f64(dims(2), 3, 4), f64(dims(2, 2), 1, -2, 2, 4)
	got, gd = eval(t, func(xs []*Node) *Node { return losses.L2Norm(xs[0], xs[1]) }, x, y)
	wantValues(t, "L2Norm", got, gd, []float64{math.Sqrt(50)}, nil, 1e-15)
	got, gd = eval(t, func(xs []*Node) *Node { return losses.L2NormSquared(xs[0], xs[1]) }, x, y)
	wantValues(t, "L2NormSquared", got, gd, []float64{50}, nil, 1e-15)
	got, gd = eval(t, func(xs []*Node) *Node { return losses.L2Norm(xs[0]) }, x)
	wantValues(t, "L2Norm one node", got, gd, []float64{5}, nil, 1e-15)

	// float32 follows the inputs' dtype.
	got, gd = eval(t, func(xs []*Node) *Node { return losses.L2Norm(xs[0]) }, f32(dims(2), 3, 4))
	wantValues(t, "L2Norm float32", got, gd, []float64{5}, nil, 1e-7)
}

// naiveCE is the per-row cross-entropy log Σ exp(x) - Σ x·t of small logits, by a plain loop.
func naiveCE(logits, targets []float64) float64 {
	s, dot := 0.0, 0.0
	for i, x := range logits {
		s += math.Exp(x)
		dot += x * targets[i]
	}
	return math.Log(s) - dot
}

func oneHot(c, n int) []float64 {
	v := make([]float64, n)
	if c >= 0 && c < n {
		v[c] = 1
	}
	return v
}

func TestCrossEntropyValues(t *testing.T) {
	rows := [][]float64{{1, 2, 3}, {1, 1, 1}, {-0.5, 0.25, 2}}
	flat := slices.Concat(rows...)
	logits := f64(dims(3, 3), flat...)
	// Hand values: log(e + e² + e³) - 3 = 0.40760596444438, log 3 = 1.0986122886681098.
	if r0 := math.Log(math.E+math.Exp(2)+math.Exp(3)) - 3; math.Abs(r0-0.40760596444438) > 1e-13 {
		t.Fatalf("hand value check: %v", r0)
	}
	ce := func(labels []int) []float64 {
		out := make([]float64, len(labels))
		for i, c := range labels {
			out[i] = naiveCE(rows[i], oneHot(c, 3))
		}
		return out
	}
	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	per := ce([]int{2, 0, 1})
	targetsByDType := map[string]*tensors.Tensor{
		"int32":   tensors.FromFlatDataAndDimensions([]int32{2, 0, 1}, 3),
		"int64":   tensors.FromFlatDataAndDimensions([]int64{2, 0, 1}, 3),
		"uint8":   tensors.FromFlatDataAndDimensions([]uint8{2, 0, 1}, 3),
		"float32": tensors.FromFlatDataAndDimensions([]float32{2, 0, 1}, 3),
		"float64": f64(dims(3), 2, 0, 1),
	}
	for name, tg := range targetsByDType {
		got, gd := eval(t, func(xs []*Node) *Node { return losses.CrossEntropy(xs[0], xs[1]) }, logits, tg)
		wantValues(t, "CrossEntropy "+name+" targets", got, gd, []float64{mean(per)}, nil, 1e-14)
	}
	tg := targetsByDType["int32"]
	got, gd := eval(t, func(xs []*Node) *Node {
		return losses.CrossEntropyReduce(xs[0], xs[1], losses.Options{Reduction: losses.None})
	}, logits, tg)
	wantValues(t, "CrossEntropy none", got, gd, per, dims(3), 1e-14)
	got, gd = eval(t, func(xs []*Node) *Node {
		return losses.CrossEntropyReduce(xs[0], xs[1], losses.Options{Reduction: losses.Sum})
	}, logits, tg)
	wantValues(t, "CrossEntropy sum", got, gd, []float64{per[0] + per[1] + per[2]}, nil, 1e-14)
	// Weight is multiplied elementwise onto the per-position loss, then the plain mean.
	got, gd = eval(t, func(xs []*Node) *Node {
		return losses.CrossEntropyReduce(xs[0], xs[1], losses.Options{Weight: xs[2]})
	}, logits, tg, f64(dims(3), 2, 0, 0.5))
	wantValues(t, "CrossEntropy weighted mean", got, gd, []float64{(2*per[0] + 0.5*per[2]) / 3}, nil, 1e-14)

	// Out of range (3, -1) and non-integral (1.5) indices encode to zeros: loss = logsumexp.
	lse := func(r []float64) float64 { return naiveCE(r, make([]float64, len(r))) }
	got, gd = eval(t, func(xs []*Node) *Node {
		return losses.CrossEntropyReduce(xs[0], xs[1], losses.Options{Reduction: losses.None})
	}, logits, tensors.FromFlatDataAndDimensions([]int32{3, -1, 2}, 3))
	wantValues(t, "CrossEntropy out of range", got, gd, []float64{lse(rows[0]), lse(rows[1]), naiveCE(rows[2], oneHot(2, 3))}, dims(3), 1e-14)
	got, gd = eval(t, func(xs []*Node) *Node {
		return losses.CrossEntropyReduce(xs[0], xs[1], losses.Options{Reduction: losses.None})
	}, logits, f64(dims(3), 1.5, 0, -0.0))
	wantValues(t, "CrossEntropy float 1.5 / -0", got, gd, []float64{lse(rows[0]), per[1], naiveCE(rows[2], oneHot(0, 3))}, dims(3), 1e-14)

	// Probability (soft) targets of the logits' shape.
	probs := [][]float64{{0.2, 0.3, 0.5}, {1, 0, 0}, {0.1, 0.1, 0.8}}
	want := make([]float64, 3)
	for i := range rows {
		want[i] = naiveCE(rows[i], probs[i])
	}
	got, gd = eval(t, func(xs []*Node) *Node {
		return losses.CrossEntropyReduce(xs[0], xs[1], losses.Options{Reduction: losses.None})
	}, logits, f64(dims(3, 3), slices.Concat(probs...)...))
	wantValues(t, "CrossEntropy probabilities", got, gd, want, dims(3), 1e-14)

	// Numerical stability: exp(1000) overflows a naive log-sum-exp.
	// Row [1000, 0, -1000]: lse = 1000 + log(1 + e^-1000 + e^-2000) = 1000 exactly in float64.
	// Row [1000, 1000]: lse = 1000 + log 2. Row [-1000, -1001]: lse = -1000 + log(1 + e^-1).
	for _, dt := range []dtypes.DType{dtypes.Float64, dtypes.Float32} {
		// float32 holds 1000 to ±3e-5, so the loss can only be that accurate.
		tol := map[dtypes.DType]float64{dtypes.Float64: 1e-12, dtypes.Float32: 1e-4}[dt]
		big := bpgo.Must1(bpgo.FromFloat64s(dt, []float64{1000, 0, -1000}, 1, 3))
		got, _ = eval(t, func(xs []*Node) *Node {
			return losses.CrossEntropyReduce(xs[0], xs[1], losses.Options{Reduction: losses.None})
		}, big, tensors.FromFlatDataAndDimensions([]int32{1}, 1))
		wantValues(t, "CrossEntropy large logits "+dt.String(), got, nil, []float64{1000}, nil, tol)
		big2 := bpgo.Must1(bpgo.FromFloat64s(dt, []float64{1000, 1000, -1000, -1001}, 2, 2))
		got, _ = eval(t, func(xs []*Node) *Node {
			return losses.CrossEntropyReduce(xs[0], xs[1], losses.Options{Reduction: losses.None})
		}, big2, tensors.FromFlatDataAndDimensions([]int32{0, 1}, 2))
		wantValues(t, "CrossEntropy large logits 2 "+dt.String(), got, nil,
			[]float64{math.Log(2), -1000 + math.Log1p(math.Exp(-1)) + 1001}, nil, tol)
	}

	// Higher rank: (batch 2, time 2, classes 3), targets (2, 2), mean over the batch axis only.
	l3 := f64(dims(2, 2, 3), slices.Concat(rows[0], rows[1], rows[2], rows[0])...)
	t3 := tensors.FromFlatDataAndDimensions([]int64{0, 1, 2, 2}, 2, 2)
	c00, c01 := naiveCE(rows[0], oneHot(0, 3)), naiveCE(rows[1], oneHot(1, 3))
	c10, c11 := naiveCE(rows[2], oneHot(2, 3)), naiveCE(rows[0], oneHot(2, 3))
	got, gd = eval(t, func(xs []*Node) *Node {
		return losses.CrossEntropyReduce(xs[0], xs[1], losses.Options{Axes: []int{0}})
	}, l3, t3)
	wantValues(t, "CrossEntropy rank 3 axis 0", got, gd, []float64{(c00 + c10) / 2, (c01 + c11) / 2}, dims(2), 1e-14)
	got, gd = eval(t, func(xs []*Node) *Node { return losses.CrossEntropy(xs[0], xs[1]) }, l3, t3)
	wantValues(t, "CrossEntropy rank 3 mean", got, gd, []float64{(c00 + c01 + c10 + c11) / 4}, nil, 1e-14)

	// Rank-1 logits with a scalar target.
	got, gd = eval(t, func(xs []*Node) *Node { return losses.CrossEntropy(xs[0], xs[1]) },
		f64(dims(3), rows[0]...), tensors.FromScalar(int32(2)))
	wantValues(t, "CrossEntropy rank 1", got, gd, []float64{per[0]}, nil, 1e-14)

	// Indices compare exactly even where a narrow dtype could not hold every class: with 300
	// classes, uint8 label 43 must select class 43 only (not 299 = 43 + 256).
	wide := make([]float64, 300)
	wide[299], wide[43] = 5, 1
	got, _ = eval(t, func(xs []*Node) *Node { return losses.CrossEntropy(xs[0], xs[1]) },
		f64(dims(1, 300), wide...), tensors.FromFlatDataAndDimensions([]uint8{43}, 1))
	wantValues(t, "CrossEntropy 300 classes", got, nil, []float64{naiveCE(wide, oneHot(43, 300))}, nil, 1e-13)
}

func TestAccuracyValues(t *testing.T) {
	// argmax = [1, 0, 1, 0 (tie → lowest)], labels [1, 0, 0, 0] → 3/4.
	logits := f64(dims(4, 2), 0.1, 0.9, 0.8, 0.2, 0.3, 0.7, 0.5, 0.5)
	for name, lab := range map[string]*tensors.Tensor{
		"int32":   tensors.FromFlatDataAndDimensions([]int32{1, 0, 0, 0}, 4),
		"int64":   tensors.FromFlatDataAndDimensions([]int64{1, 0, 0, 0}, 4),
		"float32": tensors.FromFlatDataAndDimensions([]float32{1, 0, 0, 0}, 4),
		"float64": f64(dims(4), 1, 0, 0, 0),
	} {
		got, gd := eval(t, func(xs []*Node) *Node { return losses.Accuracy(xs[0], xs[1]) }, logits, lab)
		wantValues(t, "Accuracy "+name, got, gd, []float64{0.75}, nil, 0)
	}
	// Float32 logits give a float32 result; rank 3.
	got, gd := eval(t, func(xs []*Node) *Node { return losses.Accuracy(xs[0], xs[1]) },
		f32(dims(1, 2, 3), 0, 1, 2, 5, 4, 3), tensors.FromFlatDataAndDimensions([]int32{2, 1}, 1, 2))
	wantValues(t, "Accuracy rank 3", got, gd, []float64{0.5}, nil, 0)
	// 300 classes, uint8 label 43 vs argmax 299: no match.
	wide := make([]float64, 300)
	wide[299] = 1
	got, _ = eval(t, func(xs []*Node) *Node { return losses.Accuracy(xs[0], xs[1]) },
		f64(dims(1, 300), wide...), tensors.FromFlatDataAndDimensions([]uint8{43}, 1))
	wantValues(t, "Accuracy 300 classes", got, nil, []float64{0}, nil, 0)
}

// ---- gradients --------------------------------------------------------------------------------

// gradCheck compares Gradient(f(xs), xs[i]) for i in wrt with central finite differences of f in
// float64. f must return a scalar.
func gradCheck(t *testing.T, name string, f func(xs []*Node) *Node, args []*tensors.Tensor, wrt ...int) {
	t.Helper()
	exec, err := NewExec(bpgo.Must1(bpgo.Backend()), func(xs []*Node) []*Node {
		loss := f(xs)
		if !loss.Shape().IsScalar() {
			panic(fmt.Sprintf("loss shape %s is not scalar", loss.Shape()))
		}
		nodes := make([]*Node, len(wrt))
		for i, k := range wrt {
			nodes[i] = xs[k]
		}
		return append([]*Node{loss}, Gradient(loss, nodes...)...)
	})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer exec.Finalize()
	call := func(as []*tensors.Tensor) []*tensors.Tensor {
		in := make([]any, len(as))
		for i, a := range as {
			in[i] = a
		}
		out, err := exec.Call(in...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return out
	}
	out := call(args)
	for gi, k := range wrt {
		if args[k].DType() != dtypes.Float64 {
			t.Fatalf("%s: argument %d must be float64 for the check", name, k)
		}
		grad := bpgo.ToFloat64s(out[1+gi])
		x := bpgo.ToFloat64s(args[k])
		fd := make([]float64, len(x))
		for j := range x {
			h := 1e-5 * max(1, math.Abs(x[j]))
			loss := func(v float64) float64 {
				xp := slices.Clone(x)
				xp[j] = v
				as := slices.Clone(args)
				as[k] = f64(args[k].Shape().Dimensions, xp...)
				return bpgo.ToFloat64s(call(as)[0])[0]
			}
			fd[j] = (loss(x[j]+h) - loss(x[j]-h)) / (2 * h)
		}
		var num, den float64
		for j := range grad {
			num += (grad[j] - fd[j]) * (grad[j] - fd[j])
			den = max(den, grad[j]*grad[j], fd[j]*fd[j])
		}
		rel := math.Sqrt(num) / math.Sqrt(max(den, 1e-300))
		if rel > 1e-6 || math.IsNaN(rel) {
			t.Errorf("%s: d/d(arg %d) relative error %.3g > 1e-6\n  grad %v\n  fd   %v", name, k, rel, grad, fd)
		}
	}
}

func randT(rng *rand.Rand, d []int, scale, offset float64) *tensors.Tensor {
	n := 1
	for _, x := range d {
		n *= x
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = offset + scale*rng.NormFloat64()
	}
	return f64(d, v...)
}

// vjp turns a non-scalar loss into a scalar Σ loss·v with v a fixed input (the last argument).
func vjp(f func(xs []*Node) *Node) func(xs []*Node) *Node {
	return func(xs []*Node) *Node {
		return ReduceAllSum(Mul(f(xs[:len(xs)-1]), xs[len(xs)-1]))
	}
}

func TestGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	p, tt := randT(rng, dims(3, 4), 1, 0), randT(rng, dims(3, 4), 1, 0)
	w4 := randT(rng, dims(4), 1, 1)
	v34 := randT(rng, dims(3, 4), 1, 0)

	gradCheck(t, "MSE", func(xs []*Node) *Node { return losses.MSE(xs[0], xs[1]) }, []*tensors.Tensor{p, tt}, 0, 1)
	gradCheck(t, "MSEReduce sum axis 0 weighted", func(xs []*Node) *Node {
		return ReduceAllSum(losses.MSEReduce(xs[0], xs[1], losses.Options{Reduction: losses.Sum, Axes: []int{0}, Weight: xs[2]}))
	}, []*tensors.Tensor{p, tt, w4}, 0, 1, 2)
	gradCheck(t, "MSEReduce none", vjp(func(xs []*Node) *Node {
		return losses.MSEReduce(xs[0], xs[1], losses.Options{Reduction: losses.None})
	}), []*tensors.Tensor{p, tt, v34}, 0, 1)
	// MAE is not differentiable where p == t; random inputs keep |p - t| away from 0.
	gradCheck(t, "MAE", func(xs []*Node) *Node { return losses.MAE(xs[0], xs[1]) }, []*tensors.Tensor{p, tt}, 0, 1)
	gradCheck(t, "MAEReduce mean axis 1", func(xs []*Node) *Node {
		return ReduceAllSum(Mul(losses.MAEReduce(xs[0], xs[1], losses.Options{Axes: []int{1}}), xs[2]))
	}, []*tensors.Tensor{p, tt, randT(rng, dims(3), 1, 0)}, 0, 1)
	gradCheck(t, "L2Loss", vjp(func(xs []*Node) *Node { return losses.L2Loss(xs[0], xs[1]) }), []*tensors.Tensor{p, tt, v34}, 0, 1)
	x2 := randT(rng, dims(5), 1, 0)
	gradCheck(t, "L2Norm", func(xs []*Node) *Node { return losses.L2Norm(xs[0], xs[1], xs[2]) }, []*tensors.Tensor{p, x2, tt}, 0, 1, 2)
	gradCheck(t, "L2NormSquared", func(xs []*Node) *Node { return losses.L2NormSquared(xs[0], xs[1]) }, []*tensors.Tensor{p, x2}, 0, 1)

	// Cross-entropy: logits (4, 5) with integer, float-index and probability targets.
	logits := randT(rng, dims(4, 5), 2, 0)
	idx32 := tensors.FromFlatDataAndDimensions([]int32{0, 4, 2, 2}, 4)
	idxF := f64(dims(4), 0, 4, 2, 2)
	probs := make([]float64, 20)
	for i := range 4 {
		s := 0.0
		for j := range 5 {
			probs[i*5+j] = rng.Float64()
			s += probs[i*5+j]
		}
		for j := range 5 {
			probs[i*5+j] /= s
		}
	}
	pr := f64(dims(4, 5), probs...)
	ce := func(xs []*Node) *Node { return losses.CrossEntropy(xs[0], xs[1]) }
	gradCheck(t, "CrossEntropy int32 targets", ce, []*tensors.Tensor{logits, idx32}, 0)
	gradCheck(t, "CrossEntropy float index targets", ce, []*tensors.Tensor{logits, idxF}, 0)
	gradCheck(t, "CrossEntropy probability targets", ce, []*tensors.Tensor{logits, pr}, 0, 1)
	gradCheck(t, "CrossEntropy sum weighted", func(xs []*Node) *Node {
		return losses.CrossEntropyReduce(xs[0], xs[1], losses.Options{Reduction: losses.Sum, Weight: xs[2]})
	}, []*tensors.Tensor{logits, idx32, randT(rng, dims(4), 1, 1)}, 0, 2)
	gradCheck(t, "CrossEntropy none", vjp(func(xs []*Node) *Node {
		return losses.CrossEntropyReduce(xs[0], xs[1], losses.Options{Reduction: losses.None})
	}), []*tensors.Tensor{logits, idx32, randT(rng, dims(4), 1, 0)}, 0)
	l3 := randT(rng, dims(2, 3, 4), 1, 0)
	gradCheck(t, "CrossEntropy rank 3 axis 1", func(xs []*Node) *Node {
		return ReduceAllSum(Mul(losses.CrossEntropyReduce(xs[0], xs[1], losses.Options{Axes: []int{1}}), xs[2]))
	}, []*tensors.Tensor{l3, tensors.FromFlatDataAndDimensions([]int64{0, 1, 2, 3, 3, 9}, 2, 3), randT(rng, dims(2), 1, 0)}, 0)

	// With large logits the gradient is still softmax - onehot, by a plain loop.
	big := []float64{500, 502, 499, -300, 0, 1}
	got, _ := eval(t, func(xs []*Node) *Node { return Gradient(losses.CrossEntropy(xs[0], xs[1]), xs[0])[0] },
		f64(dims(2, 3), big...), tensors.FromFlatDataAndDimensions([]int32{0, 2}, 2))
	want := make([]float64, 6)
	for r, c := range []int{0, 2} {
		m := max(big[r*3], big[r*3+1], big[r*3+2])
		s := 0.0
		for j := range 3 {
			s += math.Exp(big[r*3+j] - m)
		}
		for j := range 3 {
			want[r*3+j] = (math.Exp(big[r*3+j]-m)/s - oneHot(c, 3)[j]) / 2
		}
	}
	wantValues(t, "CrossEntropy large-logit gradient", got, dims(2, 3), want, dims(2, 3), 1e-12)
}

// TestCrossEntropyFloat32Gradient: the float32 graph with int32 targets differentiates w.r.t.
// the logits (softmax - onehot) / N.
func TestCrossEntropyFloat32Gradient(t *testing.T) {
	lv := []float64{0.5, -1, 2, 0, 0, 0}
	got, gd := eval(t, func(xs []*Node) *Node { return Gradient(losses.CrossEntropy(xs[0], xs[1]), xs[0])[0] },
		f32(dims(2, 3), lv...), tensors.FromFlatDataAndDimensions([]int32{1, 0}, 2))
	want := make([]float64, 6)
	for r, c := range []int{1, 0} {
		s := 0.0
		for j := range 3 {
			s += math.Exp(lv[r*3+j])
		}
		for j := range 3 {
			want[r*3+j] = (math.Exp(lv[r*3+j])/s - oneHot(c, 3)[j]) / 2
		}
	}
	wantValues(t, "float32 CrossEntropy gradient", got, gd, want, dims(2, 3), 1e-6)
}

// ---- bad input ---------------------------------------------------------------------------------

func TestGraphPanics(t *testing.T) {
	F32, F64, I32 := dtypes.Float32, dtypes.Float64, dtypes.Int32
	two := func(f func(a, b *Node) *Node) func(xs []*Node) { return func(xs []*Node) { f(xs[0], xs[1]) } }
	cases := []struct {
		name  string
		build func(xs []*Node)
		ss    []shapes.Shape
		want  []string
	}{
		{"MSEReduce shapes", two(func(a, b *Node) *Node { return losses.MSEReduce(a, b, losses.Options{}) }),
			[]shapes.Shape{sh(F32, 2, 3), sh(F32, 3, 2)}, []string{"losses.MSEReduce", "targets shape", "predicts shape", "(Float32)[3, 2]"}},
		{"MAE shapes", two(losses.MAE), []shapes.Shape{sh(F32, 2), sh(F32, 3)}, []string{"losses.MAE", "targets shape", "must equal"}},
		{"MAE dtypes", two(losses.MAE), []shapes.Shape{sh(F32, 2), sh(F64, 2)}, []string{"losses.MAE", "Float64"}},
		{"MAE ints", two(losses.MAE), []shapes.Shape{sh(I32, 2), sh(I32, 2)}, []string{"losses.MAE", "predicts dtype", "not a float"}},
		{"L2Loss shapes", two(losses.L2Loss), []shapes.Shape{sh(F32, 2, 2), sh(F32, 4)}, []string{"losses.L2Loss", "targets shape"}},
		{"CrossEntropy targets shape", two(losses.CrossEntropy), []shapes.Shape{sh(F32, 4, 3), sh(I32, 3)},
			[]string{"losses.CrossEntropy", "targets shape [3]", "logits shape [4 3] without its last axis"}},
		{"CrossEntropy targets rank", two(losses.CrossEntropy), []shapes.Shape{sh(F32, 4, 3), sh(I32, 4, 3, 1)},
			[]string{"losses.CrossEntropy", "targets shape [4 3 1]"}},
		{"CrossEntropy probability shape", two(losses.CrossEntropy), []shapes.Shape{sh(F32, 4, 3), sh(F32, 4, 2)},
			[]string{"losses.CrossEntropy", "targets shape", "probabilities"}},
		{"CrossEntropy probability dtype", two(losses.CrossEntropy), []shapes.Shape{sh(F32, 4, 3), sh(F64, 4, 3)},
			[]string{"losses.CrossEntropy", "targets shape (Float64)"}},
		{"CrossEntropy int logits", two(losses.CrossEntropy), []shapes.Shape{sh(I32, 4, 3), sh(I32, 4)},
			[]string{"losses.CrossEntropy", "logits dtype Int32"}},
		{"CrossEntropy scalar logits", two(losses.CrossEntropy), []shapes.Shape{sh(F32), sh(I32)},
			[]string{"losses.CrossEntropy", "class axis"}},
		{"CrossEntropy bool targets", two(losses.CrossEntropy), []shapes.Shape{sh(F32, 4, 3), sh(dtypes.Bool, 4)},
			[]string{"losses.CrossEntropy", "targets dtype Bool"}},
		{"CrossEntropy weight shape", func(xs []*Node) { losses.CrossEntropyReduce(xs[0], xs[1], losses.Options{Weight: xs[2]}) },
			[]shapes.Shape{sh(F32, 4, 3), sh(I32, 4), sh(F32, 3)}, []string{"losses.CrossEntropy", "Options.Weight shape [3]", "[4]"}},
		{"CrossEntropy weight dtype", func(xs []*Node) { losses.CrossEntropyReduce(xs[0], xs[1], losses.Options{Weight: xs[2]}) },
			[]shapes.Shape{sh(F32, 4, 3), sh(I32, 4), sh(F64, 4)}, []string{"Options.Weight dtype Float64"}},
		{"MSEReduce axis range", func(xs []*Node) { losses.MSEReduce(xs[0], xs[1], losses.Options{Axes: []int{2}}) },
			[]shapes.Shape{sh(F32, 2, 3), sh(F32, 2, 3)}, []string{"losses.MSEReduce", "Options.Axes [2]", "out of range"}},
		{"MSEReduce axis twice", func(xs []*Node) { losses.MSEReduce(xs[0], xs[1], losses.Options{Axes: []int{1, -1}}) },
			[]shapes.Shape{sh(F32, 2, 3), sh(F32, 2, 3)}, []string{"Options.Axes", "twice"}},
		{"MSEReduce none with axes", func(xs []*Node) {
			losses.MSEReduce(xs[0], xs[1], losses.Options{Reduction: losses.None, Axes: []int{0}})
		}, []shapes.Shape{sh(F32, 2, 3), sh(F32, 2, 3)}, []string{"Options.Axes", "none"}},
		{"MSEReduce bad reduction", func(xs []*Node) { losses.MSEReduce(xs[0], xs[1], losses.Options{Reduction: 7}) },
			[]shapes.Shape{sh(F32, 2), sh(F32, 2)}, []string{"Options.Reduction", "Reduction(7)"}},
		{"Accuracy labels", two(losses.Accuracy), []shapes.Shape{sh(F32, 4, 3), sh(I32, 4, 3)},
			[]string{"losses.Accuracy", "labels shape [4 3]", "without its last axis"}},
		{"Accuracy int logits", two(losses.Accuracy), []shapes.Shape{sh(I32, 4, 3), sh(I32, 4)}, []string{"losses.Accuracy", "logits dtype"}},
		{"L2Norm dtypes", func(xs []*Node) { losses.L2Norm(xs[0], xs[1]) }, []shapes.Shape{sh(F32, 2), sh(F64, 2)},
			[]string{"losses.L2Norm", "nodes[1] dtype Float64"}},
		{"L2Norm ints", func(xs []*Node) { losses.L2Norm(xs[0]) }, []shapes.Shape{sh(I32, 2)}, []string{"losses.L2Norm", "nodes[0]", "not a float"}},
		{"L2Norm none", func(xs []*Node) { losses.L2Norm() }, nil, []string{"losses.L2Norm", "no nodes"}},
		{"L2NormSquared nil", func(xs []*Node) { losses.L2NormSquared(xs[0], nil) }, []shapes.Shape{sh(F32, 2)}, []string{"nodes[1] is nil"}},
		{"MSE nil", func(xs []*Node) { losses.MSEReduce(xs[0], nil, losses.Options{}) }, []shapes.Shape{sh(F32, 2)}, []string{"nil"}},
	}
	for _, c := range cases {
		wantPanic(t, c.name, c.build, c.ss, c.want...)
	}
}

func TestReductionNames(t *testing.T) {
	for _, r := range []losses.Reduction{losses.Mean, losses.Sum, losses.None} {
		got, err := losses.ParseReduction(strings.ToUpper(r.String()))
		if err != nil || got != r {
			t.Errorf("ParseReduction(%q) = %v, %v", strings.ToUpper(r.String()), got, err)
		}
	}
	if (losses.Options{}).Reduction != losses.Mean {
		t.Errorf("the zero Options must reduce by Mean")
	}
	_, err := losses.ParseReduction("avg")
	wantErr(t, "ParseReduction", err, "avg", "mean", "sum", "none")
}

// ---- host helpers ------------------------------------------------------------------------------

func TestHostHelpers(t *testing.T) {
	p, tt := f64(dims(2, 3), pVals...), f64(dims(2, 3), tVals...)
	if v, err := losses.MeanAbsoluteError(p, tt); err != nil || v != 1.5 {
		t.Errorf("MeanAbsoluteError = %v, %v; want 1.5", v, err)
	}
	if v, err := losses.MeanAbsoluteError(f32(dims(2, 3), pVals...), f32(dims(2, 3), tVals...)); err != nil || v != 1.5 {
		t.Errorf("MeanAbsoluteError float32 = %v, %v; want 1.5", v, err)
	}
	_, err := losses.MeanAbsoluteError(p, f64(dims(3, 2), tVals...))
	wantErr(t, "MeanAbsoluteError shapes", err, "predicts shape [2 3]", "targets shape [3 2]")
	_, err = losses.MeanAbsoluteError(p, nil)
	wantErr(t, "MeanAbsoluteError nil", err, "nil")
	_, err = losses.MeanAbsoluteError(tensors.FromFlatDataAndDimensions([]int32{1}, 1), tensors.FromFlatDataAndDimensions([]int32{1}, 1))
	wantErr(t, "MeanAbsoluteError ints", err, "Int32", "float")

	logits := f64(dims(2, 3), 1, 2, 3, 1, 1, 1)
	wantCE := (math.Log(math.E+math.Exp(2)+math.Exp(3)) - 3 + math.Log(3)) / 2
	if v, err := losses.CrossEntropyLoss(logits, tensors.FromFlatDataAndDimensions([]int64{2, 1}, 2)); err != nil || !near(v, wantCE, 1e-14) {
		t.Errorf("CrossEntropyLoss = %v, %v; want %v", v, err, wantCE)
	}
	if v, err := losses.CrossEntropyLoss(logits, f64(dims(2, 3), 0, 0, 1, 0, 1, 0)); err != nil || !near(v, wantCE, 1e-14) {
		t.Errorf("CrossEntropyLoss probabilities = %v, %v; want %v", v, err, wantCE)
	}
	_, err = losses.CrossEntropyLoss(logits, tensors.FromFlatDataAndDimensions([]int64{2, 1, 0}, 3))
	wantErr(t, "CrossEntropyLoss shape", err, "targets shape [3]", "logits shape is [2 3]")
	_, err = losses.CrossEntropyLoss(logits, f32(dims(2, 3), 0, 0, 1, 0, 1, 0))
	wantErr(t, "CrossEntropyLoss probability dtype", err, "targets shape [2 3] (Float32)", "(Float64)")
	_, err = losses.CrossEntropyLoss(tensors.FromFlatDataAndDimensions([]int32{1, 2}, 1, 2), tensors.FromFlatDataAndDimensions([]int32{1}, 1))
	wantErr(t, "CrossEntropyLoss int logits", err, "logits dtype Int32")
	_, err = losses.CrossEntropyLoss(logits, tensors.FromFlatDataAndDimensions([]bool{true, false}, 2))
	wantErr(t, "CrossEntropyLoss bool targets", err, "targets dtype Bool")

	if v, err := losses.AccuracyOf(logits, tensors.FromFlatDataAndDimensions([]int32{2, 1}, 2)); err != nil || v != 0.5 {
		t.Errorf("AccuracyOf = %v, %v; want 0.5 (row 2 ties go to class 0, not 1)", v, err)
	}
	if v, err := losses.AccuracyOf(logits, f64(dims(2), 2, 0)); err != nil || v != 1 {
		t.Errorf("AccuracyOf = %v, %v; want 1", v, err)
	}
	_, err = losses.AccuracyOf(logits, f64(dims(2, 3), 0, 0, 1, 0, 1, 0))
	wantErr(t, "AccuracyOf one-hot labels", err, "labels shape [2 3]", "without its last axis")
	_, err = losses.AccuracyOf(nil, f64(dims(2), 2, 0))
	wantErr(t, "AccuracyOf nil", err, "nil")

	if v, err := losses.L2NormOf(f64(dims(2), 3, 4), f32(dims(1, 1), 12)); err != nil || v != 13 {
		t.Errorf("L2NormOf = %v, %v; want 13", v, err)
	}
	_, err = losses.L2NormOf()
	wantErr(t, "L2NormOf empty", err, "no tensors")
	_, err = losses.L2NormOf(f64(dims(1), 1), tensors.FromFlatDataAndDimensions([]int32{1}, 1))
	wantErr(t, "L2NormOf ints", err, "tensor 1", "Int32")
}
