package bpgo

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Keys of the chunked path's compiled graphs.
type (
	fwdKey  struct{}
	lossKey struct{ grad bool }
	bwdKey  struct{}
)

// runChunked is BPTT with recomputation: forward chunk by chunk keeping boundary states, the
// loss and its cotangents in one graph, then backward chunk by chunk chaining the state
// cotangents (see Grad).
func (g *Grad) runChunked(xs, ys *tensors.Tensor, opt Optimizer, withGrad bool) (*GradResult, error) {
	dims := xs.Shape().Dimensions
	batch, steps := dims[0], dims[1]
	host := ToFloat64s(xs)
	type span struct{ start, k int }
	var spans []span
	for s := 0; s < steps; s += g.chunk {
		spans = append(spans, span{s, min(g.chunk, steps-s)})
	}
	chunkIn := func(sp span) (*tensors.Tensor, error) {
		return FromFloat64s(g.dtype, TimeSlice(host, dims, sp.start, sp.k), append([]int{batch, sp.k}, dims[2:]...)...)
	}
	states := g.tree.States()

	// Forward: keep the state at each chunk's start, the outputs and the monitors.
	fwd := g.forwardExec()
	boundary := make([][]*tensors.Tensor, len(spans))
	var outParts []*tensors.Tensor
	monParts := make([][]*tensors.Tensor, len(g.mons))
	for c, sp := range spans {
		boundary[c] = make([]*tensors.Tensor, len(states))
		args := make([]any, 0, len(g.tree.Vars)+1)
		for _, v := range g.tree.Vars {
			args = append(args, v.value)
		}
		for i, s := range states {
			boundary[c][i] = s.value
		}
		in, err := chunkIn(sp)
		if err != nil {
			return nil, err
		}
		res, err := callExec(fwd, append(args, in))
		if err != nil {
			return nil, fmt.Errorf("forward steps [%d, %d): %w", sp.start, sp.start+sp.k, err)
		}
		outParts = append(outParts, res[0])
		for i := range g.mons {
			monParts[i] = append(monParts[i], res[1+i])
		}
		for i, s := range states {
			s.value = res[1+len(g.mons)+i]
		}
	}
	outputs, err := concatTime(outParts)
	if err != nil {
		return nil, err
	}
	monAll := make([]*tensors.Tensor, len(g.mons))
	for i, m := range g.mons {
		if monAll[i], err = joinMonitor(monParts[i]); err != nil {
			return nil, fmt.Errorf("monitor %q: %w", m.name, err)
		}
	}

	// Loss and its cotangents with respect to outputs, monitors and (directly) parameters.
	lkey := lossKey{withGrad}
	largs := make([]any, 0, len(g.allParams)+len(monAll)+2)
	for _, p := range g.allParams {
		largs = append(largs, p.value)
	}
	largs = append(largs, outputs)
	for _, m := range monAll {
		largs = append(largs, m)
	}
	largs = append(largs, ys)
	res, err := callExec(g.lossExec(lkey), largs)
	if err != nil {
		return nil, fmt.Errorf("evaluating the loss: %w", err)
	}
	out, rest := g.decodeLoss(lkey, res)
	if !withGrad {
		return out, nil
	}
	if math.IsNaN(out.Loss) || math.IsInf(out.Loss, 0) {
		if opt != nil {
			return out, nil // nothing applied
		}
	}
	gOut := rest[0]
	gMons := rest[1 : 1+len(g.mons)]
	acc := rest[1+len(g.mons):] // direct dL/dparams, accumulated through the chunks below

	// Backward, last chunk first.
	bwd := g.backwardExec()
	gOutHost := ToFloat64s(gOut)
	gMonHost := make([][]float64, len(gMons))
	for i, m := range gMons {
		if m != nil && m.DType().IsFloat() {
			gMonHost[i] = ToFloat64s(m)
		}
	}
	floatStates := floatStateIdx(states)
	lambda := make([]*tensors.Tensor, len(floatStates)) // dL/d(state at the chunk's end)
	for i, si := range floatStates {
		lambda[i] = tensors.FromShape(states[si].value.Shape())
	}
	outDims := gOut.Shape().Dimensions
	for c := len(spans) - 1; c >= 0; c-- {
		sp := spans[c]
		args := make([]any, 0, len(g.tree.Vars)+8)
		si := 0
		for _, v := range g.tree.Vars {
			if v.Kind == State {
				args = append(args, boundary[c][si])
				si++
			} else {
				args = append(args, v.value)
			}
		}
		in, err := chunkIn(sp)
		if err != nil {
			return nil, err
		}
		args = append(args, in)
		gy, err := FromFloat64s(g.dtype, TimeSlice(gOutHost, outDims, sp.start, sp.k), append([]int{batch, sp.k}, outDims[2:]...)...)
		if err != nil {
			return nil, err
		}
		args = append(args, gy)
		for i := range g.mons {
			args = append(args, monitorSlice(gMons[i], gMonHost[i], sp.start, sp.k))
		}
		for _, l := range lambda {
			args = append(args, l)
		}
		for _, a := range acc {
			args = append(args, a)
		}
		res, err := callExec(bwd, args)
		if err != nil {
			return nil, fmt.Errorf("backward steps [%d, %d): %w", sp.start, sp.start+sp.k, err)
		}
		acc = res[:len(g.params)]
		lambda = res[len(g.params):]
	}
	grads := Grads{}
	for i, p := range g.params {
		grads[p] = acc[i]
	}
	if opt == nil {
		out.Grads = grads
		return out, nil
	}
	if err := ApplyGradients(opt, grads); err != nil {
		return nil, err
	}
	return out, nil
}

// floatStateIdx lists the indices of states that carry gradients (float dtypes).
func floatStateIdx(states []*Variable) []int {
	var out []int
	for i, s := range states {
		if s.value.DType().IsFloat() {
			out = append(out, i)
		}
	}
	return out
}

// monitorSlice cuts steps [start, start+k) out of a monitor's cotangent (zeros for monitors
// without one).
func monitorSlice(full *tensors.Tensor, host []float64, start, k int) *tensors.Tensor {
	dims := full.Shape().Dimensions
	if host == nil {
		nd := slices.Clone(dims)
		if len(nd) >= 2 {
			nd[1] = k
		} else {
			nd[0] = k
		}
		return tensors.FromShape(shapes.Make(full.DType(), nd...))
	}
	if len(dims) == 1 {
		return Must1(FromFloat64s(full.DType(), host[start:start+k], k))
	}
	return Must1(FromFloat64s(full.DType(), TimeSlice(host, dims, start, k), append([]int{dims[0], k}, dims[2:]...)...))
}

// forwardExec runs one chunk: outputs, monitors and the final states.
func (g *Grad) forwardExec() *graph.Exec {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e, ok := g.execs[fwdKey{}]; ok {
		return e
	}
	vars, states, mons, tree := slices.Clone(g.tree.Vars), g.tree.States(), slices.Clone(g.mons), g.tree
	e := graph.MustNewExec(g.backend, func(gr *graph.Graph, ins []*graph.Node) []*graph.Node {
		values := bindInputs(vars, ins)
		ctx := newContext(gr, g.dtype, g.dt, false, values)
		ctx.tree = tree
		ys, monNodes, _, _ := unroll(ctx, g.model, ins[len(vars)], mons, false)
		outs := append([]*graph.Node{ys}, monNodes...)
		for _, s := range states {
			outs = append(outs, ctx.values[s])
		}
		return outs
	})
	e.SetMaxCache(-1)
	g.execs[fwdKey{}] = e
	return e
}

// lossExec evaluates the loss on full outputs and monitors and, with key.grad, returns its
// gradient with respect to the outputs, the monitors and the parameters.
func (g *Grad) lossExec(key lossKey) *graph.Exec {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e, ok := g.execs[key]; ok {
		return e
	}
	allParams, params, nm := slices.Clone(g.allParams), slices.Clone(g.params), len(g.mons)
	e := graph.MustNewExec(g.backend, func(gr *graph.Graph, ins []*graph.Node) []*graph.Node {
		pvals := bindInputs(allParams, ins)
		outputs := ins[len(allParams)]
		mons := ins[len(allParams)+1 : len(allParams)+1+nm]
		targets := ins[len(allParams)+1+nm]
		loss, aux := g.lossNodes(key, gr, pvals, outputs, mons, targets)
		outs := append([]*graph.Node{loss}, aux...)
		if !key.grad {
			return outs
		}
		wrt := []*graph.Node{outputs}
		for _, m := range mons {
			if m.DType().IsFloat() {
				wrt = append(wrt, m)
			}
		}
		for _, p := range params {
			wrt = append(wrt, pvals[p])
		}
		grads := graph.Gradient(loss, wrt...)
		outs = append(outs, grads[0])
		j := 1
		for _, m := range mons {
			if m.DType().IsFloat() {
				outs = append(outs, grads[j])
				j++
			} else {
				outs = append(outs, graph.ZerosLike(m)) // no cotangent for integer/bool monitors
			}
		}
		return append(outs, grads[j:]...)
	})
	e.SetMaxCache(-1)
	g.execs[key] = e
	return e
}

// backwardExec recomputes one chunk from its starting state and returns the accumulated
// parameter gradients and the cotangent of the starting state: the gradient of
// <outputs, gOut> + Σ<monitor, gMon> + Σ<final state, λ>.
func (g *Grad) backwardExec() *graph.Exec {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e, ok := g.execs[bwdKey{}]; ok {
		return e
	}
	vars, states, mons, tree := slices.Clone(g.tree.Vars), g.tree.States(), slices.Clone(g.mons), g.tree
	params := slices.Clone(g.params)
	fs := floatStateIdx(states)
	e := graph.MustNewExec(g.backend, func(gr *graph.Graph, ins []*graph.Node) []*graph.Node {
		values := bindInputs(vars, ins)
		start := make([]*graph.Node, len(fs))
		for i, si := range fs {
			start[i] = values[states[si]]
		}
		pnodes := make([]*graph.Node, len(params))
		for i, p := range params {
			pnodes[i] = values[p]
		}
		rest := ins[len(vars):]
		xs, gOut := rest[0], rest[1]
		gMons := rest[2 : 2+len(mons)]
		lambda := rest[2+len(mons) : 2+len(mons)+len(fs)]
		acc := rest[2+len(mons)+len(fs):]
		ctx := newContext(gr, g.dtype, g.dt, false, values)
		ctx.tree = tree
		ys, monNodes, _, _ := unroll(ctx, g.model, xs, mons, false)
		s := graph.ReduceAllSum(graph.Mul(ys, gOut))
		for i, m := range monNodes {
			if m.DType().IsFloat() {
				s = graph.Add(s, graph.ReduceAllSum(graph.Mul(m, gMons[i])))
			}
		}
		for i, si := range fs {
			s = graph.Add(s, graph.ReduceAllSum(graph.Mul(ctx.values[states[si]], lambda[i])))
		}
		grads := graph.Gradient(s, append(pnodes, start...)...)
		outs := make([]*graph.Node, 0, len(grads))
		for i := range params {
			outs = append(outs, graph.Add(acc[i], grads[i]))
		}
		return append(outs, grads[len(params):]...)
	})
	e.SetMaxCache(-1)
	g.execs[bwdKey{}] = e
	return e
}
