package trainers_test

import (
	"bytes"
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/losses"
	"github.com/bpgo/bpgo/bpgo/optim"
	"github.com/bpgo/bpgo/models"
	"github.com/bpgo/bpgo/trainers"
	"github.com/gomlx/gomlx/core/graph"
)

type linearReadout struct{ O *models.Dense }

func (m *linearReadout) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.O.Update(ctx, x)
}

// Ridge regression fits a trainable readout offline, like BrainPy's RidgeTrainer: y = 2x + 1.
func ExampleRidge() {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	o := models.DenseDefaults()
	o.Mode = bpgo.TrainingMode
	model := &linearReadout{O: bpgo.Must1(models.NewDense(1, 1, o))}
	r := trainers.RidgeDefaults()
	r.Alpha = 0 // plain least squares
	trainer := bpgo.Must1(trainers.NewRidge(model, r))
	x := bpgo.Must1(bpgo.Sequence([]float64{0, 1, 2, 3}))
	y := bpgo.Must1(bpgo.Sequence([]float64{1, 3, 5, 7}))
	bpgo.Must1(trainer.Fit(x, y))
	fmt.Printf("W = %.3f, b = %.3f\n", model.O.W.Float64s()[0], model.O.B.Float64s()[0])
	pred := bpgo.Must1(trainer.Predict(bpgo.Must1(bpgo.Sequence([]float64{10})), true))
	fmt.Printf("prediction at x = 10: %.3f\n", bpgo.ToFloat64s(pred)[0])
	// Output:
	// W = 2.000, b = 1.000
	// prediction at x = 10: 21.000
}

// BPTT trains by back-propagation through time and prints BrainPy's report lines; here the
// lines go to a buffer (they carry timings) and the loss history is printed instead.
func ExampleBPTT() {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	bpgo.SetSeed(1)
	o := models.DenseDefaults()
	o.Mode = bpgo.TrainingMode
	model := &linearReadout{O: bpgo.Must1(models.NewDense(1, 1, o))}
	loss := func(lc *bpgo.LossContext, out, y *graph.Node) *graph.Node { return losses.MSE(out, y) }
	var report bytes.Buffer
	trainer := bpgo.Must1(trainers.NewBPTT(model, loss, trainers.BPTTOptions{
		Optimizer: bpgo.Must1(optim.NewSGD(optim.Constant(0.1), optim.SGDDefaults())), Out: &report}))
	x := bpgo.Must1(bpgo.Sequence([]float64{0, 1, 2, 3}))
	y := bpgo.Must1(bpgo.Sequence([]float64{1, 3, 5, 7}))
	bpgo.Must(trainer.Fit(trainers.Batches(trainers.Batch{X: x, Y: y}), nil, 50, trainers.FitOptions{}))
	h := trainer.History().Report(trainers.FitPhase, "loss")
	fmt.Printf("%d epochs; first loss %.3f; last loss below 1e-4: %v\n", len(h), h[0], h[len(h)-1] < 1e-4)
	fmt.Printf("W = %.3f, b = %.3f\n", model.O.W.Float64s()[0], model.O.B.Float64s()[0])
	// Output:
	// 50 epochs; first loss 23.758; last loss below 1e-4: true
	// W = 2.000, b = 1.000
}
