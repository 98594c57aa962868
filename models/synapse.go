package models

import (
	"fmt"
	"math"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// DualExponOptions configure a DualExpon synapse. Fields are used as given; start from
// DualExponDefaults().
type DualExponOptions struct {
	// TauDecay is the decay time constant in ms, > 0; BrainPy's default 10.
	TauDecay float64
	// TauRise is the rise time constant in ms, > 0; BrainPy's default 1. It must differ from
	// TauDecay (use Alpha for equal time constants).
	TauRise float64
	// PeakNormalized is BrainPy 2.5.0's default A=None: A is computed from the time constants,
	// A = τd/(τd − τr)·(τr/τd)^(τr/(τr − τd)), so that one unit input gives a peak g of 1. A
	// must then be 0.
	PeakNormalized bool
	// A scales the input when PeakNormalized is false, as BrainPy 2.5.0's A: the input enters
	// h as a·x with a = (τd − τr)/(τr·τd)·A. It must be finite and non-zero. BrainPy 2.4.3's
	// DualExpon (no A: h += x) is A = τr·τd/(τd − τr).
	A float64
	// Mode: DefaultMode means the global mode; the synapse has no weights.
	Mode bpgo.Mode
}

// DualExponDefaults returns BrainPy 2.5.0's bp.dyn.DualExpon defaults: tau_decay 10 ms,
// tau_rise 1 ms, A=None (PeakNormalized), the global mode.
func DualExponDefaults() DualExponOptions {
	return DualExponOptions{TauDecay: 10, TauRise: 1, PeakNormalized: true, Mode: bpgo.DefaultMode}
}

// DualExpon is BrainPy's dual-exponential (difference of exponentials) synapse bp.dyn.DualExpon:
//
//	dg/dt = −g/τd + h,   dh/dt = −h/τr + a·Σ δ(t − t_spike)
//
// integrated with exp_auto as a JointEq (each equation from the old values of the other):
//
//	g ← g + τd(1 − e^{−dt/τd})·(h − g/τd),   h ← h·e^{−dt/τr} + a·x
//
// State G and H are (B, Size), batch axis 0, zeros after ResetState. Update returns the new g.
type DualExpon struct {
	Size              int
	TauDecay, TauRise float64
	// Scale is a = (τd − τr)/(τr·τd)·A, the factor on the input.
	Scale float64
	G, H  *bpgo.Variable
	mode  bpgo.Mode
	name  string
}

// NewDualExpon creates a DualExpon synapse of size neurons (batch 1 until ResetState).
func NewDualExpon(size int, opts DualExponOptions) (*DualExpon, error) {
	const ctor = "NewDualExpon"
	if err := checkSize(ctor, size); err != nil {
		return nil, err
	}
	if err := checkTimeConst(ctor, "DualExponOptions.TauDecay", opts.TauDecay, 10, "DualExponDefaults"); err != nil {
		return nil, err
	}
	if err := checkTimeConst(ctor, "DualExponOptions.TauRise", opts.TauRise, 1, "DualExponDefaults"); err != nil {
		return nil, err
	}
	td, tr := opts.TauDecay, opts.TauRise
	if td == tr {
		return nil, fieldErr(ctor, "DualExponOptions.TauRise", "want a value other than TauDecay (%v): the input scale divides by τd − τr; use NewAlpha for equal time constants", td)
	}
	a := opts.A
	switch {
	case opts.PeakNormalized && a != 0:
		return nil, fieldErr(ctor, "DualExponOptions.A", "want 0 with PeakNormalized (A is then computed), got %v", a)
	case opts.PeakNormalized:
		a = td / (td - tr) * math.Pow(tr/td, tr/(tr-td))
	case a == 0 || math.IsNaN(a) || math.IsInf(a, 0):
		return nil, fieldErr(ctor, "DualExponOptions.A", "want a finite non-zero number, got %v (BrainPy's default is A=None, the peak normalisation: set PeakNormalized or start from models.DualExponDefaults())", a)
	}
	mode, err := bpgo.ResolveMode(opts.Mode)
	if err != nil {
		return nil, fmt.Errorf("models.NewDualExpon: DualExponOptions.Mode: %w", err)
	}
	return &DualExpon{Size: size, TauDecay: td, TauRise: tr, Scale: (td - tr) / tr / td * a,
		G: bpgo.NewState(bpgo.Zeros(1, size), 0), H: bpgo.NewState(bpgo.Zeros(1, size), 0),
		mode: mode, name: "models.DualExpon"}, nil
}

// Mode is the synapse's mode.
func (d *DualExpon) Mode() bpgo.Mode { return d.mode }

// OutSize is the number of post-synaptic neurons (Size).
func (d *DualExpon) OutSize() int { return d.Size }

// ResetState sets g and h to zeros of shape (batch, Size).
func (d *DualExpon) ResetState(batch int) {
	resetZeros(d.G, batch, d.Size)
	resetZeros(d.H, batch, d.Size)
}

// Update advances g and h by one step and adds the input x (B, Size) to h (x nil: no input).
// It returns the new g.
func (d *DualExpon) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	g, h := ctx.Value(d.G), ctx.Value(d.H)
	checkSynInput(d.name, x, g, d.Size)
	g, h = DualExponStep(g, h, x, d.TauDecay, d.TauRise, d.Scale, ctx.Dt())
	ctx.Set(d.G, g)
	ctx.Set(d.H, h)
	return g
}

// DualExponStep is one exp_auto step of the dual-exponential synapse as a pure function: each
// equation is integrated from the old values, then the input scaled by a enters h:
//
//	g' = g + τd(1 − e^{−dt/τd})·(h − g/τd),   h' = h·e^{−dt/τr} + a·x
//
// x may be nil (no input).
func DualExponStep(g, h, x *graph.Node, tauDecay, tauRise, a, dt float64) (gNew, hNew *graph.Node) {
	kd := tauDecay * (1 - math.Exp(-dt/tauDecay))
	gNew = graph.Add(g, graph.MulScalar(graph.Sub(h, graph.MulScalar(g, 1/tauDecay)), kd))
	hNew = graph.MulScalar(h, math.Exp(-dt/tauRise))
	if x != nil {
		if a != 1 {
			x = graph.MulScalar(x, a)
		}
		hNew = graph.Add(hNew, x)
	}
	return gNew, hNew
}

// AlphaOptions configure an Alpha synapse. Fields are used as given; start from
// AlphaDefaults().
type AlphaOptions struct {
	// TauDecay is the time constant in ms, > 0; BrainPy's default 10.
	TauDecay float64
	// Mode: DefaultMode means the global mode; the synapse has no weights.
	Mode bpgo.Mode
}

// AlphaDefaults returns BrainPy's bp.dyn.Alpha defaults: tau_decay 10 ms, the global mode.
func AlphaDefaults() AlphaOptions { return AlphaOptions{TauDecay: 10, Mode: bpgo.DefaultMode} }

// Alpha is BrainPy 2.4.3's alpha synapse bp.dyn.Alpha: a DualExpon with τr = τd = τ and the
// input added to h unscaled (2.4.3's Alpha subclasses its DualExpon, which has no A):
//
//	g ← g + τ(1 − e^{−dt/τ})·(h − g/τ),   h ← h·e^{−dt/τ} + x
//
// so one unit input at t0 gives g(t) ≈ (t − t0)·e^{−(t − t0)/τ}, peaking at τ/e.
type Alpha struct {
	DualExpon
}

// NewAlpha creates an Alpha synapse of size neurons (batch 1 until ResetState).
func NewAlpha(size int, opts AlphaOptions) (*Alpha, error) {
	if err := checkSize("NewAlpha", size); err != nil {
		return nil, err
	}
	if err := checkTimeConst("NewAlpha", "AlphaOptions.TauDecay", opts.TauDecay, 10, "AlphaDefaults"); err != nil {
		return nil, err
	}
	mode, err := bpgo.ResolveMode(opts.Mode)
	if err != nil {
		return nil, fmt.Errorf("models.NewAlpha: AlphaOptions.Mode: %w", err)
	}
	return &Alpha{DualExpon{Size: size, TauDecay: opts.TauDecay, TauRise: opts.TauDecay, Scale: 1,
		G: bpgo.NewState(bpgo.Zeros(1, size), 0), H: bpgo.NewState(bpgo.Zeros(1, size), 0),
		mode: mode, name: "models.Alpha"}}, nil
}
