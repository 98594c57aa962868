package trainers

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"gonum.org/v1/gonum/mat"
)

// qrAccumulator streams rows of [X | Y] into the triangular factor R of their QR decomposition,
// so that XᵀX = RₓᵀRₓ and XᵀY = RₓᵀQᵀY without ever forming XᵀX (which squares the condition
// number and loses half the digits of ill-conditioned features such as NVAR monomials).
//
// Rows are buffered and folded into R in blocks of at least foldFactor·(f+out) rows: folding
// m new rows costs a QR of (f+out+m) × (f+out), so folding every runner chunk (100 rows) into a
// 404-column R (a 400-unit reservoir) would do ~5× the work of one QR of all rows; with blocks
// of 8·(f+out) rows the overhead is 1/8 and the buffer stays bounded (8·(f+out)² values).
type qrAccumulator struct {
	f, out int
	r      *mat.Dense // at most (f+out) × (f+out)
	pend   []float64  // buffered rows of [X | Y], row-major, f+out wide
}

// foldFactor sets the block size of qrAccumulator's folds, in multiples of f+out rows.
const foldFactor = 8

func newQRAccumulator(f, out int) *qrAccumulator { return &qrAccumulator{f: f, out: out} }

// add appends n rows: x is n×f and y is n×out, both row-major.
func (a *qrAccumulator) add(x, y []float64, n int) {
	c := a.f + a.out
	for i := range n {
		a.pend = append(a.pend, x[i*a.f:(i+1)*a.f]...)
		a.pend = append(a.pend, y[i*a.out:(i+1)*a.out]...)
		if len(a.pend) >= foldFactor*c*c {
			a.fold()
		}
	}
}

// fold replaces R by the R factor of [R; buffered rows] and empties the buffer.
func (a *qrAccumulator) fold() {
	c := a.f + a.out
	n := len(a.pend) / c
	if n == 0 {
		return
	}
	prev := 0
	if a.r != nil {
		prev, _ = a.r.Dims()
	}
	// gonum's QR needs at least as many rows as columns: pad with zero rows, which change
	// neither RᵀR nor the solution (there can be fewer samples than features).
	m := mat.NewDense(max(prev+n, c), c, nil)
	if a.r != nil {
		m.Slice(0, prev, 0, c).(*mat.Dense).Copy(a.r)
	}
	copy(m.RawMatrix().Data[prev*c:], a.pend)
	a.pend = a.pend[:0]
	var qr mat.QR
	qr.Factorize(m)
	var r mat.Dense
	qr.RTo(&r)
	a.r = mat.DenseCopyOf(r.Slice(0, c, 0, c))
}

// solve returns W (f×out, row-major) = pinv(XᵀX + αI)·XᵀY with the pseudo-inverse cutoff
// 10·f·eps·λ_max on the eigenvalues λ = σ² + α of XᵀX + αI, where σ are the singular values of
// X. This is exactly BrainPy's formula, evaluated from the SVD of Rₓ instead of XᵀX.
func (a *qrAccumulator) solve(alpha float64, dt dtypes.DType) ([]float64, error) {
	a.fold()
	if a.r == nil {
		return nil, fmt.Errorf("no data to fit")
	}
	rows, _ := a.r.Dims()
	rx := mat.NewDense(a.f, a.f, nil) // zero rows if fewer samples than features
	qty := mat.NewDense(a.f, a.out, nil)
	k := min(rows, a.f)
	rx.Slice(0, k, 0, a.f).(*mat.Dense).Copy(a.r.Slice(0, k, 0, a.f))
	qty.Slice(0, k, 0, a.out).(*mat.Dense).Copy(a.r.Slice(0, k, a.f, a.f+a.out))
	for _, v := range rx.RawMatrix().Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("the recorded features contain NaN or Inf (did the model diverge?)")
		}
	}
	var svd mat.SVD
	if !svd.Factorize(rx, mat.SVDFull) {
		return nil, fmt.Errorf("the SVD of the %d×%d least-squares factor did not converge", a.f, a.f)
	}
	s := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	lmax := s[0]*s[0] + alpha
	cutoff := 10 * float64(a.f) * machineEps(dt) * lmax
	// W = V · diag(σ/(σ²+α) where kept) · Uᵀ · QᵀY
	var uty mat.Dense
	uty.Mul(u.T(), qty)
	for i := range s {
		ev := s[i]*s[i] + alpha
		c := 0.0
		if ev > cutoff {
			c = s[i] / ev
		}
		for j := range a.out {
			uty.Set(i, j, uty.At(i, j)*c)
		}
	}
	var w mat.Dense
	w.Mul(&v, &uty)
	return w.RawMatrix().Data, nil
}

func machineEps(dt dtypes.DType) float64 {
	if dt == dtypes.Float32 {
		return float64(math.Nextafter32(1, 2) - 1)
	}
	return math.Nextafter(1, 2) - 1
}
