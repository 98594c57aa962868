//go:build amd64 && goexperiment.simd

package bpgo

import (
	"math"
	"simd/archsimd"
	"testing"
)

// Every vector width of allFinite the CPU can run, not only the one it picks: a NaN or ±Inf
// in each lane, in the tail and nowhere, at lengths around the unrolled step.
func TestAllFiniteWidths(t *testing.T) {
	f64 := map[string]func([]float64) bool{"scalar": allFiniteScalar[float64]}
	f32 := map[string]func([]float32) bool{"scalar": allFiniteScalar[float32]}
	if archsimd.X86.AVX2() {
		f64["avx2"], f32["avx2"] = allFinite64x4, allFinite32x8
	}
	if archsimd.X86.AVX512() {
		f64["avx512"], f32["avx512"] = allFinite64x8, allFinite32x16
	}
	for _, n := range []int{0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100} {
		for pos := -1; pos < n; pos++ {
			for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				d64, d32 := make([]float64, n), make([]float32, n)
				for i := range d64 {
					d64[i], d32[i] = float64(i%5-2)*1e300, float32(i%5-2)*1e30
				}
				if pos >= 0 {
					d64[pos], d32[pos] = bad, float32(bad)
				}
				for name, f := range f64 {
					if got := f(d64); got != (pos < 0) {
						t.Fatalf("%s float64 n=%d bad %v at %d: allFinite = %v", name, n, bad, pos, got)
					}
				}
				for name, f := range f32 {
					if got := f(d32); got != (pos < 0) {
						t.Fatalf("%s float32 n=%d bad %v at %d: allFinite = %v", name, n, bad, pos, got)
					}
				}
			}
		}
	}
}
