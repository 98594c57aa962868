//go:build amd64 && goexperiment.simd

package bpgo

import "simd/archsimd"

// allFinite reports whether flat holds only finite values, with vector instructions where the
// CPU has them (AVX-512, else AVX2): x-x is 0 for a finite x and NaN for NaN or ±Inf, and a sum
// of those is NaN iff one was. Scalar code ran at a third of the memory bandwidth, and every
// training step checks its input (seed 000's SNN: 20 MB, 9% of the step).
func allFinite[F float32 | float64](flat []F) bool {
	switch f := any(flat).(type) {
	case []float64:
		switch {
		case archsimd.X86.AVX512():
			return allFinite64x8(f)
		case archsimd.X86.AVX2():
			return allFinite64x4(f)
		}
	case []float32:
		switch {
		case archsimd.X86.AVX512():
			return allFinite32x16(f)
		case archsimd.X86.AVX2():
			return allFinite32x8(f)
		}
	}
	return allFiniteScalar(flat)
}

func allFinite64x8(f []float64) bool {
	var a, b archsimd.Float64x8
	i := 0
	for ; i+16 <= len(f); i += 16 {
		x, y := archsimd.LoadFloat64x8(f[i:]), archsimd.LoadFloat64x8(f[i+8:])
		a, b = a.Add(x.Sub(x)), b.Add(y.Sub(y))
	}
	var s [8]float64
	a.Add(b).Store(s[:])
	return sum(s[:]) == 0 && allFiniteScalar(f[i:])
}

func allFinite64x4(f []float64) bool {
	var a, b archsimd.Float64x4
	i := 0
	for ; i+8 <= len(f); i += 8 {
		x, y := archsimd.LoadFloat64x4(f[i:]), archsimd.LoadFloat64x4(f[i+4:])
		a, b = a.Add(x.Sub(x)), b.Add(y.Sub(y))
	}
	var s [4]float64
	a.Add(b).Store(s[:])
	return sum(s[:]) == 0 && allFiniteScalar(f[i:])
}

func allFinite32x16(f []float32) bool {
	var a, b archsimd.Float32x16
	i := 0
	for ; i+32 <= len(f); i += 32 {
		x, y := archsimd.LoadFloat32x16(f[i:]), archsimd.LoadFloat32x16(f[i+16:])
		a, b = a.Add(x.Sub(x)), b.Add(y.Sub(y))
	}
	var s [16]float32
	a.Add(b).Store(s[:])
	return sum(s[:]) == 0 && allFiniteScalar(f[i:])
}

func allFinite32x8(f []float32) bool {
	var a, b archsimd.Float32x8
	i := 0
	for ; i+16 <= len(f); i += 16 {
		x, y := archsimd.LoadFloat32x8(f[i:]), archsimd.LoadFloat32x8(f[i+8:])
		a, b = a.Add(x.Sub(x)), b.Add(y.Sub(y))
	}
	var s [8]float32
	a.Add(b).Store(s[:])
	return sum(s[:]) == 0 && allFiniteScalar(f[i:])
}

func sum[F float32 | float64](s []F) (t F) {
	for _, v := range s {
		t += v
	}
	return t
}
