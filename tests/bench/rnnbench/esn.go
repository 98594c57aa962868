package main

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/datasets"
	"github.com/bpgo/bpgo/models"
	"github.com/bpgo/bpgo/trainers"
	"github.com/gomlx/gomlx/core/tensors"
)

// esnSteps are the ESN rows' sizes: Lorenz at dt 0.01 over 100 time units (10,000 points);
// warm-up on the first 2000 steps, the Ridge fit on the next 6000 (notebook 02's
// int(20/dt)..int(80/dt)), the RLS fit on 1000 steps after the warm-up.
const (
	esnDt       = 0.01
	esnWarm     = 2000
	esnRidgeLen = 6000
	esnRLSLen   = 1000
)

// newESN is notebook 02's echo state network: Input(3) >> Reservoir(400, spectral radius 1.4,
// leaky rate 0.3, tanh, 10 % connectivity) >> LinearReadout(3).
func newESN(seed uint64) (*models.Network, error) {
	bpgo.SetSeed(seed)
	i, err := models.NewInput(3)
	if err != nil {
		return nil, err
	}
	ro := models.ReservoirDefaults()
	ro.UseSpectralRadius, ro.SpectralRadius = true, 1.4
	r, err := models.NewReservoir(3, 400, ro)
	if err != nil {
		return nil, err
	}
	o, err := models.NewLinearReadout(400, 3, models.LinearReadoutDefaults())
	if err != nil {
		return nil, err
	}
	return models.NewNetwork(models.Feedforward(i, r, o))
}

// lorenzWindow returns the Lorenz points [start, end) as a (1, end-start, 3) sequence.
func lorenzWindow(d *datasets.Lorenz, start, end int) (*tensors.Tensor, error) {
	return bpgo.Sequence(d.Xs[start:end], d.Ys[start:end], d.Zs[start:end])
}

// esn times one part of the ESN workload, float64 (notebook 02 enables x64):
//
//	ridge: trainers.Ridge (alpha 1e-6) Fit on 6000 steps (one-step-ahead targets), after an
//	       untimed 2000-step warm-up Predict; every timed unit fits the same window again
//	       (the reservoir state continues, as BrainPy's fit does).
//	rls:   trainers.Online with RLS alpha 1 (FORCE, notebook 02's trainer) Fit on 1000 steps of
//	       one-step-ahead targets after the same untimed warm-up; every unit is the same window
//	       (state, P and weights continue).
func esn(part string, units int) error {
	bpgo.EnableX64()
	lo := datasets.LorenzDefaults()
	lo.Dt = esnDt
	data, err := datasets.LorenzEq(100, lo)
	if err != nil {
		return err
	}
	model, err := newESN(1)
	if err != nil {
		return err
	}
	warm, err := lorenzWindow(data, 0, esnWarm)
	if err != nil {
		return err
	}
	n := esnRidgeLen
	if part == "rls" {
		n = esnRLSLen
	}
	x, err := lorenzWindow(data, esnWarm, esnWarm+n)
	if err != nil {
		return err
	}
	y, err := lorenzWindow(data, esnWarm+1, esnWarm+n+1)
	if err != nil {
		return err
	}
	r := result{Workload: "esn-" + part, Backend: bpgo.BackendName(bpgo.Must1(bpgo.Backend())), DType: "float64"}
	switch part {
	case "ridge":
		o := trainers.RidgeDefaults()
		o.Alpha = 1e-6
		o.NormalEquations = ridgeNormal
		tr, err := trainers.NewRidge(model, o)
		if err != nil {
			return err
		}
		r.Backend = bpgo.BackendName(tr.Runner().Backend()) // BPGO_BACKEND=auto may pick XLA for this runner
		if _, err := tr.Predict(warm, false); err != nil {
			return err
		}
		return measure(r, units, func() (float64, error) {
			pred, err := tr.Fit(x, y)
			if err != nil {
				return 0, err
			}
			// Outputs of the fit's forward pass (the weights before this fit: from the
			// second unit on, the previous fit's readout).
			return mseOf(pred, y)
		})
	case "rls":
		tr, err := trainers.NewOnline(model, trainers.ForceDefaults())
		if err != nil {
			return err
		}
		r.Backend = bpgo.BackendName(tr.Runner().Backend())
		if _, err := tr.Predict(warm, false); err != nil {
			return err
		}
		return measure(r, units, func() (float64, error) {
			pred, err := tr.Fit(x, y)
			if err != nil {
				return 0, err
			}
			return mseOf(pred, y) // outputs before each step's update
		})
	}
	return fmt.Errorf("esn: unknown part %q (ridge, rls)", part)
}

// mseOf is the MSE on the host: losses.MeanSquaredError would build and compile a graph inside
// the timed unit (tens of ms on XLA).
func mseOf(a, b *tensors.Tensor) (float64, error) {
	av, bv := bpgo.ToFloat64s(a), bpgo.ToFloat64s(b)
	if len(av) != len(bv) || len(av) == 0 {
		return 0, fmt.Errorf("mse: %d and %d values", len(av), len(bv))
	}
	s := 0.0
	for i := range av {
		s += (av[i] - bv[i]) * (av[i] - bv[i])
	}
	return s / float64(len(av)), nil
}
