package householder

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func randSlice(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.NormFloat64()
	}
	return s
}

// TestKernels checks both products against gonum's BLAS on every kind of leftover: rows not a
// multiple of 4, columns below, at and above 8 and 16, a shared dimension not a multiple of 4,
// a row stride wider than the matrix, and products large enough to be split between cores.
func TestKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, m := range []int{1, 3, 4, 7, 13, 130} {
		for _, k := range []int{1, 3, 4, 6, 32} {
			for _, n := range []int{1, 7, 8, 15, 16, 17, 40, 403} {
				ldc := n + 3
				v, c := randSlice(rng, m*k), randSlice(rng, m*ldc)
				got, want := make([]float64, k*n), make([]float64, k*n)
				vtc(got, v, c, m, k, n, ldc)
				vtcBLAS(want, v, c, m, k, n, ldc)
				if d := maxRelDiff(got, want); d > 1e-13 {
					t.Errorf("vtc m=%d k=%d n=%d: max relative difference %g", m, k, n, d)
				}
				w := randSlice(rng, k*n)
				gotC, wantC := append([]float64(nil), c...), append([]float64(nil), c...)
				addVW(gotC, v, w, m, k, n, ldc)
				addVWBLAS(wantC, v, w, m, k, n, ldc)
				if d := maxRelDiff(gotC, wantC); d > 1e-13 {
					t.Errorf("addVW m=%d k=%d n=%d: max relative difference %g", m, k, n, d)
				}
				for i := range m { // the padding columns beyond n are never written
					for j := n; j < ldc; j++ {
						if gotC[i*ldc+j] != c[i*ldc+j] {
							t.Fatalf("addVW m=%d k=%d n=%d wrote column %d of row %d", m, k, n, j, i)
						}
					}
				}
			}
		}
	}
}

func maxRelDiff(a, b []float64) float64 {
	scale, d := 0.0, 0.0
	for i := range a {
		scale = max(scale, math.Abs(b[i]))
		d = max(d, math.Abs(a[i]-b[i]))
	}
	if scale == 0 {
		return d
	}
	return d / scale
}

// TestQRMatchesGonum compares R with gonum's QR (rows' signs included: the same reflections) on
// shapes with one panel, several panels, a last panel that is not full, square and tall.
func TestQRMatchesGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range []struct{ m, n int }{{1, 1}, {5, 3}, {32, 32}, {40, 33}, {97, 64}, {300, 97}, {1200, 403}} {
		lda := s.n + 2
		a := randSlice(rng, s.m*lda)
		ref := mat.NewDense(s.m, s.n, nil)
		for i := range s.m {
			for j := range s.n {
				ref.Set(i, j, a[i*lda+j])
			}
		}
		if err := QR(a, s.m, s.n, lda); err != nil {
			t.Fatal(err)
		}
		var qr mat.QR
		qr.Factorize(ref)
		var r mat.Dense
		qr.RTo(&r)
		got, want := make([]float64, 0, s.n*s.n), make([]float64, 0, s.n*s.n)
		for i := range s.n {
			for j := i; j < s.n; j++ {
				got, want = append(got, a[i*lda+j]), append(want, r.At(i, j))
			}
		}
		if d := maxRelDiff(got, want); d > 1e-12 {
			t.Errorf("m=%d n=%d: R differs from gonum's by %g (relative to its largest entry)", s.m, s.n, d)
		}
	}
}

func TestQRBadInput(t *testing.T) {
	for _, c := range []struct {
		m, n, lda, size int
		want            string
	}{
		{2, 3, 3, 6, "want m ≥ n ≥ 1, got m=2, n=3"},
		{3, 0, 1, 3, "want m ≥ n ≥ 1, got m=3, n=0"},
		{3, 2, 1, 6, "want lda ≥ n=2, got 1"},
		{3, 2, 2, 5, "a has 5 values, want at least 6"},
	} {
		err := QR(make([]float64, c.size), c.m, c.n, c.lda)
		if err == nil || err.Error() != "householder.QR: "+c.want {
			t.Errorf("QR(m=%d, n=%d, lda=%d, %d values): got %v, want %q", c.m, c.n, c.lda, c.size, err, c.want)
		}
	}
}

// BenchmarkQR times one fold of trainers.Ridge on a 400-unit reservoir: 8·403 new rows under a
// 403×403 R. Compare with BenchmarkGonumQR.
func BenchmarkQR(b *testing.B) {
	m, n := 9*403, 403
	a0 := randSlice(rand.New(rand.NewPCG(5, 6)), m*n)
	a := make([]float64, m*n)
	for b.Loop() {
		copy(a, a0)
		if err := QR(a, m, n, n); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGonumQR(b *testing.B) {
	m, n := 9*403, 403
	a0 := randSlice(rand.New(rand.NewPCG(5, 6)), m*n)
	for b.Loop() {
		var qr mat.QR
		qr.Factorize(mat.NewDense(m, n, append([]float64(nil), a0...)))
	}
}
