package bpgo

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// SummedHook is a StepHook some of whose variables are sums over the batch's samples (e-prop's
// accumulated update, say): variables without a batch axis whose per-step change is a sum of
// per-sample terms. Declaring them lets a Runner run the batch in shards (RunnerOptions.Shards):
// each shard starts such a variable at zero (the first shard at its current value) and the
// shards' final values are added up.
type SummedHook interface {
	StepHook
	SummedVars() []*Variable
}

// ZeroTargetHook is a StepHook for which a target row of zeros means no target at that step
// (e-prop: no loss term there). A Runner on the unrolled engine runs a compiled chunk whose
// targets are all zero as a chunk without targets, in a graph of its own where
// StepContext.Target is nil, so that the hook can leave out what targets feed (the click task's
// cue and delay periods: most of a trial); the scan engine gives every step its target. The
// hook must give the same results either way.
type ZeroTargetHook interface {
	StepHook
	ZeroTargetsAreNone()
}

// runShards returns the row groups a run of inputs uses (see RunnerOptions.Shards).
func (r *Runner) runShards(ex *runExec, inputs, targets *tensors.Tensor, opts RunOptions) ([]rowSpan, error) {
	batch := inputs.Shape().Dimensions[0]
	n := r.nShards
	if n == 0 {
		if r.backend.String() != gobackend.BackendName || opts.OnChunk != nil {
			return []rowSpan{{0, batch}}, nil
		}
		n = autoShards(batch)
	}
	if n > 1 && opts.OnChunk != nil {
		return nil, fmt.Errorf("RunnerOptions.Shards: RunOptions.OnChunk sees whole chunks in time order; run with Shards 0 or 1")
	}
	return r.shardMemo.rows("RunnerOptions.Shards", r.nShards, n, batch, fmt.Sprint(inputs.Shape().Dimensions, targets != nil, opts.Fit),
		func(rows []rowSpan) string { return r.probeShards(ex, inputs, targets, rows) })
}

// summedVars is the set of the hook's variables that are sums over samples.
func (r *Runner) summedVars() map[*Variable]bool {
	out := map[*Variable]bool{}
	if h, ok := r.hook.(SummedHook); ok {
		for _, v := range h.SummedVars() {
			out[v] = true
		}
	}
	return out
}

// shardStarts is each shard's starting values of the variables vs (starts[i][j]: shard i's of
// vs[j]): its rows of a per-sample variable, the parts the last sharded run left (rowParts) or
// rows cut from the whole value; of a sum over samples (summed), the current value in shard 0
// and zeros in the others.
func shardStarts(vs []*Variable, rows []rowSpan, summed map[*Variable]bool) [][]*tensors.Tensor {
	starts := make([][]*tensors.Tensor, len(rows))
	for i := range starts {
		starts[i] = make([]*tensors.Tensor, len(vs))
	}
	for j, v := range vs {
		parts := v.partsFor(rows)
		var whole *tensors.Tensor
		if parts == nil {
			whole = v.get()
		}
		for i, rs := range rows {
			switch {
			case parts != nil:
				starts[i][j] = parts[i]
			case !summed[v]:
				starts[i][j] = sliceRows(whole, rs)
			case i == 0:
				starts[i][j] = whole
			default:
				starts[i][j] = tensors.FromShape(whole.Shape())
			}
		}
	}
	return starts
}

// runChunkRows runs steps [start, start+k) of rows rs from the given states and hook values.
// With own, those states and hook values are the previous chunk's results, which nothing else
// holds: they are donated to the call (see donated), unless the call builds a graph. Building
// runs the model's Update, which may read a variable's value (its shape, say), and on a backend
// without host copies (XLA) a donated tensor is gone.
//
// A chunk whose targets are all zero runs on ex.quiet when that is set (ZeroTargetHook).
func (r *Runner) runChunkRows(ex *runExec, st *stager, inputs, targets *tensors.Tensor, rs rowSpan, start, k int, states, hook []*tensors.Tensor, own bool) (map[string][]*tensors.Tensor, error) {
	xs, err := st.chunk("xs", inputs, r.dtype, rs, start, k)
	if err != nil {
		return nil, err
	}
	var tg *tensors.Tensor
	if targets != nil {
		if tg, err = st.chunk("targets", targets, targets.DType(), rs, start, k); err != nil {
			return nil, err
		}
		if ex.quiet != nil && allZeroTensor(tg) {
			ex, tg = ex.quiet, nil
		}
	}
	shape := shapeKey{rs.hi - rs.lo, k}
	stateArgs, hookArgs := anys(states), anys(hook)
	_, built := ex.built.Load(shape)
	if own && built {
		stateArgs, hookArgs = donated(r.backend, states), donated(r.backend, hook)
	}
	in := map[string][]any{"vars": varsWithArgs(r.tree.Vars, stateArgs), "hook": hookArgs,
		"clock": {clockArg(r.i0 + start)}, "xs": {xs}, "targets": nil}
	if tg != nil {
		in["targets"] = []any{tg}
	}
	res, err := callExec(ex.exec, packArgs(&ex.ins, in))
	if err != nil {
		return nil, fmt.Errorf("running steps [%d, %d): %w", start, start+k, err)
	}
	if !built {
		ex.built.Store(shape, true)
	}
	return splitArgs(&ex.outs, res), nil
}

// probeShards runs the first chunk whole and as shards and says why they disagree ("" when
// outputs, monitors, states and per-sample hook variables agree to the bit, parameters are
// left as the whole run leaves them, and the summed hook variables add up to the whole run's
// within rounding). Nothing is written back.
func (r *Runner) probeShards(ex *runExec, inputs, targets *tensors.Tensor, rows []rowSpan) string {
	states := r.tree.States()
	if why := unsplittable(states); why != "" {
		return why
	}
	summed := r.summedVars()
	for _, v := range r.hookVars {
		if !summed[v] && v.BatchAxis != 0 {
			return fmt.Sprintf("hook variable %q has no leading batch axis and the hook does not declare it a sum over samples (SummedHook)", v.name)
		}
	}
	k := min(r.chunk, inputs.Shape().Dimensions[1])
	init, hookInit := varValuesT(states), varValuesT(r.hookVars)
	whole, err := r.runChunkRows(ex, r.stage(0), inputs, targets, rowSpan{0, inputs.Shape().Dimensions[0]}, 0, k, init, hookInit, false)
	if err != nil {
		return err.Error()
	}
	sums := make([][]float64, len(r.hookVars))
	starts, hookStarts := shardStarts(states, rows, nil), shardStarts(r.hookVars, rows, summed)
	for i, rs := range rows {
		part, err := r.runChunkRows(ex, r.stage(i), inputs, targets, rs, 0, k, starts[i], hookStarts[i], false)
		if err != nil {
			return err.Error()
		}
		for _, g := range []string{"ys", "mons", "states"} {
			for j, t := range part[g] {
				if t.Rank() < 2 {
					return "a per-step output or monitor has no batch axis"
				}
				if !sameRows(whole[g][j], t, rs) {
					return fmt.Sprintf("samples [%d, %d) run on their own differ from the same samples run with the rest of the batch", rs.lo, rs.hi)
				}
			}
		}
		for j, t := range part["params"] {
			if !slices.Equal(ToFloat64s(t), ToFloat64s(whole["params"][j])) {
				return "the hook changes the parameters from what the whole batch shows it"
			}
		}
		for j, v := range r.hookVars {
			t := part["hook"][j]
			if !summed[v] {
				if !sameRows(whole["hook"][j], t, rs) {
					return fmt.Sprintf("hook variable %q of samples [%d, %d) differs when they run on their own", v.name, rs.lo, rs.hi)
				}
				continue
			}
			f := ToFloat64s(t)
			if sums[j] == nil {
				sums[j] = f
				continue
			}
			for e := range f {
				sums[j][e] += f[e]
			}
		}
	}
	tol := 1e-4
	if r.dtype.Size() == 8 {
		tol = 1e-10
	}
	for j, v := range r.hookVars {
		if !summed[v] {
			continue
		}
		w := ToFloat64s(whole["hook"][j])
		scale := 0.0
		for _, x := range w {
			scale = math.Max(scale, math.Abs(x))
		}
		for e, x := range w {
			if math.Abs(sums[j][e]-x) > tol*(scale+1e-30) && !(math.IsNaN(x) && math.IsNaN(sums[j][e])) {
				return fmt.Sprintf("hook variable %q summed over the shards differs from the whole batch's: it is not a sum over samples", v.name)
			}
		}
	}
	return ""
}

// runSharded is run's loop with the batch in row groups, each its own chain of calls on its
// own goroutine, joined at the end.
func (r *Runner) runSharded(ex *runExec, rows []rowSpan, inputs, targets *tensors.Tensor, opts RunOptions) (*tensors.Tensor, error) {
	steps := inputs.Shape().Dimensions[1]
	states, params := r.tree.States(), r.tree.Params(false)
	summed := r.summedVars()
	init, hookInit := shardStarts(states, rows, nil), shardStarts(r.hookVars, rows, summed)
	type shardRun struct {
		outs                 []*tensors.Tensor
		mons                 [][]*tensors.Tensor
		states, hook, params []*tensors.Tensor
	}
	runs := make([]shardRun, len(rows))
	r.stage(len(rows) - 1) // every shard's stager, made before the shards run
	err := inParallel(len(rows), func(i int) error {
		rs, sr := rows[i], &runs[i]
		cur, hk := init[i], hookInit[i]
		sr.mons = make([][]*tensors.Tensor, len(r.mons))
		for start := 0; start < steps; start += r.chunk {
			k := min(r.chunk, steps-start)
			out, err := r.runChunkRows(ex, r.stages[i], inputs, targets, rs, start, k, cur, hk, start > 0)
			if err != nil {
				return err
			}
			cur, hk, sr.params = out["states"], out["hook"], out["params"]
			for j := range r.mons {
				sr.mons[j] = append(sr.mons[j], out["mons"][j])
			}
			if !opts.DiscardOutputs {
				sr.outs = append(sr.outs, out["ys"][0])
			}
		}
		sr.states, sr.hook = cur, hk
		return nil
	})
	if err != nil {
		return nil, err
	}
	perShard := func(get func(*shardRun) *tensors.Tensor) []*tensors.Tensor {
		ts := make([]*tensors.Tensor, len(runs))
		for i := range runs {
			ts[i] = get(&runs[i])
		}
		return ts
	}
	// The per-sample variables keep the shards' rows until something reads them whole.
	for j, s := range states {
		s.putParts(rows, perShard(func(sr *shardRun) *tensors.Tensor { return sr.states[j] }))
	}
	for j, v := range r.hookVars {
		ts := perShard(func(sr *shardRun) *tensors.Tensor { return sr.hook[j] })
		if !summed[v] {
			v.putParts(rows, ts)
			continue
		}
		for _, t := range ts[1:] {
			if err := addInto(ts[0], t); err != nil {
				return nil, fmt.Errorf("hook variable %q: %w", v.name, err)
			}
		}
		v.put(ts[0])
	}
	if r.hook != nil {
		setValues(params, runs[0].params)
	}
	parts := make([][]*tensors.Tensor, len(rows))
	monParts := make([][]*tensors.Tensor, len(r.mons))
	for j := range r.mons {
		for i := range runs {
			parts[i] = runs[i].mons[j]
		}
		m, err := joinShardsTime(parts)
		if err != nil {
			return nil, fmt.Errorf("monitor %q: %w", r.mons[j].name, err)
		}
		monParts[j] = []*tensors.Tensor{m}
	}
	var outs []*tensors.Tensor
	if !opts.DiscardOutputs {
		for i := range runs {
			parts[i] = runs[i].outs
		}
		y, err := joinShardsTime(parts)
		if err != nil {
			return nil, err
		}
		outs = []*tensors.Tensor{y}
	}
	return r.finish(monParts, steps, outs, opts.DiscardOutputs)
}

// stage is shard i's stager (shard 0's for a run without shards).
func (r *Runner) stage(i int) *stager {
	for len(r.stages) <= i {
		r.stages = append(r.stages, &stager{backend: r.backend})
	}
	return r.stages[i]
}

// donated hands tensors that nothing else holds to a call as donated buffers: the backend may
// write the call's results into them, and returns them to its pool after their last use.
// Without that, every chunk of a long run took fresh buffers for its states and hook values
// (e-prop's (B, P, N) traces: about 0.5 GB a step on the click task), the collector ran several
// times a step, and each collection emptied the backend's buffer pools. A tensor that cannot be
// donated is passed as it is.
func donated(b compute.Backend, ts []*tensors.Tensor) []any {
	out := anys(ts)
	for i, t := range ts {
		if d, err := graph.DonateTensorBuffer(t, b, 0); err == nil {
			out[i] = d
		}
	}
	return out
}

// allZeroTensor reports whether every value of a float tensor is zero.
func allZeroTensor(t *tensors.Tensor) bool {
	zero := true
	t.MustConstFlatData(func(flat any) {
		switch f := flat.(type) {
		case []float32:
			zero = !slices.ContainsFunc(f, func(v float32) bool { return v != 0 })
		case []float64:
			zero = !slices.ContainsFunc(f, func(v float64) bool { return v != 0 })
		default:
			zero = false
		}
	})
	return zero
}
