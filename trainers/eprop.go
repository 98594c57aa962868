package trainers

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/optim"
	"github.com/bpgo/bpgo/models"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

// EPropFeedback selects the weights B that carry the readout error back to the recurrent
// neurons as their learning signals L_j = Σ_k B_jk·∂E/∂y_k.
type EPropFeedback int

const (
	// SymmetricFeedback uses the readout's own weights (B = W_out, "symmetric e-prop").
	SymmetricFeedback EPropFeedback = iota
	// RandomFeedback uses fixed random weights ("random e-prop"), drawn once or given in
	// EPropOptions.FeedbackWeights.
	RandomFeedback
)

func (f EPropFeedback) String() string {
	switch f {
	case SymmetricFeedback:
		return "symmetric"
	case RandomFeedback:
		return "random"
	}
	return fmt.Sprintf("EPropFeedback(%d)", int(f))
}

// EPropNetwork names the parts of the recurrent spiking network EProp trains. The model's
// Update must compute, per step t,
//
//	z_t = Neurons.Update(In(x_t) + Rec(z_{t−1}))   (z_{t−1}: Neurons.Spike before the step)
//	y_t = Readout.Update(Out(z_t))
//
// which is the network of Bellec et al. (2020) and of the seed's EligSNN. In, Rec and Out are
// Dense layers without bias; their W are what EProp learns. A LIF network is an
// ALIFBellec2020 with β = 0.
type EPropNetwork struct {
	Neurons      *models.ALIFBellec2020
	In, Rec, Out *models.Dense
	Readout      *models.Leaky
}

// EPropOptions configure an EProp trainer. Start from EPropDefaults().
type EPropOptions struct {
	// Optimizer applies the accumulated update after each trial (batch); nil means a new
	// Adam(lr=0.01) (the seed's optimizer). If it has no registered variables, In.W, Rec.W and
	// Out.W are registered; otherwise exactly those must be.
	Optimizer bpgo.Optimizer
	// Feedback chooses symmetric or random feedback weights.
	Feedback EPropFeedback
	// FeedbackWeights (N, K) are the random feedback weights; nil draws them from
	// N(0, 1/N) with Seed. Only used with RandomFeedback.
	FeedbackWeights *tensors.Tensor
	// Seed draws the random feedback weights.
	Seed uint64
	// RegWeight is the firing-rate regulariser's weight (the seed's reg_f, 1); 0 turns it off.
	RegWeight float64
	// RegRate is the target rate in spikes per ms (the seed's 10 Hz: 0.01).
	RegRate float64
	// Chunk is the number of steps per compiled graph; 0 means bpgo.DefaultChunk.
	Chunk int
	// Shards runs each trial's batch as that many groups of samples, one per core
	// (bpgo.RunnerOptions.Shards; the accumulated update is a sum over samples): 0 automatic,
	// 1 whole.
	Shards int
	// UpdateEvery, if > 0, makes Step (and Fit) apply the update every UpdateEvery steps
	// during the trial instead of once after it: online weight updates. The traces run on
	// across the updates, symmetric feedback reads the updated readout weights, and the
	// regulariser's term uses each neuron's rate so far. 0 (the default, the seed's and the
	// paper's setting) or a value >= T updates once per trial. Compute ignores it.
	UpdateEvery int
	// Dt is the integration step (ms); 0 means the global bpgo.Dt().
	Dt float64
	// Out receives the report lines; nil means os.Stdout.
	Out io.Writer
	// Progress, if set, is told about every training step.
	Progress Progress
}

// EPropDefaults returns the seed's settings: symmetric feedback, the firing-rate regulariser
// with weight 1 towards 10 Hz (0.01 per ms), Chunk bpgo.DefaultChunk, the global Dt, reports on
// os.Stdout, and a new Adam(lr=0.01) per trainer (Optimizer nil).
func EPropDefaults() EPropOptions {
	return EPropOptions{Feedback: SymmetricFeedback, RegWeight: 1, RegRate: 0.01, Chunk: bpgo.DefaultChunk, Out: os.Stdout}
}

// EProp trains a recurrent network of ALIF neurons with e-prop (Bellec et al., Nature
// Communications 2020): eligibility traces run forward in time next to the network, inside
// the compiled loop (a bpgo.StepHook), and are combined with online learning signals from the
// readout error; nothing is kept from earlier chunks, so memory does not grow with T.
//
// For each synapse j←p (p: an input channel or a recurrent neuron, whose presynaptic
// activity at step t is x_t,p or z_{t−1},p) the hook keeps the eligibility vector
// (ε^V, ε^a) = (dV'_t/dW, da_t/dW) of neuron j's own state and derives
//
//	ε^V_t = c_t·ε^V_{t−1} + d_t·pre_t          c_t = dV'/dV (1 while refractory), d_t = dV'/dI
//	e_t   = ψ_t·(ε^V_t − β_j·ε^a_{t−1})         ψ_t: the surrogate derivative dz_t/dV'_t
//	ε^a_t = ψ_t·ε^V_t + (ρ − β_j·ψ_t)·ε^a_{t−1}   ρ = da'/da
//
// The readout y_t = κ·y_{t−1} + W_outᵀ z_t filters what reaches the loss, so the traces are
// filtered the same way (ē_t = κ·ē_{t−1} + e_t, z̄_t = κ·z̄_{t−1} + z_t) and
//
//	ΔW_jp ∝ Σ_t L_t,j·ē_t,jp,  L_t,j = Σ_k B_jk·δ_t,k,  ΔW_out,jk ∝ Σ_t z̄_t,j·δ_t,k
//
// with δ_t = softmax(y_t) − target_t the cross-entropy error at the steps that have a
// target. The firing-rate regulariser R = RegWeight·Σ_j (r_j − RegRate)², r_j the mean rate
// of neuron j over the trial, is a local term: its gradient is 2·RegWeight·(r_j −
// RegRate)/(dt·B·T)·Σ_t e_t,jp, accumulated during the trial and applied with the update at
// its end (r_j is known then).
//
// With symmetric feedback this is exactly the BPTT gradient of the same network in which two
// dependencies are cut by stop-gradients: the recurrent spikes fed back through Rec (the seed's
// eprop switch), so that a neuron's spikes reach the loss only through the readout and the
// regulariser, and the reset term V −= V_th·z (ALIFOptions.Eprop). Everything else is kept
// exactly: the adaptation a += z, the refractory freeze, the readout's filtering and the rate
// regulariser (TestEPropMatchesTruncatedBPTT checks this to 1e-8 in float64). Updates are
// applied after each trial; memory holds three (B, num_in+N, N) traces whatever T is.
//
// The traces advance a compiled chunk (EPropOptions.Chunk steps) at a time. Within a chunk the
// recurrence above is linear in the presynaptic activity with coefficients that depend only on
// the postsynaptic neuron, so the hook keeps the chunk's (B, N) factors and (B, num_in+N)
// inputs, and at the chunk's last step moves the traces and the sums Σ L·ē and Σ e to the
// chunk's end with short (B, N) recursions and three matrix products, instead of updating every
// synapse at every step (about 15 elementwise passes over (B, num_in+N, N) per step). The
// result is the same recurrence reassociated (tests check Chunk 1, 7, 25 and T against BPTT to
// 1e-8); what it buys is speed: one trial of the seed's size (B = 128, T = 2250) takes well
// under a second on the Go backend instead of minutes (whose patched executor computes the
// three products inside the fused trace update, from the steps' values, without building their
// stacks: bpgo/third_party/README.md). A chunk in which no trial has a target (the click
// task's cue and delay periods, 2100 of its 2250 steps) has no learning signal at any step: the
// hook is a bpgo.ZeroTargetHook, so the runner runs such chunks without targets, in graphs that
// leave out the learning-signal path and the readout's sums (terms that are all zero there).
// On the XLA scan engine every step is a chunk of one, which at that size is many times slower
// (tests/bench/RESULTS.md): train e-prop on the Go backend.
//
// Targets are per step: Batch.Y is (B, T, K), a one-hot (or probability) row at the steps that
// count and all-zero rows elsewhere (EvidenceTargets builds them from labels). Fit reports
// "loss" (cross-entropy + regulariser), "accuracy" (argmax of the readout summed over the
// target steps against the target's) and, with a regulariser, "loss reg", in BPTT's format.
type EProp struct {
	net    EPropNetwork
	opts   EPropOptions
	opt    bpgo.Optimizer
	runner *bpgo.Runner
	hook   *epropHook
	loop   *Loop
	hist   *History
	out    io.Writer
	nIn, n int
	k      int
}

// NewEProp builds an e-prop trainer for model, whose parts net names.
func NewEProp(model bpgo.Stepper, net EPropNetwork, opts EPropOptions) (*EProp, error) {
	const fn = "trainers.NewEProp"
	if model == nil {
		return nil, fmt.Errorf("%s: model is nil", fn)
	}
	if net.Neurons == nil || net.In == nil || net.Rec == nil || net.Out == nil || net.Readout == nil {
		return nil, fmt.Errorf("%s: EPropNetwork: Neurons, In, Rec, Out and Readout are all required", fn)
	}
	n := net.Neurons.Size
	dims := func(d *models.Dense) []int { return d.W.Shape().Dimensions }
	for _, c := range []struct {
		name string
		d    *models.Dense
		in   int
		out  int
	}{{"In", net.In, -1, n}, {"Rec", net.Rec, n, n}, {"Out", net.Out, n, net.Readout.Size}} {
		wd := dims(c.d)
		if (c.in >= 0 && wd[0] != c.in) || wd[1] != c.out {
			want := fmt.Sprintf("(%d, %d)", c.in, c.out)
			if c.in < 0 {
				want = fmt.Sprintf("(num_in, %d)", c.out)
			}
			return nil, fmt.Errorf("%s: EPropNetwork.%s: W has shape %v, want %s", fn, c.name, wd, want)
		}
		if c.d.B != nil {
			return nil, fmt.Errorf("%s: EPropNetwork.%s: e-prop learns weights only: build the layer with DenseOptions.NoBias", fn, c.name)
		}
	}
	if opts.Feedback != SymmetricFeedback && opts.Feedback != RandomFeedback {
		return nil, fmt.Errorf("%s: EPropOptions.Feedback: want SymmetricFeedback or RandomFeedback, got %v", fn, opts.Feedback)
	}
	if math.IsNaN(opts.RegWeight) || opts.RegWeight < 0 || math.IsInf(opts.RegWeight, 0) {
		return nil, fmt.Errorf("%s: EPropOptions.RegWeight: want a finite value >= 0, got %v", fn, opts.RegWeight)
	}
	if opts.UpdateEvery < 0 {
		return nil, fmt.Errorf("%s: EPropOptions.UpdateEvery: want 0 (once per trial) or a number of steps > 0, got %d", fn, opts.UpdateEvery)
	}
	if math.IsNaN(opts.RegRate) || opts.RegRate < 0 || math.IsInf(opts.RegRate, 0) {
		return nil, fmt.Errorf("%s: EPropOptions.RegRate: want a finite rate >= 0 (spikes per ms), got %v", fn, opts.RegRate)
	}
	nIn, k := dims(net.In)[0], net.Readout.Size
	dtype := bpgo.FloatDType()
	var fb *tensors.Tensor
	if opts.Feedback == RandomFeedback {
		fb = opts.FeedbackWeights
		if fb == nil {
			rng := rand.New(rand.NewPCG(opts.Seed, 0x657072))
			w := make([]float64, n*k)
			for i := range w {
				w[i] = rng.NormFloat64() / math.Sqrt(float64(n))
			}
			fb = bpgo.Must1(bpgo.FromFloat64s(dtype, w, n, k))
		} else {
			if d := fb.Shape().Dimensions; len(d) != 2 || d[0] != n || d[1] != k {
				return nil, fmt.Errorf("%s: EPropOptions.FeedbackWeights: shape %v, want (%d, %d) (recurrent neurons, readout units)", fn, d, n, k)
			}
			if err := bpgo.CheckFinite("EPropOptions.FeedbackWeights", fb); err != nil {
				return nil, fmt.Errorf("%s: %w", fn, err)
			}
			fb = bpgo.Must1(bpgo.FromFloat64s(dtype, bpgo.ToFloat64s(fb), n, k))
		}
	} else if opts.FeedbackWeights != nil {
		return nil, fmt.Errorf("%s: EPropOptions.FeedbackWeights given with SymmetricFeedback: use RandomFeedback", fn)
	}
	opt := opts.Optimizer
	if opt == nil {
		var err error
		if opt, err = optim.NewAdam(optim.Constant(0.01), optim.AdamDefaults()); err != nil {
			return nil, err
		}
	}
	want := []*bpgo.Variable{net.In.W, net.Rec.W, net.Out.W}
	if len(opt.Params()) == 0 {
		if err := opt.Register(want); err != nil {
			return nil, fmt.Errorf("%s: registering In.W, Rec.W, Out.W: %w", fn, err)
		}
	} else if ps := opt.Params(); len(ps) != 3 || !slices.Contains(ps, want[0]) || !slices.Contains(ps, want[1]) || !slices.Contains(ps, want[2]) {
		return nil, fmt.Errorf("%s: EPropOptions.Optimizer: it updates %d registered variables; e-prop gives gradients for exactly In.W, Rec.W and Out.W (register those, or none)", fn, len(ps))
	}
	h := newEPropHook(net, nIn, k, fb, dtype)
	r, err := bpgo.NewRunner(&epropModel{Model: model, hook: h}, bpgo.RunnerOptions{Chunk: opts.Chunk, Dt: opts.Dt, Hook: h, Shards: opts.Shards})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	out := opts.Out
	if out == nil {
		out = os.Stdout
	}
	return &EProp{net: net, opts: opts, opt: opt, runner: r, hook: h, loop: NewLoop("trainers.EProp.Fit"),
		hist: &History{}, out: out, nIn: nIn, n: n, k: k}, nil
}

// Optimizer is the trainer's optimizer.
func (e *EProp) Optimizer() bpgo.Optimizer { return e.opt }

// History is the metric history.
func (e *EProp) History() *History { return e.hist }

// Loop is the training loop Fit runs; add hooks to it before calling Fit.
func (e *EProp) Loop() *Loop { return e.loop }

// FeedbackWeights returns the feedback weights B (N, K): the readout's current weights with
// symmetric feedback.
func (e *EProp) FeedbackWeights() *tensors.Tensor {
	if e.hook.fb != nil {
		return e.hook.fb
	}
	return e.net.Out.W.Value()
}

// EPropResult is what one trial (batch) of e-prop gives: the metrics, and the update's
// gradients (the accumulated e-prop estimates of dE/dW) for In.W, Rec.W and Out.W.
type EPropResult struct {
	Loss, CrossEntropy, Reg, Accuracy float64
	Grads                             bpgo.Grads
}

// Compute runs one trial of inputs xs (B, T, num_in) with per-step targets ys (B, T, K) from
// a reset state and returns the e-prop gradients without applying them.
func (e *EProp) Compute(xs, ys *tensors.Tensor) (*EPropResult, error) {
	res, err := e.whole(xs, ys, false)
	if err != nil {
		return nil, fmt.Errorf("trainers.EProp.Compute: %w", err)
	}
	return res, nil
}

// Step runs one trial and applies the update with the optimizer: once after the trial, or
// every EPropOptions.UpdateEvery steps during it (the result's Grads are then the sum of the
// updates applied).
func (e *EProp) Step(xs, ys *tensors.Tensor) (*EPropResult, error) {
	res, err := e.whole(xs, ys, true)
	if err != nil {
		return nil, fmt.Errorf("trainers.EProp.Step: %w", err)
	}
	return res, nil
}

// EPropTrial is one trial handed to StepTrial or ComputeTrial a window of steps at a time, so
// that its inputs and targets are never held at once: with EProp's memory independent of T,
// a trial of any length then runs in the memory of one window. EvidenceTrial makes one for the
// click task (datasets.EvidenceStream), writing each window into the last one's tensors.
type EPropTrial struct {
	// Batch is the number of trials run side by side; Steps is their length.
	Batch, Steps int
	// Window returns steps [start, start+k) of the inputs, (Batch, k, num_in), and of the
	// per-step targets, (Batch, k, K). EProp asks for the windows in order, each once, k at
	// most WindowSteps, and is done with a window's tensors when it asks for the next: Window
	// may write each window into the same tensors.
	Window func(start, k int) (xs, ys *tensors.Tensor, err error)
	// WindowSteps is the longest window asked for; 0 means DefaultWindowChunks chunks
	// (EPropOptions.Chunk steps each). Memory grows with it, time falls a little: each window
	// is one Runner call (the traces stay in the batch shards' rows from one to the next).
	WindowSteps int
	// TargetRows is the sum of the whole trial's targets (for one-hot targets, the number of
	// (trial, step) rows that have one): the cross-entropy's denominator. Only
	// EPropOptions.UpdateEvery needs it, to apply updates before the trial's end; 0 counts it
	// from the windows.
	TargetRows float64
}

// DefaultWindowChunks is the length of an EPropTrial's windows in chunks when WindowSteps is 0:
// 10 chunks, 1000 steps by default, about 20 MB of the seed's inputs (B = 128, 40 channels,
// float32).
const DefaultWindowChunks = 10

// StepTrial is Step for a trial handed over a window at a time.
func (e *EProp) StepTrial(tr EPropTrial) (*EPropResult, error) {
	res, err := e.streamed(tr, true)
	if err != nil {
		return nil, fmt.Errorf("trainers.EProp.StepTrial: %w", err)
	}
	return res, nil
}

// ComputeTrial is Compute for a trial handed over a window at a time.
func (e *EProp) ComputeTrial(tr EPropTrial) (*EPropResult, error) {
	res, err := e.streamed(tr, false)
	if err != nil {
		return nil, fmt.Errorf("trainers.EProp.ComputeTrial: %w", err)
	}
	return res, nil
}

func (e *EProp) streamed(tr EPropTrial, apply bool) (*EPropResult, error) {
	if tr.Batch < 1 || tr.Steps < 1 {
		return nil, fmt.Errorf("EPropTrial: Batch %d and Steps %d: want both >= 1", tr.Batch, tr.Steps)
	}
	if tr.Window == nil {
		return nil, fmt.Errorf("EPropTrial.Window is nil")
	}
	if math.IsNaN(tr.TargetRows) || math.IsInf(tr.TargetRows, 0) || tr.TargetRows < 0 {
		return nil, fmt.Errorf("EPropTrial.TargetRows: want a finite value >= 0 (0: counted from the windows), got %v", tr.TargetRows)
	}
	if tr.WindowSteps < 0 {
		return nil, fmt.Errorf("EPropTrial.WindowSteps: want 0 (%d chunks) or a number of steps >= 1, got %d", DefaultWindowChunks, tr.WindowSteps)
	}
	win := tr.WindowSteps
	if win == 0 {
		win = DefaultWindowChunks * e.runner.Chunk()
	}
	return e.trial(tr, win, apply)
}

func (e *EProp) whole(xs, ys *tensors.Tensor, apply bool) (*EPropResult, error) {
	if xs == nil || ys == nil {
		return nil, fmt.Errorf("inputs and targets are required")
	}
	xd, yd := xs.Shape().Dimensions, ys.Shape().Dimensions
	if len(xd) != 3 || xd[2] != e.nIn {
		return nil, fmt.Errorf("inputs: shape %v, want (batch, steps, %d): the network has %d input channels", xd, e.nIn, e.nIn)
	}
	if len(yd) != 3 || yd[0] != xd[0] || yd[1] != xd[1] || yd[2] != e.k {
		return nil, fmt.Errorf("targets: shape %v, want (%d, %d, %d): one target row of the %d readout units per trial and step (zero rows: no loss)", yd, xd[0], xd[1], e.k, e.k)
	}
	count := targetSum(ys)
	if count == 0 {
		return nil, fmt.Errorf("targets: every row is zero: no step has a target")
	}
	steps := xd[1]
	tr := EPropTrial{Batch: xd[0], Steps: steps, TargetRows: count, Window: func(start, k int) (*tensors.Tensor, *tensors.Tensor, error) {
		if k == steps {
			return xs, ys, nil
		}
		xw, err := bpgo.SliceTime(xs, start, k)
		if err != nil {
			return nil, nil, err
		}
		yw, err := bpgo.SliceTime(ys, start, k)
		return xw, yw, err
	}}
	return e.trial(tr, steps, apply) // a whole trial runs as one Runner call
}

// trial runs tr in windows of at most win steps, cut where updates are applied, and returns
// the metrics and the sum of the updates.
func (e *EProp) trial(tr EPropTrial, win int, apply bool) (*EPropResult, error) {
	batch, steps := tr.Batch, tr.Steps
	every := steps
	if apply && e.opts.UpdateEvery > 0 {
		every = min(e.opts.UpdateEvery, steps)
	}
	if every < steps && tr.TargetRows == 0 {
		return nil, fmt.Errorf("EPropTrial.TargetRows: EPropOptions.UpdateEvery (%d) applies updates before the trial's end, which needs the trial's target sum up front: set TargetRows", e.opts.UpdateEvery)
	}
	dt := e.runner.Dt()
	e.hook.reset(batch)
	var total bpgo.Grads
	counted := 0.0
	// count is the cross-entropy's denominator: TargetRows, else the targets seen so far (all of
	// them once the trial has run, the only time it is asked for then).
	count := func() (float64, error) {
		if tr.TargetRows > 0 {
			return tr.TargetRows, nil
		}
		if counted == 0 {
			return 0, fmt.Errorf("targets: every row is zero: no step has a target")
		}
		return counted, nil
	}
	for start := 0; start < steps; {
		k := min(win, steps-start, every-start%every)
		xw, yw, err := tr.Window(start, k)
		if err != nil {
			return nil, fmt.Errorf("EPropTrial.Window(%d, %d): %w", start, k, err)
		}
		if err := e.checkWindow(xw, yw, batch, start, k); err != nil {
			return nil, err
		}
		if yw.DType() != bpgo.FloatDType() {
			yw = bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), bpgo.ToFloat64s(yw), yw.Shape().Dimensions...))
		}
		if tr.TargetRows == 0 {
			counted += targetSum(yw)
		}
		if _, err := e.runner.Run(xw, bpgo.RunOptions{ResetState: start == 0, Targets: yw, DiscardOutputs: true}); err != nil {
			return nil, err
		}
		start += k
		if start%every != 0 && start != steps {
			continue
		}
		c, err := count()
		if err != nil {
			return nil, err
		}
		g, err := e.hook.update(batch, start, steps, c, dt, e.opts.RegWeight, e.opts.RegRate)
		if err != nil {
			return nil, err
		}
		if apply {
			if err := bpgo.ApplyGradients(e.opt, g); err != nil {
				return nil, err
			}
		}
		if total, err = addGrads(total, g); err != nil {
			return nil, err
		}
		if start < steps {
			e.hook.resetUpdate()
		}
	}
	c, err := count()
	if err != nil {
		return nil, err
	}
	res := e.hook.metrics(batch, steps, c, dt, e.opts.RegWeight, e.opts.RegRate)
	res.Grads = total
	return res, nil
}

// checkWindow checks the shapes of the window [start, start+k) of a trial of batch trials.
func (e *EProp) checkWindow(xs, ys *tensors.Tensor, batch, start, k int) error {
	at := fmt.Sprintf("EPropTrial.Window(%d, %d)", start, k)
	if xs == nil || ys == nil {
		return fmt.Errorf("%s: inputs and targets are required", at)
	}
	if d := xs.Shape().Dimensions; len(d) != 3 || d[0] != batch || d[1] != k || d[2] != e.nIn {
		return fmt.Errorf("%s: inputs of shape %v, want (%d, %d, %d): the trial's batch, the window's steps, the network's input channels", at, d, batch, k, e.nIn)
	}
	if d := ys.Shape().Dimensions; len(d) != 3 || d[0] != batch || d[1] != k || d[2] != e.k {
		return fmt.Errorf("%s: targets of shape %v, want (%d, %d, %d): one target row of the %d readout units per trial and step", at, d, batch, k, e.k, e.k)
	}
	return nil
}

// targetSum is the sum of a target tensor's values, read in place where they are floats.
func targetSum(ys *tensors.Tensor) float64 {
	sum := 0.0
	switch ys.DType() {
	case dtypes.Float32, dtypes.Float64:
		ys.MustConstFlatData(func(flat any) {
			if f, ok := flat.([]float32); ok {
				for _, v := range f {
					sum += float64(v)
				}
				return
			}
			for _, v := range flat.([]float64) {
				sum += v
			}
		})
	default:
		for _, v := range bpgo.ToFloat64s(ys) {
			sum += v
		}
	}
	return sum
}

// addGrads returns a + b (b when a is nil).
func addGrads(a, b bpgo.Grads) (bpgo.Grads, error) {
	if a == nil {
		return b, nil
	}
	out := bpgo.Grads{}
	for v, t := range a {
		x, y := bpgo.ToFloat64s(t), bpgo.ToFloat64s(b[v])
		for i := range x {
			x[i] += y[i]
		}
		s, err := bpgo.FromFloat64s(t.DType(), x, t.Shape().Dimensions...)
		if err != nil {
			return nil, err
		}
		out[v] = s
	}
	return out, nil
}

// Fit trains for epochs passes over train, one update per batch, printing BrainPy's report
// lines like BPTT.Fit (Adam's epoch counter is stepped after every epoch, as BPTT does).
func (e *EProp) Fit(train Data, epochs int, opts FitOptions) error {
	if train == nil {
		return fmt.Errorf("trainers.EProp.Fit: train data is nil")
	}
	if err := opts.check("trainers.EProp.Fit"); err != nil {
		return err
	}
	l := fitLoop(e.loop, e.hist, e.out, e.opts.Progress, e.opt, opts)
	err := l.Run(train, epochs, func(_ *LoopState, b Batch) (*Metrics, error) {
		res, err := e.Step(b.X, b.Y)
		if err != nil {
			return nil, err
		}
		if math.IsNaN(res.Loss) || math.IsInf(res.Loss, 0) {
			return nil, fmt.Errorf("non-finite loss %v", res.Loss)
		}
		m := &Metrics{Loss: res.Loss, Aux: []Metric{{"accuracy", res.Accuracy}}}
		if e.opts.RegWeight > 0 {
			m.Aux = append(m.Aux, Metric{"loss reg", res.Reg})
		}
		return m, nil
	})
	e.loop.epoch = l.epoch
	return err
}

// EvidenceTargets turns labels into EProp's per-step targets (B, T, classes): a one-hot row at
// the last window steps of each trial, zero rows before (the seed's loss uses the last 150).
func EvidenceTargets(labels []int, steps, window, classes int) (*tensors.Tensor, error) {
	t, err := evidenceTargets(labels, steps, window, classes, 0, steps)
	if err != nil {
		return nil, fmt.Errorf("trainers.EvidenceTargets: %w", err)
	}
	return t, nil
}

// EvidenceTargetsWindow is steps [start, start+k) of EvidenceTargets(labels, steps, window,
// classes), built without the others: the targets of an EPropTrial window.
func EvidenceTargetsWindow(labels []int, steps, window, classes, start, k int) (*tensors.Tensor, error) {
	if start < 0 || k < 1 || start+k > steps {
		return nil, fmt.Errorf("trainers.EvidenceTargetsWindow: steps [%d, %d) of %d: want 0 <= start, 1 <= k and start+k <= steps", start, start+k, steps)
	}
	t, err := evidenceTargets(labels, steps, window, classes, start, k)
	if err != nil {
		return nil, fmt.Errorf("trainers.EvidenceTargetsWindow: %w", err)
	}
	return t, nil
}

func evidenceTargets(labels []int, steps, window, classes, start, k int) (*tensors.Tensor, error) {
	if window < 1 || window > steps {
		return nil, fmt.Errorf("window: want 1..steps (%d), got %d", steps, window)
	}
	if classes < 1 {
		return nil, fmt.Errorf("classes: want >= 1, got %d", classes)
	}
	for b, l := range labels {
		if l < 0 || l >= classes {
			return nil, fmt.Errorf("labels[%d] = %d, want 0..%d", b, l, classes-1)
		}
	}
	out := make([]float64, len(labels)*k*classes)
	writeTargets(out, labels, steps, window, classes, start, k)
	return bpgo.FromFloat64s(bpgo.FloatDType(), out, len(labels), k, classes)
}
