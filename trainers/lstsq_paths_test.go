package trainers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"gonum.org/v1/gonum/mat"
)

// TestRidgeSolvePaths checks the fast path of the ridge solve: whenever cutoffCannotBite lets
// it skip the SVD, the SVD confirms that no eigenvalue of XᵀX + αI is under the pseudo-inverse
// cutoff, and both paths give the same weights; when the cutoff does drop eigenvalues (a
// repeated feature and a tiny α), the fast path is refused.
func TestRidgeSolvePaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const f, out = 40, 3
	fast := 0
	for trial := range 60 {
		scale := math.Pow(10, -3+11*rng.Float64())
		alpha := math.Pow(10, -14+14*rng.Float64())
		rx := mat.NewDense(f, f, nil)
		for i := range f {
			for j := i; j < f; j++ {
				rx.Set(i, j, scale*rng.NormFloat64())
			}
		}
		qty := mat.NewDense(f, out, nil)
		for i := range f {
			for j := range out {
				qty.Set(i, j, rng.NormFloat64())
			}
		}
		if !cutoffCannotBite(rx, alpha, dtypes.Float64) {
			continue
		}
		fast++
		var svd mat.SVD
		if !svd.Factorize(rx, mat.SVDNone) {
			t.Fatal("SVD did not converge")
		}
		s := svd.Values(nil)
		cutoff := 10 * f * machineEps(dtypes.Float64) * (s[0]*s[0] + alpha)
		if low := s[f-1]*s[f-1] + alpha; low <= cutoff {
			t.Fatalf("trial %d: fast path taken but eigenvalue %g <= cutoff %g", trial, low, cutoff)
		}
		want, err := svdSolve(rx, qty, alpha, dtypes.Float64)
		if err != nil {
			t.Fatal(err)
		}
		got, err := augmentedSolve(rx, qty, alpha)
		if err != nil {
			t.Fatal(err)
		}
		var num, den float64
		for i := range want {
			num += (got[i] - want[i]) * (got[i] - want[i])
			den += want[i] * want[i]
		}
		// Both are backward stable; their difference is bounded by the condition number of
		// XᵀX + αI times eps.
		if cond := (s[0]*s[0] + alpha) / (s[f-1]*s[f-1] + alpha); math.Sqrt(num/den) > 1e-15*cond+1e-13 {
			t.Fatalf("trial %d (cond %.3g): fast and SVD weights differ by %.3g relative", trial, cond, math.Sqrt(num/den))
		}
	}
	if fast < 10 {
		t.Fatalf("only %d of 60 trials took the fast path: the test no longer exercises it", fast)
	}

	// More outputs than features (a 2-feature design fitting 5 targets).
	small := mat.NewDense(2, 2, []float64{3, 1, 0, 2})
	ys := mat.NewDense(2, 5, []float64{1, 2, 3, 4, 5, -1, 0, 1, 2, 3})
	got, err := augmentedSolve(small, ys, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	want, err := svdSolve(small, ys, 0.5, dtypes.Float64)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-14*(1+math.Abs(want[i])) {
			t.Fatalf("2 features, 5 outputs: W[%d] = %v, SVD %v", i, got[i], want[i])
		}
	}

	// A repeated feature makes σ_min = 0: with α far under the cutoff, pinv drops it.
	rx := mat.NewDense(f, f, nil)
	for i := range f {
		for j := range f {
			rx.Set(i, j, rng.NormFloat64())
		}
	}
	for i := range f {
		rx.Set(i, 1, rx.At(i, 0))
	}
	if cutoffCannotBite(rx, 1e-20, dtypes.Float64) || cutoffCannotBite(rx, 0, dtypes.Float64) {
		t.Fatal("fast path allowed where the pseudo-inverse cutoff applies")
	}
}

// TestQRAccumulatorWait: a fit that stops early (an error in the runner) only calls wait, which
// must stop the folder however many blocks it had, and may be called again.
func TestQRAccumulatorWait(t *testing.T) {
	const f, out = 4, 1
	a := newQRAccumulator(f, out)
	rows := 3 * foldFactor * (f + out) // three blocks' worth
	x, y := make([]float64, rows*f), make([]float64, rows*out)
	for i := range x {
		x[i] = float64(i%7) - 3
	}
	a.add(x, y, rows)
	if a.blocks == nil {
		t.Fatal("no folder started after three full blocks")
	}
	a.wait()
	a.wait()
	if a.blocks != nil {
		t.Fatal("the folder is still registered after wait")
	}
	if r, c := a.r.Dims(); r != f+out || c != f+out {
		t.Fatalf("R is %d×%d after folding, want %d×%d", r, c, f+out, f+out)
	}
}
