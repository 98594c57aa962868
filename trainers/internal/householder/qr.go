package householder

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/gonum"
)

// blockSize is the number of columns per panel: the panels are factored with level-2 code, the
// rest of the matrix updated once per panel with matrix products.
const blockSize = 32

// QR overwrites the m×n row-major matrix a (row stride lda, m ≥ n ≥ 1) with its QR
// factorisation in Dgeqrf's layout: R in and above the diagonal, the Householder vectors
// below it. R is the factor gonum's Dgeqrf computes, up to rounding (the same reflections, the
// same blocking; the sums in a different order).
func QR(a []float64, m, n, lda int) error {
	switch {
	case n < 1 || m < n:
		return fmt.Errorf("householder.QR: want m ≥ n ≥ 1, got m=%d, n=%d", m, n)
	case lda < n:
		return fmt.Errorf("householder.QR: want lda ≥ n=%d, got %d", n, lda)
	case len(a) < (m-1)*lda+n:
		return fmt.Errorf("householder.QR: a has %d values, want at least %d", len(a), (m-1)*lda+n)
	}
	var impl gonum.Implementation
	tau := make([]float64, n)
	work := make([]float64, blockSize)
	t := make([]float64, blockSize*blockSize)
	var v, w []float64
	for j := 0; j < n; j += blockSize {
		jb := min(blockSize, n-j)
		rows := m - j
		panel := a[j*lda+j:]
		impl.Dgeqr2(rows, jb, panel, lda, tau[j:j+jb], work)
		cols := n - j - jb
		if cols == 0 {
			break
		}
		impl.Dlarft(lapack.Forward, lapack.ColumnWise, rows, jb, panel, lda, tau[j:j+jb], t, jb)
		// V: the panel's unit lower trapezoidal reflectors, made explicit and dense so that the
		// kernels need not know their shape.
		v = grow(v, rows*jb)
		for i := range rows {
			vi := v[i*jb : (i+1)*jb]
			for r := range jb {
				switch {
				case i > r:
					vi[r] = panel[i*lda+r]
				case i == r:
					vi[r] = 1
				default:
					vi[r] = 0
				}
			}
		}
		c := a[j*lda+j+jb:]
		w = grow(w, jb*cols)
		vtc(w, v, c, rows, jb, cols, lda) // W = Vᵀ·C
		// W = −Tᵀ·W (T upper triangular), so that the last product adds.
		blas64.Implementation().Dtrmm(blas.Left, blas.Upper, blas.Trans, blas.NonUnit, jb, cols, -1, t, jb, w, cols)
		addVW(c, v, w, rows, jb, cols, lda) // C += V·W
	}
	return nil
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// vtcBLAS and addVWBLAS are the two products through gonum's BLAS: the reference for the
// kernels' tests, and the path on CPUs without AVX-512.
func vtcBLAS(w, v, c []float64, m, k, n, ldc int) {
	blas64.Implementation().Dgemm(blas.Trans, blas.NoTrans, k, n, m, 1, v, k, c, ldc, 0, w, n)
}

func addVWBLAS(c, v, w []float64, m, k, n, ldc int) {
	blas64.Implementation().Dgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, v, k, w, n, 1, c, ldc)
}
