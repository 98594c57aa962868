package models

import (
	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/bpgo/surrogate"
	"github.com/gomlx/gomlx/core/graph"
)

// LifParams are the validated parameters of a Lif (or LifRef) as the pure step functions take
// them.
type LifParams struct {
	VRest, VReset, VTh, R, Tau float64
	// Training selects BrainPy's TrainingMode branch: surrogate spikes and a differentiable
	// reset; otherwise spikes are V >= V_th and V is set to V_reset.
	Training bool
	// SpkFun is the surrogate spike function (used only when Training).
	SpkFun surrogate.Function
	// HardReset selects spk_reset='hard' (V += (V_reset − V)·s) instead of the default soft
	// reset (V −= (V_th − V_reset)·s); only when Training.
	HardReset bool
	// DetachSpk stops the gradient through the spike (detach_spk=True; only when Training).
	DetachSpk bool
}

// lifIntegrate is the exp_auto step of tau·dV/dt = −(V − V_rest) + R·I, written as BrainPy's
// derivative (−V + V_rest + R·I)/tau.
func lifIntegrate(v, i *graph.Node, p LifParams, dt float64) *graph.Node {
	f := graph.Add(graph.AddScalar(graph.Neg(v), p.VRest), graph.MulScalar(i, p.R))
	f = graph.Div(f, scalarLike(v, p.Tau))
	return expEuler(v, f, ExpEulerFactor(dt, p.Tau, v.DType()))
}

// lifReset applies the training-mode reset with the spike s.
func lifReset(v, s *graph.Node, p LifParams) *graph.Node {
	if p.HardReset {
		return graph.Add(v, graph.Mul(graph.Sub(scalarLike(v, p.VReset), v), s))
	}
	return graph.Sub(v, graph.MulScalar(s, p.VTh-p.VReset))
}

// LifStep is one step of BrainPy's bp.dyn.Lif, a pure function of the membrane potential v
// (B, N) and the input current i (B, N), with dt in ms:
//
//	V' = V + (1 − e^{−dt/τ})·(V_rest + R·I − V)          (exp_auto)
//	training:  s = SpkFun(V' − V_th) (stop-gradient if DetachSpk);
//	           soft: V' −= (V_th − V_reset)·s;  hard: V' += (V_reset − V')·s
//	otherwise: s = V' >= V_th;  V' = V_reset where s
//
// It returns the spikes s (0/1 in v's dtype) and the new potential.
func LifStep(v, i *graph.Node, p LifParams, dt float64) (spike, vNew *graph.Node) {
	vNew = lifIntegrate(v, i, p, dt)
	if p.Training {
		spike = p.SpkFun.Spike(graph.AddScalar(vNew, -p.VTh))
		if p.DetachSpk {
			spike = graph.StopGradient(spike)
		}
		return spike, lifReset(vNew, spike, p)
	}
	fired := graph.GreaterOrEqual(vNew, scalarLike(vNew, p.VTh))
	vNew = graph.Where(fired, scalarLike(vNew, p.VReset), vNew)
	return boolToFloat(fired, v.DType()), vNew
}

// LifOptions configure a Lif (and, with LifRefOptions, a LifRef). Every field is used as given
// (0 means 0); start from LifDefaults() for BrainPy's defaults:
//
//	o := models.LifDefaults()
//	o.VReset = 0
//	lif, err := models.NewLif(100, o)
type LifOptions struct {
	// VRest is the resting potential V_rest; BrainPy's default 0.
	VRest float64
	// VReset is the reset potential V_reset; BrainPy's default -5.
	VReset float64
	// VTh is the threshold V_th; BrainPy's default 20. It must exceed VReset.
	VTh float64
	// R is the membrane resistance; BrainPy's default 1.
	R float64
	// Tau is the membrane time constant in ms, > 0; BrainPy's default 10.
	Tau float64
	// VInit initializes V (batch, size) at construction and at every ResetState; BrainPy's
	// default initializers.Zero{} (ZeroInit()), which nil also means.
	VInit initializers.Initializer
	// SpkFun is the surrogate spike function used in TrainingMode; BrainPy's default
	// surrogate.InvSquareGrad{Alpha: 100}, which nil also means.
	SpkFun surrogate.Function
	// SpkReset is "soft" (BrainPy's default; "" means it too) or "hard"; it matters only in
	// TrainingMode (the other modes always set V to V_reset).
	SpkReset string
	// DetachSpk stops the gradient through the spikes (BrainPy's detach_spk).
	DetachSpk bool
	// Mode: TrainingMode gives surrogate spikes and the differentiable reset; BatchingMode the
	// comparison V >= V_th and V = V_reset; DefaultMode means the global mode (bpgo.SetMode).
	Mode bpgo.Mode
}

// LifDefaults returns BrainPy's bp.dyn.Lif defaults: V_rest 0, V_reset -5, V_th 20, R 1,
// tau 10 ms, V initialized to zeros, the InvSquareGrad(alpha=100) surrogate, soft reset, the
// global mode.
func LifDefaults() LifOptions {
	return LifOptions{VRest: 0, VReset: -5, VTh: 20, R: 1, Tau: 10, VInit: initializers.Zero{},
		SpkFun: surrogate.InvSquareGrad{Alpha: 100}, SpkReset: "soft", Mode: bpgo.DefaultMode}
}

// resolve validates the options; ctor names the constructor, opts the options type and
// defaults its Defaults function, for errors.
func (o LifOptions) resolve(ctor, opts, defaults string, size int) (LifParams, bpgo.Mode, initializers.Initializer, error) {
	var p LifParams
	if err := checkSize(ctor, size); err != nil {
		return p, 0, nil, err
	}
	mode, err := bpgo.ResolveMode(o.Mode)
	if err != nil {
		return p, 0, nil, fieldErr(ctor, opts+".Mode", "%v", err)
	}
	p = LifParams{VRest: o.VRest, VReset: o.VReset, VTh: o.VTh, R: o.R, Tau: o.Tau,
		Training: mode == bpgo.TrainingMode, SpkFun: o.SpkFun, DetachSpk: o.DetachSpk}
	for _, f := range []struct {
		name string
		v    float64
	}{{"VRest", p.VRest}, {"VReset", p.VReset}, {"VTh", p.VTh}, {"R", p.R}} {
		if err := checkFinite(ctor, opts+"."+f.name, f.v); err != nil {
			return p, 0, nil, err
		}
	}
	if err := checkTimeConst(ctor, opts+".Tau", p.Tau, 10, defaults); err != nil {
		return p, 0, nil, err
	}
	if !(p.VTh > p.VReset) {
		return p, 0, nil, fieldErr(ctor, opts+".VTh", "want greater than VReset (%v), got %v (BrainPy's defaults are VTh 20, VReset -5: start from models.%s())", p.VReset, p.VTh, defaults)
	}
	switch o.SpkReset {
	case "", "soft":
	case "hard":
		p.HardReset = true
	default:
		return p, 0, nil, fieldErr(ctor, opts+".SpkReset", "want \"soft\" or \"hard\", got %q", o.SpkReset)
	}
	if p.SpkFun == nil {
		p.SpkFun = surrogate.InvSquareGrad{Alpha: 100}
	}
	if err := checkSurrogate(ctor, opts+".SpkFun", p.SpkFun); err != nil {
		return p, 0, nil, err
	}
	vInit := o.VInit
	if vInit == nil {
		vInit = initializers.Zero{}
	}
	if err := checkInit(ctor, opts+".VInit", vInit, size); err != nil {
		return p, 0, nil, err
	}
	return p, mode, vInit, nil
}

// Lif is BrainPy's bp.dyn.Lif (2.4.3/2.5.0), the leaky integrate-and-fire neuron
//
//	tau·dV/dt = −(V − V_rest) + R·I,  spike when V >= V_th, then reset,
//
// integrated with exp_auto (see LifStep for one step). There is no refractory period (see
// LifRef). State: V and Spike, (batch, size), batch on axis 0; at construction V is VInit for a
// batch of 1 and Spike is zeros. Update(ctx, x) takes the total input current x (batch, size)
// (nil: none; see the package notes on inputs in neuron.go) and returns the spikes, 0/1 in the
// model's float type in every mode.
type Lif struct {
	Size int
	// V is the membrane potential (batch, size).
	V *bpgo.Variable
	// Spike holds the last step's spikes (batch, size), 0/1.
	Spike *bpgo.Variable

	params LifParams                `bpgo:"-"`
	vInit  initializers.Initializer `bpgo:"-"`
	mode   bpgo.Mode
}

// NewLif creates a Lif population of size neurons.
func NewLif(size int, opts LifOptions) (*Lif, error) {
	p, mode, vInit, err := opts.resolve("NewLif", "LifOptions", "LifDefaults", size)
	if err != nil {
		return nil, err
	}
	dt := bpgo.FloatDType()
	return &Lif{Size: size, V: initState(vInit, dt, 1, size), Spike: fillState(dt, 0, 1, size),
		params: p, vInit: vInit, mode: mode}, nil
}

// Mode is the neuron's mode.
func (n *Lif) Mode() bpgo.Mode { return n.mode }

// Params returns the validated parameters.
func (n *Lif) Params() LifParams { return n.params }

// ResetState sets V to VInit((batch, size)) and Spike to zeros, as BrainPy's reset_state.
func (n *Lif) ResetState(batch int) {
	resetState(n.V, n.vInit, batch, n.Size)
	refill(n.Spike, 0, batch, n.Size)
}

// Update integrates one step with input current x (batch, size) (nil for none) and returns the
// spikes.
func (n *Lif) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	v := ctx.Value(n.V)
	spike, vNew := LifStep(v, current("Lif", x, v), n.params, ctx.Dt())
	ctx.Set(n.V, vNew)
	ctx.Set(n.Spike, spike)
	return spike
}

// LifRefParams are a LifRef's validated parameters.
type LifRefParams struct {
	LifParams
	// TauRef is the refractory period in ms (>= 0).
	TauRef float64
}

// LifRefState is the state LifRefStep advances.
type LifRefState struct {
	V, TLastSpike *graph.Node
}

// LifRefStep is one step of BrainPy's bp.dyn.LifRef at time t (a scalar node, ms), a pure
// function of the state s, the input current i (B, N) and dt:
//
//	V' = exp_auto step of Lif from V
//	refractory = (t − t_last_spike) <= tau_ref   (no gradient);  V' = V where refractory
//	training:  s = SpkFun(V' − V_th); reset as Lif with s (stop-gradient in the reset only if
//	           DetachSpk; the returned s keeps its gradient); t_last_spike = t where s > 0
//	otherwise: s = V' >= V_th;  V' = V_reset where s;  t_last_spike = t where s
//
// Spikes are not masked while refractory (only V is frozen), as in BrainPy. It returns the
// spikes, the new state and refractory OR spiked (BrainPy's `refractory` variable), 0/1.
func LifRefStep(s LifRefState, i, t *graph.Node, p LifRefParams, dt float64) (spike *graph.Node, next LifRefState, refractory *graph.Node) {
	dtype := s.V.DType()
	v := lifIntegrate(s.V, i, p.LifParams, dt)
	refr := graph.StopGradient(graph.LessOrEqual(graph.Sub(t, s.TLastSpike), scalarLike(s.V, p.TauRef)))
	v = graph.Where(refr, s.V, v)
	var fired *graph.Node
	if p.Training {
		spike = p.SpkFun.Spike(graph.AddScalar(v, -p.VTh))
		resetSpk := spike
		if p.DetachSpk {
			resetSpk = graph.StopGradient(spike)
		}
		v = lifReset(v, resetSpk, p.LifParams)
		fired = graph.StopGradient(graph.GreaterThan(resetSpk, graph.ZerosLike(resetSpk)))
	} else {
		fired = graph.GreaterOrEqual(v, scalarLike(v, p.VTh))
		v = graph.Where(fired, scalarLike(v, p.VReset), v)
		spike = boolToFloat(fired, dtype)
	}
	tLast := graph.StopGradient(graph.Where(fired, graph.BroadcastToShape(t, s.TLastSpike.Shape()), s.TLastSpike))
	refractory = boolToFloat(graph.LogicalOr(refr, fired), dtype)
	return spike, LifRefState{V: v, TLastSpike: tLast}, refractory
}

// LifRefOptions configure a LifRef: the Lif options plus the refractory period. Start from
// LifRefDefaults().
type LifRefOptions struct {
	LifOptions
	// TauRef is the refractory period in ms, >= 0; BrainPy's default 0 (then LifRef behaves
	// like Lif).
	TauRef float64
	// RefVar adds the Refractory state (BrainPy's ref_var=True).
	RefVar bool
}

// LifRefDefaults returns BrainPy's bp.dyn.LifRef defaults: those of LifDefaults, tau_ref 0,
// no Refractory state.
func LifRefDefaults() LifRefOptions { return LifRefOptions{LifOptions: LifDefaults()} }

// LifRef is BrainPy's bp.dyn.LifRef: a Lif whose V stays frozen while
// t − t_last_spike <= TauRef (see LifRefStep). Spikes are not masked during the refractory
// period. State: V, Spike, TLastSpike ((batch, size); −1e7 after a reset), Refractory (only
// with RefVar; 0/1). The step's time t is the run's clock (bpgo.Context.T: 0 at the first step
// of every BPTT batch and of a runner after a reset, as in BrainPy).
// Update(ctx, x) takes the total input current and returns the spikes.
type LifRef struct {
	Size int
	// V is the membrane potential (batch, size).
	V *bpgo.Variable
	// Spike holds the last step's spikes (batch, size), 0/1.
	Spike *bpgo.Variable
	// TLastSpike is each neuron's last spike time in ms (batch, size); −1e7 if none yet.
	TLastSpike *bpgo.Variable
	// Refractory (batch, size), 0/1: refractory or spiking at the last step; nil unless RefVar.
	Refractory *bpgo.Variable
	params     LifRefParams             `bpgo:"-"`
	vInit      initializers.Initializer `bpgo:"-"`
	mode       bpgo.Mode
}

// NewLifRef creates a LifRef population of size neurons.
func NewLifRef(size int, opts LifRefOptions) (*LifRef, error) {
	p, mode, vInit, err := opts.LifOptions.resolve("NewLifRef", "LifRefOptions", "LifRefDefaults", size)
	if err != nil {
		return nil, err
	}
	tauRef := opts.TauRef
	if err := checkRefractory("NewLifRef", "LifRefOptions.TauRef", tauRef); err != nil {
		return nil, err
	}
	dt := bpgo.FloatDType()
	n := &LifRef{Size: size, V: initState(vInit, dt, 1, size), Spike: fillState(dt, 0, 1, size),
		TLastSpike: fillState(dt, neverSpiked, 1, size),
		params:     LifRefParams{LifParams: p, TauRef: tauRef}, vInit: vInit, mode: mode}
	if opts.RefVar {
		n.Refractory = fillState(dt, 0, 1, size)
	}
	return n, nil
}

// Mode is the neuron's mode.
func (n *LifRef) Mode() bpgo.Mode { return n.mode }

// Params returns the validated parameters.
func (n *LifRef) Params() LifRefParams { return n.params }

// ResetState sets V to VInit((batch, size)), Spike (and Refractory) to zeros, TLastSpike to
// −1e7.
func (n *LifRef) ResetState(batch int) {
	resetState(n.V, n.vInit, batch, n.Size)
	refill(n.Spike, 0, batch, n.Size)
	refill(n.TLastSpike, neverSpiked, batch, n.Size)
	if n.Refractory != nil {
		refill(n.Refractory, 0, batch, n.Size)
	}
}

// Update integrates one step with input current x (batch, size) (nil for none) and returns the
// spikes.
func (n *LifRef) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	t := ctx.T()
	v := ctx.Value(n.V)
	spike, next, refr := LifRefStep(LifRefState{V: v, TLastSpike: ctx.Value(n.TLastSpike)},
		current("LifRef", x, v), t, n.params, ctx.Dt())
	ctx.Set(n.V, next.V)
	ctx.Set(n.Spike, spike)
	ctx.Set(n.TLastSpike, next.TLastSpike)
	if n.Refractory != nil {
		ctx.Set(n.Refractory, refr)
	}
	return spike
}
