// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package avx2

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

// bpgoNonTransposedFloat32 computes C[M,N] = A[M,K]·B[K,N] for N >= 8 with the
// 4x16 and 4x8 tiles only.
func bpgoNonTransposedFloat32(lhs, rhs, out []float32, M, N, K int) {
	var scratch [3][16]float32
	rhsRowBytes := N * 4
	for row := 0; row < M; row += 4 {
		l := bpgoRows(lhs, row, M, K)
		o := func(j, col int) unsafe.Pointer {
			if row+j < M {
				return unsafe.Pointer(&out[(row+j)*N+col])
			}
			return unsafe.Pointer(&scratch[j-1][0])
		}
		col := 0
		for ; col+15 < N; col += 16 {
			avx2SmallNonTransposedTile4x16Float32Asm(l[0], l[1], l[2], l[3],
				unsafe.Pointer(&rhs[col]), K, rhsRowBytes, o(0, col), o(1, col), o(2, col), o(3, col))
		}
		for ; col < N; col += 8 {
			col = min(col, N-8)
			avx2SmallNonTransposedTile4x8Float32Asm(l[0], l[1], l[2], l[3],
				unsafe.Pointer(&rhs[col]), K, rhsRowBytes, o(0, col), o(1, col), o(2, col), o(3, col))
		}
	}
}

// bpgoNonTransposedFloat64 computes C[M,N] = A[M,K]·B[K,N] for N >= 4 with the
// 4x8 and 4x4 tiles only.
func bpgoNonTransposedFloat64(lhs, rhs, out []float64, M, N, K int) {
	var scratch [3][8]float64
	rhsRowBytes := N * 8
	for row := 0; row < M; row += 4 {
		l := bpgoRows(lhs, row, M, K)
		o := func(j, col int) unsafe.Pointer {
			if row+j < M {
				return unsafe.Pointer(&out[(row+j)*N+col])
			}
			return unsafe.Pointer(&scratch[j-1][0])
		}
		col := 0
		for ; col+7 < N; col += 8 {
			avx2SmallNonTransposedTile4x8Float64Asm(l[0], l[1], l[2], l[3],
				unsafe.Pointer(&rhs[col]), K, rhsRowBytes, o(0, col), o(1, col), o(2, col), o(3, col))
		}
		for ; col < N; col += 4 {
			col = min(col, N-4)
			avx2SmallNonTransposedTile4x4Float64Asm(l[0], l[1], l[2], l[3],
				unsafe.Pointer(&rhs[col]), K, rhsRowBytes, o(0, col), o(1, col), o(2, col), o(3, col))
		}
	}
}

// bpgoTransposedFloat32 computes C[M,N] = A[M,K]·B[N,K]ᵀ with the 4x2 and 4x1
// tiles only; a partial row group goes through a scratch tile.
func bpgoTransposedFloat32(lhs, rhs, out []float32, M, N, K int) {
	var tile [4][2]float32
	for row := 0; row < M; row += 4 {
		l := bpgoRows(lhs, row, M, K)
		full := row+3 < M
		for col := 0; col < N; col += 2 {
			o, stride := unsafe.Pointer(&tile[0][0]), 2*4
			if full {
				o, stride = unsafe.Pointer(&out[row*N+col]), N*4
			}
			cols := min(2, N-col)
			if cols == 2 {
				avx2SmallTransposedTile4x2Float32Asm(l[0], l[1], l[2], l[3],
					unsafe.Pointer(&rhs[col*K]), unsafe.Pointer(&rhs[(col+1)*K]), K, o, stride)
			} else {
				avx2SmallTransposedTile4x1Float32Asm(l[0], l[1], l[2], l[3], unsafe.Pointer(&rhs[col*K]), K, o, stride)
			}
			if !full {
				for j := range M - row {
					copy(out[(row+j)*N+col:(row+j)*N+col+cols], tile[j][:cols])
				}
			}
		}
	}
}

// bpgoTransposedFloat64 computes C[M,N] = A[M,K]·B[N,K]ᵀ with the 4x2 and 4x1
// tiles only; a partial row group goes through a scratch tile.
func bpgoTransposedFloat64(lhs, rhs, out []float64, M, N, K int) {
	var tile [4][2]float64
	for row := 0; row < M; row += 4 {
		l := bpgoRows(lhs, row, M, K)
		full := row+3 < M
		for col := 0; col < N; col += 2 {
			o, stride := unsafe.Pointer(&tile[0][0]), 2*8
			if full {
				o, stride = unsafe.Pointer(&out[row*N+col]), N*8
			}
			cols := min(2, N-col)
			if cols == 2 {
				avx2SmallTransposedTile4x2Float64Asm(l[0], l[1], l[2], l[3],
					unsafe.Pointer(&rhs[col*K]), unsafe.Pointer(&rhs[(col+1)*K]), K, o, stride)
			} else {
				avx2SmallTransposedTile4x1Float64Asm(l[0], l[1], l[2], l[3], unsafe.Pointer(&rhs[col*K]), K, o, stride)
			}
			if !full {
				for j := range M - row {
					copy(out[(row+j)*N+col:(row+j)*N+col+cols], tile[j][:cols])
				}
			}
		}
	}
}
