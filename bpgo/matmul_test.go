package bpgo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestMatMulRows: MatMul and MatMulT equal graph.MatMul (to rounding: the padded kernel sums
// in another order) for every number of rows around the 4-row tile, and on the Go backend the
// rows are padded exactly when M is not a multiple of 4 and the product is small.
func TestMatMulRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	goBackend := Must1(Backend()).String() == gobackend.BackendName
	for _, kn := range [][2]int{{3, 5}, {400, 400}, {64, 1}} {
		for m := 1; m <= 9; m++ {
			k, n := kn[0], kn[1]
			x, w, wt := randTensor(rng, []int{m, k}), randTensor(rng, []int{k, n}), randTensor(rng, []int{n, k})
			var padded [2]bool
			out := graph.MustExecOnceN(Must1(Backend()), func(x, w, wt *graph.Node) []*graph.Node {
				a, b := MatMul(x, w), MatMulT(x, wt)
				padded = [2]bool{a.Type() == graph.NodeTypeSlice, b.Type() == graph.NodeTypeSlice}
				return []*graph.Node{a, graph.MatMul(x, w), b, graph.MatMul(x, graph.Transpose(wt, 0, 1))}
			}, x, w, wt)
			for i := 0; i < 4; i += 2 {
				got, want := ToFloat64s(out[i]), ToFloat64s(out[i+1])
				if s := out[i].Shape().Dimensions; s[0] != m || s[1] != n {
					t.Fatalf("m=%d k=%d n=%d: result %d has shape %v", m, k, n, i/2, s)
				}
				for j := range want {
					if math.Abs(got[j]-want[j]) > 1e-12*(1+math.Abs(want[j])) {
						t.Fatalf("m=%d k=%d n=%d, product %d: [%d] = %v, want %v", m, k, n, i/2, j, got[j], want[j])
					}
				}
				wantPad := goBackend && m%4 != 0 && m*(k+n) < (m%4)*k*n
				if padded[i/2] != wantPad {
					t.Errorf("m=%d k=%d n=%d, product %d: padded %v, want %v", m, k, n, i/2, padded[i/2], wantPad)
				}
			}
		}
	}
	// The cases the rule is for: a batch-1 step is padded; above the small-kernel bound the
	// backend packs its operands, and a few leftover rows of many cost less than the copies.
	g := graph.NewGraph(Must1(Backend()), "sizes")
	for _, c := range []struct {
		m, k, n int
		pad     bool
	}{{1, 400, 400, true}, {3, 100, 100, true}, {3, 1024, 2048, false}, {130, 100, 100, false}} {
		p := MatMul(graph.Zeros(g, f32Shape(c.m, c.k)), graph.Zeros(g, f32Shape(c.k, c.n)))
		if got := p.Type() == graph.NodeTypeSlice; got != (c.pad && goBackend) {
			t.Errorf("(%d,%d)@(%d,%d): padded %v, want %v", c.m, c.k, c.k, c.n, got, c.pad && goBackend)
		}
	}
}

// TestMatMulGradient checks both products' gradients against central finite differences of
// L = Σ c ⊙ (x·w) in float64, at 3 rows (padded on the Go backend).
func TestMatMulGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const m, k, n = 3, 5, 2
	for _, transposed := range []bool{false, true} {
		wd := []int{k, n}
		if transposed {
			wd = []int{n, k}
		}
		x, w, c := randTensor(rng, []int{m, k}), randTensor(rng, wd), randTensor(rng, []int{m, n})
		prod := func(x, w *graph.Node) *graph.Node {
			if transposed {
				return MatMulT(x, w)
			}
			return MatMul(x, w)
		}
		loss := func(x, w, c *graph.Node) *graph.Node { return graph.ReduceAllSum(graph.Mul(c, prod(x, w))) }
		exec := graph.MustNewExec(Must1(Backend()), func(x, w, c *graph.Node) []*graph.Node {
			l := loss(x, w, c)
			return append([]*graph.Node{l}, graph.Gradient(l, x, w)...)
		})
		res := exec.MustExec(x, w, c)
		for arg, v := range []*tensors.Tensor{x, w} {
			grad := ToFloat64s(res[1+arg])
			base := ToFloat64s(v)
			for i := range base {
				at := func(d float64) float64 {
					p := append([]float64(nil), base...)
					p[i] += d
					pt := Must1(FromFloat64s(v.DType(), p, v.Shape().Dimensions...))
					in := []*tensors.Tensor{x, w, c}
					in[arg] = pt
					return ToFloat64s(exec.MustExec(in[0], in[1], in[2])[0])[0]
				}
				const h = 1e-6
				fd := (at(h) - at(-h)) / (2 * h)
				if math.Abs(fd-grad[i]) > 1e-7*(1+math.Abs(fd)) {
					t.Errorf("transposed=%v d/d%s[%d] = %v, finite difference %v", transposed, []string{"x", "w"}[arg], i, grad[i], fd)
				}
			}
		}
	}
}

// TestMatMulBadShapes: mismatched operands are a panic naming the function and the shapes.
func TestMatMulBadShapes(t *testing.T) {
	g := graph.NewGraph(Must1(Backend()), "bad")
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"bpgo.MatMul", func() { MatMul(graph.Zeros(g, f32Shape(2, 3)), graph.Zeros(g, f32Shape(4, 5))) }},
		{"bpgo.MatMulT", func() { MatMulT(graph.Zeros(g, f32Shape(2, 3)), graph.Zeros(g, f32Shape(3, 4))) }},
		{"bpgo.MatMul", func() { MatMul(graph.Zeros(g, f32Shape(3)), graph.Zeros(g, f32Shape(3, 4))) }},
	} {
		func() {
			defer func() {
				msg := fmt.Sprint(recover())
				if !strings.Contains(msg, c.name) || !strings.Contains(msg, "want x (M, K)") {
					t.Errorf("panic %q, want one naming %s and the expected shapes", msg, c.name)
				}
			}()
			c.f()
		}()
	}
}

func f32Shape(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }
