package trainers

import (
	"math"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/models"
	"github.com/gomlx/gomlx/core/graph"
)

// oneNeuron is one ALIF neuron with one input channel, its own recurrent synapse and a
// two-unit leaky readout.
type oneNeuron struct {
	R             *models.ALIFBellec2020
	I2R, R2R, R2O *models.Dense
	O             *models.Leaky
}

func (m *oneNeuron) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	i := graph.Add(m.R2R.Update(ctx, graph.StopGradient(ctx.Value(m.R.Spike))), m.I2R.Update(ctx, x))
	return m.O.Update(ctx, m.R2O.Update(ctx, m.R.Update(ctx, i)))
}

// TestEPropTracesByHand steps one neuron by hand (V' = αV + (1−α)I, frozen for τ_ref after a
// spike; z = V' ≥ V_th + β·a; V −= V_th·z; a = ρa + z) and checks the eligibility vectors and
// the summed eligibility traces the hook holds after every step.
func TestEPropTracesByHand(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	defer bpgo.UseMode(bpgo.TrainingMode)()
	const vth, beta, tau, tauA, tauRef, win, wrec = 0.6, 0.5, 20.0, 100.0, 2.0, 8.0, -0.7
	o := models.ALIFDefaults()
	o.VRest, o.VTh, o.Beta, o.Tau, o.TauA, o.TauRef = 0, vth, beta, tau, tauA, tauRef
	o.VInit, o.AInit, o.NoInputVar, o.Eprop = initializers.Zero{}, initializers.Zero{}, true, true
	dense := func(in, out int, w ...float64) *models.Dense {
		d := bpgo.Must1(models.NewDense(in, out, models.DenseOptions{NoBias: true}))
		bpgo.Must(d.W.SetValue(bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), w, in, out))))
		return d
	}
	lo := models.LeakyDefaults()
	lo.Tau = 20
	m := &oneNeuron{R: bpgo.Must1(models.NewALIFBellec2020(1, o)), I2R: dense(1, 1, win), R2R: dense(1, 1, wrec),
		R2O: dense(1, 2, 1, -1), O: bpgo.Must1(models.NewLeaky(2, lo))}
	// Chunk 1 advances the traces step by step; chunk 5 advances them a block at a time,
	// so after step+1 steps they are exact at the end of every run either way.
	var eps []*EProp
	for _, chunk := range []int{1, 5} {
		opts := EPropDefaults()
		opts.Dt, opts.Chunk = 1, chunk
		eps = append(eps, bpgo.Must1(NewEProp(m, EPropNetwork{Neurons: m.R, In: m.I2R, Rec: m.R2R, Out: m.R2O, Readout: m.O}, opts)))
	}

	x := []float64{1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1}
	alpha, rho := math.Exp(-1/tau), math.Exp(-1/tauA)
	var v, a, z, tls = 0.0, 0.0, 0.0, -1e7
	var epsV, epsA, eSum [2]float64 // presynaptic units: the input, then the neuron itself
	spikes, frozen := 0, 0
	for step := range x {
		tm := float64(step)
		pre := [2]float64{x[step], z}
		refr := tm-tls <= tauRef
		c, d := alpha, 1-alpha
		if refr {
			c, d = 1, 0
			frozen++
		}
		vp := c*v + d*(win*pre[0]+wrec*pre[1])
		u := (vp - vth - beta*a) / vth
		psi := math.Max(0.3*(1-math.Abs(u)), 0) / vth
		zNew := 0.0
		if u >= 0 {
			zNew = 1
			spikes++
			tls = tm
		}
		for q := range 2 {
			epsV[q] = c*epsV[q] + d*pre[q]
			e := psi * (epsV[q] - beta*epsA[q])
			epsA[q] = psi*epsV[q] + (rho-beta*psi)*epsA[q]
			eSum[q] += e
		}
		v, a, z = vp-vth*zNew, rho*a+zNew, zNew

		// Run the trainer's hook over the first step+1 steps and compare.
		xs := bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), x[:step+1], 1, step+1, 1))
		ys := make([]float64, 2*(step+1))
		ys[2*step] = 1
		for ci, ep := range eps {
			bpgo.Must1(ep.Compute(xs, bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), ys, 1, step+1, 2))))
			for name, pair := range map[string][2][]float64{
				"ε^V": {epsV[:], ep.hook.epsV.Float64s()}, "ε^a": {epsA[:], ep.hook.epsA.Float64s()},
				"Σe": {eSum[:], ep.hook.eSum.Float64s()}} {
				for q := range 2 {
					if want, got := pair[0][q], pair[1][q]; math.Abs(want-got) > 1e-12*(1+math.Abs(want)) {
						t.Errorf("trainer %d, step %d: %s[%d] = %v, by hand %v", ci, step, name, q, got, want)
					}
				}
			}
		}
	}
	if spikes < 2 || frozen == 0 {
		t.Fatalf("the hand-stepped neuron spiked %d times and was refractory %d steps: want both", spikes, frozen)
	}
}
