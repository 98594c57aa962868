//go:build amd64 && goexperiment.simd

package gobackend_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
)

// bpgoFuseGraph builds, over parameters x, y, z of shape dims and a scalar c:
//
//	t1 = (x·y + z) / c            a tree of three ops (one scalar operand)
//	t2 = −(t1 − x)·(y − c)        t1 has two uses, so it is a leaf here, not absorbed
//	t3 = c / (x + y)               scalar on the left of a Div
//	out: t2, t3, t1·t1, x + 1      (t1 an output's input twice; x + 1 alone: no tree)
//
// and a shared node that is also an output: s = y·z, outputs s and s + x.
func bpgoFuseGraph(t *testing.T, b compute.Backend, dt dtypes.DType, dims []int) compute.Executable {
	t.Helper()
	must := func(v compute.Value, err error) compute.Value {
		t.Helper()
		if err != nil {
			t.Fatalf("%+v", err)
		}
		return v
	}
	builder := b.Builder("bpgo_fuse")
	fn := builder.Main()
	shape := shapes.Make(dt, dims...)
	x := must(fn.Parameter("x", shape, nil))
	y := must(fn.Parameter("y", shape, nil))
	z := must(fn.Parameter("z", shape, nil))
	c := must(fn.Parameter("c", shapes.Make(dt), nil))
	one := must(fn.Parameter("one", shapes.Make(dt, 1, 1), nil))
	t1 := must(fn.Div(must(fn.Add(must(fn.Mul(x, y)), z)), c))
	t2 := must(fn.Mul(must(fn.Neg(must(fn.Sub(t1, x)))), must(fn.Sub(y, c))))
	t3 := must(fn.Div(c, must(fn.Add(x, y))))
	sq := must(fn.Mul(t1, t1))
	x1 := must(fn.Add(x, one))
	s := must(fn.Mul(y, z))
	sx := must(fn.Add(s, x))
	if err := fn.Return([]compute.Value{t2, t3, sq, x1, s, sx}, nil); err != nil {
		t.Fatalf("%+v", err)
	}
	exec, err := builder.Compile()
	if err != nil {
		t.Fatalf("%+v", err)
	}
	return exec
}

// TestBpgoFuse: the fused executable gives bit for bit the outputs of the unfused one (float32
// and float64, sizes with and without a partial last block, parallel and sequential execution,
// special values), and fuses what it should: t1's, t2's and t3's trees, nothing across the
// twice-used t1 or the output s, and nothing below 1024 elements.
func TestBpgoFuse(t *testing.T) {
	seq, err := gobackend.New("ops_sequential")
	if err != nil {
		t.Fatal(err)
	}
	defer seq.Finalize()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, b := range []compute.Backend{backend, seq} {
		for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
			for _, dims := range [][]int{{128, 100}, {3, 517}, {8, 16}} {
				n := dims[0] * dims[1]
				vals := func(k int) any {
					v := make([]float64, k)
					for i := range v {
						v[i] = rng.NormFloat64()
						if rng.IntN(50) == 0 {
							v[i] = []float64{0, math.Copysign(0, -1), math.Inf(1), math.NaN()}[rng.IntN(4)]
						}
					}
					if dt == dtypes.Float64 {
						return v
					}
					w := make([]float32, k)
					for i, x := range v {
						w[i] = float32(x)
					}
					return w
				}
				inputs := []any{vals(n), vals(n), vals(n), vals(1), vals(1)}
				shapesIn := []shapes.Shape{shapes.Make(dt, dims...), shapes.Make(dt, dims...), shapes.Make(dt, dims...),
					shapes.Make(dt), shapes.Make(dt, 1, 1)}
				run := func(fuse bool) ([][]byte, int, int) {
					defer gobackend.BpgoSetFuse(fuse)()
					exec := bpgoFuseGraph(t, b, dt, dims)
					trees, absorbed := gobackend.BpgoFusedTrees(exec)
					bufs := make([]compute.Buffer, len(inputs))
					for i, v := range inputs {
						buf, err := b.BufferFromFlatData(0, v, shapesIn[i])
						if err != nil {
							t.Fatal(err)
						}
						bufs[i] = buf
					}
					outs, err := exec.Execute(bufs, nil, 0)
					if err != nil {
						t.Fatalf("%+v", err)
					}
					var raw [][]byte
					for _, o := range outs {
						bs, err := o.(*gobackend.Buffer).MutableBytes()
						if err != nil {
							t.Fatal(err)
						}
						raw = append(raw, append([]byte(nil), bs...))
					}
					return raw, trees, absorbed
				}
				want, t0, a0 := run(false)
				got, trees, absorbed := run(true)
				if t0 != 0 || a0 != 0 {
					t.Fatalf("fusion off: %d trees", t0)
				}
				// Trees: t1's (Mul, Add absorbed by Div), t2's (Sub, Neg and y − c absorbed by Mul),
				// t3's (Add absorbed by Div); sq = t1·t1, x1 and sx stay single ops. Tensors below
				// 1024 elements are left alone.
				wantTrees, wantAbsorbed := 3, 6
				if n < 1024 {
					wantTrees, wantAbsorbed = 0, 0
				}
				if trees != wantTrees || absorbed != wantAbsorbed {
					t.Errorf("%s %v: %d trees absorbing %d nodes, want %d and %d", dt, dims, trees, absorbed, wantTrees, wantAbsorbed)
				}
				for i := range want {
					if string(got[i]) != string(want[i]) {
						t.Errorf("%s %v: output %d differs from the unfused run", dt, dims, i)
					}
				}
			}
		}
	}
}

// TestBpgoFuseBroadcast: leaves broadcast along some axes (as online e-prop's per-neuron
// factors scale its (B, P, N) traces) join a tree and give bit for bit the unfused outputs:
//
//	out = (x·a + id(y)·c)·s − x·y    a (B, 1, N), c (B, P, 1), s scalar, id an Identity (a
//	                                 StopGradient's node): one tree, 6 nodes absorbed by its root
//	short = u·v                  v (B, 1, 4): the last axis is too short to be spread, no tree
func TestBpgoFuseBroadcast(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		for _, dims := range [][]int{{4, 37, 100}, {2, 300, 17}} {
			B, P, N := dims[0], dims[1], dims[2]
			mk := func(d ...int) (shapes.Shape, any) {
				sh := shapes.Make(dt, d...)
				v := make([]float64, sh.Size())
				for i := range v {
					v[i] = rng.NormFloat64()
					if rng.IntN(40) == 0 {
						v[i] = []float64{0, math.Inf(-1), math.NaN()}[rng.IntN(3)]
					}
				}
				if dt == dtypes.Float64 {
					return sh, v
				}
				w := make([]float32, len(v))
				for i, x := range v {
					w[i] = float32(x)
				}
				return sh, w
			}
			var ins []shapes.Shape
			var vals []any
			for _, d := range [][]int{{B, P, N}, {B, P, N}, {B, 1, N}, {B, P, 1}, {}, {B, 64, 4}, {B, 1, 4}} {
				sh, v := mk(d...)
				ins, vals = append(ins, sh), append(vals, v)
			}
			run := func(fuse bool) ([][]byte, int, int) {
				defer gobackend.BpgoSetFuse(fuse)()
				builder := backend.Builder("bpgo_fuse_bcast")
				fn := builder.Main()
				must := func(v compute.Value, err error) compute.Value {
					t.Helper()
					if err != nil {
						t.Fatalf("%+v", err)
					}
					return v
				}
				var p []compute.Value
				for i, sh := range ins {
					p = append(p, must(fn.Parameter(string(rune('a'+i)), sh, nil)))
				}
				x, y, a, c, s, u, v := p[0], p[1], p[2], p[3], p[4], p[5], p[6]
				id := must(fn.Identity(y))
				out := must(fn.Sub(must(fn.Mul(must(fn.Add(must(fn.Mul(x, a)), must(fn.Mul(id, c)))), s)), must(fn.Mul(x, y))))
				short := must(fn.Mul(u, v))
				if err := fn.Return([]compute.Value{out, short}, nil); err != nil {
					t.Fatalf("%+v", err)
				}
				exec, err := builder.Compile()
				if err != nil {
					t.Fatalf("%+v", err)
				}
				trees, absorbed := gobackend.BpgoFusedTrees(exec)
				var bufs []compute.Buffer
				for i, val := range vals {
					buf, err := backend.BufferFromFlatData(0, val, ins[i])
					if err != nil {
						t.Fatal(err)
					}
					bufs = append(bufs, buf)
				}
				outs, err := exec.Execute(bufs, nil, 0)
				if err != nil {
					t.Fatalf("%+v", err)
				}
				var raw [][]byte
				for _, o := range outs {
					bs, err := o.(*gobackend.Buffer).MutableBytes()
					if err != nil {
						t.Fatal(err)
					}
					raw = append(raw, append([]byte(nil), bs...))
				}
				return raw, trees, absorbed
			}
			want, _, _ := run(false)
			got, trees, absorbed := run(true)
			wantTrees, wantAbsorbed := 1, 6
			if trees != wantTrees || absorbed != wantAbsorbed {
				t.Errorf("%s %v: %d trees absorbing %d nodes, want %d and %d", dt, dims, trees, absorbed, wantTrees, wantAbsorbed)
			}
			for i := range want {
				if string(got[i]) != string(want[i]) {
					t.Errorf("%s %v: output %d differs from the unfused run", dt, dims, i)
				}
			}
		}
	}
}

// TestBpgoFuseGroup: large trees that share a leaf run as one group in sequential execution,
// a ReduceSum over the leading axis folds into the tree that feeds it, and both give bit for
// bit the unfused outputs (sequential and parallel execution, float32 and float64, a last
// block that is partial and rows that straddle blocks), with results written over the
// donated leaves that nothing reads after the group. Over x, y, z of shape (B, P, N), a of
// shape (B, 1, N) and a scalar c:
//
//	t1 = x·a + y              a tree, an output
//	t2 = (x − z)·c            a tree, an output
//	r0 = Σ_b (x·y + z)        a tree folding its ReduceSum over axis 0, an output
//	r1 = Σ_p (y·z − x)        a sum over axis 1: not folded, its tree grouped
//	u  = x·z + y, v = u·u     u a tree consumed by v before the others' results: the group
//	                          of u, t1, t2, r0's and r1's trees runs before v
//	w  = e·c + c              a tree that shares no leaf of the whole shape: alone
func TestBpgoFuseGroup(t *testing.T) {
	seq, err := gobackend.New("ops_sequential")
	if err != nil {
		t.Fatal(err)
	}
	defer seq.Finalize()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, b := range []compute.Backend{seq, backend} {
		for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
			for _, dims := range [][]int{{4, 140, 120}, {3, 190, 117}} {
				B, P, N := dims[0], dims[1], dims[2]
				var ins []shapes.Shape
				var vals []any
				for _, d := range [][]int{{B, P, N}, {B, P, N}, {B, P, N}, {B, 1, N}, {}, {B, P, N}} {
					sh := shapes.Make(dt, d...)
					v := make([]float64, sh.Size())
					for i := range v {
						v[i] = rng.NormFloat64()
						if rng.IntN(60) == 0 {
							v[i] = []float64{0, math.Copysign(0, -1), math.Inf(1)}[rng.IntN(3)]
						}
					}
					ins = append(ins, sh)
					if dt == dtypes.Float64 {
						vals = append(vals, v)
						continue
					}
					w := make([]float32, len(v))
					for i, x := range v {
						w[i] = float32(x)
					}
					vals = append(vals, w)
				}
				run := func(fuse bool) (raw [][]byte, groups, trees, folded int) {
					defer gobackend.BpgoSetFuse(fuse)()
					builder := b.Builder("bpgo_fuse_group")
					fn := builder.Main()
					must := func(v compute.Value, err error) compute.Value {
						t.Helper()
						if err != nil {
							t.Fatalf("%+v", err)
						}
						return v
					}
					var p []compute.Value
					for i, sh := range ins {
						p = append(p, must(fn.Parameter(string(rune('a'+i)), sh, nil)))
					}
					x, y, z, a, c, e := p[0], p[1], p[2], p[3], p[4], p[5]
					u := must(fn.Add(must(fn.Mul(x, z)), y))
					v := must(fn.Mul(u, u))
					t1 := must(fn.Add(must(fn.Mul(x, a)), y))
					t2 := must(fn.Mul(must(fn.Sub(x, z)), c))
					r0 := must(fn.ReduceSum(must(fn.Add(must(fn.Mul(x, y)), z)), 0))
					r1 := must(fn.ReduceSum(must(fn.Sub(must(fn.Mul(y, z)), x)), 1))
					w := must(fn.Add(must(fn.Mul(e, c)), c))
					if err := fn.Return([]compute.Value{v, t1, t2, r0, r1, w}, nil); err != nil {
						t.Fatalf("%+v", err)
					}
					exec, err := builder.Compile()
					if err != nil {
						t.Fatalf("%+v", err)
					}
					groups, trees, folded = gobackend.BpgoGroups(exec)
					var bufs []compute.Buffer
					for i, val := range vals {
						buf, err := b.BufferFromFlatData(0, val, ins[i])
						if err != nil {
							t.Fatal(err)
						}
						bufs = append(bufs, buf)
					}
					// x, y and z donated: the group writes results over them.
					outs, err := exec.Execute(bufs, []bool{true, true, true, false, false, false}, 0)
					if err != nil {
						t.Fatalf("%+v", err)
					}
					for _, o := range outs {
						bs, err := o.(*gobackend.Buffer).MutableBytes()
						if err != nil {
							t.Fatal(err)
						}
						raw = append(raw, append([]byte(nil), bs...))
					}
					return
				}
				want, g0, _, f0 := run(false)
				writes := gobackend.BpgoInPlaceWrites()
				got, groups, trees, folded := run(true)
				// Sequential execution: u's, t1's and t2's results over x, y and z.
				if w := gobackend.BpgoInPlaceWrites() - writes; b == seq && w != 3 || b != seq && w != 0 {
					t.Errorf("%s %v: %d results written over a leaf", dt, dims, w)
				}
				if g0 != 0 || f0 != 0 {
					t.Fatalf("fusion off: %d groups, %d folded sums", g0, f0)
				}
				if groups != 1 || trees != 5 || folded != 1 {
					t.Errorf("%s %v: %d groups of %d trees, %d folded sums; want 1 of 5, 1", dt, dims, groups, trees, folded)
				}
				for i := range want {
					if string(got[i]) != string(want[i]) {
						t.Errorf("%s %v: output %d differs from the unfused run", dt, dims, i)
					}
				}
			}
		}
	}
}
