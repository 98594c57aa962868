package bpgo_test

import (
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/compute/dtypes"
)

func TestReduceMaxAndCube(t *testing.T) {
	// (2, 3, 2): x[i][j][k] = 10i + j·(−1)^k + k
	var v []float64
	for i := range 2 {
		for j := range 3 {
			for k := range 2 {
				s := 1.0
				if k == 1 {
					s = -1
				}
				v = append(v, float64(10*i)+s*float64(j)+float64(k))
			}
		}
	}
	x := bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, v, 2, 3, 2))
	m := bpgo.Must1(bpgo.ReduceMax(x, 1))
	want := []float64{2, 1, 12, 11}
	got := bpgo.ToFloat64s(m)
	if d := m.Shape().Dimensions; len(d) != 2 || d[0] != 2 || d[1] != 2 {
		t.Fatalf("shape %v", d)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ReduceMax over axis 1 = %v, want %v", got, want)
		}
	}
	if m0 := bpgo.ToFloat64s(bpgo.Must1(bpgo.ReduceMax(x, 0))); m0[0] != 10 || m0[5] != 9 {
		t.Errorf("ReduceMax over axis 0 = %v", m0)
	}
	if _, err := bpgo.ReduceMax(x, 3); err == nil {
		t.Error("axis out of range accepted")
	}
	c := bpgo.Must1(bpgo.Cube(x))
	if len(c) != 2 || len(c[0]) != 3 || len(c[0][0]) != 2 || c[1][2][1] != 9 {
		t.Errorf("Cube = %v", c)
	}
	if _, err := bpgo.Cube(m); err == nil {
		t.Error("Cube accepted a rank-2 tensor")
	}
}
