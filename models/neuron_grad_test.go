package models_test

import (
	"math"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/bpgo/losses"
	"github.com/bpgo/bpgo/bpgo/surrogate"
	"github.com/bpgo/bpgo/models"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// spikeNet is Dense → neuron → Dense, all in TrainingMode: the input weights reach the loss only
// through the neuron's (surrogate) spikes.
type spikeNet struct {
	In  *models.Dense
	N   bpgo.Stepper
	Out *models.Dense
}

func (m *spikeNet) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.Out.Update(ctx, m.N.Update(ctx, m.In.Update(ctx, x)))
}

func newSpikeNet(t *testing.T, neuron bpgo.Stepper, in, n, out int) *spikeNet {
	t.Helper()
	d1 := bpgo.Must1(models.NewDense(in, n, models.DenseOptions{NoBias: true, Mode: bpgo.TrainingMode}))
	d2 := bpgo.Must1(models.NewDense(n, out, models.DenseOptions{Mode: bpgo.TrainingMode}))
	setVar(t, d1.W, scaled(vals(in*n, 1), 6))
	setVar(t, d2.W, vals(n*out, 2))
	setVar(t, d2.B, vals(out, 3))
	return &spikeNet{In: d1, N: neuron, Out: d2}
}

func scaled(v []float64, k float64) []float64 {
	for i := range v {
		v[i] *= k
	}
	return v
}

func mseLoss(lc *bpgo.LossContext, pred, y *graph.Node) *graph.Node { return losses.MSE(pred, y) }

// TestLifSurrogateGradientByHand: BPTT through Lif's surrogate spikes and soft reset equals a
// hand-derived backward pass (plain Go), fused and chunked.
func TestLifSurrogateGradientByHand(t *testing.T) {
	skipShort(t)
	x64(t)
	const b, tn, in, n, out, dt = 2, 12, 2, 3, 2, 0.5
	const tau, vth, vreset, r, alpha = 2.0, 1.0, -0.5, 1.3, 2.0
	xs := scaled(vals(b*tn*in, 4), 3)
	ys := vals(b*tn*out, 5)
	for _, chunk := range []int{tn, 5} {
		lif := bpgo.Must1(models.NewLif(n, models.LifOptions{Tau: tau, VTh: vth, VReset: vreset, R: r,
			SpkFun: surrogate.InvSquareGrad{Alpha: alpha}, Mode: bpgo.TrainingMode}))
		m := newSpikeNet(t, lif, in, n, out)
		w1, w2, b2 := m.In.W.Float64s(), m.Out.W.Float64s(), m.Out.B.Float64s()
		g := bpgo.Must1(bpgo.NewGrad(m, mseLoss, bpgo.GradOptions{Chunk: chunk, Dt: dt}))
		res, err := g.Compute(tensorOf(t, xs, b, tn, in), tensorOf(t, ys, b, tn, out))
		if err != nil {
			t.Fatal(err)
		}
		// Hand-derived forward and backward.
		k := tau * (1 - math.Exp(-dt/tau)) // exp_auto factor dt·φ
		gw1, gw2, gb2 := make([]float64, in*n), make([]float64, n*out), make([]float64, out)
		loss, spikes := 0.0, 0
		cnt := float64(b * tn * out)
		for bi := range b {
			type stepRec struct{ x, u, s, gy []float64 }
			recs := make([]stepRec, tn)
			v := make([]float64, n)
			for ti := range tn {
				x := xs[(bi*tn+ti)*in : (bi*tn+ti+1)*in]
				rec := stepRec{x: x, u: make([]float64, n), s: make([]float64, n), gy: make([]float64, out)}
				for j := range n {
					cur := 0.0
					for i := range in {
						cur += x[i] * w1[i*n+j]
					}
					vp := v[j] + k*((-v[j]+r*cur)/tau)
					rec.u[j] = vp - vth
					if rec.u[j] >= 0 {
						rec.s[j] = 1
						spikes++
					}
					v[j] = vp - (vth-vreset)*rec.s[j]
				}
				for o := range out {
					y := b2[o]
					for j := range n {
						y += rec.s[j] * w2[j*out+o]
					}
					d := y - ys[(bi*tn+ti)*out+o]
					loss += d * d / cnt
					rec.gy[o] = 2 * d / cnt
				}
				recs[ti] = rec
			}
			gV := make([]float64, n)
			for ti := tn - 1; ti >= 0; ti-- {
				rec := recs[ti]
				for o := range out {
					gb2[o] += rec.gy[o]
				}
				for j := range n {
					gs := 0.0
					for o := range out {
						gw2[j*out+o] += rec.s[j] * rec.gy[o]
						gs += rec.gy[o] * w2[j*out+o]
					}
					sg := 1 / math.Pow(alpha*math.Abs(rec.u[j])+1, 2)
					gVp := gV[j]*(1-(vth-vreset)*sg) + gs*sg
					gI := gVp * k * r / tau
					for i := range in {
						gw1[i*n+j] += rec.x[i] * gI
					}
					gV[j] = gVp * (1 - k/tau)
				}
			}
		}
		if spikes < 5 || spikes > b*tn*n-5 {
			t.Fatalf("%d spikes of %d: choose inputs that spike sometimes", spikes, b*tn*n)
		}
		if math.Abs(res.Loss-loss) > 1e-12 {
			t.Errorf("chunk %d: loss %v, want %v", chunk, res.Loss, loss)
		}
		closeTo(t, "dL/dW_in", bpgo.ToFloat64s(res.Grads[m.In.W]), gw1, 1e-12)
		closeTo(t, "dL/dW_out", bpgo.ToFloat64s(res.Grads[m.Out.W]), gw2, 1e-12)
		closeTo(t, "dL/db_out", bpgo.ToFloat64s(res.Grads[m.Out.B]), gb2, 1e-12)
	}
}

// TestNeuronGradientsFiniteDifferences: with ReluGrad (exactly zero beyond its width) and every
// spike argument more than one width from the threshold, the surrogate contributes nothing and
// the spike pattern is locally constant, so the analytic gradient through the membrane dynamics
// (V monitored into the loss), the reset and the readout must equal central finite
// differences.
func TestNeuronGradientsFiniteDifferences(t *testing.T) {
	skipShort(t)
	x64(t)
	const b, tn, in, n, out, dt = 2, 10, 2, 3, 2, 1.0
	ys := tensorOf(t, vals(b*tn*out, 7), b, tn, out)
	// lifMargin is the smallest |V' − V_th| / width over all steps (V' = V + (V_th − V_reset)·s).
	lifMargin := func(vth, vreset, width float64) func(v, s, a []float64) float64 {
		return func(v, s, _ []float64) float64 {
			m := math.Inf(1)
			for i := range v {
				m = math.Min(m, math.Abs(v[i]+(vth-vreset)*s[i]-vth)/width)
			}
			return m
		}
	}
	const avth, abeta, awidth = 1.5, 0.3, 0.02
	cases := []struct {
		name   string
		neuron func() bpgo.Stepper
		margin func(v, s, a []float64) float64 // smallest |surrogate argument| / width
	}{
		{"Lif", func() bpgo.Stepper {
			return bpgo.Must1(models.NewLif(n, models.LifOptions{Tau: 3, VTh: 1.5, VReset: -1, SpkFun: surrogate.ReluGrad{Alpha: 0.3, Width: 0.02}, Mode: bpgo.TrainingMode, R: 1}))
		}, lifMargin(1.5, -1, 0.02)},
		{"LifRef", func() bpgo.Stepper {
			return bpgo.Must1(models.NewLifRef(n, models.LifRefOptions{LifOptions: models.LifOptions{Tau: 3, VTh: 1.5, VReset: -1,
				SpkFun: surrogate.ReluGrad{Alpha: 0.3, Width: 0.02}, Mode: bpgo.TrainingMode, R: 1}, TauRef: 1}))
		}, lifMargin(1.5, -1, 0.02)},
		{"ALIF", func() bpgo.Stepper {
			return bpgo.Must1(models.NewALIFBellec2020(n, models.ALIFOptions{VRest: 0.1, VTh: avth, Tau: 3, TauA: 20, Beta: abeta, TauRef: 1,
				VInit: initializers.Zero{}, AInit: initializers.Zero{}, SpikeFun: surrogate.ReluGrad{Alpha: 0.3, Width: awidth}, Mode: bpgo.TrainingMode, R: 1}))
		}, func(v, s, a []float64) float64 {
			// argument (V' − V_th − β·a_old)/V_th with V' = V + V_th·s and a_old the previous step's a.
			m := math.Inf(1)
			for bi := range b {
				for ti := range tn {
					for k := range n {
						idx := (bi*tn+ti)*n + k
						aOld := 0.0
						if ti > 0 {
							aOld = a[idx-n]
						}
						m = math.Min(m, math.Abs((v[idx]+avth*s[idx]-avth-abeta*aOld)/avth)/awidth)
					}
				}
			}
			return m
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Find an input sequence that spikes and keeps every spike argument away from the
			// surrogate's support (so finite differences and the analytic gradient agree).
			var xs *tensors.Tensor
			for seed := 1; seed < 200 && xs == nil; seed++ {
				cand := tensorOf(t, scaled(bpgo.ToFloat64s(normalTensor(uint64(seed), b, tn, in)), 1+float64(seed%4)), b, tn, in)
				mons := []string{"V", "Spike"}
				if c.name == "ALIF" {
					mons = append(mons, "A")
				}
				got := runMonitors(t, newSpikeNet(t, c.neuron(), in, n, out), cand, dt, mons...)
				spikes := 0
				for _, s := range got["Spike"] {
					spikes += int(s)
				}
				if spikes >= 4 && c.margin(got["V"], got["Spike"], got["A"]) >= 1.2 {
					xs = cand
				}
			}
			if xs == nil {
				t.Fatal("no test input spikes with every spike argument outside the surrogate's support")
			}
			m := newSpikeNet(t, c.neuron(), in, n, out)
			loss := func(lc *bpgo.LossContext, pred, y *graph.Node) *graph.Node {
				v := lc.Monitor("N.V")
				return graph.Add(losses.MSE(pred, y), graph.MulScalar(graph.ReduceAllMean(graph.Mul(v, v)), 0.1))
			}
			g := bpgo.Must1(bpgo.NewGrad(m, loss, bpgo.GradOptions{Chunk: 4, Dt: dt, Monitors: []string{"N.V"}}))
			chk, err := bpgo.CheckGradients(g, xs, ys, bpgo.GradCheckOptions{Floor: 1e-6})
			if err != nil {
				t.Fatal(err)
			}
			if chk.MaxRelErr > 1e-6 {
				t.Errorf("max relative error %g at %s (%d elements)", chk.MaxRelErr, chk.Worst, chk.Checked)
			}
			// The input weights matter (through V), so the check is not vacuous.
			if gw := bpgo.ToFloat64s(bpgo.Must1(g.Compute(xs, ys)).Grads[m.In.W]); relErr(gw, make([]float64, len(gw))) == 0 {
				t.Errorf("input-weight gradient is zero")
			}
		})
	}
}

// TestALIFEpropGradient: eprop only stops the gradient through the reset term; the forward pass
// is identical and the input-weight gradient changes.
func TestALIFEpropGradient(t *testing.T) {
	skipShort(t)
	x64(t)
	const b, tn, in, n, out = 2, 10, 2, 3, 2
	xs := tensorOf(t, scaled(vals(b*tn*in, 6), 4), b, tn, in)
	ys := tensorOf(t, vals(b*tn*out, 7), b, tn, out)
	grads := func(eprop bool) (*bpgo.GradResult, *spikeNet) {
		al := bpgo.Must1(models.NewALIFBellec2020(n, models.ALIFOptions{VRest: 0.1, VTh: 1.5, Tau: 3, TauA: 20, Beta: 0.3,
			VInit: initializers.Zero{}, AInit: initializers.Zero{}, Eprop: eprop, Mode: bpgo.TrainingMode, R: 1}))
		m := newSpikeNet(t, al, in, n, out)
		g := bpgo.Must1(bpgo.NewGrad(m, mseLoss, bpgo.GradOptions{Dt: 1}))
		return bpgo.Must1(g.Compute(xs, ys)), m
	}
	a, ma := grads(false)
	e, me := grads(true)
	if a.Loss != e.Loss {
		t.Errorf("eprop changed the forward pass: loss %v vs %v", e.Loss, a.Loss)
	}
	closeTo(t, "readout gradient", bpgo.ToFloat64s(e.Grads[me.Out.W]), bpgo.ToFloat64s(a.Grads[ma.Out.W]), 0)
	if d := relErr(bpgo.ToFloat64s(e.Grads[me.In.W]), bpgo.ToFloat64s(a.Grads[ma.In.W])); d < 1e-6 {
		t.Errorf("eprop did not change the input-weight gradient (relative difference %g)", d)
	}
}

// runMonitors runs a spikeNet (reset for the batch) and returns its neuron's monitors.
func runMonitors(t *testing.T, m *spikeNet, xs *tensors.Tensor, dt float64, names ...string) map[string][]float64 {
	t.Helper()
	full := make([]string, len(names))
	for i, n := range names {
		full[i] = "N." + n
	}
	r := bpgo.Must1(bpgo.NewRunner(m, bpgo.RunnerOptions{Dt: dt, Monitors: full}))
	if _, err := r.Run(xs, bpgo.RunOptions{ResetState: true}); err != nil {
		t.Fatal(err)
	}
	out := map[string][]float64{}
	for i, n := range names {
		out[n] = bpgo.ToFloat64s(r.Mon[full[i]])
	}
	return out
}
