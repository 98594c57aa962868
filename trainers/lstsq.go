package trainers

import (
	"fmt"
	"math"

	"github.com/bpgo/bpgo/trainers/internal/householder"
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
// of 4·(f+out) rows the overhead is 1/6 and the buffer stays bounded (4·(f+out)² values).
//
// Full blocks are folded by a goroutine while the caller goes on (the runner computing the next
// chunks), one block at a time and in arrival order, so R does not depend on timing. At most
// one block waits while another is folded. Smaller blocks leave less to fold after the run: on
// the 6000-step, 400-unit fit of tests/bench, blocks of 4·(f+out) rows took the fit's wall time
// to 0.87× that of blocks of 8·(f+out) (paired whole runs), though they do more arithmetic.
type qrAccumulator struct {
	f, out int
	r      *mat.Dense // at most (f+out) × (f+out); owned by the folder while it runs
	pend   []float64  // buffered rows of [X | Y], row-major, f+out wide

	blocks chan []float64 // full blocks for the folder; nil while no folder runs
	done   chan struct{}  // closed when the folder has folded every block
}

// foldFactor sets the block size of qrAccumulator's folds, in multiples of f+out rows.
const foldFactor = 4

func newQRAccumulator(f, out int) *qrAccumulator { return &qrAccumulator{f: f, out: out} }

// add appends n rows: x is n×f and y is n×out, both row-major.
func (a *qrAccumulator) add(x, y []float64, n int) {
	c := a.f + a.out
	for i := range n {
		a.pend = append(a.pend, x[i*a.f:(i+1)*a.f]...)
		a.pend = append(a.pend, y[i*a.out:(i+1)*a.out]...)
		if len(a.pend) >= foldFactor*c*c {
			a.submit()
		}
	}
}

// submit hands the buffered rows to the folder, starting it on the first block.
func (a *qrAccumulator) submit() {
	if a.blocks == nil {
		a.blocks, a.done = make(chan []float64, 1), make(chan struct{})
		go func() {
			defer close(a.done)
			for rows := range a.blocks {
				a.fold(rows)
			}
		}()
	}
	a.blocks <- a.pend
	a.pend = make([]float64, 0, cap(a.pend))
}

// wait returns once the folder has folded every submitted block and stops it. It is safe to
// call more than once; Fit defers it so that no folder outlives a failed fit.
func (a *qrAccumulator) wait() {
	if a.blocks != nil {
		close(a.blocks)
		<-a.done
		a.blocks = nil
	}
}

// fold replaces R by the R factor of [R; rows].
func (a *qrAccumulator) fold(rows []float64) {
	c := a.f + a.out
	n := len(rows) / c
	if n == 0 {
		return
	}
	prev := 0
	if a.r != nil {
		prev, _ = a.r.Dims()
	}
	// householder.QR needs at least as many rows as columns: pad with zero rows, which change
	// neither RᵀR nor the solution (there can be fewer samples than features).
	m := mat.NewDense(max(prev+n, c), c, nil)
	if a.r != nil {
		m.Slice(0, prev, 0, c).(*mat.Dense).Copy(a.r)
	}
	copy(m.RawMatrix().Data[prev*c:], rows)
	a.r = upperR(m)
}

// upperR returns the c×c R factor of the QR decomposition of m (rows ≥ c columns), which it
// overwrites. householder.QR computes what gonum's QR does, in about half the time.
func upperR(m *mat.Dense) *mat.Dense {
	rows, c := m.Dims()
	raw := m.RawMatrix()
	if err := householder.QR(raw.Data, rows, c, raw.Stride); err != nil {
		panic(err) // the callers pad m to rows ≥ c
	}
	r := mat.NewDense(c, c, nil)
	for i := range c {
		copy(r.RawRowView(i)[i:], raw.Data[i*raw.Stride+i:i*raw.Stride+c])
	}
	return r
}

// solve returns W (f×out, row-major) = pinv(XᵀX + αI)·XᵀY with the pseudo-inverse cutoff
// 10·f·eps·λ_max on the eigenvalues λ = σ² + α of XᵀX + αI, where σ are the singular values of
// X. This is exactly BrainPy's formula, evaluated from the SVD of Rₓ instead of XᵀX.
func (a *qrAccumulator) solve(alpha float64, dt dtypes.DType) ([]float64, error) {
	a.wait()
	a.fold(a.pend)
	a.pend = a.pend[:0]
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
	if cutoffCannotBite(rx, alpha, dt) {
		return augmentedSolve(rx, qty, alpha)
	}
	return svdSolve(rx, qty, alpha, dt)
}

// cutoffCannotBite reports whether every eigenvalue σ² + α of XᵀX + αI is sure to be above the
// pseudo-inverse cutoff 10·f·eps·λ_max, so that pinv is the plain inverse. It bounds σ_max² from
// above by min(‖Rₓ‖_F², ‖Rₓ‖₁·‖Rₓ‖_∞), which costs one pass over Rₓ, against the SVD's seconds.
func cutoffCannotBite(rx *mat.Dense, alpha float64, dt dtypes.DType) bool {
	if !(alpha > 0) {
		return false
	}
	f, _ := rx.Dims()
	frob := mat.Norm(rx, 2)
	bound := min(frob*frob, mat.Norm(rx, 1)*mat.Norm(rx, math.Inf(1)))
	return alpha > 10*float64(f)*machineEps(dt)*(bound+alpha)
}

// augmentedSolve returns W = (RₓᵀRₓ + αI)⁻¹·RₓᵀQᵀY as the least-squares solution of
// [Rₓ; √α·I]·W ≈ [QᵀY; 0]: one QR of a 2f × (f+out) matrix and a triangular solve, the standard
// stable form of ridge regression. It is what svdSolve computes when the cutoff drops nothing,
// up to rounding, in a fraction of the time (the SVD's bidiagonal iterations dominate a fit).
func augmentedSolve(rx, qty *mat.Dense, alpha float64) ([]float64, error) {
	f, out := qty.Dims()
	// householder.QR needs at least as many rows as columns: zero rows pad it when there are more
	// outputs than features, and change neither the factor nor the solution.
	a := mat.NewDense(max(2*f, f+out), f+out, nil)
	a.Slice(0, f, 0, f).(*mat.Dense).Copy(rx)
	a.Slice(0, f, f, f+out).(*mat.Dense).Copy(qty)
	sq := math.Sqrt(alpha)
	for i := range f {
		a.Set(f+i, i, sq)
	}
	r := upperR(a)
	ra := mat.NewTriDense(f, mat.Upper, nil)
	for i := range f {
		for j := i; j < f; j++ {
			ra.SetTri(i, j, r.At(i, j))
		}
	}
	var w mat.Dense
	if err := w.Solve(ra, r.Slice(0, f, f, f+out)); err != nil {
		return nil, fmt.Errorf("the regularised least-squares factor is singular: %w", err)
	}
	return w.RawMatrix().Data, nil
}

// svdSolve evaluates BrainPy's formula with its pseudo-inverse cutoff from the SVD of Rₓ.
func svdSolve(rx, qty *mat.Dense, alpha float64, dt dtypes.DType) ([]float64, error) {
	f, out := qty.Dims()
	var svd mat.SVD
	if !svd.Factorize(rx, mat.SVDFull) {
		return nil, fmt.Errorf("the SVD of the %d×%d least-squares factor did not converge", f, f)
	}
	s := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	lmax := s[0]*s[0] + alpha
	cutoff := 10 * float64(f) * machineEps(dt) * lmax
	// W = V · diag(σ/(σ²+α) where kept) · Uᵀ · QᵀY
	var uty mat.Dense
	uty.Mul(u.T(), qty)
	for i := range s {
		ev := s[i]*s[i] + alpha
		c := 0.0
		if ev > cutoff {
			c = s[i] / ev
		}
		for j := range out {
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
