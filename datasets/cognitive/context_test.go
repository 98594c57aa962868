package cognitive_test

import (
	"math"
	"slices"
	"testing"

	"github.com/bpgo/bpgo/datasets/cognitive"
)

func newCDM(t *testing.T, edit func(*cognitive.ContextDecisionMakingOptions)) *cognitive.ContextDecisionMaking {
	t.Helper()
	o := cognitive.ContextDecisionMakingDefaults()
	o.Dt = 20
	if edit != nil {
		edit(&o)
	}
	d, err := cognitive.NewContextDecisionMaking(o)
	if err != nil {
		t.Fatalf("NewContextDecisionMaking(%+v): %v", o, err)
	}
	return d
}

func TestCDMLayout(t *testing.T) {
	o := cognitive.ContextDecisionMakingDefaults()
	if o.Dt != 100 || o.TFixation != 100 || o.TStimulus != 800 || o.TDelay != 0 || o.TDecision != 300 ||
		o.NoiseSigma != 1 || o.NumTrial != 1024 || !slices.Equal(o.Coherences, []float64{5, 15, 50}) {
		t.Errorf("defaults %+v", o)
	}
	d := newCDM(t, nil)
	if d.NumSteps() != 60 || d.NumInputs() != 7 || d.NumOutputs() != 3 || d.Name() != "ContextDecisionMaking" {
		t.Errorf("T, inputs, outputs, name = %d, %d, %d, %q", d.NumSteps(), d.NumInputs(), d.NumOutputs(), d.Name())
	}
	wantPeriods(t, "dt 20", d.Periods(), 20, "fixation", 0, 5, "stimulus", 5, 45, "delay", 45, 45, "decision", 45, 60)
	if f := d.InputFeatures(); f[0] != "fixation" || f[1] != "motion choice 0" || f[4] != "color choice 1" || f[5] != "context motion" || f[6] != "context color" {
		t.Errorf("input features %q", f)
	}
	if f := d.OutputFeatures(); !slices.Equal(f, []string{"fixation", "choice 0", "choice 1"}) {
		t.Errorf("output features %q", f)
	}
}

// TestCDMCoding checks inputs and labels against the definition, with a delay so that every
// period is visited, and the draw frequencies.
func TestCDMCoding(t *testing.T) {
	d := newCDM(t, func(o *cognitive.ContextDecisionMakingOptions) { o.NoiseSigma = 0; o.TDelay = 200; o.Seed = 2 })
	wantPeriods(t, "with delay", d.Periods(), 20, "fixation", 0, 5, "stimulus", 5, 45, "delay", 45, 55, "decision", 55, 70)
	ctx, combos := map[any]int{}, map[any]int{}
	cohs := map[any]int{}
	for range 4000 {
		tr, err := d.Sample()
		if err != nil {
			t.Fatal(err)
		}
		in := tr.Info
		ctx[in.Context]++
		combos[[3]int{in.Context, in.Direction[cognitive.Motion], in.Direction[cognitive.Color]}]++
		cohs[in.Coherence[cognitive.Color]]++
		if in.GroundTruth != in.Direction[in.Context] {
			t.Fatalf("ground truth %d, cued direction %d", in.GroundTruth, in.Direction[in.Context])
		}
		for m := range 2 {
			want := in.Coherence[m]
			if in.Direction[m] == 0 {
				want = -want
			}
			if in.SignedCoherence[m] != want {
				t.Errorf("modality %d: signed coherence %v, want %v", m, in.SignedCoherence[m], want)
			}
		}
		for step := range 70 {
			want := make([]float64, 7)
			lab := 0
			if step < 55 {
				want[0] = 1
				want[5+in.Context] = 1
			} else {
				lab = in.GroundTruth + 1
			}
			if step >= 5 && step < 45 {
				for m := range 2 {
					want[1+2*m+in.Direction[m]] = 0.5 + in.Coherence[m]/200
					want[1+2*m+1-in.Direction[m]] = 0.5 - in.Coherence[m]/200
				}
			}
			if got := tr.Inputs[step*7 : step*7+7]; !slices.Equal(got, want) {
				t.Fatalf("%+v step %d: inputs %v, want %v", in, step, got, want)
			}
			if tr.Labels[step] != lab {
				t.Fatalf("step %d: label %d, want %d", step, tr.Labels[step], lab)
			}
		}
	}
	checkUniform(t, "context", ctx, 2)
	checkUniform(t, "context × motion direction × color direction", combos, 8)
	checkUniform(t, "color coherence", cohs, 3)
}

func TestCDMNoiseAndSeeds(t *testing.T) {
	noisy := newCDM(t, func(o *cognitive.ContextDecisionMakingOptions) { o.Seed = 4 })
	clean := newCDM(t, func(o *cognitive.ContextDecisionMakingOptions) { o.Seed = 4; o.NoiseSigma = 0 })
	var m moments
	for range 500 {
		a, _ := noisy.Sample()
		b, _ := clean.Sample()
		if a.Info.Context != b.Info.Context || a.Info.Coherence != b.Info.Coherence || a.Info.Direction != b.Info.Direction {
			t.Fatal("the noise level changed the drawn conditions")
		}
		for i := range a.Inputs {
			m.add(a.Inputs[i] - b.Inputs[i])
		}
	}
	checkNoise(t, "context task", &m, 1/math.Sqrt(20))

	again := newCDM(t, func(o *cognitive.ContextDecisionMakingOptions) { o.Seed = 4 })
	other := newCDM(t, func(o *cognitive.ContextDecisionMakingOptions) { o.Seed = 5 })
	noisy = newCDM(t, func(o *cognitive.ContextDecisionMakingOptions) { o.Seed = 4 })
	x, _ := noisy.Sample()
	y, _ := again.Sample()
	z, _ := other.Sample()
	if !slices.Equal(x.Inputs, y.Inputs) || x.Info.Context != y.Info.Context {
		t.Error("the same seed gave different trials")
	}
	if slices.Equal(x.Inputs, z.Inputs) {
		t.Error("seeds 4 and 5 gave the same trial")
	}
}

func TestCDMErrors(t *testing.T) {
	const rec = "cognitive.NewContextDecisionMaking: ContextDecisionMakingOptions."
	cases := []struct {
		name  string
		edit  func(*cognitive.ContextDecisionMakingOptions)
		frags []string
	}{
		{"dt 0", func(o *cognitive.ContextDecisionMakingOptions) { o.Dt = 0 }, []string{rec + "Dt"}},
		{"stimulus 810 at dt 20", func(o *cognitive.ContextDecisionMakingOptions) { o.TStimulus = 810 }, []string{rec + "TStimulus", "not a multiple"}},
		{"dt 40 vs fixation 100", func(o *cognitive.ContextDecisionMakingOptions) { o.Dt = 40 }, []string{rec + "TFixation"}},
		{"noise NaN", func(o *cognitive.ContextDecisionMakingOptions) { o.NoiseSigma = math.NaN() }, []string{rec + "NoiseSigma"}},
		{"empty coherences", func(o *cognitive.ContextDecisionMakingOptions) { o.Coherences = []float64{} }, []string{rec + "Coherences"}},
		{"negative coherence", func(o *cognitive.ContextDecisionMakingOptions) { o.Coherences = []float64{-5} }, []string{rec + "Coherences[0]"}},
		{"no trials", func(o *cognitive.ContextDecisionMakingOptions) { o.NumTrial = -1 }, []string{rec + "NumTrial"}},
	}
	for _, c := range cases {
		o := cognitive.ContextDecisionMakingDefaults()
		o.Dt = 20
		c.edit(&o)
		_, err := cognitive.NewContextDecisionMaking(o)
		wantErr(t, c.name, err, c.frags...)
	}
	_, err := newCDM(t, nil).Trial(nil)
	wantErr(t, "nil rng", err, "cognitive.ContextDecisionMaking.Trial", "rng is nil")
}
