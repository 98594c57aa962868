package bpgo

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// Batch shards. The Go backend runs one graph's ops on one core at a time for the chains of
// small ops a time loop is made of: seed 002's e-prop step took 1.92 s with one core and 2.03 s
// with two. Most models treat every sample of a batch on its own, so the chunked engine can run
// the batch as row groups, one per core, each its own sequence of compiled calls: the same
// step then took about 1.2 s. Which models qualify is measured, not assumed (probeShards): a
// model that mixes samples (a batch mean, a noise source drawn per call, a state without a
// batch axis) keeps running whole.

// rowSpan is the group of batch rows [lo, hi).
type rowSpan struct{ lo, hi int }

func (r rowSpan) n() int { return r.hi - r.lo }

// MinShardRows is the fewest batch rows a shard gets under GradOptions.Shards 0: smaller
// groups cost more in per-call overhead than a core gains.
const MinShardRows = 16

// shardPlan splits batch rows into n equal groups.
func shardPlan(batch, n int) []rowSpan {
	out := make([]rowSpan, n)
	for i := range out {
		out[i] = rowSpan{i * batch / n, (i + 1) * batch / n}
	}
	return out
}

// autoShards is the number of shards GradOptions.Shards 0 asks for: one per core on the Go
// backend, as long as every shard gets MinShardRows rows and the groups are equal (one compiled
// shape for all).
func autoShards(batch int) int {
	for n := runtime.GOMAXPROCS(0); n >= 2; n-- {
		if batch%n == 0 && batch/n >= MinShardRows {
			return n
		}
	}
	return 1
}

// shardKey identifies a probe: the shape of the inputs and the number of shards.
type shardKey struct {
	shape string
	n     int
}

// shardMemo remembers, per shardKey, why a model cannot run in shards ("": it can).
type shardMemo struct {
	mu  sync.Mutex
	why map[shardKey]string
}

// rows returns the row groups for n shards of batch rows: the probe's verdict, asked for once
// per shape; asked is the option's value (what names it), which makes a failed probe an error
// when it asked for shards explicitly.
func (m *shardMemo) rows(what string, asked, n, batch int, shape string, probe func([]rowSpan) string) ([]rowSpan, error) {
	whole := []rowSpan{{0, batch}}
	if n == 1 {
		return whole, nil
	}
	if batch%n != 0 {
		return nil, fmt.Errorf("%s: %d shards need a batch size divisible by %d, got %d", what, n, n, batch)
	}
	key := shardKey{shape, n}
	m.mu.Lock()
	why, done := m.why[key]
	m.mu.Unlock()
	if !done {
		why = probe(shardPlan(batch, n))
		m.mu.Lock()
		if m.why == nil {
			m.why = map[shardKey]string{}
		}
		m.why[key] = why
		m.mu.Unlock()
	}
	if why != "" {
		if asked > 1 {
			return nil, fmt.Errorf("%s: the model cannot run its batch in %d shards: %s", what, n, why)
		}
		return whole, nil
	}
	return shardPlan(batch, n), nil
}

// forget drops every verdict (the model's variables changed).
func (m *shardMemo) forget() {
	m.mu.Lock()
	m.why = nil
	m.mu.Unlock()
}

// shards returns the row groups a chunked run of xs uses. first is the run's first chunk
// (the probe runs it both ways).
func (g *Grad) shards(xs *tensors.Tensor, first span) ([]rowSpan, error) {
	batch := xs.Shape().Dimensions[0]
	n := g.nShards
	if n == 0 {
		if g.backend.String() != gobackend.BackendName {
			return []rowSpan{{0, batch}}, nil // XLA spreads its ops over the cores itself
		}
		n = autoShards(batch)
	}
	return g.shardMemo.rows("GradOptions.Shards", g.nShards, n, batch, fmt.Sprint(xs.Shape().Dimensions),
		func(rows []rowSpan) string { return g.probeShards(xs, rows, first) })
}

// probeShards runs the first chunk of the run whole and as shards and says why the shards
// disagree with the whole ("" when every output, monitor and final state is identical to the
// bit). The model's state is left as it was.
func (g *Grad) probeShards(xs *tensors.Tensor, rows []rowSpan, first span) string {
	states := g.tree.States()
	if why := unsplittable(states); why != "" {
		return why
	}
	init := varValuesT(states)
	whole, err := g.chunkForward(&g.stage, xs, rowSpan{0, xs.Shape().Dimensions[0]}, first, init)
	if err != nil {
		return err.Error()
	}
	for i, rs := range rows {
		st := g.shardStager(i)
		part, err := g.chunkForward(st, xs, rs, first, sliceRowsAll(init, rs))
		if err != nil {
			return err.Error()
		}
		for j, t := range part {
			if t.Rank() < 2 {
				return "a per-step output or monitor has no batch axis"
			}
			if !sameRows(whole[j], t, rs) {
				return fmt.Sprintf("samples [%d, %d) run on their own differ from the same samples run with the rest of the batch", rs.lo, rs.hi)
			}
		}
	}
	return ""
}

// unsplittable names the first state without a leading batch axis ("" when all have one).
func unsplittable(states []*Variable) string {
	for _, s := range states {
		if s.BatchAxis != 0 {
			return fmt.Sprintf("state %q has no leading batch axis", s.name)
		}
	}
	return ""
}

// shardStager is shard i's stager (shard 0 shares the Grad's).
func (g *Grad) shardStager(i int) *stager {
	if i == 0 {
		return &g.stage
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for len(g.shardStages) < i {
		g.shardStages = append(g.shardStages, &stager{backend: g.backend})
	}
	return g.shardStages[i-1]
}

// inParallel runs fn(0) … fn(n-1) on their own goroutines (inline for n = 1) and returns the
// first error.
func inParallel(n int, fn func(i int) error) error {
	if n == 1 {
		return fn(0)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = fn(i) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// rowBytes is the number of bytes one batch row of t (batch axis 0) takes.
func rowBytes(t *tensors.Tensor) int {
	return t.Shape().Size() / t.Shape().Dimensions[0] * t.DType().Size()
}

// sliceRows copies rows rs of t (batch axis 0); the whole of t is returned as is.
func sliceRows(t *tensors.Tensor, rs rowSpan) *tensors.Tensor {
	d := t.Shape().Dimensions
	if rs.lo == 0 && rs.hi == d[0] {
		return t
	}
	nd := slices.Clone(d)
	nd[0] = rs.n()
	out := tensors.FromShape(shapes.Make(t.DType(), nd...))
	rb := rowBytes(t)
	out.MutableBytes(func(dst []byte) {
		t.ConstBytes(func(src []byte) { copy(dst, src[rs.lo*rb:rs.hi*rb]) })
	})
	return out
}

func sliceRowsAll(ts []*tensors.Tensor, rs rowSpan) []*tensors.Tensor {
	out := make([]*tensors.Tensor, len(ts))
	for i, t := range ts {
		out[i] = sliceRows(t, rs)
	}
	return out
}

// joinRows stacks row groups (batch axis 0) back into one tensor.
func joinRows(parts []*tensors.Tensor) *tensors.Tensor {
	if len(parts) == 1 {
		return parts[0]
	}
	nd := slices.Clone(parts[0].Shape().Dimensions)
	for _, p := range parts[1:] {
		nd[0] += p.Shape().Dimensions[0]
	}
	out := tensors.FromShape(shapes.Make(parts[0].DType(), nd...))
	out.MutableBytes(func(dst []byte) {
		off := 0
		for _, p := range parts {
			p.ConstBytes(func(src []byte) { off += copy(dst[off:], src) })
		}
	})
	return out
}

// sameRows reports whether part holds exactly rows rs of whole, to the bit.
func sameRows(whole, part *tensors.Tensor, rs rowSpan) bool {
	if whole.DType() != part.DType() || whole.Rank() != part.Rank() || part.Shape().Dimensions[0] != rs.n() ||
		!slices.Equal(whole.Shape().Dimensions[1:], part.Shape().Dimensions[1:]) {
		return false
	}
	rb := rowBytes(whole)
	same := false
	whole.ConstBytes(func(w []byte) {
		part.ConstBytes(func(p []byte) { same = bytes.Equal(w[rs.lo*rb:rs.hi*rb], p) })
	})
	return same
}

// addInto adds src to dst elementwise (float tensors of one shape), in place.
func addInto(dst, src *tensors.Tensor) error {
	if !dst.Shape().Equal(src.Shape()) {
		return fmt.Errorf("adding gradients of shapes %s and %s", dst.Shape(), src.Shape())
	}
	var err error
	dst.MutableFlatData(func(d any) {
		src.ConstFlatData(func(s any) {
			switch d := d.(type) {
			case []float32:
				for i, v := range s.([]float32) {
					d[i] += v
				}
			case []float64:
				for i, v := range s.([]float64) {
					d[i] += v
				}
			default:
				err = fmt.Errorf("adding gradients of type %T", d)
			}
		})
	})
	return err
}
