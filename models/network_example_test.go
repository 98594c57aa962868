package models_test

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/models"
)

// An echo state network with readout feedback, BrainPy's (i >> r >> o) & (r << o); a size
// mismatch is an error naming both nodes.
func ExampleNewNetwork() {
	i := bpgo.Must1(models.NewInput(3))
	ro := models.ReservoirDefaults()
	ro.UseSpectralRadius, ro.SpectralRadius = true, 1.4
	ro.NumFeedback = 3 // the readout's 3 outputs come back
	r := bpgo.Must1(models.NewReservoir(3, 100, ro))
	o := bpgo.Must1(models.NewLinearReadout(100, 3, models.LinearReadoutDefaults()))

	net, err := models.NewNetwork(models.Feedforward(i, r, o).And(models.Feedback(r, o)))
	fmt.Println(net.Names(), err)

	wide := bpgo.Must1(models.NewInput(4))
	_, err = models.NewNetwork(models.Feedforward(wide, r, o).And(models.Feedback(r, o)))
	fmt.Println(err)
	_, err = models.NewNetwork(models.Feedforward(i, r, o, r))
	fmt.Println(err)
	// Output:
	// [Input0 Reservoir0 LinearReadout0] <nil>
	// models.NewNetwork: size mismatch: Reservoir0 takes 3 inputs but its feedforward senders give 4: Input0 (4)
	// models.NewNetwork: Feedforward: node 3 (*models.Reservoir) is node 1 again: a node is used once in a chain
}
