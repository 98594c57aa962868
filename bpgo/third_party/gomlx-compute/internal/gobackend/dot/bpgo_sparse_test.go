//go:build amd64 && goexperiment.simd

package dot_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot"
	"github.com/gomlx/compute/support/testutil"
)

// sparseCase is a product (batch, n, k)·(batch, k, m) whose lhs has the given density of
// nonzeros; spikes makes them all 1.
type sparseCase struct {
	batch, n, k, m int
	density        float64
	spikes         bool
}

// runProduct runs lhs·rhs through the backend with bpgo's sparse path on or off and reports
// whether the sparse path computed it.
func runProduct[T float32 | float64](t *testing.T, lhs, rhs [][][]T, sparse bool) ([][][]T, bool) {
	t.Helper()
	defer func(on bool) { *dot.BpgoSparseOn = on }(*dot.BpgoSparseOn)
	*dot.BpgoSparseOn = sparse
	before := dot.BpgoSparseCalls.Load()
	y, err := testutil.Exec1(backend, []any{lhs, rhs}, func(f compute.Function, params []compute.Value) (compute.Value, error) {
		return f.DotGeneral(params[0], []int{2}, []int{0}, params[1], []int{1}, []int{0}, compute.DotGeneralConfig{})
	})
	if err != nil {
		t.Fatal(err)
	}
	return y.([][][]T), dot.BpgoSparseCalls.Load() > before
}

func sparseOperands[T float32 | float64](c sparseCase, rng *rand.Rand) (lhs, rhs [][][]T) {
	lhs, rhs = make([][][]T, c.batch), make([][][]T, c.batch)
	for b := range c.batch {
		lhs[b], rhs[b] = make([][]T, c.n), make([][]T, c.k)
		for i := range lhs[b] {
			lhs[b][i] = make([]T, c.k)
			for j := range lhs[b][i] {
				switch {
				case rng.Float64() >= c.density:
					if rng.IntN(4) == 0 {
						lhs[b][i][j] = T(math.Copysign(0, -1)) // −0 is a zero too
					}
				case c.spikes:
					lhs[b][i][j] = 1
				default:
					lhs[b][i][j] = T(rng.NormFloat64())
				}
			}
		}
		for i := range rhs[b] {
			rhs[b][i] = make([]T, c.m)
			for j := range rhs[b][i] {
				rhs[b][i][j] = T(rng.NormFloat64())
			}
		}
	}
	return lhs, rhs
}

// sameBits reports whether a and b hold the same values to the bit (NaNs of any payload
// count as equal).
func sameBits[T float32 | float64](a, b [][][]T) bool {
	for i := range a {
		for j := range a[i] {
			for k := range a[i][j] {
				x, y := float64(a[i][j][k]), float64(b[i][j][k])
				if math.IsNaN(x) && math.IsNaN(y) {
					continue
				}
				if math.Float64bits(x) != math.Float64bits(y) {
					return false
				}
			}
		}
	}
	return true
}

// TestBpgoSparseMatchesDense: products with a mostly-zero lhs take the sparse path and give
// the dense kernels' results to the bit, for spikes and for general values, every column
// leftover (m % 16 and m % 8 from 0 up), batched or not; a denser lhs takes the dense kernels.
func TestBpgoSparseMatchesDense(t *testing.T) {
	if _, ok := backend.(*gobackend.Backend); !ok || !gobackend.IsAVX512Allowed {
		t.Skip("needs the Go backend with AVX-512")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []sparseCase{
		{1, 128, 100, 100, 0.03, true}, {1, 100, 128, 100, 0.03, true}, {1, 128, 40, 100, 0.04, true},
		{1, 40, 128, 100, 0.05, false}, {3, 30, 20, 24, 0.1, false}, {1, 37, 300, 64, 0.02, false},
		{1, 17, 50, 16, 0.12, true}, {1, 9, 64, 17, 0, true}, {2, 64, 33, 79, 0.08, false},
	}
	check := func(name string, c sparseCase, run func(sparse bool) (same, took bool)) {
		same, took := run(true)
		if !took {
			t.Errorf("%s %+v: the sparse path did not run", name, c)
		}
		if !same {
			t.Errorf("%s %+v: the sparse path's result differs from the dense kernels'", name, c)
		}
	}
	for _, c := range cases {
		check("float32", c, func(bool) (bool, bool) {
			l, r := sparseOperands[float32](c, rng)
			want, _ := runProduct(t, l, r, false)
			got, took := runProduct(t, l, r, true)
			return sameBits(want, got), took
		})
		if c.m >= 8 {
			check("float64", c, func(bool) (bool, bool) {
				l, r := sparseOperands[float64](c, rng)
				want, _ := runProduct(t, l, r, false)
				got, took := runProduct(t, l, r, true)
				return sameBits(want, got), took
			})
		}
	}
	dense := sparseCase{1, 128, 100, 100, 0.5, true}
	l, r := sparseOperands[float32](dense, rng)
	if _, took := runProduct(t, l, r, true); took {
		t.Errorf("%+v: an lhs with half its values nonzero took the sparse path", dense)
	}
}

// TestBpgoSparseNonFinite: an rhs holding Inf or NaN takes the dense kernels, so that 0·Inf is
// NaN as there; a NaN in lhs goes through the sparse path and spreads as in the dense kernels.
func TestBpgoSparseNonFinite(t *testing.T) {
	if _, ok := backend.(*gobackend.Backend); !ok || !gobackend.IsAVX512Allowed {
		t.Skip("needs the Go backend with AVX-512")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	c := sparseCase{1, 64, 100, 40, 0.03, true}
	for _, bad := range []float32{float32(math.Inf(1)), float32(math.NaN())} {
		l, r := sparseOperands[float32](c, rng)
		r[0][7][5] = bad
		want, _ := runProduct(t, l, r, false)
		got, took := runProduct(t, l, r, true)
		if took {
			t.Errorf("rhs holding %v took the sparse path", bad)
		}
		if !sameBits(want, got) {
			t.Errorf("rhs holding %v: results differ", bad)
		}
	}
	l, r := sparseOperands[float32](c, rng)
	l[0][3][11] = float32(math.NaN())
	want, _ := runProduct(t, l, r, false)
	got, took := runProduct(t, l, r, true)
	if !took || !sameBits(want, got) || !math.IsNaN(float64(got[0][3][0])) {
		t.Errorf("NaN in lhs: sparse path %v, same as dense %v, row 3 NaN %v; want all true", took, sameBits(want, got), math.IsNaN(float64(got[0][3][0])))
	}
}

// BenchmarkBpgoSparse times the sparse path (the density scan, the finite check of rhs and the
// product) on e-prop's recurrent step product, (128,100)·(100,100) float32 with 3% spikes, and
// its weight gradient's (100,128)·(128,100). BenchmarkBpgoVectorTails in matmul/avx512 times the
// dense kernel on the first.
func BenchmarkBpgoSparse(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []sparseCase{{1, 128, 100, 100, 0.03, true}, {1, 100, 128, 100, 0.03, true}} {
		l, r := sparseOperands[float32](c, rng)
		lf, rf, out := make([]float32, 0, c.n*c.k), make([]float32, 0, c.k*c.m), make([]float32, c.n*c.m)
		for i := range l[0] {
			lf = append(lf, l[0][i]...)
		}
		for i := range r[0] {
			rf = append(rf, r[0][i]...)
		}
		b.Run(fmt.Sprintf("%dx%dx%d", c.n, c.k, c.m), func(b *testing.B) {
			for b.Loop() {
				if !dot.BpgoSparse32(lf, rf, out, c.n, c.m, c.k) {
					b.Fatal("the sparse path declined")
				}
			}
		})
	}
}

// runContractFirst runs lhs (batch, k, n)·rhs (batch, k, m), contracted on k, with bpgo's paths
// on or off, and reports whether the sparse kernel computed it.
func runContractFirst[T float32 | float64](t *testing.T, lhs, rhs [][][]T, on bool) ([][][]T, bool) {
	t.Helper()
	defer func(was bool) { *dot.BpgoSparseOn = was }(*dot.BpgoSparseOn)
	*dot.BpgoSparseOn = on
	before := dot.BpgoSparseCalls.Load()
	y, err := testutil.Exec1(backend, []any{lhs, rhs}, func(f compute.Function, params []compute.Value) (compute.Value, error) {
		return f.DotGeneral(params[0], []int{1}, []int{0}, params[1], []int{1}, []int{0}, compute.DotGeneralConfig{})
	})
	if err != nil {
		t.Fatal(err)
	}
	return y.([][][]T), dot.BpgoSparseCalls.Load() > before
}

// transposed returns x (batch, r, c) as (batch, c, r).
func transposed[T any](x [][][]T) [][][]T {
	out := make([][][]T, len(x))
	for b, m := range x {
		out[b] = make([][]T, len(m[0]))
		for c := range out[b] {
			out[b][c] = make([]T, len(m))
			for r := range m {
				out[b][c][r] = m[r][c]
			}
		}
	}
	return out
}

// TestBpgoContractFirst: a product whose lhs has its contracting axis first, (batch, k, n), and
// is mostly zeros takes the sparse kernel without a transpose, and gives what the plain layout's
// sparse kernel gives for the transposed lhs, to the bit; a dense lhs, or an rhs holding Inf,
// gives upstream's result (both factors transposed, LayoutTransposed's kernel) to the bit.
func TestBpgoContractFirst(t *testing.T) {
	if _, ok := backend.(*gobackend.Backend); !ok || !gobackend.IsAVX512Allowed {
		t.Skip("needs the Go backend with AVX-512")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	// sparseCase's n and k are the transposed lhs's: lhs here is (batch, k, n).
	cases := []sparseCase{
		{64, 140, 100, 100, 0.03, true}, {1, 140, 6400, 100, 0.03, true}, {2, 37, 50, 17, 0.1, false},
		{3, 9, 64, 16, 0.05, true}, {1, 130, 40, 79, 0.08, false}, {2, 21, 19, 33, 0, true},
	}
	for _, c := range cases {
		for _, f64 := range []bool{false, true} {
			name := fmt.Sprintf("%+v float64=%v", c, f64)
			if f64 {
				l, r := sparseOperands[float64](c, rng)
				lk := transposed(l)
				got, took := runContractFirst(t, lk, r, true)
				want, _ := runProduct(t, l, r, true)
				if !took || !sameBits(got, want) {
					t.Errorf("%s: sparse kernel %v, same as the plain layout's %v; want both", name, took, sameBits(got, want))
				}
				continue
			}
			l, r := sparseOperands[float32](c, rng)
			lk := transposed(l)
			got, took := runContractFirst(t, lk, r, true)
			want, _ := runProduct(t, l, r, true)
			if !took || !sameBits(got, want) {
				t.Errorf("%s: sparse kernel %v, same as the plain layout's %v; want both", name, took, sameBits(got, want))
			}
		}
	}
	// Dense lhs, and a sparse one with Inf in rhs: upstream's route, to the bit.
	for _, c := range []sparseCase{{2, 40, 30, 50, 0.6, false}, {1, 64, 100, 40, 0.03, true}} {
		l, r := sparseOperands[float32](c, rng)
		if c.density < 0.5 {
			r[0][7][5] = float32(math.Inf(1))
		}
		lk := transposed(l)
		got, took := runContractFirst(t, lk, r, true)
		want, wantTook := runContractFirst(t, lk, r, false)
		if took || wantTook || !sameBits(got, want) {
			t.Errorf("%+v: sparse kernel %v (upstream %v), same as upstream %v; want false, false, true", c, took, wantTook, sameBits(got, want))
		}
	}
}

// TestBpgoContractFirstSharedLists: contract-first products reading the same value of a sparse
// lhs share its nonzero lists (as (batch, k, n) batches and as one (batch·k, n) contraction),
// and give what each product gives alone, to the bit. A value computed from lhs in the graph
// gets lists of its own, and an execution of the same graph with lhs's buffer rewritten in
// place (as a caller's shared memory is) does not reuse the last execution's lists. Keeping no
// lists (a hit count of 0) or keeping them across values (stale lists: wrong products) fails it.
func TestBpgoContractFirstSharedLists(t *testing.T) {
	gb, ok := backend.(*gobackend.Backend)
	if !ok || !gobackend.IsAVX512Allowed {
		t.Skip("needs the Go backend with AVX-512")
	}
	// One op at a time, so that which product builds the lists and which finds them is fixed
	// (two products run side by side may both build them).
	defer func(was gobackend.OpsExecutionType) { gb.OpsExecutionType = was }(gb.OpsExecutionType)
	gb.OpsExecutionType = gobackend.OpsExecutionSequential
	rng := rand.New(rand.NewPCG(9, 10))
	c := sparseCase{8, 30, 50, 20, 0.05, false}
	l, r1 := sparseOperands[float32](c, rng)
	_, r2 := sparseOperands[float32](c, rng)
	lk := transposed(l) // (batch, k, n)
	drive := func(f compute.Function, a, b compute.Value) (compute.Value, error) {
		return f.DotGeneral(a, []int{1}, []int{0}, b, []int{1}, []int{0}, compute.DotGeneralConfig{})
	}
	total := func(f compute.Function, a, b compute.Value) (compute.Value, error) {
		return f.DotGeneral(a, []int{0, 1}, nil, b, []int{0, 1}, nil, compute.DotGeneralConfig{})
	}
	// Each product alone, in a graph of its own.
	alone := func(lhs [][][]float32, rhs [][][]float32, fn func(compute.Function, compute.Value, compute.Value) (compute.Value, error)) any {
		y, err := testutil.Exec1(backend, []any{lhs, rhs}, func(f compute.Function, p []compute.Value) (compute.Value, error) {
			return fn(f, p[0], p[1])
		})
		if err != nil {
			t.Fatal(err)
		}
		return y
	}
	square := func(x [][][]float32) [][][]float32 {
		out := make([][][]float32, len(x))
		for b := range x {
			out[b] = make([][]float32, len(x[b]))
			for i := range x[b] {
				out[b][i] = make([]float32, len(x[b][i]))
				for j, v := range x[b][i] {
					out[b][i][j] = v * v
				}
			}
		}
		return out
	}

	builder := backend.Builder("shared-lists")
	fn := builder.Main()
	var params []compute.Value
	var bufs []compute.Buffer
	for i, v := range []any{lk, r1, r2} {
		buf, err := testutil.ToBuffer(backend, v)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := buf.Shape()
		p, err := fn.Parameter(fmt.Sprintf("x%d", i), s, nil)
		if err != nil {
			t.Fatal(err)
		}
		params, bufs = append(params, p), append(bufs, buf)
	}
	var outs []compute.Value
	add := func(v compute.Value, err error) {
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, v)
	}
	add(drive(fn, params[0], params[1]))
	add(drive(fn, params[0], params[2]))
	add(total(fn, params[0], params[1]))
	sq, err := fn.Mul(params[0], params[0])
	if err != nil {
		t.Fatal(err)
	}
	add(drive(fn, sq, params[2]))
	if err := fn.Return(outs, nil); err != nil {
		t.Fatal(err)
	}
	exec, err := builder.Compile()
	if err != nil {
		t.Fatal(err)
	}
	for run := range 2 {
		if run == 1 { // a new value in the same buffer, as a caller's shared tensor would get
			l, _ = sparseOperands[float32](c, rng)
			lk = transposed(l)
			flat := bufs[0].(*gobackend.Buffer).Flat.([]float32)
			i := 0
			for _, m := range lk {
				for _, row := range m {
					i += copy(flat[i:], row)
				}
			}
		}
		hits, calls := dot.BpgoListHits.Load(), dot.BpgoSparseCalls.Load()
		res, err := exec.Execute(bufs, []bool{false, false, false}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := dot.BpgoSparseCalls.Load() - calls; got != 4 {
			t.Errorf("run %d: %d products took the sparse kernel, want 4", run, got)
		}
		if got := dot.BpgoListHits.Load() - hits; got != 1 {
			t.Errorf("run %d: %d products found their lists kept, want 1 (the second drive of lhs)", run, got)
		}
		want := []any{alone(lk, r1, drive), alone(lk, r2, drive), alone(lk, r1, total), alone(square(lk), r2, drive)}
		for i, o := range res {
			got, err := testutil.FromBuffer(backend, o)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want[i]) || !sameAnyBits(got, want[i]) {
				t.Errorf("run %d: product %d differs from the product alone", run, i)
			}
		}
	}
}

// sameAnyBits compares two nested float32 slices of any rank bit for bit.
func sameAnyBits(a, b any) bool {
	fa, _ := testutil.ToFlatAndShape(a)
	fb, _ := testutil.ToFlatAndShape(b)
	x, y := fa.([]float32), fb.([]float32)
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
			return false
		}
	}
	return true
}
