//go:build amd64 && goexperiment.simd

package ops

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBpgoCompare: the vector comparisons give Go's own a < b and a <= b on values with ties,
// NaN and ±Inf, with either operand a single value, for lengths around the vector widths.
func TestBpgoCompare(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), 1}
	draw := func() float64 {
		if rng.IntN(4) == 0 {
			return special[rng.IntN(len(special))]
		}
		return float64(rng.IntN(5)) // small integers: many ties
	}
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 33, 12800} {
		for _, scalar := range []string{"", "a", "b"} {
			na, nb := n, n
			switch scalar {
			case "a":
				na = 1
			case "b":
				nb = 1
			}
			a64, b64 := make([]float64, na), make([]float64, nb)
			for i := range a64 {
				a64[i] = draw()
			}
			for i := range b64 {
				b64[i] = draw()
			}
			a32, b32 := make([]float32, na), make([]float32, nb)
			for i, v := range a64 {
				a32[i] = float32(v)
			}
			for i, v := range b64 {
				b32[i] = float32(v)
			}
			at := func(s []float64, i int) float64 { return s[min(i, len(s)-1)] }
			for _, orEqual := range []bool{false, true} {
				got32, got64 := make([]bool, n), make([]bool, n)
				bpgoLess32(a32, b32, got32, orEqual)
				bpgoLess64(a64, b64, got64, orEqual)
				for i := range n {
					x, y := at(a64, i), at(b64, i)
					want := x < y
					if orEqual {
						want = x <= y
					}
					if got32[i] != want || got64[i] != want {
						t.Fatalf("n=%d scalar=%q orEqual=%v: element %d (%v vs %v): got %v (float32) %v (float64), want %v",
							n, scalar, orEqual, i, x, y, got32[i], got64[i], want)
					}
				}
			}
		}
	}
}

// TestBpgoBoolToFloat: the widening conversion gives 1 for true and 0 for false.
func TestBpgoBoolToFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{1, 15, 16, 17, 12800} {
		in := make([]uint8, n)
		for i := range in {
			in[i] = uint8(rng.IntN(2))
		}
		o32, o64 := make([]float32, n), make([]float64, n)
		for i := range o32 {
			o32[i], o64[i] = -7, -7
		}
		bpgoBytesToFloat32(in, o32)
		bpgoBytesToFloat64(in, o64)
		for i, b := range in {
			if o32[i] != float32(b) || o64[i] != float64(b) {
				t.Fatalf("n=%d element %d: %v → %v, %v", n, i, b, o32[i], o64[i])
			}
		}
	}
}

func BenchmarkBpgoCompare(b *testing.B) {
	const n = 128 * 100 // e-prop's (B, N) step
	x, y := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], y[i] = float32(i%7), float32(i%5)
	}
	out := make([]bool, n)
	b.Run("patched", func(b *testing.B) {
		for b.Loop() {
			bpgoLess32(x, y, out, true)
		}
	})
	b.Run("upstream", func(b *testing.B) {
		for b.Loop() {
			for i := range x {
				out[i] = x[i] <= y[i]
			}
		}
	})
}
