package main

import (
	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/losses"
	"github.com/bpgo/bpgo/bpgo/optim"
	"github.com/bpgo/bpgo/datasets/cognitive"
	"github.com/bpgo/bpgo/models"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// eirnn times epochs of seed 003's hand-written training loop as notebook 04 writes it in bpgo:
// cognitive.RatePerceptualDecisionMaking(dt 20 ms: T = 110, 3 inputs, 3 outputs, 1024 trials)
// through a TaskLoader of batch 16 (64 batches per epoch, time-first, drawn fresh every epoch),
// the E/I RNN (50 hidden, 40 E / 10 I, alpha 0.2, sigma_rec 0.15 with one noise vector per step
// shared by the batch, BrainPy's column mask), cross-entropy over all T·B outputs, Adam(1e-3)
// (BrainPy's hand-written-loop Adam), float32. One unit = one epoch, data generation included.
func eirnn(epochs, chunk int) error {
	bpgo.DisableX64()
	bpgo.SetSeed(2016)
	do := cognitive.RatePerceptualDecisionMakingDefaults()
	do.Dt = 20
	dataset, err := cognitive.NewRatePerceptualDecisionMaking(do)
	if err != nil {
		return err
	}
	lo := cognitive.TaskLoaderDefaults()
	lo.BatchSize = 16
	task, err := cognitive.NewTaskLoader(dataset, lo)
	if err != nil {
		return err
	}
	net, err := newEIRNN(dataset.NumInputs(), dataset.NumOutputs(), dataset.Dt())
	if err != nil {
		return err
	}
	loss := func(lc *bpgo.LossContext, os, ys *graph.Node) *graph.Node {
		d := os.Shape().Dimensions // (T, B, numOut)
		return losses.CrossEntropy(graph.Reshape(os, d[0]*d[1], d[2]), graph.Reshape(ys, d[0]*d[1]))
	}
	grad, err := bpgo.NewGrad(net, loss, bpgo.GradOptions{Layout: bpgo.TimeFirst, Chunk: chunk, Engine: engine, Shards: shards})
	if err != nil {
		return err
	}
	opt, err := optim.NewAdam(optim.Constant(1e-3), optim.AdamDefaults())
	if err != nil {
		return err
	}
	if err := opt.Register(grad.Params()); err != nil {
		return err
	}
	r := result{Workload: "eirnn", Backend: bpgo.BackendName(bpgo.Must1(bpgo.Backend())), DType: "float32", Engine: engine.String()}
	return measure(r, epochs, func() (float64, error) {
		running := 0.0
		for batch, err := range task.Epoch() {
			if err != nil {
				return 0, err
			}
			xs, ys, err := eirnnTensors(batch)
			if err != nil {
				return 0, err
			}
			res, err := grad.Step(xs, ys, opt)
			if err != nil {
				return 0, err
			}
			running += res.Loss
		}
		return running / float64(task.Len()), nil
	})
}

// newEIRNN is notebook 04's network for the BrainPy tutorial's loop: built in training mode,
// hidden 50, dt 20, sigma_rec 0.15, BrainPy's mask, noise shared by the batch.
func newEIRNN(numIn, numOut int, dt float64) (*models.EIRNN, error) {
	defer bpgo.UseMode(bpgo.TrainingMode)()
	o := models.EIRNNDefaults()
	o.Dt, o.SigmaRec = dt, 0.15
	return models.NewEIRNN(numIn, 50, numOut, o)
}

// eirnnTensors turns a time-first batch into inputs (T, B, 3) and labels (T, B).
func eirnnTensors(b *cognitive.Batch[cognitive.PerceptualInfo]) (xs, ys *tensors.Tensor, err error) {
	labels := make([]float64, len(b.Labels))
	for i, l := range b.Labels {
		labels[i] = float64(l)
	}
	if xs, err = bpgo.FromFloat64s(bpgo.FloatDType(), b.Inputs64, b.InputShape()...); err != nil {
		return nil, nil, err
	}
	ys, err = bpgo.FromFloat64s(bpgo.FloatDType(), labels, b.LabelShape()...)
	return xs, ys, err
}
