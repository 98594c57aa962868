//go:build amd64 && goexperiment.simd

package householder

import (
	"runtime"
	"sync"

	"simd/archsimd"
)

// The kernels keep a 4-row × 16-column block of the result in eight AVX-512 registers and stream
// the shared dimension through them: 6 loads per 8 fused multiply-adds, all from L1 or L2.
// Columns that do not fill 16 go 8 at a time, then one at a time. Only full-width loads and
// stores are used (no partial vectors, which read past a slice's end: see bpgo/internal/heapguard).

var avx512 = archsimd.X86.AVX512()

// vtc sets w (k×n, row stride n) to Vᵀ·C for v (m×k, stride k) and c (m×n, stride ldc).
func vtc(w, v, c []float64, m, k, n, ldc int) {
	if !avx512 {
		vtcBLAS(w, v, c, m, k, n, ldc)
		return
	}
	// Split the columns between the cores, in whole 16-column blocks.
	parallel(n, 16, m*k*n, func(lo, hi int) { vtc512(w, v, c, m, k, n, ldc, lo, hi) })
}

// addVW adds V·W to c (m×n, stride ldc) for v (m×k, stride k) and w (k×n, stride n).
func addVW(c, v, w []float64, m, k, n, ldc int) {
	if !avx512 {
		addVWBLAS(c, v, w, m, k, n, ldc)
		return
	}
	parallel(m, 4, m*k*n, func(lo, hi int) { addVW512(c, v, w, k, n, ldc, lo, hi) })
}

// parallel splits [0, n) into one range per core, each a multiple of step long (but the last),
// when the product is large enough (flops multiply-adds) to pay for the goroutines.
func parallel(n, step, flops int, fn func(lo, hi int)) {
	parts := min(runtime.GOMAXPROCS(0), n/step)
	if parts <= 1 || flops < 1<<18 {
		fn(0, n)
		return
	}
	blocks := (n + step - 1) / step
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*blocks/parts*step, min((p+1)*blocks/parts*step, n)
		wg.Go(func() { fn(lo, hi) })
	}
	wg.Wait()
}

// rowBlock is how many rows of C vtc512 takes at a time: a 128×16 block of C (16 KB) stays in L1
// while every row of W is accumulated over it, instead of striding through all of C once per
// four rows of W.
const rowBlock = 128

func vtc512(w, v, c []float64, m, k, n, ldc, j0, j1 int) {
	for i0 := 0; i0 < m; i0 += rowBlock {
		vtc512Rows(w, v, c, k, n, ldc, j0, j1, i0, min(i0+rowBlock, m), i0 > 0)
	}
}

// vtc512Rows sets (acc false) or adds to (acc true) w[:, j0:j1] the contribution of C's rows
// [i0, i1).
func vtc512Rows(w, v, c []float64, k, n, ldc, j0, j1, i0, i1 int, acc bool) {
	load := func(at int) archsimd.Float64x8 {
		if acc {
			return archsimd.LoadFloat64x8(w[at : at+8])
		}
		return archsimd.Float64x8{}
	}
	j := j0
	for ; j+16 <= j1; j += 16 {
		r := 0
		for ; r+4 <= k; r += 4 {
			a00, a01 := load(r*n+j), load(r*n+j+8)
			a10, a11 := load((r+1)*n+j), load((r+1)*n+j+8)
			a20, a21 := load((r+2)*n+j), load((r+2)*n+j+8)
			a30, a31 := load((r+3)*n+j), load((r+3)*n+j+8)
			for i := i0; i < i1; i++ {
				ci := c[i*ldc+j : i*ldc+j+16]
				c0, c1 := archsimd.LoadFloat64x8(ci), archsimd.LoadFloat64x8(ci[8:])
				vi := v[i*k+r : i*k+r+4]
				b := archsimd.BroadcastFloat64x8(vi[0])
				a00, a01 = b.MulAdd(c0, a00), b.MulAdd(c1, a01)
				b = archsimd.BroadcastFloat64x8(vi[1])
				a10, a11 = b.MulAdd(c0, a10), b.MulAdd(c1, a11)
				b = archsimd.BroadcastFloat64x8(vi[2])
				a20, a21 = b.MulAdd(c0, a20), b.MulAdd(c1, a21)
				b = archsimd.BroadcastFloat64x8(vi[3])
				a30, a31 = b.MulAdd(c0, a30), b.MulAdd(c1, a31)
			}
			a00.Store(w[r*n+j:])
			a01.Store(w[r*n+j+8:])
			a10.Store(w[(r+1)*n+j:])
			a11.Store(w[(r+1)*n+j+8:])
			a20.Store(w[(r+2)*n+j:])
			a21.Store(w[(r+2)*n+j+8:])
			a30.Store(w[(r+3)*n+j:])
			a31.Store(w[(r+3)*n+j+8:])
		}
		for ; r < k; r++ {
			a0, a1 := load(r*n+j), load(r*n+j+8)
			for i := i0; i < i1; i++ {
				ci := c[i*ldc+j : i*ldc+j+16]
				b := archsimd.BroadcastFloat64x8(v[i*k+r])
				a0, a1 = b.MulAdd(archsimd.LoadFloat64x8(ci), a0), b.MulAdd(archsimd.LoadFloat64x8(ci[8:]), a1)
			}
			a0.Store(w[r*n+j:])
			a1.Store(w[r*n+j+8:])
		}
	}
	for ; j+8 <= j1; j += 8 {
		for r := range k {
			a := load(r*n + j)
			for i := i0; i < i1; i++ {
				a = archsimd.BroadcastFloat64x8(v[i*k+r]).MulAdd(archsimd.LoadFloat64x8(c[i*ldc+j:i*ldc+j+8]), a)
			}
			a.Store(w[r*n+j:])
		}
	}
	for ; j < j1; j++ {
		for r := range k {
			s := 0.0
			if acc {
				s = w[r*n+j]
			}
			for i := i0; i < i1; i++ {
				s += v[i*k+r] * c[i*ldc+j]
			}
			w[r*n+j] = s
		}
	}
}

func addVW512(c, v, w []float64, k, n, ldc, i0, i1 int) {
	i := i0
	for ; i+4 <= i1; i += 4 {
		c0r, c1r, c2r, c3r := c[i*ldc:], c[(i+1)*ldc:], c[(i+2)*ldc:], c[(i+3)*ldc:]
		v0, v1, v2, v3 := v[i*k:(i+1)*k], v[(i+1)*k:(i+2)*k], v[(i+2)*k:(i+3)*k], v[(i+3)*k:(i+4)*k]
		j := 0
		for ; j+16 <= n; j += 16 {
			a00, a01 := archsimd.LoadFloat64x8(c0r[j:]), archsimd.LoadFloat64x8(c0r[j+8:])
			a10, a11 := archsimd.LoadFloat64x8(c1r[j:]), archsimd.LoadFloat64x8(c1r[j+8:])
			a20, a21 := archsimd.LoadFloat64x8(c2r[j:]), archsimd.LoadFloat64x8(c2r[j+8:])
			a30, a31 := archsimd.LoadFloat64x8(c3r[j:]), archsimd.LoadFloat64x8(c3r[j+8:])
			for r := range k {
				wr := w[r*n+j : r*n+j+16]
				w0, w1 := archsimd.LoadFloat64x8(wr), archsimd.LoadFloat64x8(wr[8:])
				b := archsimd.BroadcastFloat64x8(v0[r])
				a00, a01 = b.MulAdd(w0, a00), b.MulAdd(w1, a01)
				b = archsimd.BroadcastFloat64x8(v1[r])
				a10, a11 = b.MulAdd(w0, a10), b.MulAdd(w1, a11)
				b = archsimd.BroadcastFloat64x8(v2[r])
				a20, a21 = b.MulAdd(w0, a20), b.MulAdd(w1, a21)
				b = archsimd.BroadcastFloat64x8(v3[r])
				a30, a31 = b.MulAdd(w0, a30), b.MulAdd(w1, a31)
			}
			a00.Store(c0r[j:])
			a01.Store(c0r[j+8:])
			a10.Store(c1r[j:])
			a11.Store(c1r[j+8:])
			a20.Store(c2r[j:])
			a21.Store(c2r[j+8:])
			a30.Store(c3r[j:])
			a31.Store(c3r[j+8:])
		}
		addVWRowTail(c0r, v0, w, k, n, j)
		addVWRowTail(c1r, v1, w, k, n, j)
		addVWRowTail(c2r, v2, w, k, n, j)
		addVWRowTail(c3r, v3, w, k, n, j)
	}
	for ; i < i1; i++ {
		addVWRowTail(c[i*ldc:], v[i*k:(i+1)*k], w, k, n, 0)
	}
}

// addVWRowTail adds row vi·W to ci from column j on: 8 columns at a time, then one at a time.
func addVWRowTail(ci, vi, w []float64, k, n, j int) {
	for ; j+8 <= n; j += 8 {
		a := archsimd.LoadFloat64x8(ci[j:])
		for r := range k {
			a = archsimd.BroadcastFloat64x8(vi[r]).MulAdd(archsimd.LoadFloat64x8(w[r*n+j:r*n+j+8]), a)
		}
		a.Store(ci[j:])
	}
	for ; j < n; j++ {
		s := ci[j]
		for r := range k {
			s += vi[r] * w[r*n+j]
		}
		ci[j] = s
	}
}
