package bpgo

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/tensors"
)

// GradCheckOptions configure CheckGradients.
type GradCheckOptions struct {
	// Step is the central finite-difference step (default 1e-6, for float64).
	Step float64
	// Floor keeps tiny gradients from dominating the relative error (default 1e-8).
	Floor float64
	// MaxPerVar caps the elements checked per variable, spread evenly (default 0: all).
	MaxPerVar int
}

// GradCheck is the outcome of CheckGradients.
type GradCheck struct {
	// MaxRelErr is the largest |analytic − numeric| / max(|analytic|, |numeric|, Floor).
	MaxRelErr float64
	// Worst names the element with MaxRelErr, e.g. "rnn.Wh[3]".
	Worst string
	// Checked is the number of elements compared.
	Checked int
}

// CheckGradients compares g's gradient for one batch with central finite differences of the
// loss, element by element. The model's state is restored before every evaluation, so it also
// works with GradOptions.NoReset. Use float64 (bpgo.EnableX64): in float32 finite differences
// are too coarse.
func CheckGradients(g *Grad, xs, ys *tensors.Tensor, opts GradCheckOptions) (*GradCheck, error) {
	if opts.Step == 0 {
		opts.Step = 1e-6
	}
	if opts.Floor == 0 {
		opts.Floor = 1e-8
	}
	if !(opts.Step > 0) || !(opts.Floor > 0) || opts.MaxPerVar < 0 {
		return nil, fmt.Errorf("bpgo.CheckGradients: want Step > 0, Floor > 0, MaxPerVar >= 0; got %+v", opts)
	}
	if err := g.refresh(); err != nil {
		return nil, err
	}
	states := g.tree.States()
	saved := make([]*tensors.Tensor, len(states))
	for i, s := range states {
		saved[i] = s.get()
	}
	restore := func() {
		for i, s := range states {
			s.put(saved[i])
		}
	}
	res, err := g.Compute(xs, ys)
	restore()
	if err != nil {
		return nil, err
	}
	loss := func() (float64, error) {
		defer restore()
		r, err := g.Evaluate(xs, ys)
		if err != nil {
			return 0, err
		}
		return r.Loss, nil
	}
	out := &GradCheck{}
	for _, p := range g.params {
		analytic := ToFloat64s(res.Grads[p])
		orig := p.get()
		base := ToFloat64s(orig)
		idx := spread(len(base), opts.MaxPerVar)
		for _, i := range idx {
			eval := func(delta float64) (float64, error) {
				w := append([]float64(nil), base...)
				w[i] += delta
				t, err := FromFloat64s(orig.DType(), w, orig.Shape().Dimensions...)
				if err != nil {
					return 0, err
				}
				p.put(t)
				return loss()
			}
			lp, err := eval(opts.Step)
			if err != nil {
				p.put(orig)
				return nil, err
			}
			lm, err := eval(-opts.Step)
			p.put(orig)
			if err != nil {
				return nil, err
			}
			numeric := (lp - lm) / (2 * opts.Step)
			rel := math.Abs(analytic[i]-numeric) / math.Max(math.Max(math.Abs(analytic[i]), math.Abs(numeric)), opts.Floor)
			if rel > out.MaxRelErr || math.IsNaN(rel) {
				out.MaxRelErr, out.Worst = rel, fmt.Sprintf("%s[%d] (analytic %g, numeric %g)", p.name, i, analytic[i], numeric)
			}
			out.Checked++
		}
	}
	return out, nil
}

// spread picks up to max indices of [0, n) evenly (all if max is 0 or >= n).
func spread(n, max int) []int {
	if max == 0 || max >= n {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, max)
	for i := range out {
		out[i] = i * n / max
	}
	return out
}
