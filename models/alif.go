package models

import (
	"math"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/bpgo/surrogate"
	"github.com/gomlx/gomlx/core/graph"
)

// ALIFParams are the validated parameters of an ALIFBellec2020 as ALIFStep takes them.
type ALIFParams struct {
	VRest, VTh, R, Tau, TauA float64
	// Beta is the adaptation strength: one value for all neurons, or one per neuron.
	Beta []float64
	// HasRef enables the refractory period TauRef (BrainPy's tau_ref not None).
	HasRef bool
	TauRef float64
	// Training selects BrainPy's TrainingMode branch (surrogate spikes).
	Training bool
	// SpikeFun is the surrogate (used only when Training).
	SpikeFun surrogate.Function
	// Eprop stops the gradient through the reset term (BrainPy's eprop=True).
	Eprop bool
}

// ALIFState is the state ALIFStep advances; TLastSpike is nil unless HasRef.
type ALIFState struct {
	V, A, TLastSpike *graph.Node
}

// beta returns β as a node that broadcasts against (B, N).
func (p ALIFParams) beta(like *graph.Node) *graph.Node {
	if len(p.Beta) == 1 {
		return scalarLike(like, p.Beta[0])
	}
	t := bpgo.Must1(bpgo.FromFloat64s(like.DType(), p.Beta, 1, len(p.Beta)))
	return graph.Const(like.Graph(), t)
}

// ALIFStep is one step of BrainPy's bp.neurons.ALIFBellec2020 at time t (a scalar node, ms;
// used only with HasRef), a pure function of the state s, the input current i (B, N) and dt:
//
//	V' = V + (1 − e^{−dt/τ})·(V_rest + R·I − V),  a' = a·e^{−dt/τ_a}   (exp_auto, from old values)
//	with HasRef: refractory = (t − t_last_spike) <= τ_ref (no gradient); V' = V where refractory
//	training:  s = SpikeFun((V' − V_th − β·a) / V_th)   (a: the old, pre-decay value)
//	           V' −= V_th·s (stop-gradient on s in this term if Eprop)
//	otherwise: s = V' >= V_th + β·a;  V' −= V_th·s
//	a' += s;  t_last_spike = t where s > 0
//
// The reset subtracts V_th (it does not go to V_rest), and spikes are not masked while
// refractory. It returns the spikes (0/1), the new state and refractory OR spiked (0/1; nil
// without HasRef). Note that the training-mode argument is divided by V_th, so with a negative
// V_th (BrainPy's default −60) training and non-training spikes differ, as in BrainPy.
func ALIFStep(s ALIFState, i, t *graph.Node, p ALIFParams, dt float64) (spike *graph.Node, next ALIFState, refractory *graph.Node) {
	dtype := s.V.DType()
	dV := graph.Add(graph.Neg(graph.AddScalar(s.V, -p.VRest)), graph.MulScalar(i, p.R))
	dV = graph.Div(dV, scalarLike(s.V, p.Tau))
	v := expEuler(s.V, dV, ExpEulerFactor(dt, p.Tau, dtype))
	da := graph.Div(graph.Neg(s.A), scalarLike(s.A, p.TauA))
	a := expEuler(s.A, da, ExpEulerFactor(dt, p.TauA, dtype))
	var refr *graph.Node
	if p.HasRef {
		refr = graph.StopGradient(graph.LessOrEqual(graph.Sub(t, s.TLastSpike), scalarLike(s.V, p.TauRef)))
		v = graph.Where(refr, s.V, v)
	}
	betaA := graph.Mul(p.beta(s.A), s.A)
	var fired *graph.Node
	if p.Training {
		arg := graph.Div(graph.Sub(graph.AddScalar(v, -p.VTh), betaA), scalarLike(v, p.VTh))
		spike = p.SpikeFun.Spike(arg)
		resetSpk := spike
		if p.Eprop {
			resetSpk = graph.StopGradient(spike)
		}
		fired = graph.StopGradient(graph.GreaterThan(spike, graph.ZerosLike(spike)))
		v = graph.Sub(v, graph.MulScalar(resetSpk, p.VTh))
	} else {
		fired = graph.GreaterOrEqual(v, graph.AddScalar(betaA, p.VTh))
		spike = boolToFloat(fired, dtype)
		v = graph.Sub(v, graph.MulScalar(spike, p.VTh))
	}
	next = ALIFState{V: v, A: graph.Add(a, spike)}
	if p.HasRef {
		refractory = graph.StopGradient(boolToFloat(graph.LogicalOr(refr, fired), dtype))
		next.TLastSpike = graph.StopGradient(graph.Where(fired, graph.BroadcastToShape(t, s.TLastSpike.Shape()), s.TLastSpike))
	}
	return spike, next, refractory
}

// ALIFOptions configure an ALIFBellec2020. Every field is used as given (0 means 0); start
// from ALIFDefaults() for BrainPy's defaults.
type ALIFOptions struct {
	// VRest is the resting potential; BrainPy's default -70.
	VRest float64
	// VTh is the threshold, not 0 (the training surrogate divides by it); BrainPy's default -60.
	VTh float64
	// R is the membrane resistance; BrainPy's default 1.
	R float64
	// Beta is the adaptation strength for all neurons (0: no adaptation); BrainPy's default 1.6.
	Beta float64
	// Betas, if set, gives one β per neuron (length size) and overrides Beta.
	Betas []float64
	// Tau is the membrane time constant in ms, > 0; BrainPy's default 20.
	Tau float64
	// TauA is the adaptation time constant in ms, > 0; BrainPy's default 2000.
	TauA float64
	// TauRef is the refractory period in ms, >= 0. 0 (BrainPy's default tau_ref=None) means
	// none and no TLastSpike/Refractory/Steps state; a positive period adds that state. (A
	// period of 0 with the state would give the same spikes and V: the refractory test
	// t − t_last_spike <= 0 never holds.)
	TauRef float64
	// VInit initializes V; BrainPy's default initializers.Constant{Value: -70} (OneInit(-70.)),
	// which nil also means.
	VInit initializers.Initializer
	// AInit initializes a; BrainPy's default initializers.Constant{Value: -50} (OneInit(-50.)),
	// which nil also means.
	AInit initializers.Initializer
	// SpikeFun is the surrogate used in TrainingMode; BrainPy's default
	// surrogate.ReluGradDefaults() (relu_grad, alpha 0.3, width 1), which nil also means.
	SpikeFun surrogate.Function
	// NoInputVar drops the Input state (BrainPy's input_var=False). Either way the current of
	// a step is the x given to Update (BrainPy's input accumulator is cleared after every runner
	// step, so it only ever holds that step's x).
	NoInputVar bool
	// Eprop stops the gradient through the reset term V −= V_th·s (BrainPy's eprop=True).
	Eprop bool
	// Mode: TrainingMode gives surrogate spikes; BatchingMode spikes V >= V_th + β·a;
	// DefaultMode means the global mode.
	Mode bpgo.Mode
}

// ALIFDefaults returns BrainPy's bp.neurons.ALIFBellec2020 defaults: V_rest -70, V_th -60, R 1,
// beta 1.6, tau 20 ms, tau_a 2000 ms, no refractory period, V = -70 and a = -50 initially, the
// relu_grad surrogate, the Input state, no e-prop, the global mode.
func ALIFDefaults() ALIFOptions {
	return ALIFOptions{VRest: -70, VTh: -60, R: 1, Beta: 1.6, Tau: 20, TauA: 2000,
		VInit: initializers.Constant{Value: -70}, AInit: initializers.Constant{Value: -50},
		SpikeFun: surrogate.ReluGradDefaults(), Mode: bpgo.DefaultMode}
}

// ALIFBellec2020 is BrainPy's bp.neurons.ALIFBellec2020 (same in 2.4.3 and 2.5.0), the
// adaptive LIF neuron of Bellec et al. 2020 (see ALIFStep for one step). State, all (batch,
// size) with the batch on axis 0: V, A (adaptation), Spike (0/1), Input (the last step's input
// current, unless NoInputVar), and with TauRef also TLastSpike (−1e7 after a reset),
// Refractory (0/1); the step's time t is the run's clock (bpgo.Context.T).
// Update(ctx, x) takes the total input current x (batch, size) (nil: none) and returns the
// spikes. Noise (BrainPy's noise=...) is not supported.
type ALIFBellec2020 struct {
	Size int
	// V is the membrane potential (batch, size).
	V *bpgo.Variable
	// A is the adaptation variable a (batch, size).
	A *bpgo.Variable
	// Spike holds the last step's spikes (batch, size), 0/1.
	Spike *bpgo.Variable
	// Input is the last step's input current (batch, size); nil with NoInputVar.
	Input *bpgo.Variable
	// TLastSpike is each neuron's last spike time in ms; nil without TauRef.
	TLastSpike *bpgo.Variable
	// Refractory (0/1): refractory or spiking at the last step; nil without TauRef.
	Refractory *bpgo.Variable

	params       ALIFParams               `bpgo:"-"`
	vInit, aInit initializers.Initializer `bpgo:"-"`
	mode         bpgo.Mode
}

// NewALIFBellec2020 creates an ALIFBellec2020 population of size neurons.
func NewALIFBellec2020(size int, opts ALIFOptions) (*ALIFBellec2020, error) {
	const ctor = "NewALIFBellec2020"
	if err := checkSize(ctor, size); err != nil {
		return nil, err
	}
	mode, err := bpgo.ResolveMode(opts.Mode)
	if err != nil {
		return nil, fieldErr(ctor, "ALIFOptions.Mode", "%v", err)
	}
	p := ALIFParams{VRest: opts.VRest, VTh: opts.VTh, R: opts.R, Tau: opts.Tau, TauA: opts.TauA,
		Training: mode == bpgo.TrainingMode, SpikeFun: opts.SpikeFun, Eprop: opts.Eprop}
	for _, f := range []struct {
		name string
		v    float64
	}{{"VRest", p.VRest}, {"VTh", p.VTh}, {"R", p.R}} {
		if err := checkFinite(ctor, "ALIFOptions."+f.name, f.v); err != nil {
			return nil, err
		}
	}
	if p.VTh == 0 {
		return nil, fieldErr(ctor, "ALIFOptions.VTh", "want a non-zero threshold (the spike function divides by V_th), got 0 (BrainPy's default is -60: start from models.ALIFDefaults())")
	}
	if err := checkTimeConst(ctor, "ALIFOptions.Tau", p.Tau, 20, "ALIFDefaults"); err != nil {
		return nil, err
	}
	if err := checkTimeConst(ctor, "ALIFOptions.TauA", p.TauA, 2000, "ALIFDefaults"); err != nil {
		return nil, err
	}
	if err := checkRefractory(ctor, "ALIFOptions.TauRef", opts.TauRef); err != nil {
		return nil, err
	}
	p.HasRef, p.TauRef = opts.TauRef > 0, opts.TauRef
	if opts.Betas != nil {
		if len(opts.Betas) != size {
			return nil, fieldErr(ctor, "ALIFOptions.Betas", "want one value per neuron (%d), got %d", size, len(opts.Betas))
		}
		p.Beta = append([]float64(nil), opts.Betas...)
	} else {
		p.Beta = []float64{opts.Beta}
	}
	for k, b := range p.Beta {
		if math.IsNaN(b) || math.IsInf(b, 0) {
			return nil, fieldErr(ctor, "ALIFOptions.Beta", "want finite values, got %v (neuron %d)", b, k)
		}
	}
	if p.SpikeFun == nil {
		p.SpikeFun = surrogate.ReluGradDefaults()
	}
	if err := checkSurrogate(ctor, "ALIFOptions.SpikeFun", p.SpikeFun); err != nil {
		return nil, err
	}
	vInit, aInit := opts.VInit, opts.AInit
	if vInit == nil {
		vInit = initializers.Constant{Value: -70}
	}
	if aInit == nil {
		aInit = initializers.Constant{Value: -50}
	}
	if err := checkInit(ctor, "ALIFOptions.VInit", vInit, size); err != nil {
		return nil, err
	}
	if err := checkInit(ctor, "ALIFOptions.AInit", aInit, size); err != nil {
		return nil, err
	}
	dt := bpgo.FloatDType()
	// BrainPy's reset_state order: a, V, input, spike, t_last_spike, refractory.
	n := &ALIFBellec2020{Size: size, params: p, vInit: vInit, aInit: aInit, mode: mode}
	n.A = initState(aInit, dt, 1, size)
	n.V = initState(vInit, dt, 1, size)
	if !opts.NoInputVar {
		n.Input = fillState(dt, 0, 1, size)
	}
	n.Spike = fillState(dt, 0, 1, size)
	if p.HasRef {
		n.TLastSpike = fillState(dt, neverSpiked, 1, size)
		n.Refractory = fillState(dt, 0, 1, size)
	}
	return n, nil
}

// Mode is the neuron's mode.
func (n *ALIFBellec2020) Mode() bpgo.Mode { return n.mode }

// Params returns the validated parameters.
func (n *ALIFBellec2020) Params() ALIFParams { return n.params }

// ResetState re-initialises a and V, zeroes Spike and Input, and with TauRef sets TLastSpike
// to −1e7 and Refractory to 0, as BrainPy's reset_state.
func (n *ALIFBellec2020) ResetState(batch int) {
	resetState(n.A, n.aInit, batch, n.Size)
	resetState(n.V, n.vInit, batch, n.Size)
	if n.Input != nil {
		refill(n.Input, 0, batch, n.Size)
	}
	refill(n.Spike, 0, batch, n.Size)
	if n.params.HasRef {
		refill(n.TLastSpike, neverSpiked, batch, n.Size)
		refill(n.Refractory, 0, batch, n.Size)
	}
}

// Update integrates one step with input current x (batch, size) (nil for none) and returns the
// spikes.
func (n *ALIFBellec2020) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	v := ctx.Value(n.V)
	i := current("ALIFBellec2020", x, v)
	s := ALIFState{V: v, A: ctx.Value(n.A)}
	var t *graph.Node
	if n.params.HasRef {
		t = ctx.T()
		s.TLastSpike = ctx.Value(n.TLastSpike)
	}
	spike, next, refr := ALIFStep(s, i, t, n.params, ctx.Dt())
	if n.Input != nil {
		ctx.Set(n.Input, i)
	}
	ctx.Set(n.V, next.V)
	ctx.Set(n.A, next.A)
	ctx.Set(n.Spike, spike)
	if n.params.HasRef {
		ctx.Set(n.TLastSpike, next.TLastSpike)
		ctx.Set(n.Refractory, refr)
	}
	return spike
}
