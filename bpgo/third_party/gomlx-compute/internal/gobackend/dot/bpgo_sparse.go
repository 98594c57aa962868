//go:build amd64 && goexperiment.simd

package dot

// bpgo patch (see bpgo/third_party/README.md in bpgo's repository): spiking networks multiply
// spike trains (0/1 matrices, a few percent ones) by weights: z_{t-1}·W_rec and x_t·W_in every
// step, and zᵀ·g, xᵀ·g for the weight gradients. The dense kernels spend K multiply-adds per
// output whatever the zeros. bpgoSparse instead adds, for each nonzero lhs[n,k], lhs[n,k]·rhs[k,:]
// into output row n, in increasing k: the same fused multiply-adds in the same order as the
// dense kernels' single accumulator, minus the ones whose lhs factor is zero, which leave the
// sum unchanged. The result is the dense kernels' to the bit, as long as rhs holds no Inf or
// NaN (0·Inf is NaN); such an rhs, an lhs with more than one nonzero in 8, and everything but
// float32/float64 products in the plain layout take the dense kernels.

import (
	"math"
	"math/bits"
	"os"
	"simd/archsimd"
	"sync/atomic"
	"unsafe"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
)

// bpgoSparseOn is false when BPGO_COMPUTE_UPSTREAM is set (upstream's kernels only, for A/B
// measurements) or without AVX-512.
var bpgoSparseOn = os.Getenv("BPGO_COMPUTE_UPSTREAM") == "" && gobackend.IsAVX512Allowed

// bpgoSparseCalls counts the products bpgoSparse computed (for tests).
var bpgoSparseCalls atomic.Int64

// bpgoSparseMaxDensity: an lhs with more than one nonzero in this many values is dense.
const bpgoSparseMaxDensity = 8

// bpgoSparse computes a NonTransposed float product with a mostly-zero lhs and reports whether
// it did.
func bpgoSparse(params *NodeData, lhs, rhs, out *gobackend.Buffer) bool {
	if !bpgoSparseOn || params.Layout != LayoutNonTransposed || params.InputDType != params.OutputDType {
		return false
	}
	b, n, m, k := params.BatchSize, params.LHSCrossSize, params.RHSCrossSize, params.ContractingSize
	if b < 1 || n < 1 || k < 1 || n*k < 256 {
		return false
	}
	switch params.InputDType {
	case dtypes.Float32:
		if m < 16 {
			return false
		}
		l, r, o := lhs.Flat.([]float32), rhs.Flat.([]float32), out.Flat.([]float32)
		if !bpgoFewNonzero32(l[:b*n*k]) || !bpgoAllFinite32(r[:b*k*m]) {
			return false
		}
		bpgoSparse32(l, r, o, b, n, m, k)
		bpgoSparseCalls.Add(1)
		return true
	case dtypes.Float64:
		if m < 8 {
			return false
		}
		l, r, o := lhs.Flat.([]float64), rhs.Flat.([]float64), out.Flat.([]float64)
		if !bpgoFewNonzero64(l[:b*n*k]) || !bpgoAllFinite64(r[:b*k*m]) {
			return false
		}
		bpgoSparse64(l, r, o, b, n, m, k)
		bpgoSparseCalls.Add(1)
		return true
	}
	return false
}

// bpgoFewNonzero32 reports whether at most one value in bpgoSparseMaxDensity is nonzero (NaN
// counts as nonzero); it stops reading as soon as the answer is no.
func bpgoFewNonzero32(x []float32) bool {
	limit := len(x) / bpgoSparseMaxDensity
	zero := archsimd.BroadcastFloat32x16(0)
	nz, i := 0, 0
	for ; i+16 <= len(x); i += 16 {
		nz += bits.OnesCount16(archsimd.LoadFloat32x16(x[i : i+16]).NotEqual(zero).ToBits())
		if nz > limit {
			return false
		}
	}
	for ; i < len(x); i++ {
		if x[i] != 0 {
			nz++
		}
	}
	return nz <= limit
}

// bpgoFewNonzero64 is bpgoFewNonzero32 for float64.
func bpgoFewNonzero64(x []float64) bool {
	limit := len(x) / bpgoSparseMaxDensity
	zero := archsimd.BroadcastFloat64x8(0)
	nz, i := 0, 0
	for ; i+8 <= len(x); i += 8 {
		nz += bits.OnesCount8(archsimd.LoadFloat64x8(x[i : i+8]).NotEqual(zero).ToBits())
		if nz > limit {
			return false
		}
	}
	for ; i < len(x); i++ {
		if x[i] != 0 {
			nz++
		}
	}
	return nz <= limit
}

// bpgoAllFinite32 reports whether x holds no Inf or NaN (x − x is 0 exactly for finite x).
func bpgoAllFinite32(x []float32) bool {
	zero := archsimd.BroadcastFloat32x16(0)
	i := 0
	for ; i+16 <= len(x); i += 16 {
		v := archsimd.LoadFloat32x16(x[i : i+16])
		if v.Sub(v).Equal(zero).ToBits() != 0xffff {
			return false
		}
	}
	for ; i < len(x); i++ {
		if x[i]-x[i] != 0 {
			return false
		}
	}
	return true
}

// bpgoAllFinite64 is bpgoAllFinite32 for float64.
func bpgoAllFinite64(x []float64) bool {
	zero := archsimd.BroadcastFloat64x8(0)
	i := 0
	for ; i+8 <= len(x); i += 8 {
		v := archsimd.LoadFloat64x8(x[i : i+8])
		if v.Sub(v).Equal(zero).ToBits() != 0xff {
			return false
		}
	}
	for ; i < len(x); i++ {
		if x[i]-x[i] != 0 {
			return false
		}
	}
	return true
}

// bpgoSparse32 sets out[b] = lhs[b]·rhs[b] for b batches of (n, k)·(k, m), m >= 16, skipping
// the zeros of lhs. Each output row is computed in vector tiles of 16 columns, the last one
// ending at column m (it recomputes, identically, a few columns of the one before), each tile
// summed in a register over the row's nonzeros and stored once.
//
// Only vector instructions run in the loops: lhs is read as integers, and a value is broadcast
// only when it changes (spikes are all 1). A scalar float instruction between vector ones (a
// compare, the move that starts a broadcast, the runtime's clear and copy) cost 7 to 150 ns
// each here, 15 to 300 times the multiply-add it serves.
func bpgoSparse32(lhs, rhs, out []float32, nb, n, m, k int) {
	bitsOf := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(lhs))), len(lhs))
	nz := make([]int32, 0, k)
	last := uint32(0)
	var av, zero archsimd.Float32x16
	for b := range nb {
		l, r, o := bitsOf[b*n*k:(b+1)*n*k], rhs[b*k*m:(b+1)*k*m], out[b*n*m:(b+1)*n*m]
		for i := range n {
			lrow := l[i*k : (i+1)*k]
			nz = bpgoNonzeros32(lhs[b*n*k+i*k:b*n*k+(i+1)*k], lrow, nz[:0])
			row := o[i*m : (i+1)*m]
			j := 0
			for ; j+64 <= m; j += 64 { // four independent sums hide the multiply-add latency
				a0, a1, a2, a3 := zero, zero, zero, zero
				for _, p := range nz {
					if a := lrow[p]; a != last {
						av, last = archsimd.BroadcastFloat32x16(math.Float32frombits(a)), a
					}
					src := r[int(p)*m+j : int(p)*m+j+64]
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
				for _, p := range nz {
					if a := lrow[p]; a != last {
						av, last = archsimd.BroadcastFloat32x16(math.Float32frombits(a)), a
					}
					at := int(p)*m + j
					acc = av.MulAdd(archsimd.LoadFloat32x16(r[at:at+16]), acc)
				}
				acc.Store(row[j : j+16])
			}
		}
	}
}

// bpgoSparse64 is bpgoSparse32 for float64 (m >= 8, tiles of 8).
func bpgoSparse64(lhs, rhs, out []float64, nb, n, m, k int) {
	bitsOf := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(lhs))), len(lhs))
	nz := make([]int32, 0, k)
	last := uint64(0)
	var av, zero archsimd.Float64x8
	for b := range nb {
		l, r, o := bitsOf[b*n*k:(b+1)*n*k], rhs[b*k*m:(b+1)*k*m], out[b*n*m:(b+1)*n*m]
		for i := range n {
			lrow := l[i*k : (i+1)*k]
			nz = bpgoNonzeros64(lhs[b*n*k+i*k:b*n*k+(i+1)*k], lrow, nz[:0])
			row := o[i*m : (i+1)*m]
			j := 0
			for ; j+32 <= m; j += 32 {
				a0, a1, a2, a3 := zero, zero, zero, zero
				for _, p := range nz {
					if a := lrow[p]; a != last {
						av, last = archsimd.BroadcastFloat64x8(math.Float64frombits(a)), a
					}
					src := r[int(p)*m+j : int(p)*m+j+32]
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
				for _, p := range nz {
					if a := lrow[p]; a != last {
						av, last = archsimd.BroadcastFloat64x8(math.Float64frombits(a)), a
					}
					at := int(p)*m + j
					acc = av.MulAdd(archsimd.LoadFloat64x8(r[at:at+8]), acc)
				}
				acc.Store(row[j : j+8])
			}
		}
	}
}

// bpgoNonzeros32 appends to nz the indices of x's nonzero values (NaN included); xb is x read as
// integers, for the leftover values after the last vector.
func bpgoNonzeros32(x []float32, xb []uint32, nz []int32) []int32 {
	var zero archsimd.Float32x16
	i := 0
	for ; i+16 <= len(x); i += 16 {
		for mask := archsimd.LoadFloat32x16(x[i : i+16]).NotEqual(zero).ToBits(); mask != 0; mask &= mask - 1 {
			nz = append(nz, int32(i+bits.TrailingZeros16(mask)))
		}
	}
	for ; i < len(x); i++ {
		if xb[i]<<1 != 0 {
			nz = append(nz, int32(i))
		}
	}
	return nz
}

// bpgoNonzeros64 is bpgoNonzeros32 for float64.
func bpgoNonzeros64(x []float64, xb []uint64, nz []int32) []int32 {
	var zero archsimd.Float64x8
	i := 0
	for ; i+8 <= len(x); i += 8 {
		for mask := archsimd.LoadFloat64x8(x[i : i+8]).NotEqual(zero).ToBits(); mask != 0; mask &= mask - 1 {
			nz = append(nz, int32(i+bits.TrailingZeros8(mask)))
		}
	}
	for ; i < len(x); i++ {
		if xb[i]<<1 != 0 {
			nz = append(nz, int32(i))
		}
	}
	return nz
}
