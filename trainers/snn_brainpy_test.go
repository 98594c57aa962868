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
	"github.com/bpgo/bpgo/trainers"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// tutorialSNN is notebook 05's SNN (seed 004), built as the notebook builds it:
// i2r(spike); r2o(r.spike); r(); o(); return o.x.
type tutorialSNN struct {
	R   *models.LifRef
	O   *models.Leaky
	I2R *models.HalfProjAlignPost
	R2O *models.HalfProjAlignPost
}

func newTutorialSNN(numIn, numRec, numOut int) *tutorialSNN {
	lif := models.LifRefDefaults()
	lif.Tau, lif.VReset, lif.VRest, lif.VTh = 10, 0, 0, 1
	r := bpgo.Must1(models.NewLifRef(numRec, lif))
	leaky := models.LeakyDefaults()
	leaky.Tau = 5
	o := bpgo.Must1(models.NewLeaky(numOut, leaky))
	projection := func(numPre int, post bpgo.Stepper, numPost int) *models.HalfProjAlignPost {
		linear := models.DenseDefaults()
		linear.WInit = initializers.KaimingNormal{Scale: 2}
		syn := models.ExponDefaults()
		syn.Tau = 10
		return bpgo.Must1(models.NewHalfProjAlignPost(bpgo.Must1(models.NewLinear(numPre, numPost, linear)),
			bpgo.Must1(models.NewExpon(numPost, syn)), models.NewCUBA(), post))
	}
	return &tutorialSNN{R: r, O: o, I2R: projection(numIn, r, numRec), R2O: projection(numRec, o, numOut)}
}

func (m *tutorialSNN) Update(ctx *bpgo.Context, spike *graph.Node) *graph.Node {
	toR := m.I2R.Update(ctx, spike)
	toO := m.R2O.Update(ctx, ctx.Value(m.R.Spike))
	m.R.Update(ctx, toR)
	return m.O.Update(ctx, toO)
}

// params maps the fixture's names to the model's parameters.
func (m *tutorialSNN) params() map[string]*bpgo.Variable {
	i2r, r2o := m.I2R.Comm.(*models.Dense), m.R2O.Comm.(*models.Dense)
	return map[string]*bpgo.Variable{"W1": i2r.W, "b1": i2r.B, "W2": r2o.W, "b2": r2o.B}
}

// tutorialSNNLoss is the tutorial's loss: cross-entropy of the maximum over time plus the L1
// (total spikes) and L2 (spikes per neuron) regularisers, with accuracy as aux.
func tutorialSNNLoss(lc *bpgo.LossContext, predicts, targets *graph.Node) *graph.Node {
	spikes := lc.Monitor("R.Spike")
	l1 := graph.MulScalar(graph.ReduceAllSum(spikes), 1e-5)
	l2 := graph.MulScalar(graph.ReduceAllMean(graph.Square(graph.ReduceSum(spikes, 0, 1))), 1e-5)
	predicts = graph.ReduceMax(predicts, 1)
	lc.Aux("acc", losses.Accuracy(predicts, targets))
	return graph.Add(graph.Add(losses.CrossEntropy(predicts, targets), l2), l1)
}

// closeTo fails unless got matches want within rel times the largest reference value (gradients
// span many orders of magnitude), and logs how close the match is (go test -v).
func closeTo(t *testing.T, what string, got []float64, want []float64, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale := 0.0
	for _, w := range want {
		scale = max(scale, math.Abs(w))
	}
	t.Logf("%s: max |diff| / max |want| = %.3g (max |want| %.3g)", what, maxAbsDiff(got, want)/scale, scale)
	for i := range want {
		if d := math.Abs(got[i] - want[i]); d > rel*scale || math.IsNaN(got[i]) {
			t.Fatalf("%s[%d] = %v, want %v (|diff| %.3g > %.3g)", what, i, got[i], want[i], d, rel*scale)
		}
	}
}

// TestTutorialSNNMatchesBrainPy runs the tutorial's SNN (shrunk: 16 inputs, 8 hidden, 3 outputs,
// 40 steps at dt = 0.1) on BrainPy 2.5.0's initial weights and inputs (testdata/snn_bp25.py)
// and checks the forward pass, the loss, the gradient of every parameter (whose readout traces
// include maxima tied over several steps) and three Adam steps of BPTT.Fit.
func TestTutorialSNNMatchesBrainPy(t *testing.T) {
	defer bpgo.UseMode(bpgo.TrainingMode)()
	var ref struct {
		Init, Final, Grads map[string][]float64
		X                  [][]float32
		Y                  [][]int32
		Out                []float64
		Spikes             []float64
		Loss               float64
		Losses             []float64
	}
	raw := bpgo.Must1(os.ReadFile("testdata/snn_bp25.json"))
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	const nIn, nRec, nOut, batch, steps = 16, 8, 3, 4, 40
	m := newTutorialSNN(nIn, nRec, nOut)
	for name, v := range m.params() {
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(toF32(ref.Init[name]), v.Shape().Dimensions...)); err != nil {
			t.Fatal(name, err)
		}
	}
	batches := make([]trainers.Batch, len(ref.X))
	for k := range ref.X {
		batches[k] = trainers.Batch{X: tensors.FromFlatDataAndDimensions(ref.X[k], batch, steps, nIn),
			Y: tensors.FromFlatDataAndDimensions(ref.Y[k], batch)}
	}

	runner := bpgo.Must1(bpgo.NewRunner(m, bpgo.RunnerOptions{Monitors: []string{"R.Spike"}}))
	out := bpgo.Must1(runner.Run(batches[0].X, bpgo.RunOptions{ResetState: true}))
	closeTo(t, "outputs", bpgo.ToFloat64s(out), ref.Out, 1e-5)
	closeTo(t, "spikes", bpgo.ToFloat64s(runner.Mon["R.Spike"]), ref.Spikes, 0)

	g := bpgo.Must1(bpgo.NewGrad(m, tutorialSNNLoss, bpgo.GradOptions{Monitors: []string{"R.Spike"}}))
	res := bpgo.Must1(g.Compute(batches[0].X, batches[0].Y))
	closeTo(t, "loss", []float64{res.Loss}, []float64{ref.Loss}, 1e-6)
	for name, v := range m.params() {
		closeTo(t, "gradient of "+name, bpgo.ToFloat64s(res.Grads[v]), ref.Grads[name], 1e-4)
	}

	o := trainers.BPTTDefaults()
	o.Optimizer = bpgo.Must1(optim.NewAdam(optim.Constant(1e-3), optim.AdamDefaults()))
	o.Monitors, o.Out = []string{"R.Spike"}, nil
	tr := bpgo.Must1(trainers.NewBPTT(m, tutorialSNNLoss, o))
	if err := tr.Fit(trainers.Batches(batches...), nil, 1, trainers.FitOptions{}); err != nil {
		t.Fatal(err)
	}
	closeTo(t, "step losses", tr.History().Detailed(trainers.FitPhase, "loss"), ref.Losses, 1e-5)
	// Each Adam step moves a parameter by about lr = 1e-3 at most; agree to 0.1% of that.
	for name, v := range m.params() {
		got, want := v.Float64s(), ref.Final[name]
		for i := range want {
			if d := math.Abs(got[i] - want[i]); !(d <= 1e-6) {
				t.Fatalf("trained %s[%d] = %v, want %v (|diff| %.3g > 1e-6)", name, i, got[i], want[i], d)
			}
		}
	}
}

func toF32(xs []float64) []float32 {
	out := make([]float32, len(xs))
	for i, x := range xs {
		out[i] = float32(x)
	}
	return out
}
