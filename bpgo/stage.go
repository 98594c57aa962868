package bpgo

import (
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// stager hands a Grad's graphs their inputs one tensor per step, (B, ...) each, written
// straight into the backend's memory where the backend shares it with the host (the Go
// backend). A step's inputs then reach the graph with no copy and no slicing inside it: taking
// step t out of a (B, T, F) batch inside the graph moved B runs of F values each, far apart
// (seed 000's SNN spent 12% of its training step there), and a host tensor given to a graph is
// copied into the backend's memory first. The tensors are kept and rewritten from call to
// call, so a run allocates them once.
type stager struct {
	backend compute.Backend
	bufs    map[string][]*tensors.Tensor // by step shape and count
	chunks  map[string]*tensors.Tensor   // chunk's, by slot and shape
}

// maxStaged is how many sets of step tensors (shape and count) a stager keeps: a training run
// needs one or two (its chunk, the last chunk, a last smaller batch).
const maxStaged = 4

// steps returns steps [start, start+k) of xs (B, T, ...) as k tensors (B, ...), valid until
// the next call with the same shape and k. With check, every value copied is checked to be
// finite on the way (CheckFinite's error, naming arg), which saves CheckFinite's own pass.
func (s *stager) steps(xs *tensors.Tensor, start, k int, check bool, arg string) ([]*tensors.Tensor, error) {
	return s.rows(xs, rowSpan{0, xs.Shape().Dimensions[0]}, start, k, check, arg)
}

// rows is steps for the samples rs of xs only: k tensors (rs.n(), ...).
func (s *stager) rows(xs *tensors.Tensor, rs rowSpan, start, k int, check bool, arg string) ([]*tensors.Tensor, error) {
	dims := xs.Shape().Dimensions
	if len(dims) < 2 || start < 0 || k < 1 || start+k > dims[1] || rs.lo < 0 || rs.hi > dims[0] || rs.n() < 1 {
		return nil, fmt.Errorf("bpgo: staging steps [%d, %d) of samples [%d, %d) of a sequence of shape %v", start, start+k, rs.lo, rs.hi, dims)
	}
	size := xs.DType().Size()
	b, steps, row := rs.n(), dims[1], size
	for _, d := range dims[2:] {
		row *= d
	}
	stepShape := shapes.Make(xs.DType(), append([]int{b}, dims[2:]...)...)
	key := fmt.Sprintf("%s/%d", stepShape, k)
	out := s.bufs[key]
	if out == nil {
		out = make([]*tensors.Tensor, k)
		for i := range out {
			t, err := tensors.FromShapeForBackend(s.backend, 0, stepShape)
			if err != nil {
				return nil, err
			}
			out[i] = t
		}
		if s.bufs == nil || len(s.bufs) >= maxStaged {
			s.bufs = map[string][]*tensors.Tensor{} // a run with ever new shapes keeps a few
		}
		s.bufs[key] = out
	}
	var err error
	// Per sample: the first non-finite element's index in src (-1: none) and its value.
	bad, badV := make([]int, b), make([]float64, b)
	if e := xs.ConstFlatData(func(flat any) {
		src := dtypes.UnsafeByteSliceFromAny(flat)
		err = withMutableBytes(out, make([][]byte, 0, k), func(dst [][]byte) {
			// Sample-major: src is read in order, each step's tensor written by rows; the
			// samples are split between the cores.
			parallelRange(b, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					bad[i] = -1
					first := (rs.lo+i)*steps + start // the sample's steps are contiguous in src
					if check {
						bad[i], badV[i] = firstNonFiniteAt(flat, first*row/size, k*row/size)
					}
					for t, d := range dst {
						at := (first + t) * row
						copy(d[i*row:(i+1)*row], src[at:at+row])
					}
				}
			})
		})
	}); e != nil {
		return nil, e
	}
	if err != nil {
		return nil, err
	}
	for i, j := range bad {
		if j >= 0 {
			return nil, nonFiniteErr(arg, xs, j, badV[i])
		}
	}
	return slices.Clone(out), nil
}

// withMutableBytes calls fn with the bytes of every tensor of ts at once.
func withMutableBytes(ts []*tensors.Tensor, open [][]byte, fn func([][]byte)) error {
	if len(ts) == 0 {
		fn(open)
		return nil
	}
	var err error
	if e := ts[0].MutableBytes(func(d []byte) {
		err = withMutableBytes(ts[1:], append(open, d), fn)
	}); e != nil {
		return e
	}
	return err
}

// firstNonFiniteAt is firstNonFinite over the n values from off of flat ([]float32 or
// []float64), with the index counted in flat; (-1, 0) when all are finite.
func firstNonFiniteAt(flat any, off, n int) (int, float64) {
	at, v := -1, 0.0
	switch f := flat.(type) {
	case []float64:
		at, v = firstNonFinite(f[off : off+n])
	case []float32:
		at, v = firstNonFinite(f[off : off+n])
	}
	if at < 0 {
		return -1, 0
	}
	return off + at, v
}

// parallelRange calls fn on [0, n) split into one contiguous part per core (at most).
func parallelRange(n int, fn func(lo, hi int)) {
	parts := min(runtime.GOMAXPROCS(0), n)
	if parts <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*n/parts, (p+1)*n/parts
		wg.Go(func() { fn(lo, hi) })
	}
	wg.Wait()
}

// chunk is timeChunkRows(t, dt, rs, start, k): steps [start, start+k) of samples rs of t
// (B, T, ...) in dtype dt. Where it can (a backend that shares memory with the host, t already
// in dt) it writes them into a tensor of the backend's own that the stager keeps for slot,
// valid until the next call with the same slot and shape. The backward pass hands each chunk
// its part of the loss's cotangents this way, and a Runner each chunk its inputs and targets:
// a host tensor was copied into a fresh device buffer at every chunk.
func (s *stager) chunk(slot string, t *tensors.Tensor, dt dtypes.DType, rs rowSpan, start, k int) (*tensors.Tensor, error) {
	if !s.backend.HasSharedBuffers() || t.Rank() < 2 || t.DType() != dt {
		return timeChunkRows(t, dt, rs, start, k)
	}
	return stepCopyRowsAlloc(t, rs, start, k, k, func(sh shapes.Shape) (*tensors.Tensor, error) {
		if s.chunks == nil || len(s.chunks) >= 4*maxStaged {
			s.chunks = map[string]*tensors.Tensor{} // a run with ever new shapes keeps a few
		}
		// The shape is part of the key: a run's last, shorter chunk keeps its own tensor.
		return kept(s.chunks, s.backend, slot+"/"+sh.String(), sh)
	})
}

// kept returns the tensor m keeps under key if it has shape sh, else a new tensor of b's own,
// kept there in its place.
func kept[K comparable](m map[K]*tensors.Tensor, b compute.Backend, key K, sh shapes.Shape) (*tensors.Tensor, error) {
	if t := m[key]; t != nil && t.Shape().Equal(sh) {
		return t, nil
	}
	t, err := tensors.FromShapeForBackend(b, 0, sh)
	if err != nil {
		return nil, err
	}
	m[key] = t
	return t, nil
}
