package initializers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// Orthogonal is BrainPy's Orthogonal(scale=1., axis=-1): a uniformly distributed (Haar)
// orthogonal matrix times Scale, as used for recurrent weights (e.g. GRU).
//
// The weight is viewed as a matrix with one row per index of the other axes (flattened in
// row-major order) and one column per index of Axis. If that matrix has fewer rows than columns
// its rows are orthonormal, otherwise its columns are. For a 2-D (in, out) weight with the
// default Axis: W·Wᵀ = Scale²·I when in <= out, Wᵀ·W = Scale²·I when in >= out.
//
// It is drawn like JAX's orthogonal initializer: the QR decomposition of a tall Gaussian matrix,
// with each column of Q multiplied by the sign of the matching diagonal entry of R so that the
// result is Haar distributed rather than biased by the QR convention.
//
// Every field is used as given; OrthogonalDefaults() is BrainPy's default (Scale 1, Axis -1).
// Scale must be finite and non-zero. Axis counts like a Python index: 0 the first axis, -1 the
// last, -2 the one before it, and so on. The weight must have rank >= 2.
type Orthogonal struct {
	Scale float64
	Axis  int
}

// OrthogonalDefaults returns BrainPy's Orthogonal(): Scale 1 over the last axis (Axis -1).
func OrthogonalDefaults() Orthogonal { return Orthogonal{Scale: 1, Axis: -1} }

// Init implements Initializer.
func (o Orthogonal) Init(rng *rand.Rand, dims ...int) ([]float64, error) {
	scale := o.Scale
	if scale == 0 || math.IsNaN(scale) || math.IsInf(scale, 0) {
		return nil, fmt.Errorf("initializers.Orthogonal: Scale: want a finite non-zero number, got %v (BrainPy's default is 1: start from initializers.OrthogonalDefaults())", o.Scale)
	}
	if len(dims) < 2 {
		return nil, fmt.Errorf("initializers.Orthogonal needs a weight of rank >= 2, got shape %v", dims)
	}
	axis := o.Axis
	if axis < 0 {
		axis += len(dims)
	}
	if axis < 0 || axis >= len(dims) {
		return nil, fmt.Errorf("initializers.Orthogonal: Axis: want -%d..%d for shape %v, got %d", len(dims), len(dims)-1, dims, o.Axis)
	}
	nCols := dims[axis]         // BrainPy's n_rows: the length of Axis
	nRows := size(dims) / nCols // BrainPy's n_cols: everything else
	// Draw a tall m×n Gaussian matrix (m >= n) and take its thin Q.
	m, n := max(nRows, nCols), min(nRows, nCols)
	q := qrHaar(rng, m, n)
	// q is m×n. When Axis is the longer side (nCols > nRows) the matrix we want is qᵀ.
	at := func(r, c int) float64 {
		if nCols > nRows {
			return q[c*n+r]
		}
		return q[r*n+c]
	}
	// Scatter: element (i_0, ..., i_{k-1}) takes row = flat index of the other axes, col = i_axis.
	inner := 1 // product of the dimensions after axis
	for _, d := range dims[axis+1:] {
		inner *= d
	}
	out := make([]float64, size(dims))
	for flat := range out {
		outer, rest := flat/(nCols*inner), flat%(nCols*inner)
		col, in := rest/inner, rest%inner
		out[flat] = scale * at(outer*inner+in, col)
	}
	return out, nil
}

// qrHaar returns the m×n (m >= n) thin Q factor, row-major, of an m×n standard Gaussian
// matrix, its columns sign-corrected by diag(R) (gonum's LAPACK Dgeqrf + Dorgqr, which forms
// only the n columns needed instead of mat.QR's full m×m Q).
func qrHaar(rng *rand.Rand, m, n int) []float64 {
	a := blas64.General{Rows: m, Cols: n, Stride: n, Data: make([]float64, m*n)}
	for i := range a.Data {
		a.Data[i] = rng.NormFloat64()
	}
	tau := make([]float64, n)
	work := make([]float64, 1)
	lapack64.Geqrf(a, tau, work, -1)
	work = make([]float64, max(int(work[0]), n))
	lapack64.Geqrf(a, tau, work, len(work))
	signs := make([]float64, n)
	for j := range signs {
		signs[j] = 1
		if a.Data[j*n+j] < 0 { // R's diagonal; sign(0) is taken as +1
			signs[j] = -1
		}
	}
	lapack64.Orgqr(a, tau, work, -1)
	if need := int(work[0]); need > len(work) {
		work = make([]float64, need)
	}
	lapack64.Orgqr(a, tau, work, len(work))
	for i := range m {
		row := a.Data[i*n : (i+1)*n]
		for j := range row {
			row[j] *= signs[j]
		}
	}
	return a.Data
}

// Identity is BrainPy's Identity(value=1.): Scale times the identity matrix for a 2-D weight;
// a non-square (r, c) weight gets Scale on its main diagonal i == j. Scale is used as given
// (Identity{} is a zero matrix); BrainPy's default is Identity{Scale: 1}.
type Identity struct{ Scale float64 }

// Init implements Initializer.
func (id Identity) Init(_ *rand.Rand, dims ...int) ([]float64, error) {
	scale := id.Scale
	if math.IsNaN(scale) || math.IsInf(scale, 0) {
		return nil, fmt.Errorf("initializers.Identity: Scale: want a finite number, got %v", id.Scale)
	}
	if len(dims) != 2 {
		return nil, fmt.Errorf("initializers.Identity needs a 2-D weight, got shape %v", dims)
	}
	out := make([]float64, size(dims))
	for i := range min(dims[0], dims[1]) {
		out[i*dims[1]+i] = scale
	}
	return out, nil
}
