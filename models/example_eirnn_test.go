package models_test

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/models"
)

// The BrainPy EI-RNN tutorial's network: 50 units (40 E, 10 I), tau 100 ms at dt 20 ms,
// recurrent noise σ_rec = 0.15, readout from the E units. The rates H are monitored as "H".
func ExampleNewEIRNN() {
	bpgo.SetSeed(0)
	o := models.EIRNNDefaults()
	o.Dt, o.SigmaRec = 20, 0.15
	net, err := models.NewEIRNN(3, 50, 3, o)
	if err != nil {
		panic(err)
	}
	fmt.Printf("E %d, I %d, alpha %.2f, noise std %.4f\n", net.NumE, net.NumI, net.Alpha(), net.NoiseStd())
	w := net.Connectivity()
	fmt.Printf("0→1 %+.0f, 0→45 %+.0f, 0→0 %.0f\n", sign(w[0][1]), sign(w[0][45]), w[0][0])

	// Bad options get an error that names the field.
	o.ERatio = 1.2
	_, err = models.NewEIRNN(3, 50, 3, o)
	fmt.Println(err)
	// Output:
	// E 40, I 10, alpha 0.20, noise std 0.0949
	// 0→1 +1, 0→45 -1, 0→0 0
	// models.NewEIRNN: EIRNNOptions.ERatio: want in (0, 1), got 1.2
}

func sign(x float64) float64 {
	if x < 0 {
		return -1
	}
	return 1
}
