package bpgo

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/tensors"
)

// gradScan holds a Grad's compiled scan graphs (built on first use, dropped by refresh).
type gradScan struct {
	step  *scanStep
	fwd   map[bool]*scanFwdExec // by store
	bwd   *scanBwdExec
	steps int // the segment length chosen for the last call (for tests and reports)
}

func (g *Grad) scanExecs() *gradScan {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.scanEx == nil {
		g.scanEx = &gradScan{fwd: map[bool]*scanFwdExec{}, step: &scanStep{model: g.model, tree: g.tree, dtype: g.dtype,
			dt: g.dt, vars: g.tree.Vars, mons: g.mons}}
	}
	return g.scanEx
}

func (sc *gradScan) forward(g *Grad, store bool) *scanFwdExec {
	g.mu.Lock()
	defer g.mu.Unlock()
	if sc.fwd[store] == nil {
		sc.fwd[store] = newScanFwdExec(g.backend, sc.step, g.tree.States(), nil, false, store)
	}
	return sc.fwd[store]
}

func (sc *gradScan) backward(g *Grad) *scanBwdExec {
	g.mu.Lock()
	defer g.mu.Unlock()
	if sc.bwd == nil {
		sc.bwd = newScanBwdExec(g.backend, sc.step, g.tree.States(), g.params)
	}
	return sc.bwd
}

// scanSegment is the number of steps whose states the backward loop keeps at once: all of
// them while they fit in DefaultScanStateBytes (or GradOptions.Checkpoint steps), else
// segments of equal length recomputed from their first state.
func scanSegment(checkpoint, steps int, states []*Variable) int {
	k := checkpoint
	if k == 0 {
		per := 0
		for _, s := range states {
			per += int(s.value.Shape().Memory())
		}
		if per == 0 || DefaultScanStateBytes/per >= steps {
			return steps
		}
		k = max(1, DefaultScanStateBytes/per)
	}
	if k >= steps {
		return steps
	}
	n := (steps + k - 1) / k
	return (steps + n - 1) / n
}

// runScan is BPTT on the scan engine: the forward loop, the loss and its cotangents, and the
// backward loop, over one segment holding every step, or segment by segment from checkpoints.
func (g *Grad) runScan(xs, ys *tensors.Tensor, opt Optimizer, withGrad bool) (*GradResult, error) {
	dims := xs.Shape().Dimensions
	steps := dims[1]
	states := g.tree.States()
	sc := g.scanExecs()
	k := steps
	if withGrad {
		k = scanSegment(g.checkpoint, steps, states)
	}
	sc.steps = k
	spans := segments(steps, k)
	var host []float64
	if len(spans) > 1 {
		host = ToFloat64s(xs)
	}
	window := func(sp span) (*tensors.Tensor, error) {
		if len(spans) == 1 {
			return xs, nil
		}
		return timeWindow(xs, host, sp.start, sp.k, k)
	}

	// Forward: the outputs and monitors of every step, and the state at each segment's start
	// (with one segment, every step's state, for the backward loop).
	fwd := sc.forward(g, withGrad && len(spans) == 1)
	boundary := make([][]*tensors.Tensor, len(spans))
	var outParts []*tensors.Tensor
	monParts := make([][]*tensors.Tensor, len(g.mons))
	var bufs []*tensors.Tensor
	for c, sp := range spans {
		boundary[c] = varValuesT(states)
		in, err := window(sp)
		if err != nil {
			return nil, err
		}
		res, err := callExec(fwd.exec, packArgs(&fwd.ins, map[string][]any{"vars": varValues(g.tree.Vars), "hook": nil,
			"clock": {clockArg(sp.start)}, "n": {clockArg(sp.k)}, "xs": {in}}))
		if err != nil {
			return nil, fmt.Errorf("forward loop over steps [%d, %d): %w", sp.start, sp.start+sp.k, err)
		}
		out := splitArgs(&fwd.outs, res)
		outParts = append(outParts, trimSteps(out["ys"][0], sp.k))
		for i := range g.mons {
			monParts[i] = append(monParts[i], trimSteps(out["mons"][i], sp.k))
		}
		bufs = out["bufs"]
		setValues(states, out["states"])
	}
	outputs, err := joinMonitor(outParts)
	if err != nil {
		return nil, err
	}
	monAll := make([]*tensors.Tensor, len(g.mons))
	for i, m := range g.mons {
		if monAll[i], err = joinMonitor(monParts[i]); err != nil {
			return nil, fmt.Errorf("monitor %q: %w", m.name, err)
		}
	}

	lex := g.lossExec(lossKey{withGrad})
	res, err := callExec(lex.exec, packArgs(&lex.ins, map[string][]any{
		"params": varValues(g.allParams), "outputs": {outputs}, "mons": anys(monAll), "ys": {ys}}))
	if err != nil {
		return nil, fmt.Errorf("evaluating the loss: %w", err)
	}
	lout := splitArgs(&lex.outs, res)
	r := g.decodeLoss(lout)
	if !withGrad || (opt != nil && (math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0))) {
		return r, nil
	}

	// Backward, last segment first, chaining the cotangent of the segments' first states.
	bwd := sc.backward(g)
	gOut, gMons := lout["gOut"][0], lout["gMons"]
	var gOutHost []float64
	gMonHost := make([][]float64, len(gMons))
	if len(spans) > 1 {
		gOutHost = ToFloat64s(gOut)
		for i, m := range gMons {
			gMonHost[i] = ToFloat64s(m)
		}
		fwd = sc.forward(g, true)
	}
	fs := floatStateIdx(states)
	lambda := make([]any, len(fs))
	for i, si := range fs {
		lambda[i] = tensors.FromShape(states[si].value.Shape())
	}
	acc := anys(lout["gParams"])
	final := varValuesT(states)
	for c := len(spans) - 1; c >= 0; c-- {
		sp := spans[c]
		in, err := window(sp)
		if err != nil {
			return nil, err
		}
		gy, gm := gOut, anys(gMons)
		if len(spans) > 1 {
			setValues(states, boundary[c])
			res, err := callExec(fwd.exec, packArgs(&fwd.ins, map[string][]any{"vars": varValues(g.tree.Vars), "hook": nil,
				"clock": {clockArg(sp.start)}, "n": {clockArg(sp.k)}, "xs": {in}}))
			if err != nil {
				return nil, fmt.Errorf("recomputing steps [%d, %d): %w", sp.start, sp.start+sp.k, err)
			}
			bufs = splitArgs(&fwd.outs, res)["bufs"]
			if gy, err = timeWindow(gOut, gOutHost, sp.start, sp.k, k); err != nil {
				return nil, err
			}
			for i, m := range gMons {
				if gm[i], err = timeWindow(m, gMonHost[i], sp.start, sp.k, k); err != nil {
					return nil, err
				}
			}
		}
		res, err := callExec(bwd.exec, packArgs(&bwd.ins, map[string][]any{"vars": varValues(g.tree.Vars),
			"clock": {clockArg(sp.start)}, "n": {clockArg(sp.k)}, "xs": {in}, "bufs": anys(bufs), "gOut": {gy},
			"gMons": gm, "lambda": lambda, "acc": acc}))
		if err != nil {
			return nil, fmt.Errorf("backward loop over steps [%d, %d): %w", sp.start, sp.start+sp.k, err)
		}
		bout := splitArgs(&bwd.outs, res)
		acc, lambda = anys(bout["acc"]), anys(bout["lambda"])
	}
	setValues(states, final)
	grads := Grads{}
	for i, p := range g.params {
		grads[p] = acc[i].(*tensors.Tensor)
	}
	if opt == nil {
		r.Grads = grads
		return r, nil
	}
	if err := ApplyGradients(opt, grads); err != nil {
		return nil, err
	}
	return r, nil
}

// span is a run of steps [start, start+k).
type span struct{ start, k int }

// segments cuts steps into runs of k (the last may be shorter).
func segments(steps, k int) []span {
	var out []span
	for s := 0; s < steps; s += k {
		out = append(out, span{s, min(k, steps-s)})
	}
	return out
}

// varValuesT lists the variables' current values.
func varValuesT(vs []*Variable) []*tensors.Tensor {
	out := make([]*tensors.Tensor, len(vs))
	for i, v := range vs {
		out[i] = v.value
	}
	return out
}

// timeWindow copies steps [start, start+k) of a float sequence ((B, T, ...) or (T,); host is
// its data) into a sequence of capacity steps, zero after k.
func timeWindow(full *tensors.Tensor, host []float64, start, k, capacity int) (*tensors.Tensor, error) {
	dims := full.Shape().Dimensions
	if len(dims) == 1 {
		data := make([]float64, capacity)
		copy(data, host[start:start+k])
		return FromFloat64s(full.DType(), data, capacity)
	}
	part := TimeSlice(host, dims, start, k)
	if k == capacity {
		return FromFloat64s(full.DType(), part, append([]int{dims[0], k}, dims[2:]...)...)
	}
	inner := len(part) / (dims[0] * k)
	data := make([]float64, dims[0]*capacity*inner)
	for b := range dims[0] {
		copy(data[b*capacity*inner:], part[b*k*inner:(b+1)*k*inner])
	}
	return FromFloat64s(full.DType(), data, append([]int{dims[0], capacity}, dims[2:]...)...)
}

// trimSteps keeps the first k steps of a loop's (B, K, ...) or (K,) result.
func trimSteps(t *tensors.Tensor, k int) *tensors.Tensor {
	dims := t.Shape().Dimensions
	axis := timeAxis(len(dims))
	if dims[axis] == k {
		return t
	}
	if !t.DType().IsFloat() {
		panic(fmt.Sprintf("bpgo: a loop result of dtype %s cannot be trimmed on the host", t.DType()))
	}
	host := ToFloat64s(t)
	if axis == 0 {
		return Must1(FromFloat64s(t.DType(), host[:k], k))
	}
	nd := append([]int{dims[0], k}, dims[2:]...)
	return Must1(FromFloat64s(t.DType(), TimeSlice(host, dims, 0, k), nd...))
}
