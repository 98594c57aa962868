package bpgo

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"
)

// scanExec returns the Runner's compiled forward loop for key.
func (r *Runner) scanExec(key runKey) *scanFwdExec {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.scanExecs[key]; ok {
		return e
	}
	s := &scanStep{model: r.model, tree: r.tree, dtype: r.dtype, dt: r.dt, fit: key.fit, vars: r.tree.Vars,
		hook: r.hook, hookVar: r.hookVars, mons: r.mons, records: true}
	var outParams []*Variable
	if r.hook != nil {
		outParams = r.tree.Params(false) // a hook may change any parameter
	}
	// An Encoder's inputs are encoded before the loop, unless a hook (which reads each step's
	// raw input and may change the encoder's weights) or a fit (which records) runs.
	_, isEncoder := r.model.(Encoder)
	s.encoded = isEncoder && r.hook == nil && !key.fit
	e := newScanFwdExec(r.backend, s, r.tree.States(), outParams, key.targets, 0, 0, false)
	if s.encoded {
		e.enc = newEncodeExec(r.backend, s)
	}
	r.scanExecs[key] = e
	return e
}

// runScan runs batch-first inputs (and targets) on the scan engine: segments of up to
// r.scanSeg steps, each one call of the same compiled forward loop (a shorter run is one
// segment of its own length).
func (r *Runner) runScan(inputs, targets *tensors.Tensor, opts RunOptions) (*tensors.Tensor, error) {
	dims := inputs.Shape().Dimensions
	steps := dims[1]
	k := min(r.scanSeg, steps)
	spans := segments(steps, k)
	ex := r.scanExec(runKey{opts.Fit, targets != nil})
	window := func(t *tensors.Tensor, sp span) (*tensors.Tensor, error) {
		if len(spans) == 1 {
			return t, nil
		}
		return stepCopy(t, sp.start, sp.k, k) // zero after sp.k
	}
	states, params := r.tree.States(), r.tree.Params(false)
	var outs []*tensors.Tensor
	monParts := make([][]*tensors.Tensor, len(r.mons))
	for _, sp := range spans {
		xs, err := window(inputs, sp)
		if err != nil {
			return nil, err
		}
		if ex.enc != nil {
			e, err := ex.enc.run(r.tree.Vars, xs)
			if err != nil {
				return nil, err
			}
			if xs != inputs {
				release([]*tensors.Tensor{xs}) // the window's copy
			}
			xs = e
		}
		in := map[string][]any{"vars": varValues(r.tree.Vars), "hook": varValues(r.hookVars),
			"clock": {clockArg(r.i0 + sp.start)}, "start": {clockArg(0)}, "n": {clockArg(sp.k)}, "xs": {xs}, "targets": nil}
		if targets != nil {
			tg, err := window(targets, sp)
			if err != nil {
				return nil, err
			}
			in["targets"] = []any{tg}
		}
		res, err := callExec(ex.exec, packArgs(&ex.ins, in))
		if ex.enc != nil {
			release([]*tensors.Tensor{xs}) // the encodings
		}
		if err != nil {
			return nil, fmt.Errorf("running steps [%d, %d): %w", sp.start, sp.start+sp.k, err)
		}
		out := splitArgs(&ex.outs, res)
		setValues(states, out["states"])
		if r.hook != nil {
			setValues(params, out["params"])
			setValues(r.hookVars, out["hook"])
		}
		for j := range r.mons {
			monParts[j] = append(monParts[j], trimSteps(out["mons"][j], sp.k))
		}
		ys := trimSteps(out["ys"][0], sp.k)
		if opts.OnChunk != nil {
			c := &Chunk{Start: sp.start, Len: sp.k, Outputs: ys, Records: map[any]*tensors.Tensor{}}
			for j, key := range ex.keys {
				c.Records[key] = trimSteps(out["records"][j], sp.k)
			}
			if err := opts.OnChunk(c); err != nil {
				return nil, err
			}
		}
		if !opts.DiscardOutputs {
			outs = append(outs, ys)
		}
	}
	return r.finish(monParts, steps, outs, opts.DiscardOutputs)
}
