package bpgo_test

import (
	"math"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// tanhRNN is a small recurrent model written against the core only: h ← tanh(x Wi + h Wh + b),
// y = h Wo. The models package has the real cells; this one keeps the engine's tests
// self-contained.
type tanhRNN struct {
	Wi, Wh, B, Wo *bpgo.Variable
	H             *bpgo.Variable
	hidden        int
}

func newTanhRNN(t *testing.T, in, hidden, out, batch int) *tanhRNN {
	t.Helper()
	rng := bpgo.NewRNG()
	param := func(scale float64, dims ...int) *bpgo.Variable {
		n := 1
		for _, d := range dims {
			n *= d
		}
		v := make([]float64, n)
		for i := range v {
			v[i] = scale * rng.NormFloat64()
		}
		return bpgo.NewParam(bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), v, dims...)), true)
	}
	return &tanhRNN{Wi: param(0.8, in, hidden), Wh: param(0.5, hidden, hidden), B: param(0.1, hidden),
		Wo: param(0.7, hidden, out), H: bpgo.NewState(bpgo.Zeros(batch, hidden), 0), hidden: hidden}
}

func (m *tanhRNN) ResetState(batch int) { m.H.Reset(bpgo.Zeros(batch, m.hidden)) }

func (m *tanhRNN) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return graph.MatMul(m.step(ctx, x), ctx.Value(m.Wo))
}

// step advances H by one step and returns it.
func (m *tanhRNN) step(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	pre := graph.Add(graph.MatMul(x, ctx.Value(m.Wi)), graph.MatMul(ctx.Value(m.H), ctx.Value(m.Wh)))
	h := graph.Tanh(graph.Add(pre, graph.InsertAxes(ctx.Value(m.B), 0)))
	ctx.Set(m.H, h)
	return h
}

// mseL2 is the quickstart's loss: MSE plus an L2 penalty over the trained variables, and the
// hidden state's mean as an aux metric through a monitor.
func mseL2(lc *bpgo.LossContext, out, y *graph.Node) *graph.Node {
	mse := graph.ReduceAllMean(graph.Square(graph.Sub(out, y)))
	var l2 *graph.Node
	for _, w := range lc.TrainVars() {
		s := graph.ReduceAllSum(graph.Square(w))
		if l2 == nil {
			l2 = s
		} else {
			l2 = graph.Add(l2, s)
		}
	}
	lc.Aux("mse", mse)
	lc.Aux("h_mean", graph.ReduceAllMean(lc.Monitor("H")))
	// The monitor also enters the loss, so its cotangent path is exercised.
	hpen := graph.MulScalar(graph.ReduceAllMean(graph.Square(lc.Monitor("H"))), 0.01)
	return graph.Add(graph.Add(mse, graph.MulScalar(l2, 2e-4)), hpen)
}

func randTensor(seed uint64, scale float64, dims ...int) *tensors.Tensor {
	bpgo.SetSeed(seed)
	rng := bpgo.NewRNG()
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * rng.NormFloat64()
	}
	return bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), v, dims...))
}

func gradsOf(t *testing.T, chunk int, xs, ys *tensors.Tensor) (*bpgo.GradResult, []*bpgo.Variable) {
	t.Helper()
	bpgo.SetSeed(7)
	return computeGrad(t, newTanhRNN(t, 2, 5, 1, 3), bpgo.GradOptions{Chunk: chunk, Monitors: []string{"H"}}, xs, ys)
}

// computeGrad is the gradient of mseL2 over a run of m, with its differentiated parameters.
func computeGrad(t *testing.T, m bpgo.Stepper, opts bpgo.GradOptions, xs, ys *tensors.Tensor) (*bpgo.GradResult, []*bpgo.Variable) {
	t.Helper()
	g, err := bpgo.NewGrad(m, mseL2, opts)
	if err != nil {
		t.Fatal(err)
	}
	r, err := g.Compute(xs, ys)
	if err != nil {
		t.Fatal(err)
	}
	return r, g.Params()
}

// TestChunkedEqualsUnrolled: the chunked backward pass (recompute + chained VJPs) gives the
// fully unrolled gradient, for chunk sizes that divide T and ones that leave a remainder.
func TestChunkedEqualsUnrolled(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const b, T = 3, 17
	xs := randTensor(1, 1, b, T, 2)
	ys := randTensor(2, 1, b, T, 1)
	ref, refVars := gradsOf(t, 100, xs, ys) // T <= chunk: one unrolled graph
	for _, chunk := range []int{1, 4, 5, 16} {
		r, vars := gradsOf(t, chunk, xs, ys)
		if d := math.Abs(r.Loss - ref.Loss); d > 1e-12*math.Abs(ref.Loss) {
			t.Errorf("chunk %d: loss %v, unrolled %v", chunk, r.Loss, ref.Loss)
		}
		for k, v := range ref.Aux {
			if math.Abs(r.Aux[k]-v) > 1e-12*math.Max(1, math.Abs(v)) {
				t.Errorf("chunk %d: aux %s = %v, unrolled %v", chunk, k, r.Aux[k], v)
			}
		}
		for i, v := range vars {
			got, want := bpgo.ToFloat64s(r.Grads[v]), bpgo.ToFloat64s(ref.Grads[refVars[i]])
			if e := relErr(got, want); e > 1e-10 {
				t.Errorf("chunk %d: gradient of %s differs from the unrolled one: relative error %g", chunk, v.Name(), e)
			}
		}
	}
	if strings.Join(ref.AuxNames, ",") != "h_mean,mse" {
		t.Errorf("aux names %v, want sorted [h_mean mse]", ref.AuxNames)
	}
}

// TestAutoChunk: with Chunk 0 a sequence a little longer than DefaultChunk (up to
// AutoFusedSteps) runs as one fused graph and a longer one in chunks; both give the gradient of
// explicit small chunks.
func TestAutoChunk(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	for _, T := range []int{bpgo.AutoFusedSteps, bpgo.AutoFusedSteps + 1} {
		xs := randTensor(7, 1, 2, T, 2)
		ys := randTensor(8, 1, 2, T, 1)
		auto, autoVars := gradsOf(t, 0, xs, ys)
		ref, refVars := gradsOf(t, 7, xs, ys)
		if d := math.Abs(auto.Loss - ref.Loss); d > 1e-12*math.Abs(ref.Loss) {
			t.Errorf("T %d: loss %v with Chunk 0, %v with Chunk 7", T, auto.Loss, ref.Loss)
		}
		for i, v := range autoVars {
			if e := relErr(bpgo.ToFloat64s(auto.Grads[v]), bpgo.ToFloat64s(ref.Grads[refVars[i]])); e > 1e-10 {
				t.Errorf("T %d: gradient of %s with Chunk 0 differs from Chunk 7's: relative error %g", T, v.Name(), e)
			}
		}
	}
}

func relErr(a, b []float64) float64 {
	num, den := 0.0, 0.0
	for i := range a {
		num += (a[i] - b[i]) * (a[i] - b[i])
		den += b[i] * b[i]
	}
	return math.Sqrt(num / math.Max(den, 1e-300))
}

// TestGradientFiniteDifferences checks both paths against central differences.
func TestGradientFiniteDifferences(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	xs := randTensor(3, 1, 2, 9, 2)
	ys := randTensor(4, 1, 2, 9, 1)
	for _, chunk := range []int{100, 4} {
		bpgo.SetSeed(11)
		m := newTanhRNN(t, 2, 4, 1, 2)
		g, err := bpgo.NewGrad(m, mseL2, bpgo.GradOptions{Chunk: chunk, Monitors: []string{"H"}})
		if err != nil {
			t.Fatal(err)
		}
		c, err := bpgo.CheckGradients(g, xs, ys, bpgo.GradCheckOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if c.MaxRelErr > 1e-6 || c.Checked != 2*4+4*4+4+4 {
			t.Errorf("chunk %d: max relative error %g at %s over %d elements", chunk, c.MaxRelErr, c.Worst, c.Checked)
		}
	}
}

// TestGradStateContinues: with NoReset the state carries from call to call; by default each
// call starts from a reset state, so two calls on the same batch agree.
func TestGradStateContinues(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	xs := randTensor(5, 1, 2, 6, 2)
	ys := randTensor(6, 1, 2, 6, 1)
	m := newTanhRNN(t, 2, 3, 1, 2)
	g := bpgo.Must1(bpgo.NewGrad(m, mseL2, bpgo.GradOptions{Monitors: []string{"H"}}))
	a := bpgo.Must1(g.Evaluate(xs, ys))
	b := bpgo.Must1(g.Evaluate(xs, ys))
	if a.Loss != b.Loss {
		t.Errorf("reset runs differ: %v vs %v", a.Loss, b.Loss)
	}
	nr := bpgo.Must1(bpgo.NewGrad(m, mseL2, bpgo.GradOptions{NoReset: true, Monitors: []string{"H"}}))
	c := bpgo.Must1(nr.Evaluate(xs, ys)) // continues from the state left by b
	if c.Loss == a.Loss {
		t.Errorf("NoReset run did not continue from the previous state")
	}
}

func TestGradBadInput(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	m := newTanhRNN(t, 2, 3, 1, 2)
	g := bpgo.Must1(bpgo.NewGrad(m, mseL2, bpgo.GradOptions{Monitors: []string{"H"}}))
	xs := randTensor(5, 1, 2, 6, 2)
	cases := map[string]struct {
		x, y *tensors.Tensor
		want string
	}{
		"batch mismatch": {xs, randTensor(6, 1, 3, 6, 1), "same batch size"},
		"nil targets":    {xs, nil, "targets are nil"},
		"rank":           {randTensor(5, 1, 2, 6), randTensor(6, 1, 2, 6, 1), "xs"},
		"nan":            {bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), []float64{math.NaN(), 0, 0, 0}, 1, 2, 2)), randTensor(6, 1, 1, 2, 1), "NaN"},
	}
	for name, c := range cases {
		_, err := g.Compute(c.x, c.y)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to mention %q", name, err, c.want)
		}
	}
	if _, err := bpgo.NewGrad(m, mseL2, bpgo.GradOptions{Monitors: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown monitor: error %v, want one from NewGrad naming it", err)
	}
	if _, err := bpgo.NewGrad(m, mseL2, bpgo.GradOptions{Monitors: []string{"Wi"}}); err == nil || !strings.Contains(err.Error(), "parameter") {
		t.Errorf("monitoring a parameter: error %v", err)
	}
	scalarFree := func(lc *bpgo.LossContext, out, y *graph.Node) *graph.Node { return graph.Sub(out, y) }
	g2 := bpgo.Must1(bpgo.NewGrad(m, scalarFree, bpgo.GradOptions{}))
	if _, err := g2.Compute(xs, randTensor(6, 1, 2, 6, 1)); err == nil || !strings.Contains(err.Error(), "scalar") {
		t.Errorf("non-scalar loss: error %v", err)
	}
}

// TestGradReusesLossInputs: a chunked Grad keeps the joined outputs and monitors it hands the
// loss from call to call (joinForLoss); calls with other data and other shapes in between give
// what a fresh Grad gives.
func TestGradReusesLossInputs(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	type data struct{ xs, ys *tensors.Tensor }
	a := data{randTensor(1, 1, 3, 17, 2), randTensor(2, 1, 3, 17, 1)}
	b := data{randTensor(3, 1, 3, 17, 2), randTensor(4, 1, 3, 17, 1)}
	c := data{randTensor(5, 1, 2, 13, 2), randTensor(6, 1, 2, 13, 1)}
	bpgo.SetSeed(7)
	m := newTanhRNN(t, 2, 5, 1, 3)
	g, err := bpgo.NewGrad(m, mseL2, bpgo.GradOptions{Chunk: 4, Monitors: []string{"H"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range []data{a, b, c, a} {
		batch := d.xs.Shape().Dimensions[0]
		m.ResetState(batch)
		got, err := g.Compute(d.xs, d.ys)
		if err != nil {
			t.Fatal(err)
		}
		bpgo.SetSeed(7)
		fm := newTanhRNN(t, 2, 5, 1, batch)
		want, wantVars := computeGrad(t, fm, bpgo.GradOptions{Chunk: 4, Monitors: []string{"H"}}, d.xs, d.ys)
		if got.Loss != want.Loss || got.Aux["h_mean"] != want.Aux["h_mean"] {
			t.Fatalf("call %d: loss %v, h_mean %v; a fresh Grad gives %v, %v", i, got.Loss, got.Aux["h_mean"], want.Loss, want.Aux["h_mean"])
		}
		for j, v := range g.Params() {
			if e := relErr(bpgo.ToFloat64s(got.Grads[v]), bpgo.ToFloat64s(want.Grads[wantVars[j]])); e > 0 {
				t.Fatalf("call %d: gradient of %s differs from a fresh Grad's: relative error %g", i, v.Name(), e)
			}
		}
	}
}
