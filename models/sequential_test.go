package models_test

import (
	"math"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/models"
	"github.com/gomlx/gomlx/core/graph"
)

// spikeSteps returns T steps of (B, N) Bernoulli(p) spikes as 0/1 floats.
func spikeSteps(seed uint64, T, B, N int, p float64) [][][]float64 {
	bpgo.SetSeed(seed)
	rng := bpgo.NewRNG()
	s := make([][][]float64, T)
	for ti := range s {
		s[ti] = make([][]float64, B)
		for b := range s[ti] {
			s[ti][b] = make([]float64, N)
			for n := range s[ti][b] {
				if rng.Float64() < p {
					s[ti][b][n] = 1
				}
			}
		}
	}
	return s
}

// linearExpon is the tutorial's i2r: Sequential(Linear(KaimingNormal(scale=20)), Expon(tau=10)).
func linearExpon(t *testing.T, in, out int, mode bpgo.Mode) (*models.Sequential, *models.Dense, *models.Expon) {
	t.Helper()
	bpgo.SetSeed(7)
	lin, err := models.NewLinear(in, out, models.DenseOptions{WInit: initializers.KaimingNormal{Scale: 20}, BInit: initializers.Normal{Scale: 0.5}, Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	syn, err := models.NewExpon(out, models.ExponOptions{Tau: 10})
	if err != nil {
		t.Fatal(err)
	}
	seq, err := models.NewSequential(lin, syn)
	if err != nil {
		t.Fatal(err)
	}
	return seq, lin, syn
}

// TestSequentialLinearExpon runs Linear → Expon through the runner (over several chunks) and
// compares with a plain-Go loop: g ← g·e^{−dt/τ} + (x W + b).
func TestSequentialLinearExpon(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const T, B, in, out, dt = 13, 3, 6, 4, 1.0
	seq, lin, _ := linearExpon(t, in, out, bpgo.TrainingMode)
	xs := spikeSteps(5, T, B, in, 0.3)
	r, err := bpgo.NewRunner(seq, bpgo.RunnerOptions{Dt: dt, Chunk: 5, Monitors: []string{"Modules.1.G"}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := r.Run(seqTensor(t, xs), bpgo.RunOptions{ResetState: true})
	if err != nil {
		t.Fatal(err)
	}
	got := unpack(o)
	mon := unpack(r.Mon["Modules.1.G"])
	w, bias := lin.W.Float64s(), lin.B.Float64s()
	for b := range B {
		g := make([]float64, out)
		for ti := range T {
			for j := range out {
				y := bias[j]
				for i := range in {
					y += xs[ti][b][i] * w[i*out+j]
				}
				g[j] = g[j]*math.Exp(-dt/10) + y
				near(t, "g", got[ti][b][j], g[j], 1e-12)
				near(t, "monitored G", mon[ti][b][j], g[j], 1e-12)
			}
		}
	}
	var names []string
	for _, v := range r.Tree().Vars {
		names = append(names, v.Name())
	}
	if strings.Join(names, ",") != "Modules.0.W,Modules.0.B,Modules.1.G" {
		t.Errorf("variables %v, want Modules.0.W, Modules.0.B, Modules.1.G", names)
	}
}

// TestSequentialGradient: the BPTT gradient through Sequential(Dense, Expon) matches finite
// differences (float64, TrainingMode Dense).
func TestSequentialGradient(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	seq, _, _ := linearExpon(t, 3, 2, bpgo.TrainingMode)
	g, err := bpgo.NewGrad(seq, mseL2Loss, bpgo.GradOptions{Dt: 1})
	if err != nil {
		t.Fatal(err)
	}
	c, err := bpgo.CheckGradients(g, normalTensor(8, 2, 7, 3), normalTensor(9, 2, 7, 2), bpgo.GradCheckOptions{Floor: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxRelErr > 1e-6 || c.Checked != 3*2+2 {
		t.Errorf("Sequential(Dense, Expon): max relative error %g at %s over %d elements", c.MaxRelErr, c.Worst, c.Checked)
	}
}

func TestSequentialErrors(t *testing.T) {
	var nilDense *models.Dense
	e := bpgo.Must1(models.NewExpon(2, models.ExponDefaults()))
	for _, c := range []struct {
		err  error
		want string
	}{
		{second(models.NewSequential()), "no modules"},
		{second(models.NewSequential(e, nil)), "module 1 is nil"},
		{second(models.NewSequential(nilDense, e)), "module 0 is nil"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("got error %v, want one mentioning %q", c.err, c.want)
		}
	}
	seq := bpgo.Must1(models.NewSequential(bpgo.Must1(models.NewDense(3, 2, models.DenseOptions{})), e))
	if seq.OutSize() != 2 {
		t.Errorf("OutSize = %d, want 2", seq.OutSize())
	}
}

// headTail steps a Sequential as Tail(Head(x)), the way an Encoder built on it runs.
type headTail struct{ S *models.Sequential }

func (m *headTail) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.S.Tail(ctx, m.S.Head(ctx, x))
}

// TestSequentialHeadTail: Tail(Head(x)) runs exactly as Update, and Head is the first module.
func TestSequentialHeadTail(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const T, B, in, out = 6, 2, 5, 3
	seq, lin, _ := linearExpon(t, in, out, bpgo.TrainingMode)
	xs := seqTensor(t, spikeSteps(3, T, B, in, 0.4))
	run := func(m bpgo.Stepper) [][][]float64 {
		r := bpgo.Must1(bpgo.NewRunner(m, bpgo.RunnerOptions{Dt: 1}))
		return unpack(bpgo.Must1(r.Run(xs, bpgo.RunOptions{ResetState: true})))
	}
	want, got := run(seq), run(&headTail{seq})
	for ti := range want {
		for b := range want[ti] {
			for j := range want[ti][b] {
				if got[ti][b][j] != want[ti][b][j] {
					t.Fatalf("step %d sample %d unit %d: Tail(Head(x)) %v, Update %v", ti, b, j, got[ti][b][j], want[ti][b][j])
				}
			}
		}
	}
	head := bpgo.Must1(models.NewSequential(lin))
	one := run(head) // Head alone: the Linear
	w, bias := lin.W.Float64s(), lin.B.Float64s()
	x := unpack(xs)
	for ti := range one {
		for b := range one[ti] {
			for j := range one[ti][b] {
				y := bias[j]
				for i := range in {
					y += x[ti][b][i] * w[i*out+j]
				}
				near(t, "Head", one[ti][b][j], y, 1e-12)
			}
		}
	}
}
