package bpgo

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Keys of the chunked path's compiled graphs. fwdKey and bwdKey carry the number of per-step
// inputs of a staged chunk (0: one (B, K, ...) input; see stager).
type (
	fwdKey  struct{ steps int }
	lossKey struct{ grad bool }
	bwdKey  struct{ steps int }
)

// runChunked is BPTT with recomputation: forward chunk by chunk keeping boundary states, the
// loss and its cotangents in one graph, then backward chunk by chunk chaining the state
// cotangents (see Grad).
func (g *Grad) runChunked(xs, ys *tensors.Tensor, opt Optimizer, withGrad bool) (*GradResult, error) {
	dims := xs.Shape().Dimensions
	steps := dims[1]
	type span struct{ start, k int }
	var spans []span
	for s := 0; s < steps; s += g.chunk {
		spans = append(spans, span{s, min(g.chunk, steps-s)})
	}
	// chunkIn returns a chunk's inputs: one tensor per step where the backend shares memory
	// with the host (see stager), else a (B, K, ...) copy; and the number of per-step inputs.
	staged := g.backend.HasSharedBuffers()
	chunkIn := func(sp span) ([]any, int, error) {
		if staged {
			steps, err := g.stage.steps(xs, sp.start, sp.k, false, "xs")
			return anys(steps), sp.k, err
		}
		in, err := timeChunk(xs, g.dtype, sp.start, sp.k)
		return []any{in}, 0, err
	}
	states := g.tree.States()

	// Forward: keep the state at each chunk's start, the outputs and the monitors.
	boundary := make([][]*tensors.Tensor, len(spans))
	var outParts []*tensors.Tensor
	monParts := make([][]*tensors.Tensor, len(g.mons))
	for c, sp := range spans {
		boundary[c] = make([]*tensors.Tensor, len(states))
		for i, s := range states {
			boundary[c][i] = s.value
		}
		in, nSteps, err := chunkIn(sp)
		if err != nil {
			return nil, err
		}
		fwd := g.forwardExec(nSteps)
		res, err := callExec(fwd.exec, packArgs(&fwd.ins, map[string][]any{
			"vars": varValues(g.tree.Vars), "clock": {clockArg(sp.start)}, "xs": in}))
		if err != nil {
			return nil, fmt.Errorf("forward steps [%d, %d): %w", sp.start, sp.start+sp.k, err)
		}
		out := splitArgs(&fwd.outs, res)
		outParts = append(outParts, out["ys"][0])
		for i := range g.mons {
			monParts[i] = append(monParts[i], out["mons"][i])
		}
		setValues(states, out["states"])
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
	lex := g.lossExec(lossKey{withGrad})
	res, err := callExec(lex.exec, packArgs(&lex.ins, map[string][]any{
		"params": varValues(g.allParams), "outputs": {outputs}, "mons": anys(monAll), "ys": {ys}}))
	if err != nil {
		return nil, fmt.Errorf("evaluating the loss: %w", err)
	}
	lout := splitArgs(&lex.outs, res)
	out := g.decodeLoss(lout)
	if !withGrad {
		return out, nil
	}
	if math.IsNaN(out.Loss) || math.IsInf(out.Loss, 0) {
		if opt != nil {
			return out, nil // nothing applied
		}
	}
	gOut := lout["gOut"][0]
	gMons := lout["gMons"]
	acc := lout["gParams"] // direct dL/dparams, accumulated through the chunks below

	// Backward, last chunk first.
	floatStates := floatStateIdx(states)
	lambda := make([]*tensors.Tensor, len(floatStates)) // dL/d(state at the chunk's end)
	for i, si := range floatStates {
		lambda[i] = tensors.FromShape(states[si].value.Shape())
	}
	for c := len(spans) - 1; c >= 0; c-- {
		sp := spans[c]
		vals := make([]any, 0, len(g.tree.Vars))
		si := 0
		for _, v := range g.tree.Vars {
			if v.Kind == State {
				vals = append(vals, boundary[c][si])
				si++
			} else {
				vals = append(vals, v.value)
			}
		}
		in, nSteps, err := chunkIn(sp)
		if err != nil {
			return nil, err
		}
		bwd := g.backwardExec(nSteps)
		gy, err := timeChunk(gOut, g.dtype, sp.start, sp.k)
		if err != nil {
			return nil, err
		}
		gm := make([]any, len(g.mons))
		for i := range g.mons {
			if gm[i], err = monitorSlice(gMons[i], sp.start, sp.k); err != nil {
				return nil, err
			}
		}
		res, err := callExec(bwd.exec, packArgs(&bwd.ins, map[string][]any{"vars": vals, "clock": {clockArg(sp.start)},
			"xs": in, "gOut": {gy}, "gMons": gm, "lambda": anys(lambda), "acc": anys(acc)}))
		if err != nil {
			return nil, fmt.Errorf("backward steps [%d, %d): %w", sp.start, sp.start+sp.k, err)
		}
		bout := splitArgs(&bwd.outs, res)
		acc, lambda = bout["acc"], bout["lambda"]
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

// monitorSlice cuts steps [start, start+k) out of a monitor's cotangent, in its dtype (zeros
// for monitors without a float cotangent).
func monitorSlice(full *tensors.Tensor, start, k int) (*tensors.Tensor, error) {
	if !full.DType().IsFloat() {
		nd := slices.Clone(full.Shape().Dimensions)
		nd[timeAxis(len(nd))] = k
		return tensors.FromShape(shapes.Make(full.DType(), nd...)), nil
	}
	return stepCopy(full, start, k, k)
}

// forwardExec runs one chunk: outputs, monitors and the final states. With steps > 0 its
// inputs are that many per-step tensors.
func (g *Grad) forwardExec(steps int) *gradExec {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := fwdKey{steps}
	if e, ok := g.execs[key]; ok {
		return e
	}
	vars, states, mons, tree := slices.Clone(g.tree.Vars), g.tree.States(), slices.Clone(g.mons), g.tree
	ex := &gradExec{}
	ex.ins.add("vars", len(vars)).add("clock", 1).add("xs", max(steps, 1))
	ex.outs.add("ys", 1).add("mons", len(mons)).add("states", len(states))
	ex.exec = graph.MustNewExec(g.backend, func(gr *graph.Graph, ins []*graph.Node) []*graph.Node {
		in := splitArgs(&ex.ins, ins)
		ctx := newContext(gr, g.dtype, g.dt, false, bindInputs(vars, in["vars"]), in["clock"][0])
		ctx.tree = tree
		u := unroll(ctx, g.model, chunkSpec(in["xs"], steps, mons))
		return packArgs(&ex.outs, map[string][]*graph.Node{"ys": {u.ys}, "mons": u.mons, "states": valuesOf(ctx, states)})
	})
	ex.exec.SetMaxCache(-1)
	g.execs[key] = ex
	return ex
}

// lossExec evaluates the loss on full outputs and monitors and, with key.grad, returns its
// gradient with respect to the outputs, the monitors and the parameters.
func (g *Grad) lossExec(key lossKey) *gradExec {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e, ok := g.execs[key]; ok {
		return e
	}
	allParams, params, nm := slices.Clone(g.allParams), slices.Clone(g.params), len(g.mons)
	ex := &gradExec{}
	ex.ins.add("params", len(allParams)).add("outputs", 1).add("mons", nm).add("ys", 1)
	ex.exec = graph.MustNewExec(g.backend, func(gr *graph.Graph, ins []*graph.Node) []*graph.Node {
		in := splitArgs(&ex.ins, ins)
		pvals := bindInputs(allParams, in["params"])
		outputs, mons := in["outputs"][0], in["mons"]
		loss, aux := g.lossNodes(gr, pvals, outputs, mons, in["ys"][0])
		outs := map[string][]*graph.Node{"loss": {loss}, "aux": aux}
		ex.outs = argGroups{}
		ex.outs.add("loss", 1).add("aux", len(aux))
		if !key.grad {
			return packArgs(&ex.outs, outs)
		}
		wrt := []*graph.Node{outputs}
		for _, m := range mons {
			if m.DType().IsFloat() {
				wrt = append(wrt, m)
			}
		}
		wrt = append(wrt, valuesOfMap(pvals, params)...)
		grads := graph.Gradient(loss, wrt...)
		gMons := make([]*graph.Node, len(mons))
		j := 1
		for i, m := range mons {
			if m.DType().IsFloat() {
				gMons[i] = grads[j]
				j++
			} else {
				gMons[i] = graph.ZerosLike(m) // no cotangent for integer/bool monitors
			}
		}
		outs["gOut"], outs["gMons"], outs["gParams"] = grads[:1], gMons, grads[j:]
		ex.outs.add("gOut", 1).add("gMons", nm).add("gParams", len(params))
		return packArgs(&ex.outs, outs)
	})
	ex.exec.SetMaxCache(-1)
	g.execs[key] = ex
	return ex
}

// valuesOfMap looks the variables up in a node map, in order.
func valuesOfMap(m map[*Variable]*graph.Node, vs []*Variable) []*graph.Node {
	out := make([]*graph.Node, len(vs))
	for i, v := range vs {
		out[i] = m[v]
	}
	return out
}

// backwardExec recomputes one chunk from its starting state and returns the accumulated
// parameter gradients and the cotangent of the starting state: the gradient of
// <outputs, gOut> + Σ<monitor, gMon> + Σ<final state, λ>. Its inputs are as forwardExec's.
func (g *Grad) backwardExec(steps int) *gradExec {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := bwdKey{steps}
	if e, ok := g.execs[key]; ok {
		return e
	}
	vars, states, mons, tree := slices.Clone(g.tree.Vars), g.tree.States(), slices.Clone(g.mons), g.tree
	params := slices.Clone(g.params)
	fs := floatStateIdx(states)
	ex := &gradExec{}
	ex.ins.add("vars", len(vars)).add("clock", 1).add("xs", max(steps, 1)).add("gOut", 1).add("gMons", len(mons)).
		add("lambda", len(fs)).add("acc", len(params))
	ex.outs.add("acc", len(params)).add("lambda", len(fs))
	ex.exec = graph.MustNewExec(g.backend, func(gr *graph.Graph, ins []*graph.Node) []*graph.Node {
		in := splitArgs(&ex.ins, ins)
		values := bindInputs(vars, in["vars"])
		start := make([]*graph.Node, len(fs))
		for i, si := range fs {
			start[i] = values[states[si]]
		}
		pnodes := valuesOfMap(values, params)
		ctx := newContext(gr, g.dtype, g.dt, false, values, in["clock"][0])
		ctx.tree = tree
		u := unroll(ctx, g.model, chunkSpec(in["xs"], steps, mons))
		s := graph.ReduceAllSum(graph.Mul(u.ys, in["gOut"][0]))
		for i, m := range u.mons {
			if m.DType().IsFloat() {
				s = graph.Add(s, graph.ReduceAllSum(graph.Mul(m, in["gMons"][i])))
			}
		}
		for i, si := range fs {
			s = graph.Add(s, graph.ReduceAllSum(graph.Mul(ctx.values[states[si]], in["lambda"][i])))
		}
		grads := graph.Gradient(s, append(pnodes, start...)...)
		acc := make([]*graph.Node, len(params))
		for i := range params {
			acc[i] = graph.Add(in["acc"][i], grads[i])
		}
		return packArgs(&ex.outs, map[string][]*graph.Node{"acc": acc, "lambda": grads[len(params):]})
	})
	ex.exec.SetMaxCache(-1)
	g.execs[key] = ex
	return ex
}

// chunkSpec is the unrollSpec of a graph whose "xs" inputs are steps per-step tensors, or one
// (B, K, ...) tensor when steps is 0.
func chunkSpec(xs []*graph.Node, steps int, mons []monitorRef) unrollSpec {
	if steps > 0 {
		return unrollSpec{steps: xs, mons: mons}
	}
	return unrollSpec{xs: xs[0], mons: mons}
}
