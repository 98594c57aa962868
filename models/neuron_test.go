package models_test

import (
	"math"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/bpgo/surrogate"
	"github.com/bpgo/bpgo/models"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// neuronNet drives one neuron (or integrator) with the runner's input as its current.

type neuronNet struct{ N bpgo.Stepper }

func (m *neuronNet) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node { return m.N.Update(ctx, x) }

// runNeuron resets the model for the input batch, runs it with dt, and returns the outputs and
// the requested monitors (all (B, T, N) row-major).
func runNeuron(t *testing.T, n bpgo.Stepper, xs *tensors.Tensor, dt float64, chunk int, mons ...string) ([]float64, map[string][]float64) {
	t.Helper()
	names := make([]string, len(mons))
	for i, m := range mons {
		names[i] = "N." + m
	}
	r, err := bpgo.NewRunner(&neuronNet{N: n}, bpgo.RunnerOptions{Chunk: chunk, Dt: dt, Monitors: names})
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Run(xs, bpgo.RunOptions{ResetState: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]float64{}
	for i, m := range mons {
		got[m] = bpgo.ToFloat64s(r.Mon[names[i]])
	}
	return bpgo.ToFloat64s(out), got
}

// ---- plain-Go references (float64, written from BrainPy's equations) ----------------------

// currents makes a deterministic (B, T, N) input sequence around level with spread.
func currents(b, tn, n int, level, spread float64, seed int) []float64 {
	out := make([]float64, b*tn*n)
	for i := range out {
		out[i] = level + spread*float64((i*37+seed*11)%19-9)/9
	}
	return out
}

func countOnes(s []float64) int {
	c := 0
	for _, x := range s {
		if x == 1 {
			c++
		} else if x != 0 {
			return -1
		}
	}
	return c
}

// ---- forward equations against hand-computed steps ----------------------------------------

func TestNeuronsMatchBrainPy243(t *testing.T) {
	x64(t)
	const b, tn, n = 2, 8, 3
	in := tensorOf(t, bpXs, b, tn, n)
	lifOpts := func(mode bpgo.Mode, reset string) models.LifOptions {
		return models.LifOptions{Tau: 5, VTh: 10, VReset: -2, VRest: 1, R: 1.5, SpkReset: reset, Mode: mode}
	}
	cases := []struct {
		name       string
		neuron     bpgo.Stepper
		wantV, wnS []float64
	}{
		{"Lif training", bpgo.Must1(models.NewLif(n, lifOpts(bpgo.TrainingMode, ""))), bpLifTrainV, bpLifTrainS},
		{"Lif batching", bpgo.Must1(models.NewLif(n, lifOpts(bpgo.BatchingMode, ""))), bpLifBatchV, bpLifBatchS},
		{"Lif hard", bpgo.Must1(models.NewLif(n, lifOpts(bpgo.TrainingMode, "hard"))), bpLifHardV, bpLifHardS},
		{"LifRef training", bpgo.Must1(models.NewLifRef(n, models.LifRefOptions{LifOptions: lifOpts(bpgo.TrainingMode, ""), TauRef: 2})), bpLifrefTrainV, bpLifrefTrainS},
		{"LifRef batching", bpgo.Must1(models.NewLifRef(n, models.LifRefOptions{LifOptions: lifOpts(bpgo.BatchingMode, ""), TauRef: 2})), bpLifrefBatchV, bpLifrefBatchS},
	}
	for _, mode := range []bpgo.Mode{bpgo.TrainingMode, bpgo.BatchingMode} {
		al := bpgo.Must1(models.NewALIFBellec2020(n, models.ALIFOptions{VRest: 0, VTh: 2, Tau: 10, TauA: 50, TauRef: 2,
			Betas: []float64{1, 0.5, 0.02}, VInit: initializers.Zero{}, AInit: initializers.Zero{}, Mode: mode, R: 1, Beta: 1.6}))
		c := struct {
			name       string
			neuron     bpgo.Stepper
			wantV, wnS []float64
		}{"ALIF training", al, bpAlifTrainV, bpAlifTrainS}
		if mode == bpgo.BatchingMode {
			c.name, c.wantV, c.wnS = "ALIF batching", bpAlifBatchV, bpAlifBatchS
		}
		cases = append(cases, c)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, mon := runNeuron(t, c.neuron, in, 1, 3, "V")
			closeTo(t, "spikes", out, c.wnS, 0)
			closeTo(t, "V", mon["V"], c.wantV, 1e-12)
			if al, ok := c.neuron.(*models.ALIFBellec2020); ok {
				want := bpAlifTrainA
				if al.Mode() == bpgo.BatchingMode {
					want = bpAlifBatchA
				}
				closeTo(t, "final a", al.A.Float64s(), want, 1e-12)
			}
		})
	}
}

// ---- float32, long runs, resets, API -------------------------------------------------------

// TestNeuronsLongRun: 10,000 steps in chunks of 100 stay finite and keep spiking (float32).
func TestNeuronsLongRun(t *testing.T) {
	skipShort(t) // five 100-step graphs: minutes to compile on XLA
	const b, tn, n = 2, 10000, 5
	xs := currents(b, tn, n, 25, 20, 7)
	in := tensorOf(t, xs, b, tn, n)
	for _, c := range []struct {
		name string
		n    bpgo.Stepper
		mon  string
	}{
		{"Lif", bpgo.Must1(models.NewLif(n, models.LifOptions{Mode: bpgo.TrainingMode, VReset: -5, VTh: 20, R: 1, Tau: 10})), "V"},
		{"LifRef", bpgo.Must1(models.NewLifRef(n, models.LifRefOptions{TauRef: 2, LifOptions: models.LifDefaults()})), "V"},
		{"ALIF", bpgo.Must1(models.NewALIFBellec2020(n, models.ALIFOptions{VRest: 0, VTh: 20, TauRef: 5, TauA: 100, Beta: 0.5,
			VInit: initializers.Zero{}, AInit: initializers.Zero{}, Mode: bpgo.TrainingMode, R: 1, Tau: 20})), "A"},
		{"Integrator", bpgo.Must1(models.NewIntegrator(n, models.IntegratorDefaults())), "X"},
		{"Leaky", bpgo.Must1(models.NewLeaky(n, models.LeakyDefaults())), "X"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, mon := runNeuron(t, c.n, in, 0.1, 100, c.mon)
			for i, v := range append(out, mon[c.mon]...) {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("non-finite value at %d: %v", i, v)
				}
			}
			if c.name != "Integrator" && c.name != "Leaky" {
				if k := countOnes(out); k <= 0 {
					t.Fatalf("%d spikes in 10,000 steps (-1: non-0/1 values)", k)
				}
				// Spikes continue to the end (the clock and t_last_spike keep working).
				if k := countOnes(out[len(out)-1000*n:]); k <= 0 {
					t.Fatalf("no spikes in the last 1000 steps")
				}
			}
		})
	}
}

// TestExpEulerFactor: float64 is τ(1 − e^{−dt/τ}); float32 reproduces JAX's float32 arithmetic of
// BrainPy's exp_auto bit for bit, including the cancellation in e^{dt·L} − 1 for large τ
// (numbers from jnp with L = -1/jnp.float32(tau); z = dt*L; phi = (jnp.exp(z)-1)/z; dt*phi).
func TestExpEulerFactor(t *testing.T) {
	for _, c := range [][3]float64{{0.1, 10, 0.0995016023516655}, {1, 20, 0.9754109382629395},
		{1, 2000, 0.9998082518577576}, {0.5, 0.3, 0.24333731830120087}} {
		want := c[1] * (1 - math.Exp(-c[0]/c[1])) // dt·φ = τ(1 − e^{−dt/τ})
		if got := models.ExpEulerFactor(c[0], c[1], dtypes.Float64); math.Abs(got-want) > 1e-14*want {
			t.Errorf("ExpEulerFactor(%v, %v) float64 = %v, want %v", c[0], c[1], got, want)
		}
		if got := models.ExpEulerFactor(c[0], c[1], dtypes.Float32); got != c[2] {
			t.Errorf("ExpEulerFactor(%v, %v) float32 = %v, want JAX's %v", c[0], c[1], got, c[2])
		}
	}
}

func TestNeuronResetAndDefaults(t *testing.T) {
	lif := bpgo.Must1(models.NewLif(4, models.LifDefaults()))
	p := lif.Params()
	if p.VRest != 0 || p.VReset != -5 || p.VTh != 20 || p.R != 1 || p.Tau != 10 || p.HardReset || p.DetachSpk ||
		p.SpkFun.String() != "InvSquareGrad(alpha=100)" {
		t.Errorf("Lif defaults: %+v", p)
	}
	if p.Training != (bpgo.GlobalMode() == bpgo.TrainingMode) {
		t.Errorf("Lif default mode: training %v with global mode %v", p.Training, bpgo.GlobalMode())
	}
	if d := lif.V.Shape().Dimensions; len(d) != 2 || d[0] != 1 || d[1] != 4 {
		t.Errorf("Lif V at construction: %v, want [1 4]", d)
	}
	al := bpgo.Must1(models.NewALIFBellec2020(3, models.ALIFOptions{Mode: bpgo.TrainingMode, VRest: -70, VTh: -60, R: 1, Beta: 1.6, Tau: 20, TauA: 2000}))
	ap := al.Params()
	if ap.VRest != -70 || ap.VTh != -60 || ap.R != 1 || ap.Tau != 20 || ap.TauA != 2000 || ap.HasRef ||
		len(ap.Beta) != 1 || ap.Beta[0] != 1.6 || ap.SpikeFun.String() != "ReluGrad(alpha=0.3, width=1)" || ap.Eprop {
		t.Errorf("ALIF defaults: %+v", ap)
	}
	if al.TLastSpike != nil || al.Refractory != nil || al.Input == nil {
		t.Errorf("ALIF default state: TLastSpike %v Refractory %v Input %v", al.TLastSpike, al.Refractory, al.Input)
	}
	closeTo(t, "ALIF V0", al.V.Float64s(), []float64{-70, -70, -70}, 0)
	closeTo(t, "ALIF a0", al.A.Float64s(), []float64{-50, -50, -50}, 0)
	// Resets resize every state and restore the initial values.
	ref := bpgo.Must1(models.NewLifRef(2, models.LifRefOptions{LifOptions: models.LifOptions{VInit: initializers.Constant{Value: 3}, VReset: -5, VTh: 20, R: 1, Tau: 10}, TauRef: 1, RefVar: true}))
	_, _ = runNeuron(t, ref, tensorOf(t, currents(5, 20, 2, 40, 5, 1), 5, 20, 2), 0.5, 7)
	ref.ResetState(3)
	closeTo(t, "LifRef V after reset", ref.V.Float64s(), []float64{3, 3, 3, 3, 3, 3}, 0)
	closeTo(t, "LifRef TLastSpike after reset", ref.TLastSpike.Float64s(), []float64{-1e7, -1e7, -1e7, -1e7, -1e7, -1e7}, 0)
	closeTo(t, "LifRef Spike after reset", ref.Spike.Float64s(), make([]float64, 6), 0)
	closeTo(t, "LifRef Refractory after reset", ref.Refractory.Float64s(), make([]float64, 6), 0)
	// Variable names in a model tree.
	tree := bpgo.Must1(bpgo.Walk(&neuronNet{N: ref}))
	var names []string
	for _, v := range tree.Vars {
		names = append(names, v.Name())
	}
	if got := strings.Join(names, " "); got != "N.V N.Spike N.TLastSpike N.Refractory" {
		t.Errorf("LifRef variables: %s", got)
	}
}

func TestNeuronConstructorErrors(t *testing.T) {
	check := func(what string, err error, field string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: error %v, want one naming %s", what, err, field)
		}
	}
	_, err := models.NewLif(0, models.LifDefaults())
	check("Lif size 0", err, "size")
	_, err = models.NewLif(3, models.LifOptions{Tau: -1, VReset: -5, VTh: 20, R: 1})
	check("Lif tau<0", err, "Tau")
	_, err = models.NewLif(3, models.LifOptions{Tau: 0, VReset: -5, VTh: 20, R: 1})
	check("Lif tau=0", err, "models.NewLif: LifOptions.Tau: want > 0 ms, got 0 (BrainPy's default is 10: start from models.LifDefaults())")
	_, err = models.NewLif(3, models.LifOptions{})
	check("Lif zero options", err, "LifDefaults()")
	_, err = models.NewLifRef(3, models.LifRefOptions{TauRef: 1})
	check("LifRef zero Lif options", err, "models.NewLifRef: LifRefOptions.Tau: want > 0 ms, got 0 (BrainPy's default is 10: start from models.LifRefDefaults())")
	_, err = models.NewALIFBellec2020(3, models.ALIFOptions{VTh: -60})
	check("ALIF zero options", err, "models.NewALIFBellec2020: ALIFOptions.Tau: want > 0 ms, got 0 (BrainPy's default is 20: start from models.ALIFDefaults())")
	_, err = models.NewLif(3, models.LifOptions{SpkFun: surrogate.InvSquareGrad{}, VReset: -5, VTh: 20, R: 1, Tau: 10})
	check("Lif SpkFun with Alpha 0", err, "LifOptions.SpkFun: surrogate.InvSquareGrad: Alpha: want a positive finite number, got 0 (BrainPy's default is 100")
	_, err = models.NewLif(3, models.LifOptions{VTh: 1, VReset: 1, R: 1, Tau: 10})
	check("Lif VTh == VReset", err, "VTh")
	_, err = models.NewLif(3, models.LifOptions{VTh: 0, VReset: -5, R: 1, Tau: 10}) // 0 <= -5 is fine; 0 > -5
	if err != nil {
		t.Errorf("Lif VTh=0 > VReset=-5: %v", err)
	}
	_, err = models.NewLif(3, models.LifOptions{VTh: -6, VReset: -5, R: 1, Tau: 10})
	check("Lif VTh < VReset", err, "VTh")
	_, err = models.NewLif(3, models.LifOptions{SpkReset: "zero", VReset: -5, VTh: 20, R: 1, Tau: 10})
	check("Lif SpkReset", err, "SpkReset")
	_, err = models.NewLif(3, models.LifOptions{SpkFun: surrogate.InvSquareGrad{Alpha: -1}, VReset: -5, VTh: 20, R: 1, Tau: 10})
	check("Lif SpkFun", err, "SpkFun")
	_, err = models.NewLif(3, models.LifOptions{R: math.NaN(), VReset: -5, VTh: 20, Tau: 10})
	check("Lif R NaN", err, "R")
	_, err = models.NewLif(3, models.LifOptions{Mode: bpgo.Mode(9), VReset: -5, VTh: 20, R: 1, Tau: 10})
	check("Lif mode", err, "Mode")
	_, err = models.NewLif(3, models.LifOptions{VInit: initializers.OneInit{Value: math.Inf(1)}, VReset: -5, VTh: 20, R: 1, Tau: 10})
	check("Lif VInit", err, "VInit")
	_, err = models.NewLifRef(3, models.LifRefOptions{TauRef: -1, LifOptions: models.LifDefaults()})
	check("LifRef tau_ref<0", err, "TauRef")
	_, err = models.NewLifRef(0, models.LifRefDefaults())
	check("LifRef size", err, "size")
	_, err = models.NewLifRef(3, models.LifRefOptions{LifOptions: models.LifOptions{VTh: -10, VReset: -5, R: 1, Tau: 10}})
	check("LifRef VTh", err, "VTh")
	_, err = models.NewIntegrator(0, models.IntegratorDefaults())
	check("Integrator size", err, "size")
	_, err = models.NewIntegrator(2, models.IntegratorOptions{Tau: -3})
	check("Integrator tau", err, "Tau")
	_, err = models.NewLeaky(-1, models.LeakyDefaults())
	check("Leaky size", err, "size")
	_, err = models.NewLeaky(2, models.LeakyOptions{Tau: math.Inf(1)})
	check("Leaky tau", err, "Tau")
	_, err = models.NewALIFBellec2020(0, models.ALIFDefaults())
	check("ALIF size", err, "size")
	_, err = models.NewALIFBellec2020(2, models.ALIFOptions{Tau: -1, VRest: -70, VTh: -60, R: 1, Beta: 1.6, TauA: 2000})
	check("ALIF tau", err, "Tau")
	_, err = models.NewALIFBellec2020(2, models.ALIFOptions{TauA: -1, VRest: -70, VTh: -60, R: 1, Beta: 1.6, Tau: 20})
	check("ALIF tau_a", err, "TauA")
	_, err = models.NewALIFBellec2020(2, models.ALIFOptions{TauRef: -1, VRest: -70, VTh: -60, R: 1, Beta: 1.6, Tau: 20, TauA: 2000})
	check("ALIF tau_ref", err, "TauRef")
	_, err = models.NewALIFBellec2020(2, models.ALIFOptions{VTh: 0, VRest: -70, R: 1, Beta: 1.6, Tau: 20, TauA: 2000})
	check("ALIF VTh=0", err, "VTh")
	_, err = models.NewALIFBellec2020(2, models.ALIFOptions{Betas: []float64{1}, VRest: -70, VTh: -60, R: 1, Beta: 1.6, Tau: 20, TauA: 2000})
	check("ALIF Betas length", err, "Betas")
	_, err = models.NewALIFBellec2020(2, models.ALIFOptions{AInit: initializers.Uniform{Min: 1, Max: 0}, VRest: -70, VTh: -60, R: 1, Beta: 1.6, Tau: 20, TauA: 2000})
	check("ALIF AInit", err, "AInit")
}

func TestNeuronBadInput(t *testing.T) {
	lif := bpgo.Must1(models.NewLif(3, models.LifDefaults()))
	r := bpgo.Must1(bpgo.NewRunner(&neuronNet{N: lif}, bpgo.RunnerOptions{}))
	_, err := r.Run(tensorOf(t, make([]float64, 2*4*5), 2, 4, 5), bpgo.RunOptions{ResetState: true})
	if err == nil || !strings.Contains(err.Error(), "models.Lif: input current") {
		t.Errorf("wrong input width: error %v", err)
	}
}
