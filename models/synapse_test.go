package models_test

import (
	"math"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/models"
	"github.com/gomlx/gomlx/core/tensors"
)

// seqTensor builds a (B, T, N) float64 tensor from steps[t][b][n].

func seqTensor(t *testing.T, steps [][][]float64) *tensors.Tensor {
	t.Helper()
	T, B, N := len(steps), len(steps[0]), len(steps[0][0])
	flat := make([]float64, B*T*N)
	for ti := range T {
		for b := range B {
			for n := range N {
				flat[(b*T+ti)*N+n] = steps[ti][b][n]
			}
		}
	}
	return bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), flat, B, T, N))
}

// at reads out[b, t, n] of a (B, T, N) tensor's flat data.
func at(flat []float64, dims []int, b, t, n int) float64 {
	return flat[(b*dims[1]+t)*dims[2]+n]
}

// runSteps runs a model from a reset state over steps[t][b][n] with time step dt and returns
// the outputs as steps[t][b][n].
func runSteps(t *testing.T, model bpgo.Stepper, dt float64, steps [][][]float64) [][][]float64 {
	t.Helper()
	r, err := bpgo.NewRunner(model, bpgo.RunnerOptions{Dt: dt, Chunk: 4})
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Run(seqTensor(t, steps), bpgo.RunOptions{ResetState: true})
	if err != nil {
		t.Fatal(err)
	}
	return unpack(out)
}

func unpack(out *tensors.Tensor) [][][]float64 {
	d := out.Shape().Dimensions
	flat := bpgo.ToFloat64s(out)
	res := make([][][]float64, d[1])
	for ti := range res {
		res[ti] = make([][]float64, d[0])
		for b := range res[ti] {
			res[ti][b] = make([]float64, d[2])
			for n := range res[ti][b] {
				res[ti][b][n] = at(flat, d, b, ti, n)
			}
		}
	}
	return res
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.17g, want %.17g", what, got, want)
	}
}

// exponInputs: one sample, two neurons; step 3 is BrainPy's update() without input (zeros here).
var exponInputs = [][][]float64{{{1, 0.5}}, {{0, 0}}, {{2, -1}}, {{0, 0}}, {{0, 0.25}}}

// randomSteps returns T steps of (B, N) inputs, some zero.
func randomSteps(seed uint64, T, B, N int) [][][]float64 {
	bpgo.SetSeed(seed)
	rng := bpgo.NewRNG()
	s := make([][][]float64, T)
	for ti := range s {
		s[ti] = make([][]float64, B)
		for b := range s[ti] {
			s[ti][b] = make([]float64, N)
			for n := range s[ti][b] {
				if rng.Float64() < 0.5 {
					s[ti][b][n] = rng.NormFloat64()
				}
			}
		}
	}
	return s
}

// TestSynapsesHandComputed checks Expon, DualExpon and Alpha against plain-Go loops.
func TestSynapsesHandComputed(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const T, B, N, dt = 9, 2, 3, 0.5
	in := randomSteps(11, T, B, N)

	e := bpgo.Must1(models.NewExpon(N, models.ExponOptions{Tau: 3}))
	got := runSteps(t, e, dt, in)
	for b := range B {
		for n := range N {
			g := 0.0
			for ti := range T {
				g = g*math.Exp(-dt/3) + in[ti][b][n]
				near(t, "Expon g", got[ti][b][n], g, 1e-13)
			}
		}
	}

	const td, tr, A = 6.0, 2.0, 1.7
	d := bpgo.Must1(models.NewDualExpon(N, models.DualExponOptions{TauDecay: td, TauRise: tr, A: A}))
	al := bpgo.Must1(models.NewAlpha(N, models.AlphaOptions{TauDecay: 4}))
	gotD, gotA := runSteps(t, d, dt, in), runSteps(t, al, dt, in)
	a := (td - tr) / tr / td * A
	for b := range B {
		for n := range N {
			g, h, ga, ha := 0.0, 0.0, 0.0, 0.0
			for ti := range T {
				x := in[ti][b][n]
				g, h = g+(1-math.Exp(-dt/td))*td*(-g/td+h), h*math.Exp(-dt/tr)+a*x
				ga, ha = ga+(1-math.Exp(-dt/4))*4*(-ga/4+ha), ha*math.Exp(-dt/4)+x
				near(t, "DualExpon g", gotD[ti][b][n], g, 1e-13)
				near(t, "Alpha g", gotA[ti][b][n], ga, 1e-13)
			}
		}
	}
}

// TestDualExponAlphaBrainPy compares with BrainPy 2.4.3 (x64, dt=1, batch 1, one neuron):
// bp.dyn.DualExpon(1) (tau_decay=10, tau_rise=1, h += x, i.e. A = τr·τd/(τd−τr) = 10/9 here)
// and brainpy._src.dyn.synapses.abstract_models.Alpha(1, tau_decay=5.), updated with inputs
// 1, 0, 0, 0.5, 0.
func TestDualExponAlphaBrainPy(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	in := [][][]float64{{{1}}, {{0}}, {{0}}, {{0.5}}, {{0}}}
	wantD := []float64{0, 0.9516258196404048, 1.2111502243134056, 1.224682591657723, 1.6313302037124253}
	wantA := []float64{0, 0.9063462346100909, 1.4841070704234258, 1.8226261491241933, 2.4428265568411422}
	d := bpgo.Must1(models.NewDualExpon(1, models.DualExponOptions{A: 10.0 / 9, TauDecay: 10, TauRise: 1}))
	al := bpgo.Must1(models.NewAlpha(1, models.AlphaOptions{TauDecay: 5}))
	gotD, gotA := runSteps(t, d, 1, in), runSteps(t, al, 1, in)
	for ti := range wantD {
		near(t, "DualExpon g", gotD[ti][0][0], wantD[ti], 1e-13)
		near(t, "Alpha g", gotA[ti][0][0], wantA[ti], 1e-13)
	}
}

// TestDualExponNormalised: with the default A (BrainPy 2.5.0), one unit input peaks at g ≈ 1.
func TestDualExponNormalised(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const T = 3000
	in := make([][][]float64, T)
	for i := range in {
		in[i] = [][]float64{{0}}
	}
	in[0][0][0] = 1
	d := bpgo.Must1(models.NewDualExpon(1, models.DualExponDefaults()))
	peak := 0.0
	for _, s := range runSteps(t, d, 0.01, in) {
		peak = math.Max(peak, s[0][0])
	}
	near(t, "peak g", peak, 1, 1e-2) // 1.005: first-order splitting error at dt = 0.01
}

// TestSynapseReset: ResetState zeros g (and h) for the new batch size; a reset run repeats a
// fresh one; without reset, a run continues from the state.
func TestSynapseReset(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	in := randomSteps(3, 6, 3, 2)
	for _, syn := range []bpgo.Stepper{
		bpgo.Must1(models.NewExpon(2, models.ExponDefaults())),
		bpgo.Must1(models.NewDualExpon(2, models.DualExponDefaults())),
		bpgo.Must1(models.NewAlpha(2, models.AlphaDefaults())),
	} {
		r := bpgo.Must1(bpgo.NewRunner(syn, bpgo.RunnerOptions{Dt: 1}))
		first := unpack(bpgo.Must1(r.Run(seqTensor(t, in), bpgo.RunOptions{ResetState: true})))
		states := r.Tree().States()
		for _, s := range states {
			if d := s.Shape().Dimensions; d[0] != 3 || d[1] != 2 {
				t.Fatalf("%T: state %s shape %v after a batch-3 run", syn, s.Name(), d)
			}
		}
		// Continue without reset: step 0 of the second run decays the last state.
		zero := [][][]float64{{{0, 0}, {0, 0}, {0, 0}}}
		cont := unpack(bpgo.Must1(r.Run(seqTensor(t, zero), bpgo.RunOptions{})))
		if cont[0][0][0] == 0 && first[5][0][0] != 0 {
			t.Errorf("%T: run without reset did not continue from the state", syn)
		}
		bpgo.Must(bpgo.ResetState(syn, 5))
		for _, s := range states {
			if d := s.Shape().Dimensions; d[0] != 5 {
				t.Errorf("%T: state %s has batch %d after ResetState(5)", syn, s.Name(), d[0])
			}
			for _, v := range s.Float64s() {
				if v != 0 {
					t.Fatalf("%T: state %s not zero after ResetState", syn, s.Name())
				}
			}
		}
		again := unpack(bpgo.Must1(r.Run(seqTensor(t, in), bpgo.RunOptions{ResetState: true})))
		for ti := range first {
			for b := range first[ti] {
				for n := range first[ti][b] {
					if again[ti][b][n] != first[ti][b][n] {
						t.Fatalf("%T: reset run differs from the first at [%d][%d][%d]", syn, ti, b, n)
					}
				}
			}
		}
	}
}

func TestSynapseErrors(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{second(models.NewExpon(0, models.ExponDefaults())), "size"},
		{second(models.NewExpon(3, models.ExponOptions{Tau: -1})), "ExponOptions.Tau"},
		{second(models.NewExpon(3, models.ExponOptions{Tau: math.NaN()})), "ExponOptions.Tau"},
		{second(models.NewExpon(3, models.ExponOptions{Tau: math.Inf(1)})), "ExponOptions.Tau"},
		{second(models.NewExpon(3, models.ExponOptions{Mode: bpgo.Mode(9), Tau: 8})), "ExponOptions.Mode"},
		{second(models.NewDualExpon(3, models.DualExponOptions{TauDecay: 2, TauRise: 2, PeakNormalized: true})), "TauRise: want a value other than TauDecay"},
		{second(models.NewDualExpon(3, models.DualExponOptions{TauRise: -2, TauDecay: 10, PeakNormalized: true})), "DualExponOptions.TauRise"},
		{second(models.NewDualExpon(3, models.DualExponOptions{TauDecay: -2, TauRise: 1, PeakNormalized: true})), "DualExponOptions.TauDecay"},
		{second(models.NewDualExpon(3, models.DualExponOptions{A: math.Inf(-1), TauDecay: 10, TauRise: 1})), "DualExponOptions.A"},
		{second(models.NewAlpha(0, models.AlphaDefaults())), "size"},
		{second(models.NewAlpha(2, models.AlphaOptions{TauDecay: -3})), "AlphaOptions.TauDecay"},
		{second(models.NewCOBA(math.NaN())), "E (reversal potential)"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("got error %v, want one mentioning %q", c.err, c.want)
		}
	}
	// Wrong input width: the runner reports the synapse's message.
	e := bpgo.Must1(models.NewExpon(3, models.ExponDefaults()))
	err := runErr(e, seqTensor(t, [][][]float64{{{1, 2}}}))
	if err == nil || !strings.Contains(err.Error(), "models.Expon: input shape") {
		t.Errorf("wrong input width: got %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

// runErr runs one sequence and returns the error, or the panic turned into an error.
func runErr(m bpgo.Stepper, in *tensors.Tensor) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicErr{r}
		}
	}()
	r, err := bpgo.NewRunner(m, bpgo.RunnerOptions{})
	if err != nil {
		return err
	}
	_, err = r.Run(in, bpgo.RunOptions{ResetState: true})
	return err
}

type panicErr struct{ v any }

func (p panicErr) Error() string {
	if e, ok := p.v.(error); ok {
		return e.Error()
	}
	if s, ok := p.v.(string); ok {
		return s
	}
	return "panic"
}
