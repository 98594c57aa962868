package ops

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
)

func bpgoRandBuffer(t testing.TB, be *gobackend.Backend, rng *rand.Rand, dt dtypes.DType, dims ...int) *gobackend.Buffer {
	buf, err := be.GetBuffer(shapes.Make(dt, dims...))
	if err != nil {
		t.Fatal(err)
	}
	b, err := buf.MutableBytes()
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	return buf
}

func bpgoBytes(t testing.TB, buf *gobackend.Buffer) []byte {
	b, err := buf.MutableBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBpgoSlice: the run copies give the bytes of upstream's per-element loop on slices that
// cut the last axis, an inner axis, several axes, with strides on outer axes, for 1-, 4- and
// 8-byte elements; exactly the slices whose runs are too short, or whose last axis is strided,
// stay upstream's.
func TestBpgoSlice(t *testing.T) {
	be, err := gobackend.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	defer be.Finalize()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		dims, starts, limits, strides []int
		run                           int // elements per contiguous run; 0: the last axis is strided
	}{
		{[]int{128, 100, 100}, []int{0, 7, 0}, []int{128, 8, 100}, []int{1, 1, 1}, 100}, // one step of a chunk
		{[]int{128, 100, 2}, []int{0, 7, 0}, []int{128, 8, 2}, []int{1, 1, 1}, 2},
		{[]int{128, 2250, 2}, []int{0, 2100, 0}, []int{128, 2250, 2}, []int{1, 1, 1}, 300},
		{[]int{5, 6, 40}, []int{1, 2, 3}, []int{4, 5, 39}, []int{1, 1, 1}, 36},
		{[]int{9, 6, 40}, []int{1, 0, 0}, []int{9, 6, 40}, []int{3, 1, 1}, 240},
		{[]int{9, 6, 40}, []int{0, 1, 0}, []int{9, 6, 40}, []int{2, 2, 1}, 40},
		{[]int{64}, []int{3}, []int{60}, []int{1}, 57},
		{[]int{9, 6, 40}, []int{0, 0, 0}, []int{9, 6, 40}, []int{1, 1, 2}, 0},
		{[]int{9, 6, 3}, []int{0, 1, 0}, []int{9, 2, 3}, []int{1, 1, 1}, 3},
	} {
		for _, dt := range []dtypes.DType{dtypes.Uint8, dtypes.Float32, dtypes.Float64} {
			name := fmt.Sprintf("%v %v[%v:%v:%v]", dt, c.dims, c.starts, c.limits, c.strides)
			operand := bpgoRandBuffer(t, be, rng, dt, c.dims...)
			outDims := make([]int, len(c.dims))
			for i := range outDims {
				outDims[i] = (c.limits[i] - c.starts[i] + c.strides[i] - 1) / c.strides[i]
			}
			params := &sliceNode{starts: c.starts, limits: c.limits, strides: c.strides}
			got := bpgoRandBuffer(t, be, rng, dt, outDims...)
			want := bpgoRandBuffer(t, be, rng, dt, outDims...)
			handled := bpgoSlice(operand, got, params)
			if want := c.run*dt.Size() >= bpgoMinRunBytes; handled != want {
				t.Errorf("%s: handled = %v, want %v", name, handled, want)
			}
			if !handled {
				continue
			}
			fn, err := sliceDTypeMap.Get(dt)
			if err != nil {
				t.Fatal(err)
			}
			fn.(func(operand, output *gobackend.Buffer, params *sliceNode))(operand, want, params)
			if !bytes.Equal(bpgoBytes(t, got), bpgoBytes(t, want)) {
				t.Errorf("%s: bytes differ from upstream's loop", name)
			}
		}
	}
}

// TestBpgoBroadcast: copied and filled runs give the bytes of upstream's iterator for
// broadcasts along leading, inner and trailing axes, of a scalar, and with axes reordered
// nowhere (BroadcastInDim keeps the operand's axis order); too-short runs stay upstream's.
func TestBpgoBroadcast(t *testing.T) {
	be, err := gobackend.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	defer be.Finalize()
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct {
		opDims, outDims, axes []int
	}{
		{[]int{1, 1, 100}, []int{128, 2250, 100}, []int{0, 1, 2}}, // a rate regulariser's gradient
		{[]int{100}, []int{16, 9, 100}, []int{2}},
		{[]int{128, 1}, []int{128, 150}, []int{0, 1}},      // filled runs
		{[]int{7}, []int{7, 33}, []int{0}},                 // filled runs, axis added
		{[]int{}, []int{5, 40}, []int{}},                   // a scalar
		{[]int{6, 1, 20}, []int{6, 4, 20}, []int{0, 1, 2}}, // inner axis broadcast, runs copied
		{[]int{6, 20}, []int{3, 6, 5, 20}, []int{1, 3}},    // several broadcast axes
		{[]int{3, 1, 1}, []int{3, 4, 50}, []int{0, 1, 2}},  // two trailing axes filled
		{[]int{6, 1, 3}, []int{6, 4, 3}, []int{0, 1, 2}},   // 3-element runs: upstream's
	} {
		for _, dt := range []dtypes.DType{dtypes.Uint8, dtypes.Float32, dtypes.Float64} {
			name := fmt.Sprintf("%v %v→%v %v", dt, c.opDims, c.outDims, c.axes)
			operand := bpgoRandBuffer(t, be, rng, dt, c.opDims...)
			got := bpgoRandBuffer(t, be, rng, dt, c.outDims...)
			if !bpgoBroadcast(operand, got, c.axes) {
				continue // checked below: the generic path is then what runs
			}
			want, err := broadcastUpstream(be, shapes.Make(dt, c.outDims...), c.axes, operand)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(bpgoBytes(t, got), bpgoBytes(t, want)) {
				t.Errorf("%s: bytes differ from upstream's iterator", name)
			}
		}
	}
	// Long runs are always handled (the point of the patch); 3-byte runs never.
	operand := bpgoRandBuffer(t, be, rng, dtypes.Float32, 1, 1, 100)
	if !bpgoBroadcast(operand, bpgoRandBuffer(t, be, rng, dtypes.Float32, 4, 5, 100), []int{0, 1, 2}) {
		t.Error("(1,1,100)→(4,5,100) float32: not handled")
	}
	operand = bpgoRandBuffer(t, be, rng, dtypes.Uint8, 6, 1, 3)
	if bpgoBroadcast(operand, bpgoRandBuffer(t, be, rng, dtypes.Uint8, 6, 4, 3), []int{0, 1, 2}) {
		t.Error("(6,1,3)→(6,4,3) uint8: handled, want upstream's path")
	}
}

// broadcastUpstream runs broadcastToShape with the patch switched off.
func broadcastUpstream(be *gobackend.Backend, shape shapes.Shape, axes []int, operand *gobackend.Buffer) (*gobackend.Buffer, error) {
	defer func(p bool) { bpgoPatched = p }(bpgoPatched)
	bpgoPatched = false
	return broadcastToShape(be, shape, axes, operand)
}

func BenchmarkBpgoMovement(b *testing.B) {
	be, err := gobackend.NewBackend()
	if err != nil {
		b.Fatal(err)
	}
	defer be.Finalize()
	rng := rand.New(rand.NewPCG(9, 10))
	chunk := bpgoRandBuffer(b, be, rng, dtypes.Float32, 128, 100, 100)
	step := bpgoRandBuffer(b, be, rng, dtypes.Float32, 128, 1, 100)
	params := &sliceNode{starts: []int{0, 7, 0}, limits: []int{128, 8, 100}, strides: []int{1, 1, 1}}
	grad := bpgoRandBuffer(b, be, rng, dtypes.Float32, 1, 1, 100)
	shape := shapes.Make(dtypes.Float32, 128, 2250, 100)
	for _, patched := range []bool{true, false} {
		name := "upstream"
		if patched {
			name = "patched"
		}
		b.Run("slice-128x100x100-step/"+name, func(b *testing.B) {
			defer func(p bool) { bpgoPatched = p }(bpgoPatched)
			bpgoPatched = patched
			fn, _ := sliceDTypeMap.Get(dtypes.Float32)
			for b.Loop() {
				if !bpgoSlice(chunk, step, params) {
					fn.(func(operand, output *gobackend.Buffer, params *sliceNode))(chunk, step, params)
				}
			}
		})
		b.Run("broadcast-1x1x100-to-128x2250x100/"+name, func(b *testing.B) {
			defer func(p bool) { bpgoPatched = p }(bpgoPatched)
			bpgoPatched = patched
			for b.Loop() {
				out, err := broadcastToShape(be, shape, []int{0, 1, 2}, grad)
				if err != nil {
					b.Fatal(err)
				}
				be.PutBuffer(out)
			}
		})
	}
}

// TestBpgoTransposeLast2: swapping the last two axes with the leading ones kept gives the bytes
// of upstream's generic iterator, for rank 2, 3 and 4 and 4- and 8-byte elements, small
// matrices and large; other permutations and dtypes stay upstream's.
func TestBpgoTransposeLast2(t *testing.T) {
	be, err := gobackend.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	defer be.Finalize()
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct {
		dims, perm []int
		handled    bool
	}{
		{[]int{128, 140, 100}, []int{0, 2, 1}, true}, // online e-prop's block product
		{[]int{64, 100}, []int{1, 0}, true},          // a weight gradient's transpose, small path
		{[]int{7, 3}, []int{1, 0}, true},             // fewer than 4 rows left over
		{[]int{130, 131}, []int{1, 0}, false},        // large 2-D: upstream's (parallel) tiles
		{[]int{2, 130, 131}, []int{0, 2, 1}, true},   // large, batched: upstream's tiles, one by one
		{[]int{5, 6, 7}, []int{0, 2, 1}, true},
		{[]int{3, 33, 7}, []int{0, 2, 1}, true},
		{[]int{2, 3, 40, 5}, []int{0, 1, 3, 2}, true},
		{[]int{1, 1, 1}, []int{0, 2, 1}, true},
		{[]int{3, 4, 5}, []int{1, 0, 2}, false},
		{[]int{3, 4, 5}, []int{2, 1, 0}, false},
		{[]int{2, 3, 4, 5}, []int{1, 0, 3, 2}, false},
	} {
		for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64, dtypes.Int32, dtypes.Uint8} {
			name := fmt.Sprintf("%v %v perm %v", dt, c.dims, c.perm)
			operand := bpgoRandBuffer(t, be, rng, dt, c.dims...)
			outDims := make([]int, len(c.dims))
			for i, p := range c.perm {
				outDims[i] = c.dims[p]
			}
			got := bpgoRandBuffer(t, be, rng, dt, outDims...)
			handled := bpgoTransposeLast2(operand, got, c.perm)
			if want := c.handled && dt != dtypes.Uint8; handled != want {
				t.Errorf("%s: handled = %v, want %v", name, handled, want)
			}
			if !handled {
				continue
			}
			want := bpgoRandBuffer(t, be, rng, dt, outDims...)
			it := NewTransposeIterator(operand.RawShape, c.perm)
			in, out := bpgoBytes(t, operand), bpgoBytes(t, want)
			e := dt.Size()
			for i := range operand.RawShape.Size() {
				o := it.Next()
				copy(out[o*e:(o+1)*e], in[i*e:(i+1)*e])
			}
			if !bytes.Equal(bpgoBytes(t, got), out) {
				t.Errorf("%s: bytes differ from upstream's iterator", name)
			}
		}
	}
}
