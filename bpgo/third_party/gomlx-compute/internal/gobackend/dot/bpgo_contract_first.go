//go:build amd64 && goexperiment.simd

package dot

// bpgo patch (see bpgo/third_party/README.md in bpgo's repository): products whose left factor
// has its contracting axis first, lhs (batch, k, n)·rhs (batch, k, m): online e-prop's drive of
// its eligibility traces, Σ_s pre_s ⊗ w_s over a chunk's steps, with the spikes pre stacked
// step by step (a copy of whole rows) rather than interleaved into (batch, n, k).
//
// Upstream transposes both factors into LayoutTransposed when the graph is built. Here such a
// product keeps its operands and runs as bpgoLayoutContractFirst: a mostly-zero lhs (spikes)
// goes through bpgoContractFirstSparse, with each output row's nonzeros listed in increasing k
// from the lhs rows, so that every output is the sum bpgoSparse computes for the transposed lhs,
// to the bit. Anything else is computed as upstream computes it: both factors transposed (now
// at run time, into pooled buffers) and LayoutTransposed's kernel.

import (
	"math"
	"simd/archsimd"
	"slices"
	"sync/atomic"
	"unsafe"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
)

// bpgoLayoutContractFirst is lhs (batch, k, n), rhs (batch, k, m): see above.
const bpgoLayoutContractFirst Layout = 100

func init() {
	RegisterImplementation("bpgo:contract-first", bpgoLayoutContractFirst, dtypes.Float32, dtypes.Float32,
		bpgoContractFirstExec[float32], gobackend.RegisterPriority(0), false)
	RegisterImplementation("bpgo:contract-first", bpgoLayoutContractFirst, dtypes.Float64, dtypes.Float64,
		bpgoContractFirstExec[float64], gobackend.RegisterPriority(0), false)
}

// bpgoContractFirst reports whether a product is one bpgoLayoutContractFirst takes, and if so
// sets params.Layout to it: float32/float64 in and out, operands that are not constants (whose
// packed copies upstream caches), each with its batch axes first, then its contracting axes, in
// the same order on both sides, and its cross axes last.
func bpgoContractFirst(lhs, rhs shapes.Shape, lhsConst, rhsConst bool, params *NodeData) bool {
	dt := params.InputDType
	if !bpgoSparseOn || lhsConst || rhsConst || (dt != dtypes.Float32 && dt != dtypes.Float64) ||
		params.OutputDType != dt || rhs.DType != dt || lhs.IsDynamic() || rhs.IsDynamic() {
		return false
	}
	if acc := params.Config.AccumulatorDType; acc != dtypes.InvalidDType && acc != dt {
		return false
	}
	if out := params.Config.OutputDType; out != dtypes.InvalidDType && out != dt {
		return false
	}
	nb, nc := len(params.LHSBatchAxes), len(params.LHSContractingAxes)
	if nc == 0 || lhs.Rank() == nb+nc || rhs.Rank() == nb+nc {
		return false // no contraction, or a side without cross axes
	}
	leading := func(axes []int, from int) bool {
		for i, a := range axes {
			if a != from+i {
				return false
			}
		}
		return true
	}
	if !leading(params.LHSBatchAxes, 0) || !leading(params.RHSBatchAxes, 0) ||
		!leading(params.LHSContractingAxes, nb) || !leading(params.RHSContractingAxes, nb) {
		return false
	}
	params.Layout = bpgoLayoutContractFirst
	return true
}

// bpgoContractFirstExec computes output (b, n, m) = Σ_k lhs (b, k, n)·rhs (b, k, m) as upstream
// computes it: both factors transposed, (b, n, k) and (b, m, k), and LayoutTransposed's kernel.
// The sparse route was tried before (bpgoContractFirstSparse, which needs the buffers).
func bpgoContractFirstExec[T float32 | float64](backend *gobackend.Backend, _ Layout, lhs, rhs []T,
	nb, n, m, k int, output []T, params *NodeData) {
	lhs, rhs, output = lhs[:nb*k*n], rhs[:nb*k*m], output[:nb*n*m]
	dt := dtypes.FromGenericsType[T]()
	lt, err := backend.GetBuffer(shapes.Make(dt, nb, n, k))
	if err != nil {
		panic(err)
	}
	defer backend.PutBuffer(lt)
	rt, err := backend.GetBuffer(shapes.Make(dt, nb, m, k))
	if err != nil {
		panic(err)
	}
	defer backend.PutBuffer(rt)
	bpgoTransposeLast2(lhs, lt.Flat.([]T), nb, k, n)
	bpgoTransposeLast2(rhs, rt.Flat.([]T), nb, k, m)
	p := *params
	p.Layout = LayoutTransposed
	p.LHSContractingAxes, p.RHSContractingAxes = []int{2}, []int{2}
	p.LHSBatchAxes, p.RHSBatchAxes = []int{0}, []int{0}
	impl := FindRegisteredImplementation(LayoutTransposed, dt, dt)
	impl.implFn.(DotGeneralExecFn[T, T])(backend, LayoutTransposed, lt.Flat.([]T), rt.Flat.([]T), nb, n, m, k, output, &p)
}

// bpgoTransposeLast2 writes in (b, h, w) as out (b, w, h), four input rows at a time so that
// each output row receives four consecutive values per pass.
func bpgoTransposeLast2[T any](in, out []T, nb, h, w int) {
	for b := range nb {
		src, dst := in[b*h*w:(b+1)*h*w], out[b*h*w:(b+1)*h*w]
		r := 0
		for ; r+4 <= h; r += 4 {
			r0, r1, r2, r3 := src[r*w:(r+1)*w], src[(r+1)*w:(r+2)*w], src[(r+2)*w:(r+3)*w], src[(r+3)*w:(r+4)*w]
			for c := range w {
				d := dst[c*h+r : c*h+r+4]
				d[0], d[1], d[2], d[3] = r0[c], r1[c], r2[c], r3[c]
			}
		}
		for ; r < h; r++ {
			for c := range w {
				dst[c*h+r] = src[r*w+c]
			}
		}
	}
}

// bpgoContractFirstSparse computes a contract-first product through bpgoSparse's kernel and
// reports whether it did: lhs must be mostly zeros (at most one nonzero in bpgoSparseMaxDensity
// per batch), rhs finite and m at least a vector. Per batch the nonzeros of every lhs row k are
// listed (one pass over lhs, as stored, which also counts them) and filed by output row in
// increasing k; the kernel runs on those lists: the same multiply-adds in the same order as for
// the transposed lhs. The lists are kept with lhs's buffer for the next product that reads the
// same value (online e-prop contracts one chunk's spikes with five right factors).
func bpgoContractFirstSparse(params *NodeData, lhs, rhs, out *gobackend.Buffer) bool {
	z := bpgoNewListedRows(params, lhs, []*gobackend.Buffer{rhs})
	if z == nil {
		return false
	}
	switch o := out.Flat.(type) {
	case []float32:
		z.Fill32(o[:params.BatchSize*z.n*z.m], 0)
	case []float64:
		z.Fill64(o[:params.BatchSize*z.n*z.m], 0)
	}
	return true
}

// bpgoContractFirstLists returns the nonzero lists of a contract-first product that takes the
// sparse route (see bpgoContractFirstSparse), nil if it does not. rhs is the right factor's
// buffer (nb, k, m), or the K values (bs, 1, m) of a stack (bs, K, m) along axis 1 that was
// never built (gobackend's bpgo_lazy.go): contracted on the stacked axis with bs batches (nb =
// bs, k = K), or on both axes (nb = 1, k = bs·K).
func bpgoContractFirstLists(params *NodeData, lhs *gobackend.Buffer, rhs []*gobackend.Buffer) []bpgoRowLists {
	if !bpgoSparseOn || params.Layout != bpgoLayoutContractFirst || params.InputDType != params.OutputDType {
		return nil
	}
	nb, n, m, k := params.BatchSize, params.LHSCrossSize, params.RHSCrossSize, params.ContractingSize
	if nb < 1 || n < 1 || m < 1 || k < 1 || len(rhs) < 1 {
		return nil
	}
	per := nb * k * m // values read from each rhs buffer
	if len(rhs) > 1 {
		bs := rhs[0].RawShape.Size() / m
		if !(nb == bs && k == len(rhs)) && !(nb == 1 && k == bs*len(rhs)) {
			return nil
		}
		per = bs * m
	}
	for _, b := range rhs {
		switch r := b.Flat.(type) {
		case []float32:
			if _, ok := lhs.Flat.([]float32); !ok || m < 16 || len(r) < per || !bpgoAllFinite32(r[:per]) {
				return nil
			}
		case []float64:
			if _, ok := lhs.Flat.([]float64); !ok || m < 8 || len(r) < per || !bpgoAllFinite64(r[:per]) {
				return nil
			}
		default:
			return nil
		}
	}
	return bpgoListsOf(lhs, nb, n, k)
}

// bpgoDerivedLists is what bpgoListsOf keeps with a buffer: the lists of its value (the value
// its buffer held at writes) as (nb, k, n) batches, nil if a batch was too dense. older is the
// value's lists in another shape, so that the last two shapes asked for are kept (a chunk's
// drives and its trial sums read the spikes as (B, K, P) and as (1, B·K, P)).
type bpgoDerivedLists struct {
	writes   uint64
	nb, n, k int
	lists    []bpgoRowLists
	older    *bpgoDerivedLists
}

// bpgoListHits counts the products that found their lists kept (for tests).
var bpgoListHits atomic.Int64

// bpgoListsOf returns the nonzero lists of lhs's value as nb batches of (k, n), or nil when a
// batch has more than one nonzero in bpgoSparseMaxDensity.
func bpgoListsOf(lhs *gobackend.Buffer, nb, n, k int) []bpgoRowLists {
	writes := lhs.BpgoWrites()
	kept := (*bpgoDerivedLists)(lhs.BpgoDerived())
	for d := kept; d != nil; d = d.older { // two at most: older has no older
		if d.writes == writes && d.nb == nb && d.n == n && d.k == k {
			bpgoListHits.Add(1)
			return d.lists
		}
	}
	d := &bpgoDerivedLists{writes: writes, nb: nb, n: n, k: k, lists: make([]bpgoRowLists, nb)}
	var scratch bpgoRowLists
	for b := range nb {
		var lb any
		switch l := lhs.Flat.(type) {
		case []float32:
			lb = l[b*k*n : (b+1)*k*n]
		case []float64:
			lb = l[b*k*n : (b+1)*k*n]
		}
		if !scratch.build(lb, n, k, max(1, k*n/bpgoSparseMaxDensity)) {
			d.lists = nil
			break
		}
		d.lists[b] = bpgoRowLists{ks: slices.Clone(scratch.ks), start: slices.Clone(scratch.start)}
	}
	if kept != nil && kept.writes == writes {
		d.older = &bpgoDerivedLists{writes: kept.writes, nb: kept.nb, n: kept.n, k: kept.k, lists: kept.lists}
	}
	lhs.SetBpgoDerived(unsafe.Pointer(d))
	return d.lists
}

// bpgoRowLists files the nonzeros of a (k, n) lhs by column: the ks of column i are
// ks[start[i]:start[i+1]], increasing (its values are lhs[kk·n + i]).
type bpgoRowLists struct {
	ks, start, fill, nz []int32
	seen                []int32 // (i, k) pairs in lhs order
}

// build files lhs's nonzeros and reports whether there were at most `most` of them.
func (r *bpgoRowLists) build(lhs any, n, k, most int) bool {
	var rowNonzeros func(kk int, nz []int32) []int32 // the nonzero columns of lhs row kk
	switch l := lhs.(type) {
	case []float32:
		rowNonzeros = func(kk int, nz []int32) []int32 {
			row := l[kk*n : (kk+1)*n]
			return bpgoNonzeros32(row, unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(row))), n), nz)
		}
	case []float64:
		rowNonzeros = func(kk int, nz []int32) []int32 {
			row := l[kk*n : (kk+1)*n]
			return bpgoNonzeros64(row, unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(row))), n), nz)
		}
	}
	r.seen, r.start = r.seen[:0], slices.Grow(r.start[:0], n+1)[:n+1]
	clear(r.start)
	for kk := range k {
		r.nz = rowNonzeros(kk, r.nz[:0])
		for _, i := range r.nz {
			r.seen = append(r.seen, i, int32(kk))
			r.start[i+1]++
		}
		if len(r.seen) > 2*most {
			return false
		}
	}
	for i := range n {
		r.start[i+1] += r.start[i]
	}
	total := len(r.seen) / 2
	r.ks = slices.Grow(r.ks[:0], total)[:total]
	r.fill = append(r.fill[:0], r.start[:n]...) // the next free place of each column
	for j := 0; j < len(r.seen); j += 2 {
		i, kk := r.seen[j], r.seen[j+1]
		r.ks[r.fill[i]] = kk
		r.fill[i]++
	}
	return true
}

// bpgoSparseRowsRow32 computes output row i of one batch into row: bpgoSparse32's loop for one
// row, its nonzeros listed in ks (increasing k), the right factor's rows given one by one
// (rows[p] is row p of the batch), so that a stack of them need not be built. The same
// multiply-adds in the same order as bpgoSparse32 for the transposed lhs.
func bpgoSparseRowsRow32(bitsOf []uint32, rows [][]float32, row []float32, ks []int32, i, n, m int, bc *bpgoBcast32) {
	last, av := bc.last, bc.av
	var zero archsimd.Float32x16
	j := 0
	for ; j+64 <= m; j += 64 {
		a0, a1, a2, a3 := zero, zero, zero, zero
		for _, p := range ks {
			if a := bitsOf[int(p)*n+i]; a != last {
				av, last = archsimd.BroadcastFloat32x16(math.Float32frombits(a)), a
			}
			src := rows[p][j : j+64]
			a0 = av.MulAdd(archsimd.LoadFloat32x16(src[0:16]), a0)
			a1 = av.MulAdd(archsimd.LoadFloat32x16(src[16:32]), a1)
			a2 = av.MulAdd(archsimd.LoadFloat32x16(src[32:48]), a2)
			a3 = av.MulAdd(archsimd.LoadFloat32x16(src[48:64]), a3)
		}
		a0.Store(row[j : j+16])
		a1.Store(row[j+16 : j+32])
		a2.Store(row[j+32 : j+48])
		a3.Store(row[j+48 : j+64])
	}
	for ; j < m; j += 16 {
		j = min(j, m-16)
		acc := zero
		for _, p := range ks {
			if a := bitsOf[int(p)*n+i]; a != last {
				av, last = archsimd.BroadcastFloat32x16(math.Float32frombits(a)), a
			}
			acc = av.MulAdd(archsimd.LoadFloat32x16(rows[p][j:j+16]), acc)
		}
		acc.Store(row[j : j+16])
	}
	bc.last, bc.av = last, av
}

// bpgoSparseRowsRow64 is bpgoSparseRowsRow32 for float64.
func bpgoSparseRowsRow64(bitsOf []uint64, rows [][]float64, row []float64, ks []int32, i, n, m int, bc *bpgoBcast64) {
	last, av := bc.last, bc.av
	var zero archsimd.Float64x8
	j := 0
	for ; j+32 <= m; j += 32 {
		a0, a1, a2, a3 := zero, zero, zero, zero
		for _, p := range ks {
			if a := bitsOf[int(p)*n+i]; a != last {
				av, last = archsimd.BroadcastFloat64x8(math.Float64frombits(a)), a
			}
			src := rows[p][j : j+32]
			a0 = av.MulAdd(archsimd.LoadFloat64x8(src[0:8]), a0)
			a1 = av.MulAdd(archsimd.LoadFloat64x8(src[8:16]), a1)
			a2 = av.MulAdd(archsimd.LoadFloat64x8(src[16:24]), a2)
			a3 = av.MulAdd(archsimd.LoadFloat64x8(src[24:32]), a3)
		}
		a0.Store(row[j : j+8])
		a1.Store(row[j+8 : j+16])
		a2.Store(row[j+16 : j+24])
		a3.Store(row[j+24 : j+32])
	}
	for ; j < m; j += 8 {
		j = min(j, m-8)
		acc := zero
		for _, p := range ks {
			if a := bitsOf[int(p)*n+i]; a != last {
				av, last = archsimd.BroadcastFloat64x8(math.Float64frombits(a)), a
			}
			acc = av.MulAdd(archsimd.LoadFloat64x8(rows[p][j:j+8]), acc)
		}
		acc.Store(row[j : j+8])
	}
	bc.last, bc.av = last, av
}

// bpgoBcast32 is the broadcast lhs value a row kernel last used (last: its bits, 0 for none),
// kept from row to row: spikes are all 1, so a product broadcasts once, not once per row.
type bpgoBcast32 struct {
	last uint32
	av   archsimd.Float32x16
}

// bpgoBcast64 is bpgoBcast32 for float64.
type bpgoBcast64 struct {
	last uint64
	av   archsimd.Float64x8
}
