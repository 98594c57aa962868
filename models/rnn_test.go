package models_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/models"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Wrappers that turn one cell into a model the runner can drive.
type rnnOnly struct{ R *models.RNNCell }

func (m *rnnOnly) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node { return m.R.Update(ctx, x) }

type gruOnly struct{ R *models.GRUCell }

func (m *gruOnly) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node { return m.R.Update(ctx, x) }

type lstmOnly struct{ R *models.LSTMCell }

func (m *lstmOnly) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node { return m.R.Update(ctx, x) }

type vanillaOnly struct{ R *models.VanillaRNN }

func (m *vanillaOnly) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.R.Update(ctx, x)
}

// Sizes of the hand-computed cases: 2 inputs, 3 hidden units, batch 2, 3 steps.
const (
	cNI, cH, cB, cT = 2, 3, 2, 3
)

// vals gives n deterministic values in [-0.9, 0.9] (step 0.1); the BrainPy cross-check script
// uses the same formula.
func vals(n, seed int) []float64 {
	out := make([]float64, n)
	for k := range out {
		out[k] = float64((k*37+seed*11)%19-9) / 10
	}
	return out
}

func tensorOf(t *testing.T, data []float64, dims ...int) *tensors.Tensor {
	t.Helper()
	x, err := bpgo.FromFloat64s(bpgo.FloatDType(), data, dims...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func setVar(t *testing.T, v *bpgo.Variable, data []float64) {
	t.Helper()
	if err := v.SetValue(tensorOf(t, data, v.Shape().Dimensions...)); err != nil {
		t.Fatal(err)
	}
}

// runReset runs a model over in (B, T, F) after resetting it for B, in chunks of chunk steps.
func runReset(t *testing.T, model bpgo.Stepper, in *tensors.Tensor, chunk int) []float64 {
	t.Helper()
	r, err := bpgo.NewRunner(model, bpgo.RunnerOptions{Chunk: chunk})
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Run(in, bpgo.RunOptions{ResetState: true})
	if err != nil {
		t.Fatal(err)
	}
	return bpgo.ToFloat64s(out)
}

func closeTo(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol || math.IsNaN(got[i]) {
			t.Fatalf("%s: value %d = %.17g, want %.17g\ngot  %v\nwant %v", what, i, got[i], want[i], got, want)
		}
	}
}

// Plain-Go reference: row vector x (n) times row-major w (n, m).
func vecMat(x, w []float64, m int) []float64 {
	out := make([]float64, m)
	for i, xi := range x {
		for j := range m {
			out[j] += xi * w[i*m+j]
		}
	}
	return out
}

func sigm(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// stepFn is one step of a cell for one batch row: returns (output, new state).
type stepFn func(x, state []float64) (out, next []float64)

// refRun runs a stepFn over xs (B, T, NI) from the initial state rows and returns the
// outputs (B, T, H) flattened.
func refRun(xs []float64, init [][]float64, step stepFn) []float64 {
	var out []float64
	for b := range cB {
		s := init[b]
		for ti := range cT {
			x := xs[(b*cT+ti)*cNI : (b*cT+ti+1)*cNI]
			var y []float64
			y, s = step(x, s)
			out = append(out, y...)
		}
	}
	return out
}

func zeroRows(n int) [][]float64 {
	rows := make([][]float64, cB)
	for i := range rows {
		rows[i] = make([]float64, n)
	}
	return rows
}

func rnnRef(wi, wh, b []float64, act func(float64) float64) stepFn {
	return func(x, h []float64) ([]float64, []float64) {
		a, r := vecMat(x, wi, cH), vecMat(h, wh, cH)
		y := make([]float64, cH)
		for j := range y {
			y[j] = act(a[j] + r[j] + b[j])
		}
		return y, y
	}
}

func gruRef(wi, wh, b []float64) stepFn {
	return func(x, h []float64) ([]float64, []float64) {
		gx, gh := vecMat(x, wi, 3*cH), vecMat(h, wh, 3*cH)
		z, r := make([]float64, cH), make([]float64, cH)
		for j := range cH {
			z[j] = sigm(gx[j] + gh[j] + b[j])
			r[j] = sigm(gx[cH+j] + gh[cH+j] + b[cH+j])
		}
		rh := make([]float64, cH)
		for j := range cH {
			rh[j] = r[j] * h[j]
		}
		// (r·h) @ Wh[:, 2H:]
		ah := make([]float64, cH)
		for i := range cH {
			for j := range cH {
				ah[j] += rh[i] * wh[i*3*cH+2*cH+j]
			}
		}
		y := make([]float64, cH)
		for j := range cH {
			a := math.Tanh(gx[2*cH+j] + ah[j] + b[2*cH+j])
			y[j] = (1-z[j])*h[j] + z[j]*a
		}
		return y, y
	}
}

func lstmRef(wi, wh, b []float64) stepFn {
	return func(x, s []float64) ([]float64, []float64) {
		h, c := s[:cH], s[cH:]
		gx, gh := vecMat(x, wi, 4*cH), vecMat(h, wh, 4*cH)
		g := make([]float64, 4*cH)
		for j := range g {
			g[j] = gx[j] + b[j] + gh[j]
		}
		// blocks i, g, f, o
		hn, cn := make([]float64, cH), make([]float64, cH)
		for j := range cH {
			cn[j] = sigm(g[2*cH+j]+1)*c[j] + sigm(g[j])*math.Tanh(g[cH+j])
			hn[j] = sigm(g[3*cH+j]) * math.Tanh(cn[j])
		}
		return hn, append(append([]float64{}, hn...), cn...)
	}
}

func reluF(x float64) float64 { return math.Max(x, 0) }

func TestRNNCellHandComputed(t *testing.T) {
	x64(t)
	wi, wh, b := vals(cNI*cH, 1), vals(cH*cH, 2), vals(cH, 3)
	xs := vals(cB*cT*cNI, 5)
	for _, c := range []struct {
		act string
		f   func(float64) float64
	}{{"", reluF}, {"tanh", math.Tanh}, {"identity", func(x float64) float64 { return x }}} {
		cell, err := models.NewRNNCell(cNI, cH, models.RNNCellOptions{Activation: c.act})
		if err != nil {
			t.Fatal(err)
		}
		setVar(t, cell.Wi, wi)
		setVar(t, cell.Wh, wh)
		setVar(t, cell.B, b)
		got := runReset(t, &rnnOnly{cell}, tensorOf(t, xs, cB, cT, cNI), 2)
		want := refRun(xs, zeroRows(cH), rnnRef(wi, wh, b, c.f))
		closeTo(t, "RNNCell("+cell.Activation()+")", got, want, 1e-12)
		// The state holds the last step's output.
		var last []float64
		for bi := range cB {
			last = append(last, want[(bi*cT+cT-1)*cH:(bi*cT+cT)*cH]...)
		}
		closeTo(t, "RNNCell state", cell.State.Float64s(), last, 1e-12)
	}
}

func TestGRUCellHandComputed(t *testing.T) {
	x64(t)
	wi, wh, b := vals(cNI*3*cH, 1), vals(cH*3*cH, 2), vals(3*cH, 3)
	xs := vals(cB*cT*cNI, 5)
	cell, err := models.NewGRUCell(cNI, cH, models.GRUCellOptions{})
	if err != nil {
		t.Fatal(err)
	}
	setVar(t, cell.Wi, wi)
	setVar(t, cell.Wh, wh)
	setVar(t, cell.B, b)
	got := runReset(t, &gruOnly{cell}, tensorOf(t, xs, cB, cT, cNI), 2)
	closeTo(t, "GRUCell", got, refRun(xs, zeroRows(cH), gruRef(wi, wh, b)), 1e-12)
}

func TestLSTMCellHandComputed(t *testing.T) {
	x64(t)
	wi, wh, b := vals(cNI*4*cH, 1), vals(cH*4*cH, 2), vals(4*cH, 3)
	xs := vals(cB*cT*cNI, 5)
	cell, err := models.NewLSTMCell(cNI, cH, models.LSTMCellOptions{})
	if err != nil {
		t.Fatal(err)
	}
	setVar(t, cell.Wi, wi)
	setVar(t, cell.Wh, wh)
	setVar(t, cell.B, b)
	got := runReset(t, &lstmOnly{cell}, tensorOf(t, xs, cB, cT, cNI), 2)
	closeTo(t, "LSTMCell", got, refRun(xs, zeroRows(2*cH), lstmRef(wi, wh, b)), 1e-12)
	// The state is [h | c]; h is the last output.
	st := cell.State.Float64s()
	if d := cell.State.Shape().Dimensions; d[0] != cB || d[1] != 2*cH {
		t.Fatalf("LSTM state shape %v, want [%d %d]", d, cB, 2*cH)
	}
	closeTo(t, "LSTM h", st[:cH], got[(cT-1)*cH:cT*cH], 0)
}

// The numbers below were produced with BrainPy 2.4.3 (x64, jax on CPU) by building each cell
// with bp.dnn.<Cell>(2, 3, activation=..., mode=bm.training_mode), setting
// Wi/Wh/b .value to vals(…, 1), vals(…, 2), vals(…, 3) reshaped to (2, G·3), (3, G·3), (G·3,),
// calling reset_state(2) and then the cell on xs[:, t] for t = 0, 1, 2, with
// xs = vals(12, 5).reshape(2, 3, 2); the printed outputs are stacked (B, T, H).
var brainpy243 = map[string][]float64{
	"rnn_relu": {0.5900000000000001, 0.34, 0.09, 0.0, 0.30700000000000005, 0.0, 0.27369999999999994, 0.6563000000000001, 0.4556, 0.53, 0.4, 0.27, 0.020999999999999963, 0.5710000000000001, 0.361, 0.2161999999999999, 1.1558000000000002, 1.0105},
	"rnn_tanh": {0.5298956075275295, 0.32747739480870536, 0.0897577847471601, 0.02016069734887573, 0.32538441763010184, 0.032932408901312514, 0.26186558413913175, 0.5905387705305127, 0.43872046138314436, 0.4853810906053715, 0.3799489622552249, 0.2636248354722033, 0.06127779245856008, 0.5229286371842825, 0.3605054346508492, 0.23072145808681768, 0.7946941649490196, 0.735026187645604},
	"gru":      {-6.021826823569565e-17, -0.11756356874861675, -0.19327616782450566, -0.059267466305086704, -0.20833937737048897, -0.320608902874038, -0.14221212134709268, -0.27604438581147034, -0.38862574844614306, -0.07349361958774153, -0.14307916146626334, -0.20032620320503078, -0.1820323435501746, -0.2464774125018435, -0.30483753294143806, -0.28274388885387375, -0.3125330786025186, -0.3399351066145875},
	"lstm":     {0.10200301413475461, 0.0472006954456247, 0.005181279577763659, 0.14464898774178656, 0.08598519703108898, 0.016480713663922533, 0.1540744695103417, 0.11206205325974444, 0.02705457975176349, 0.05613405116248144, 0.02304830751473151, -0.0036666876534409555, 0.06315345254094477, 0.037538639924711084, -0.0039800711315564515, 0.04277916465695813, 0.036616318983340786, -0.008675558065179334},
	// Final LSTM state [h | c] per batch row.
	"lstm_state": {0.1540744695103417, 0.11206205325974444, 0.02705457975176349, 0.49991161638413306, 0.40498785025785733, 0.09513525969952796, 0.04277916465695813, 0.036616318983340786, -0.008675558065179334, 0.09882428238340227, 0.08746832127944117, -0.020535227796988242},
}

func TestCellsMatchBrainPy243(t *testing.T) {
	x64(t)
	xs := tensorOf(t, vals(cB*cT*cNI, 5), cB, cT, cNI)
	set := func(wi, wh, b *bpgo.Variable, blocks int) {
		setVar(t, wi, vals(cNI*blocks*cH, 1))
		setVar(t, wh, vals(cH*blocks*cH, 2))
		setVar(t, b, vals(blocks*cH, 3))
	}
	for _, act := range []string{"relu", "tanh"} {
		c, err := models.NewRNNCell(cNI, cH, models.RNNCellOptions{Activation: act, Mode: bpgo.TrainingMode})
		if err != nil {
			t.Fatal(err)
		}
		set(c.Wi, c.Wh, c.B, 1)
		closeTo(t, "RNNCell "+act+" vs BrainPy", runReset(t, &rnnOnly{c}, xs, 100), brainpy243["rnn_"+act], 1e-14)
	}
	g, err := models.NewGRUCell(cNI, cH, models.GRUCellOptions{Mode: bpgo.TrainingMode})
	if err != nil {
		t.Fatal(err)
	}
	set(g.Wi, g.Wh, g.B, 3)
	closeTo(t, "GRUCell vs BrainPy", runReset(t, &gruOnly{g}, xs, 100), brainpy243["gru"], 1e-14)
	l, err := models.NewLSTMCell(cNI, cH, models.LSTMCellOptions{Mode: bpgo.TrainingMode})
	if err != nil {
		t.Fatal(err)
	}
	set(l.Wi, l.Wh, l.B, 4)
	closeTo(t, "LSTMCell vs BrainPy", runReset(t, &lstmOnly{l}, xs, 100), brainpy243["lstm"], 1e-14)
	closeTo(t, "LSTMCell state vs BrainPy", l.State.Float64s(), brainpy243["lstm_state"], 1e-14)
}

func TestVanillaRNNHandComputed(t *testing.T) {
	x64(t)
	wi, wh, b := vals(cNI*cH, 1), vals(cH*cH, 2), vals(cH, 3)
	xs := vals(cB*cT*cNI, 5)
	r, err := models.NewVanillaRNN(cNI, cH, models.VanillaRNNOptions{StateTrainable: true})
	if err != nil {
		t.Fatal(err)
	}
	setVar(t, r.Wff, wi)
	setVar(t, r.Wrec, wh)
	setVar(t, r.Bias, b)
	h0 := []float64{0.1, 0.7, 0.3}
	setVar(t, r.TrainState, h0)
	got := runReset(t, &vanillaOnly{r}, tensorOf(t, xs, cB, cT, cNI), 2)
	closeTo(t, "VanillaRNN", got, refRun(xs, [][]float64{h0, h0}, rnnRef(wi, wh, b, reluF)), 1e-12)
}

func TestRNNCellTrainStateOverwrittenAtReset(t *testing.T) {
	x64(t)
	c, err := models.NewRNNCell(cNI, cH, models.RNNCellOptions{Mode: bpgo.TrainingMode, TrainState: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.State2Train == nil || !c.State2Train.Trainable || c.State2Train.Kind != bpgo.Param {
		t.Fatal("TrainState must create a trainable parameter State2Train")
	}
	if d := c.State2Train.Shape().Dimensions; len(d) != 1 || d[0] != cH {
		t.Fatalf("State2Train shape %v, want [%d]", d, cH)
	}
	setVar(t, c.State2Train, []float64{1, 2, 3}) // as if learned
	c.ResetState(4)
	closeTo(t, "State2Train after reset (BrainPy 2.4.3 re-initialises it)", c.State2Train.Float64s(), make([]float64, cH), 0)
	if d := c.State.Shape().Dimensions; d[0] != 4 || d[1] != cH {
		t.Fatalf("state shape after ResetState(4): %v", d)
	}
	closeTo(t, "state after reset", c.State.Float64s(), make([]float64, 4*cH), 0)

	// With a non-zero StateInit both are re-drawn and the state is State2Train broadcast.
	c2, err := models.NewRNNCell(cNI, cH, models.RNNCellOptions{Mode: bpgo.TrainingMode, TrainState: true,
		StateInit: initializers.Uniform{Min: 1, Max: 2}})
	if err != nil {
		t.Fatal(err)
	}
	st := c2.State.Float64s() // construction: state[:] = state2train
	closeTo(t, "initial state = State2Train", st, c2.State2Train.Float64s(), 0)
	before := c2.State2Train.Float64s()
	c2.ResetState(3)
	after := c2.State2Train.Float64s()
	if after[0] == before[0] {
		t.Error("State2Train was not re-drawn by ResetState")
	}
	s := c2.State.Float64s()
	for bi := range 3 {
		closeTo(t, "state row", s[bi*cH:(bi+1)*cH], after, 0)
	}

	// LSTM: the trainable state covers [h | c].
	l, err := models.NewLSTMCell(cNI, cH, models.LSTMCellOptions{Mode: bpgo.TrainingMode, TrainState: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := l.State2Train.Shape().Dimensions; d[0] != 2*cH {
		t.Fatalf("LSTM State2Train shape %v, want [%d]", d, 2*cH)
	}
}

func TestVanillaRNNKeepsTrainState(t *testing.T) {
	x64(t)
	r, err := models.NewVanillaRNN(cNI, cH, models.VanillaRNNOptions{StateTrainable: true})
	if err != nil {
		t.Fatal(err)
	}
	// Construction: TrainState = row 0 of a U[0,1) draw, copied into the state.
	ts := r.TrainState.Float64s()
	closeTo(t, "initial state = TrainState", r.State.Float64s(), ts, 0)
	for _, v := range ts {
		if v < 0 || v >= 1 {
			t.Fatalf("initial TrainState %v not in [0, 1)", ts)
		}
	}
	learned := []float64{0.25, -1, 2}
	setVar(t, r.TrainState, learned)
	r.ResetState(4)
	closeTo(t, "TrainState after reset (kept)", r.TrainState.Float64s(), learned, 0)
	s := r.State.Float64s()
	if len(s) != 4*cH {
		t.Fatalf("state has %d values after ResetState(4), want %d", len(s), 4*cH)
	}
	for bi := range 4 {
		closeTo(t, "state row", s[bi*cH:(bi+1)*cH], learned, 0)
	}

	// Without StateTrainable every reset draws U[0,1) afresh.
	r2, err := models.NewVanillaRNN(cNI, 50, models.VanillaRNNOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r2.TrainState != nil || r2.StateTrainable() {
		t.Fatal("TrainState must be nil without StateTrainable")
	}
	r2.ResetState(5)
	s = r2.State.Float64s()
	if len(s) != 5*50 {
		t.Fatalf("state has %d values, want %d", len(s), 5*50)
	}
	differ := false
	for i, v := range s {
		if v < 0 || v >= 1 {
			t.Fatalf("state value %v not in [0, 1)", v)
		}
		if i >= 50 && v != s[i-50] {
			differ = true
		}
	}
	if !differ {
		t.Error("rows of a Uniform state are identical")
	}
}

func TestRNNBatchSizeChange(t *testing.T) {
	x64(t)
	c, err := models.NewRNNCell(cNI, cH, models.RNNCellOptions{Activation: "tanh"})
	if err != nil {
		t.Fatal(err)
	}
	if d := c.State.Shape().Dimensions; d[0] != 1 || d[1] != cH {
		t.Fatalf("initial state shape %v, want [1 %d] (the mode's batch size)", d, cH)
	}
	model := &rnnOnly{c}
	r, err := bpgo.NewRunner(model, bpgo.RunnerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out1, err := r.Run(tensorOf(t, vals(cT*cNI, 7), 1, cT, cNI), bpgo.RunOptions{}) // batch 1: no reset needed
	if err != nil {
		t.Fatal(err)
	}
	in3 := tensorOf(t, vals(3*cT*cNI, 7), 3, cT, cNI)
	if _, err := r.Run(in3, bpgo.RunOptions{}); err == nil || !strings.Contains(err.Error(), "batch size") {
		t.Fatalf("running batch 3 on a batch-1 state: error %v, want one about the batch size", err)
	}
	out3, err := r.Run(in3, bpgo.RunOptions{ResetState: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := out3.Shape().Dimensions; d[0] != 3 || d[1] != cT || d[2] != cH {
		t.Fatalf("output shape %v, want [3 %d %d]", d, cT, cH)
	}
	// Row 0 of the batch-3 input equals the batch-1 input, from the same zero state.
	closeTo(t, "batch row 0", bpgo.ToFloat64s(out3)[:cT*cH], bpgo.ToFloat64s(out1), 1e-15)
}

func TestRNNWalkNames(t *testing.T) {
	c, err := models.NewRNNCell(cNI, cH, models.RNNCellOptions{Mode: bpgo.TrainingMode, TrainState: true})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := models.NewGRUCell(cNI, cH, models.GRUCellOptions{NoBias: true})
	l, _ := models.NewLSTMCell(cNI, cH, models.LSTMCellOptions{})
	v, _ := models.NewVanillaRNN(cNI, cH, models.VanillaRNNOptions{StateTrainable: true})
	model := &struct {
		R *models.RNNCell
		G *models.GRUCell
		L *models.LSTMCell
		V *models.VanillaRNN
	}{c, g, l, v}
	tree, err := bpgo.Walk(model)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range tree.Vars {
		names = append(names, v.Name()+":"+v.Kind.String())
	}
	want := "R.Wi:param R.Wh:param R.B:param R.State:state R.State2Train:param " +
		"G.Wi:param G.Wh:param G.State:state " +
		"L.Wi:param L.Wh:param L.B:param L.State:state " +
		"V.Wff:param V.Wrec:param V.Bias:param V.State:state V.TrainState:param"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("Walk found\n%s\nwant\n%s", got, want)
	}
	var trainable []string
	for _, p := range tree.Params(true) {
		trainable = append(trainable, p.Name())
	}
	// Training-mode RNNCell and the (trainable by default) VanillaRNN; the GRU and LSTM follow
	// the global batching mode.
	if got := strings.Join(trainable, " "); got != "R.Wi R.Wh R.B R.State2Train V.Wff V.Wrec V.Bias V.TrainState" {
		t.Fatalf("trainable params: %s", got)
	}
	for _, s := range tree.States() {
		if s.BatchAxis != 0 {
			t.Errorf("state %s has batch axis %d, want 0", s.Name(), s.BatchAxis)
		}
	}
}

func TestRNNDefaults(t *testing.T) {
	bpgo.SetSeed(5)
	defer bpgo.SetSeed(0)
	c, err := models.NewRNNCell(40, 60, models.RNNCellOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Activation() != "relu" || c.Trainable() || c.Mode() != bpgo.BatchingMode || c.State2Train != nil {
		t.Errorf("RNNCell defaults: activation %q, trainable %v, mode %v", c.Activation(), c.Trainable(), c.Mode())
	}
	if s := stdOf(c.Wi.Float64s()); math.Abs(s-math.Sqrt(2.0/100)) > 0.015 {
		t.Errorf("Wi std %.4f, want ≈ %.4f (XavierNormal)", s, math.Sqrt(2.0/100))
	}
	for _, v := range append(c.B.Float64s(), c.State.Float64s()...) {
		if v != 0 {
			t.Fatal("default bias and initial state must be zero")
		}
	}

	g, err := models.NewGRUCell(4, 5, models.GRUCellOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if g.Activation() != "tanh" {
		t.Errorf("GRU activation %q, want tanh", g.Activation())
	}
	if d := g.Wi.Shape().Dimensions; d[0] != 4 || d[1] != 15 {
		t.Errorf("GRU Wi shape %v", d)
	}
	// Orthogonal (the default): the rows of the wide (5, 15) and (4, 15) matrices are orthonormal.
	for _, w := range []*bpgo.Variable{g.Wi, g.Wh} {
		d := w.Shape().Dimensions
		x := w.Float64s()
		for i := range d[0] {
			for j := range d[0] {
				var dot float64
				for k := range d[1] {
					dot += x[i*d[1]+k] * x[j*d[1]+k]
				}
				want := 0.0
				if i == j {
					want = 1
				}
				if math.Abs(dot-want) > 1e-5 {
					t.Fatalf("GRU %s rows %d·%d = %v, want %v (Orthogonal)", w.Name(), i, j, dot, want)
				}
			}
		}
	}

	l, err := models.NewLSTMCell(30, 50, models.LSTMCellOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Activation() != "tanh" {
		t.Errorf("LSTM activation %q", l.Activation())
	}
	if d := l.State.Shape().Dimensions; d[0] != 1 || d[1] != 100 {
		t.Errorf("LSTM state shape %v, want [1 100]", d)
	}
	if d := l.B.Shape().Dimensions; d[0] != 200 {
		t.Errorf("LSTM b shape %v, want [200]", d)
	}
	// XavierNormal on the full (30, 200) shape: std sqrt(2/230).
	if s := stdOf(l.Wi.Float64s()); math.Abs(s-math.Sqrt(2.0/230)) > 0.01 {
		t.Errorf("LSTM Wi std %.4f, want ≈ %.4f", s, math.Sqrt(2.0/230))
	}

	v, err := models.NewVanillaRNN(3, 100, models.VanillaRNNOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Trainable() || v.Activation() != "relu" || !v.Wff.Trainable {
		t.Errorf("VanillaRNN must be trainable with relu by default (2.1.12)")
	}
	mean := 0.0
	for _, x := range v.State.Float64s() {
		if x < 0 || x >= 1 {
			t.Fatalf("VanillaRNN initial state %v not in [0, 1)", x)
		}
		mean += x / 100
	}
	if math.Abs(mean-0.5) > 0.15 {
		t.Errorf("VanillaRNN initial state mean %v, want ≈ 0.5 (Uniform(0, 1))", mean)
	}
	frozen, _ := models.NewVanillaRNN(3, 4, models.VanillaRNNOptions{Mode: bpgo.BatchingMode})
	if frozen.Trainable() || frozen.Wff.Trainable {
		t.Error("VanillaRNN with BatchingMode must have frozen weights")
	}
}

func stdOf(x []float64) float64 {
	var ss float64
	for _, v := range x {
		ss += v * v
	}
	return math.Sqrt(ss / float64(len(x)))
}

func TestRNNConstructorErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		make func() error
		msg  string
	}{
		{"rnn numIn", func() error { _, err := models.NewRNNCell(0, 3, models.RNNCellOptions{}); return err }, "numIn"},
		{"rnn numOut", func() error { _, err := models.NewRNNCell(2, 0, models.RNNCellOptions{}); return err }, "numOut"},
		{"gru numOut", func() error { _, err := models.NewGRUCell(2, -1, models.GRUCellOptions{}); return err }, "models.NewGRUCell"},
		{"lstm numIn", func() error { _, err := models.NewLSTMCell(0, 1, models.LSTMCellOptions{}); return err }, "models.NewLSTMCell"},
		{"vanilla numUnit", func() error { _, err := models.NewVanillaRNN(1, 0, models.VanillaRNNOptions{}); return err }, "numUnit"},
		{"activation", func() error {
			_, err := models.NewRNNCell(2, 3, models.RNNCellOptions{Activation: "relux"})
			return err
		}, `unknown activation "relux"`},
		{"lstm activation", func() error {
			_, err := models.NewLSTMCell(2, 3, models.LSTMCellOptions{Activation: "Tanh"})
			return err
		}, "tanh"},
		{"vanilla activation", func() error {
			_, err := models.NewVanillaRNN(2, 3, models.VanillaRNNOptions{Activation: "nope"})
			return err
		}, "Activation"},
		{"mode", func() error { _, err := models.NewGRUCell(2, 3, models.GRUCellOptions{Mode: bpgo.Mode(9)}); return err }, "Mode"},
		{"train state needs training mode", func() error {
			_, err := models.NewRNNCell(2, 3, models.RNNCellOptions{Mode: bpgo.BatchingMode, TrainState: true})
			return err
		}, "TrainingMode"},
		{"rank-1 state init", func() error {
			_, err := models.NewRNNCell(2, 3, models.RNNCellOptions{Mode: bpgo.TrainingMode, TrainState: true, StateInit: initializers.XavierNormal{Scale: 1}})
			return err
		}, "StateInit"},
		{"bad state init", func() error {
			_, err := models.NewVanillaRNN(2, 3, models.VanillaRNNOptions{StateInit: initializers.Uniform{Min: 2, Max: 1}})
			return err
		}, "StateInit"},
	} {
		err := c.make()
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.msg)
		}
	}
}

func TestRNNBadInput(t *testing.T) {
	x64(t)
	c, _ := models.NewRNNCell(cNI, cH, models.RNNCellOptions{})
	g, _ := models.NewGRUCell(cNI, cH, models.GRUCellOptions{})
	l, _ := models.NewLSTMCell(cNI, cH, models.LSTMCellOptions{})
	v, _ := models.NewVanillaRNN(cNI, cH, models.VanillaRNNOptions{})
	in := tensorOf(t, vals(1*2*5, 1), 1, 2, 5) // 5 features instead of 2
	for _, m := range []struct {
		model bpgo.Stepper
		name  string
	}{{&rnnOnly{c}, "models.RNNCell"}, {&gruOnly{g}, "models.GRUCell"}, {&lstmOnly{l}, "models.LSTMCell"}, {&vanillaOnly{v}, "models.VanillaRNN"}} {
		r, err := bpgo.NewRunner(m.model, bpgo.RunnerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Run(in, bpgo.RunOptions{})
		if err == nil || !strings.Contains(err.Error(), m.name+": input shape") || !strings.Contains(err.Error(), "(batch, 2)") {
			t.Errorf("%s on 5 features: error %v, want one naming the module and (batch, 2)", m.name, err)
		}
	}
}

func TestActivationByName(t *testing.T) {
	x64(t)
	xs := []float64{-30, -2, -0.5, 0, 0.5, 3, 25}
	ref := map[string]func(float64) float64{
		"identity": func(x float64) float64 { return x },
		"linear":   func(x float64) float64 { return x },
		"relu":     reluF,
		"relu6":    func(x float64) float64 { return math.Min(math.Max(x, 0), 6) },
		"leaky_relu": func(x float64) float64 {
			if x >= 0 {
				return x
			}
			return 0.01 * x
		},
		"elu": func(x float64) float64 {
			if x > 0 {
				return x
			}
			return math.Expm1(x)
		},
		"selu": func(x float64) float64 {
			if x > 0 {
				return 1.0507009873554804934193349852946 * x
			}
			return 1.0507009873554804934193349852946 * 1.6732632423543772848170429916717 * math.Expm1(x)
		},
		"softplus": func(x float64) float64 {
			if x > 20 {
				return x
			}
			return math.Log1p(math.Exp(x))
		},
		"sigmoid": sigm,
		"tanh":    math.Tanh,
		"silu":    func(x float64) float64 { return x * sigm(x) },
		"swish":   func(x float64) float64 { return x * sigm(x) },
		"gelu": func(x float64) float64 {
			return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
		},
	}
	names := models.ActivationNames()
	if len(names) != len(ref) {
		t.Fatalf("ActivationNames() = %v; the test knows %d names", names, len(ref))
	}
	b := bpgo.Must1(bpgo.Backend())
	for _, name := range names {
		f, err := models.ActivationByName(name)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float64, len(xs))
		for i, x := range xs {
			want[i] = ref[name](x)
		}
		out, err := graph.ExecOnce(b, func(x *graph.Node) *graph.Node { return f(x) }, xs)
		if err != nil {
			t.Fatal(err)
		}
		closeTo(t, name, bpgo.ToFloat64s(out), want, 1e-12)
	}
	if _, err := models.ActivationByName("ReLU"); err == nil || !strings.Contains(err.Error(), "relu, relu6") {
		t.Errorf("unknown name: error %v, want one listing the names", err)
	}
}

// relu is built from vectorised ops with a routed gradient: its values at ±Inf and its gradient
// must still be jax.nn.relu's (0 at x = 0, also inside relu6).
func TestReluValuesAndGradient(t *testing.T) {
	x64(t)
	xs := []float64{math.Inf(-1), -2, -1e-300, 0, 1e-300, 0.5, 7, math.Inf(1)}
	for _, c := range []struct {
		name       string
		vals, grad []float64
	}{
		{"relu", []float64{0, 0, 0, 0, 1e-300, 0.5, 7, math.Inf(1)}, []float64{0, 0, 0, 0, 1, 1, 1, 1}},
		{"relu6", []float64{0, 0, 0, 0, 1e-300, 0.5, 6, 6}, []float64{0, 0, 0, 0, 1, 1, 0, 0}},
	} {
		f, err := models.ActivationByName(c.name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := graph.ExecOnceN(bpgo.Must1(bpgo.Backend()), func(x *graph.Node) []*graph.Node {
			y := f(x)
			return []*graph.Node{y, graph.Gradient(graph.ReduceAllSum(y), x)[0]}
		}, xs)
		if err != nil {
			t.Fatal(err)
		}
		if got := bpgo.ToFloat64s(out[0]); !slices.Equal(got, c.vals) {
			t.Errorf("%s(%v) = %v, want %v", c.name, xs, got, c.vals)
		}
		if got := bpgo.ToFloat64s(out[1]); !slices.Equal(got, c.grad) {
			t.Errorf("%s'(%v) = %v, want %v", c.name, xs, got, c.grad)
		}
	}
}

// TestCellsFloat32 runs the cells in the default float32 and compares with the float64
// reference.
func TestCellsFloat32(t *testing.T) {
	xs := vals(cB*cT*cNI, 5)
	in := tensorOf(t, xs, cB, cT, cNI)
	l, err := models.NewLSTMCell(cNI, cH, models.LSTMCellOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wi, wh, b := vals(cNI*4*cH, 1), vals(cH*4*cH, 2), vals(4*cH, 3)
	setVar(t, l.Wi, wi)
	setVar(t, l.Wh, wh)
	setVar(t, l.B, b)
	closeTo(t, "LSTMCell f32", runReset(t, &lstmOnly{l}, in, 100), refRun(xs, zeroRows(2*cH), lstmRef(wi, wh, b)), 1e-6)
	g, err := models.NewGRUCell(cNI, cH, models.GRUCellOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wi, wh, b = vals(cNI*3*cH, 1), vals(cH*3*cH, 2), vals(3*cH, 3)
	setVar(t, g.Wi, wi)
	setVar(t, g.Wh, wh)
	setVar(t, g.B, b)
	closeTo(t, "GRUCell f32", runReset(t, &gruOnly{g}, in, 100), refRun(xs, zeroRows(cH), gruRef(wi, wh, b)), 1e-6)
}

// TestCellVariableReplaced: a cell stores each variable once, so replacing cell.Wh (as runner.go
// promises a module may) changes what the cell computes.
func TestCellVariableReplaced(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	c, err := models.NewRNNCell(2, 3, models.RNNCellOptions{Activation: "identity"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := bpgo.NewRunner(c, bpgo.RunnerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	x := bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), []float64{1, 2, 3, 4}, 1, 2, 2))
	zeros := bpgo.NewParam(bpgo.Zeros(2, 3), false)
	c.Wi = zeros
	out := bpgo.ToFloat64s(bpgo.Must1(r.Run(x, bpgo.RunOptions{ResetState: true})))
	for i, v := range out {
		if v != 0 {
			t.Fatalf("output %d = %v after replacing Wi by zeros (state starts at 0, no bias)", i, v)
		}
	}
}
