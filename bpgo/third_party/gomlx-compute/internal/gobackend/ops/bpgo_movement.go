package ops

// bpgo patch (see bpgo/third_party/README.md in bpgo's repository): Slice and BroadcastInDim
// moved their data one element at a time, with an index odometer per element (1–2 ns each). In
// bpgo's time loops both move whole rows: a chunk's per-step cotangent sliced out of its (B, K, N)
// stack, a regulariser's (1, 1, N) gradient broadcast to (B, T, N). These fast paths copy the
// contiguous runs with one copy call each, or fill broadcast runs by doubling copies. A Transpose
// that swaps the last two axes and keeps the others (online e-prop's (B, P, N) block products)
// went through the same odometer; it runs as one tiled 2-D transpose per leading index.

import "github.com/gomlx/compute/internal/gobackend"

// bpgoMinRunBytes is the shortest contiguous run worth a copy call (shorter ones stay with
// upstream's per-element loop).
const bpgoMinRunBytes = 32

// bpgoSlice copies a Slice whose innermost contiguous run (the trailing axes taken whole, then
// the last axis that is cut, all with stride 1) is at least bpgoMinRunBytes long, and reports
// whether it did.
func bpgoSlice(operand, output *gobackend.Buffer, params *sliceNode) bool {
	if !bpgoPatched {
		return false
	}
	dims := operand.RawShape.Dimensions
	rank := len(dims)
	elem := operand.RawShape.DType.Size()
	if rank == 0 || elem == 0 {
		return false
	}
	// run: elements per contiguous run; inner: the first axis (from the end) not in the run.
	run, inner := 1, rank
	for axis := rank - 1; axis >= 0; axis-- {
		if params.strides[axis] != 1 {
			break
		}
		run *= params.limits[axis] - params.starts[axis]
		inner = axis
		if params.starts[axis] != 0 || params.limits[axis] != dims[axis] {
			break // a cut axis ends the run
		}
	}
	if run*elem < bpgoMinRunBytes {
		return false
	}
	src, err := operand.MutableBytes()
	if err != nil {
		return false
	}
	dst, err := output.MutableBytes()
	if err != nil {
		return false
	}
	strides := operand.RawShape.Strides()
	base := 0
	for axis, start := range params.starts {
		base += start * strides[axis]
	}
	runBytes := run * elem
	step := make([]int, inner)
	for axis := range step {
		step[axis] = params.strides[axis] * strides[axis]
	}
	bpgoRuns(output.RawShape.Dimensions[:inner], step, base, len(dst)/runBytes, func(o, at int) {
		copy(dst[o*runBytes:(o+1)*runBytes], src[at*elem:at*elem+runBytes])
	})
	return true
}

// bpgoBroadcast fills output with operand broadcast along broadcastAxes (operand axis i is
// output axis broadcastAxes[i]) when the output's trailing axes either match the operand's in a
// run of at least bpgoMinRunBytes (each run copied) or repeat one operand value over at least
// bpgoMinRunBytes (each run filled), and reports whether it did.
func bpgoBroadcast(operand, output *gobackend.Buffer, broadcastAxes []int) bool {
	if !bpgoPatched {
		return false
	}
	outDims := output.RawShape.Dimensions
	rank := len(outDims)
	elem := output.RawShape.DType.Size()
	if rank == 0 || elem == 0 || len(broadcastAxes) != operand.RawShape.Rank() {
		return false
	}
	// The operand's dimensions and flat strides as seen from the output's axes (stride 0 where
	// it is broadcast).
	opDims := make([]int, rank)
	opStrides := make([]int, rank)
	for i := range opDims {
		opDims[i] = 1
	}
	inStrides := operand.RawShape.Strides()
	for i, axis := range broadcastAxes {
		if axis < 0 || axis >= rank {
			return false
		}
		opDims[axis] = operand.RawShape.Dimensions[i]
		if opDims[axis] != 1 {
			opStrides[axis] = inStrides[i]
		}
	}
	// Trailing axes that match (copy runs) or that are all broadcast (fill runs).
	copyRun, inner := 1, rank
	for inner > 0 && opDims[inner-1] == outDims[inner-1] {
		inner--
		copyRun *= outDims[inner]
	}
	fill := false
	if copyRun == 1 {
		for inner > 0 && opDims[inner-1] == 1 {
			inner--
			copyRun *= outDims[inner]
		}
		fill = true
	}
	runBytes := copyRun * elem
	if runBytes < bpgoMinRunBytes {
		return false
	}
	src, err := operand.MutableBytes()
	if err != nil {
		return false
	}
	dst, err := output.MutableBytes()
	if err != nil {
		return false
	}
	bpgoRuns(outDims[:inner], opStrides[:inner], 0, len(dst)/runBytes, func(o, at int) {
		run := dst[o*runBytes : (o+1)*runBytes]
		if fill {
			n := copy(run, src[at*elem:(at+1)*elem])
			for n < len(run) {
				n += copy(run[n:], run[:n])
			}
		} else {
			copy(run, src[at*elem:at*elem+runBytes])
		}
	})
	return true
}

// bpgoRuns calls fn(o, at) for the runs o = 0 … n−1 of an output whose outer axes have
// dimensions dims, with at the source element where run o starts: base, advanced by step[axis]
// along each outer axis (row-major odometer).
func bpgoRuns(dims, step []int, base, n int, fn func(o, at int)) {
	idx := make([]int, len(dims))
	at := base
	for o := range n {
		fn(o, at)
		for axis := len(dims) - 1; axis >= 0; axis-- {
			idx[axis]++
			at += step[axis]
			if idx[axis] < dims[axis] {
				break
			}
			at -= dims[axis] * step[axis]
			idx[axis] = 0
		}
	}
}

// bpgoTransposeLast2 runs a Transpose that swaps the last two axes of a rank >= 2 operand and
// keeps the leading ones as one 2-D transpose per leading index, and reports whether it did.
func bpgoTransposeLast2(operand, output *gobackend.Buffer, permutations []int) bool {
	dims := operand.RawShape.Dimensions
	rank := len(dims)
	if !bpgoPatched || rank < 2 || permutations[rank-2] != rank-1 || permutations[rank-1] != rank-2 {
		return false
	}
	for i, p := range permutations[:rank-2] {
		if p != i {
			return false
		}
	}
	if rank == 2 && operand.RawShape.Size() > bpgoSmallTranspose {
		return false // upstream's tiles, which split a large matrix between the cores
	}
	h, w := dims[rank-2], dims[rank-1]
	n := operand.RawShape.Size() / (h * w)
	switch in := operand.Flat.(type) {
	case []float32:
		bpgoTransposeBatched(in, output.Flat.([]float32), n, h, w)
	case []float64:
		bpgoTransposeBatched(in, output.Flat.([]float64), n, h, w)
	case []int32:
		bpgoTransposeBatched(in, output.Flat.([]int32), n, h, w)
	case []int64:
		bpgoTransposeBatched(in, output.Flat.([]int64), n, h, w)
	default:
		return false
	}
	return true
}

func bpgoTransposeBatched[T any](in, out []T, n, h, w int) {
	m := h * w
	for b := range n {
		if m <= bpgoSmallTranspose {
			bpgoTransposeSmall(in[b*m:(b+1)*m], out[b*m:(b+1)*m], h, w)
		} else {
			transpose2D[T](nil, in[b*m:(b+1)*m], out[b*m:(b+1)*m], h, w)
		}
	}
}

// bpgoSmallTranspose is the largest matrix (elements) bpgoTransposeSmall takes: 64 KB of
// float32, which it reads and writes in L1/L2. Larger ones go to upstream's tiles.
const bpgoSmallTranspose = 16384

// bpgoTransposeSmall transposes in (h, w) into out (w, h) four input rows at a time, so that
// each output row gets four consecutive values per pass; upstream's tiles move one element per
// iteration with its index computed and bounds-checked (a (64, 100) float32 weight-gradient
// transpose took 11.5 µs, once per step of a spiking network's backward pass).
func bpgoTransposeSmall[T any](in, out []T, h, w int) {
	r := 0
	for ; r+4 <= h; r += 4 {
		r0 := in[r*w : r*w+w]
		r1 := in[(r+1)*w : (r+1)*w+w][:len(r0)]
		r2 := in[(r+2)*w : (r+2)*w+w][:len(r0)]
		r3 := in[(r+3)*w : (r+3)*w+w][:len(r0)]
		for c := range r0 {
			o := out[c*h+r : c*h+r+4]
			o[0], o[1], o[2], o[3] = r0[c], r1[c], r2[c], r3[c]
		}
	}
	for ; r < h; r++ {
		for c, v := range in[r*w : r*w+w] {
			out[c*h+r] = v
		}
	}
}
