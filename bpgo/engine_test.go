package bpgo_test

import (
	"math"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// TestUseModeRestores: UseMode's restore brings back the previous mode, also when the function
// that deferred it panics.
func TestUseModeRestores(t *testing.T) {
	if m := bpgo.GlobalMode(); m != bpgo.BatchingMode {
		t.Fatalf("global mode %v at the start, want batching", m)
	}
	func() {
		defer bpgo.UseMode(bpgo.TrainingMode)()
		if m := bpgo.GlobalMode(); m != bpgo.TrainingMode {
			t.Errorf("inside UseMode(TrainingMode): %v", m)
		}
	}()
	if m := bpgo.GlobalMode(); m != bpgo.BatchingMode {
		t.Errorf("after UseMode's restore: %v, want batching", m)
	}
	func() {
		defer func() { _ = recover() }()
		defer bpgo.UseMode(bpgo.TrainingMode)()
		panic("model construction failed")
	}()
	if m := bpgo.GlobalMode(); m != bpgo.BatchingMode {
		t.Errorf("after a panic under UseMode: %v, want batching", m)
	}
	defer func() {
		if recover() == nil {
			t.Error("UseMode(DefaultMode) did not panic")
		}
	}()
	bpgo.UseMode(bpgo.DefaultMode)
}

// TestMonitorsFailAtConstruction: an unknown monitor name is an error when the runner or the
// gradient is built, and the error lists the valid names.
func TestMonitorsFailAtConstruction(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	m := newTanhRNN(t, 2, 3, 1, 1)
	_, err := bpgo.NewRunner(m, bpgo.RunnerOptions{Monitors: []string{"h"}})
	if err == nil || !strings.Contains(err.Error(), `unknown monitor "h"`) || !strings.Contains(err.Error(), "[H]") {
		t.Errorf("runner with monitor %q: %v, want an error listing [H]", "h", err)
	}
	_, err = bpgo.NewGrad(m, mseL2, bpgo.GradOptions{Monitors: []string{"H", "V"}})
	if err == nil || !strings.Contains(err.Error(), `unknown monitor "V"`) {
		t.Errorf("grad with monitor V: %v", err)
	}
	// By reference: Watch names the variable by its path.
	r, err := bpgo.NewRunner(m, bpgo.RunnerOptions{Watch: []*bpgo.Variable{m.H}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(randTensor(1, 1, 1, 4, 2), bpgo.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if d := r.Mon["H"].Shape().Dimensions; d[0] != 1 || d[1] != 4 || d[2] != 3 {
		t.Errorf("watched H: shape %v, want (1, 4, 3)", d)
	}
	other := bpgo.NewState(bpgo.Zeros(1, 3), 0)
	if _, err := bpgo.NewRunner(m, bpgo.RunnerOptions{Watch: []*bpgo.Variable{other}}); err == nil || !strings.Contains(err.Error(), "not part of the model") {
		t.Errorf("watching a foreign variable: %v", err)
	}
}

// clockModel outputs the step's time t and index i, and accumulates t in a state.
type clockModel struct{ S *bpgo.Variable }

func (c *clockModel) ResetState(batch int) { c.S.Reset(bpgo.Zeros(batch, 1)) }

func (c *clockModel) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	b := x.Shape().Dimensions[0]
	t := graph.BroadcastToDims(graph.Reshape(ctx.T(), 1, 1), b, 1)
	i := graph.BroadcastToDims(graph.Reshape(graph.ConvertDType(ctx.Index(), ctx.DType()), 1, 1), b, 1)
	ctx.Set(c.S, graph.Add(ctx.Value(c.S), graph.Mul(t, x)))
	return graph.Concatenate([]*graph.Node{t, i, ctx.Value(c.S)}, 1)
}

// TestContextClock: a Runner's clock counts steps since its last reset across chunks and runs;
// a Grad's clock starts at 0 for every batch (BrainPy's BPTT), in the fused and chunked paths.
func TestContextClock(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	m := &clockModel{S: bpgo.NewState(bpgo.Zeros(1, 1), 0)}
	r, err := bpgo.NewRunner(m, bpgo.RunnerOptions{Chunk: 3, Dt: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	in := bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, []float64{1, 1, 1, 1, 1, 1, 1}, 1, 7, 1))
	check := func(out []float64, first int) {
		t.Helper()
		for k := range 7 {
			if ti, ii := out[3*k], out[3*k+1]; ti != 0.5*float64(first+k) || ii != float64(first+k) {
				t.Fatalf("step %d: t=%v i=%v, want t=%v i=%d", k, ti, ii, 0.5*float64(first+k), first+k)
			}
		}
	}
	out, err := r.Run(in, bpgo.RunOptions{ResetState: true})
	if err != nil {
		t.Fatal(err)
	}
	check(bpgo.ToFloat64s(out), 0)
	out, _ = r.Run(in, bpgo.RunOptions{})
	check(bpgo.ToFloat64s(out), 7)
	out, _ = r.Run(in, bpgo.RunOptions{ResetState: true})
	check(bpgo.ToFloat64s(out), 0)

	// Grad: the loss is the last step's t, on every call, in the fused and the chunked path,
	// even with NoReset (which keeps the state from call to call, not the clock).
	p := bpgo.NewParam(bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, []float64{1}, 1)), true)
	pm := &clockParam{clockModel: m, P: p}
	for _, chunk := range []int{100, 3} {
		g, err := bpgo.NewGrad(pm, lastTime, bpgo.GradOptions{Chunk: chunk, Dt: 0.5, NoReset: true})
		if err != nil {
			t.Fatal(err)
		}
		y := bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, []float64{0}, 1))
		for call := range 2 {
			res, err := g.Compute(in, y)
			if err != nil {
				t.Fatal(err)
			}
			if res.Loss != 3 { // t of the last step: 0.5·6, on every call
				t.Errorf("chunk %d, call %d: last step's t = %v, want 3 (the clock restarts per batch)", chunk, call, res.Loss)
			}
		}
	}
}

// clockParam adds a trainable parameter so that a Grad can be built.
type clockParam struct {
	*clockModel
	P *bpgo.Variable
}

func (c *clockParam) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return graph.Mul(c.clockModel.Update(ctx, x), graph.InsertAxes(ctx.Value(c.P), 0))
}

func lastTime(lc *bpgo.LossContext, out, _ *graph.Node) *graph.Node {
	t := out.Shape().Dimensions[1]
	return graph.ReduceAllSum(graph.Slice(out, graph.AxisRange(), graph.AxisElem(t-1), graph.AxisElem(0)))
}

// lmsHook is the least-mean-squares rule on a linear readout y = x·W: after every step
// W += lr·x·(target − y), and Count counts the steps.
type lmsHook struct {
	W     *bpgo.Variable
	Count *bpgo.Variable
	lr    float64
}

func (h *lmsHook) HookVars() []*bpgo.Variable { return []*bpgo.Variable{h.Count} }

func (h *lmsHook) OnStep(sc *bpgo.StepContext) {
	err := graph.Sub(sc.Target, sc.Y)                                // (B, 1)
	dw := graph.MatMul(graph.Transpose(sc.X, 0, 1), err)             // (F, 1)
	sc.Set(h.W, graph.Add(sc.Value(h.W), graph.MulScalar(dw, h.lr))) // a parameter, inside the loop
	sc.Set(h.Count, graph.AddScalar(sc.Value(h.Count), 1))
}

type linear struct{ W *bpgo.Variable }

func (l *linear) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return graph.MatMul(x, ctx.Value(l.W))
}

// TestStepHook: an online rule updates a parameter after every step inside the compiled loop;
// each step's output uses the weights of the previous step, across chunk boundaries.
func TestStepHook(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const steps, lr = 7, 0.1
	xs := []float64{1, 0.5, -1, 2, 0.3, -0.7, 1.5}
	ys := []float64{2, 1, -2, 4, 0.6, -1.4, 3}
	w := bpgo.NewParam(bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, []float64{0}, 1, 1)), false)
	hook := &lmsHook{W: w, Count: bpgo.NewState(bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, []float64{0}, 1)), -1), lr: lr}
	model := &linear{W: w}
	r, err := bpgo.NewRunner(model, bpgo.RunnerOptions{Chunk: 3, Hook: hook})
	if err != nil {
		t.Fatal(err)
	}
	in := bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, xs, 1, steps, 1))
	tg := bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, ys, 1, steps, 1))
	out, err := r.Run(in, bpgo.RunOptions{Targets: tg})
	if err != nil {
		t.Fatal(err)
	}
	got := bpgo.ToFloat64s(out)
	wh := 0.0
	for k := range steps {
		y := xs[k] * wh
		if math.Abs(got[k]-y) > 1e-15 {
			t.Fatalf("step %d: output %v, want %v (with the previous step's weight %v)", k, got[k], y, wh)
		}
		wh += lr * xs[k] * (ys[k] - y)
	}
	if wf := w.Float64s()[0]; math.Abs(wf-wh) > 1e-15 {
		t.Errorf("final weight %v, want %v", wf, wh)
	}
	if c := hook.Count.Float64s()[0]; c != steps {
		t.Errorf("hook counter %v, want %d", c, steps)
	}
	if _, err := bpgo.NewRunner(model, bpgo.RunnerOptions{Hook: &lmsHook{W: w, Count: w}}); err == nil || !strings.Contains(err.Error(), "belongs to the model") {
		t.Errorf("a hook claiming a model variable: %v", err)
	}
	plain := bpgo.Must1(bpgo.NewRunner(model, bpgo.RunnerOptions{}))
	if _, err := plain.Run(in, bpgo.RunOptions{Targets: tg}); err == nil || !strings.Contains(err.Error(), "no Hook") {
		t.Errorf("targets without a hook: %v", err)
	}
	short := bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, ys[:3], 1, 3, 1))
	if _, err := r.Run(in, bpgo.RunOptions{Targets: short}); err == nil || !strings.Contains(err.Error(), "Targets") {
		t.Errorf("targets of the wrong length: %v", err)
	}
}

// TestGradTimeFirst: with Layout TimeFirst, Grad takes (T, B, F) inputs and time-first targets
// and hands the loss time-first outputs and monitors; loss and gradients equal the batch-first
// run's on the transposed data.
func TestGradTimeFirst(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	xs := randTensor(3, 1, 3, 6, 2)
	ys := randTensor(4, 1, 3, 6, 1)
	want, params := gradsOf(t, 4, xs, ys)
	bpgo.SetSeed(7)
	m := newTanhRNN(t, 2, 5, 1, 3)
	g, err := bpgo.NewGrad(m, mseL2, bpgo.GradOptions{Chunk: 4, Monitors: []string{"H"}, Layout: bpgo.TimeFirst})
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.Compute(bpgo.SwapLeadingAxes(xs), bpgo.SwapLeadingAxes(ys))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got.Loss-want.Loss) > 1e-12 {
		t.Errorf("loss %v, want %v", got.Loss, want.Loss)
	}
	for i, p := range g.Params() {
		a, b := bpgo.ToFloat64s(got.Grads[p]), bpgo.ToFloat64s(want.Grads[params[i]])
		for j := range a {
			if math.Abs(a[j]-b[j]) > 1e-12 {
				t.Fatalf("%s[%d]: %v, want %v", p.Name(), j, a[j], b[j])
			}
		}
	}
	if _, err := g.Compute(bpgo.SwapLeadingAxes(xs), ys); err == nil || !strings.Contains(err.Error(), "time-first") {
		t.Errorf("batch-first targets under TimeFirst: %v", err)
	}
}

// noisyLeak is h ← a·h + x + σ·ξ with ξ drawn per step inside the graph (one draw shared by
// the batch, like seed 003's recurrent noise).
type noisyLeak struct {
	H, Rng *bpgo.Variable
	W      *bpgo.Variable
}

func (n *noisyLeak) ResetState(batch int) { n.H.Reset(bpgo.Zeros(batch, 2)) }

func (n *noisyLeak) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	xi := ctx.Normal(n.Rng, 1, 2)
	h := graph.Add(graph.Add(graph.MulScalar(ctx.Value(n.H), 0.5), graph.MatMul(x, ctx.Value(n.W))), graph.MulScalar(xi, 0.3))
	ctx.Set(n.H, h)
	return h
}

func newNoisyLeak() *noisyLeak {
	w := bpgo.NewParam(bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, []float64{1, -1}, 1, 2)), true)
	return &noisyLeak{H: bpgo.NewState(bpgo.Zeros(3, 2), 0), Rng: bpgo.NewRandomState(), W: w}
}

// TestRandomState: noise drawn inside the compiled loop differs from step to step and call to
// call, is the same for the same seed (the same run twice), does not depend on the chunking,
// and gradients flow through the noisy dynamics (checked against finite differences).
func TestRandomState(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	in := randTensor(9, 1, 3, 7, 1)
	run := func(chunk int) ([]float64, []float64) {
		bpgo.SetSeed(11)
		m := newNoisyLeak()
		r := bpgo.Must1(bpgo.NewRunner(m, bpgo.RunnerOptions{Chunk: chunk}))
		a := bpgo.ToFloat64s(bpgo.Must1(r.Run(in, bpgo.RunOptions{ResetState: true})))
		b := bpgo.ToFloat64s(bpgo.Must1(r.Run(in, bpgo.RunOptions{ResetState: true})))
		return a, b
	}
	a1, b1 := run(100)
	a2, b2 := run(3)
	for i := range a1 {
		if a1[i] != a2[i] || b1[i] != b2[i] {
			t.Fatalf("same seed, other chunking: output %d differs (%v vs %v)", i, a1[i], a2[i])
		}
	}
	same := 0
	for i := range a1 {
		if a1[i] == b1[i] {
			same++
		}
	}
	if same > 0 {
		t.Errorf("a second call repeated %d noisy outputs: the state must advance between calls", same)
	}
	// The noise is shared by the batch: samples 0 and 1 get the same input, so the same output.
	flat := bpgo.ToFloat64s(in)
	if flat[0] == flat[7] {
		t.Skip("inputs of samples 0 and 1 coincide")
	}
	bpgo.SetSeed(11)
	m := newNoisyLeak()
	g := bpgo.Must1(bpgo.NewGrad(m, func(lc *bpgo.LossContext, out, _ *graph.Node) *graph.Node {
		return graph.ReduceAllSum(graph.Square(out))
	}, bpgo.GradOptions{Chunk: 3}))
	y := bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, []float64{0, 0, 0}, 3))
	// Gradient checks re-run the model; the noise must be the same on each run for finite
	// differences to make sense, so the check restores the generator's state itself.
	rng0 := m.Rng.Value()
	res := bpgo.Must1(g.Compute(in, y))
	gw := bpgo.ToFloat64s(res.Grads[m.W])
	w0 := m.W.Float64s()
	const eps = 1e-6
	for j := range w0 {
		loss := func(d float64) float64 {
			w := append([]float64(nil), w0...)
			w[j] += d
			bpgo.Must(m.W.SetValue(bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, w, 1, 2))))
			bpgo.Must(m.Rng.SetValue(rng0))
			return bpgo.Must1(g.Evaluate(in, y)).Loss
		}
		fd := (loss(eps) - loss(-eps)) / (2 * eps)
		if math.Abs(fd-gw[j]) > 1e-6*math.Max(1, math.Abs(fd)) {
			t.Errorf("dL/dW[%d] = %v, finite differences %v", j, gw[j], fd)
		}
	}
}
