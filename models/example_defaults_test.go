package models_test

import (
	"fmt"

	"github.com/bpgo/bpgo/models"
)

// ExampleLifDefaults starts from BrainPy's defaults and changes one field: zero means zero, so
// V_reset becomes 0 (BrainPy's default is -5). A zero time constant is an error that says
// where the default lives.
func ExampleLifDefaults() {
	p := models.LifDefaults()
	p.VReset = 0
	lif, err := models.NewLif(4, p)
	if err != nil {
		fmt.Println(err)
		return
	}
	q := lif.Params()
	fmt.Printf("V_rest %v, V_reset %v, V_th %v, R %v, tau %v, %v\n", q.VRest, q.VReset, q.VTh, q.R, q.Tau, q.SpkFun)

	_, err = models.NewLif(4, models.LifOptions{VTh: 1})
	fmt.Println(err)
	// Output:
	// V_rest 0, V_reset 0, V_th 20, R 1, tau 10, InvSquareGrad(alpha=100)
	// models.NewLif: LifOptions.Tau: want > 0 ms, got 0 (BrainPy's default is 10: start from models.LifDefaults())
}
