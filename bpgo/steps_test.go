package bpgo

import (
	"slices"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// seq is a (B, T, F) or (T,) tensor of dtype dt holding 0, 1, 2, … in row-major order.
func seq(dt dtypes.DType, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(i)
	}
	return Must1(FromFloat64s(dt, v, dims...))
}

// The host helpers that cut and join sequences along time copy values in their dtype (or
// convert once, for timeChunk) and never lose the order of trials, steps and features.
func TestStepHelpers(t *testing.T) {
	for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		x := seq(dt, 2, 5, 3) // value = (b*5 + t)*3 + f
		want := func(b, t, f int) float64 { return float64((b*5+t)*3 + f) }

		// timeChunk, also converting to the other dtype.
		for _, to := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
			c := Must1(timeChunk(x, to, 1, 3))
			if c.DType() != to || !slices.Equal(c.Shape().Dimensions, []int{2, 3, 3}) {
				t.Fatalf("timeChunk(%s → %s): got %s %v", dt, to, c.DType(), c.Shape().Dimensions)
			}
			got := ToFloat64s(c)
			for b := range 2 {
				for s := range 3 {
					for f := range 3 {
						if g := got[(b*3+s)*3+f]; g != want(b, s+1, f) {
							t.Fatalf("timeChunk(%s → %s)[%d,%d,%d] = %v, want %v", dt, to, b, s, f, g, want(b, s+1, f))
						}
					}
				}
			}
		}

		// concatTime of chunks of 2 and 3 steps gives the sequence back.
		a, b := Must1(timeChunk(x, dt, 0, 2)), Must1(timeChunk(x, dt, 2, 3))
		joined := Must1(concatTime([]*tensors.Tensor{a, b}))
		if joined.DType() != dt || !slices.Equal(ToFloat64s(joined), ToFloat64s(x)) {
			t.Fatalf("concatTime(%s): got %v, want %v", dt, ToFloat64s(joined), ToFloat64s(x))
		}

		// stepCopy pads with zeros after k steps; trimSteps keeps the first k.
		w := Must1(stepCopy(x, 3, 2, 4))
		gw := ToFloat64s(w)
		for bi := range 2 {
			for s := range 4 {
				for f := range 3 {
					exp := 0.0
					if s < 2 {
						exp = want(bi, s+3, f)
					}
					if g := gw[(bi*4+s)*3+f]; g != exp {
						t.Fatalf("stepCopy(%s)[%d,%d,%d] = %v, want %v", dt, bi, s, f, g, exp)
					}
				}
			}
		}
		if tr := trimSteps(w, 2); !slices.Equal(ToFloat64s(tr), ToFloat64s(Must1(timeChunk(x, dt, 3, 2)))) {
			t.Fatalf("trimSteps(%s): got %v", dt, ToFloat64s(tr))
		}

		// Per-step scalars (T,): joined and cut along axis 0.
		s := seq(dt, 7)
		st := &stager{backend: Must1(Backend())}
		parts := []*tensors.Tensor{Must1(monitorSlice(st, 0, s, allRows(s), 0, 4)), Must1(monitorSlice(st, 0, s, allRows(s), 4, 3))}
		if g := ToFloat64s(parts[1]); !slices.Equal(g, []float64{4, 5, 6}) {
			t.Fatalf("monitorSlice(%s) of (T,): got %v", dt, g)
		}
		if g := Must1(joinMonitor(parts)); !slices.Equal(ToFloat64s(g), ToFloat64s(s)) || g.Rank() != 1 {
			t.Fatalf("joinMonitor(%s) of (T,): got %v", dt, ToFloat64s(g))
		}
		if g := ToFloat64s(trimSteps(seq(dt, 6), 2)); !slices.Equal(g, []float64{0, 1}) {
			t.Fatalf("trimSteps(%s) of (T,): got %v", dt, g)
		}
	}
	if _, err := concatTime([]*tensors.Tensor{seq(dtypes.Float32, 1, 2, 1), seq(dtypes.Float64, 1, 2, 1)}); err == nil {
		t.Fatal("concatTime of float32 and float64 chunks: want an error")
	}
}

// stepper gives each step's rows (B, ...) of a batch-first sequence, both by gathering every
// sample's run straight from it and by one time-major transpose, for rank-3 and rank-4 steps.
func TestStepper(t *testing.T) {
	defer func(old int) { gatherRunBytes = old }(gatherRunBytes)
	b := Must1(Backend())
	for _, dims := range [][]int{{2, 5, 3}, {3, 4, 2, 3}} {
		x := seq(dtypes.Float64, dims...)
		feat := 1
		for _, d := range dims[2:] {
			feat *= d
		}
		for _, run := range []int{1, 1 << 30} { // gather straight / transpose first
			gatherRunBytes = run
			for step := range dims[1] {
				out := Must1(graph.ExecOnce(b, func(s *graph.Node) *graph.Node { return stepper(s, dims[1])(step) }, x))
				got := ToFloat64s(out)
				if want := append([]int{dims[0]}, dims[2:]...); !slices.Equal(out.Shape().Dimensions, want) {
					t.Fatalf("dims %v, run %d, step %d: shape %v, want %v", dims, run, step, out.Shape().Dimensions, want)
				}
				for i := range dims[0] {
					for f := range feat {
						if w := float64((i*dims[1]+step)*feat + f); got[i*feat+f] != w {
							t.Fatalf("dims %v, run %d, step %d: [%d, %d] = %v, want %v", dims, run, step, i, f, got[i*feat+f], w)
						}
					}
				}
			}
		}
	}
}
