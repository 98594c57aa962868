package models

import (
	"fmt"
	"math"
	"math/cmplx"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"gonum.org/v1/gonum/mat"
)

// Activation types of a Reservoir (BrainPy's activation_type).
const (
	// ReservoirInternal applies the activation before the leaky mix (BrainPy's default).
	ReservoirInternal = "internal"
	// ReservoirExternal applies it after the leaky mix.
	ReservoirExternal = "external"
)

// ReservoirOptions configure a Reservoir. Start from ReservoirDefaults (BrainPy 2.1.12's
// bp.nn.Reservoir, seed 001) or ReservoirDefaults243 (2.4.3's bp.dnn.Reservoir) and change
// fields; every field is used as given.
//
// The noise options follow BrainPy as coded: noise_type is ignored (the noise is always
// uniform), and noise_rec adds the constant −noise_rec (its uniform draw has both bounds −1).
type ReservoirOptions struct {
	// LeakyRate a in [0, 1] mixes the old state and the new activity: (1−a)·h + a·act(u).
	LeakyRate float64
	// Activation names the nonlinearity (see ActivationByName).
	Activation string
	// ActivationType is ReservoirInternal or ReservoirExternal.
	ActivationType string
	// WinInit draws Win (num_in, num_out) (BrainPy's Win_initializer / ff_initializer).
	WinInit initializers.Initializer
	// WrecInit draws Wrec (num_out, num_out) (Wrec_initializer / rec_initializer).
	WrecInit initializers.Initializer
	// BInit draws the bias (num_out,), which BrainPy creates but never uses in the update.
	BInit initializers.Initializer
	// NoBias drops the bias (b_initializer=None).
	NoBias bool
	// InConnectivity in [0, 1] is the fraction of Win entries kept: after drawing Win, each
	// entry whose U[0,1) draw exceeds it is zeroed (none are drawn at 1).
	InConnectivity float64
	// RecConnectivity is the same for Wrec (the diagonal may be kept).
	RecConnectivity float64
	// UseSpectralRadius rescales the masked Wrec so that its largest eigenvalue modulus is
	// SpectralRadius (BrainPy's spectral_radius=...; false is its None).
	UseSpectralRadius bool
	SpectralRadius    float64
	// NumFeedback > 0 gives the reservoir feedback weights Wfb (NumFeedback, num_out) for the
	// output of a later node fed back into it (2.1.12's feedback input, a models.Network
	// Feedback edge): u += fb @ Wfb. 0 means no feedback input.
	NumFeedback int
	// WfbInit draws Wfb (2.1.12's fb_initializer, N(0, 0.1²)); used only with NumFeedback > 0.
	WfbInit initializers.Initializer
	// FbConnectivity in [0, 1] is the fraction of Wfb entries kept (fb_connectivity, 0.1).
	FbConnectivity float64
	// NoiseIn >= 0 adds NoiseIn·U(−1, 1) to every input at every step (noise_in / noise_ff),
	// drawn inside the compiled step from the reservoir's random state (seeded by bpgo.SetSeed).
	NoiseIn float64
	// NoiseRec >= 0 subtracts the constant NoiseRec from the activity before the leaky mix
	// (BrainPy's noise_rec, whose uniform draw has both bounds −1).
	NoiseRec float64
	// NoiseFb >= 0 adds NoiseFb·U(−1, 1) to the feedback input (noise_fb).
	NoiseFb float64
	// Mode: TrainingMode makes Win, Wrec and the bias trainable (BrainPy 2.4.3's TrainVars;
	// 2.1.12's trainable=True); BatchingMode keeps them fixed; DefaultMode means the global
	// mode (bpgo.SetMode).
	Mode bpgo.Mode
}

// ReservoirDefaults returns the defaults of BrainPy 2.1.12's bp.nn.Reservoir, the one seed
// 001 builds as Reservoir(400, spectral_radius=1.4): leaky rate 0.3, tanh, internal,
// Win and Wrec from N(0, 0.1²), zero bias, 10 % connectivity, no spectral-radius rescaling,
// fixed weights (trainable=False, so BatchingMode).
func ReservoirDefaults() ReservoirOptions {
	return ReservoirOptions{
		LeakyRate: 0.3, Activation: "tanh", ActivationType: ReservoirInternal,
		WinInit: initializers.Normal{Scale: 0.1}, WrecInit: initializers.Normal{Scale: 0.1},
		BInit: initializers.Zero{}, InConnectivity: 0.1, RecConnectivity: 0.1,
		WfbInit: initializers.Normal{Scale: 0.1}, FbConnectivity: 0.1,
		Mode: bpgo.BatchingMode,
	}
}

// ReservoirDefaults243 returns the defaults of BrainPy 2.4.3's bp.dnn.Reservoir (also 2.5.0's
// bp.dyn.Reservoir): the same values as ReservoirDefaults except the mode, which follows the
// global mode (mode=None), so the weights are trainable under TrainingMode.
func ReservoirDefaults243() ReservoirOptions {
	o := ReservoirDefaults()
	o.Mode = bpgo.DefaultMode
	return o
}

// Reservoir is BrainPy's echo-state reservoir. Each step, for x (B, num_in) and state h
// (B, num_out):
//
//	u  = x @ Win + h @ Wrec          (no bias: BrainPy creates one but never adds it)
//	h' = (1 − a)·h + a·act(u)        (internal)
//	h' = act((1 − a)·h + a·u)        (external)
//
// and h' is both the new state and the output (ReservoirStep).
//
// Construction follows BrainPy's draw order from one generator (bpgo.NewRNG, so the global
// seed): Win, then its connectivity mask, then Wrec, then its mask, then the rescaling to the
// spectral radius (computed on the host from the masked matrix's complex eigenvalues), then
// the bias, then (with NumFeedback > 0) Wfb and its mask. The numbers differ from BrainPy's (other generators), the distributions do not.
// BrainPy's comp_type='sparse' stores only the kept entries and computes the same values;
// here the masked matrices are dense.
//
// The state starts as zeros for a batch of 1; ResetState(batch) sets zeros (B, num_out).
type Reservoir struct {
	NumIn, NumOut int
	// Win is the input weight (num_in, num_out).
	Win *bpgo.Variable
	// Wrec is the recurrent weight (num_out, num_out).
	Wrec *bpgo.Variable
	// Bias is the unused bias (num_out,); nil with NoBias.
	Bias *bpgo.Variable
	// State is the reservoir state (batch, num_out).
	State *bpgo.Variable
	// Wfb is the feedback weight (NumFeedback, num_out); nil without feedback.
	Wfb *bpgo.Variable
	// Rand is the in-graph random state of the input and feedback noise; nil without noise.
	Rand *bpgo.Variable

	noiseIn, noiseRec, noiseFb float64

	leakyRate float64
	act       Activation
	actName   string
	external  bool
	mode      bpgo.Mode
}

// NewReservoir creates a reservoir of num_out units driven by num_in inputs.
func NewReservoir(numIn, numOut int, o ReservoirOptions) (*Reservoir, error) {
	const fn = "models.NewReservoir"
	if numIn < 1 || numOut < 1 {
		return nil, fmt.Errorf("%s: numIn and numOut must be >= 1, got %d and %d", fn, numIn, numOut)
	}
	if !(o.LeakyRate >= 0 && o.LeakyRate <= 1) {
		return nil, fmt.Errorf("%s: ReservoirOptions.LeakyRate: want a value in [0, 1], got %v", fn, o.LeakyRate)
	}
	act, err := ActivationByName(o.Activation)
	if err != nil {
		return nil, fmt.Errorf("%s: ReservoirOptions.Activation: %w (start from models.ReservoirDefaults())", fn, err)
	}
	if o.ActivationType != ReservoirInternal && o.ActivationType != ReservoirExternal {
		return nil, fmt.Errorf("%s: ReservoirOptions.ActivationType: want %q or %q, got %q", fn, ReservoirInternal, ReservoirExternal, o.ActivationType)
	}
	for _, f := range []struct {
		name string
		init initializers.Initializer
	}{{"WinInit", o.WinInit}, {"WrecInit", o.WrecInit}, {"BInit", o.BInit}} {
		if f.init == nil && (f.name != "BInit" || !o.NoBias) {
			return nil, fmt.Errorf("%s: ReservoirOptions.%s is nil: start from models.ReservoirDefaults()", fn, f.name)
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"InConnectivity", o.InConnectivity}, {"RecConnectivity", o.RecConnectivity}, {"FbConnectivity", o.FbConnectivity}} {
		if !(f.v >= 0 && f.v <= 1) {
			return nil, fmt.Errorf("%s: ReservoirOptions.%s: want a fraction in [0, 1], got %v", fn, f.name, f.v)
		}
	}
	if o.UseSpectralRadius && (math.IsNaN(o.SpectralRadius) || math.IsInf(o.SpectralRadius, 0)) {
		return nil, fmt.Errorf("%s: ReservoirOptions.SpectralRadius: want a finite number, got %v", fn, o.SpectralRadius)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"NoiseIn", o.NoiseIn}, {"NoiseRec", o.NoiseRec}, {"NoiseFb", o.NoiseFb}} {
		if !(f.v >= 0) || math.IsInf(f.v, 0) {
			return nil, fmt.Errorf("%s: ReservoirOptions.%s: want a finite number >= 0 (0: no noise), got %v", fn, f.name, f.v)
		}
	}
	if o.NumFeedback < 0 {
		return nil, fmt.Errorf("%s: ReservoirOptions.NumFeedback: want >= 0 (0: no feedback input), got %d", fn, o.NumFeedback)
	}
	if o.NumFeedback > 0 && o.WfbInit == nil {
		return nil, fmt.Errorf("%s: ReservoirOptions.WfbInit is nil but NumFeedback is %d: start from models.ReservoirDefaults()", fn, o.NumFeedback)
	}
	mode, err := bpgo.ResolveMode(o.Mode)
	if err != nil {
		return nil, fmt.Errorf("%s: ReservoirOptions.Mode: %w", fn, err)
	}

	rng := bpgo.NewRNG()
	masked := func(name string, init initializers.Initializer, conn float64, rows, cols int) ([]float64, error) {
		w, err := init.Init(rng, rows, cols)
		if err != nil {
			return nil, fmt.Errorf("%s: ReservoirOptions.%s: %w", fn, name, err)
		}
		if len(w) != rows*cols {
			return nil, fmt.Errorf("%s: ReservoirOptions.%s gave %d values for (%d, %d)", fn, name, len(w), rows, cols)
		}
		if conn < 1 {
			for i := range w {
				if rng.Float64() > conn {
					w[i] = 0
				}
			}
		}
		return w, nil
	}
	win, err := masked("WinInit", o.WinInit, o.InConnectivity, numIn, numOut)
	if err != nil {
		return nil, err
	}
	wrec, err := masked("WrecInit", o.WrecInit, o.RecConnectivity, numOut, numOut)
	if err != nil {
		return nil, err
	}
	if o.UseSpectralRadius {
		sr, err := SpectralRadius(wrec, numOut)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fn, err)
		}
		if !(sr > 0) {
			return nil, fmt.Errorf("%s: ReservoirOptions.SpectralRadius: the masked Wrec has spectral radius %v, so it cannot be rescaled (RecConnectivity %v too small for %d units?)", fn, sr, o.RecConnectivity, numOut)
		}
		scale := o.SpectralRadius / sr
		for i := range wrec {
			wrec[i] *= scale
		}
	}
	trainable := mode == bpgo.TrainingMode
	dt := bpgo.FloatDType()
	param := func(v []float64, dims ...int) (*bpgo.Variable, error) {
		t, err := bpgo.FromFloat64s(dt, v, dims...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fn, err)
		}
		return bpgo.NewParam(t, trainable), nil
	}
	r := &Reservoir{NumIn: numIn, NumOut: numOut, leakyRate: o.LeakyRate, act: act, actName: o.Activation,
		external: o.ActivationType == ReservoirExternal, mode: mode}
	if r.Win, err = param(win, numIn, numOut); err != nil {
		return nil, err
	}
	if r.Wrec, err = param(wrec, numOut, numOut); err != nil {
		return nil, err
	}
	if !o.NoBias {
		b, err := o.BInit.Init(rng, numOut)
		if err != nil {
			return nil, fmt.Errorf("%s: ReservoirOptions.BInit: %w", fn, err)
		}
		if r.Bias, err = param(b, numOut); err != nil {
			return nil, err
		}
	}
	if o.NumFeedback > 0 {
		wfb, err := masked("WfbInit", o.WfbInit, o.FbConnectivity, o.NumFeedback, numOut)
		if err != nil {
			return nil, err
		}
		if r.Wfb, err = param(wfb, o.NumFeedback, numOut); err != nil {
			return nil, err
		}
	}
	r.noiseIn, r.noiseRec, r.noiseFb = o.NoiseIn, o.NoiseRec, o.NoiseFb
	if o.NoiseIn > 0 || (o.NoiseFb > 0 && o.NumFeedback > 0) {
		r.Rand = bpgo.NewRandomState()
	}
	r.State = bpgo.NewState(bpgo.Zeros(1, numOut), 0)
	return r, nil
}

// InSize is the number of inputs (num_in).
func (r *Reservoir) InSize() int { return r.NumIn }

// OutSize is the number of units (num_out).
func (r *Reservoir) OutSize() int { return r.NumOut }

// FeedbackSize is the size of the feedback input (ReservoirOptions.NumFeedback; 0: none).
func (r *Reservoir) FeedbackSize() int {
	if r.Wfb == nil {
		return 0
	}
	return r.Wfb.Shape().Dimensions[0]
}

// Recurrent marks the reservoir as a recurrent node (a self-loop in a node graph).
func (r *Reservoir) Recurrent() bool { return true }

// SpectralRadius returns the largest modulus of the (complex) eigenvalues of the n×n
// row-major matrix w, computed in float64 with gonum.
func SpectralRadius(w []float64, n int) (float64, error) {
	if n < 1 || len(w) != n*n {
		return 0, fmt.Errorf("models.SpectralRadius: want an n×n matrix with n >= 1, got %d values for n = %d", len(w), n)
	}
	var eig mat.Eigen
	if !eig.Factorize(mat.NewDense(n, n, append([]float64(nil), w...)), mat.EigenNone) {
		return 0, fmt.Errorf("models.SpectralRadius: the eigenvalue decomposition did not converge")
	}
	sr := 0.0
	for _, v := range eig.Values(nil) {
		sr = math.Max(sr, cmplx.Abs(v))
	}
	return sr, nil
}

// Mode is the reservoir's mode.
func (r *Reservoir) Mode() bpgo.Mode { return r.mode }

// Trainable reports whether the weights are trainable (TrainingMode).
func (r *Reservoir) Trainable() bool { return r.mode == bpgo.TrainingMode }

// LeakyRate is the leak rate a.
func (r *Reservoir) LeakyRate() float64 { return r.leakyRate }

// Activation is the name of the nonlinearity.
func (r *Reservoir) Activation() string { return r.actName }

// External reports whether the activation is applied after the leaky mix.
func (r *Reservoir) External() bool { return r.external }

// ResetState sets the state to zeros (batch, num_out).
func (r *Reservoir) ResetState(batch int) {
	r.State.Reset(tensors.FromShape(shapes.Make(r.State.Value().DType(), batch, r.NumOut)))
}

// Update advances the state by one step for x (batch, num_in) and returns it (batch, num_out).
func (r *Reservoir) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	if r.Wfb != nil {
		panic(fmt.Sprintf("models.Reservoir: the reservoir has a feedback input of size %d: run it in a models.Network with a Feedback edge into it (or call UpdateFeedback)", r.FeedbackSize()))
	}
	return r.UpdateFeedback(ctx, x, nil)
}

// UpdateFeedback is Update with the feedback input fb (batch, NumFeedback) added through Wfb:
// u = x @ Win + fb @ Wfb + h @ Wrec. fb must be nil exactly when the reservoir has no feedback.
func (r *Reservoir) UpdateFeedback(ctx *bpgo.Context, x, fb *graph.Node) *graph.Node {
	if x.Rank() != 2 || x.Shape().Dimensions[1] != r.NumIn {
		panic(fmt.Sprintf("models.Reservoir: input shape %s, want (batch, %d)", x.Shape(), r.NumIn))
	}
	h := ctx.Value(r.State)
	if hb, xb := h.Shape().Dimensions[0], x.Shape().Dimensions[0]; hb != xb {
		panic(fmt.Sprintf("models.Reservoir: input batch size %d but the state has batch size %d: reset the state for this batch (bpgo.ResetState(model, %d))", xb, hb, xb))
	}
	if (fb == nil) != (r.Wfb == nil) {
		panic(fmt.Sprintf("models.Reservoir: feedback input given: %v, but the reservoir's feedback size is %d", fb != nil, r.FeedbackSize()))
	}
	win := ctx.Value(r.Win)
	noise := func(v *graph.Node, scale float64) *graph.Node { // v + scale·U(−1, 1)
		u := ctx.Uniform(r.Rand, v.Shape().Dimensions...)
		return graph.Add(v, graph.MulScalar(graph.AddScalar(graph.MulScalar(u, 2), -1), scale))
	}
	if r.noiseIn > 0 {
		x = noise(x, r.noiseIn)
	}
	if fb != nil {
		if fb.Rank() != 2 || fb.Shape().Dimensions[1] != r.FeedbackSize() || fb.Shape().Dimensions[0] != x.Shape().Dimensions[0] {
			panic(fmt.Sprintf("models.Reservoir: feedback shape %s, want (batch %d, %d)", fb.Shape(), x.Shape().Dimensions[0], r.FeedbackSize()))
		}
		if r.noiseFb > 0 {
			fb = noise(fb, r.noiseFb)
		}
		// [x | fb] @ [Win ; Wfb] adds fb @ Wfb to the input drive in one product.
		x = graph.Concatenate([]*graph.Node{x, fb}, 1)
		win = graph.Concatenate([]*graph.Node{win, ctx.Value(r.Wfb)}, 0)
	}
	h = reservoirStep(x, h, win, bpgo.MatMul(h, ctx.Value(r.Wrec)), r.leakyRate, r.act, r.external, -r.noiseRec)
	ctx.Set(r.State, h)
	return h
}

// ReservoirStep is one step of BrainPy's Reservoir as a pure function of the input x
// (B, num_in), the state h (B, N) and the weights Win (num_in, N), Wrec (N, N):
//
//	u = x @ Win + h @ Wrec
//	internal: h' = (1 − a)·h + a·act(u)
//	external: h' = act((1 − a)·h + a·u)
//
// It returns h', the new state and the output.
func ReservoirStep(x, h, win, wrec *graph.Node, leakyRate float64, act Activation, external bool) *graph.Node {
	return reservoirStep(x, h, win, bpgo.MatMul(h, wrec), leakyRate, act, external, 0)
}

// reservoirStep is ReservoirStep given the recurrent product hWrec = h @ Wrec (a bpgo.MatMul,
// like its input product), with a constant added to the activity before the leaky mix
// (BrainPy's noise_rec term; none when offset is 0).
func reservoirStep(x, h, win, hWrec *graph.Node, leakyRate float64, act Activation, external bool, offset float64) *graph.Node {
	u := graph.Add(bpgo.MatMul(x, win), hWrec)
	if !external {
		u = act(u)
	}
	if offset != 0 {
		u = graph.AddScalar(u, offset)
	}
	next := graph.Add(graph.MulScalar(h, 1-leakyRate), graph.MulScalar(u, leakyRate))
	if external {
		next = act(next)
	}
	return next
}
