package datasets_test

import (
	"fmt"

	"github.com/bpgo/bpgo/datasets"
)

// ExampleMackeyGlassEq integrates the classic chaotic series (tau 17, beta 0.2, gamma 0.1,
// n 10) at dt 0.1 with BrainPy's delay buffer and keeps one point per time unit.
func ExampleMackeyGlassEq() {
	o := datasets.MackeyGlassReservoirPyDefaults() // tau 17, a 0.2, b 0.1, n 10, x0 1.2
	o.Convention = datasets.MackeyGlassBrainPy
	o.Dt, o.Subsample = 0.1, 10
	m, err := datasets.MackeyGlassEq(1000, o)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Len(), "points, spacing", m.Dt, "history", len(m.History))
	fmt.Printf("t=%.0f x=%.4f x(t-17)=%.4f\n", m.Ts[0], m.Xs[0], m.XTaus[0])
	// Output:
	// 1000 points, spacing 1 history 171
	// t=1 x=1.1167 x(t-17)=1.1818
}
