package bpgo_test

import (
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// shardSetup prepares a test of batch shards: the Go backend (else it skips), float64 and two
// cores until the test ends; it returns a batch of two shards' minimum rows.
func shardSetup(t *testing.T) int {
	t.Helper()
	onGoBackend(t)
	bpgo.EnableX64()
	t.Cleanup(bpgo.DisableX64)
	procs := runtime.GOMAXPROCS(2)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs) })
	return 2 * bpgo.MinShardRows
}

// onGoBackend skips a test of batch shards, which the Go backend's unrolled engine runs (the
// XLA backend runs its time loops as scans and spreads ops over the cores itself).
func onGoBackend(t *testing.T) {
	t.Helper()
	if !strings.HasPrefix(bpgo.BackendName(bpgo.Must1(bpgo.Backend())), "go") {
		t.Skip("batch shards run on the Go backend")
	}
}

// TestShardsEqualWhole: a batch run as 2 or 4 groups of samples gives the whole batch's loss,
// aux metrics and gradients (summation order apart) and, to the bit, its final state.
func TestShardsEqualWhole(t *testing.T) {
	onGoBackend(t)
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const b, T = 4, 17
	xs := randTensor(1, 1, b, T, 2)
	ys := randTensor(2, 1, b, T, 1)
	run := func(shards int) (*bpgo.GradResult, []*bpgo.Variable, []float64, int) {
		bpgo.SetSeed(7)
		m := newTanhRNN(t, 2, 5, 1, b)
		g, err := bpgo.NewGrad(m, mseL2, bpgo.GradOptions{Chunk: 5, Monitors: []string{"H"}, Shards: shards})
		if err != nil {
			t.Fatal(err)
		}
		r, err := g.Compute(xs, ys)
		if err != nil {
			t.Fatalf("Shards %d: %v", shards, err)
		}
		return r, g.Params(), bpgo.ToFloat64s(m.H.Value()), g.LastShards()
	}
	ref, refVars, refH, n := run(1)
	if n != 1 {
		t.Fatalf("Shards 1 ran %d shards", n)
	}
	for _, shards := range []int{2, 4} {
		r, vars, h, n := run(shards)
		if n != shards {
			t.Fatalf("Shards %d ran %d shards", shards, n)
		}
		if math.Abs(r.Loss-ref.Loss) > 1e-12*math.Abs(ref.Loss) {
			t.Errorf("Shards %d: loss %v, whole batch %v", shards, r.Loss, ref.Loss)
		}
		for k, v := range ref.Aux {
			if math.Abs(r.Aux[k]-v) > 1e-12*math.Max(1, math.Abs(v)) {
				t.Errorf("Shards %d: aux %s = %v, whole batch %v", shards, k, r.Aux[k], v)
			}
		}
		for i, v := range vars {
			if e := relErr(bpgo.ToFloat64s(r.Grads[v]), bpgo.ToFloat64s(ref.Grads[refVars[i]])); e > 1e-12 {
				t.Errorf("Shards %d: gradient of %s differs from the whole batch's: relative error %g", shards, v.Name(), e)
			}
		}
		if !slices.Equal(h, refH) {
			t.Errorf("Shards %d: final state %v, whole batch %v", shards, h, refH)
		}
	}
}

// batchMixer subtracts the batch mean from its state each step: its samples are not
// independent, so it must not run in shards.
type batchMixer struct{ *tanhRNN }

func (m *batchMixer) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	h := m.step(ctx, x)
	h = graph.Sub(h, graph.ReduceAndKeep(h, graph.ReduceMean, 0))
	ctx.Set(m.H, h)
	return graph.MatMul(h, ctx.Value(m.Wo))
}

// TestShardsProbe: a model that mixes samples is refused when shards are asked for and runs
// whole (with the same result as Shards 1) when they are automatic; a model that treats
// samples alone gets one shard per core automatically; bad Shards values are errors.
func TestShardsProbe(t *testing.T) {
	b := shardSetup(t)
	xs := randTensor(1, 1, b, 9, 2)
	ys := randTensor(2, 1, b, 9, 1)
	grad := func(m bpgo.Stepper, shards int) (*bpgo.GradResult, *bpgo.Grad, error) {
		g, err := bpgo.NewGrad(m, mseL2, bpgo.GradOptions{Chunk: 4, Monitors: []string{"H"}, Shards: shards})
		if err != nil {
			t.Fatal(err)
		}
		r, err := g.Compute(xs, ys)
		return r, g, err
	}
	bpgo.SetSeed(7)
	mix := &batchMixer{newTanhRNN(t, 2, 5, 1, b)}
	if _, _, err := grad(mix, 2); err == nil || !strings.Contains(err.Error(), "cannot run its batch in 2 shards") {
		t.Errorf("Shards 2 on a model that mixes samples: error %v, want one saying it cannot run in 2 shards", err)
	}
	auto, g, err := grad(mix, 0)
	if err != nil {
		t.Fatal(err)
	}
	if g.LastShards() != 1 {
		t.Errorf("automatic shards on a model that mixes samples ran %d shards, want 1", g.LastShards())
	}
	whole, _, err := grad(mix, 1)
	if err != nil {
		t.Fatal(err)
	}
	if auto.Loss != whole.Loss {
		t.Errorf("automatic shards on a model that mixes samples: loss %v, whole batch %v", auto.Loss, whole.Loss)
	}

	bpgo.SetSeed(7)
	if _, g, err := grad(newTanhRNN(t, 2, 5, 1, b), 0); err != nil || g.LastShards() != 2 {
		t.Errorf("automatic shards with 2 cores and %d samples: %d shards (error %v), want 2", b, g.LastShards(), err)
	}
	if _, _, err := grad(newTanhRNN(t, 2, 5, 1, b), 3); err == nil || !strings.Contains(err.Error(), "divisible by 3") {
		t.Errorf("Shards 3 with batch %d: error %v, want one about divisibility", b, err)
	}
	if _, err := bpgo.NewGrad(newTanhRNN(t, 2, 5, 1, b), mseL2, bpgo.GradOptions{Shards: -1}); err == nil || !strings.Contains(err.Error(), "GradOptions.Shards") {
		t.Errorf("Shards -1: error %v, want one naming GradOptions.Shards", err)
	}
}

// TestShardsNoBatchAxis: a state without a batch axis (a noise generator's key) keeps the
// batch whole.
func TestShardsNoBatchAxis(t *testing.T) {
	onGoBackend(t)
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	m := newNoisyLeak()
	g, err := bpgo.NewGrad(m, func(lc *bpgo.LossContext, out, y *graph.Node) *graph.Node {
		return graph.ReduceAllMean(graph.Square(graph.Sub(out, y)))
	}, bpgo.GradOptions{Chunk: 2, Shards: 3})
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.Compute(randTensor(9, 1, 3, 7, 1), randTensor(3, 1, 3, 7, 2))
	if err == nil || !strings.Contains(err.Error(), "no leading batch axis") {
		t.Errorf("Shards 3 with a random state: error %v, want one naming the state without a batch axis", err)
	}
}

// sumHook accumulates, per step, the batch sum of the output (a sum over samples, declared)
// and, per sample, the running output (with a batch axis); with max it keeps the batch maximum
// instead, which it wrongly declares a sum.
type sumHook struct {
	Total, PerSample *bpgo.Variable
	undeclared, max  bool
}

func (h *sumHook) HookVars() []*bpgo.Variable { return []*bpgo.Variable{h.Total, h.PerSample} }

func (h *sumHook) SummedVars() []*bpgo.Variable {
	if h.undeclared {
		return nil
	}
	return []*bpgo.Variable{h.Total}
}

func (h *sumHook) OnStep(sc *bpgo.StepContext) {
	per := graph.ReduceSum(sc.Y, 1) // (B)
	s := graph.ReduceSum(per, 0)
	if h.max {
		s = graph.ReduceMax(per, 0)
	}
	sc.Set(h.Total, graph.Add(sc.Value(h.Total), graph.Reshape(s, 1)))
	sc.Set(h.PerSample, graph.Add(sc.Value(h.PerSample), graph.InsertAxes(per, 1)))
}

func newSumHook(batch int) *sumHook {
	return &sumHook{Total: bpgo.NewState(bpgo.Zeros(1), -1), PerSample: bpgo.NewState(bpgo.Zeros(batch, 1), 0)}
}

// TestRunnerShards: a run in shards gives the whole batch's outputs, monitors, state and
// per-sample hook values to the bit and its summed hook values up to rounding; hooks whose
// variables are not sums over samples, OnChunk and bad values are refused; automatic shards
// take one per core.
func TestRunnerShards(t *testing.T) {
	b := shardSetup(t)
	xs := randTensor(1, 1, b, 11, 2)
	type result struct {
		out, mon, h, total, per []float64
		shards                  int
	}
	run := func(shards int, hook *sumHook, opts bpgo.RunOptions) (result, error) {
		bpgo.SetSeed(7)
		m := newTanhRNN(t, 2, 5, 1, b)
		ro := bpgo.RunnerOptions{Chunk: 4, Monitors: []string{"H"}, Shards: shards}
		if hook != nil {
			ro.Hook = hook
		}
		r, err := bpgo.NewRunner(m, ro)
		if err != nil {
			t.Fatal(err)
		}
		if hook != nil {
			opts.Targets = randTensor(3, 1, b, 11, 1)
		}
		out, err := r.Run(xs, opts)
		if err != nil {
			return result{}, err
		}
		res := result{out: bpgo.ToFloat64s(out), mon: bpgo.ToFloat64s(r.Mon["H"]), h: bpgo.ToFloat64s(m.H.Value()), shards: r.LastShards()}
		if hook != nil {
			res.total, res.per = hook.Total.Float64s(), hook.PerSample.Float64s()
		}
		return res, nil
	}
	whole, err := run(1, newSumHook(b), bpgo.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, shards := range []int{0, 2, 4} {
		got, err := run(shards, newSumHook(b), bpgo.RunOptions{})
		if err != nil {
			t.Fatalf("Shards %d: %v", shards, err)
		}
		if want := max(shards, 2); got.shards != want {
			t.Errorf("Shards %d ran %d shards, want %d", shards, got.shards, want)
		}
		if !slices.Equal(got.out, whole.out) || !slices.Equal(got.mon, whole.mon) || !slices.Equal(got.h, whole.h) || !slices.Equal(got.per, whole.per) {
			t.Errorf("Shards %d: outputs, monitors, state or per-sample hook values differ from the whole batch's", shards)
		}
		if e := relErr(got.total, whole.total); e > 1e-12 {
			t.Errorf("Shards %d: summed hook value %v, whole batch %v", shards, got.total, whole.total)
		}
	}
	bad := []struct {
		hook *sumHook
		opts bpgo.RunOptions
		want string
	}{
		{&sumHook{Total: newSumHook(b).Total, PerSample: newSumHook(b).PerSample, undeclared: true}, bpgo.RunOptions{}, "does not declare it a sum"},
		{&sumHook{Total: newSumHook(b).Total, PerSample: newSumHook(b).PerSample, max: true}, bpgo.RunOptions{}, "is not a sum over samples"},
		{nil, bpgo.RunOptions{OnChunk: func(*bpgo.Chunk) error { return nil }}, "OnChunk"},
	}
	for _, c := range bad {
		if _, err := run(2, c.hook, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Shards 2: error %v, want one saying %q", err, c.want)
		}
		if got, err := run(0, c.hook, c.opts); err != nil || got.shards != 1 {
			t.Errorf("automatic shards where %q: %d shards, error %v; want the whole batch", c.want, got.shards, err)
		}
	}
	if _, err := bpgo.NewRunner(newTanhRNN(t, 2, 5, 1, b), bpgo.RunnerOptions{Shards: -1}); err == nil || !strings.Contains(err.Error(), "Shards") {
		t.Errorf("Shards -1: error %v, want one naming Shards", err)
	}
}

// countHook counts, summed over samples, the steps it ran with and without a target, and adds
// up the targets it saw.
type countHook struct{ Loud, Quiet, Seen *bpgo.Variable }

func (h *countHook) HookVars() []*bpgo.Variable   { return []*bpgo.Variable{h.Loud, h.Quiet, h.Seen} }
func (h *countHook) SummedVars() []*bpgo.Variable { return h.HookVars() }

func (h *countHook) OnStep(sc *bpgo.StepContext) {
	batch := graph.Reshape(graph.ReduceSum(graph.OnesLike(sc.Y), 0, 1), 1) // (1): samples × outputs
	if sc.Target == nil {
		sc.Set(h.Quiet, graph.Add(sc.Value(h.Quiet), batch))
		return
	}
	sc.Set(h.Loud, graph.Add(sc.Value(h.Loud), batch))
	sc.Set(h.Seen, graph.Add(sc.Value(h.Seen), graph.Reshape(graph.ReduceAllSum(sc.Target), 1)))
}

// zeroCountHook is countHook declaring that a zero target row means no target.
type zeroCountHook struct{ countHook }

func (h *zeroCountHook) ZeroTargetsAreNone() {}

// TestZeroTargetHook: a ZeroTargetHook runs the chunks whose targets are all zero without
// targets (the whole batch and in shards), the others with them, and sees every target; a
// plain hook sees targets at every step.
func TestZeroTargetHook(t *testing.T) {
	onGoBackend(t)
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	b, steps := 2*bpgo.MinShardRows, 11
	xs := randTensor(1, 1, b, steps, 2)
	// Targets zero at steps 0-7 (chunks [0, 4) and [4, 8)) and at step 8; chunk [8, 11) has
	// some.
	tg := make([]float64, b*steps)
	want := 0.0
	for s := range b {
		for k := 9; k < steps; k++ {
			tg[s*steps+k] = float64(s + k)
			want += float64(s + k)
		}
	}
	targets := bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), tg, b, steps, 1))
	newCount := func() countHook {
		return countHook{bpgo.NewState(bpgo.Zeros(1), -1), bpgo.NewState(bpgo.Zeros(1), -1), bpgo.NewState(bpgo.Zeros(1), -1)}
	}
	for _, shards := range []int{1, 2} {
		for _, zero := range []bool{true, false} {
			var hook bpgo.StepHook
			c := newCount()
			counts := &c
			if zero {
				z := &zeroCountHook{c}
				hook, counts = z, &z.countHook
			} else {
				hook = counts
			}
			r, err := bpgo.NewRunner(newTanhRNN(t, 2, 5, 1, b), bpgo.RunnerOptions{Chunk: 4, Shards: shards, Hook: hook})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Run(xs, bpgo.RunOptions{Targets: targets}); err != nil {
				t.Fatalf("Shards %d: %v", shards, err)
			}
			quiet, loud := 8.0*float64(b), 3.0*float64(b)
			if !zero {
				quiet, loud = 0, float64(b*steps)
			}
			if q, l, s := counts.Quiet.Float64s()[0], counts.Loud.Float64s()[0], counts.Seen.Float64s()[0]; q != quiet || l != loud || s != want {
				t.Errorf("Shards %d, ZeroTargetHook %v: %v sample-steps without targets, %v with, targets summing to %v; want %v, %v, %v",
					shards, zero, q, l, s, quiet, loud, want)
			}
		}
	}
}

// TestShardsAcrossRuns: a sharded runner carries its per-sample states and hook values from
// one run to the next in the shards' rows (a streamed trial's windows of one length, after the
// first of which the shards are not probed again), giving what one whole run gives; reading a
// value whole between runs, replacing it, or a refused run on the way changes nothing of that.
func TestShardsAcrossRuns(t *testing.T) {
	b := shardSetup(t)
	xs, ys := randTensor(1, 1, b, 12, 2), randTensor(3, 1, b, 12, 1)
	type model struct {
		m *tanhRNN
		h *sumHook
		r *bpgo.Runner
	}
	build := func(shards int) model {
		bpgo.SetSeed(7)
		m, h := newTanhRNN(t, 2, 5, 1, b), newSumHook(b)
		r, err := bpgo.NewRunner(m, bpgo.RunnerOptions{Chunk: 3, Hook: h, Shards: shards})
		if err != nil {
			t.Fatal(err)
		}
		return model{m, h, r}
	}
	whole := build(1)
	if _, err := whole.r.Run(xs, bpgo.RunOptions{Targets: ys}); err != nil {
		t.Fatal(err)
	}
	for _, peek := range []string{"", "shape", "value", "set", "refused"} {
		sh := build(2)
		for i, w := range [][2]int{{0, 4}, {4, 4}, {8, 4}} {
			xw, yw := bpgo.Must1(bpgo.SliceTime(xs, w[0], w[1])), bpgo.Must1(bpgo.SliceTime(ys, w[0], w[1]))
			if _, err := sh.r.Run(xw, bpgo.RunOptions{Targets: yw, ResetState: i == 0}); err != nil {
				t.Fatalf("%s: window %v: %v", peek, w, err)
			}
			if sh.r.LastShards() != 2 {
				t.Fatalf("%s: window %v ran %d shards, want 2", peek, w, sh.r.LastShards())
			}
			if i != 1 {
				continue
			}
			switch peek {
			case "shape":
				if d := sh.m.H.Shape().Dimensions; !slices.Equal(d, []int{b, 5}) {
					t.Errorf("state shape between runs %v, want [%d 5]", d, b)
				}
			case "value":
				_ = sh.m.H.Value()
				_ = sh.h.PerSample.Float64s()
			case "set":
				if err := sh.m.H.SetValue(sh.m.H.Value()); err != nil {
					t.Fatal(err)
				}
			case "refused":
				bad := bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, make([]float64, b*3*3), b, 3, 3))
				if _, err := sh.r.Run(bad, bpgo.RunOptions{Targets: yw}); err == nil {
					t.Fatalf("a run with 3 input features was not refused")
				}
			}
		}
		if !slices.Equal(sh.m.H.Float64s(), whole.m.H.Float64s()) || !slices.Equal(sh.h.PerSample.Float64s(), whole.h.PerSample.Float64s()) {
			t.Errorf("%s: state or per-sample hook values after three sharded runs differ from one whole run's", peek)
		}
		if e := relErr(sh.h.Total.Float64s(), whole.h.Total.Float64s()); e > 1e-12 {
			t.Errorf("%s: summed hook value %v, whole run %v", peek, sh.h.Total.Float64s(), whole.h.Total.Float64s())
		}
	}
}
