package main

// The Fashion-MNIST rows of tests/bench: notebook 05 (seed 004, BrainPy 2.5.0's "Training with
// Back-propagation Algorithms") built from the same library parts the notebook uses: models
// (LSTMCell, Dense, LifRef, Leaky, HalfProjAlignPost of Linear + Expon + CUBA), trainers.BPTT,
// bpgo.Grad, and datasets/vision's Loader and LatencyEncoder. The model, loss and data code
// follows the notebook's cells; only the display (progress bar, figures) is left out.
//
//	lstm-fmnist: one epoch of trainer.Fit over the training images (batches of 256, reshuffled
//	             each epoch), LSTMCell(28,100) → Dense(100,10) over the 28 rows, loss =
//	             cross-entropy of the max over time, acc aux, Adam(1e-3), float32; no test pass.
//	snn-fmnist:  one epoch of the SNN (LifRef(100) + Leaky(10), two HalfProjAlignPost
//	             projections, dt = 0.1) on latency-coded spike batches (256, 100, 784), the last
//	             incomplete batch dropped, loss with the spike-count regularisers on the
//	             monitored R.Spike, Adam(1e-3), float32. The JSON line also gives the seconds
//	             each epoch spent producing the spike batches (encode_s).
//	loop-fmnist: the notebook's hand-written loop: 100 bpgo.Grad.Step calls (LSTM, grad with
//	             the acc aux, Adam(1e-3) registered once, batches of 256 from a loader with
//	             ShuffleCompound, seed 123) per timed unit, epochs following one another.

import (
	"flag"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"time"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/bpgo/losses"
	"github.com/bpgo/bpgo/bpgo/optim"
	"github.com/bpgo/bpgo/datasets/vision"
	"github.com/bpgo/bpgo/models"
	"github.com/bpgo/bpgo/trainers"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

var (
	fmnistImages = flag.Int("images", 0, "Fashion-MNIST rows: training images used (0: all 60,000)")
	fmnistData   = flag.String("data", "", "Fashion-MNIST rows: data root holding FashionMNIST/raw (default $"+vision.DataDirEnv+", else .bpgo/data)")
)

// fmnistWorkloads are the -workload names this file adds.
var fmnistWorkloads = map[string]func(units int) error{
	"lstm-fmnist": lstmFMNIST,
	"snn-fmnist":  snnFMNIST,
	"loop-fmnist": loopFMNIST,
}

// fmnistStart is what the three rows start from, as the notebook: float32, training mode, the
// training images, seed 2024.
func fmnistStart() (*vision.Dataset, error) {
	bpgo.DisableX64()
	if err := bpgo.SetMode(bpgo.TrainingMode); err != nil {
		return nil, err
	}
	d, err := loadTrain()
	if err != nil {
		return nil, err
	}
	bpgo.SetSeed(2024)
	return d, nil
}

// loadTrain is the notebook's loadFashionMNIST(vision.Train), cut to -images images.
func loadTrain() (*vision.Dataset, error) {
	root := *fmnistData
	if root == "" {
		root = os.Getenv(vision.DataDirEnv)
	}
	if root == "" {
		root = filepath.Join(".bpgo", "data")
	}
	o := vision.FashionMNISTDefaults()
	o.Root, o.Split = root, vision.Train
	d, err := vision.FashionMNIST(o)
	if err != nil {
		return nil, fmt.Errorf("%w (run `make testdata`, or set -data / $%s)", err, vision.DataDirEnv)
	}
	if n := *fmnistImages; n > 0 && n < d.Len() {
		h := *d
		px := d.Rows * d.Cols
		h.Images, h.Labels = d.Images[:n*px], d.Labels[:n]
		d = &h
	}
	return d, nil
}

// annModel is the notebook's ANNModel: x >> LSTMCell(28, 100) >> Dense(100, 10).
type annModel struct {
	Rec *models.LSTMCell
	Out *models.Dense
}

func newANNModel(numIn, numRec, numOut int) (*annModel, error) {
	rec, err := models.NewLSTMCell(numIn, numRec, models.LSTMCellDefaults())
	if err != nil {
		return nil, err
	}
	out, err := models.NewDense(numRec, numOut, models.DenseDefaults())
	if err != nil {
		return nil, err
	}
	return &annModel{Rec: rec, Out: out}, nil
}

func (m *annModel) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.Out.Update(ctx, m.Rec.Update(ctx, x))
}

// annLoss is the notebook's: cross-entropy of the max over time, accuracy as aux.
func annLoss(lc *bpgo.LossContext, predicts, targets *graph.Node) *graph.Node {
	predicts = graph.ReduceMax(predicts, 1)
	lc.Aux("acc", losses.Accuracy(predicts, targets))
	return losses.CrossEntropy(predicts, targets)
}

// snnModel is the notebook's SNNModel: i2r(spike); r2o(r.spike); r(); o(); return o.x.
type snnModel struct {
	R   *models.LifRef
	O   *models.Leaky
	I2R *models.HalfProjAlignPost
	R2O *models.HalfProjAlignPost
}

func newSNNModel(numIn, numRec, numOut int) (*snnModel, error) {
	lif := models.LifRefDefaults()
	lif.Tau, lif.VReset, lif.VRest, lif.VTh = 10, 0, 0, 1
	r, err := models.NewLifRef(numRec, lif)
	if err != nil {
		return nil, err
	}
	leaky := models.LeakyDefaults()
	leaky.Tau = 5
	o, err := models.NewLeaky(numOut, leaky)
	if err != nil {
		return nil, err
	}
	projection := func(numPre int, post bpgo.Stepper, numPost int) (*models.HalfProjAlignPost, error) {
		linear := models.DenseDefaults()
		linear.WInit = initializers.KaimingNormal{Scale: 2}
		comm, err := models.NewLinear(numPre, numPost, linear)
		if err != nil {
			return nil, err
		}
		syn := models.ExponDefaults()
		syn.Tau = 10
		expon, err := models.NewExpon(numPost, syn)
		if err != nil {
			return nil, err
		}
		return models.NewHalfProjAlignPost(comm, expon, models.NewCUBA(), post)
	}
	m := &snnModel{R: r, O: o}
	if m.I2R, err = projection(numIn, r, numRec); err != nil {
		return nil, err
	}
	if m.R2O, err = projection(numRec, o, numOut); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *snnModel) Update(ctx *bpgo.Context, spike *graph.Node) *graph.Node {
	toR := m.I2R.Update(ctx, spike)
	toO := m.R2O.Update(ctx, ctx.Value(m.R.Spike))
	m.R.Update(ctx, toR)
	return m.O.Update(ctx, toO)
}

// snnLoss is the notebook's: CE of the max over time + 1e-5·Σ spikes + 1e-5·mean_n (Σ_{b,t} spikes)².
func snnLoss(lc *bpgo.LossContext, predicts, targets *graph.Node) *graph.Node {
	spikes := lc.Monitor("R.Spike")
	l1 := graph.MulScalar(graph.ReduceAllSum(spikes), 1e-5)
	l2 := graph.MulScalar(graph.ReduceAllMean(graph.Square(graph.ReduceSum(spikes, 0, 1))), 1e-5)
	predicts = graph.ReduceMax(predicts, 1)
	lc.Aux("acc", losses.Accuracy(predicts, targets))
	return graph.Add(graph.Add(losses.CrossEntropy(predicts, targets), l2), l1)
}

// batchTimer adds up the time the data sequence spends producing batches (drawing the
// indices, encoding, copying into tensors), i.e. outside the consumer's training step.
type batchTimer struct{ busy time.Duration }

// batches is the notebook's: a loader's epochs as trainers.Data, images or (with enc)
// latency-coded spikes; t, if not nil, times the producing.
func batches(l *vision.Loader[float32], enc *vision.LatencyEncoder, t *batchTimer) trainers.Data {
	return func(yield func(trainers.Batch, error) bool) {
		seq := l.Images()
		if enc != nil {
			seq = l.Spikes(enc)
		}
		t0 := time.Now()
		for b := range seq {
			x := tensors.FromFlatDataAndDimensions(b.X, b.Shape...)
			y := tensors.FromFlatDataAndDimensions(b.Labels, len(b.Labels))
			if t != nil {
				t.busy += time.Since(t0)
			}
			if !yield(trainers.Batch{X: x, Y: y}, nil) {
				return
			}
			t0 = time.Now()
		}
		if t != nil {
			t.busy += time.Since(t0)
		}
	}
}

func adam(lr float64) (*optim.Adam, error) {
	return optim.NewAdam(optim.Constant(lr), optim.AdamDefaults())
}

// fitEpochs times units+1 calls of tr.Fit(data, nil, 1): one epoch each, the first compiling.
func fitEpochs(r result, units int, tr *trainers.BPTT, data trainers.Data, bt *batchTimer) error {
	return measure(r, units, func() (float64, error) {
		before := time.Duration(0)
		if bt != nil {
			before = bt.busy
		}
		if err := tr.Fit(data, nil, 1, trainers.FitOptions{}); err != nil {
			return 0, err
		}
		if bt != nil {
			encodeTimes = append(encodeTimes, (bt.busy - before).Seconds())
		}
		l := tr.History().Report(trainers.FitPhase, "loss")
		return l[len(l)-1], nil
	})
}

// encodeTimes are the seconds each measured snn-fmnist epoch spent producing spike batches
// (first epoch included), reported as encode_s.
var encodeTimes []float64

func lstmFMNIST(units int) error {
	d, err := fmnistStart()
	if err != nil {
		return err
	}
	model, err := newANNModel(28, 100, 10)
	if err != nil {
		return err
	}
	o := trainers.BPTTDefaults()
	if o.Optimizer, err = adam(1e-3); err != nil {
		return err
	}
	o.Out = os.Stderr
	tr, err := trainers.NewBPTT(model, annLoss, o)
	if err != nil {
		return err
	}
	lo := vision.LoaderDefaults()
	lo.BatchSize, lo.Seed = 256, 1
	l, err := vision.NewLoader[float32](d, lo)
	if err != nil {
		return err
	}
	r := result{Workload: "lstm-fmnist", Backend: bpgo.BackendName(bpgo.Must1(bpgo.Backend())), DType: "float32"}
	return fitEpochs(r, units, tr, batches(l, nil, nil), nil)
}

func snnFMNIST(units int) error {
	d, err := fmnistStart()
	if err != nil {
		return err
	}
	model, err := newSNNModel(28*28, 100, 10)
	if err != nil {
		return err
	}
	o := trainers.BPTTDefaults()
	if o.Optimizer, err = adam(1e-3); err != nil {
		return err
	}
	o.Monitors, o.Dt, o.Out = []string{"R.Spike"}, bpgo.Dt(), os.Stderr
	tr, err := trainers.NewBPTT(model, snnLoss, o)
	if err != nil {
		return err
	}
	// The notebook's sparseDataGenerator(trainDataset, 256, 3).
	lo := vision.LoaderDefaults()
	lo.BatchSize, lo.Seed, lo.DropLast, lo.Reuse = 256, 3, true, true
	l, err := vision.NewLoader[float32](d, lo)
	if err != nil {
		return err
	}
	enc, err := vision.NewLatencyEncoder(vision.LatencyDefaults())
	if err != nil {
		return err
	}
	bt := &batchTimer{}
	r := result{Workload: "snn-fmnist", Backend: bpgo.BackendName(bpgo.Must1(bpgo.Backend())), DType: "float32"}
	return fitEpochs(r, units, tr, batches(l, enc, bt), bt)
}

func loopFMNIST(units int) error {
	d, err := fmnistStart()
	if err != nil {
		return err
	}
	model, err := newANNModel(28, 100, 10)
	if err != nil {
		return err
	}
	grad, err := bpgo.NewGrad(model, annLoss, bpgo.GradOptions{})
	if err != nil {
		return err
	}
	opt, err := adam(1e-3)
	if err != nil {
		return err
	}
	if err := opt.Register(grad.Params()); err != nil {
		return err
	}
	lo := vision.LoaderDefaults()
	lo.Shuffle, lo.Seed = vision.ShuffleCompound, 123
	l, err := vision.NewLoader[float32](d, lo)
	if err != nil {
		return err
	}
	next, stop := iter.Pull2(endless(batches(l, nil, nil)))
	defer stop()
	r := result{Workload: "loop-fmnist", Backend: bpgo.BackendName(bpgo.Must1(bpgo.Backend())), DType: "float32"}
	return measure(r, units, func() (loss float64, err error) {
		for range 100 {
			b, err, _ := next()
			if err != nil {
				return 0, err
			}
			res, err := grad.Step(b.X, b.Y, opt)
			if err != nil {
				return 0, err
			}
			loss = res.Loss
		}
		return loss, nil
	})
}

// endless runs data's epochs one after the other, as the notebook's loop over epochs does.
func endless(data trainers.Data) trainers.Data {
	return func(yield func(trainers.Batch, error) bool) {
		for {
			n := 0
			for b, err := range data {
				n++
				if !yield(b, err) {
					return
				}
			}
			if n == 0 {
				yield(trainers.Batch{}, fmt.Errorf("loop-fmnist: an epoch without batches"))
				return
			}
		}
	}
}
