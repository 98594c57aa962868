package bpgo_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/bpgo/losses"
	"github.com/bpgo/bpgo/models"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// requireXLA skips scan-engine tests on the Go backend, where the scan is not available.
func requireXLA(t *testing.T) {
	t.Helper()
	if bpgo.MustBackend().Name() == gobackend.BackendName {
		t.Skip("the scan engine runs on XLA only: run with BPGO_BACKEND=xla PJRT_PLUGIN_LIBRARY_PATH=$PWD/.bpgo/pjrt (make gotest-xla)")
	}
}

// scanNet is input Dense → a cell or neuron → readout Dense; Rec feeds the neuron's previous
// spikes back (the e-prop network's recurrence) when set.
type scanNet struct {
	In   *models.Dense
	Cell bpgo.Stepper
	Out  *models.Dense
	Rec  *models.Dense
	Z    *bpgo.Variable // the recurrent input (the neuron's spike), or nil
}

func (m *scanNet) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	i := m.In.Update(ctx, x)
	if m.Rec != nil {
		i = graph.Add(i, m.Rec.Update(ctx, ctx.Value(m.Z)))
	}
	return m.Out.Update(ctx, m.Cell.Update(ctx, i))
}

var scanInit = initializers.Normal{Mean: 0.05, Scale: 0.4}

// One constructor per model, so that option changes touch one place each.
func scanRNN(in, n int) (bpgo.Stepper, error) {
	return models.NewRNNCell(in, n, models.RNNCellOptions{Activation: "tanh", BInit: scanInit, Mode: bpgo.TrainingMode})
}

func scanGRU(in, n int) (bpgo.Stepper, error) {
	return models.NewGRUCell(in, n, models.GRUCellOptions{BInit: scanInit, Mode: bpgo.TrainingMode})
}

func scanLSTM(in, n int) (bpgo.Stepper, error) {
	return models.NewLSTMCell(in, n, models.LSTMCellOptions{BInit: scanInit, Mode: bpgo.TrainingMode})
}

func scanLif(_, n int) (bpgo.Stepper, error) {
	return models.NewLif(n, models.LifOptions{Tau: 2, VTh: 0.5, VReset: -0.2, R: 1, Mode: bpgo.TrainingMode})
}

func scanALIF(_, n int) (bpgo.Stepper, error) {
	betas := make([]float64, n)
	for i := range betas {
		betas[i] = float64(i%2) * 1.7
	}
	return models.NewALIFBellec2020(n, models.ALIFOptions{VRest: models.Zero, TauRef: 2, VTh: 0.6, TauA: 20, Tau: 5,
		Betas: betas, VInit: initializers.Zero{}, AInit: initializers.Zero{}, NoInputVar: true, Mode: bpgo.TrainingMode})
}

var scanModels = []struct {
	name string
	make func(in, n int) (bpgo.Stepper, error)
	rec  bool
}{{"rnn", scanRNN, false}, {"gru", scanGRU, false}, {"lstm", scanLSTM, false}, {"lif", scanLif, false}, {"alif", scanALIF, true}}

func newScanNet(t *testing.T, kind string, in, n, out int) *scanNet {
	t.Helper()
	bpgo.SetSeed(5)
	defer bpgo.UseMode(bpgo.TrainingMode)()
	var m *scanNet
	for _, sm := range scanModels {
		if sm.name != kind {
			continue
		}
		cell := bpgo.Must1(sm.make(n, n))
		m = &scanNet{Cell: cell,
			In:  bpgo.Must1(models.NewDense(in, n, models.DenseOptions{WInit: initializers.Normal{Scale: 1.5}, BInit: scanInit})),
			Out: bpgo.Must1(models.NewDense(n, out, models.DenseOptions{BInit: scanInit}))}
		if sm.rec {
			m.Rec = bpgo.Must1(models.NewDense(n, n, models.DenseOptions{NoBias: true}))
			m.Z = cell.(*models.ALIFBellec2020).Spike
		}
	}
	if m == nil {
		t.Fatalf("no model %q", kind)
	}
	return m
}

// firstFloatState is the model's first float state variable (monitored by the loss).
func firstFloatState(t *testing.T, m any) *bpgo.Variable {
	tree := bpgo.Must1(bpgo.Walk(m))
	for _, v := range tree.States() {
		if v.Value().DType().IsFloat() {
			return v
		}
	}
	t.Fatal("the model has no float state")
	return nil
}


func monitorLoss(name string) bpgo.LossFunc {
	return func(lc *bpgo.LossContext, out, y *graph.Node) *graph.Node {
		mon := lc.Monitor(name) // (B, T, ...)
		steps := mon.Shape().Dimensions[1]
		late := graph.Slice(mon, graph.AxisRange(), graph.AxisRange(steps/2, steps))
		reg := graph.ReduceAllMean(graph.Square(late))
		lc.Aux("reg", reg)
		lc.Aux("mse", losses.MSE(out, y))
		return graph.Add(graph.Add(losses.MSE(out, y), graph.MulScalar(reg, 0.3)),
			graph.MulScalar(losses.L2NormSquared(lc.TrainVars()...), 1e-3))
	}
}

func scanData(b, steps, in, out int) (*tensors.Tensor, *tensors.Tensor) {
	rng := bpgo.NewRNG()
	xs := make([]float64, b*steps*in)
	for i := range xs {
		xs[i] = rng.NormFloat64()
	}
	ys := make([]float64, b*steps*out)
	for i := range ys {
		ys[i] = rng.NormFloat64()
	}
	return bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), xs, b, steps, in)), bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), ys, b, steps, out))
}

// closeAll reports whether a and b agree to tol relative to the larger magnitude.
func maxRelDiff(a, b []float64) float64 {
	scale, diff := 0.0, 0.0
	for i := range a {
		scale = math.Max(scale, math.Max(math.Abs(a[i]), math.Abs(b[i])))
		diff = math.Max(diff, math.Abs(a[i]-b[i]))
	}
	if scale == 0 {
		return diff
	}
	return diff / scale
}

// TestScanGradMatchesUnrolled: the scan engine's loss, aux metrics and gradients equal the
// unrolled engine's at 1e-10 (float64) on every model, for odd T and T = 1, storing every state
// and recomputing from checkpoints.
func TestScanGradMatchesUnrolled(t *testing.T) {
	requireXLA(t)
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const b, in, n, out = 3, 2, 4, 2
	stepsList := []int{7, 1}
	kinds := []string{"rnn", "gru", "lstm", "lif", "alif"}
	if testing.Short() {
		kinds = []string{"lstm", "alif"}
	}
	for _, kind := range kinds {
		for _, steps := range stepsList {
			for _, ckpt := range []int{0, 3} {
				t.Run(fmt.Sprintf("%s/T%d/ckpt%d", kind, steps, ckpt), func(t *testing.T) {
					m := newScanNet(t, kind, in, n, out)
					watch := firstFloatState(t, m)
					loss := monitorLoss(watch.Name())
					xs, ys := scanData(b, steps, in, out)
					ref := bpgo.Must1(bpgo.NewGrad(m, loss, bpgo.GradOptions{Engine: bpgo.EngineUnrolled, Chunk: 2, Watch: []*bpgo.Variable{watch}}))
					scan := bpgo.Must1(bpgo.NewGrad(m, loss, bpgo.GradOptions{Engine: bpgo.EngineScan, Checkpoint: ckpt, Watch: []*bpgo.Variable{watch}}))
					want, err := ref.Compute(xs, ys)
					if err != nil {
						t.Fatal(err)
					}
					wantState := watch.Float64s()
					got, err := scan.Compute(xs, ys)
					if err != nil {
						t.Fatal(err)
					}
					if d := maxRelDiff([]float64{want.Loss}, []float64{got.Loss}); d > 1e-10 {
						t.Errorf("loss %v, unrolled %v", got.Loss, want.Loss)
					}
					for _, k := range want.AuxNames {
						if d := maxRelDiff([]float64{want.Aux[k]}, []float64{got.Aux[k]}); d > 1e-10 {
							t.Errorf("aux %q: %v, unrolled %v", k, got.Aux[k], want.Aux[k])
						}
					}
					if d := maxRelDiff(wantState, watch.Float64s()); d > 1e-10 {
						t.Errorf("final state %q differs by %.3g", watch.Name(), d)
					}
					nonzero := false
					for _, p := range ref.Params() {
						w, g := bpgo.ToFloat64s(want.Grads[p]), bpgo.ToFloat64s(got.Grads[p])
						if d := maxRelDiff(w, g); d > 1e-10 {
							t.Errorf("gradient of %q differs by %.3g (relative)\nunrolled %v\nscan     %v", p.Name(), d, w, g)
						}
						for _, x := range w {
							nonzero = nonzero || x != 0
						}
					}
					if !nonzero {
						t.Error("all gradients are zero: the test cannot tell the engines apart")
					}
				})
			}
		}
	}
}
