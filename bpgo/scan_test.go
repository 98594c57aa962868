package bpgo_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/bpgo/losses"
	"github.com/bpgo/bpgo/bpgo/optim"
	"github.com/bpgo/bpgo/models"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// requireXLA skips scan-engine tests on the Go backend, where the scan is not available.
func requireXLA(t *testing.T) {
	t.Helper()
	if bpgo.Must1(bpgo.Backend()).String() == gobackend.BackendName {
		t.Skip("the scan engine runs on XLA only: run with BPGO_BACKEND=xla PJRT_PLUGIN_LIBRARY_PATH=$PWD/.bpgo/pjrt (make gotest-xla)")
	}
}

// requireXLA64 is requireXLA with float64 for the rest of the test.
func requireXLA64(t *testing.T) {
	t.Helper()
	requireXLA(t)
	bpgo.EnableX64()
	t.Cleanup(bpgo.DisableX64)
}

// scanNet is input Dense → a cell or neuron → readout Dense; Rec feeds the neuron's previous
// spikes back (the e-prop network's recurrence) when set.
type scanNet struct {
	In   *models.Dense
	Cell bpgo.Stepper
	Out  *models.Dense
	Rec  *models.Dense
	Z    *bpgo.Variable // the recurrent input (the neuron's spike), or nil
	// Noise, when set, adds in-graph normal noise to the input current (Context.Normal).
	Noise *bpgo.Variable
}

func (m *scanNet) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.fromInput(ctx, m.In.Update(ctx, x))
}

// fromInput is the step after the input layer.
func (m *scanNet) fromInput(ctx *bpgo.Context, i *graph.Node) *graph.Node {
	if m.Rec != nil {
		i = graph.Add(i, m.Rec.Update(ctx, ctx.Value(m.Z)))
	}
	return m.afterRec(ctx, i)
}

// afterRec is the step after the input layer and the recurrence.
func (m *scanNet) afterRec(ctx *bpgo.Context, i *graph.Node) *graph.Node {
	if m.Noise != nil {
		i = graph.Add(i, graph.MulScalar(ctx.Normal(m.Noise, i.Shape().Dimensions...), 0.2))
	}
	return m.Out.Update(ctx, m.Cell.Update(ctx, i))
}

// scanEncNet is scanNet as a bpgo.Encoder: the scan engine runs its input layer once on all
// steps and takes that layer's gradient after the backward loop.
type scanEncNet struct{ Net *scanNet }

func (m *scanEncNet) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.Net.Update(ctx, x)
}

func (m *scanEncNet) Encode(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.Net.In.Update(ctx, x)
}

func (m *scanEncNet) UpdateEncoded(ctx *bpgo.Context, i *graph.Node) *graph.Node {
	return m.Net.fromInput(ctx, i)
}

// scanProjNet is scanNet as a bpgo.Projector: the scan engine stores the input layer's and the
// recurrence's currents in its forward loop and takes their gradient apart from the step's.
type scanProjNet struct{ Net *scanNet }

func (m *scanProjNet) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.Net.Update(ctx, x)
}

func (m *scanProjNet) Project(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	i := m.Net.In.Update(ctx, x)
	if m.Net.Rec != nil {
		i = graph.Add(i, m.Net.Rec.Update(ctx, ctx.Value(m.Net.Z)))
	}
	return i
}

func (m *scanProjNet) UpdateProjected(ctx *bpgo.Context, x, i *graph.Node) *graph.Node {
	return m.Net.afterRec(ctx, i)
}

var scanInit = initializers.Normal{Mean: 0.05, Scale: 0.4}

// One constructor per model, so that option changes touch one place each.
func scanRNN(in, n int) (bpgo.Stepper, error) {
	o := models.RNNCellDefaults()
	o.Activation, o.BInit, o.Mode = "tanh", scanInit, bpgo.TrainingMode
	return models.NewRNNCell(in, n, o)
}

func scanGRU(in, n int) (bpgo.Stepper, error) {
	o := models.GRUCellDefaults()
	o.BInit, o.Mode = scanInit, bpgo.TrainingMode
	return models.NewGRUCell(in, n, o)
}

func scanLSTM(in, n int) (bpgo.Stepper, error) {
	o := models.LSTMCellDefaults()
	o.BInit, o.Mode = scanInit, bpgo.TrainingMode
	return models.NewLSTMCell(in, n, o)
}

func scanLif(_, n int) (bpgo.Stepper, error) {
	o := models.LifDefaults()
	o.Tau, o.VTh, o.VReset, o.R, o.Mode = 2, 0.5, -0.2, 1, bpgo.TrainingMode
	return models.NewLif(n, o)
}

func scanALIF(_, n int) (bpgo.Stepper, error) {
	betas := make([]float64, n)
	for i := range betas {
		betas[i] = float64(i%2) * 1.7
	}
	o := models.ALIFDefaults()
	o.VRest, o.TauRef, o.VTh, o.TauA, o.Tau, o.Betas = 0, 2, 0.6, 20, 5, betas
	o.VInit, o.AInit, o.NoInputVar, o.Mode = initializers.Zero{}, initializers.Zero{}, true, bpgo.TrainingMode
	return models.NewALIFBellec2020(n, o)
}

var scanModels = []struct {
	name string
	make func(in, n int) (bpgo.Stepper, error)
	rec  bool
}{{"rnn", scanRNN, false}, {"gru", scanGRU, false}, {"lstm", scanLSTM, false}, {"lif", scanLif, false}, {"alif", scanALIF, true}, {"lif+noise", scanLif, false}}

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
		if sm.name == "lif+noise" {
			m.Noise = bpgo.NewRandomState()
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
// and recomputing from checkpoints (segments of 3: the last one shorter), with the inputs
// stepped through raw and, for the spiking models, through a bpgo.Encoder, and with every
// model as a bpgo.Projector (its currents stored by the forward loop).
func TestScanGradMatchesUnrolled(t *testing.T) {
	requireXLA64(t)
	const b, in, n, out = 3, 2, 4, 2
	type scanCase struct {
		kind        string
		steps, ckpt int
		as          string // "raw", "enc" (Encoder) or "proj" (Projector)
	}
	var cases []scanCase
	for _, kind := range []string{"rnn", "gru", "lstm", "lif", "alif", "lif+noise"} {
		for _, steps := range []int{7, 1} {
			for _, ckpt := range []int{0, 3} {
				cases = append(cases, scanCase{kind, steps, ckpt, "raw"}, scanCase{kind, steps, ckpt, "proj"})
				if kind == "lif" || kind == "alif" || kind == "lif+noise" {
					cases = append(cases, scanCase{kind, steps, ckpt, "enc"})
				}
			}
		}
	}
	if testing.Short() {
		cases = []scanCase{{"alif", 7, 3, "raw"}, {"lstm", 7, 0, "raw"}, {"lif+noise", 1, 0, "raw"}, {"alif", 7, 3, "enc"},
			{"lif+noise", 7, 0, "enc"}, {"alif", 7, 3, "proj"}, {"gru", 1, 0, "proj"}}
	}
	for _, c := range cases {
		kind, steps, ckpt := c.kind, c.steps, c.ckpt
		t.Run(fmt.Sprintf("%s/T%d/ckpt%d/%s", kind, steps, ckpt, c.as), func(t *testing.T) {
			net := newScanNet(t, kind, in, n, out)
			var m bpgo.Stepper = net
			switch c.as {
			case "enc":
				m = &scanEncNet{net}
			case "proj":
				m = &scanProjNet{net}
			}
			watch := firstFloatState(t, m)
			loss := monitorLoss(watch.Name())
			xs, ys := scanData(b, steps, in, out)
			var noise0 *tensors.Tensor
			if net.Noise != nil {
				noise0 = net.Noise.Value()
			}
			ref := bpgo.Must1(bpgo.NewGrad(m, loss, bpgo.GradOptions{Engine: bpgo.EngineUnrolled, Chunk: 2, Watch: []*bpgo.Variable{watch}}))
			scan := bpgo.Must1(bpgo.NewGrad(m, loss, bpgo.GradOptions{Engine: bpgo.EngineScan, Checkpoint: ckpt, Watch: []*bpgo.Variable{watch}}))
			want, err := ref.Compute(xs, ys)
			if err != nil {
				t.Fatal(err)
			}
			wantState := watch.Float64s()
			if net.Noise != nil {
				bpgo.Must(net.Noise.SetValue(noise0)) // the same noise for both engines
			}
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
			if c.as != "raw" && net.Noise == nil { // the loss without gradients: the forward loop alone
				ev, err := scan.Evaluate(xs, ys)
				if err != nil {
					t.Fatal(err)
				}
				if d := maxRelDiff([]float64{want.Loss}, []float64{ev.Loss}); d > 1e-10 {
					t.Errorf("Evaluate: loss %v, unrolled %v", ev.Loss, want.Loss)
				}
			}
		})
	}
}

// TestScanStepMatchesUnrolled: a training step (Adam) on the scan engine leaves the same
// parameters as on the unrolled engine, storing every state or recomputing from checkpoints.
func TestScanStepMatchesUnrolled(t *testing.T) {
	requireXLA64(t)
	const b, in, n, out, steps = 2, 2, 3, 2, 5
	ckpts := []int{0, 2}
	if testing.Short() {
		ckpts = ckpts[1:]
	}
	for _, ckpt := range ckpts {
		var params [2][][]float64
		for e, engine := range []bpgo.Engine{bpgo.EngineUnrolled, bpgo.EngineScan} {
			m := newScanNet(t, "alif", in, n, out)
			watch := firstFloatState(t, m)
			g := bpgo.Must1(bpgo.NewGrad(m, monitorLoss(watch.Name()), bpgo.GradOptions{Engine: engine, Checkpoint: ckpt, Chunk: 2, Watch: []*bpgo.Variable{watch}}))
			opt := bpgo.Must1(optim.NewAdam(optim.Constant(0.05), optim.AdamDefaults()))
			xs, ys := scanData(b, steps, in, out)
			for range 2 {
				if _, err := g.Step(xs, ys, opt); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range g.Params() {
				params[e] = append(params[e], p.Float64s())
			}
		}
		for i := range params[0] {
			if d := maxRelDiff(params[0][i], params[1][i]); d > 1e-10 {
				t.Errorf("checkpoint %d: parameter %d after two Adam steps differs by %.3g", ckpt, i, d)
			}
		}
	}
}

// TestScanSpares: a scan Grad keeps its loops' large buffers from call to call and writes them
// in place (see spares); whatever a call leaves in them must not reach the next. A sequence of
// calls with other data, another T, a loss without gradients, a step whose loss is infinite and
// a Release in between gives, call by call, what the unrolled engine gives, storing every state and
// recomputing from checkpoints (segments of 3: the last one shorter, so rows of the buffers
// stay from earlier calls).
func TestScanSpares(t *testing.T) {
	requireXLA64(t)
	const b, in, n, out = 2, 2, 3, 2
	type call struct {
		kind  string // "compute", "evaluate", "step" or "release" (Grad.Release)
		steps int
		inf   bool // targets of 1e300: the loss is +Inf and the step applies nothing
	}
	calls := []call{{"compute", 7, false}, {"evaluate", 7, false}, {"compute", 5, false}, {"step", 7, true},
		{"compute", 7, false}, {"step", 7, false}, {"release", 7, false}, {"compute", 7, false}}
	for _, ckpt := range []int{0, 3} {
		var losses [2][]float64
		var grads [2][][]float64
		for e, engine := range []bpgo.Engine{bpgo.EngineUnrolled, bpgo.EngineScan} {
			net := newScanNet(t, "alif", in, n, out)
			m := &scanProjNet{net}
			watch := firstFloatState(t, m)
			g := bpgo.Must1(bpgo.NewGrad(m, monitorLoss(watch.Name()), bpgo.GradOptions{Engine: engine, Checkpoint: ckpt, Chunk: 2,
				Watch: []*bpgo.Variable{watch}}))
			opt := bpgo.Must1(optim.NewAdam(optim.Constant(0.05), optim.AdamDefaults()))
			for i, c := range calls {
				xs, ys := scanData(b, c.steps, in, out)
				if c.inf {
					ys = bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), slices.Repeat([]float64{1e300}, b*c.steps*out), b, c.steps, out))
				}
				var r *bpgo.GradResult
				var err error
				switch c.kind {
				case "release":
					g.Release()
					losses[e] = append(losses[e], 0) // keeps losses[e][i] the loss of calls[i]
					continue
				case "compute":
					r, err = g.Compute(xs, ys)
				case "evaluate":
					r, err = g.Evaluate(xs, ys)
				default:
					r, err = g.Step(xs, ys, opt)
				}
				if err != nil {
					t.Fatalf("%s, call %d (%s, T = %d): %v", engine, i, c.kind, c.steps, err)
				}
				losses[e] = append(losses[e], r.Loss)
				for _, p := range g.Params() {
					if r.Grads != nil {
						grads[e] = append(grads[e], bpgo.ToFloat64s(r.Grads[p]))
					}
					grads[e] = append(grads[e], p.Float64s())
				}
			}
		}
		for i := range losses[0] {
			if losses[0][i] != losses[1][i] && maxRelDiff(losses[0][i:i+1], losses[1][i:i+1]) > 1e-10 {
				t.Errorf("checkpoint %d, call %d (%s): loss %v, unrolled %v", ckpt, i, calls[i].kind, losses[1][i], losses[0][i])
			}
		}
		if len(grads[0]) != len(grads[1]) {
			t.Fatalf("checkpoint %d: %d gradients and parameters, unrolled %d", ckpt, len(grads[1]), len(grads[0]))
		}
		for i := range grads[0] {
			if d := maxRelDiff(grads[0][i], grads[1][i]); d > 1e-10 {
				t.Errorf("checkpoint %d: gradient or parameter %d differs by %.3g", ckpt, i, d)
			}
		}
	}
}

// TestScanNonFiniteInput: the scan engine checks xs while its loops run; a NaN in it fails the
// step by name, with parameters, optimizer and the model's states as before the call (its
// reset included), and the next good step runs as if the bad one had not been tried.
func TestScanNonFiniteInput(t *testing.T) {
	requireXLA64(t)
	const b, in, n, out, steps = 2, 2, 3, 2, 5
	var params [2][][]float64
	for e, tryBad := range []bool{false, true} {
		m := newScanNet(t, "alif", in, n, out)
		watch := firstFloatState(t, m)
		g := bpgo.Must1(bpgo.NewGrad(m, monitorLoss(watch.Name()), bpgo.GradOptions{Engine: bpgo.EngineScan, Watch: []*bpgo.Variable{watch}}))
		opt := bpgo.Must1(optim.NewAdam(optim.Constant(0.05), optim.AdamDefaults()))
		xs, ys := scanData(b, steps, in, out)
		bpgo.Must1(g.Step(xs, ys, opt))
		if tryBad {
			state := watch.Float64s()
			flat := bpgo.ToFloat64s(xs)
			flat[len(flat)-1] = math.NaN()
			bad := bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), flat, b, steps, in))
			for _, call := range []func() error{
				func() error { _, err := g.Step(bad, ys, opt); return err },
				func() error { _, err := g.Compute(bad, ys); return err },
				func() error { _, err := g.Evaluate(bad, ys); return err },
			} {
				err := call()
				if err == nil || !strings.Contains(err.Error(), "xs: element 19 (of shape [2 5 2]) is NaN") {
					t.Fatalf("error %v, want one naming xs's element 19", err)
				}
			}
			if d := maxRelDiff(state, watch.Float64s()); d != 0 {
				t.Errorf("the failed calls changed state %q by %.3g", watch.Name(), d)
			}
		}
		bpgo.Must1(g.Step(xs, ys, opt))
		for _, p := range g.Params() {
			params[e] = append(params[e], p.Float64s())
		}
	}
	for i := range params[0] {
		if d := maxRelDiff(params[0][i], params[1][i]); d != 0 {
			t.Errorf("parameter %d after the steps differs by %.3g from a run without the bad batch", i, d)
		}
	}
}

// TestScanClock: inside the scan's loops every step sees its clock: the Runner's continues
// from run to run across segments, the Grad's starts at 0 for every batch.
func TestScanClock(t *testing.T) {
	requireXLA64(t)
	m := &clockModel{S: bpgo.NewState(bpgo.Zeros(1, 1), 0)}
	r := bpgo.Must1(bpgo.NewRunner(m, bpgo.RunnerOptions{Chunk: 3, Dt: 0.5, Engine: bpgo.EngineScan}))
	in := bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, []float64{1, 1, 1, 1, 1, 1, 1}, 1, 7, 1))
	for run, first := range []int{0, 7} {
		out := bpgo.ToFloat64s(bpgo.Must1(r.Run(in, bpgo.RunOptions{ResetState: run == 0})))
		for k := range 7 {
			if ti, ii := out[3*k], out[3*k+1]; ti != 0.5*float64(first+k) || ii != float64(first+k) {
				t.Fatalf("run %d, step %d: t=%v i=%v, want t=%v i=%d", run, k, ti, ii, 0.5*float64(first+k), first+k)
			}
		}
	}
	p := bpgo.NewParam(bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, []float64{1}, 1)), true)
	pm := &clockParam{clockModel: m, P: p}
	y := bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, []float64{0}, 1))
	for _, ckpt := range []int{0, 3} {
		g := bpgo.Must1(bpgo.NewGrad(pm, lastTime, bpgo.GradOptions{Dt: 0.5, NoReset: true, Engine: bpgo.EngineScan, Checkpoint: ckpt}))
		for call := range 2 {
			res := bpgo.Must1(g.Compute(in, y))
			if res.Loss != 3 {
				t.Errorf("checkpoint %d, call %d: last step's t = %v, want 3", ckpt, call, res.Loss)
			}
			if gp := bpgo.ToFloat64s(res.Grads[p]); gp[0] != 3 {
				t.Errorf("checkpoint %d, call %d: d loss/d P = %v, want 3", ckpt, call, gp)
			}
		}
	}
}

// TestScanRunnerMatchesUnrolled: a scan Runner gives the unrolled Runner's outputs, monitors,
// records (OnChunk), final state and hook updates, over segments and from run to run, with
// and without an Encoder.
func TestScanRunnerMatchesUnrolled(t *testing.T) {
	requireXLA64(t)
	kinds := []string{"gru", "alif", "lif+noise", "alif/enc", "lif+noise/enc"}
	if testing.Short() {
		kinds = []string{"alif", "alif/enc"}
	}
	for _, kind := range kinds {
		var outs, mons [2][]float64
		for e, engine := range []bpgo.Engine{bpgo.EngineUnrolled, bpgo.EngineScan} {
			net := newScanNet(t, strings.TrimSuffix(kind, "/enc"), 2, 3, 2)
			var m bpgo.Stepper = net
			if strings.HasSuffix(kind, "/enc") { // the scan encodes each segment's inputs first
				m = &scanEncNet{net}
			}
			watch := firstFloatState(t, m)
			r := bpgo.Must1(bpgo.NewRunner(m, bpgo.RunnerOptions{Engine: engine, Chunk: 3, Watch: []*bpgo.Variable{watch}}))
			xs, _ := scanData(2, 7, 2, 2)
			for run := range 2 {
				out := bpgo.Must1(r.Run(xs, bpgo.RunOptions{ResetState: run == 0}))
				outs[e] = append(outs[e], bpgo.ToFloat64s(out)...)
				mons[e] = append(mons[e], bpgo.ToFloat64s(r.Mon[watch.Name()])...)
			}
			mons[e] = append(mons[e], bpgo.ToFloat64s(r.Mon["ts"])...)
		}
		if d := maxRelDiff(outs[0], outs[1]); d > 1e-10 {
			t.Errorf("%s: outputs differ by %.3g", kind, d)
		}
		if d := maxRelDiff(mons[0], mons[1]); d > 1e-10 {
			t.Errorf("%s: monitors differ by %.3g", kind, d)
		}
	}

	// Records (Fit) through OnChunk, and a hook that changes a parameter at every step.
	var recs, ws [2][]float64
	for e, engine := range []bpgo.Engine{bpgo.EngineUnrolled, bpgo.EngineScan} {
		l := newLeaky(0.5, 2)
		r := bpgo.Must1(bpgo.NewRunner(l, bpgo.RunnerOptions{Engine: engine, Chunk: 3}))
		_, err := r.Run(seq(t, 2, 7), bpgo.RunOptions{Fit: true, OnChunk: func(c *bpgo.Chunk) error {
			recs[e] = append(recs[e], bpgo.ToFloat64s(c.Records[l])...)
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		w := bpgo.NewParam(bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, []float64{0}, 1, 1)), false)
		hook := &lmsHook{W: w, Count: bpgo.NewState(bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, []float64{0}, 1)), -1), lr: 0.1}
		hr := bpgo.Must1(bpgo.NewRunner(&linear{W: w}, bpgo.RunnerOptions{Engine: engine, Chunk: 3, Hook: hook}))
		xs := bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, []float64{1, 0.5, -1, 2, 0.3, -0.7, 1.5}, 1, 7, 1))
		ys := bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, []float64{2, 1, -2, 4, 0.6, -1.4, 3}, 1, 7, 1))
		out := bpgo.Must1(hr.Run(xs, bpgo.RunOptions{Targets: ys}))
		ws[e] = append(append(bpgo.ToFloat64s(out), w.Float64s()...), hook.Count.Float64s()...)
	}
	if len(recs[1]) != 14 || maxRelDiff(recs[0], recs[1]) > 1e-12 {
		t.Errorf("records: scan %v, unrolled %v", recs[1], recs[0])
	}
	if maxRelDiff(ws[0], ws[1]) > 1e-12 || ws[1][len(ws[1])-1] != 7 {
		t.Errorf("hook run (outputs, W, count): scan %v, unrolled %v", ws[1], ws[0])
	}
}

// TestEngineOption: EngineScan is refused on the Go backend, an unknown Engine and a negative
// Checkpoint anywhere.
func TestEngineOption(t *testing.T) {
	m := newTanhRNN(t, 2, 3, 1, 1)
	if _, err := bpgo.NewGrad(m, mseL2, bpgo.GradOptions{Engine: bpgo.Engine(7)}); err == nil || !strings.Contains(err.Error(), "GradOptions.Engine") {
		t.Errorf("unknown engine: %v", err)
	}
	if _, err := bpgo.NewGrad(m, mseL2, bpgo.GradOptions{Checkpoint: -1}); err == nil || !strings.Contains(err.Error(), "GradOptions.Checkpoint") {
		t.Errorf("negative checkpoint: %v", err)
	}
	_, err := bpgo.NewRunner(m, bpgo.RunnerOptions{Engine: bpgo.EngineScan})
	if bpgo.Must1(bpgo.Backend()).String() == gobackend.BackendName {
		if err == nil || !strings.Contains(err.Error(), "RunnerOptions.Engine: EngineScan needs the XLA backend") {
			t.Errorf("scan on the Go backend: %v", err)
		}
	} else if err != nil {
		t.Errorf("scan on XLA: %v", err)
	}
}

// oneUnit is the weight (1) and the decay unit that the error tests' models are made of.
func oneUnit() (*bpgo.Variable, *decay) {
	return bpgo.NewParam(bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), []float64{1}, 1)), true), &decay{V: bpgo.NewState(bpgo.Zeros(1, 1), 0)}
}

// scanSumGrad is a scan-engine Grad of the sum of m's outputs, with a sequence (1, 3, 1) to
// run it on.
func scanSumGrad(m bpgo.Stepper) (*bpgo.Grad, *tensors.Tensor) {
	sum := func(lc *bpgo.LossContext, out, y *graph.Node) *graph.Node { return graph.ReduceAllSum(out) }
	return bpgo.Must1(bpgo.NewGrad(m, sum, bpgo.GradOptions{Engine: bpgo.EngineScan})), bpgo.Must1(bpgo.Sequence([]float64{1, 2, 3}))
}

// badEncoder's Encode mixes rows: its result has one row, not B·T.
type badEncoder struct{ *gainDecay }

func (m *badEncoder) Encode(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return graph.ReduceSum(x, 0)
}

// clockEncoder's Encode reads the clock, which an Encode has no access to.
type clockEncoder struct{ *gainDecay }

func (m *clockEncoder) Encode(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return graph.Add(x, graph.ConvertDType(ctx.Index(), x.DType()))
}

// TestScanEncoderErrors: an Encode that does not map rows is an error that names Encode and the
// shape it should have returned; one that reads the clock is an error that names Encode.
func TestScanEncoderErrors(t *testing.T) {
	requireXLA64(t)
	w, d := oneUnit()
	m := &badEncoder{&gainDecay{W: w, D: d}}
	g, x := scanSumGrad(m)
	_, err := g.Compute(x, x)
	if err == nil || !strings.Contains(err.Error(), "Encode") || !strings.Contains(err.Error(), "want (3, ...)") {
		t.Errorf("got %v, want an error naming Encode and the (3, ...) rows it should return", err)
	}
	g, x = scanSumGrad(&clockEncoder{m.gainDecay})
	_, err = g.Compute(x, x)
	if err == nil || !strings.Contains(err.Error(), "Encode") || !strings.Contains(err.Error(), "no clock") {
		t.Errorf("got %v, want an error naming Encode and saying it has no clock", err)
	}
}

// settingProjector's Project sets the state, which a Project must leave as the step found it.
type settingProjector struct {
	W *bpgo.Variable
	D *decay
}

func (m *settingProjector) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.UpdateProjected(ctx, x, m.Project(ctx, x))
}

func (m *settingProjector) Project(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	p := graph.Mul(x, graph.InsertAxes(ctx.Value(m.W), 0))
	ctx.Set(m.D.V, p)
	return p
}

func (m *settingProjector) UpdateProjected(ctx *bpgo.Context, x, p *graph.Node) *graph.Node {
	return m.D.Update(ctx, p)
}

// TestScanProjectorErrors: a Project that sets state is an error that names Project and the
// state it set.
func TestScanProjectorErrors(t *testing.T) {
	requireXLA64(t)
	w, d := oneUnit()
	g, x := scanSumGrad(&settingProjector{W: w, D: d})
	_, err := g.Compute(x, x)
	if err == nil || !strings.Contains(err.Error(), "Project set D.V") {
		t.Errorf("got %v, want an error saying Project set D.V", err)
	}
}

// TestScanStoresReadStates: the scan engine stores for its backward loop only the states the
// step reads. The ALIF network's V, a, spikes and last spike times are read; its input current
// and refractory flag are only written, and are not stored. With the input current monitored
// by the loss (its cotangent flows back through the step that computes it), the loss and
// gradients still equal the unrolled engine's at 1e-10.
func TestScanStoresReadStates(t *testing.T) {
	requireXLA64(t)
	const b, in, n, out, steps = 3, 2, 4, 2, 7
	net := newScanNet(t, "alif", in, n, out)
	o := models.ALIFDefaults()
	o.VRest, o.TauRef, o.VTh, o.TauA, o.Tau = 0, 2, 0.6, 20, 5
	o.VInit, o.AInit, o.Mode = initializers.Zero{}, initializers.Zero{}, bpgo.TrainingMode
	cell := bpgo.Must1(models.NewALIFBellec2020(n, o)) // with the Input state
	net.Cell, net.Z = cell, cell.Spike
	loss := monitorLoss("Cell.Input") // the name the model tree gives it
	xs, ys := scanData(b, steps, in, out)
	watch := []*bpgo.Variable{cell.Input}
	ref := bpgo.Must1(bpgo.NewGrad(net, loss, bpgo.GradOptions{Engine: bpgo.EngineUnrolled, Chunk: 2, Watch: watch}))
	scan := bpgo.Must1(bpgo.NewGrad(net, loss, bpgo.GradOptions{Engine: bpgo.EngineScan, Watch: watch}))
	want := bpgo.Must1(ref.Compute(xs, ys))
	got := bpgo.Must1(scan.Compute(xs, ys))
	stored := bpgo.ScanStoredStates(scan)
	for _, v := range []*bpgo.Variable{cell.V, cell.A, cell.Spike, cell.TLastSpike} {
		if !slices.Contains(stored, v) {
			t.Errorf("state %q is read by the step but not stored", v.Name())
		}
	}
	for _, v := range []*bpgo.Variable{cell.Input, cell.Refractory} {
		if slices.Contains(stored, v) {
			t.Errorf("state %q is only written by the step but stored", v.Name())
		}
	}
	if d := maxRelDiff([]float64{want.Loss}, []float64{got.Loss}); d > 1e-10 {
		t.Errorf("loss %v, unrolled %v", got.Loss, want.Loss)
	}
	for _, p := range ref.Params() {
		if d := maxRelDiff(bpgo.ToFloat64s(want.Grads[p]), bpgo.ToFloat64s(got.Grads[p])); d > 1e-10 {
			t.Errorf("gradient of %q differs by %.3g (relative)", p.Name(), d)
		}
	}
}
