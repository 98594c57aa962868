package models_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/bpgo/visualize"
	"github.com/bpgo/bpgo/models"
	"github.com/gomlx/gomlx/core/graph"
)

// esnParts builds Input(nIn) >> Reservoir(nRes) >> LinearReadout(nOut), the reservoir taking
// nFb feedback inputs.
func esnParts(t *testing.T, nIn, nRes, nOut, nFb int) (*models.Input, *models.Reservoir, *models.LinearReadout) {
	t.Helper()
	i := bpgo.Must1(models.NewInput(nIn))
	ro := models.ReservoirDefaults()
	ro.InConnectivity, ro.RecConnectivity, ro.FbConnectivity = 1, 1, 1
	ro.NumFeedback = nFb
	r, err := models.NewReservoir(nIn, nRes, ro)
	if err != nil {
		t.Fatal(err)
	}
	lo := models.LinearReadoutDefaults()
	o, err := models.NewLinearReadout(nRes, nOut, lo)
	if err != nil {
		t.Fatal(err)
	}
	return i, r, o
}

func TestNetworkFeedforwardMatchesHandChain(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	i, r, o := esnParts(t, 2, 6, 1, 0)
	net, err := models.NewNetwork(models.Feedforward(i, r, o))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(net.Names(), " "); got != "Input0 Reservoir0 LinearReadout0" {
		t.Errorf("names %q", got)
	}
	runner := bpgo.Must1(bpgo.NewRunner(net, bpgo.RunnerOptions{Monitors: []string{"Nodes.1.State"}}))
	x := bpgo.Must1(bpgo.Sequence([]float64{1, 0.5, -1, 0.2}, []float64{0, 1, 0.3, -0.4}))
	out := bpgo.ToFloat64s(bpgo.Must1(runner.Run(x, bpgo.RunOptions{ResetState: true})))
	h := bpgo.ToFloat64s(runner.Mon["Nodes.1.State"])
	w, b := o.Dense.W.Float64s(), o.Dense.B.Float64s()
	for s := range 4 {
		want := b[0]
		for j := range 6 {
			want += h[s*6+j] * w[j]
		}
		if math.Abs(out[s]-want) > 1e-12 {
			t.Errorf("step %d: output %v, want readout of the reservoir state %v", s, out[s], want)
		}
	}
}

// TestNetworkFeedbackTiming checks (i >> r >> o) & (r << o): at step t the reservoir receives
// the readout's output of step t-1, zeros at the first step after a reset.
func TestNetworkFeedbackTiming(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const nIn, nRes, nOut, steps = 2, 5, 2, 6
	i, r, o := esnParts(t, nIn, nRes, nOut, nOut)
	net, err := models.NewNetwork(models.Feedforward(i, r, o).And(models.Feedback(r, o)))
	if err != nil {
		t.Fatal(err)
	}
	runner := bpgo.Must1(bpgo.NewRunner(net, bpgo.RunnerOptions{}))
	xs := [][]float64{{1, 0.5, -1, 0.2, 0.7, -0.3}, {0, 1, 0.3, -0.4, 0.1, 0.9}}
	for _, reset := range []bool{true, true} { // twice: the second run starts from zeros again
		out := bpgo.ToFloat64s(bpgo.Must1(runner.Run(bpgo.Must1(bpgo.Sequence(xs...)), bpgo.RunOptions{ResetState: reset})))
		win, wrec, wfb := r.Win.Float64s(), r.Wrec.Float64s(), r.Wfb.Float64s()
		w, b := o.Dense.W.Float64s(), o.Dense.B.Float64s()
		h := make([]float64, nRes)
		prev := make([]float64, nOut) // the readout's previous output
		for s := range steps {
			next := make([]float64, nRes)
			for j := range nRes {
				u := 0.0
				for k := range nIn {
					u += xs[k][s] * win[k*nRes+j]
				}
				for k := range nOut {
					u += prev[k] * wfb[k*nRes+j]
				}
				for k := range nRes {
					u += h[k] * wrec[k*nRes+j]
				}
				next[j] = 0.7*h[j] + 0.3*math.Tanh(u)
			}
			h = next
			for k := range nOut {
				y := b[k]
				for j := range nRes {
					y += h[j] * w[j*nOut+k]
				}
				if math.Abs(out[s*nOut+k]-y) > 1e-12 {
					t.Fatalf("step %d output %d: got %v, want %v (feedback of the previous step)", s, k, out[s*nOut+k], y)
				}
				prev[k] = y
			}
		}
	}
}

func TestNetworkErrors(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	i, r, o := esnParts(t, 3, 10, 2, 0)
	_, rfb, ofb := esnParts(t, 3, 10, 2, 2)
	i2 := bpgo.Must1(models.NewInput(4))
	o5 := bpgo.Must1(models.NewLinearReadout(10, 5, models.LinearReadoutDefaults()))
	d := bpgo.Must1(models.NewDense(2, 10, models.DenseDefaults()))
	_, rfb3, _ := esnParts(t, 3, 10, 2, 3)
	cases := []struct {
		name string
		e    models.Edges
		want string
	}{
		{"size", models.Feedforward(i2, r, o), "size mismatch: Reservoir0 takes 3 inputs but its feedforward senders give 4: Input0 (4)"},
		{"twice", models.Feedforward(i, r, r, o), "node 2 (*models.Reservoir) is node 1 again"},
		{"cycle", models.Feedforward(i, r, o).And(models.Feedforward(o, d, r)), "feedforward cycle"},
		{"nil", models.Feedforward(i, nil, o), "node 1 is nil"},
		{"fb into non-receiver", models.Feedforward(i, r, o).And(models.Feedback(r, o)), "feedback from LinearReadout0 into Reservoir0, which takes no feedback input"},
		{"fb size", models.Feedforward(i, rfb, o5).And(models.Feedback(rfb, o5)), "feedback size mismatch: Reservoir0 takes 2 feedback inputs but its feedback senders give 5: LinearReadout0 (5)"},
		{"fb upstream", models.Feedforward(i, rfb3, ofb).And(models.Feedback(rfb3, i)), "not downstream"},
		{"fb missing", models.Feedforward(i, rfb, ofb), "no Feedback edge goes into it"},
		{"two exits", models.Feedforward(i, r, o).And(models.Feedforward(r, o5)), "2 exit nodes (LinearReadout0, LinearReadout1)"},
		{"empty", models.Feedforward(), "no nodes"},
	}
	for _, c := range cases {
		_, err := models.NewNetwork(c.e)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "models.NewNetwork: ") {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// TestClosedLoop: a model y = 2x fed its own output from 1 gives 2, 4, 8.
func TestClosedLoop(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	d := bpgo.Must1(models.NewDense(1, 1, models.DenseOptions{WInit: initializers.Constant{Value: 2}, NoBias: true}))
	cl := bpgo.Must1(models.NewClosedLoop(d, 1))
	if err := cl.Start([]float64{1}); err != nil {
		t.Fatal(err)
	}
	run := bpgo.Must1(bpgo.NewRunner(cl, bpgo.RunnerOptions{}))
	out := bpgo.ToFloat64s(bpgo.Must1(run.Run(bpgo.Zeros(1, 3, 1), bpgo.RunOptions{})))
	if out[0] != 2 || out[1] != 4 || out[2] != 8 {
		t.Errorf("closed loop outputs %v, want [2 4 8]", out)
	}
	if err := cl.Start([]float64{1, 2}); err == nil || !strings.Contains(err.Error(), "row 0 has 2 values, want 1") {
		t.Errorf("bad row: %v", err)
	}
	if _, err := models.NewClosedLoop(nil, 1); err == nil {
		t.Error("nil model accepted")
	}
}

func TestNetworkNodeGraph(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	i, r, o := esnParts(t, 2, 5, 1, 1)
	net := bpgo.Must1(models.NewNetwork(models.Feedforward(i, r, o).And(models.Feedback(r, o))))
	g := net.NodeGraph()
	got := fmt.Sprintf("%+v", g)
	want := "{Nodes:[{Name:Input0 Trainable:false Recurrent:false} {Name:Reservoir0 Trainable:false Recurrent:true} {Name:LinearReadout0 Trainable:true Recurrent:false}] " +
		"Edges:[{From:Input0 To:Reservoir0 Feedback:false} {From:LinearReadout0 To:Reservoir0 Feedback:true} {From:Reservoir0 To:LinearReadout0 Feedback:false}]}"
	if got != want {
		t.Errorf("NodeGraph:\n got %s\nwant %s", got, want)
	}
	fig := visualize.NewFigure(5, 5)
	if err := visualize.NodeGraph(fig.Subplot(1, 1, 1), g, visualize.NodeGraphDefaults()); err != nil {
		t.Fatal(err)
	}
	if _, err := fig.PNG(); err != nil {
		t.Fatal(err)
	}
}

// wrapped holds a Network as a field, as a user model with its own Update would.
type wrapped struct{ Net *models.Network }

func (w *wrapped) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return graph.MulScalar(w.Net.Update(ctx, x), 2)
}

func TestNetworkInsideModel(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	i, r, o := esnParts(t, 2, 5, 1, 1)
	net := bpgo.Must1(models.NewNetwork(models.Feedforward(i, r, o).And(models.Feedback(r, o))))
	x := bpgo.Must1(bpgo.Sequence([]float64{1, 0.5, -1}, []float64{0, 1, 0.3}))
	plain := bpgo.ToFloat64s(bpgo.Must1(bpgo.Must1(bpgo.NewRunner(net, bpgo.RunnerOptions{})).Run(x, bpgo.RunOptions{ResetState: true})))
	w := &wrapped{Net: net}
	runner := bpgo.Must1(bpgo.NewRunner(w, bpgo.RunnerOptions{}))
	got := bpgo.ToFloat64s(bpgo.Must1(runner.Run(x, bpgo.RunOptions{ResetState: true})))
	for s := range plain {
		if got[s] != 2*plain[s] {
			t.Fatalf("step %d: wrapped %v, want 2 × %v (the feedback state must reset with the wrapper)", s, got[s], plain[s])
		}
	}
	if n := len(runner.Tree().States()); n != 3 {
		t.Errorf("the wrapper's walk found %d states, want 3 (reservoir, readout, fed-back output)", n)
	}
}
