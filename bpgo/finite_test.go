package bpgo

import (
	"math"
	"slices"
	"testing"
)

// firstNonFinite finds the first NaN or ±Inf wherever it sits (inside or across the blocks it
// sums, in the unrolled part or the tail) and nothing in finite data, large values included.
func TestFirstNonFinite(t *testing.T) {
	for _, n := range []int{0, 1, 3, 511, 512, 513, 2050, parallelFiniteMin + 5} { // the last in parts per core
		data := make([]float64, n)
		for i := range data {
			data[i] = float64(i%7-3) * 1e300 // large but finite: x-x stays 0
		}
		if at, _ := firstNonFinite(data); at != -1 {
			t.Fatalf("n=%d: finite data reported non-finite at %d", n, at)
		}
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			for _, pos := range []int{0, n / 2, n - 1} {
				if n == 0 {
					continue
				}
				d := slices.Clone(data)
				d[pos] = bad
				if pos+1 < n {
					d[n-1] = math.NaN() // a later one must not win
				}
				at, v := firstNonFinite(d)
				if at != pos || !(math.IsNaN(v) == math.IsNaN(bad) && (math.IsNaN(v) || v == bad)) {
					t.Errorf("n=%d bad=%v at %d: got (%d, %v)", n, bad, pos, at, v)
				}
				f32 := make([]float32, n)
				for i, x := range d {
					f32[i] = float32(x / 1e300)
				}
				if at, _ := firstNonFinite(f32); at != pos {
					t.Errorf("float32 n=%d bad=%v at %d: got %d", n, bad, pos, at)
				}
			}
		}
	}
}

func BenchmarkFirstNonFinite(b *testing.B) {
	data := make([]float64, 256*100*100) // the SNN section's input, checked on every step
	b.SetBytes(int64(8 * len(data)))
	for b.Loop() {
		if at, _ := firstNonFinite(data); at != -1 {
			b.Fatal(at)
		}
	}
}
