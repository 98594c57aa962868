package trainers

import (
	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// epropStep is what one step leaves for advance: the postsynaptic factors (B, N) of the
// trace recurrence, the learning signals L (B, N) and the presynaptic activity pre (B, P).
type epropStep struct {
	cV, dI, psi, l, pre *graph.Node
}

// advance moves the traces over the buffered steps of the graph at once. Per synapse the
// state S = (ε^V, ε^a, ē) follows a linear recurrence whose coefficients depend only on the
// postsynaptic neuron and whose drive is the presynaptic activity:
//
//	S_t = A_t·S_{t−1} + u_t·pre_t
//	A_t = [[c, 0, 0], [ψc, r, 0], [ψc, −ψβ, κ]],  u_t = d·(1, ψ, ψ),  r = ρ − ψβ
//	e_t = h_t·S_{t−1} + ψd·pre_t,  h_t = (ψc, −ψβ, 0)
//
// so over a block of K steps S_K = Φ_{K,0}·S_0 + Σ_s Φ_{K,s}·u_s·pre_s (Φ: products of the A's,
// 3×3 lower-triangular per trial and neuron), and the sums Σ_t L_t·ē_t and Σ_t e_t that the
// update needs split the same way. The (B, N)-sized factors come from short recursions over
// the block's steps; what touches every synapse is three elementwise passes over S_0 and three
// matrix products over the block's steps, instead of ~15 elementwise passes per step. The
// result is the step-by-step recurrence of EProp's documentation, reassociated (a block of one
// step is exactly it); memory is the block's (B, N) and (B, P) values, whatever T is. A block
// without learning signals (a run without targets) moves the traces and Σ e only.
func (h *epropHook) advance(sc *bpgo.StepContext, beta *graph.Node, rho, kappa float64) {
	blk := h.block
	h.block = nil
	k := len(blk)
	signals := blk[0].l != nil
	g := sc.Graph()
	one := graph.Scalar(g, h.dtype, 1)
	zero := graph.Scalar(g, h.dtype, 0)
	mul, add, sub := graph.Mul, graph.Add, graph.Sub
	// Walked from s = K down to 1: M = Φ_{K,s} (lower-triangular: m00, m10, m11, m20, m21,
	// m22), λ (entering step s: λ_{s+1}·A_{s+1}; λ_s = Σ_{t≥s} L_t·Φ_{t,s}[ē,·]) and ν_s =
	// Σ_{t>s} h_t·Φ_{t−1,s} (its ē component stays 0).
	m00, m10, m11, m20, m21, m22 := one, zero, one, zero, zero, one
	lam := [3]*graph.Node{zero, zero, zero}
	nu0, nu1 := zero, zero
	wV, wA, wE := make([]*graph.Node, k), make([]*graph.Node, k), make([]*graph.Node, k)
	cL, cE := make([]*graph.Node, k), make([]*graph.Node, k)
	for i := k - 1; i >= 0; i-- {
		s := blk[i]
		pb := mul(s.psi, beta)
		r := graph.AddScalar(graph.Neg(pb), rho) // ρ − ψβ
		// x·A_s for a row vector x = (x0, x1, x2) is (c·(x0 + ψ·x12), ρ·x1 − ψβ·x12, κ·x2) with
		// x12 = x1 + x2; for x2 = 0 the middle one is r·x1. The block-end weight of pre_s,
		// Φ_{K,s}·u_s with u_s = d·(1, ψ, ψ), is d·(x0 + ψ·x12) for each row of M, the same
		// inner term as the step back's first component.
		t1 := add(m10, mul(m11, s.psi))
		m2 := add(m21, m22)
		t2 := add(m20, mul(m2, s.psi))
		tn := add(nu0, mul(nu1, s.psi))
		wV[i], wA[i], wE[i] = mul(m00, s.dI), mul(t1, s.dI), mul(t2, s.dI)
		cE[i] = mul(add(tn, s.psi), s.dI)
		if signals {
			lam[2] = add(lam[2], s.l)
			l12 := add(lam[1], lam[2])
			tl := add(lam[0], mul(l12, s.psi))
			cL[i] = mul(tl, s.dI)
			lam = [3]*graph.Node{mul(tl, s.cV), sub(graph.MulScalar(lam[1], rho), mul(l12, pb)), graph.MulScalar(lam[2], kappa)}
		}
		// Step back through A_s.
		m00 = mul(m00, s.cV)
		m10, m11 = mul(t1, s.cV), mul(m11, r)
		m20, m21, m22 = mul(t2, s.cV), sub(graph.MulScalar(m21, rho), mul(m2, pb)), graph.MulScalar(m22, kappa)
		nu0, nu1 = mul(add(tn, s.psi), s.cV), sub(mul(nu1, r), pb)
	}

	col := func(x *graph.Node) *graph.Node { // (B, N) → (B, 1, N); m22 = κ^K stays a scalar
		if x.Rank() == 0 {
			return x
		}
		return graph.InsertAxes(x, 1)
	}
	epsV0, epsA0, eBar0 := sc.Value(h.epsV), sc.Value(h.epsA), sc.Value(h.eBar)
	pres := make([]*graph.Node, k)
	for i, s := range blk {
		pres[i] = s.pre
	}
	// The presynaptic activity is spikes, mostly zeros, and the backend skips the zeros of a
	// product's left factor: every product below has pre on the left, stacked with the steps
	// first like the step weights w on the right, which stacking copies as whole rows, and
	// contracts the steps. The traces are (B, P, N), the products' own layout.
	preK := graph.Stack(pres, 1)                 // (B, K, P)
	drive := func(w []*graph.Node) *graph.Node { // Σ_s pre_s·w_s per trial: (B, K, P)·(B, K, N)
		return graph.DotGeneral(preK, []int{1}, []int{0}, graph.Stack(w, 1), []int{1}, []int{0})
	}
	sc.Set(h.epsV, add(mul(col(m00), epsV0), drive(wV)))
	sc.Set(h.epsA, add(add(mul(col(m10), epsV0), mul(col(m11), epsA0)), drive(wA)))
	sc.Set(h.eBar, add(add(add(mul(col(m20), epsV0), mul(col(m21), epsA0)), mul(col(m22), eBar0)), drive(wE)))
	// Σ_{b,s} pre_s·w_s: the same stacks contracted on their trials and steps.
	total := func(w []*graph.Node) *graph.Node {
		return graph.DotGeneral(preK, []int{0, 1}, nil, graph.Stack(w, 1), []int{0, 1}, nil)
	}
	// λ = λ_1·A_1 and ν = ν_0 are now the sums' weights on S_0 (ν has no ē component).
	if signals {
		fromS0 := add(add(mul(col(lam[0]), epsV0), mul(col(lam[1]), epsA0)), mul(col(lam[2]), eBar0))
		sc.Set(h.gRec, add(add(sc.Value(h.gRec), graph.ReduceSum(fromS0, 0)), total(cL)))
	}
	fromS0 := add(mul(col(nu0), epsV0), mul(col(nu1), epsA0))
	sc.Set(h.eSum, add(add(sc.Value(h.eSum), graph.ReduceSum(fromS0, 0)), total(cE)))
}
