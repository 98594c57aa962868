package bpgo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// TestWithoutIdentityTranspose reads GoMLX's Transpose description: an identity permutation
// is dropped, a real one (also of a square matrix, whose shape does not change) is kept. If
// GoMLX changed the description, the first case would fail here rather than the gradients
// quietly keeping their copies.
func TestWithoutIdentityTranspose(t *testing.T) {
	g := graph.NewGraph(Must1(Backend()), "transposes")
	x := graph.Parameter(g, "x", shapes.Make(dtypes.Float32, 3, 3, 2))
	if n := withoutIdentityTranspose(graph.TransposeAllAxes(x, 0, 1, 2)); n != x {
		t.Errorf("identity permutation kept: %s", n)
	}
	for _, perm := range [][]int{{1, 0, 2}, {0, 2, 1}} {
		tr := graph.TransposeAllAxes(x, perm...)
		if n := withoutIdentityTranspose(tr); n != tr {
			t.Errorf("permutation %v dropped", perm)
		}
	}
	if n := withoutIdentityTranspose(graph.Neg(x)); n.Type() != graph.NodeTypeNeg {
		t.Errorf("a non-transpose changed: %s", n)
	}
}

// TestDotGeneralGradient checks the wrapped rule's terms against hand-computed ones for
// y = Σ (x @ w): dx = 1·wᵀ row sums, dw = xᵀ·1.
func TestDotGeneralGradient(t *testing.T) {
	x := Must1(FromFloat64s(dtypes.Float64, []float64{1, 2, 3, 4, 5, 6}, 2, 3))
	w := Must1(FromFloat64s(dtypes.Float64, []float64{1, -1, 2, 0, 3, 1}, 3, 2))
	out := graph.MustExecOnceN(Must1(Backend()), func(x, w *graph.Node) []*graph.Node {
		return graph.Gradient(graph.ReduceAllSum(graph.MatMul(x, w)), x, w)
	}, x, w)
	want := [][]float64{{0, 2, 4, 0, 2, 4}, {5, 5, 7, 7, 9, 9}}
	for i, o := range out {
		got := ToFloat64s(o)
		for j := range got {
			if got[j] != want[i][j] {
				t.Fatalf("gradient %d: %v, want %v", i, got, want[i])
			}
		}
	}
}

// TestMatMulVJPMatchesGoMLX compares bpgo's rule for plain matrix products with GoMLX's on
// every arrangement of the contracted axes and on shapes where either side of contract's
// choice is cheaper, in float64: the terms agree to rounding (the kernels sum in another
// order), and the new rule moves fewer elements where it claims to.
func TestMatMulVJPMatchesGoMLX(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	b := Must1(Backend())
	for _, dims := range [][3]int{{7, 5, 3}, {3, 5, 7}, {256, 100, 10}, {16, 50, 50}, {1, 4, 2}} {
		m, k, n := dims[0], dims[1], dims[2]
		for cl := range 2 {
			for cr := range 2 {
				ls, rs := []int{m, k}, []int{k, n}
				if cl == 0 {
					ls = []int{k, m}
				}
				if cr == 1 {
					rs = []int{n, k}
				}
				l, r := randTensor(rng, ls), randTensor(rng, rs)
				g := randTensor(rng, []int{m, n})
				outs := graph.MustExecOnceN(b, func(l, r, g *graph.Node) []*graph.Node {
					y := graph.DotGeneral(l, []int{cl}, nil, r, []int{cr}, nil)
					ours := matMulVJP(y, g)
					if ours == nil {
						panic("matMulVJP did not take a plain matrix product")
					}
					theirs := gomlxDotGeneralVJP(y, []*graph.Node{g}, y.Shape())
					return append(ours, theirs...)
				}, l, r, g)
				for i := range 2 {
					got, want := ToFloat64s(outs[i]), ToFloat64s(outs[2+i])
					if !outs[i].Shape().Equal(outs[2+i].Shape()) {
						t.Fatalf("%v cl=%d cr=%d term %d: shape %s, GoMLX %s", dims, cl, cr, i, outs[i].Shape(), outs[2+i].Shape())
					}
					for j := range got {
						if d := math.Abs(got[j] - want[j]); d > 1e-13*(1+math.Abs(want[j]))*float64(max(m, k, n)) {
							t.Fatalf("%v cl=%d cr=%d term %d [%d]: %v, GoMLX %v", dims, cl, cr, i, j, got[j], want[j])
						}
					}
				}
			}
		}
	}
}

// TestMatMulVJPDeclines: batched products and products of higher rank keep GoMLX's rule.
func TestMatMulVJPDeclines(t *testing.T) {
	g := graph.NewGraph(Must1(Backend()), "declines")
	a := graph.Parameter(g, "a", shapes.Make(dtypes.Float64, 2, 3, 4))
	c := graph.Parameter(g, "c", shapes.Make(dtypes.Float64, 2, 4, 5))
	y := graph.DotGeneral(a, []int{2}, []int{0}, c, []int{1}, []int{0})
	if matMulVJP(y, graph.OnesLike(y)) != nil {
		t.Error("a batched product took the plain matrix rule")
	}
}

// TestContractMovesLess: for seed 000's SNN weight gradient (x_t (256, 100), g (256, 10))
// contract transposes g and the result, not x.
func TestContractMovesLess(t *testing.T) {
	g := graph.NewGraph(Must1(Backend()), "contract")
	x := graph.Parameter(g, "x", shapes.Make(dtypes.Float64, 256, 100))
	d := graph.Parameter(g, "g", shapes.Make(dtypes.Float64, 256, 10))
	out := contract(x, 0, d, 0)
	if out.Type() != graph.NodeTypeTranspose || out.Inputs()[0].Inputs()[1] != x {
		t.Errorf("contract(x (256,100), g (256,10)) = %s, want the transpose of gᵀ·x", out)
	}
	out = contract(d, 0, x, 0)
	if out.Type() != graph.NodeTypeDotGeneral || out.Inputs()[0].Type() != graph.NodeTypeTranspose || out.Inputs()[0].Inputs()[0] != d {
		t.Errorf("contract(g (256,10), x (256,100)) = %s, want gᵀ·x", out)
	}
}

func randTensor(rng *rand.Rand, dims []int) *tensors.Tensor {
	v := make([]float64, dims[0]*dims[1])
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return Must1(FromFloat64s(dtypes.Float64, v, dims...))
}

// TestContractRightFactorFirst: every product contract builds takes its right factor
// contracted on its first axis (the Go backend's fast kernels), for every arrangement.
func TestContractRightFactorFirst(t *testing.T) {
	g := graph.NewGraph(Must1(Backend()), "contract-layout")
	for _, dims := range [][2]int{{256, 100}, {3, 200}, {128, 2}} {
		for cp := range 2 {
			for cq := range 2 {
				k, a := dims[0], dims[1]
				ps, qs := []int{a, k}, []int{k, 7}
				if cp == 0 {
					ps = []int{k, a}
				}
				if cq == 1 {
					qs = []int{7, k}
				}
				name := fmt.Sprintf("%v-%d-%d", dims, cp, cq)
				p := graph.Parameter(g, "p"+name, shapes.Make(dtypes.Float64, ps...))
				q := graph.Parameter(g, "q"+name, shapes.Make(dtypes.Float64, qs...))
				out := contract(p, cp, q, cq)
				if want := []int{a, 7}; out.Shape().Dimensions[0] != want[0] || out.Shape().Dimensions[1] != want[1] {
					t.Fatalf("contract %v cp=%d cq=%d: shape %s, want %v", dims, cp, cq, out.Shape(), want)
				}
				dot := out
				if dot.Type() == graph.NodeTypeTranspose {
					dot = dot.Inputs()[0]
				}
				m := dotGeneralPattern.FindStringSubmatch(dot.String())
				if m == nil || m[1] != "1" || m[2] != "0" {
					t.Errorf("contract %v cp=%d cq=%d built %s, want lhs contracted on axis 1 and rhs on axis 0", dims, cp, cq, dot)
				}
			}
		}
	}
}
