package models

import (
	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// LeakyStep is one step of BrainPy's bp.dyn.Leaky: the exp_auto decay of dx/dt = −x/τ,
// computed as BrainPy does (x + dt·φ·(−x/τ), which is x·e^{−dt/τ}), then the input added as an
// instantaneous jump (not scaled by dt/τ):
//
//	x' = x·e^{−dt/τ} + inp
//
// inp may be nil (no input). x and inp are (B, N).
func LeakyStep(x, inp *graph.Node, tau, dt float64) *graph.Node {
	f := graph.Div(graph.Neg(x), scalarLike(x, tau))
	next := expEuler(x, f, ExpEulerFactor(dt, tau, x.DType()))
	if inp != nil {
		next = graph.Add(next, inp)
	}
	return next
}

// LeakyOptions configure a Leaky. Fields are used as given; start from LeakyDefaults().
type LeakyOptions struct {
	// Tau is the time constant in ms, > 0; BrainPy's default 10.
	Tau float64
	// Mode: Leaky behaves the same in every mode; DefaultMode means the global mode.
	Mode bpgo.Mode
}

// LeakyDefaults returns BrainPy's bp.dyn.Leaky defaults: tau 10 ms, the global mode.
func LeakyDefaults() LeakyOptions { return LeakyOptions{Tau: 10, Mode: bpgo.DefaultMode} }

// Leaky is BrainPy's bp.dyn.Leaky, a leaky readout: X decays with time constant Tau and the
// input of each step is added to it undecayed (see LeakyStep). State X (batch, size), zeros
// after a reset. Update(ctx, x) takes the input (nil: none) and returns the new X. In BrainPy
// 2.5.0 the input also includes registered projection currents (evaluated after the decay);
// in bpgo the caller passes their sum as x, which gives the same result.
type Leaky struct {
	Size int
	Tau  float64
	// X is the leaky variable (batch, size).
	X *bpgo.Variable

	mode bpgo.Mode
}

// NewLeaky creates a Leaky of size units.
func NewLeaky(size int, opts LeakyOptions) (*Leaky, error) {
	const ctor = "NewLeaky"
	if err := checkSize(ctor, size); err != nil {
		return nil, err
	}
	mode, err := bpgo.ResolveMode(opts.Mode)
	if err != nil {
		return nil, fieldErr(ctor, "LeakyOptions.Mode", "%v", err)
	}
	tau := opts.Tau
	if err := checkTimeConst(ctor, "LeakyOptions.Tau", tau, 10, "LeakyDefaults"); err != nil {
		return nil, err
	}
	return &Leaky{Size: size, Tau: tau, X: fillState(bpgo.FloatDType(), 0, 1, size), mode: mode}, nil
}

// Mode is the module's mode.
func (n *Leaky) Mode() bpgo.Mode { return n.mode }

// ResetState sets X to zeros (batch, size).
func (n *Leaky) ResetState(batch int) { refill(n.X, 0, batch, n.Size) }

// Update decays X by one step, adds the input x (batch, size) (nil for none) and returns X.
func (n *Leaky) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	old := ctx.Value(n.X)
	if x != nil {
		x = current("Leaky", x, old)
	}
	next := LeakyStep(old, x, n.Tau, ctx.Dt())
	ctx.Set(n.X, next)
	return next
}
