package trainers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
)

// TestQRAccumulatorBlocks checks that the streamed QR solution does not depend on how the rows
// arrive (one call, many small chunks, fewer rows than a fold block or than the features) and
// that it equals BrainPy's normal-equations formula on well-conditioned data.
func TestQRAccumulatorBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const f, out, alpha = 30, 2, 1e-3
	for _, n := range []int{10, 200, 1000, 3000} { // a fold block is 8·32 = 256 rows
		x := make([]float64, n*f)
		y := make([]float64, n*out)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		for i := range y {
			y[i] = rng.NormFloat64()
		}
		whole := newQRAccumulator(f, out)
		whole.add(x, y, n)
		want, err := whole.solve(alpha, dtypes.Float64)
		if err != nil {
			t.Fatal(err)
		}
		chunked := newQRAccumulator(f, out)
		for s := 0; s < n; s += 7 {
			k := min(7, n-s)
			chunked.add(x[s*f:(s+k)*f], y[s*out:(s+k)*out], k)
		}
		got, err := chunked.solve(alpha, dtypes.Float64)
		if err != nil {
			t.Fatal(err)
		}
		// Normal equations: XᵀX + αI and XᵀY formed directly.
		xtx := make([]float64, f*f)
		xty := make([]float64, f*out)
		for r := range n {
			for i := range f {
				for j := range f {
					xtx[i*f+j] += x[r*f+i] * x[r*f+j]
				}
				for j := range out {
					xty[i*out+j] += x[r*f+i] * y[r*out+j]
				}
			}
		}
		ref, err := solveRidge(xtx, xty, f, out, alpha, dtypes.Float64)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if d := math.Abs(got[i] - want[i]); d > 1e-10*(1+math.Abs(want[i])) {
				t.Fatalf("n=%d: W[%d] chunked %v, whole %v", n, i, got[i], want[i])
			}
			if d := math.Abs(ref[i] - want[i]); d > 1e-6*(1+math.Abs(ref[i])) {
				t.Fatalf("n=%d: W[%d] QR %v, normal equations %v", n, i, want[i], ref[i])
			}
		}
	}
}
