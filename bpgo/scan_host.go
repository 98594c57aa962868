package bpgo

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// gradScan holds a Grad's compiled scan graphs (built on first use, dropped by refresh).
type gradScan struct {
	step    *scanStep
	fwd     map[[2]int]*scanFwdExec // by (store, ckpt)
	bwd     *scanBwdExec
	enc     *encodeExec     // an Encoder's inputs to encodings
	encGrad *encodeGradExec // an Encoder's parameter gradients
	// projBytes is a Projector's projection size per step, by the step input's shape.
	projBytes map[string]int
	// spare are the loops' large buffers, kept between steps; spareShapes their shapes by the
	// loop's input shape and store.
	spare       spares
	spareShapes map[string][]shapes.Shape
}

func (g *Grad) scanExecs() *gradScan {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.scanEx == nil {
		g.scanEx = &gradScan{fwd: map[[2]int]*scanFwdExec{}, step: &scanStep{model: g.model, tree: g.tree, dtype: g.dtype,
			dt: g.dt, vars: g.tree.Vars, mons: g.mons}}
		_, g.scanEx.step.encoded = g.model.(Encoder)
		_, proj := g.model.(Projector)
		g.scanEx.step.projected = proj && !g.scanEx.step.encoded
	}
	return g.scanEx
}

// forward returns the forward loop that stores every state of store steps (0: none) and a
// checkpoint every ckpt steps (0: none).
func (sc *gradScan) forward(g *Grad, store, ckpt int) *scanFwdExec {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := [2]int{store, ckpt}
	if sc.fwd[key] == nil {
		sc.fwd[key] = newScanFwdExec(g.backend, sc.step, g.tree.States(), nil, false, store, ckpt, true)
	}
	return sc.fwd[key]
}

// finalize frees the compiled graphs (a nil gradScan has none).
func (sc *gradScan) finalize() {
	if sc == nil {
		return
	}
	sc.spare.release()
	for _, e := range sc.fwd {
		e.exec.Finalize()
	}
	if sc.bwd != nil {
		sc.bwd.exec.Finalize()
	}
	if sc.enc != nil {
		sc.enc.exec.Finalize()
	}
	if sc.encGrad != nil {
		sc.encGrad.exec.Finalize()
	}
}

func (sc *gradScan) backward(g *Grad) *scanBwdExec {
	g.mu.Lock()
	defer g.mu.Unlock()
	if sc.bwd == nil {
		sc.bwd = newScanBwdExec(g.backend, sc.step, g.tree.States(), g.params)
	}
	return sc.bwd
}

// storeStates decides, once, which states the forward loop stores for the backward loop: those
// the step reads (scanStep.readStates, from a scratch graph of one step).
func (sc *gradScan) storeStates(g *Grad, xs *tensors.Tensor, states []*Variable) (err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if sc.step.stored != nil {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("building the step graph: %v", r)
		}
	}()
	sc.step.stored = sc.step.readStates(g.backend, stepShape(xs.Shape()), states)
	return nil
}

// spareArgs takes the buffers of a forward loop over in with store (see scanFwdExec's "spare"),
// donated to it: the stored states and a Projector's projections when store > 0, and the
// monitors.
func (sc *gradScan) spareArgs(g *Grad, in *tensors.Tensor, states []*Variable, store int) (_ []any, err error) {
	k := store
	if k == 0 {
		k = in.Shape().Dimensions[1]
	}
	key := fmt.Sprintf("%s/%d", in.Shape(), store)
	g.mu.Lock()
	want, ok := sc.spareShapes[key]
	if !ok {
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("building the step graph: %v", r)
				}
			}()
			_, mons, _, _, proj := sc.step.probe(g.backend, stepShape(in.Shape()), shapes.Shape{})
			if store > 0 {
				for _, v := range sc.step.storedOf(states) {
					want = append(want, bufShape(v.Shape(), k))
				}
				if sc.step.projected {
					want = append(want, bufShape(proj, k))
				}
			}
			for _, m := range mons {
				want = append(want, withSteps(m, k))
			}
		}()
		if err == nil {
			if sc.spareShapes == nil {
				sc.spareShapes = map[string][]shapes.Shape{}
			}
			sc.spareShapes[key] = want
		}
	}
	g.mu.Unlock()
	if err != nil {
		return nil, err
	}
	ts, err := sc.spare.take(g.backend, want)
	if err != nil {
		return nil, err
	}
	return donate(g.backend, ts)
}

// stepBytes is what the forward loop stores per step for the backward loop: the states and a
// Projector's projection (whose shape a scratch graph tells, once per input shape).
func (sc *gradScan) stepBytes(g *Grad, xs *tensors.Tensor, states []*Variable) (_ int, err error) {
	per := 0
	for _, s := range states {
		per += int(s.Shape().Memory())
	}
	if !sc.step.projected {
		return per, nil
	}
	x := stepShape(xs.Shape())
	g.mu.Lock()
	defer g.mu.Unlock()
	if sc.projBytes == nil {
		sc.projBytes = map[string]int{}
	}
	n, ok := sc.projBytes[x.String()]
	if !ok {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("building the step graph: %v", r)
			}
		}()
		_, _, _, _, p := sc.step.probe(g.backend, x, shapes.Shape{})
		n = int(p.Memory())
		sc.projBytes[x.String()] = n
	}
	return per + n, nil
}

// scanSegment is the number of steps whose states (per bytes a step) the backward loop keeps
// at once: all of them while they fit in DefaultScanStateBytes (or GradOptions.Checkpoint
// steps), else segments of equal length recomputed from checkpoints.
func scanSegment(checkpoint, steps, per int) int {
	k := checkpoint
	if k == 0 {
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
// backward loop, either over all steps at once from every stored state or segment by segment,
// each segment's states recomputed from its checkpoint. Sequences, outputs, monitors and
// cotangents stay on the device; only the checkpoints (one state per segment) visit the host.
// An Encoder's inputs are encoded once before the loops, which step on the encodings, and the
// encoder's gradient is taken after each segment's backward loop (encode.go).
//
// checked reports whether xs is finite: run scans it while the loops run, and runScan asks
// before it returns a result or applies an update.
func (g *Grad) runScan(xs, ys *tensors.Tensor, opt Optimizer, withGrad bool, checked func() error) (*GradResult, error) {
	steps := xs.Shape().Dimensions[1]
	states := g.tree.States()
	sc := g.scanExecs()
	in := xs // what the loops step on: xs, or an Encoder's encodings of xs
	if sc.step.encoded {
		var err error
		if in, err = sc.encode(g, xs); err != nil {
			return nil, err
		}
		defer release([]*tensors.Tensor{in})
	}
	k := steps
	if withGrad {
		if err := sc.storeStates(g, in, states); err != nil {
			return nil, err
		}
		per, err := sc.stepBytes(g, in, sc.step.storedOf(states))
		if err != nil {
			return nil, err
		}
		k = scanSegment(g.checkpoint, steps, per)
	}
	single := k == steps
	store, ckpt := 0, 0
	switch {
	case !withGrad:
	case single:
		store = steps
	default:
		ckpt = k
	}
	sc.spare.begin()
	defer sc.spare.end()
	fwd := sc.forward(g, store, ckpt)
	spare, err := sc.spareArgs(g, in, states, store)
	if err != nil {
		return nil, err
	}
	res, err := callExec(fwd.exec, packArgs(&fwd.ins, map[string][]any{"vars": varValues(g.tree.Vars), "hook": nil,
		"clock": {clockArg(0)}, "start": {clockArg(0)}, "n": {clockArg(steps)}, "xs": {in}, "spare": spare}))
	if err != nil {
		return nil, fmt.Errorf("forward loop: %w", err)
	}
	out := splitArgs(&fwd.outs, res)
	setValues(states, out["states"])

	// With gradients the loss writes the monitors' cotangents into the monitors' buffers.
	lex := g.lossExec(lossKey{grad: withGrad, alias: withGrad})
	mons := anys(out["mons"])
	if withGrad {
		if mons, err = donate(g.backend, out["mons"]); err != nil {
			return nil, err
		}
	}
	res, err = callExec(lex.exec, packArgs(&lex.ins, map[string][]any{
		"params": varValues(g.allParams), "outputs": {out["ys"][0]}, "mons": mons, "ys": {ys}}))
	if err != nil {
		return nil, fmt.Errorf("evaluating the loss: %w", err)
	}
	lout := splitArgs(&lex.outs, res)
	r := g.decodeLoss(lout)
	if !withGrad || (opt != nil && (math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0))) {
		if !withGrad {
			sc.spare.put(out["mons"]) // not donated to the loss
		}
		sc.spare.put(out["bufs"], out["proj"], lout["gMons"])
		release(out["ys"], out["ckpts"], lout["gOut"])
		if err := checked(); err != nil {
			return nil, err
		}
		return r, nil
	}

	// Backward, last segment first, chaining the cotangent of the segments' first states.
	var rows [][]*tensors.Tensor // rows[c]: the states at segment c's start
	if !single {
		if rows, err = checkpointRows(out["ckpts"]); err != nil {
			return nil, err
		}
	}
	bwd := sc.backward(g)
	fs := floatStateIdx(states)
	lambda := make([]any, len(fs))
	for i, si := range fs {
		lambda[i] = tensors.FromShape(states[si].Shape())
	}
	acc := anys(lout["gParams"])
	final := varValuesT(states)
	bufs, proj := out["bufs"], out["proj"]
	for c := (steps+k-1)/k - 1; c >= 0; c-- {
		start, n := c*k, min(k, steps-c*k)
		if !single {
			setValues(states, rows[c])
			rec := sc.forward(g, k, 0)
			spare, err := sc.spareArgs(g, in, states, k)
			if err != nil {
				return nil, err
			}
			res, err := callExec(rec.exec, packArgs(&rec.ins, map[string][]any{"vars": varValues(g.tree.Vars), "hook": nil,
				"clock": {clockArg(0)}, "start": {clockArg(start)}, "n": {clockArg(n)}, "xs": {in}, "spare": spare}))
			if err != nil {
				return nil, fmt.Errorf("recomputing steps [%d, %d): %w", start, start+n, err)
			}
			rout := splitArgs(&rec.outs, res)
			bufs, proj = rout["bufs"], rout["proj"]
			sc.spare.put(rout["mons"])
			release(rout["ys"], rout["states"])
		}
		donated, err := donate(g.backend, bufs)
		if err != nil {
			return nil, err
		}
		dproj, err := donate(g.backend, proj)
		if err != nil {
			return nil, err
		}
		res, err := callExec(bwd.exec, packArgs(&bwd.ins, map[string][]any{"vars": varValues(g.tree.Vars),
			"clock": {clockArg(0)}, "start": {clockArg(start)}, "n": {clockArg(n)}, "xs": {in}, "bufs": donated,
			"gOut": anys(lout["gOut"]), "gMons": anys(lout["gMons"]), "lambda": lambda, "acc": acc, "proj": dproj}))
		if err != nil {
			return nil, fmt.Errorf("backward loop over steps [%d, %d): %w", start, start+n, err)
		}
		bout := splitArgs(&bwd.outs, res)
		acc, lambda = anys(bout["acc"]), anys(bout["lambda"])
		sc.spare.put(bout["spare"])
		if sc.step.encoded {
			acc, err = sc.encodeGrad(g, xs, start, bout["gE"][0], acc)
			release(bout["gE"])
			if err != nil {
				return nil, err
			}
		}
	}
	setValues(states, final)
	sc.spare.put(lout["gMons"])
	release(out["ys"], out["ckpts"], lout["gOut"])
	grads := Grads{}
	for i, p := range g.params {
		grads[p] = acc[i].(*tensors.Tensor)
	}
	if err := checked(); err != nil {
		return nil, err
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

// checkpointRows splits time-first checkpoint buffers (one per state, (segments, ...)) into
// each segment's states, on the host (one state per segment: small).
func checkpointRows(bufs []*tensors.Tensor) ([][]*tensors.Tensor, error) {
	if len(bufs) == 0 {
		return nil, fmt.Errorf("bpgo: no checkpoints (the model has no state)")
	}
	nseg := bufs[0].Shape().Dimensions[0]
	rows := make([][]*tensors.Tensor, nseg)
	for c := range rows {
		rows[c] = make([]*tensors.Tensor, len(bufs))
	}
	for i, b := range bufs {
		rowShape := shapes.Make(b.DType(), b.Shape().Dimensions[1:]...)
		var rowErr error
		err := b.ConstBytes(func(data []byte) {
			size := len(data) / nseg
			for c := range nseg {
				rows[c][i] = tensors.FromShape(rowShape)
				if err := rows[c][i].MutableBytes(func(dst []byte) { copy(dst, data[c*size:(c+1)*size]) }); err != nil {
					rowErr = err
				}
			}
		})
		if err != nil || rowErr != nil {
			return nil, fmt.Errorf("reading the checkpoints: %w", errors.Join(err, rowErr))
		}
	}
	return rows, nil
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
		out[i] = v.get()
	}
	return out
}

// trimSteps keeps the first k steps of a loop's (B, K, ...) or (K,) result.
func trimSteps(t *tensors.Tensor, k int) *tensors.Tensor {
	if t.Shape().Dimensions[timeAxis(t.Rank())] == k {
		return t
	}
	return Must1(stepCopy(t, 0, k, k))
}

// donate hands the stored states to the backward loop, which is their last user, so that XLA
// may reuse their memory instead of copying them into the loop.
func donate(b compute.Backend, ts []*tensors.Tensor) ([]any, error) {
	out := make([]any, len(ts))
	for i, t := range ts {
		d, err := graph.DonateTensorBuffer(t, b, 0)
		if err != nil {
			return nil, fmt.Errorf("handing the stored states to the backward loop: %w", err)
		}
		out[i] = d
	}
	return out, nil
}

// release frees the device memory of a step's intermediate results now: Go's collector does
// not see device memory, and waiting for it let dead state buffers pile up across segments and
// steps.
func release(groups ...[]*tensors.Tensor) {
	for _, ts := range groups {
		for _, t := range ts {
			if t != nil {
				_ = t.FinalizeAll()
			}
		}
	}
}
