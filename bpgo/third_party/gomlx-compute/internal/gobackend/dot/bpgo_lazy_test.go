//go:build amd64 && goexperiment.simd

package dot_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot"
	"github.com/gomlx/compute/shapes"
)

// lazyGraph builds online e-prop's chunk end in miniature, over spikes pre (B, K, P), K step
// values w_s and c_s (B, N) each, traces s0 and e0 (B, P, N), a factor m (B, 1, N) and a sum g
// (P, N):
//
//	wk = Stack_s(w_s·2), ck = Stack_s(c_s + 1)    stacks (B, K, N) along axis 1
//	t1 = m·s0 + pre·wk    t2 = m·e0 + s0 + pre·wk'  (wk' = Stack_s(w_s·3)): a group of two
//	                                                large trees, each with a product per trial
//	sum = g·g + Σ_{b,s} pre ⊗ ck                    a small tree with a product over trials and
//	                                                steps
//
// In sequential execution the three products are computed inside the trees that read them,
// and the three stacks are never built: the products read their steps' values.
func lazyGraph(t *testing.T, b compute.Backend, dt dtypes.DType, B, K, P, N int) compute.Executable {
	t.Helper()
	must := func(v compute.Value, err error) compute.Value {
		t.Helper()
		if err != nil {
			t.Fatalf("%+v", err)
		}
		return v
	}
	builder := b.Builder("bpgo_lazy")
	fn := builder.Main()
	param := func(name string, dims ...int) compute.Value {
		return must(fn.Parameter(name, shapes.Make(dt, dims...), nil))
	}
	pre := param("pre", B, K, P)
	s0, e0, m, g := param("s0", B, P, N), param("e0", B, P, N), param("m", B, 1, N), param("g", P, N)
	two, three, one := param("two", B, N), param("three", B, N), param("one", B, N)
	ws, cs := make([]compute.Value, K), make([]compute.Value, K)
	for s := range K {
		ws[s], cs[s] = param(fmt.Sprintf("w%d", s), B, N), param(fmt.Sprintf("c%d", s), B, N)
	}
	stack := func(f func(compute.Value) compute.Value) compute.Value {
		parts := make([]compute.Value, K)
		for s := range K {
			parts[s] = must(fn.Reshape(f(ws[s]), B, 1, N))
		}
		return must(fn.Concatenate(1, parts...))
	}
	wk := stack(func(w compute.Value) compute.Value { return must(fn.Mul(w, two)) })
	wk3 := stack(func(w compute.Value) compute.Value { return must(fn.Mul(w, three)) })
	cparts := make([]compute.Value, K)
	for s := range K {
		cparts[s] = must(fn.Reshape(must(fn.Add(cs[s], one)), B, 1, N))
	}
	ck := must(fn.Concatenate(1, cparts...))
	drive := func(w compute.Value) compute.Value {
		return must(fn.DotGeneral(pre, []int{1}, []int{0}, w, []int{1}, []int{0}, compute.DotGeneralConfig{}))
	}
	t1 := must(fn.Add(must(fn.Mul(m, s0)), drive(wk)))
	t2 := must(fn.Add(must(fn.Add(must(fn.Mul(m, e0)), s0)), drive(wk3)))
	total := must(fn.DotGeneral(pre, []int{0, 1}, nil, ck, []int{0, 1}, nil, compute.DotGeneralConfig{}))
	sum := must(fn.Add(must(fn.Mul(g, g)), total))
	if err := fn.Return([]compute.Value{t1, t2, sum}, nil); err != nil {
		t.Fatalf("%+v", err)
	}
	exec, err := builder.Compile()
	if err != nil {
		t.Fatalf("%+v", err)
	}
	return exec
}

// TestBpgoLazyProducts: the chunk end of lazyGraph gives, in sequential execution (products
// computed inside their trees from the stacked values, stacks never built), bit for bit what
// parallel execution gives (each product and stack an op), and both agree with a direct sum
// in float64. Spikes take that route; a dense left factor and a step value holding Inf take
// the ops' route (the stack built and the product run first), with the same results. The
// cases have rows that straddle the trees' blocks and trials that straddle them too.
func TestBpgoLazyProducts(t *testing.T) {
	gb, ok := backend.(*gobackend.Backend)
	if !ok || !gobackend.IsAVX512Allowed {
		t.Skip("needs the Go backend with AVX-512")
	}
	seq, err := gobackend.New("ops_sequential")
	if err != nil {
		t.Fatal(err)
	}
	defer seq.Finalize()
	rng := rand.New(rand.NewPCG(11, 12))
	for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		for _, c := range []struct {
			name       string
			B, K, P, N int
			density    float64
			inf        bool
			wantLazy   int64 // products computed on demand, all from stacks never built
		}{
			{"spikes", 4, 20, 150, 120, 0.04, false, 3},
			{"spikes, rows across blocks", 3, 17, 141, 100, 0.05, false, 3},
			{"dense left factor", 4, 20, 150, 120, 0.5, false, 0},
			// w3 feeds both drives' stacks, which then run as ops; the sum's stack has no Inf.
			{"Inf in a step value", 4, 20, 150, 120, 0.04, true, 1},
		} {
			B, K, P, N := c.B, c.K, c.P, c.N
			name := fmt.Sprintf("%s %s", dt, c.name)
			vals := map[string][]float64{}
			normal := func(n int) []float64 {
				v := make([]float64, n)
				for i := range v {
					v[i] = rng.NormFloat64()
				}
				return v
			}
			pre := make([]float64, B*K*P)
			for i := range pre {
				if rng.Float64() < c.density {
					pre[i] = 1
				}
			}
			vals["pre"] = pre
			vals["s0"], vals["e0"], vals["m"], vals["g"] = normal(B*P*N), normal(B*P*N), normal(B*N), normal(P*N)
			vals["two"], vals["three"], vals["one"] = normal(B*N), normal(B*N), normal(B*N)
			for s := range K {
				vals[fmt.Sprintf("w%d", s)], vals[fmt.Sprintf("c%d", s)] = normal(B*N), normal(B*N)
			}
			if c.inf {
				vals["w3"][5] = math.Inf(1)
			}
			order := []string{"pre", "s0", "e0", "m", "g", "two", "three", "one"}
			for s := range K {
				order = append(order, fmt.Sprintf("w%d", s), fmt.Sprintf("c%d", s))
			}
			run := func(b compute.Backend) [][]float64 {
				exec := lazyGraph(t, b, dt, B, K, P, N)
				var bufs []compute.Buffer
				for _, k := range order {
					v := vals[k]
					var flat any = v
					if dt == dtypes.Float32 {
						w := make([]float32, len(v))
						for i, x := range v {
							w[i] = float32(x)
						}
						flat = w
					}
					dims := map[string][]int{"pre": {B, K, P}, "s0": {B, P, N}, "e0": {B, P, N}, "m": {B, 1, N}, "g": {P, N}}[k]
					if dims == nil {
						dims = []int{B, N}
					}
					buf, err := b.BufferFromFlatData(0, flat, shapes.Make(dt, dims...))
					if err != nil {
						t.Fatal(err)
					}
					bufs = append(bufs, buf)
				}
				outs, err := exec.Execute(bufs, nil, 0)
				if err != nil {
					t.Fatalf("%s: %+v", name, err)
				}
				var res [][]float64
				for _, o := range outs {
					var r []float64
					switch f := o.(*gobackend.Buffer).Flat.(type) {
					case []float32:
						for _, x := range f {
							r = append(r, float64(x))
						}
					case []float64:
						r = append(r, f...)
					}
					res = append(res, r)
				}
				return res
			}
			calls, stacked := dot.BpgoLazyCalls.Load(), dot.BpgoLazyStacked.Load()
			got := run(seq)
			lazy, virtual := dot.BpgoLazyCalls.Load()-calls, dot.BpgoLazyStacked.Load()-stacked
			want := run(gb)
			if dot.BpgoLazyCalls.Load()-calls != lazy {
				t.Errorf("%s: parallel execution computed a product on demand", name)
			}
			if lazy != c.wantLazy || virtual != c.wantLazy {
				t.Errorf("%s: %d products computed on demand, %d of them from stacks never built", name, lazy, virtual)
			}
			for i := range want {
				for j := range want[i] {
					if math.Float64bits(got[i][j]) != math.Float64bits(want[i][j]) {
						t.Fatalf("%s: output %d[%d] = %v sequential, %v parallel", name, i, j, got[i][j], want[i][j])
					}
				}
			}
			// The direct sums, for t1 and the trial-and-step sum.
			tol := 1e-9
			if dt == dtypes.Float32 {
				tol = 1e-3
			}
			at := func(k string, i int) float64 {
				x := vals[k][i]
				if dt == dtypes.Float32 {
					return float64(float32(x))
				}
				return x
			}
			for _, i := range []int{0, 7 * N, B*P*N - 1, (B/2)*P*N + 3*N + 11} {
				b, p, n := i/(P*N), i/N%P, i%N
				d := at("m", b*N+n) * at("s0", i)
				for s := range K {
					d += at("pre", (b*K+s)*P+p) * at(fmt.Sprintf("w%d", s), b*N+n) * at("two", b*N+n)
				}
				if math.Abs(d-want[0][i]) > tol*(1+math.Abs(d)) && !c.inf {
					t.Errorf("%s: t1[%d] = %v, want %v", name, i, want[0][i], d)
				}
				pn := i % (P * N)
				p, n = pn/N, pn%N
				d = at("g", pn) * at("g", pn)
				for b := range B {
					for s := range K {
						d += at("pre", (b*K+s)*P+p) * (at(fmt.Sprintf("c%d", s), b*N+n) + at("one", b*N+n))
					}
				}
				if math.Abs(d-want[2][pn]) > tol*(1+math.Abs(d)) {
					t.Errorf("%s: sum[%d] = %v, want %v", name, pn, want[2][pn], d)
				}
			}
		}
	}
}
