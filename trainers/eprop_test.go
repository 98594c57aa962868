package trainers_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/bpgo/losses"
	"github.com/bpgo/bpgo/bpgo/optim"
	"github.com/bpgo/bpgo/models"
	"github.com/bpgo/bpgo/trainers"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// eligSNN is the seed's EligSNN: ALIF neurons fed by the input and by their own spikes of the
// previous step, read out by a leaky unit. Eprop stops the gradient through the recurrent
// spikes (the seed's switch).
type eligSNN struct {
	R             *models.ALIFBellec2020
	I2R, R2R, R2O *models.Dense
	O             *models.Leaky
	Eprop         bool `bpgo:"-"`
}

func (m *eligSNN) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	z := ctx.Value(m.R.Spike)
	if m.Eprop {
		z = graph.StopGradient(z)
	}
	i := graph.Add(m.R2R.Update(ctx, z), m.I2R.Update(ctx, x))
	return m.O.Update(ctx, m.R2O.Update(ctx, m.R.Update(ctx, i)))
}

func (m *eligSNN) network() trainers.EPropNetwork {
	return trainers.EPropNetwork{Neurons: m.R, In: m.I2R, Rec: m.R2R, Out: m.R2O, Readout: m.O}
}

// newEligSNN builds a small network with strong weights so that neurons spike, adapt and go
// refractory within a short trial.
func newEligSNN(t *testing.T, nIn, n, k int, betas []float64, resetCut bool) *eligSNN {
	t.Helper()
	defer bpgo.UseMode(bpgo.TrainingMode)()
	bpgo.SetSeed(3)
	o := models.ALIFDefaults()
	o.VRest, o.VTh, o.TauRef, o.Tau, o.TauA = 0, 0.6, 2, 20, 100
	o.Betas = betas
	o.VInit, o.AInit = initializers.Zero{}, initializers.Zero{}
	o.NoInputVar, o.Eprop = true, resetCut
	r := bpgo.Must1(models.NewALIFBellec2020(n, o))
	// Excitatory inputs (|w|) drive the neurons; the recurrent weights have both signs.
	dense := func(in, out int, scale float64, excitatory bool) *models.Dense {
		d := bpgo.Must1(models.NewDense(in, out, models.DenseOptions{WInit: initializers.KaimingNormal{Scale: 2}, NoBias: true}))
		w := d.W.Float64s()
		for i := range w {
			if excitatory {
				w[i] = math.Abs(w[i])
			}
			w[i] *= scale
		}
		bpgo.Must(d.W.SetValue(bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), w, in, out))))
		return d
	}
	lo := models.LeakyDefaults()
	lo.Tau = 20
	return &eligSNN{R: r, I2R: dense(nIn, n, 6, true), R2R: dense(n, n, 3, false), R2O: dense(n, k, 1, false),
		O: bpgo.Must1(models.NewLeaky(k, lo)), Eprop: true}
}

// spikeTrains draws Bernoulli(p) input spikes (B, T, C) and random labels.
func spikeTrains(b, steps, c int, p float64, k int, seed uint64) (*tensors.Tensor, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	xs := make([]float64, b*steps*c)
	for i := range xs {
		if rng.Float64() < p {
			xs[i] = 1
		}
	}
	labels := make([]int, b)
	for i := range labels {
		labels[i] = rng.IntN(k)
	}
	return bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), xs, b, steps, c)), labels
}

// seedLoss is the seed's loss: cross-entropy of the readout over the last window steps against
// the labels (mean over trials and steps) plus the firing-rate regulariser
// regW·Σ_n (mean_{b,t} z/dt − rate)² on the monitored spikes (dt = 1 here).
func seedLoss(window int, regW, rate float64) bpgo.LossFunc {
	return func(lc *bpgo.LossContext, out, labels *graph.Node) *graph.Node {
		steps, k := out.Shape().Dimensions[1], out.Shape().Dimensions[2]
		logits := graph.SliceAxis(out, 1, graph.AxisRange(steps-window, steps))
		oneHot := graph.OneHot(graph.ConvertDType(labels, dtypes.Int32), k, lc.DType())
		tiled := graph.BroadcastToDims(graph.InsertAxes(oneHot, 1), logits.Shape().Dimensions...)
		ce := graph.ReduceAllMean(losses.CrossEntropy(logits, tiled))
		av := graph.ReduceMean(lc.Monitor("R.Spike"), 0, 1)
		reg := graph.MulScalar(graph.ReduceAllSum(graph.Square(graph.AddScalar(av, -rate))), regW)
		lc.Aux("loss reg", reg)
		return graph.Add(ce, reg)
	}
}

func labelTensor(labels []int) *tensors.Tensor {
	f := make([]float64, len(labels))
	for i, l := range labels {
		f[i] = float64(l)
	}
	return bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), f, len(labels)))
}

// TestEPropMatchesTruncatedBPTT: with symmetric feedback, e-prop's accumulated update is the
// BPTT gradient of the same network with two dependencies cut by stop-gradients — the
// recurrent spikes fed back through R2R and the reset term V −= V_th·z — and everything else
// (adaptation, refractoriness, the readout's filtering, the rate regulariser) kept.
func TestEPropMatchesTruncatedBPTT(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const b, steps, nIn, n, k, window = 3, 60, 4, 6, 2, 20
	betas := []float64{0, 0, 1, 1, 0.3, 0.3}
	xs, labels := spikeTrains(b, steps, nIn, 0.5, k, 7)

	net := newEligSNN(t, nIn, n, k, betas, true)
	g := bpgo.Must1(bpgo.NewGrad(net, seedLoss(window, 1, 0.01), bpgo.GradOptions{Monitors: []string{"R.Spike"}, Chunk: 25, Dt: 1}))
	want := bpgo.Must1(g.Compute(xs, labelTensor(labels)))
	spikes := 0.0
	r := bpgo.Must1(bpgo.NewRunner(net, bpgo.RunnerOptions{Monitors: []string{"R.Spike"}, Dt: 1}))
	bpgo.Must1(r.Run(xs, bpgo.RunOptions{ResetState: true}))
	for _, s := range bpgo.ToFloat64s(r.Mon["R.Spike"]) {
		spikes += s
	}
	if spikes < 30 {
		t.Fatalf("only %v spikes: the test network is too quiet to exercise the traces", spikes)
	}

	ys := bpgo.Must1(trainers.EvidenceTargets(labels, steps, window, k))
	// The traces advance a compiled chunk at a time (blocks of 1, 7 with a short last one, 25
	// and the whole trial); every block size must give BPTT's gradient.
	var got *trainers.EPropResult
	for _, chunk := range []int{1, 7, 25, steps} {
		o := trainers.EPropDefaults()
		o.Chunk, o.Dt = chunk, 1
		ep := bpgo.Must1(trainers.NewEProp(net, net.network(), o))
		got = bpgo.Must1(ep.Compute(xs, ys))
		checkEPropAgainst(t, fmt.Sprintf("chunk %d", chunk), net, got, want)
	}

	// Run as one shard per trial (bpgo's batch shards), both give the same: the update is a sum
	// over samples.
	o := trainers.EPropDefaults()
	o.Chunk, o.Dt, o.Shards = 7, 1, b
	ep := bpgo.Must1(trainers.NewEProp(net, net.network(), o))
	checkEPropAgainst(t, fmt.Sprintf("%d shards", b), net, bpgo.Must1(ep.Compute(xs, ys)), want)
	gs := bpgo.Must1(bpgo.NewGrad(net, seedLoss(window, 1, 0.01), bpgo.GradOptions{Monitors: []string{"R.Spike"}, Chunk: 25, Dt: 1, Shards: b}))
	sharded := bpgo.Must1(gs.Compute(xs, labelTensor(labels)))
	for _, w := range []*bpgo.Variable{net.I2R.W, net.R2R.W, net.R2O.W} {
		a, e := bpgo.ToFloat64s(sharded.Grads[w]), bpgo.ToFloat64s(want.Grads[w])
		for i := range a {
			if math.Abs(a[i]-e[i]) > 1e-12*(1+math.Abs(e[i])) {
				t.Fatalf("BPTT in %d shards: gradient of %s differs from the whole batch's at %d: %v vs %v", b, w.Name(), i, a[i], e[i])
			}
		}
	}

	// Full BPTT (no cuts) differs: e-prop is an approximation of it.
	full := newEligSNN(t, nIn, n, k, betas, false)
	full.Eprop = false
	gf := bpgo.Must1(bpgo.NewGrad(full, seedLoss(window, 1, 0.01), bpgo.GradOptions{Monitors: []string{"R.Spike"}, Chunk: 25, Dt: 1}))
	fullRes := bpgo.Must1(gf.Compute(xs, labelTensor(labels)))
	fw, gw := bpgo.ToFloat64s(fullRes.Grads[full.R2R.W]), bpgo.ToFloat64s(got.Grads[net.R2R.W])
	diff := 0.0
	for i := range fw {
		diff = math.Max(diff, math.Abs(fw[i]-gw[i]))
	}
	if diff < 1e-6 {
		t.Errorf("full BPTT's recurrent gradient equals e-prop's (max diff %g): the test does not see the cut dependencies", diff)
	}
}

// Random feedback equal to the readout's weights gives the symmetric update; other random
// weights give a different one.
// TestEPropMatchesBPTTLarger repeats the comparison with BPTT on a network large enough for the Go
// backend's own routes: traces of at least 1024 values per batch shard, which its executor fuses,
// and sparse spikes, whose products it then computes inside the fused trace update from the
// chunk's step values without stacking them (bpgo/third_party/README.md, patches 5, 8 and 10; the
// batch shards run sequentially, where that route is taken).
func TestEPropMatchesBPTTLarger(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const b, steps, nIn, n, k, window = 4, 60, 30, 16, 2, 20
	betas := make([]float64, n)
	for i := n / 2; i < n; i++ {
		betas[i] = 1.5
	}
	xs, labels := spikeTrains(b, steps, nIn, 0.04, k, 11)
	net := newEligSNN(t, nIn, n, k, betas, true)
	g := bpgo.Must1(bpgo.NewGrad(net, seedLoss(window, 1, 0.01), bpgo.GradOptions{Monitors: []string{"R.Spike"}, Chunk: 25, Dt: 1}))
	want := bpgo.Must1(g.Compute(xs, labelTensor(labels)))
	ys := bpgo.Must1(trainers.EvidenceTargets(labels, steps, window, k))
	for _, shards := range []int{1, 2} {
		o := trainers.EPropDefaults()
		o.Chunk, o.Dt, o.Shards = 25, 1, shards
		ep := bpgo.Must1(trainers.NewEProp(net, net.network(), o))
		checkEPropAgainst(t, fmt.Sprintf("%d shards", shards), net, bpgo.Must1(ep.Compute(xs, ys)), want)
	}
}

func TestEPropRandomFeedback(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const b, steps, nIn, n, k, window = 2, 30, 3, 4, 2, 10
	net := newEligSNN(t, nIn, n, k, []float64{0, 0, 1, 1}, true)
	xs, labels := spikeTrains(b, steps, nIn, 0.3, k, 9)
	ys := bpgo.Must1(trainers.EvidenceTargets(labels, steps, window, k))
	sym := bpgo.Must1(bpgo.Must1(trainers.NewEProp(net, net.network(), trainers.EPropDefaults())).Compute(xs, ys))
	o := trainers.EPropDefaults()
	o.Feedback, o.FeedbackWeights = trainers.RandomFeedback, net.R2O.W.Value()
	same := bpgo.Must1(bpgo.Must1(trainers.NewEProp(net, net.network(), o)).Compute(xs, ys))
	o.FeedbackWeights = nil
	o.Seed = 5
	rnd := bpgo.Must1(bpgo.Must1(trainers.NewEProp(net, net.network(), o)).Compute(xs, ys))
	a, s, r := bpgo.ToFloat64s(sym.Grads[net.I2R.W]), bpgo.ToFloat64s(same.Grads[net.I2R.W]), bpgo.ToFloat64s(rnd.Grads[net.I2R.W])
	differs := false
	for i := range a {
		if math.Abs(a[i]-s[i]) > 1e-12*(1+math.Abs(a[i])) {
			t.Fatalf("random feedback = W_out: element %d is %v, symmetric gives %v", i, s[i], a[i])
		}
		differs = differs || math.Abs(a[i]-r[i]) > 1e-9
	}
	if !differs {
		t.Error("random feedback gave the symmetric update")
	}
	// The readout's update does not depend on the feedback.
	if ro, rr := bpgo.ToFloat64s(sym.Grads[net.R2O.W]), bpgo.ToFloat64s(rnd.Grads[net.R2O.W]); math.Abs(ro[0]-rr[0]) > 1e-12 {
		t.Errorf("readout update depends on the feedback: %v vs %v", ro, rr)
	}
}

func TestEPropErrors(t *testing.T) {
	net := newEligSNN(t, 3, 4, 2, []float64{0, 0, 1, 1}, true)
	check := func(what string, err error, want string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got error %v, want one containing %q", what, err, want)
		}
	}
	o := trainers.EPropDefaults()
	o.Feedback, o.FeedbackWeights = trainers.RandomFeedback, bpgo.Zeros(2, 4)
	_, err := trainers.NewEProp(net, net.network(), o)
	check("feedback shape", err, "EPropOptions.FeedbackWeights: shape [2 4], want (4, 2)")
	o = trainers.EPropDefaults()
	o.FeedbackWeights = bpgo.Zeros(4, 2)
	_, err = trainers.NewEProp(net, net.network(), o)
	check("feedback without RandomFeedback", err, "use RandomFeedback")
	o = trainers.EPropDefaults()
	o.RegWeight = -1
	_, err = trainers.NewEProp(net, net.network(), o)
	check("reg weight", err, "EPropOptions.RegWeight")
	o = trainers.EPropDefaults()
	o.UpdateEvery = -5
	_, err = trainers.NewEProp(net, net.network(), o)
	check("update every", err, "EPropOptions.UpdateEvery: want 0 (once per trial) or a number of steps > 0, got -5")
	bad := net.network()
	bad.Rec = net.I2R
	_, err = trainers.NewEProp(net, bad, trainers.EPropDefaults())
	check("rec shape", err, "EPropNetwork.Rec: W has shape [3 4], want (4, 4)")
	bad = net.network()
	bad.Readout = nil
	_, err = trainers.NewEProp(net, bad, trainers.EPropDefaults())
	check("missing part", err, "are all required")

	ep := bpgo.Must1(trainers.NewEProp(net, net.network(), trainers.EPropDefaults()))
	xs, labels := spikeTrains(2, 10, 5, 0.3, 2, 1)
	ys := bpgo.Must1(trainers.EvidenceTargets(labels, 10, 5, 2))
	_, err = ep.Compute(xs, ys)
	check("channels", err, "inputs: shape [2 10 5], want (batch, steps, 3): the network has 3 input channels")
	xs, _ = spikeTrains(2, 10, 3, 0.3, 2, 1)
	_, err = ep.Compute(xs, bpgo.Zeros(2, 10, 3))
	check("targets", err, "targets: shape [2 10 3], want (2, 10, 2)")
	_, err = ep.Compute(xs, bpgo.Zeros(2, 10, 2))
	check("no targets", err, "no step has a target")
	_, err = trainers.EvidenceTargets([]int{0, 2}, 10, 5, 2)
	check("label", err, "labels[1] = 2, want 0..1")
}

// Fit applies one update per batch and prints BPTT's report lines: loss, then accuracy and
// loss reg (alphabetical).
func TestEPropFit(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const b, steps, nIn, n, k, window = 2, 20, 3, 4, 2, 5
	net := newEligSNN(t, nIn, n, k, []float64{0, 0, 1, 1}, true)
	var batches []trainers.Batch
	for s := range 4 {
		xs, labels := spikeTrains(b, steps, nIn, 0.5, k, uint64(s))
		batches = append(batches, trainers.Batch{X: xs, Y: bpgo.Must1(trainers.EvidenceTargets(labels, steps, window, k))})
	}
	var out strings.Builder
	o := trainers.EPropDefaults()
	o.Out, o.Dt = &out, 1
	ep := bpgo.Must1(trainers.NewEProp(net, net.network(), o))
	before := net.R2R.W.Float64s()
	bpgo.Must(ep.Fit(trainers.Batches(batches...), 2, trainers.FitOptions{NumReport: 2}))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("want 4 report lines (every 2 of 8 steps), got %q", out.String())
	}
	re := regexp.MustCompile(`^Train (\d+) steps, use \d+\.\d{4} s, loss [0-9.e-]+, accuracy [0-9.e-]+, loss reg [0-9.e-]+$`)
	for i, l := range lines {
		if m := re.FindStringSubmatch(l); m == nil || m[1] != strconv.Itoa(2*(i+1)) {
			t.Errorf("line %d: %q", i, l)
		}
	}
	if got := len(ep.History().Detailed(trainers.FitPhase, "accuracy")); got != 8 {
		t.Errorf("history holds %d steps, want 8", got)
	}
	after := net.R2R.W.Float64s()
	moved := false
	for i := range before {
		moved = moved || before[i] != after[i]
	}
	if !moved {
		t.Error("Fit did not change the recurrent weights")
	}
}

// checkEPropAgainst compares e-prop's loss and gradients with the truncated BPTT result.
func checkEPropAgainst(t *testing.T, what string, net *eligSNN, got *trainers.EPropResult, want *bpgo.GradResult) {
	t.Helper()
	if math.Abs(got.Loss-want.Loss) > 1e-12*math.Abs(want.Loss) {
		t.Errorf("%s: loss: e-prop %v, BPTT %v", what, got.Loss, want.Loss)
	}
	if math.Abs(got.Reg-want.Aux["loss reg"]) > 1e-12 {
		t.Errorf("%s: loss reg: e-prop %v, BPTT %v", what, got.Reg, want.Aux["loss reg"])
	}
	for name, v := range map[string]*bpgo.Variable{"I2R.W": net.I2R.W, "R2R.W": net.R2R.W, "R2O.W": net.R2O.W} {
		gw, ww := bpgo.ToFloat64s(got.Grads[v]), bpgo.ToFloat64s(want.Grads[v])
		num, den := 0.0, 0.0
		for i := range ww {
			num += (gw[i] - ww[i]) * (gw[i] - ww[i])
			den += ww[i] * ww[i]
		}
		if den == 0 {
			t.Fatalf("%s: %s: the BPTT gradient is zero", what, name)
		}
		rel := math.Sqrt(num / den)
		t.Logf("%s: %s: relative difference %.3g", what, name, rel)
		if rel > 1e-8 {
			t.Errorf("%s: %s: relative difference %.3g between e-prop and truncated BPTT\n e-prop %v\n BPTT   %v", what, name, rel, gw, ww)
		}
	}
}

// TestEPropUpdateEvery: with online updates the traces run on across the updates, so with a
// learning rate too small to move any weight (1e-300, far below their last digit; the
// optimizers refuse 0) the updates add up to the once-per-trial gradient; an UpdateEvery of T or
// more is the once-per-trial step; a real learning rate makes the two differ.
func TestEPropUpdateEvery(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const b, steps, nIn, n, k, window = 2, 30, 3, 5, 2, 20
	xs, labels := spikeTrains(b, steps, nIn, 0.5, k, 11)
	ys := bpgo.Must1(trainers.EvidenceTargets(labels, steps, window, k))
	run := func(lr float64, every int, compute bool) (*trainers.EPropResult, []float64) {
		net := newEligSNN(t, nIn, n, k, []float64{0, 0, 1, 1, 0.5}, true)
		o := trainers.EPropDefaults()
		o.Dt, o.Chunk, o.RegWeight, o.UpdateEvery = 1, 8, 0, every
		o.Optimizer = bpgo.Must1(optim.NewSGD(optim.Constant(lr), optim.SGDDefaults()))
		ep := bpgo.Must1(trainers.NewEProp(net, net.network(), o))
		if compute {
			return bpgo.Must1(ep.Compute(xs, ys)), net.R2R.W.Float64s()
		}
		return bpgo.Must1(ep.Step(xs, ys)), net.R2R.W.Float64s()
	}
	const still = 1e-300
	want, w0 := run(still, 0, true)
	for _, every := range []int{7, 13} {
		got, w := run(still, every, false)
		if !slices.Equal(w, w0) {
			t.Fatalf("UpdateEvery %d with lr %g changed the weights", every, still)
		}
		byName := map[string][]float64{} // each run builds its own network
		for v, g := range got.Grads {
			byName[v.Name()] = bpgo.ToFloat64s(g)
		}
		for v, g := range want.Grads {
			if d := maxRelDiff(byName[v.Name()], bpgo.ToFloat64s(g)); d > 1e-12 {
				t.Errorf("UpdateEvery %d, tiny lr: %s: summed updates differ from the trial's gradient by %.3g", every, v.Name(), d)
			}
		}
		if got.Loss != want.Loss || got.Accuracy != want.Accuracy {
			t.Errorf("UpdateEvery %d, tiny lr: loss %v accuracy %v, want %v %v", every, got.Loss, got.Accuracy, want.Loss, want.Accuracy)
		}
	}
	_, once := run(0.5, 0, false)
	_, whole := run(0.5, steps, false)
	if !slices.Equal(once, whole) {
		t.Error("UpdateEvery = T differs from once per trial")
	}
	res, online := run(0.5, 7, false)
	if slices.Equal(once, online) || math.IsNaN(res.Loss) {
		t.Errorf("UpdateEvery 7 with lr 0.5 gave the once-per-trial weights (or a NaN loss %v)", res.Loss)
	}
}

// maxRelDiff is max |a−b| / (max |b| + tiny).
func maxRelDiff(a, b []float64) float64 {
	d, s := 0.0, 1e-300
	for i := range b {
		d = math.Max(d, math.Abs(a[i]-b[i]))
		s = math.Max(s, math.Abs(b[i]))
	}
	return d / s
}
