package bpgo

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
)

// The stager cuts steps [start, start+k) of a batch-first sequence into one (B, F) tensor per
// step, rewrites the same tensors on the next call, and, when asked, reports the first
// non-finite value as CheckFinite does (same element, same message).
func TestStagerSteps(t *testing.T) {
	for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		s := stager{backend: Must1(Backend())}
		x := seq(dt, 3, 7, 2) // value = (b*7 + t)*2 + f
		for _, span := range [][2]int{{0, 7}, {2, 4}, {6, 1}} {
			start, k := span[0], span[1]
			steps, err := s.steps(x, start, k, true, "xs")
			if err != nil {
				t.Fatalf("%s steps [%d, +%d): %v", dt, start, k, err)
			}
			if len(steps) != k {
				t.Fatalf("%s: %d step tensors, want %d", dt, len(steps), k)
			}
			for ti, st := range steps {
				if d := st.Shape().Dimensions; st.DType() != dt || len(d) != 2 || d[0] != 3 || d[1] != 2 {
					t.Fatalf("%s: step tensor of shape %s, want (3, 2) %s", dt, st.Shape(), dt)
				}
				got := ToFloat64s(st)
				for b := range 3 {
					for f := range 2 {
						if want := float64((b*7+start+ti)*2 + f); got[b*2+f] != want {
							t.Fatalf("%s steps [%d, +%d): step %d [%d, %d] = %v, want %v", dt, start, k, ti, b, f, got[b*2+f], want)
						}
					}
				}
			}
		}
		// The same tensors are rewritten with new data.
		first := Must1(s.steps(x, 0, 2, false, "xs"))
		y := Must1(FromFloat64s(dt, make([]float64, 3*7*2), 3, 7, 2))
		second := Must1(s.steps(y, 0, 2, false, "xs"))
		if first[0] != second[0] {
			t.Errorf("%s: a second call made new tensors", dt)
		}
		if v := ToFloat64s(second[1]); v[5] != 0 {
			t.Errorf("%s: step 1 after rewriting holds %v, want zeros", dt, v)
		}
		for _, bad := range []float64{math.NaN(), math.Inf(-1)} {
			v := ToFloat64s(x)
			v[(1*7+4)*2+1], v[(2*7+0)*2] = bad, bad // the first in order is sample 1's
			z := Must1(FromFloat64s(dt, v, 3, 7, 2))
			want := CheckFinite("xs", z)
			_, err := s.steps(z, 0, 7, true, "xs")
			if want == nil || err == nil || err.Error() != want.Error() {
				t.Errorf("%s with %v: error %v, want CheckFinite's %v", dt, bad, err, want)
			}
			// Sample 1's value lies at step 4, outside steps [0, 4): sample 2's is reported.
			if _, err := s.steps(z, 0, 4, true, "xs"); err == nil || !strings.Contains(err.Error(), "element 28 ") {
				t.Errorf("%s with %v in steps [0, 4): error %v, want element 28", dt, bad, err)
			}
			if _, err := s.steps(z, 0, 7, false, "xs"); err != nil {
				t.Errorf("%s with %v, not checking: %v", dt, bad, err)
			}
		}
	}
}
