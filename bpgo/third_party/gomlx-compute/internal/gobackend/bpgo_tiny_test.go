//go:build amd64 && goexperiment.simd

package gobackend_test

import (
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
)

// TestBpgoTiny: a chain of steps on (1, 400) vectors (a batch-1 reservoir's) counts as tiny and
// runs sequentially, the same chain on (256, 100) tensors does not, and both give the same
// results however they run.
func TestBpgoTiny(t *testing.T) {
	seq, err := gobackend.New("ops_sequential")
	if err != nil {
		t.Fatal(err)
	}
	defer seq.Finalize()
	for _, c := range []struct {
		dims []int
		tiny bool
	}{{[]int{1, 400}, true}, {[]int{256, 100}, false}} {
		var want []float64
		for _, b := range []compute.Backend{backend, seq} {
			builder := b.Builder("bpgo_tiny")
			fn := builder.Main()
			sh := shapes.Make(dtypes.Float64, c.dims...)
			x, err := fn.Parameter("x", sh, nil)
			if err != nil {
				t.Fatal(err)
			}
			h := x
			for range 20 { // h = tanh(h·x + x), one step after the other
				m, err := fn.Mul(h, x)
				if err != nil {
					t.Fatal(err)
				}
				a, err := fn.Add(m, x)
				if err != nil {
					t.Fatal(err)
				}
				if h, err = fn.Tanh(a); err != nil {
					t.Fatal(err)
				}
			}
			if err := fn.Return([]compute.Value{h}, nil); err != nil {
				t.Fatal(err)
			}
			exec, err := builder.Compile()
			if err != nil {
				t.Fatal(err)
			}
			if got := gobackend.BpgoTiny(exec); got != c.tiny {
				t.Errorf("%v: tiny %v, want %v", c.dims, got, c.tiny)
			}
			in := make([]float64, sh.Size())
			for i := range in {
				in[i] = float64(i%7)/7 - 0.5
			}
			buf, err := b.BufferFromFlatData(0, in, sh)
			if err != nil {
				t.Fatal(err)
			}
			outs, err := exec.Execute([]compute.Buffer{buf}, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			got := append([]float64(nil), outs[0].(*gobackend.Buffer).Flat.([]float64)...)
			if want == nil {
				want = got
				continue
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%v: element %d is %v run sequentially, %v on the default executor", c.dims, i, got[i], want[i])
				}
			}
		}
	}
}
