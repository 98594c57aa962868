package trainers_test

import (
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/losses"
	"github.com/bpgo/bpgo/datasets"
	"github.com/bpgo/bpgo/models"
	"github.com/bpgo/bpgo/trainers"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// ngrc is the seed's NGRC model: NVAR features read out by a trainable Dense.
type ngrc struct {
	R *models.NVAR
	O *models.Dense
}

func (m *ngrc) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.O.Update(ctx, m.R.Update(ctx, x))
}

func newNGRC(t testing.TB, numIn, numOut, delay, stride int) *ngrc {
	r, err := models.NewNVAR(numIn, delay, models.NVAROptions{Order: 2, Stride: stride})
	if err != nil {
		t.Fatal(err)
	}
	o, err := models.NewDense(r.NumOut(), numOut, models.DenseOptions{Mode: bpgo.TrainingMode})
	if err != nil {
		t.Fatal(err)
	}
	return &ngrc{R: r, O: o}
}

func subset(t testing.TB, d *datasets.Lorenz, start, end int, cols string) *tensors.Tensor {
	var cs [][]float64
	for _, c := range cols {
		switch c {
		case 'x':
			cs = append(cs, d.Xs[start:end])
		case 'y':
			cs = append(cs, d.Ys[start:end])
		case 'z':
			cs = append(cs, d.Zs[start:end])
		}
	}
	s, err := bpgo.Sequence(cs...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSeed000NGRCOneStep reproduces seed 000's NG-RC 1-step Lorenz forecast (MSE 5.36e-10).
func TestSeed000NGRCOneStep(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const dt = 0.01
	data, err := datasets.LorenzEq(100, datasets.LorenzOptions{Dt: dt, Sigma: 10, Beta: 8.0 / 3, Rho: 28})
	if err != nil {
		t.Fatal(err)
	}
	model := newNGRC(t, 3, 3, 4, 5)
	tr, err := trainers.NewRidge(model, trainers.RidgeOptions{Alpha: 1e-6, Chunk: bpgo.DefaultChunk})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := tr.Predict(subset(t, data, 0, 2000, "xyz"), false)
	if err != nil {
		t.Fatal(err)
	}
	if got := outs.Shape().Dimensions; got[0] != 1 || got[1] != 2000 || got[2] != 3 {
		t.Fatalf("warm-up output shape %v, want [1 2000 3]", got)
	}
	if _, err := tr.Fit(subset(t, data, 2000, 8000, "xyz"), subset(t, data, 2001, 8001, "xyz")); err != nil {
		t.Fatal(err)
	}
	pred, err := tr.Predict(subset(t, data, 8000, 9999, "xyz"), false)
	if err != nil {
		t.Fatal(err)
	}
	mse, err := losses.MeanSquaredError(subset(t, data, 8001, 10000, "xyz"), pred)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("NG-RC 1-step MSE = %.6g (seed: 5.36414848e-10)", mse)
	if !(mse > 1e-11 && mse <= 1e-9) {
		t.Errorf("NG-RC 1-step MSE = %g, want in (1e-11, 1e-9] (seed 5.36e-10)", mse)
	}
}

// TestSeed001InferZ reproduces seed 001's "infer z from x and y" NG-RC (prediction MSE 0.3374).
func TestSeed001InferZ(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const dt = 0.02
	data, err := datasets.LorenzEq(80, datasets.LorenzOptions{Dt: dt,
		Inits: []float64{17.67715816276679, 12.931379185960404, 43.91404334248268}, Sigma: 10, Beta: 8.0 / 3, Rho: 28})
	if err != nil {
		t.Fatal(err)
	}
	nWarm, nTrain, nTest := int(10/dt), int(20/dt), int(50/dt)
	model := newNGRC(t, 2, 1, 4, 5)
	tr, err := trainers.NewRidge(model, trainers.RidgeOptions{Alpha: 0.05, Chunk: bpgo.DefaultChunk})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Predict(subset(t, data, 0, nWarm, "xy"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(subset(t, data, nWarm, nWarm+nTrain, "xy"), subset(t, data, nWarm, nWarm+nTrain, "z")); err != nil {
		t.Fatal(err)
	}
	end := nWarm + nTrain + nTest
	pred, err := tr.Predict(subset(t, data, nWarm+nTrain, end, "xy"), false)
	if err != nil {
		t.Fatal(err)
	}
	mse, err := losses.MeanSquaredError(pred, subset(t, data, nWarm+nTrain, end, "z"))
	if err != nil {
		t.Fatal(err)
	}
	const seed = 0.3374043793562189
	t.Logf("z-inference MSE = %.10g (seed: %.10g, rel diff %.2g)", mse, seed, (mse-seed)/seed)
	if d := (mse - seed) / seed; d > 0.01 || d < -0.01 {
		t.Errorf("z-inference MSE = %.6g, want within 1%% of %.6g", mse, seed)
	}
}
