//go:build amd64 && goexperiment.simd

package gobackend

// bpgo patch (see bpgo/third_party/README.md in bpgo's repository): the AVX-512 kernels leave the
// upper halves of the vector registers dirty, and until a VZEROUPPER every SSE instruction
// waits on them: Go's scalar float code, the runtime's copy and clear, a kernel's scalar loop
// over its last few values. Measured here: 400 bytes copied by the runtime after an AVX-512
// op, 160 ns against 18 ns; a 500-value product whose last 4 values go through the scalar
// loop, 187 ns against 28 ns for 496 values. The executor now clears the upper halves after
// every op, bpgo's kernels before their scalar loops, and bpgo's fused programs copy and fill
// with vector loads and stores.

import (
	"os"
	"simd/archsimd"
)

// bpgoUpperOn is false with BPGO_COMPUTE_UPSTREAM set (A/B measurements of bpgo's patches).
var bpgoUpperOn = os.Getenv("BPGO_COMPUTE_UPSTREAM") == ""

// bpgoClearUpper clears the upper halves of the vector registers (VZEROUPPER) after an op, so
// that the SSE code that follows (the next op's scalar loops, the runtime's copies, Go's scalar
// float code) does not wait on them: see bpgoTail.
func bpgoClearUpper() {
	if bpgoUpperOn {
		archsimd.ClearAVXUpperBits()
	}
}

// bpgoTail is called before a kernel's scalar loop over the values [i, n) that its AVX-512
// loop left: with the vector registers' upper halves dirty, every SSE instruction (Go's scalar
// float code, the runtime's copy) waits on them. Four leftover products after a 496-value
// AVX-512 loop took 160 ns here, against 28 ns for the loop; after VZEROUPPER, 2 ns.
func bpgoTail(i, n int) {
	if i < n && bpgoUpperOn {
		archsimd.ClearAVXUpperBits()
	}
}

// bpgoCopy copies src into dst (len(dst) values) with vector loads and stores: inside a fused
// program's loop, between AVX-512 ops, the runtime's copy (SSE) costs about ten times as much
// (160 ns against 18 ns for 400 bytes, measured here).
func bpgoCopy[T float32 | float64](dst, src []T) {
	switch d := any(dst).(type) {
	case []float32:
		bpgoCopy32(d, any(src).([]float32))
	case []float64:
		bpgoCopy64(d, any(src).([]float64))
	}
}

// BpgoCopy32 and BpgoCopy64 are bpgoCopy for package dot.
func BpgoCopy32(dst, src []float32) { bpgoCopy32(dst, src) }
func BpgoCopy64(dst, src []float64) { bpgoCopy64(dst, src) }

func bpgoCopy32(dst, src []float32) {
	n := len(dst)
	src = src[:n]
	if n < 16 {
		archsimd.ClearAVXUpperBits()
		copy(dst, src)
		return
	}
	i := 0
	for ; i+16 <= n; i += 16 {
		archsimd.LoadFloat32x16(src[i : i+16]).Store(dst[i : i+16])
	}
	if i < n { // the last vector, overlapping the one before
		archsimd.LoadFloat32x16(src[n-16 : n]).Store(dst[n-16 : n])
	}
}

func bpgoCopy64(dst, src []float64) {
	n := len(dst)
	src = src[:n]
	if n < 8 {
		archsimd.ClearAVXUpperBits()
		copy(dst, src)
		return
	}
	i := 0
	for ; i+8 <= n; i += 8 {
		archsimd.LoadFloat64x8(src[i : i+8]).Store(dst[i : i+8])
	}
	if i < n {
		archsimd.LoadFloat64x8(src[n-8 : n]).Store(dst[n-8 : n])
	}
}

// bpgoFill sets every value of dst to v with vector stores (see bpgoCopy).
func bpgoFill[T float32 | float64](dst []T, v T) {
	switch d := any(dst).(type) {
	case []float32:
		n, x := len(d), archsimd.BroadcastFloat32x16(float32(v))
		if n < 16 {
			archsimd.ClearAVXUpperBits()
			for i := range d {
				d[i] = float32(v)
			}
			return
		}
		i := 0
		for ; i+16 <= n; i += 16 {
			x.Store(d[i : i+16])
		}
		if i < n {
			x.Store(d[n-16 : n])
		}
	case []float64:
		n, x := len(d), archsimd.BroadcastFloat64x8(float64(v))
		if n < 8 {
			archsimd.ClearAVXUpperBits()
			for i := range d {
				d[i] = float64(v)
			}
			return
		}
		i := 0
		for ; i+8 <= n; i += 8 {
			x.Store(d[i : i+8])
		}
		if i < n {
			x.Store(d[n-8 : n])
		}
	}
}
