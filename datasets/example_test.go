package datasets_test

import (
	"fmt"

	"github.com/bpgo/bpgo/datasets"
)

// ExampleLorenzEq builds the series of the BrainPy NG-RC tutorials: 100 time units at dt 0.01
// from the default initial state (8, 1, 1).
func ExampleLorenzEq() {
	o := datasets.LorenzDefaults()
	o.Dt = 0.01
	l, err := datasets.LorenzEq(100, o)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(l.Len())
	fmt.Printf("t=%.4f x=%.4f y=%.4f z=%.4f\n", l.Ts[0], l.Xs[0], l.Ys[0], l.Zs[0])
	// Output:
	// 10000
	// t=0.0100 x=7.4347 y=3.0534 z=1.1281
}
