package bpgo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestMatMulRows: MatMul and MatMulT against a host triple loop for every number of rows
// around the kernels' 4-row tile and for columns below, at and around their vector widths, in
// float32 and float64. On the Go backend these are the leftover rows and columns that the
// patched kernels (bpgo/third_party/README.md) compute with shifted and scratch tiles.
func TestMatMulRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, dt := range []dtypes.DType{dtypes.Float64, dtypes.Float32} {
		tol := 1e-12
		if dt == dtypes.Float32 {
			tol = 1e-4
		}
		for _, kn := range [][2]int{{3, 5}, {400, 400}, {64, 1}, {100, 10}, {100, 100}, {17, 33}} {
			for _, m := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 130} {
				k, n := kn[0], kn[1]
				x, w := randTensor(rng, []int{m, k}), randTensor(rng, []int{k, n})
				xv, wv := ToFloat64s(x), ToFloat64s(w)
				wt := make([]float64, n*k)
				for i := range k {
					for j := range n {
						wt[j*k+i] = wv[i*n+j]
					}
				}
				cast := func(v []float64, dims ...int) *tensors.Tensor { return Must1(FromFloat64s(dt, v, dims...)) }
				out := graph.MustExecOnceN(Must1(Backend()), func(x, w, wt *graph.Node) []*graph.Node {
					return []*graph.Node{MatMul(x, w), MatMulT(x, wt)}
				}, cast(xv, m, k), cast(wv, k, n), cast(wt, n, k))
				for p, o := range out {
					if s := o.Shape(); s.DType != dt || s.Dimensions[0] != m || s.Dimensions[1] != n {
						t.Fatalf("%s m=%d k=%d n=%d: product %d has shape %s", dt, m, k, n, p, s)
					}
					got := ToFloat64s(o)
					for i := range m {
						for j := range n {
							var want float64
							for l := range k {
								want += xv[i*k+l] * wv[l*n+j]
							}
							if d := got[i*n+j] - want; math.Abs(d) > tol*(1+math.Abs(want))*math.Sqrt(float64(k)) {
								t.Fatalf("%s m=%d k=%d n=%d, product %d: [%d,%d] = %v, want %v", dt, m, k, n, p, i, j, got[i*n+j], want)
							}
						}
					}
				}
			}
		}
	}
}

// TestMatMulGradient checks both products' gradients against central finite differences of
// L = Σ c ⊙ (x·w) in float64, at 3 rows (a leftover row group on the Go backend).
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
