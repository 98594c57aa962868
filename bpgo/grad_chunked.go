package bpgo

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Keys of the chunked path's compiled graphs. fwdKey and bwdKey carry the number of per-step
// inputs of a staged chunk (0: one (B, K, ...) input; see stager). lossKey.alias: the monitors'
// cotangents may be written into the monitors' buffers, when the caller donates them (the scan
// engine's; see spares).
type (
	fwdKey  struct{ steps int }
	lossKey struct{ grad, alias bool }
	bwdKey  struct{ steps int }
)

// runChunked is BPTT with recomputation: forward chunk by chunk keeping boundary states, the
// loss and its cotangents in one graph, then backward chunk by chunk chaining the state
// cotangents (see Grad). The batch runs as one or more row groups (shards.go), each its own
// chain of calls on its own goroutine; only the loss sees the whole batch.
func (g *Grad) runChunked(xs, ys *tensors.Tensor, opt Optimizer, withGrad bool) (*GradResult, error) {
	steps := xs.Shape().Dimensions[1]
	var spans []span
	for s := 0; s < steps; s += g.chunk {
		spans = append(spans, span{s, min(g.chunk, steps-s)})
	}
	rows, err := g.shards(xs, spans[0])
	if err != nil {
		return nil, err
	}
	g.lastShards.Store(int32(len(rows)))
	states := g.tree.States()
	init := varValuesT(states)

	// Forward: each shard keeps the state at each chunk's start, its outputs and monitors.
	type shardRun struct {
		boundary [][]*tensors.Tensor // per chunk, per state
		outs     []*tensors.Tensor   // per chunk
		mons     [][]*tensors.Tensor // per monitor, per chunk
		final    []*tensors.Tensor
	}
	runs := make([]shardRun, len(rows))
	err = inParallel(len(rows), func(i int) error {
		rs, st, r := rows[i], g.shardStager(i), &runs[i]
		cur := sliceRowsAll(init, rs)
		r.mons = make([][]*tensors.Tensor, len(g.mons))
		for _, sp := range spans {
			r.boundary = append(r.boundary, cur)
			res, err := g.chunkForward(st, xs, rs, sp, cur)
			if err != nil {
				return err
			}
			r.outs = append(r.outs, res[0])
			for j := range g.mons {
				r.mons[j] = append(r.mons[j], res[1+j])
			}
			cur = slices.Clone(res[1+len(g.mons):]) // not a window on res, which holds the chunk's outputs
		}
		r.final = cur
		return nil
	})
	if err != nil {
		return nil, err
	}
	parts := make([][]*tensors.Tensor, len(rows))
	for i := range runs {
		parts[i] = runs[i].outs
	}
	outputs, err := g.joinForLoss(0, parts)
	if err != nil {
		return nil, err
	}
	monAll := make([]*tensors.Tensor, len(g.mons))
	for j, m := range g.mons {
		for i := range runs {
			parts[i] = runs[i].mons[j]
			runs[i].mons[j] = nil // joined: the parts can go
		}
		if monAll[j], err = g.joinForLoss(1+j, parts); err != nil {
			return nil, fmt.Errorf("monitor %q: %w", m.name, err)
		}
	}
	for i := range runs {
		runs[i].outs, parts[i] = nil, nil
	}
	for j, s := range states {
		fin := make([]*tensors.Tensor, len(rows))
		for i := range runs {
			fin[i] = runs[i].final[j]
		}
		s.put(joinRows(fin))
	}

	// Loss and its cotangents with respect to outputs, monitors and (directly) parameters.
	lex := g.lossExec(lossKey{grad: withGrad})
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

	// Backward, last chunk first, each shard on its own; shard 0 starts from the loss's direct
	// dL/dparams, the others from zero, and their sums add up at the end.
	floatStates := floatStateIdx(states)
	accs := make([][]*tensors.Tensor, len(rows))
	err = inParallel(len(rows), func(i int) error {
		rs, st, r := rows[i], g.shardStager(i), &runs[i]
		lambda := make([]*tensors.Tensor, len(floatStates)) // dL/d(state at the chunk's end)
		for j, si := range floatStates {
			lambda[j] = tensors.FromShape(r.final[si].Shape())
		}
		acc := lout["gParams"]
		if i > 0 {
			acc = make([]*tensors.Tensor, len(g.params))
			for j, a := range lout["gParams"] {
				acc[j] = tensors.FromShape(a.Shape())
			}
		}
		for c := len(spans) - 1; c >= 0; c-- {
			sp := spans[c]
			in, nSteps, err := g.chunkIn(st, xs, rs, sp)
			if err != nil {
				return err
			}
			bwd := g.backwardExec(nSteps)
			gy, err := st.chunk("gOut", gOut, g.dtype, rs, sp.start, sp.k)
			if err != nil {
				return err
			}
			gm := make([]any, len(g.mons))
			for j := range g.mons {
				if gm[j], err = monitorSlice(st, j, gMons[j], rs, sp.start, sp.k); err != nil {
					return err
				}
			}
			res, err := callExec(bwd.exec, packArgs(&bwd.ins, map[string][]any{"vars": g.varsWith(r.boundary[c]),
				"clock": {clockArg(sp.start)}, "xs": in, "gOut": {gy}, "gMons": gm, "lambda": anys(lambda), "acc": anys(acc)}))
			if err != nil {
				return fmt.Errorf("backward steps [%d, %d): %w", sp.start, sp.start+sp.k, err)
			}
			bout := splitArgs(&bwd.outs, res)
			acc, lambda = bout["acc"], bout["lambda"]
		}
		accs[i] = acc
		return nil
	})
	if err != nil {
		return nil, err
	}
	acc := accs[0]
	for _, a := range accs[1:] {
		for j := range acc {
			if err := addInto(acc[j], a[j]); err != nil {
				return nil, err
			}
		}
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

// chunkIn returns steps sp of rows rs of xs as a chunk's inputs: one tensor per step where the
// backend shares memory with the host (see stager), else a (B, K, ...) copy; and the number of
// per-step inputs (0 for the copy).
func (g *Grad) chunkIn(st *stager, xs *tensors.Tensor, rs rowSpan, sp span) ([]any, int, error) {
	if g.backend.HasSharedBuffers() {
		steps, err := st.rows(xs, rs, sp.start, sp.k, false, "xs")
		return anys(steps), sp.k, err
	}
	in, err := timeChunkRows(xs, g.dtype, rs, sp.start, sp.k)
	return []any{in}, 0, err
}

// varsWith lists the model's variables as call arguments, the states taking the given values.
func (g *Grad) varsWith(states []*tensors.Tensor) []any { return varsWithStates(g.tree.Vars, states) }

// varsWithStates lists vars as call arguments, the State ones taking the given values in order.
func varsWithStates(vars []*Variable, states []*tensors.Tensor) []any {
	return varsWithArgs(vars, anys(states))
}

// varsWithArgs is varsWithStates with the states given as call arguments (tensors, or buffers
// donated to the call).
func varsWithArgs(vars []*Variable, states []any) []any {
	vals := make([]any, 0, len(vars))
	si := 0
	for _, v := range vars {
		if v.Kind == State {
			vals = append(vals, states[si])
			si++
		} else {
			vals = append(vals, v.get())
		}
	}
	return vals
}

// chunkForward runs steps sp of rows rs from the given states: the chunk's outputs, then its
// monitors, then the states after it.
func (g *Grad) chunkForward(st *stager, xs *tensors.Tensor, rs rowSpan, sp span, states []*tensors.Tensor) ([]*tensors.Tensor, error) {
	in, nSteps, err := g.chunkIn(st, xs, rs, sp)
	if err != nil {
		return nil, err
	}
	fwd := g.forwardExec(nSteps)
	res, err := callExec(fwd.exec, packArgs(&fwd.ins, map[string][]any{
		"vars": g.varsWith(states), "clock": {clockArg(sp.start)}, "xs": in}))
	if err != nil {
		return nil, fmt.Errorf("forward steps [%d, %d): %w", sp.start, sp.start+sp.k, err)
	}
	out := splitArgs(&fwd.outs, res)
	return append(append([]*tensors.Tensor{out["ys"][0]}, out["mons"]...), out["states"]...), nil
}

// floatStateIdx lists the indices of states that carry gradients (float dtypes).
func floatStateIdx(states []*Variable) []int {
	var out []int
	for i, s := range states {
		if s.Shape().DType.IsFloat() {
			out = append(out, i)
		}
	}
	return out
}

// monitorSlice cuts steps [start, start+k) of rows rs out of a monitor's cotangent, in its
// dtype (zeros for monitors without a float cotangent).
func monitorSlice(st *stager, j int, full *tensors.Tensor, rs rowSpan, start, k int) (*tensors.Tensor, error) {
	if !full.DType().IsFloat() {
		nd := slices.Clone(full.Shape().Dimensions)
		nd[timeAxis(len(nd))] = k
		if len(nd) >= 2 {
			nd[0] = rs.n()
		}
		return tensors.FromShape(shapes.Make(full.DType(), nd...)), nil
	}
	return st.chunk("gMons"+strconv.Itoa(j), full, full.DType(), rs, start, k)
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
// gradient with respect to the outputs, the monitors and the parameters ("gMons" first).
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
		if key.grad {
			ex.outs.add("gMons", nm) // first: the graph's name may alias them to "mons"
		}
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
		ex.outs.add("gOut", 1).add("gParams", len(params))
		return packArgs(&ex.outs, outs)
	})
	if key.alias && key.grad {
		ex.exec = ex.exec.WithName(aliased("loss", aliasRun{ex.ins.offset("mons"), 0, nm}))
	}
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

// joinForLoss is joinShardsTime for what the loss graph reads (slot 0: the outputs, 1+j:
// monitor j). On a backend that shares memory with the host (the Go backend) the parts are
// joined into a tensor of the backend's own, kept from step to step, which the loss graph then
// reads in place. A host tensor was copied into a fresh device buffer at every step: for
// e-prop's monitored spikes, (128, 2250, 100) float32, that was 115 MB written twice and a
// fresh 115 MB of pages a step. Nothing outside the step holds these tensors.
func (g *Grad) joinForLoss(slot int, parts [][]*tensors.Tensor) (*tensors.Tensor, error) {
	if !g.backend.HasSharedBuffers() || (len(parts) == 1 && len(parts[0]) == 1) {
		return joinShardsTime(parts)
	}
	return joinGridAlloc(parts, func(s shapes.Shape) (*tensors.Tensor, error) {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.lossIn == nil {
			g.lossIn = map[int]*tensors.Tensor{}
		}
		return kept(g.lossIn, g.backend, slot, s) // one per slot: a new shape replaces it
	})
}
