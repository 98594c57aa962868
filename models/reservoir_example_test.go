package models_test

import (
	"fmt"

	"github.com/bpgo/bpgo/models"
)

// ExampleNewReservoir builds seed 001's echo-state reservoir, BrainPy 2.1.12's
// bp.nn.Reservoir(400, spectral_radius=1.4), on 3 inputs.
func ExampleNewReservoir() {
	o := models.ReservoirDefaults()
	o.UseSpectralRadius, o.SpectralRadius = true, 1.4
	r, err := models.NewReservoir(3, 400, o)
	if err != nil {
		fmt.Println(err)
		return
	}
	sr, err := models.SpectralRadius(r.Wrec.Float64s(), r.NumOut)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("Win", r.Win.Shape().Dimensions, "Wrec", r.Wrec.Shape().Dimensions, "trainable", r.Trainable())
	fmt.Printf("leaky rate %.1f, %s, spectral radius %.3f\n", r.LeakyRate(), r.Activation(), sr)
	// Output:
	// Win [3 400] Wrec [400 400] trainable false
	// leaky rate 0.3, tanh, spectral radius 1.400
}
