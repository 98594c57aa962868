package models_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/bpgo/losses"
	"github.com/bpgo/bpgo/models"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// cellNet is a recurrent cell followed by a Dense readout, the shape of every tutorial RNN.
type cellNet struct {
	Cell bpgo.Stepper
	Out  *models.Dense
}

func (m *cellNet) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.Out.Update(ctx, m.Cell.Update(ctx, x))
}

// Small non-zero biases and states make every parameter matter.
var gradInit = initializers.Normal{Mean: 0.05, Scale: 0.3}

func newCellNet(t *testing.T, kind string, in, hidden int) *cellNet {
	t.Helper()
	bpgo.SetSeed(21)
	var cell bpgo.Stepper
	var err error
	switch kind {
	case "rnn":
		cell, err = models.NewRNNCell(in, hidden, models.RNNCellOptions{Activation: "tanh", BInit: gradInit, Mode: bpgo.TrainingMode})
	case "rnn-relu":
		cell, err = models.NewRNNCell(in, hidden, models.RNNCellOptions{BInit: gradInit, Mode: bpgo.TrainingMode})
	case "gru":
		cell, err = models.NewGRUCell(in, hidden, models.GRUCellOptions{BInit: gradInit, Mode: bpgo.TrainingMode})
	case "lstm":
		cell, err = models.NewLSTMCell(in, hidden, models.LSTMCellOptions{BInit: gradInit, Mode: bpgo.TrainingMode})
	case "vanilla":
		cell, err = models.NewVanillaRNN(in, hidden, models.VanillaRNNOptions{Activation: "tanh", BInit: gradInit})
	}
	if err != nil {
		t.Fatal(err)
	}
	out, err := models.NewDense(hidden, 2, models.DenseOptions{BInit: gradInit, Mode: bpgo.TrainingMode})
	if err != nil {
		t.Fatal(err)
	}
	return &cellNet{Cell: cell, Out: out}
}

func mseL2Loss(lc *bpgo.LossContext, pred, y *graph.Node) *graph.Node {
	return graph.Add(losses.MSE(pred, y), graph.MulScalar(losses.L2NormSquared(lc.TrainVars()...), 2e-4))
}

func normalTensor(seed uint64, dims ...int) *tensors.Tensor {
	bpgo.SetSeed(seed)
	rng := bpgo.NewRNG()
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), v, dims...))
}

// TestCellGradients: for every cell, (1) the chunked BPTT gradient equals the fully unrolled
// one to 1e-10 (relative), and (2) the unrolled gradient matches central finite differences.
func TestCellGradients(t *testing.T) {
	skipShort(t)
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const b, T, in, hidden = 3, 23, 2, 4
	xs := normalTensor(1, b, T, in)
	ys := normalTensor(2, b, T, 2)
	for _, kind := range []string{"rnn", "rnn-relu", "gru", "lstm", "vanilla"} {
		t.Run(kind, func(t *testing.T) {
			grads := func(chunk int) (*bpgo.GradResult, []*bpgo.Variable) {
				m := newCellNet(t, kind, in, hidden)
				g, err := bpgo.NewGrad(m, mseL2Loss, bpgo.GradOptions{Chunk: chunk})
				if err != nil {
					t.Fatal(err)
				}
				r, err := g.Compute(xs, ys)
				if err != nil {
					t.Fatal(err)
				}
				return r, g.Params()
			}
			ref, refVars := grads(T) // one unrolled graph
			for _, chunk := range []int{5, 7} {
				r, vars := grads(chunk)
				for i, v := range vars {
					if e := relErr(bpgo.ToFloat64s(r.Grads[v]), bpgo.ToFloat64s(ref.Grads[refVars[i]])); e > 1e-10 {
						t.Errorf("chunk %d: %s gradient differs from unrolled: relative error %g", chunk, v.Name(), e)
					}
				}
			}
			m := newCellNet(t, kind, in, hidden)
			// VanillaRNN draws a fresh Uniform(0, 1) state at every reset, so the check keeps
			// one state (NoReset) to compare the same function each time.
			bpgo.Must(bpgo.ResetState(m, b))
			g := bpgo.Must1(bpgo.NewGrad(m, mseL2Loss, bpgo.GradOptions{Chunk: T, NoReset: true}))
			x8, y8 := sliceT(xs, 8), sliceT(ys, 8)
			c, err := bpgo.CheckGradients(g, x8, y8, bpgo.GradCheckOptions{Floor: 1e-5})
			if err != nil {
				t.Fatal(err)
			}
			if c.MaxRelErr > 1e-5 {
				t.Errorf("finite differences: max relative error %g at %s (%d elements)", c.MaxRelErr, c.Worst, c.Checked)
			}
		})
	}
}

// sliceT keeps the first k steps of a (B, T, F) tensor.
func sliceT(x *tensors.Tensor, k int) *tensors.Tensor {
	d := x.Shape().Dimensions
	return bpgo.Must1(bpgo.FromFloat64s(x.DType(), bpgo.TimeSlice(bpgo.ToFloat64s(x), d, 0, k), d[0], k, d[2]))
}

func relErr(a, b []float64) float64 {
	num, den := 0.0, 0.0
	for i := range a {
		num += (a[i] - b[i]) * (a[i] - b[i])
		den += b[i] * b[i]
	}
	return math.Sqrt(num / math.Max(den, 1e-300))
}

// TestDenseGradient: Dense alone (a per-step readout), against finite differences.
func TestDenseGradient(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	bpgo.SetSeed(3)
	d, err := models.NewDense(3, 2, models.DenseOptions{BInit: gradInit, Mode: bpgo.TrainingMode})
	if err != nil {
		t.Fatal(err)
	}
	g := bpgo.Must1(bpgo.NewGrad(d, mseL2Loss, bpgo.GradOptions{}))
	c, err := bpgo.CheckGradients(g, normalTensor(4, 2, 5, 3), normalTensor(5, 2, 5, 2), bpgo.GradCheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxRelErr > 1e-6 || c.Checked != 3*2+2 {
		t.Errorf("Dense: max relative error %g at %s over %d elements", c.MaxRelErr, c.Worst, c.Checked)
	}
}

// TestLongSequenceChunked is the CI-sized version of the e-prop-scale BPTT benchmark: a long
// sequence through the chunked path gives the unrolled gradient.
func TestLongSequenceChunked(t *testing.T) {
	skipShort(t)
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const b, T = 4, 300
	xs := normalTensor(6, b, T, 2)
	ys := normalTensor(7, b, T, 2)
	var ref *bpgo.GradResult
	var refVars []*bpgo.Variable
	for _, chunk := range []int{T, 50, 64} {
		m := newCellNet(t, "gru", 2, 8)
		g := bpgo.Must1(bpgo.NewGrad(m, mseL2Loss, bpgo.GradOptions{Chunk: chunk}))
		r := bpgo.Must1(g.Compute(xs, ys))
		if ref == nil {
			ref, refVars = r, g.Params()
			continue
		}
		for i, v := range g.Params() {
			if e := relErr(bpgo.ToFloat64s(r.Grads[v]), bpgo.ToFloat64s(ref.Grads[refVars[i]])); e > 1e-10 {
				t.Error(fmt.Sprintf("chunk %d: %s relative error %g", chunk, v.Name(), e))
			}
		}
	}
}

// skipShort skips compile-heavy tests under -short (the XLA run of `make test`: XLA compiles
// every unrolled graph for seconds, the Go backend in milliseconds).
func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles many unrolled graphs; runs without -short (the Go backend)")
	}
}
