// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package avx512

// bpgo patch (see bpgo/third_party/README.md in bpgo's repository): the small
// kernels computed the rows left over after the last 4-row tile (M % 4) and the
// columns left over after the last vector tile with scalar loops and strided
// loads, which cost as much as all the vector tiles on shapes like
// (128,100)·(100,100). Here every output goes through a vector tile:
//   - leftover columns, when N is at least a tile wide, are computed by one more
//     tile shifted left so that it ends at the last column: it recomputes a few
//     columns and stores them again;
//   - leftover rows (and the transposed kernel's columns when N is below its
//     tile) repeat the last valid row pointer and send the extra outputs to a
//     scratch buffer on the stack.
// These functions take slices, not the uintptr addresses the callers compute:
// their own stack frames can grow the goroutine's stack, which moves small
// slices that live on it (Go allocates those on the stack) and would leave a
// uintptr pointing at the old copy.

import (
	"os"
	"simd/archsimd"
	"unsafe"
)

// bpgoVectorTails is false when BPGO_COMPUTE_UPSTREAM is set: the upstream scalar
// loops run instead, for A/B measurements of bpgo's patches.
var bpgoVectorTails = os.Getenv("BPGO_COMPUTE_UPSTREAM") == ""

// bpgoRows returns pointers to the 4 rows of width k of x that start at row,
// repeating the last row past rows.
func bpgoRows[T float32 | float64](x []T, row, rows, k int) (p [4]unsafe.Pointer) {
	for j := range 4 {
		p[j] = unsafe.Pointer(&x[min(row+j, rows-1)*k])
	}
	return p
}

// bpgoNonTransposedFloat32 computes C[M,N] = A[M,K]·B[K,N] for N >= 16 with the
// 4x64 and 4x16 tiles only.
func bpgoNonTransposedFloat32(lhs, rhs, out []float32, M, N, K int) {
	var scratch [3][64]float32
	rhsRowBytes := N * 4
	start := 0
	if N < 64 {
		start = bpgoNarrowFloat32(lhs, rhs, out, M, N, K)
	}
	for row := start; row < M; row += 4 {
		if row == M-1 {
			bpgoRowFloat32(lhs[row*K:(row+1)*K], rhs, out[row*N:(row+1)*N], N, K)
			break
		}
		l := bpgoRows(lhs, row, M, K)
		o := func(j, col int) unsafe.Pointer {
			if row+j < M {
				return unsafe.Pointer(&out[(row+j)*N+col])
			}
			return unsafe.Pointer(&scratch[j-1][0])
		}
		col := 0
		for ; col+63 < N; col += 64 {
			avx512SmallNonTransposedTile4x64Float32Asm(l[0], l[1], l[2], l[3],
				unsafe.Pointer(&rhs[col]), K, rhsRowBytes, o(0, col), o(1, col), o(2, col), o(3, col))
		}
		for ; col < N; col += 16 {
			col = min(col, N-16)
			avx512SmallNonTransposedTile4x16Float32Asm(l[0], l[1], l[2], l[3],
				unsafe.Pointer(&rhs[col]), K, rhsRowBytes, o(0, col), o(1, col), o(2, col), o(3, col))
		}
	}
}

// bpgoNonTransposedFloat64 computes C[M,N] = A[M,K]·B[K,N] for N >= 8 with the
// 4x32 and 4x8 tiles only.
func bpgoNonTransposedFloat64(lhs, rhs, out []float64, M, N, K int) {
	var scratch [3][32]float64
	rhsRowBytes := N * 8
	start := 0
	if N < 32 {
		start = bpgoNarrowFloat64(lhs, rhs, out, M, N, K)
	}
	for row := start; row < M; row += 4 {
		if row == M-1 {
			bpgoRowFloat64(lhs[row*K:(row+1)*K], rhs, out[row*N:(row+1)*N], N, K)
			break
		}
		l := bpgoRows(lhs, row, M, K)
		o := func(j, col int) unsafe.Pointer {
			if row+j < M {
				return unsafe.Pointer(&out[(row+j)*N+col])
			}
			return unsafe.Pointer(&scratch[j-1][0])
		}
		col := 0
		for ; col+31 < N; col += 32 {
			avx512SmallNonTransposedTile4x32Float64Asm(l[0], l[1], l[2], l[3],
				unsafe.Pointer(&rhs[col]), K, rhsRowBytes, o(0, col), o(1, col), o(2, col), o(3, col))
		}
		for ; col < N; col += 8 {
			col = min(col, N-8)
			avx512SmallNonTransposedTile4x8Float64Asm(l[0], l[1], l[2], l[3],
				unsafe.Pointer(&rhs[col]), K, rhsRowBytes, o(0, col), o(1, col), o(2, col), o(3, col))
		}
	}
}

// bpgoRowFloat64 computes one row, out[N] = a[K]·B[K,N], for N >= 8: the last
// row when M % 4 == 1, and every product of a batch-1 step (a reservoir's
// (1,400)·(400,400)). A 4-row tile would do four times the multiply-adds for
// the same pass over B. Columns go 32 at a time in four accumulators, then 8
// at a time, the last 8 shifted left to end at column N (as the tiles do);
// each output is the same in-order sum over k as in the tiles.
func bpgoRowFloat64(a, rhs, out []float64, N, K int) {
	col := 0
	for ; col+31 < N; col += 32 {
		var c0, c1, c2, c3 archsimd.Float64x8
		for k, ak := range a[:K] {
			b := rhs[k*N+col : k*N+col+32]
			x := archsimd.BroadcastFloat64x8(ak)
			c0, c1 = x.MulAdd(archsimd.LoadFloat64x8(b), c0), x.MulAdd(archsimd.LoadFloat64x8(b[8:]), c1)
			c2, c3 = x.MulAdd(archsimd.LoadFloat64x8(b[16:]), c2), x.MulAdd(archsimd.LoadFloat64x8(b[24:]), c3)
		}
		c0.Store(out[col:])
		c1.Store(out[col+8:])
		c2.Store(out[col+16:])
		c3.Store(out[col+24:])
	}
	for ; col < N; col += 8 {
		col = min(col, N-8)
		var c archsimd.Float64x8
		for k, ak := range a[:K] {
			c = archsimd.BroadcastFloat64x8(ak).MulAdd(archsimd.LoadFloat64x8(rhs[k*N+col:k*N+col+8]), c)
		}
		c.Store(out[col:])
	}
}

// bpgoRowFloat32 is bpgoRowFloat64 for float32, for N >= 16.
func bpgoRowFloat32(a, rhs, out []float32, N, K int) {
	col := 0
	for ; col+63 < N; col += 64 {
		var c0, c1, c2, c3 archsimd.Float32x16
		for k, ak := range a[:K] {
			b := rhs[k*N+col : k*N+col+64]
			x := archsimd.BroadcastFloat32x16(ak)
			c0, c1 = x.MulAdd(archsimd.LoadFloat32x16(b), c0), x.MulAdd(archsimd.LoadFloat32x16(b[16:]), c1)
			c2, c3 = x.MulAdd(archsimd.LoadFloat32x16(b[32:]), c2), x.MulAdd(archsimd.LoadFloat32x16(b[48:]), c3)
		}
		c0.Store(out[col:])
		c1.Store(out[col+16:])
		c2.Store(out[col+32:])
		c3.Store(out[col+48:])
	}
	for ; col < N; col += 16 {
		col = min(col, N-16)
		var c archsimd.Float32x16
		for k, ak := range a[:K] {
			c = archsimd.BroadcastFloat32x16(ak).MulAdd(archsimd.LoadFloat32x16(rhs[k*N+col:k*N+col+16]), c)
		}
		c.Store(out[col:])
	}
}

// bpgoNarrowFloat64 computes the rows of C[M,N] = A[M,K]·B[K,N] in whole 8-row
// tiles, for 8 <= N < 32, and returns how many rows it did (M rounded down to 8).
// Below 32 columns only the 4x8 tile ran, whose four accumulators leave the FMA
// units waiting on each other's latency; the 8x8 tile keeps eight sums in flight.
// Columns go 8 at a time, the last 8 shifted left to end at column N, as in the
// other tiles.
func bpgoNarrowFloat64(lhs, rhs, out []float64, M, N, K int) int {
	m8 := M &^ 7
	for row := 0; row < m8; row += 8 {
		for col := 0; col < N; col += 8 {
			col = min(col, N-8)
			bpgoTile8x8Float64Asm(unsafe.Pointer(&lhs[row*K]), K*8, unsafe.Pointer(&rhs[col]), K, N*8,
				unsafe.Pointer(&out[row*N+col]), N*8)
		}
	}
	return m8
}

// bpgoNarrowFloat32 is bpgoNarrowFloat64 for float32, for 16 <= N < 64 (where
// only the 4x16 tile ran).
func bpgoNarrowFloat32(lhs, rhs, out []float32, M, N, K int) int {
	m8 := M &^ 7
	for row := 0; row < m8; row += 8 {
		for col := 0; col < N; col += 16 {
			col = min(col, N-16)
			bpgoTile8x16Float32Asm(unsafe.Pointer(&lhs[row*K]), K*4, unsafe.Pointer(&rhs[col]), K, N*4,
				unsafe.Pointer(&out[row*N+col]), N*4)
		}
	}
	return m8
}

//go:noescape
func bpgoTile8x8Float64Asm(lhs unsafe.Pointer, lhsRowBytes int, rhs unsafe.Pointer, k, rhsRowBytes int,
	out unsafe.Pointer, outRowBytes int)

//go:noescape
func bpgoTile8x16Float32Asm(lhs unsafe.Pointer, lhsRowBytes int, rhs unsafe.Pointer, k, rhsRowBytes int,
	out unsafe.Pointer, outRowBytes int)

// bpgoTransposedFloat32 computes C[M,N] = A[M,K]·B[N,K]ᵀ with the 4x4 tile only.
func bpgoTransposedFloat32(lhs, rhs, out []float32, M, N, K int) {
	var tile [4][4]float32
	for row := 0; row < M; row += 4 {
		l := bpgoRows(lhs, row, M, K)
		for col := 0; col < N; col += 4 {
			if N >= 4 {
				col = min(col, N-4)
			}
			r := bpgoRows(rhs, col, N, K)
			if row+3 < M && col+3 < N {
				o := func(j int) unsafe.Pointer { return unsafe.Pointer(&out[(row+j)*N+col]) }
				avx512SmallTransposedTile4x4Float32Asm(l[0], l[1], l[2], l[3], r[0], r[1], r[2], r[3], K,
					o(0), o(1), o(2), o(3))
				continue
			}
			avx512SmallTransposedTile4x4Float32Asm(l[0], l[1], l[2], l[3], r[0], r[1], r[2], r[3], K,
				unsafe.Pointer(&tile[0]), unsafe.Pointer(&tile[1]), unsafe.Pointer(&tile[2]), unsafe.Pointer(&tile[3]))
			cols := min(4, N-col)
			for j := range min(4, M-row) {
				copy(out[(row+j)*N+col:(row+j)*N+col+cols], tile[j][:cols])
			}
		}
	}
}

// bpgoTransposedFloat64 computes C[M,N] = A[M,K]·B[N,K]ᵀ with the 4x4 tile only.
func bpgoTransposedFloat64(lhs, rhs, out []float64, M, N, K int) {
	var tile [4][4]float64
	for row := 0; row < M; row += 4 {
		l := bpgoRows(lhs, row, M, K)
		for col := 0; col < N; col += 4 {
			if N >= 4 {
				col = min(col, N-4)
			}
			r := bpgoRows(rhs, col, N, K)
			if row+3 < M && col+3 < N {
				o := func(j int) unsafe.Pointer { return unsafe.Pointer(&out[(row+j)*N+col]) }
				avx512SmallTransposedTile4x4Float64Asm(l[0], l[1], l[2], l[3], r[0], r[1], r[2], r[3], K,
					o(0), o(1), o(2), o(3))
				continue
			}
			avx512SmallTransposedTile4x4Float64Asm(l[0], l[1], l[2], l[3], r[0], r[1], r[2], r[3], K,
				unsafe.Pointer(&tile[0]), unsafe.Pointer(&tile[1]), unsafe.Pointer(&tile[2]), unsafe.Pointer(&tile[3]))
			cols := min(4, N-col)
			for j := range min(4, M-row) {
				copy(out[(row+j)*N+col:(row+j)*N+col+cols], tile[j][:cols])
			}
		}
	}
}
