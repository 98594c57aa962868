package models

import (
	"fmt"
	"math"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// SynOut turns a synaptic conductance g (B, N) into the current a post-synaptic neuron
// receives, given the neuron's membrane potential v (B, N), like BrainPy's SynOut
// (bp.dyn.CUBA, bp.dyn.COBA). Outputs that do not depend on v (CUBA) accept v == nil.
type SynOut interface {
	Update(ctx *bpgo.Context, g, v *graph.Node) *graph.Node
	// NeedsV reports whether Update reads v (then the projection must find the post's V).
	NeedsV() bool
}

// CUBA is the current-based output bp.dyn.CUBA: I = g.
type CUBA struct {
	_ byte // not zero-sized, so distinct outputs have distinct addresses
}

// NewCUBA returns a current-based output.
func NewCUBA() *CUBA { return &CUBA{} }

// Update returns g unchanged; v is ignored and may be nil.
func (*CUBA) Update(_ *bpgo.Context, g, _ *graph.Node) *graph.Node { return g }

// NeedsV is false: CUBA ignores the membrane potential.
func (*CUBA) NeedsV() bool { return false }

// COBA is the conductance-based output bp.dyn.COBA(E): I = g·(E − V), with E the reversal
// potential (mV) and V the post-synaptic membrane potential at the time the current is computed.
type COBA struct {
	E float64
}

// NewCOBA returns a conductance-based output with reversal potential e (BrainPy has no default:
// E is required).
func NewCOBA(e float64) (*COBA, error) {
	if math.IsNaN(e) || math.IsInf(e, 0) {
		return nil, fmt.Errorf("models.NewCOBA: E (reversal potential) must be finite, got %v", e)
	}
	return &COBA{E: e}, nil
}

// Update returns g·(E − v) for g and v of the same shape (B, N). v is required.
func (c *COBA) Update(_ *bpgo.Context, g, v *graph.Node) *graph.Node {
	if v == nil {
		panic("models.COBA: Update needs the post-synaptic membrane potential v (got nil)")
	}
	if !g.Shape().Equal(v.Shape()) {
		panic(fmt.Sprintf("models.COBA: conductance shape %s but membrane potential shape %s", g.Shape(), v.Shape()))
	}
	return graph.Mul(g, graph.Sub(graph.Scalar(g.Graph(), g.DType(), c.E), v))
}

// NeedsV is true: COBA's current depends on the membrane potential.
func (*COBA) NeedsV() bool { return true }
