package bpgo

// Host-side helpers for sequences: building them, checking them, and cutting, joining and
// transposing (B, T, ...) tensors on the host. The engine and the notebooks share them.

import (
	"fmt"
	"math"
	"slices"
	"sync/atomic"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// Sequence stacks equally long columns into one batch-first sequence of shape (1, T, len(cols))
// in the current float type, like BrainPy's bm.hstack([xs, ys, zs]).reshape((1, T, 3)).
func Sequence(cols ...[]float64) (*tensors.Tensor, error) {
	if len(cols) == 0 {
		return nil, fmt.Errorf("bpgo.Sequence: no columns given")
	}
	t := len(cols[0])
	for i, c := range cols {
		if len(c) != t {
			return nil, fmt.Errorf("bpgo.Sequence: column %d has %d values, column 0 has %d", i, len(c), t)
		}
	}
	if t == 0 {
		return nil, fmt.Errorf("bpgo.Sequence: columns are empty (T = 0)")
	}
	f := len(cols)
	data := make([]float64, t*f)
	for j, c := range cols {
		for i, x := range c {
			data[i*f+j] = x
		}
	}
	return FromFloat64s(FloatDType(), data, 1, t, f)
}

// CheckSequence validates a batch-first sequence argument: rank 3 (B, T, F) with B, T >= 1,
// float type dt, F == features unless features < 0, and only finite values. Errors name arg.
func CheckSequence(arg string, t *tensors.Tensor, dt dtypes.DType, features int) error {
	if err := checkSequenceShape(arg, t, dt, features); err != nil {
		return err
	}
	return CheckFinite(arg, t)
}

// checkSequenceShape is CheckSequence without the scan for non-finite values.
func checkSequenceShape(arg string, t *tensors.Tensor, dt dtypes.DType, features int) error {
	if t == nil {
		return fmt.Errorf("%s: got nil, want a (batch, time, features) tensor", arg)
	}
	s := t.Shape()
	if s.Rank() != 3 {
		return fmt.Errorf("%s: got shape %v (rank %d), want rank 3 (batch, time, features)", arg, s.Dimensions, s.Rank())
	}
	if s.Dimensions[0] < 1 || s.Dimensions[1] < 1 {
		return fmt.Errorf("%s: got shape %v, want at least one batch row and one time step", arg, s.Dimensions)
	}
	if features >= 0 && s.Dimensions[2] != features {
		return fmt.Errorf("%s: got shape %v, want %d features on the last axis", arg, s.Dimensions, features)
	}
	if s.DType != dt {
		return fmt.Errorf("%s: got dtype %s, want %s (the model's float type; bpgo.EnableX64() selects float64)", arg, s.DType, dt)
	}
	return nil
}

// CheckFinite returns an error naming arg if a float tensor holds NaN or ±Inf.
func CheckFinite(arg string, t *tensors.Tensor) error {
	bad, at := 0.0, -1
	switch t.DType() {
	case dtypes.Float64:
		tensors.MustConstFlatData(t, func(flat []float64) { at, bad = firstNonFinite(flat) })
	case dtypes.Float32:
		tensors.MustConstFlatData(t, func(flat []float32) { at, bad = firstNonFinite(flat) })
	}
	if at >= 0 {
		return nonFiniteErr(arg, t, at, bad)
	}
	return nil
}

// nonFiniteErr is CheckFinite's error: element at of t, whose value is v, is not finite.
func nonFiniteErr(arg string, t *tensors.Tensor, at int, v float64) error {
	return fmt.Errorf("%s: element %d (of shape %v) is %v: data must be finite", arg, at, t.Shape().Dimensions, v)
}

// parallelFiniteMin is the fewest elements firstNonFinite splits over the cores: a scan of a
// few MB takes a millisecond or more, a goroutine's start a microsecond.
const parallelFiniteMin = 1 << 18

// firstNonFinite scans in place (no copy): tensors can be large and this runs on every input.
// allFinite answers for all of flat at once (large data in one part per core); only data that
// holds a non-finite value is searched element by element.
func firstNonFinite[F float32 | float64](flat []F) (int, float64) {
	var ok bool
	if len(flat) < parallelFiniteMin {
		ok = allFinite(flat)
	} else {
		var bad atomic.Bool
		parallelRange(len(flat), func(lo, hi int) {
			if !allFinite(flat[lo:hi]) {
				bad.Store(true)
			}
		})
		ok = !bad.Load()
	}
	if ok {
		return -1, 0
	}
	for i, x := range flat {
		if v := float64(x); math.IsNaN(v) || math.IsInf(v, 0) {
			return i, v
		}
	}
	return -1, 0
}

// allFiniteScalar is allFinite without vector instructions: x-x is 0 for a finite x and NaN
// otherwise, so flat is summed with four independent accumulators (no per-element branch).
func allFiniteScalar[F float32 | float64](flat []F) bool {
	var a0, a1, a2, a3 F
	i := 0
	for ; i+4 <= len(flat); i += 4 {
		a0 += flat[i] - flat[i]
		a1 += flat[i+1] - flat[i+1]
		a2 += flat[i+2] - flat[i+2]
		a3 += flat[i+3] - flat[i+3]
	}
	for ; i < len(flat); i++ {
		a0 += flat[i] - flat[i]
	}
	return a0+a1+a2+a3 == 0
}

// Must panics if err is not nil (for notebook cells, where a panic is shown with its message).
func Must(err error) {
	if err != nil {
		panic(err)
	}
}

// Must1 returns v, panicking if err is not nil.
func Must1[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// SwapLeadingAxes turns a (A, B, ...) tensor into (B, A, ...) on the host: batch-first to
// time-first and back.
func SwapLeadingAxes(t *tensors.Tensor) *tensors.Tensor {
	dims := t.Shape().Dimensions
	a, b := dims[0], dims[1]
	inner := 1
	for _, d := range dims[2:] {
		inner *= d
	}
	nd := append([]int{b, a}, dims[2:]...)
	swap := func(src []float64) []float64 {
		dst := make([]float64, len(src))
		for i := range a {
			for j := range b {
				copy(dst[(j*a+i)*inner:(j*a+i+1)*inner], src[(i*b+j)*inner:(i*b+j+1)*inner])
			}
		}
		return dst
	}
	if t.DType().IsFloat() {
		return Must1(FromFloat64s(t.DType(), swap(ToFloat64s(t)), nd...))
	}
	panic(fmt.Sprintf("bpgo.SwapLeadingAxes: dtype %s is not a float type", t.DType()))
}

// ReduceMax returns the maximum of a float tensor over one axis, on the host: for example the
// maximum over time of a (T, B, N) output (axis 0), as the SNN tutorial does with
// bm.max(outs, axis=0).
func ReduceMax(t *tensors.Tensor, axis int) (*tensors.Tensor, error) {
	if t == nil || !t.DType().IsFloat() {
		return nil, fmt.Errorf("bpgo.ReduceMax: want a float tensor, got %v", t)
	}
	dims := t.Shape().Dimensions
	if axis < 0 {
		axis += len(dims)
	}
	if axis < 0 || axis >= len(dims) {
		return nil, fmt.Errorf("bpgo.ReduceMax: axis %d out of range for shape %v", axis, dims)
	}
	outer, inner := 1, 1
	for _, d := range dims[:axis] {
		outer *= d
	}
	for _, d := range dims[axis+1:] {
		inner *= d
	}
	n := dims[axis]
	if n == 0 {
		return nil, fmt.Errorf("bpgo.ReduceMax: axis %d of shape %v is empty", axis, dims)
	}
	src := ToFloat64s(t)
	out := make([]float64, outer*inner)
	for o := range outer {
		for i := range inner {
			m := math.Inf(-1)
			for k := range n {
				m = math.Max(m, src[(o*n+k)*inner+i])
			}
			out[o*inner+i] = m
		}
	}
	nd := append(append([]int{}, dims[:axis]...), dims[axis+1:]...)
	return FromFloat64s(t.DType(), out, nd...)
}

// Cube copies a rank-3 float tensor to a [][][]float64, e.g. a time-first (T, B, N) monitor for
// visualize.VoltageGridSamples.
func Cube(t *tensors.Tensor) ([][][]float64, error) {
	if t == nil || !t.DType().IsFloat() || t.Rank() != 3 {
		return nil, fmt.Errorf("bpgo.Cube: want a rank-3 float tensor, got %v", t)
	}
	d := t.Shape().Dimensions
	flat := ToFloat64s(t)
	out := make([][][]float64, d[0])
	for i := range out {
		out[i] = make([][]float64, d[1])
		for j := range out[i] {
			base := (i*d[1] + j) * d[2]
			out[i][j] = flat[base : base+d[2] : base+d[2]]
		}
	}
	return out, nil
}

// TimeSlice copies steps [start, start+k) of a row-major, batch-first (B, T, ...) array:
// the result is the row-major data of a (B, k, ...) array.
func TimeSlice(data []float64, dims []int, start, k int) []float64 {
	return timeSliceAs[float64, float64](data, dims, rowSpan{0, dims[0]}, start, k)
}

// concatTime joins chunks of one dtype along time (axis 1 of (B, K_i, ...), axis 0 of (K_i,))
// on the host, copying their bytes (no conversion).
func concatTime(parts []*tensors.Tensor) (*tensors.Tensor, error) {
	return joinGrid([][]*tensors.Tensor{parts})
}

// joinMonitor joins a monitor's chunks along time (axis 1, or axis 0 for per-step scalars).
func joinMonitor(parts []*tensors.Tensor) (*tensors.Tensor, error) {
	return joinShardsTime([][]*tensors.Tensor{parts})
}

// joinShardsTime joins per-shard, per-chunk parts (B_s, K_c, ...) into one (B, T, ...) tensor
// (see joinGrid); a single part is returned as it is.
func joinShardsTime(parts [][]*tensors.Tensor) (*tensors.Tensor, error) {
	if len(parts) == 1 && len(parts[0]) == 1 {
		return parts[0][0], nil
	}
	return joinGrid(parts)
}

// joinGrid joins parts of one dtype, one shard of batch rows per outer slice and one chunk of
// steps per inner one, along both axes: (B_s, K_c, ...) into (ΣB_s, ΣK_c, ...), or, for one
// shard of per-step scalars, (K_c,) into (ΣK_c,). Each part's bytes are copied once.
func joinGrid(parts [][]*tensors.Tensor) (*tensors.Tensor, error) {
	return joinGridAlloc(parts, hostAlloc)
}

// hostAlloc is the allocator of joinGridAlloc and stepCopyRowsAlloc for host tensors.
func hostAlloc(s shapes.Shape) (*tensors.Tensor, error) { return tensors.FromShape(s), nil }

// joinGridAlloc is joinGrid into a tensor that alloc gives for the joined shape.
func joinGridAlloc(parts [][]*tensors.Tensor, alloc func(shapes.Shape) (*tensors.Tensor, error)) (*tensors.Tensor, error) {
	if len(parts) == 0 || len(parts[0]) == 0 {
		return nil, fmt.Errorf("no time steps")
	}
	p0 := parts[0][0]
	d0 := p0.Shape().Dimensions
	axis := timeAxis(len(d0))
	if axis == 0 && len(parts) > 1 {
		return nil, fmt.Errorf("a per-step value of shape %v has no batch axis", d0)
	}
	rows := func(t *tensors.Tensor) int { // batch rows of a part
		if axis == 1 {
			return t.Shape().Dimensions[0]
		}
		return 1
	}
	step := p0.DType().Size() // bytes per step of one row
	for _, d := range d0[axis+1:] {
		step *= d
	}
	nd := slices.Clone(d0)
	nd[axis] = 0
	for _, c := range parts[0] {
		nd[axis] += c.Shape().Dimensions[axis]
	}
	total, rowSum := nd[axis], 0
	for _, shard := range parts {
		rowSum += rows(shard[0])
		steps := 0
		for _, c := range shard {
			cd := c.Shape().Dimensions
			if c.DType() != p0.DType() {
				return nil, fmt.Errorf("chunks of dtypes %s and %s", p0.DType(), c.DType())
			}
			if len(cd) != len(d0) || rows(c) != rows(shard[0]) || !slices.Equal(cd[axis+1:], d0[axis+1:]) {
				return nil, fmt.Errorf("joining parts of shapes %s and %s", p0.Shape(), c.Shape())
			}
			steps += cd[axis]
		}
		if steps != total {
			return nil, fmt.Errorf("joining shards of %d and %d steps", total, steps)
		}
	}
	if axis == 1 {
		nd[0] = rowSum
	}
	out, err := alloc(shapes.Make(p0.DType(), nd...))
	if err != nil {
		return nil, err
	}
	if e := out.MutableBytes(func(dst []byte) {
		row0 := 0
		for _, shard := range parts {
			off := 0
			for _, c := range shard {
				k := c.Shape().Dimensions[axis]
				if err = c.ConstBytes(func(src []byte) {
					for b := range rows(c) {
						at := ((row0+b)*total + off) * step
						copy(dst[at:at+k*step], src[b*k*step:(b+1)*k*step])
					}
				}); err != nil {
					return
				}
				off += k
			}
			row0 += rows(shard[0])
		}
	}); e != nil {
		return nil, e
	}
	return out, err
}

// stepCopy copies steps [start, start+k) of t (time on axis 1, or axis 0 for rank 1) into a
// tensor of the same dtype with capacity steps, the rest zero.
func stepCopy(t *tensors.Tensor, start, k, capacity int) (*tensors.Tensor, error) {
	return stepCopyRows(t, allRows(t), start, k, capacity)
}

// allRows is every batch row of t (the one "row" of a rank-1 per-step sequence).
func allRows(t *tensors.Tensor) rowSpan {
	if t.Rank() < 2 {
		return rowSpan{0, 1}
	}
	return rowSpan{0, t.Shape().Dimensions[0]}
}

// stepCopyRows is stepCopy of batch rows rs only (rank >= 2).
func stepCopyRows(t *tensors.Tensor, rs rowSpan, start, k, capacity int) (*tensors.Tensor, error) {
	return stepCopyRowsAlloc(t, rs, start, k, capacity, hostAlloc)
}

// stepCopyRowsAlloc is stepCopyRows into a tensor that alloc gives for the shape; with
// capacity > k that tensor must come zeroed.
func stepCopyRowsAlloc(t *tensors.Tensor, rs rowSpan, start, k, capacity int, alloc func(shapes.Shape) (*tensors.Tensor, error)) (*tensors.Tensor, error) {
	dims := t.Shape().Dimensions
	axis := timeAxis(len(dims))
	steps, row := dims[axis], t.DType().Size()
	for _, d := range dims[axis+1:] {
		row *= d
	}
	nd := slices.Clone(dims)
	nd[axis] = capacity
	if axis == 1 {
		nd[0] = rs.n()
	} else {
		rs = rowSpan{0, 1} // per-step scalars: no batch rows
	}
	out, err := alloc(shapes.Make(t.DType(), nd...))
	if err != nil {
		return nil, err
	}
	if e := out.MutableBytes(func(dst []byte) {
		err = t.ConstBytes(func(src []byte) {
			for i := range rs.n() {
				b := rs.lo + i
				copy(dst[i*capacity*row:(i*capacity+k)*row], src[(b*steps+start)*row:(b*steps+start+k)*row])
			}
		})
	}); e != nil {
		return nil, e
	}
	return out, err
}

// SliceTime returns steps [start, start+k) of a batch-first (B, T, ...) tensor, in its dtype.
func SliceTime(t *tensors.Tensor, start, k int) (*tensors.Tensor, error) {
	if t.Rank() < 2 {
		return nil, fmt.Errorf("bpgo.SliceTime: shape %v, want (batch, steps, ...)", t.Shape().Dimensions)
	}
	if steps := t.Shape().Dimensions[1]; start < 0 || k < 0 || start+k > steps {
		return nil, fmt.Errorf("bpgo.SliceTime: steps [%d, %d) out of a sequence of %d", start, start+k, steps)
	}
	return stepCopy(t, start, k, k)
}

// timeChunk returns steps [start, start+k) of a (B, T, ...) float tensor as a new tensor of
// dtype dt, read straight from t's data: no float64 copy of the whole sequence is made, so a
// run's host memory beyond its input is one chunk whatever T is.
func timeChunk(t *tensors.Tensor, dt dtypes.DType, start, k int) (*tensors.Tensor, error) {
	return timeChunkRows(t, dt, allRows(t), start, k)
}

// timeChunkRows is timeChunk of batch rows rs only.
func timeChunkRows(t *tensors.Tensor, dt dtypes.DType, rs rowSpan, start, k int) (*tensors.Tensor, error) {
	if t.DType() == dt {
		return stepCopyRows(t, rs, start, k, k)
	}
	dims := t.Shape().Dimensions
	out := slices.Clone(dims)
	out[0], out[1] = rs.n(), k
	var res *tensors.Tensor
	err := t.ConstFlatData(func(flat any) {
		switch src := flat.(type) {
		case []float32:
			res = chunkAs(src, dims, rs, start, k, dt, out)
		case []float64:
			res = chunkAs(src, dims, rs, start, k, dt, out)
		}
	})
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, fmt.Errorf("dtype %s or %s is not a float type (want Float32 or Float64)", t.DType(), dt)
	}
	return res, nil
}

func chunkAs[S float32 | float64](src []S, dims []int, rs rowSpan, start, k int, dt dtypes.DType, out []int) *tensors.Tensor {
	switch dt {
	case dtypes.Float32:
		return tensors.FromFlatDataAndDimensions(timeSliceAs[S, float32](src, dims, rs, start, k), out...)
	case dtypes.Float64:
		return tensors.FromFlatDataAndDimensions(timeSliceAs[S, float64](src, dims, rs, start, k), out...)
	}
	return nil
}

func timeSliceAs[S, D float32 | float64](src []S, dims []int, rs rowSpan, start, k int) []D {
	t := dims[1]
	inner := 1
	for _, d := range dims[2:] {
		inner *= d
	}
	out := make([]D, 0, rs.n()*k*inner)
	for i := rs.lo; i < rs.hi; i++ {
		base := (i*t + start) * inner
		for _, x := range src[base : base+k*inner] {
			out = append(out, D(x))
		}
	}
	return out
}
