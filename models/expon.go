package models

import (
	"fmt"
	"math"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// ExponOptions configure an Expon synapse. Fields are used as given; start from
// ExponDefaults().
type ExponOptions struct {
	// Tau is the decay time constant in ms, > 0; BrainPy's default 8 (bp.dyn.Expon's tau=8.0).
	// The SNN tutorials pass 10.
	Tau float64
	// Mode: DefaultMode means the global mode (bpgo.SetMode). The synapse has no weights, so
	// the mode only records how it was built; its state always has a batch axis.
	Mode bpgo.Mode
}

// ExponDefaults returns BrainPy's bp.dyn.Expon defaults: tau 8 ms, the global mode.
func ExponDefaults() ExponOptions { return ExponOptions{Tau: 8, Mode: bpgo.DefaultMode} }

// Expon is BrainPy's single-exponential synapse bp.dyn.Expon (2.4.3 ≡ 2.5.0), dg/dt = −g/τ +
// Σ δ(t − t_spike), integrated with exp_auto:
//
//	g ← g·e^{−dt/τ} + x
//
// The input of a step is added after that step's decay, undecayed. State G is (B, Size), batch
// axis 0, zeros after ResetState. Update returns the new g.
type Expon struct {
	Size int
	Tau  float64
	// G is the conductance state (B, Size).
	G    *bpgo.Variable
	mode bpgo.Mode
}

// NewExpon creates an Expon synapse of size neurons (batch 1 until ResetState).
func NewExpon(size int, opts ExponOptions) (*Expon, error) {
	if err := checkSize("NewExpon", size); err != nil {
		return nil, err
	}
	if err := checkTimeConst("NewExpon", "ExponOptions.Tau", opts.Tau, 8, "ExponDefaults"); err != nil {
		return nil, err
	}
	mode, err := bpgo.ResolveMode(opts.Mode)
	if err != nil {
		return nil, fmt.Errorf("models.NewExpon: ExponOptions.Mode: %w", err)
	}
	return &Expon{Size: size, Tau: opts.Tau, G: bpgo.NewState(bpgo.Zeros(1, size), 0), mode: mode}, nil
}

// Mode is the synapse's mode.
func (e *Expon) Mode() bpgo.Mode { return e.mode }

// OutSize is the number of post-synaptic neurons (Size); projections use it to check sizes.
func (e *Expon) OutSize() int { return e.Size }

// ResetState sets g to zeros of shape (batch, Size), like Expon.reset_state(batch).
func (e *Expon) ResetState(batch int) { resetZeros(e.G, batch, e.Size) }

// Update decays g by one step and adds x (B, Size), the input of this step; x may be nil
// (BrainPy's update() with no input: decay only). It returns the new g.
func (e *Expon) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	g := ctx.Value(e.G)
	checkSynInput("models.Expon", x, g, e.Size)
	g = ExponStep(g, x, e.Tau, ctx.Dt())
	ctx.Set(e.G, g)
	return g
}

// ExponStep is one exp_auto step of the Expon synapse as a pure function: g·e^{−dt/τ} + x
// (x nil: no input).
func ExponStep(g, x *graph.Node, tau, dt float64) *graph.Node {
	g = graph.MulScalar(g, math.Exp(-dt/tau))
	if x != nil {
		g = graph.Add(g, x)
	}
	return g
}

// resetZeros resets a (B, n) state to zeros of batch rows, keeping its dtype.
func resetZeros(v *bpgo.Variable, batch, n int) {
	v.Reset(tensors.FromShape(shapes.Make(v.Value().DType(), batch, n)))
}

// checkSynInput panics unless x (if given) is (B, size) with B the state's batch size.
func checkSynInput(module string, x, state *graph.Node, size int) {
	if x == nil {
		return
	}
	if x.Rank() != 2 || x.Shape().Dimensions[1] != size {
		panic(fmt.Sprintf("%s: input shape %s, want (batch, %d)", module, x.Shape(), size))
	}
	if xb, sb := x.Shape().Dimensions[0], state.Shape().Dimensions[0]; xb != sb {
		panic(fmt.Sprintf("%s: input batch size %d but the state has batch size %d: reset the state for this batch (bpgo.ResetState(model, %d))", module, xb, sb, xb))
	}
	if x.DType() != state.DType() {
		panic(fmt.Sprintf("%s: input dtype %s, want %s (the state's float type)", module, x.DType(), state.DType()))
	}
}
