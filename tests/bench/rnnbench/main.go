// Command rnnbench times bpgo on the benchmark workloads of tests/bench (the same workloads as
// brainpy_bench.py), on whatever backend BPGO_BACKEND selects:
//
//	rnn:  seed 000's white-noise integration RNN (RNNCell 1→100 with a trainable initial state,
//	      Dense 100→1, MSE + 2e-4·L2², Adam(ExponentialDecay(0.025, 1, 0.99975), eps=0.1)),
//	      batches of 128 × 25 steps, float64; one epoch = -batches training steps.
//	alif: one BPTT training step at the e-prop scale, T = 2250, batch 128, 100 recurrent units
//	      (random data), float32 like the e-prop example, timing the first step (compile
//	      included) and the following ones.
//	eprop: one BPTT training step of seed 002's e-prop network (40 inputs → 100 ALIFBellec2020
//	      neurons, half adaptive, recurrent Dense 100→100 → Dense 100→2 → Leaky(2)), T = 2250,
//	      batch 128, float32, random input spikes and labels, loss = cross-entropy over the last
//	      150 steps + firing-rate regulariser; timing the first step and the following ones.
//	snn:  seed 000's spiking network (Linear+Expon → Lif(10) → Linear+Expon → Integrator(2),
//	      KaimingNormal scale 20), 256 samples × 100 steps of 10 Hz random spikes, float64,
//	      hand-written Adam(4e-3) loop; one "epoch" = 100 training steps.
//	lstm-fmnist, snn-fmnist, loop-fmnist: notebook 05's Fashion-MNIST training (fmnist.go).
//	esn-ridge, esn-rls: notebook 02's echo state network (Input(3) >> Reservoir(400, spectral
//	      radius 1.4) >> LinearReadout(3)) on Lorenz data (dt 0.01), float64: a Ridge fit
//	      (alpha 1e-6) on 6000 steps, or an online RLS (FORCE, alpha 1) fit on 1000 steps, after
//	      an untimed 2000-step warm-up; one "epoch" = one fit (esn.go).
//	eirnn: seed 003's E/I RNN on RatePerceptualDecisionMaking(dt 20), one epoch = 64 batches of
//	      16 trials × 110 steps, Adam(1e-3), float32, as notebook 04 trains it (eirnn.go).
//
// It prints one JSON line per measurement on stdout.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/bpgo/losses"
	"github.com/bpgo/bpgo/bpgo/optim"
	"github.com/bpgo/bpgo/datasets"
	"github.com/bpgo/bpgo/models"
	"github.com/bpgo/bpgo/trainers"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

func main() {
	workload := flag.String("workload", "rnn", "rnn, alif, eprop, eprop-online, snn, esn-ridge, esn-rls, eirnn, lstm-fmnist, snn-fmnist or loop-fmnist")
	epochs := flag.Int("epochs", 4, "timed epochs (rnn, eirnn, *-fmnist), steps (alif, eprop), units of 100 steps (snn, loop-fmnist) or fits (esn-*), after one warm-up")
	batches := flag.Int("batches", 100, "batches per epoch (rnn)")
	steps := flag.Int("T", 2250, "sequence length (alif)")
	batch := flag.Int("batch", 128, "batch size")
	chunk := flag.Int("chunk", 0, "steps per compiled chunk (0: bpgo's default)")
	engineName := flag.String("engine", "auto", "time-loop engine of the rnn, snn, alif, eprop and eirnn workloads: auto, unrolled or scan")
	flag.IntVar(&checkpoint, "checkpoint", 0, "scan engine: steps whose states the backward loop keeps at once (0: automatic)")
	flag.IntVar(&shards, "shards", 0, "unrolled engine, sequences longer than a chunk: batch shards (bpgo.GradOptions.Shards; 0: automatic, 1: off)")
	flag.BoolVar(&float32Rows, "float32", false, "run the float64 rows (rnn, snn) in float32 (the GPU script's agreement check)")
	flag.BoolVar(&stream, "stream", false, "eprop-online: hand the trial over a window of steps at a time (trainers.EProp.StepTrial on a datasets.EvidenceStream, T >= 1200) instead of as one (B, T, 40) tensor")
	flag.BoolVar(&ridgeNormal, "ridge-normal", false, "esn-ridge: solve the normal equations as BrainPy does (RidgeOptions.NormalEquations) instead of bpgo's default QR")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the whole run to this file (go tool pprof -sample_index=alloc_space)")
	flag.Parse()
	switch *engineName {
	case "auto":
		engine = bpgo.EngineAuto
	case "unrolled":
		engine = bpgo.EngineUnrolled
	case "scan":
		engine = bpgo.EngineScan
	default:
		fmt.Fprintf(os.Stderr, "rnnbench: unknown -engine %q\n", *engineName)
		os.Exit(2)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "rnnbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if *memProfile != "" {
		runtime.MemProfileRate = 64 << 10
		defer func() {
			f, err := os.Create(*memProfile)
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "rnnbench:", err)
			}
		}()
	}
	var err error
	switch *workload {
	case "rnn":
		err = rnn(*epochs, *batches, *batch, *chunk)
	case "alif":
		err = alif(*epochs, *steps, *batch, *chunk)
	case "snn":
		err = snn(*epochs, *chunk)
	case "eprop":
		err = eprop(*epochs, *steps, *batch, *chunk)
	case "eprop-online":
		err = epropOnline(*epochs, *steps, *batch, *chunk)
	case "esn-ridge":
		err = esn("ridge", *epochs)
	case "esn-rls":
		err = esn("rls", *epochs)
	case "eirnn":
		err = eirnn(*epochs, *chunk)
	default:
		if run, ok := fmnistWorkloads[*workload]; ok { // fmnist.go
			err = run(*epochs)
		} else {
			err = fmt.Errorf("unknown -workload %q", *workload)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rnnbench:", err)
		os.Exit(1)
	}
}

// engine, checkpoint, shards, float32Rows, ridgeNormal and stream are the -engine,
// -checkpoint, -shards, -float32, -ridge-normal and -stream flags.
var (
	engine      bpgo.Engine
	checkpoint  int
	shards      int
	float32Rows bool
	ridgeNormal bool
	stream      bool
)

// x64 turns on float64 for the seed-000 rows (BrainPy's bm.enable_x64()) unless -float32; it
// returns the dtype's name for the result line.
func x64() string {
	if float32Rows {
		return "float32"
	}
	bpgo.EnableX64()
	return "float64"
}

type result struct {
	Workload string    `json:"workload"`
	Backend  string    `json:"backend"`
	DType    string    `json:"dtype"`
	First    float64   `json:"first_s"`
	Times    []float64 `json:"times_s"`
	Median   float64   `json:"median_s"`
	Loss     float64   `json:"final_loss"`
	PeakSys  float64   `json:"go_sys_mb"`
	// Peak resident set of the process (XLA's buffers included; Linux): during the first call
	// (compilation included), and during the following calls.
	PeakRSSFirst float64 `json:"peak_rss_first_mb"`
	PeakRSS      float64 `json:"peak_rss_mb"`
	Engine       string  `json:"engine,omitempty"`
	// Seconds each epoch (the first included) spent producing its batches (snn-fmnist: encoding).
	EncodeS []float64 `json:"encode_s,omitempty"`
}

// measure times units+1 calls of unit: the first (compilation included) goes to r.First, the
// others to r.Times; the last loss is kept and the result printed.
func measure(r result, units int, unit func() (loss float64, err error)) error {
	for u := range units + 1 {
		t0 := time.Now()
		loss, err := unit()
		if err != nil {
			return err
		}
		d := time.Since(t0).Seconds()
		if u == 0 {
			r.First = d
			// The compile's peak, then a fresh high-water mark for the steady steps, from
			// what is live now (freed pages handed back, so garbage from building the
			// inputs does not count).
			r.PeakRSSFirst = peakRSS()
			debug.FreeOSMemory()
			_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
		} else {
			r.Times = append(r.Times, d)
		}
		r.Loss = loss
	}
	emit(r)
	return nil
}

func emit(r result) {
	s := append([]float64(nil), r.Times...)
	sort.Float64s(s)
	if len(s) > 0 {
		r.Median = s[len(s)/2]
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.PeakSys = float64(ms.Sys) / (1 << 20)
	r.PeakRSS = peakRSS()
	r.EncodeS = encodeTimes
	b, _ := json.Marshal(r)
	fmt.Println(string(b))
}

// integrator is seed 000's RNN: RNNCell(1, 100, train_state=True) >> Dense(100, 1).
type integrator struct {
	RNN *models.RNNCell
	Out *models.Dense
}

func (m *integrator) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.Out.Update(ctx, m.RNN.Update(ctx, x))
}

func integratorLoss(lc *bpgo.LossContext, pred, y *graph.Node) *graph.Node {
	l2 := losses.L2Norm(lc.TrainVars()...)
	return graph.Add(losses.MSE(pred, y), graph.MulScalar(graph.Square(l2), 2e-4))
}

// noiseBatch is the seed's build_inputs_and_targets: dt = 0.04, 25 steps.
func noiseBatch(rng interface{ NormFloat64() float64 }, batch, steps int) (x, y *tensors.Tensor) {
	const dt, mean, scale = 0.04, 0.025, 0.01
	xs := make([]float64, batch*steps)
	ys := make([]float64, batch*steps)
	for b := range batch {
		bias := mean * 2 * (rng.NormFloat64() - 0.5)
		sum := 0.0
		for t := range steps {
			v := bias + scale/math.Sqrt(dt)*rng.NormFloat64()
			sum += v
			xs[b*steps+t], ys[b*steps+t] = v, sum
		}
	}
	return bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), xs, batch, steps, 1)), bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), ys, batch, steps, 1))
}

func rnn(epochs, batches, batch, chunk int) error {
	dtype := x64()
	bpgo.SetSeed(42)
	bpgo.SetMode(bpgo.TrainingMode)
	cell, err := models.NewRNNCell(1, 100, models.RNNCellOptions{TrainState: true})
	if err != nil {
		return err
	}
	out, err := models.NewDense(100, 1, models.DenseOptions{})
	if err != nil {
		return err
	}
	model := &integrator{RNN: cell, Out: out}
	lr := optim.ExponentialDecay{LR: 0.025, DecaySteps: 1, DecayRate: 0.99975}
	o := optim.AdamDefaults()
	o.Eps = 0.1
	opt, err := optim.NewAdam(lr, o)
	if err != nil {
		return err
	}
	tr, err := trainers.NewBPTT(model, integratorLoss, trainers.BPTTOptions{Optimizer: opt, Chunk: chunk, Out: os.Stderr})
	if err != nil {
		return err
	}
	rng := bpgo.NewRNG()
	data := func(yield func(trainers.Batch, error) bool) {
		for range batches {
			x, y := noiseBatch(rng, batch, 25)
			if !yield(trainers.Batch{X: x, Y: y}, nil) {
				return
			}
		}
	}
	r := result{Workload: "rnn", Backend: bpgo.BackendName(bpgo.Must1(bpgo.Backend())), DType: dtype}
	return measure(r, epochs, func() (float64, error) {
		if err := tr.Fit(data, nil, 1, trainers.FitOptions{}); err != nil {
			return 0, err
		}
		l := tr.History().Report(trainers.FitPhase, "loss")
		return l[len(l)-1], nil
	})
}

// longNet is the e-prop-sized network: 40 inputs, 100 recurrent units, 2 outputs.
type longNet struct {
	RNN *models.RNNCell
	Out *models.Dense
}

func (m *longNet) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.Out.Update(ctx, m.RNN.Update(ctx, x))
}

func randTensor(rng interface{ Float64() float64 }, p float64, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	if bpgo.FloatDType() == dtypes.Float32 { // no float64 copy of a long input in the peak memory
		v := make([]float32, n)
		for i := range v {
			if rng.Float64() < p {
				v[i] = 1
			}
		}
		return tensors.FromFlatDataAndDimensions(v, dims...)
	}
	v := make([]float64, n)
	for i := range v {
		if rng.Float64() < p {
			v[i] = 1
		}
	}
	return bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), v, dims...))
}

// alif times one BPTT training step over T steps at the e-prop scale. Until bpgo has the ALIF
// neuron (issue 4) the recurrent layer is a tanh RNNCell of the same size.
func alif(steps, T, batch, chunk int) error {
	bpgo.DisableX64()
	bpgo.SetSeed(7)
	bpgo.SetMode(bpgo.TrainingMode)
	cell, err := models.NewRNNCell(40, 100, models.RNNCellOptions{Activation: "tanh"})
	if err != nil {
		return err
	}
	out, err := models.NewDense(100, 2, models.DenseOptions{})
	if err != nil {
		return err
	}
	model := &longNet{RNN: cell, Out: out}
	loss := func(lc *bpgo.LossContext, pred, y *graph.Node) *graph.Node {
		return losses.CrossEntropy(pred, y)
	}
	g, err := bpgo.NewGrad(model, loss, bpgo.GradOptions{Chunk: chunk, Engine: engine, Checkpoint: checkpoint, Shards: shards})
	if err != nil {
		return err
	}
	opt, err := optim.NewAdam(optim.Constant(0.01), optim.AdamDefaults())
	if err != nil {
		return err
	}
	rng := bpgo.NewRNG()
	x := randTensor(rng, 0.05, batch, T, 40)
	lab := make([]float64, batch*T)
	for i := range lab {
		lab[i] = float64(rng.IntN(2))
	}
	y := bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), lab, batch, T))
	r := result{Workload: fmt.Sprintf("bptt-T%d", T), Backend: bpgo.BackendName(bpgo.Must1(bpgo.Backend())), DType: "float32"}
	return measure(r, steps, func() (float64, error) {
		res, err := g.Step(x, y, opt)
		if err != nil {
			return 0, err
		}
		return res.Loss, nil
	})
}

// spiking is seed 000's SNN: spike >> i2r >> r >> r2o >> o.
type spiking struct {
	I2R *models.Sequential
	R   *models.Lif
	R2O *models.Sequential
	O   *models.Integrator
}

func (n *spiking) Update(ctx *bpgo.Context, spike *graph.Node) *graph.Node {
	return n.UpdateEncoded(ctx, n.Encode(ctx, spike))
}

// Encode and UpdateEncoded make the network a bpgo.Encoder, as notebook 01's SNN is.
func (n *spiking) Encode(ctx *bpgo.Context, spike *graph.Node) *graph.Node {
	return n.I2R.Head(ctx, spike)
}

func (n *spiking) UpdateEncoded(ctx *bpgo.Context, e *graph.Node) *graph.Node {
	return n.O.Update(ctx, n.R2O.Update(ctx, n.R.Update(ctx, n.I2R.Tail(ctx, e))))
}

func newSpiking(numIn, numRec, numOut int) (*spiking, error) {
	bpgo.SetMode(bpgo.TrainingMode)
	defer bpgo.SetMode(bpgo.DefaultMode)
	w := models.DenseOptions{WInit: initializers.KaimingNormal{Scale: 20}}
	lo := models.LifDefaults()
	lo.VReset, lo.VTh = 0, 1
	r, err := models.NewLif(numRec, lo)
	if err != nil {
		return nil, err
	}
	o, err := models.NewIntegrator(numOut, models.IntegratorOptions{Tau: 5})
	if err != nil {
		return nil, err
	}
	layer := func(in, out int) (*models.Sequential, error) {
		l, err := models.NewLinear(in, out, w)
		if err != nil {
			return nil, err
		}
		e, err := models.NewExpon(out, models.ExponOptions{Tau: 10})
		if err != nil {
			return nil, err
		}
		return models.NewSequential(l, e)
	}
	i2r, err := layer(numIn, numRec)
	if err != nil {
		return nil, err
	}
	r2o, err := layer(numRec, numOut)
	if err != nil {
		return nil, err
	}
	return &spiking{I2R: i2r, R: r, R2O: r2o, O: o}, nil
}

func snn(epochs, chunk int) error {
	dtype := x64()
	bpgo.SetDt(1.0)
	bpgo.SetSeed(1)
	net, err := newSpiking(100, 10, 2)
	if err != nil {
		return err
	}
	rng := bpgo.NewRNG()
	const steps, samples = 100, 256
	x := randTensor(rng, 10*bpgo.Dt()/1000, samples, steps, 100)
	lab := make([]float64, samples)
	for i := range lab {
		if rng.Float64() < 0.5 {
			lab[i] = 1
		}
	}
	y := bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), lab, samples))
	loss := func(lc *bpgo.LossContext, outs, labels *graph.Node) *graph.Node {
		return losses.CrossEntropy(graph.ReduceMax(outs, 1), labels)
	}
	g, err := bpgo.NewGrad(net, loss, bpgo.GradOptions{Chunk: chunk, Engine: engine, Shards: shards})
	if err != nil {
		return err
	}
	opt, err := optim.NewAdam(optim.Constant(4e-3), optim.AdamDefaults())
	if err != nil {
		return err
	}
	r := result{Workload: "snn", Backend: bpgo.BackendName(bpgo.Must1(bpgo.Backend())), DType: dtype, Engine: engine.String()}
	units := 0
	return measure(r, epochs, func() (loss float64, err error) {
		units++
		for range 100 {
			res, err := g.Step(x, y, opt)
			if err != nil {
				return 0, err
			}
			loss = res.Loss
		}
		fmt.Fprintf(os.Stderr, "Train %d steps, loss %s\n", 100*units, trainers.PyFloat(loss))
		return loss, nil
	})
}

// eligSNN is seed 002's EligSNN (eprop=False): z = r.spike (previous step);
// o(r2o(r(r2r(z) + i2r(x)))).
type eligSNN struct {
	I2R, R2R, R2O *models.Dense
	R             *models.ALIFBellec2020
	O             *models.Leaky
}

func (n *eligSNN) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return n.UpdateProjected(ctx, x, n.Project(ctx, x))
}

// Project is the recurrent and input currents (a bpgo.Projector: the XLA scan stores them
// instead of recomputing their products in its backward loop).
func (n *eligSNN) Project(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return graph.Add(n.R2R.Update(ctx, ctx.Value(n.R.Spike)), n.I2R.Update(ctx, x))
}

func (n *eligSNN) UpdateProjected(ctx *bpgo.Context, x, i *graph.Node) *graph.Node {
	return n.O.Update(ctx, n.R2O.Update(ctx, n.R.Update(ctx, i)))
}

func newEligSNN() (*eligSNN, error) {
	bpgo.SetMode(bpgo.TrainingMode)
	defer bpgo.SetMode(bpgo.DefaultMode)
	b1 := math.Exp(-1.0 / 2000)
	b2 := 1.7 * (1 - b1) / (1 - math.Exp(-1.0/20))
	betas := make([]float64, 100)
	for i := range betas {
		betas[i] = 1
		if i >= 50 {
			betas[i] = b2
		}
	}
	ao := models.ALIFDefaults()
	ao.VRest, ao.VTh, ao.TauRef, ao.Betas = 0, 0.6, 5, betas
	ao.VInit, ao.AInit, ao.NoInputVar = initializers.Zero{}, initializers.Zero{}, true
	r, err := models.NewALIFBellec2020(100, ao)
	if err != nil {
		return nil, err
	}
	o, err := models.NewLeaky(2, models.LeakyOptions{Tau: 20})
	if err != nil {
		return nil, err
	}
	dense := func(in, out int, scale float64) (*models.Dense, error) {
		d, err := models.NewDense(in, out, models.DenseOptions{WInit: initializers.KaimingNormal{Scale: 2}, NoBias: true})
		if err != nil {
			return nil, err
		}
		w := d.W.Float64s()
		for i := range w {
			w[i] *= scale
		}
		return d, d.W.SetValue(bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), w, in, out)))
	}
	n := &eligSNN{R: r, O: o}
	if n.I2R, err = dense(40, 100, 20); err != nil {
		return nil, err
	}
	if n.R2R, err = dense(100, 100, 20); err != nil {
		return nil, err
	}
	if n.R2O, err = dense(100, 2, 1); err != nil {
		return nil, err
	}
	return n, nil
}

func eprop(steps, T, batch, chunk int) error {
	net, x, labels, err := epropSetup(batch, T)
	if err != nil {
		return err
	}
	lab := make([]float64, batch)
	for i, l := range labels {
		lab[i] = float64(l)
	}
	y := bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), lab, batch))
	loss := func(lc *bpgo.LossContext, outs, labels *graph.Node) *graph.Node {
		t := outs.Shape().Dimensions[1]
		last := graph.Slice(outs, graph.AxisRange(), graph.AxisRange(t-150, t)) // (B, 150, 2)
		tiled := graph.BroadcastToDims(graph.InsertAxes(labels, 1), batch, 150)
		ce := losses.CrossEntropy(last, tiled)
		rate := graph.ReduceMean(lc.Monitor("R.Spike"), 0, 1) // per neuron, dt = 1
		reg := graph.ReduceAllSum(graph.Square(graph.AddScalar(rate, -0.01)))
		lc.Aux("loss reg", reg)
		return graph.Add(ce, reg)
	}
	g, err := bpgo.NewGrad(net, loss, bpgo.GradOptions{Chunk: chunk, Monitors: []string{"R.Spike"}, Engine: engine, Checkpoint: checkpoint, Shards: shards})
	if err != nil {
		return err
	}
	opt, err := optim.NewAdam(optim.Constant(0.01), optim.AdamDefaults())
	if err != nil {
		return err
	}
	r := result{Workload: fmt.Sprintf("eprop-alif-T%d", T), Backend: bpgo.BackendName(bpgo.Must1(bpgo.Backend())), DType: "float32", Engine: engine.String()}
	return measure(r, steps, func() (float64, error) {
		res, err := g.Step(x, y, opt)
		if err != nil {
			return 0, err
		}
		return res.Loss, nil
	})
}

// epropSetup is what both e-prop rows start from: float32, dt = 1, seed 3, the network and
// one batch of data.
func epropSetup(batch, T int) (*eligSNN, *tensors.Tensor, []int, error) {
	net, err := epropNet()
	if err != nil {
		return nil, nil, nil, err
	}
	x, labels, err := epropData(batch, T)
	return net, x, labels, err
}

// epropNet sets float32, dt = 1 and seed 3 and builds the e-prop rows' network.
func epropNet() (*eligSNN, error) {
	bpgo.DisableX64()
	bpgo.SetDt(1.0)
	bpgo.SetSeed(3)
	return newEligSNN()
}

// clickTask is seed 002's click task with batch trials of T steps, seed 3, one batch per epoch.
func clickTask(batch, T int) (*datasets.EvidenceAccumulation, error) {
	o := datasets.EvidenceDefaults()
	o.Batch, o.BatchesPerEpoch, o.SeqLen, o.Seed = batch, 1, T, 3
	return datasets.NewEvidenceAccumulation(o)
}

// epropData is one batch of seed 002's click task (datasets.EvidenceAccumulation with the
// seed's parameters and SeqLen T, seed 3) when T is long enough for its seven cues and the
// recall period (T >= 1200, the quick mode's T = 200 is not), else Bernoulli(0.04) spikes with
// random labels.
func epropData(batch, T int) (*tensors.Tensor, []int, error) {
	if T >= 1200 {
		task, err := clickTask(batch, T)
		if err != nil {
			return nil, nil, err
		}
		b := task.Batch(0, 0)
		return tensors.FromFlatDataAndDimensions(b.Float32, b.Dims[:]...), b.Labels, nil
	}
	rng := bpgo.NewRNG()
	x := randTensor(rng, 0.04, batch, T, 40)
	lab := make([]int, batch)
	for i := range lab {
		lab[i] = rng.IntN(2)
	}
	return x, lab, nil
}

// epropOnline times one online e-prop step (symmetric feedback, the rate regulariser, Adam) on
// the eprop workload's network, inputs and labels: the traces run forward next to the network.
// With -stream the trial is drawn and handed over a window of steps at a time (its inputs are
// never held whole), which is what makes the step's memory independent of T.
func epropOnline(steps, T, batch, chunk int) error {
	o := trainers.EPropDefaults()
	o.Chunk, o.RegRate = chunk, 0.01
	if chunk == 0 {
		o.Chunk = bpgo.DefaultChunk
	}
	r := result{Workload: fmt.Sprintf("eprop-online-T%d", T), DType: "float32", Engine: "online"}
	var step func(*trainers.EProp) (*trainers.EPropResult, error)
	var net *eligSNN
	var err error
	if stream {
		if T < 1200 {
			return fmt.Errorf("-stream: the click task needs T >= 1200, got %d", T)
		}
		if net, err = epropNet(); err != nil {
			return err
		}
		task, err := clickTask(batch, T)
		if err != nil {
			return err
		}
		r.Workload += "-stream"
		step = func(ep *trainers.EProp) (*trainers.EPropResult, error) {
			tr, err := trainers.EvidenceTrial(task.Stream(0, 0), 150, 2)
			if err != nil {
				return nil, err
			}
			return ep.StepTrial(tr)
		}
	} else {
		var x *tensors.Tensor
		var lab []int
		if net, x, lab, err = epropSetup(batch, T); err != nil {
			return err
		}
		y, err := trainers.EvidenceTargets(lab, T, 150, 2)
		if err != nil {
			return err
		}
		step = func(ep *trainers.EProp) (*trainers.EPropResult, error) { return ep.Step(x, y) }
	}
	ep, err := trainers.NewEProp(net, trainers.EPropNetwork{Neurons: net.R, In: net.I2R, Rec: net.R2R, Out: net.R2O, Readout: net.O}, o)
	if err != nil {
		return err
	}
	r.Backend = bpgo.BackendName(bpgo.Must1(bpgo.Backend()))
	return measure(r, steps, func() (float64, error) {
		res, err := step(ep)
		if err != nil {
			return 0, err
		}
		return res.Loss, nil
	})
}

// peakRSS is the process's peak resident set size in MiB (VmHWM), 0 where /proc is missing.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}
