package models_test

import (
	"math"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/models"
)

func TestIntegratorAndLeakyHandComputed(t *testing.T) {
	x64(t)
	const b, tn, n, dt = 2, 30, 3, 0.25
	xs := currents(b, tn, n, 0.5, 2, 1)
	in := tensorOf(t, xs, b, tn, n)
	integ := bpgo.Must1(models.NewIntegrator(n, models.IntegratorOptions{Tau: 3, XInit: initializers.Constant{Value: 0.7}}))
	leaky := bpgo.Must1(models.NewLeaky(n, models.LeakyOptions{Tau: 2}))
	gotI, _ := runNeuron(t, integ, in, dt, 8)
	gotL, _ := runNeuron(t, leaky, in, dt, 8)
	wantI, wantL := make([]float64, len(xs)), make([]float64, len(xs))
	for bi := range b {
		for k := range n {
			xi, xl := 0.7, 0.0
			for ti := range tn {
				idx := (bi*tn+ti)*n + k
				xi += (1 - math.Exp(-dt/3)) * (xs[idx] - xi)
				xl = xl*math.Exp(-dt/2) + xs[idx]
				wantI[idx], wantL[idx] = xi, xl
			}
		}
	}
	closeTo(t, "Integrator", gotI, wantI, 1e-12)
	closeTo(t, "Leaky", gotL, wantL, 1e-12)
}
