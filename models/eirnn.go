package models

import (
	"fmt"
	"math"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// EIRNNOptions configure an EIRNN. Start from EIRNNDefaults().
type EIRNNOptions struct {
	// ERatio is the fraction of excitatory units: the first int(num_hidden·ERatio) units are
	// E, the rest I (e_ratio). Both groups must be non-empty.
	ERatio float64
	// Tau is the time constant in ms and Dt the step in ms: alpha = Dt/Tau, in (0, 1].
	Tau, Dt float64
	// SigmaRec is the recurrent noise σ_rec: every step adds sqrt(2·alpha)·SigmaRec·N(0,1)
	// (sigma_rec); 0 draws no noise.
	SigmaRec float64
	// PerSampleNoise draws an independent noise vector for every batch row. By default one
	// vector of num_hidden values per step is shared by the whole batch, as the BrainPy
	// tutorial's rng.randn(num_hidden) is.
	PerSampleNoise bool
	// PresynapticSign gives every unit's outgoing weights its own sign (rows of the mask, as in
	// the PyTorch original and Song et al.) instead of the BrainPy tutorial's columns; see
	// EIRNN.
	PresynapticSign bool
	// WIr, WRr and WRo initialize the input (num_in, num_hidden), recurrent
	// (num_hidden, num_hidden) and readout (num_E, num_out) weights; nil means the default
	// initializers.KaimingUniform{Scale: 1}.
	WIr, WRr, WRo initializers.Initializer
}

// EIRNNDefaults returns the BrainPy tutorial's defaults: e_ratio 0.8, tau 100 ms, Dt = Tau
// (alpha 1, the class's dt=None), no noise shared across the batch, KaimingUniform(scale=1)
// weights. The tutorial itself sets Dt 20 and SigmaRec 0.15.
func EIRNNDefaults() EIRNNOptions {
	k := initializers.KaimingUniform{Scale: 1}
	return EIRNNOptions{ERatio: 0.8, Tau: 100, Dt: 100, WIr: k, WRr: k, WRo: k}
}

// EIRNN is the excitatory–inhibitory rate network of Song, Yang & Wang 2016 as BrainPy's
// EI-RNN tutorial writes it. With alpha = Dt/Tau, one step is
//
//	x   = (1−alpha)·h + alpha·(u @ WIr + h @ (|WRr| ∘ Mask) + BRr) + sqrt(2·alpha)·σ_rec·ξ
//	h   = relu(x)
//	out = h[:, :NumE] @ WRo + BRo
//
// In the h @ W convention WRr[i, j] is the weight from unit i onto unit j. The BrainPy tutorial's
// Mask (DaleMask) is +1 in the excitatory columns j < NumE, −1 in the inhibitory ones and 0 on
// the diagonal, and at construction it divides the columns 0..NumE−1 of WRr by NumE/NumI: the
// sign follows the target unit. The PyTorch original stores weights (to, from), so there the
// sign follows the source unit — Dale's law proper — and the E sources are scaled down.
// PresynapticSign selects that version (mask and scaling transposed); the default reproduces
// BrainPy's. Either way |WRr| ∘ Mask has fixed signs and no self-connections. The choice
// matters: with BrainPy's mask every weight onto an E unit is excitatory and every weight onto
// an I unit inhibitory, so the E units excite one another with nothing to check them and the
// I units are silenced; trained with the tutorial's loop such a network learns to fixate but
// not to choose (final loss ≈ 0.18, decision accuracy near 0), while the PresynapticSign
// network learns the task (after 20 epochs: loss ≈ 0.06 and accuracy ≈ 0.7 at the tutorial's
// learning rate 0.001; loss ≈ 0.015 and accuracy ≈ 0.87 at 0.01 with PerSampleNoise and the
// gradient clipped to norm 1, without which a run at that rate can blow up). The biases are
// drawn from U(±1/√num_hidden) (BRr) and U(±1/√NumE) (BRo), and the readout reads the E units
// only. ξ ~ N(0, 1) is drawn inside the compiled loop at every step (one vector shared by the
// batch unless PerSampleNoise) and gradients flow through the noisy dynamics. Update returns
// the readout; H is the rate state (batch, num_hidden), to monitor as "H".
type EIRNN struct {
	NumIn, NumHidden, NumOut int
	// NumE and NumI are the sizes of the excitatory and inhibitory groups.
	NumE, NumI    int
	WIr, WRr, BRr *bpgo.Variable
	WRo, BRo      *bpgo.Variable
	// Mask is the fixed Dale's-law sign mask (num_hidden, num_hidden), not trained.
	Mask *bpgo.Variable
	// H is the rate state (batch, num_hidden).
	H *bpgo.Variable
	// Noise is the in-graph random state of the recurrent noise; nil when SigmaRec is 0.
	Noise *bpgo.Variable

	alpha, sigma float64
	perSample    bool
}

// DaleMask returns the (numE+numI)² sign mask of the BrainPy tutorial, row-major: +1 in the
// first numE columns, −1 in the last numI, 0 on the diagonal.
func DaleMask(numE, numI int) ([]float64, error) {
	if numE < 1 || numI < 1 {
		return nil, fmt.Errorf("models.DaleMask: numE and numI must be >= 1, got %d and %d", numE, numI)
	}
	n := numE + numI
	m := make([]float64, n*n)
	for i := range n {
		for j := range n {
			switch {
			case i == j:
			case j < numE:
				m[i*n+j] = 1
			default:
				m[i*n+j] = -1
			}
		}
	}
	return m, nil
}

// NewEIRNN creates an EIRNN with numIn inputs, numHidden units and numOut outputs. Its
// weights are trainable (the tutorial builds it in training mode).
func NewEIRNN(numIn, numHidden, numOut int, opts EIRNNOptions) (*EIRNN, error) {
	const fn = "models.NewEIRNN"
	if numIn < 1 || numHidden < 2 || numOut < 1 {
		return nil, fmt.Errorf("%s: want numIn >= 1, numHidden >= 2, numOut >= 1, got %d, %d, %d", fn, numIn, numHidden, numOut)
	}
	if !(opts.ERatio > 0 && opts.ERatio < 1) {
		return nil, fmt.Errorf("%s: EIRNNOptions.ERatio: want in (0, 1), got %g", fn, opts.ERatio)
	}
	numE := int(float64(numHidden) * opts.ERatio)
	numI := numHidden - numE
	if numE < 1 || numI < 1 {
		return nil, fmt.Errorf("%s: EIRNNOptions.ERatio: %g of %d units gives %d E and %d I units; want both >= 1", fn, opts.ERatio, numHidden, numE, numI)
	}
	if !(opts.Tau > 0) || math.IsInf(opts.Tau, 0) {
		return nil, fmt.Errorf("%s: EIRNNOptions.Tau: want a finite value > 0, got %g", fn, opts.Tau)
	}
	if !(opts.Dt > 0) || opts.Dt > opts.Tau {
		return nil, fmt.Errorf("%s: EIRNNOptions.Dt: want 0 < Dt <= Tau (%g), got %g", fn, opts.Tau, opts.Dt)
	}
	if !(opts.SigmaRec >= 0) || math.IsInf(opts.SigmaRec, 0) {
		return nil, fmt.Errorf("%s: EIRNNOptions.SigmaRec: want a finite value >= 0, got %g", fn, opts.SigmaRec)
	}
	k := initializers.KaimingUniform{Scale: 1}
	for _, p := range []*initializers.Initializer{&opts.WIr, &opts.WRr, &opts.WRo} {
		if *p == nil {
			*p = k
		}
	}
	dt := bpgo.FloatDType()
	param := func(name string, init initializers.Initializer, dims ...int) (*bpgo.Variable, error) {
		t, err := initializers.New(init, dims...)
		if err != nil {
			return nil, fmt.Errorf("%s: EIRNNOptions.%s: %w", fn, name, err)
		}
		return bpgo.NewParam(t, true), nil
	}
	m := &EIRNN{NumIn: numIn, NumHidden: numHidden, NumOut: numOut, NumE: numE, NumI: numI,
		alpha: opts.Dt / opts.Tau, perSample: opts.PerSampleNoise}
	m.sigma = math.Sqrt(2*m.alpha) * opts.SigmaRec
	var err error
	if m.WIr, err = param("WIr", opts.WIr, numIn, numHidden); err != nil {
		return nil, err
	}
	wrr, err := initializers.New(opts.WRr, numHidden, numHidden)
	if err != nil {
		return nil, fmt.Errorf("%s: EIRNNOptions.WRr: %w", fn, err)
	}
	w := bpgo.ToFloat64s(wrr)
	scale := float64(numE) / float64(numI)
	for i := range numHidden {
		for j := range numHidden {
			if (!opts.PresynapticSign && j < numE) || (opts.PresynapticSign && i < numE) {
				w[i*numHidden+j] /= scale
			}
		}
	}
	m.WRr = bpgo.NewParam(bpgo.Must1(bpgo.FromFloat64s(dt, w, numHidden, numHidden)), true)
	if m.BRr, err = param("b_rr", initializers.Uniform{Min: -1 / math.Sqrt(float64(numHidden)), Max: 1 / math.Sqrt(float64(numHidden))}, numHidden); err != nil {
		return nil, err
	}
	if m.WRo, err = param("WRo", opts.WRo, numE, numOut); err != nil {
		return nil, err
	}
	if m.BRo, err = param("b_ro", initializers.Uniform{Min: -1 / math.Sqrt(float64(numE)), Max: 1 / math.Sqrt(float64(numE))}, numOut); err != nil {
		return nil, err
	}
	mask, _ := DaleMask(numE, numI)
	if opts.PresynapticSign {
		for i := range numHidden {
			for j := range i {
				mask[i*numHidden+j], mask[j*numHidden+i] = mask[j*numHidden+i], mask[i*numHidden+j]
			}
		}
	}
	m.Mask = bpgo.NewParam(bpgo.Must1(bpgo.FromFloat64s(dt, mask, numHidden, numHidden)), false)
	m.H = bpgo.NewState(bpgo.Zeros(1, numHidden), 0)
	if m.sigma > 0 {
		m.Noise = bpgo.NewRandomState()
	}
	return m, nil
}

// Alpha is Dt/Tau.
func (m *EIRNN) Alpha() float64 { return m.alpha }

// NoiseStd is the standard deviation of the noise added at every step, sqrt(2·alpha)·σ_rec.
func (m *EIRNN) NoiseStd() float64 { return m.sigma }

// PerSampleNoise reports whether every batch row draws its own noise.
func (m *EIRNN) PerSampleNoise() bool { return m.perSample }

// ResetState sets the rates to zero for a batch of the given size.
func (m *EIRNN) ResetState(batch int) { m.H.Reset(bpgo.Zeros(batch, m.NumHidden)) }

// Connectivity returns the effective recurrent weights |WRr| ∘ Mask (num_hidden, num_hidden),
// row-major: entry (i, j) is the weight from unit i onto unit j.
func (m *EIRNN) Connectivity() [][]float64 {
	w, mask := m.WRr.Float64s(), m.Mask.Float64s()
	out := make([][]float64, m.NumHidden)
	for i := range out {
		out[i] = make([]float64, m.NumHidden)
		for j := range out[i] {
			out[i][j] = math.Abs(w[i*m.NumHidden+j]) * mask[i*m.NumHidden+j]
		}
	}
	return out
}

// SetWeights replaces a parameter's values (row-major) keeping its shape, for tests and for
// loading weights trained elsewhere.
func SetWeights(v *bpgo.Variable, values []float64) error {
	t, err := bpgo.FromFloat64s(v.Value().DType(), values, v.Shape().Dimensions...)
	if err != nil {
		return fmt.Errorf("models.SetWeights: %w", err)
	}
	if err := v.SetValue(t); err != nil {
		return fmt.Errorf("models.SetWeights: %w", err)
	}
	return nil
}

// eirnnFold keys one of the step's fixed matrices in Context.Once by what it is derived from.
type eirnnFold struct {
	what string
	a, b *graph.Node
}

// Update advances the rates by one step for u of shape (batch, num_in) and returns the
// readout (batch, num_out).
func (m *EIRNN) Update(ctx *bpgo.Context, u *graph.Node) *graph.Node {
	return m.Readout(ctx, m.UpdateHidden(ctx, u))
}

// UpdateHidden advances the rates by one step for u of shape (batch, num_in) and returns them,
// (batch, num_hidden); engines that unroll several steps apply Readout to all of them at once
// (bpgo.Readouter).
func (m *EIRNN) UpdateHidden(ctx *bpgo.Context, u *graph.Node) *graph.Node {
	if u.Rank() != 2 || u.Shape().Dimensions[1] != m.NumIn {
		panic(fmt.Sprintf("models.EIRNN: input shape %s, want (batch, %d)", u.Shape(), m.NumIn))
	}
	h := ctx.Value(m.H)
	batch := u.Shape().Dimensions[0]
	if hb := h.Shape().Dimensions[0]; hb != batch {
		panic(fmt.Sprintf("models.EIRNN: input batch size %d but the state has batch size %d: reset the state for this batch (bpgo.ResetState(model, %d))", batch, hb, batch))
	}
	// (1−alpha)·h + alpha·(u@WIr + h@(|WRr|∘Mask) + BRr) is computed as u@WIn + h@WRec + bias
	// with WIn = alpha·WIr, WRec = (1−alpha)·I + alpha·|WRr|∘Mask and bias = alpha·BRr, derived
	// once per graph (the same map; per-op overhead dominates steps this small on the Go
	// backend).
	a := m.alpha
	wir, wrr, mask := ctx.Value(m.WIr), ctx.Value(m.WRr), ctx.Value(m.Mask)
	win := ctx.Once(eirnnFold{"in", wir, nil}, func() *graph.Node { return graph.MulScalar(wir, a) })
	wrec := ctx.Once(eirnnFold{"rec", wrr, mask}, func() *graph.Node {
		w := graph.MulScalar(graph.Mul(graph.Abs(wrr), mask), a)
		return graph.Add(w, graph.DiagonalWithValue(graph.Scalar(wrr.Graph(), wrr.DType(), 1-a), m.NumHidden))
	})
	brr := ctx.Value(m.BRr)
	bias := ctx.Once(eirnnFold{"bias", brr, nil}, func() *graph.Node { return graph.InsertAxes(graph.MulScalar(brr, a), 0) })
	if m.Noise != nil {
		rows := 1
		if m.perSample {
			rows = batch
		}
		bias = graph.Add(graph.MulScalar(ctx.Normal(m.Noise, rows, m.NumHidden), m.sigma), bias)
	}
	h = relu(graph.Add(graph.Add(bpgo.MatMul(u, win), bpgo.MatMul(h, wrec)), bias))
	ctx.Set(m.H, h)
	return h
}

// Readout maps rates (n, num_hidden) to outputs (n, num_out), reading the E units only.
func (m *EIRNN) Readout(ctx *bpgo.Context, h *graph.Node) *graph.Node {
	if h.Rank() != 2 || h.Shape().Dimensions[1] != m.NumHidden {
		panic(fmt.Sprintf("models.EIRNN.Readout: rates of shape %s, want (n, %d)", h.Shape(), m.NumHidden))
	}
	// The readout's weights get zero rows for the I units, which spares a slice of h (and its
	// gradient a padded copy).
	wro := ctx.Value(m.WRo)
	wout := ctx.Once(eirnnFold{"out", wro, nil}, func() *graph.Node {
		return graph.Concatenate([]*graph.Node{wro, graph.Zeros(wro.Graph(), shapes.Make(wro.DType(), m.NumI, m.NumOut))}, 0)
	})
	bro := ctx.Value(m.BRo)
	outBias := ctx.Once(eirnnFold{"outBias", bro, nil}, func() *graph.Node { return graph.InsertAxes(bro, 0) })
	return graph.Add(bpgo.MatMul(h, wout), outBias)
}

// EIRNN resets with the engine and has its readout applied once per unrolled graph.
var (
	_ bpgo.Resetter  = (*EIRNN)(nil)
	_ bpgo.Readouter = (*EIRNN)(nil)
)
