package trainers

import (
	"math"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/models"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// epropModel runs the user's model and hands the hook the neurons' state from before the
// step (a_{t−1}, z_{t−1}, t_last_spike), which the step's Update overwrites.
type epropModel struct {
	Model bpgo.Stepper
	hook  *epropHook `bpgo:"-"`
}

func (m *epropModel) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	h, nr := m.hook, m.hook.net.Neurons
	h.aPrev, h.zPrev = ctx.Value(nr.A), ctx.Value(nr.Spike)
	if nr.TLastSpike != nil {
		h.tlsPrev = ctx.Value(nr.TLastSpike)
	}
	return m.Model.Update(ctx, x)
}

// epropHook keeps the eligibility traces and the accumulated update (see EProp).
type epropHook struct {
	net    EPropNetwork
	nIn, k int
	fb     *tensors.Tensor // random feedback (N, K); nil: symmetric
	dtype  dtypes.DType
	n, p   int
	// The neurons' state before the current step, set by epropModel while the step's graph
	// is built.
	aPrev, zPrev, tlsPrev *graph.Node

	// Per trial and synapse (B, P, N), P = num_in + N presynaptic units (inputs, then the
	// recurrent neurons), N postsynaptic neurons (the weights' layout, presynaptic first):
	// ε^V, ε^a and the κ-filtered trace ē.
	epsV, epsA, eBar *bpgo.Variable
	// zBar (B, N): the κ-filtered spikes, Out.W's eligibility.
	zBar *bpgo.Variable
	// The steps of the compiled graph whose traces are not yet advanced (see advance).
	block []epropStep

	// Accumulators over the trial: gRec (P, N) Σ L·ē, eSum (P, N) Σ e, gOut (N, K) Σ z̄·δ,
	// spikes (N) Σ z, ce () Σ cross-entropy,
	// ySum, tSum (B, K) the readout and the targets summed over the target steps.
	gRec, eSum, gOut, spikes, ce, ySum, tSum *bpgo.Variable
}

func newEPropHook(net EPropNetwork, nIn, k int, fb *tensors.Tensor, dtype dtypes.DType) *epropHook {
	n := net.Neurons.Size
	p := nIn + n
	st := func(axis int, dims ...int) *bpgo.Variable { return bpgo.NewState(zerosOf(dtype, dims...), axis) }
	return &epropHook{net: net, nIn: nIn, k: k, fb: fb, dtype: dtype, n: n, p: p,
		epsV: st(0, 1, p, n), epsA: st(0, 1, p, n), eBar: st(0, 1, p, n), zBar: st(0, 1, n),
		gRec: st(-1, p, n), eSum: st(-1, p, n), gOut: st(-1, n, k), spikes: st(-1, n),
		ce: st(-1), ySum: st(0, 1, k), tSum: st(0, 1, k)}
}

// zerosOf is a tensor of zeros, allocated in dt directly: a trial's reset makes three
// (B, P, N) traces, 14 MB each in float64 at the seed's size.
func zerosOf(dt dtypes.DType, dims ...int) *tensors.Tensor {
	return tensors.FromShape(shapes.Make(dt, dims...))
}

func (h *epropHook) HookVars() []*bpgo.Variable {
	return []*bpgo.Variable{h.epsV, h.epsA, h.eBar, h.zBar, h.gRec, h.eSum, h.gOut, h.spikes, h.ce, h.ySum, h.tSum}
}

// SummedVars are the accumulators: sums over the trial's samples, which lets the runner split
// the batch between the cores (bpgo.SummedHook).
func (h *epropHook) SummedVars() []*bpgo.Variable {
	return []*bpgo.Variable{h.gRec, h.eSum, h.gOut, h.spikes, h.ce}
}

// ZeroTargetsAreNone makes the hook a bpgo.ZeroTargetHook: a zero target row is a step without
// a loss term, so the runner runs chunks without targets (the click task's cue and delay
// periods) in graphs without the learning-signal path (see OnStep).
func (h *epropHook) ZeroTargetsAreNone() {}

// reset zeroes the traces and accumulators for a trial of the given batch size.
func (h *epropHook) reset(batch int) {
	for _, v := range h.HookVars() {
		d := v.Shape().Dimensions
		if v.BatchAxis == 0 {
			d[0] = batch
		}
		v.Reset(zerosOf(h.dtype, d...))
	}
}

// resetUpdate zeroes the accumulated update (Σ L·ē, Σ e, Σ z̄·δ) and keeps the traces and the
// trial's metrics: EPropOptions.UpdateEvery applies the update several times per trial.
func (h *epropHook) resetUpdate() {
	for _, v := range []*bpgo.Variable{h.gRec, h.eSum, h.gOut} {
		v.Reset(zerosOf(h.dtype, v.Shape().Dimensions...))
	}
}

// OnStep computes the step's factors of the trace recurrence, the readout's error and the
// readout's update; at the graph's last step it advances the traces over all the graph's
// steps at once (see advance). A chunk without targets (the runner runs a chunk whose target
// rows are all zero so: ZeroTargetsAreNone) has no loss term at any step: its readout errors
// and learning signals are zero, and the graph leaves out everything they feed (the sums Σ L·ē
// and Σ z̄·δ, the cross-entropy, the readout sums), which would add only zeros.
func (h *epropHook) OnStep(sc *bpgo.StepContext) {
	nr := h.net.Neurons
	p := nr.Params()
	g := sc.Graph()
	c := func(v float64) *graph.Node { return graph.Scalar(g, h.dtype, v) }
	dt := sc.Dt()
	z := sc.Value(nr.Spike)
	// V'_t before the subtractive reset, and the surrogate derivative ψ = dz/dV'.
	vPre := graph.Add(sc.Value(nr.V), graph.MulScalar(z, p.VTh))
	var beta *graph.Node
	if len(p.Beta) == 1 {
		beta = c(p.Beta[0])
	} else {
		beta = graph.Const(g, bpgo.Must1(bpgo.FromFloat64s(h.dtype, p.Beta, 1, len(p.Beta))))
	}
	betaA := graph.Mul(beta, h.aPrev)
	arg := graph.Div(graph.Sub(graph.AddScalar(vPre, -p.VTh), betaA), c(p.VTh))
	psi := graph.Div(p.SpikeFun.Grad(arg), c(p.VTh))
	// dV'/dV and dV'/dI from the exp-Euler factor, as ALIFStep computes V'.
	fv := models.ExpEulerFactor(dt, p.Tau, h.dtype)
	cV := graph.BroadcastToShape(c(1-fv/p.Tau), z.Shape())
	dI := graph.BroadcastToShape(c(fv*p.R/p.Tau), z.Shape())
	if p.HasRef {
		refr := graph.LessOrEqual(graph.Sub(sc.T(), h.tlsPrev), c(p.TauRef))
		cV = graph.Where(refr, graph.OnesLike(cV), cV)
		dI = graph.Where(refr, graph.ZerosLike(dI), dI)
	}
	rho := 1 - models.ExpEulerFactor(dt, p.TauA, h.dtype)/p.TauA
	kappa := 1 - models.ExpEulerFactor(dt, h.net.Readout.Tau, h.dtype)/h.net.Readout.Tau

	pre := graph.Concatenate([]*graph.Node{sc.X, h.zPrev}, 1) // (B, P)
	if len(h.block) > 0 && h.block[0].psi.Graph() != g {
		h.block = h.block[:0] // left over from a graph whose build failed
	}
	bq := epropStep{cV: cV, dI: dI, psi: psi, pre: pre}
	zBar := graph.Add(graph.MulScalar(sc.Value(h.zBar), kappa), z)
	sc.Set(h.zBar, zBar)
	sc.Set(h.spikes, graph.Add(sc.Value(h.spikes), graph.ReduceSum(z, 0)))

	// Readout error at this step: δ = softmax(y)·m − target, m = Σ target (0: no loss here).
	y, tg := sc.Y, sc.Target
	var m, logp, delta *graph.Node
	if tg != nil {
		m = graph.ReduceSum(tg, 1)                                                // (B)
		logp = graph.LogSoftmax(y, 1)                                             // (B, K)
		delta = graph.Sub(graph.Mul(graph.Exp(logp), graph.InsertAxes(m, 1)), tg) // (B, K)
		var fb *graph.Node
		if h.fb != nil {
			fb = graph.Const(g, h.fb)
		} else {
			fb = sc.Value(h.net.Out.W)
		}
		// Learning signals (B, N) = δ·Bᵀ, with Bᵀ (K, N) contracted on its first axis: the
		// backend's plain product (the transpose is one node per graph).
		bq.l = graph.DotGeneral(delta, []int{1}, nil, graph.Transpose(fb, 0, 1), []int{0}, nil)
	}
	h.block = append(h.block, bq)
	if sc.Last {
		h.advance(sc, beta, rho, kappa)
	}
	if tg == nil {
		return
	}
	sc.Set(h.gOut, graph.Add(sc.Value(h.gOut), graph.Einsum("bj,bk->jk", zBar, delta)))
	sc.Set(h.ce, graph.Sub(sc.Value(h.ce), graph.ReduceAllSum(graph.Mul(tg, logp))))
	mC := graph.InsertAxes(m, 1)
	sc.Set(h.ySum, graph.Add(sc.Value(h.ySum), graph.Mul(y, graph.ConvertDType(graph.GreaterThan(mC, graph.ZerosLike(mC)), h.dtype))))
	sc.Set(h.tSum, graph.Add(sc.Value(h.tSum), tg))
}

// update turns the accumulated sums into the gradients of In.W, Rec.W and Out.W after steps
// of the trial's total steps: the cross-entropy part divided by count, the trial's number of
// target rows, and the regulariser's local term with each neuron's rate so far.
func (h *epropHook) update(batch, steps, total int, count, dt, regW, regRate float64) (bpgo.Grads, error) {
	n, p, nIn, k := h.n, h.p, h.nIn, h.k
	gRec, eSum, gOut, spikes := h.gRec.Float64s(), h.eSum.Float64s(), h.gOut.Float64s(), h.spikes.Float64s()
	coef := make([]float64, n)
	for j := range n {
		r := spikes[j] / float64(batch*steps) / dt
		coef[j] = regW * 2 * (r - regRate) / (dt * float64(batch*total))
	}
	// (P, N), the weights' layout: In.W's rows, then Rec.W's.
	w := make([]float64, p*n)
	for i := range w {
		w[i] = gRec[i]/count + coef[i%n]*eSum[i]
	}
	wIn, wRec := w[:nIn*n], w[nIn*n:]
	wOut := make([]float64, n*k)
	for i := range gOut {
		wOut[i] = gOut[i] / count
	}
	grads := bpgo.Grads{}
	for _, g := range []struct {
		v *bpgo.Variable
		d []float64
	}{{h.net.In.W, wIn}, {h.net.Rec.W, wRec}, {h.net.Out.W, wOut}} {
		t, err := bpgo.FromFloat64s(g.v.Value().DType(), g.d, g.v.Shape().Dimensions...)
		if err != nil {
			return nil, err
		}
		grads[g.v] = t
	}
	return grads, nil
}

// metrics are the trial's loss terms and accuracy from the accumulators; count is the trial's
// number of target rows.
func (h *epropHook) metrics(batch, steps int, count, dt, regW, regRate float64) *EPropResult {
	k := h.k
	spikes := h.spikes.Float64s()
	reg := 0.0
	for j := range h.n {
		r := spikes[j] / float64(batch*steps) / dt
		reg += regW * (r - regRate) * (r - regRate)
	}
	ys, ts := h.ySum.Float64s(), h.tSum.Float64s()
	correct, trials := 0, 0
	for b := range batch {
		if allZero(ts[b*k : (b+1)*k]) {
			continue // a trial without targets
		}
		trials++
		if argmax(ys[b*k:(b+1)*k]) == argmax(ts[b*k:(b+1)*k]) {
			correct++
		}
	}
	ce := h.ce.Float64s()[0] / count
	return &EPropResult{CrossEntropy: ce, Reg: reg, Loss: ce + reg, Accuracy: float64(correct) / float64(max(trials, 1))}
}

// argmax returns the index of the first largest value.
func argmax(v []float64) int {
	best, bi := math.Inf(-1), 0
	for i, x := range v {
		if x > best {
			best, bi = x, i
		}
	}
	return bi
}

func allZero(v []float64) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}
