package trainers_test

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/bpgo/losses"
	"github.com/bpgo/bpgo/bpgo/optim"
	"github.com/bpgo/bpgo/models"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// quickstartSNN is notebook 01's spiking network (seed 000), with the notebook's library calls:
// spike >> i2r >> r >> r2o >> o within one step.
type quickstartSNN struct {
	I2R *models.Sequential
	R   *models.Lif
	R2O *models.Sequential
	O   *models.Integrator
}

func newQuickstartSNN(numIn, numRec, numOut int) *quickstartSNN {
	defer bpgo.UseMode(bpgo.TrainingMode)()
	lif := models.LifDefaults()
	lif.Tau, lif.VReset, lif.VRest, lif.VTh = 10, 0, 0, 1
	synapse := func(in, out int) *models.Sequential {
		comm := bpgo.Must1(models.NewLinear(in, out, models.DenseOptions{WInit: initializers.KaimingNormal{Scale: 20}}))
		syn := bpgo.Must1(models.NewExpon(out, models.ExponOptions{Tau: 10}))
		return bpgo.Must1(models.NewSequential(comm, syn))
	}
	return &quickstartSNN{
		I2R: synapse(numIn, numRec),
		R:   bpgo.Must1(models.NewLif(numRec, lif)),
		R2O: synapse(numRec, numOut),
		O:   bpgo.Must1(models.NewIntegrator(numOut, models.IntegratorOptions{Tau: 5})),
	}
}

func (n *quickstartSNN) Update(ctx *bpgo.Context, spike *graph.Node) *graph.Node {
	current := n.I2R.Update(ctx, spike)
	rSpike := n.R.Update(ctx, current)
	return n.O.Update(ctx, n.R2O.Update(ctx, rSpike))
}

// params maps the fixture's names to the model's parameters.
func (n *quickstartSNN) params() map[string]*bpgo.Variable {
	i2r, r2o := n.I2R.Modules[0].(*models.Dense), n.R2O.Modules[0].(*models.Dense)
	return map[string]*bpgo.Variable{"W1": i2r.W, "b1": i2r.B, "W2": r2o.W, "b2": r2o.B}
}

// quickstartSNNLoss is the tutorial's loss: cross-entropy of each output's maximum over time
// (outputs time-first, (T, B, 2)) with the float labels.
func quickstartSNNLoss(_ *bpgo.LossContext, outs, labels *graph.Node) *graph.Node {
	return losses.CrossEntropy(graph.ReduceMax(outs, 0), labels)
}

// spikeIndices returns a tensor of the given shape with 1 at the flat indices and 0 elsewhere.
func spikeIndices(t *testing.T, ones []int, dims ...int) *tensors.Tensor {
	t.Helper()
	size := 1
	for _, d := range dims {
		size *= d
	}
	x := make([]float64, size)
	for _, i := range ones {
		x[i] = 1
	}
	return bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), x, dims...))
}

// TestQuickstartSNNMatchesBrainPy runs notebook 01's SNN (100 inputs, 10 LIF neurons, 2
// integrators, 100 steps at dt = 1, float64) on BrainPy 2.4.3's initial weights and a 16-sample
// batch of the tutorial's data (testdata/snn_bp243.py), and checks the forward pass, the loss,
// the gradient of every parameter and three steps of the tutorial's hand-written loop
// (Adam(4e-3), bias correction stuck at epoch 0). 17 of the batch's 32 maxima over time are
// ties (readouts at exactly 0 until the first hidden spike), so the gradients also check that a
// tied maximum's cotangent is split among the tied steps.
func TestQuickstartSNNMatchesBrainPy(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	dt := bpgo.Dt()
	bpgo.Must(bpgo.SetDt(1))
	defer func() { bpgo.Must(bpgo.SetDt(dt)) }()
	var ref struct {
		Init, Final, Grads map[string][]float64
		X, Spikes          []int
		Y, Out, Losses     []float64
		Loss               float64
		Ties               int
	}
	raw := bpgo.Must1(os.ReadFile("testdata/snn_bp243.json"))
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	const nIn, nRec, nOut, batch, steps = 100, 10, 2, 16, 100
	if ref.Ties == 0 {
		t.Fatal("the fixture's batch has no tied maxima; regenerate it with a draw that has some")
	}
	net := newQuickstartSNN(nIn, nRec, nOut)
	for name, v := range net.params() {
		if err := v.SetValue(bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), ref.Init[name], v.Shape().Dimensions...))); err != nil {
			t.Fatal(name, err)
		}
	}
	xs := spikeIndices(t, ref.X, steps, batch, nIn)
	ys := bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), ref.Y, batch))

	// bp.DSRunner(net, data_first_axis='T', monitors={'r.spike': net.r.spike}).run(reset_state=True)
	runner := bpgo.Must1(bpgo.NewRunner(net, bpgo.RunnerOptions{Layout: bpgo.TimeFirst, Monitors: []string{"R.Spike"}}))
	out := bpgo.Must1(runner.Run(xs, bpgo.RunOptions{ResetState: true}))
	closeTo(t, "outputs", bpgo.ToFloat64s(out), ref.Out, 1e-12)
	spikes := bpgo.ToFloat64s(spikeIndices(t, ref.Spikes, steps, batch, nRec))
	closeTo(t, "spikes", bpgo.ToFloat64s(runner.Mon["R.Spike"]), spikes, 0)

	grad := bpgo.Must1(bpgo.NewGrad(net, quickstartSNNLoss, bpgo.GradOptions{Layout: bpgo.TimeFirst}))
	res := bpgo.Must1(grad.Compute(xs, ys))
	closeTo(t, "loss", []float64{res.Loss}, []float64{ref.Loss}, 1e-12)
	for name, v := range net.params() {
		closeTo(t, "gradient of "+name, bpgo.ToFloat64s(res.Grads[v]), ref.Grads[name], 1e-10)
	}

	opt := bpgo.Must1(optim.NewAdam(optim.Constant(4e-3), optim.AdamDefaults()))
	bpgo.Must(opt.Register(grad.Params()))
	losses := make([]float64, len(ref.Losses))
	for i := range losses {
		losses[i] = bpgo.Must1(grad.Step(xs, ys, opt)).Loss
	}
	closeTo(t, "step losses", losses, ref.Losses, 1e-10)
	// Each Adam step moves a parameter by at most about 0.316·lr = 1.3e-3; agree to 1e-8 of that.
	for name, v := range net.params() {
		got, want := v.Float64s(), ref.Final[name]
		t.Logf("trained %s: max |diff| %.3g", name, maxAbsDiff(got, want))
		for i := range want {
			if d := math.Abs(got[i] - want[i]); !(d <= 1e-11) {
				t.Fatalf("trained %s[%d] = %v, want %v (|diff| %.3g > 1e-11)", name, i, got[i], want[i], d)
			}
		}
	}
}

func maxAbsDiff(got, want []float64) float64 {
	d := 0.0
	for i := range want {
		d = max(d, math.Abs(got[i]-want[i]))
	}
	return d
}
