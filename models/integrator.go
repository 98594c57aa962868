package models

import (
	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/gomlx/gomlx/core/graph"
)

// IntegratorStep is one exp_auto step of BrainPy's bp.dyn.Integrator, tau·dx/dt = −x + I:
//
//	x' = x + (1 − e^{−dt/τ})·(I − x)
//
// computed as BrainPy does, x + dt·φ·(−x + I)/τ. x and i are (B, N).
func IntegratorStep(x, i *graph.Node, tau, dt float64) *graph.Node {
	f := graph.Div(graph.Add(graph.Neg(x), i), scalarLike(x, tau))
	return expEuler(x, f, ExpEulerFactor(dt, tau, x.DType()))
}

// IntegratorOptions configure an Integrator. Fields are used as given; start from
// IntegratorDefaults().
type IntegratorOptions struct {
	// Tau is the time constant in ms, > 0; BrainPy's default 10.
	Tau float64
	// XInit initializes X (batch, size) at construction and every ResetState; BrainPy's
	// default initializers.Zero{}, which nil also means.
	XInit initializers.Initializer
	// Mode: the Integrator behaves the same in every mode; DefaultMode means the global mode.
	Mode bpgo.Mode
}

// IntegratorDefaults returns BrainPy's bp.dyn.Integrator defaults: tau 10 ms, X initialized to
// zeros, the global mode.
func IntegratorDefaults() IntegratorOptions {
	return IntegratorOptions{Tau: 10, XInit: initializers.Zero{}, Mode: bpgo.DefaultMode}
}

// Integrator is BrainPy's bp.dyn.Integrator, a leaky integrator of its input,
// tau·dx/dt = −x + I (see IntegratorStep). State X (batch, size). Update(ctx, x) takes the
// input I (batch, size) (nil: 0) and returns the new X. Like BrainPy's, it does not add
// registered projection currents; pass everything as the input.
type Integrator struct {
	Size int
	Tau  float64
	// X is the integrated variable (batch, size).
	X *bpgo.Variable

	xInit initializers.Initializer `bpgo:"-"`
	mode  bpgo.Mode
}

// NewIntegrator creates an Integrator of size units.
func NewIntegrator(size int, opts IntegratorOptions) (*Integrator, error) {
	const ctor = "NewIntegrator"
	if err := checkSize(ctor, size); err != nil {
		return nil, err
	}
	mode, err := bpgo.ResolveMode(opts.Mode)
	if err != nil {
		return nil, fieldErr(ctor, "IntegratorOptions.Mode", "%v", err)
	}
	tau := opts.Tau
	if err := checkTimeConst(ctor, "IntegratorOptions.Tau", tau, 10, "IntegratorDefaults"); err != nil {
		return nil, err
	}
	xInit := opts.XInit
	if xInit == nil {
		xInit = initializers.Zero{}
	}
	if err := checkInit(ctor, "IntegratorOptions.XInit", xInit, size); err != nil {
		return nil, err
	}
	return &Integrator{Size: size, Tau: tau, X: initState(xInit, bpgo.FloatDType(), 1, size),
		xInit: xInit, mode: mode}, nil
}

// Mode is the module's mode.
func (n *Integrator) Mode() bpgo.Mode { return n.mode }

// ResetState sets X to XInit((batch, size)).
func (n *Integrator) ResetState(batch int) { resetState(n.X, n.xInit, batch, n.Size) }

// Update integrates one step with input x (batch, size) (nil for none) and returns the new X.
func (n *Integrator) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	old := ctx.Value(n.X)
	next := IntegratorStep(old, current("Integrator", x, old), n.Tau, ctx.Dt())
	ctx.Set(n.X, next)
	return next
}
