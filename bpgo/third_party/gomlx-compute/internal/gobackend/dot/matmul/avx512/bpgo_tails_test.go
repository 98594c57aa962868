// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

package avx512

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/internal/gobackend"
)

// TestBpgoVectorTails checks the bpgo patch's kernels against a plain triple
// loop on every kind of leftover: rows M % 4 (and M % 8 after the 8-row tiles of
// narrow products), columns below and above the tile widths, N < 4 in the
// transposed kernel, K remainders, and two batch elements.
func TestBpgoVectorTails(t *testing.T) {
	if !gobackend.IsAVX512Allowed {
		t.Skip("no AVX-512 on this CPU")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const batch = 2
	for _, M := range []int{1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 21} {
		for _, N := range []int{1, 2, 3, 4, 5, 7, 8, 9, 10, 15, 16, 17, 31, 33, 63, 65, 100} {
			for _, K := range []int{1, 3, 17, 100} {
				a := make([]float64, batch*M*K)
				b := make([]float64, batch*K*N)
				for i := range a {
					a[i] = rng.NormFloat64()
				}
				for i := range b {
					b[i] = rng.NormFloat64()
				}
				// want[b][m][n] = sum_k a[b][m][k]·b[b][k][n]; bT is b transposed per batch.
				want := make([]float64, batch*M*N)
				bT := make([]float64, len(b))
				for bi := range batch {
					for m := range M {
						for n := range N {
							var s float64
							for k := range K {
								s += a[(bi*M+m)*K+k] * b[(bi*K+k)*N+n]
							}
							want[(bi*M+m)*N+n] = s
						}
					}
					for k := range K {
						for n := range N {
							bT[(bi*N+n)*K+k] = b[(bi*K+k)*N+n]
						}
					}
				}
				a32, b32, bT32 := to32(a), to32(b), to32(bT)
				check := func(name string, got []float64, tol float64) {
					t.Helper()
					for i := range want {
						if math.Abs(got[i]-want[i]) > tol*(1+math.Abs(want[i])) || math.IsNaN(got[i]) {
							t.Fatalf("%s M=%d N=%d K=%d: element %d = %g, want %g", name, M, N, K, i, got[i], want[i])
						}
					}
				}
				out64 := make([]float64, len(want))
				avx512SmallFloat64NonTransposedAsm(a, b, 0, batch, M, N, K, out64)
				check("f64 non-transposed", out64, 1e-12)
				clear(out64)
				avx512SmallFloat64TransposedAsm(a, bT, 0, batch, M, N, K, out64)
				check("f64 transposed", out64, 1e-12)
				out32 := make([]float32, len(want))
				avx512SmallFloat32NonTransposedAsm(a32, b32, 0, batch, M, N, K, out32)
				check("f32 non-transposed", to64(out32), 1e-4)
				clear(out32)
				avx512SmallFloat32TransposedAsm(a32, bT32, 0, batch, M, N, K, out32)
				check("f32 transposed", to64(out32), 1e-4)
			}
		}
	}
}

func to32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// BenchmarkBpgoVectorTails shows what the patch is for: shapes from bpgo's
// tutorials whose leftover rows or columns went through scalar loops. Compare
// the "vector" and "scalar" runs of each shape; the patch can go once upstream's
// kernels make the "scalar" runs (their own tails) as fast as the "vector" ones.
func BenchmarkBpgoVectorTails(b *testing.B) {
	if !gobackend.IsAVX512Allowed {
		b.Skip("no AVX-512 on this CPU")
	}
	shapes := []struct {
		name    string
		f32     bool
		M, K, N int
	}{
		{"eprop-f32-128x100x100", true, 128, 100, 100},
		{"snn-f64-128x100x10", false, 128, 100, 10},
		{"snn-f64-256x100x10", false, 256, 100, 10},
		{"eirnn-f32-16x50x50", true, 16, 50, 50},
		{"esn-f64-1x400x400", false, 1, 400, 400},
		{"rows-f32-130x100x96", true, 130, 100, 96},
	}
	for _, s := range shapes {
		a, w := make([]float64, s.M*s.K), make([]float64, s.K*s.N)
		for i := range a {
			a[i] = float64(i%7) - 3
		}
		for i := range w {
			w[i] = float64(i%5) - 2
		}
		a32, w32 := to32(a), to32(w)
		out, out32 := make([]float64, s.M*s.N), make([]float32, s.M*s.N)
		for _, vector := range []bool{true, false} {
			name := s.name + "/scalar"
			if vector {
				name = s.name + "/vector"
			}
			b.Run(name, func(b *testing.B) {
				defer func(v bool) { bpgoVectorTails = v }(bpgoVectorTails)
				bpgoVectorTails = vector
				for b.Loop() {
					if s.f32 {
						avx512SmallFloat32NonTransposedAsm(a32, w32, 0, 1, s.M, s.N, s.K, out32)
					} else {
						avx512SmallFloat64NonTransposedAsm(a, w, 0, 1, s.M, s.N, s.K, out)
					}
				}
			})
		}
	}
}
