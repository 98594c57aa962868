package optim

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
)

// Clip configures gradient clipping, applied inside the update graph before the update, in the
// order Value, PerArrayNorm, GlobalNorm. A zero field turns that kind of clipping off (a
// threshold of 0 would zero every gradient, which no one means; BrainPy's None), so the zero
// Clip clips nothing.
type Clip struct {
	// Value clamps every gradient element to [-Value, Value].
	Value float64
	// PerArrayNorm scales each gradient array g separately by c/max(‖g‖₂, c): BrainPy 2.1.12
	// BPTT's max_grad_norm (bm.clip_by_norm), used by seed 001 with 5.0.
	PerArrayNorm float64
	// GlobalNorm scales all gradients by c/max(‖(g₁, …, gₙ)‖₂, c), ‖·‖₂ taken over all their
	// elements together.
	GlobalNorm float64
}

// IsZero reports whether no clipping is configured.
func (c Clip) IsZero() bool { return c == Clip{} }

// Validate checks that every threshold is a non-negative finite number.
func (c Clip) Validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"Value", c.Value}, {"PerArrayNorm", c.PerArrayNorm}, {"GlobalNorm", c.GlobalNorm}} {
		if !(f.v >= 0) || !finite(f.v) {
			return fmt.Errorf("optim.Clip: %s: want a non-negative finite number (0 = off), got %v", f.name, f.v)
		}
	}
	return nil
}

// Apply returns the clipped gradients (the same slice contents when no clipping is set). It
// is what the optimizers' UpdateGraph does first; trainers may use it in their own graphs.
// c must be valid (see Validate).
func (c Clip) Apply(grads []*graph.Node) []*graph.Node {
	out := append([]*graph.Node(nil), grads...)
	if c.Value > 0 {
		for i, g := range out {
			out[i] = graph.ClipScalar(g, -c.Value, c.Value)
		}
	}
	if c.PerArrayNorm > 0 {
		for i, g := range out {
			out[i] = scaleByNorm(g, l2Norm(g), c.PerArrayNorm)
		}
	}
	if c.GlobalNorm > 0 && len(out) > 0 {
		dt := out[0].DType()
		var sq *graph.Node
		for _, g := range out {
			s := graph.ConvertDType(graph.ReduceAllSum(graph.Mul(g, g)), dt)
			if sq == nil {
				sq = s
			} else {
				sq = graph.Add(sq, s)
			}
		}
		norm := graph.Sqrt(sq)
		for i, g := range out {
			out[i] = scaleByNorm(g, graph.ConvertDType(norm, g.DType()), c.GlobalNorm)
		}
	}
	return out
}

// l2Norm is sqrt(sum(g*g)) over all elements, like BrainPy's clip_by_norm.
func l2Norm(g *graph.Node) *graph.Node { return graph.Sqrt(graph.ReduceAllSum(graph.Mul(g, g))) }

// scaleByNorm is g*c/max(norm, c), in BrainPy's order of operations.
func scaleByNorm(g, norm *graph.Node, c float64) *graph.Node {
	return graph.Div(graph.MulScalar(g, c), graph.MaxScalar(norm, c))
}
