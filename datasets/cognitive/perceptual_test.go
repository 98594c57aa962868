package cognitive_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/bpgo/bpgo/datasets/cognitive"
)

// tutorialPDM is the EI-RNN tutorial's RatePerceptualDecisionMaking(dt=20.).
func tutorialPDM(t *testing.T, edit func(*cognitive.RatePerceptualDecisionMakingOptions)) *cognitive.RatePerceptualDecisionMaking {
	t.Helper()
	o := cognitive.RatePerceptualDecisionMakingDefaults()
	o.Dt = 20
	if edit != nil {
		edit(&o)
	}
	d, err := cognitive.NewRatePerceptualDecisionMaking(o)
	if err != nil {
		t.Fatalf("NewRatePerceptualDecisionMaking(%+v): %v", o, err)
	}
	return d
}

func TestPDMDefaults(t *testing.T) {
	o := cognitive.RatePerceptualDecisionMakingDefaults()
	if o.Dt != 100 || o.TFixation != 100 || o.TStimulus != 2000 || o.TDelay != 0 || o.TDecision != 100 ||
		o.NoiseSigma != 1 || o.NumChoice != 2 || o.NumTrial != 1024 || o.Seed != 0 ||
		!slices.Equal(o.Coherences, []float64{0, 6.4, 12.8, 25.6, 51.2}) {
		t.Errorf("defaults %+v differ from brainpy_datasets 0.0.0.6's", o)
	}
	d, err := cognitive.NewRatePerceptualDecisionMaking(o)
	if err != nil {
		t.Fatal(err)
	}
	// dt 100: 1 + 20 + 0 + 1 steps.
	if d.NumSteps() != 22 {
		t.Errorf("default NumSteps = %d, want 22", d.NumSteps())
	}
	wantPeriods(t, "defaults", d.Periods(), 100, "fixation", 0, 1, "stimulus", 1, 21, "delay", 21, 21, "decision", 21, 22)
}

// TestPDMTutorialLayout checks the numbers of the reference (§9.2, §11.4) at dt 20.
func TestPDMTutorialLayout(t *testing.T) {
	d := tutorialPDM(t, nil)
	if d.Name() != "RatePerceptualDecisionMaking" || d.Dt() != 20 || d.NumTrial() != 1024 {
		t.Errorf("Name, Dt, NumTrial = %q, %v, %d", d.Name(), d.Dt(), d.NumTrial())
	}
	if d.NumSteps() != 110 || d.NumInputs() != 3 || d.NumOutputs() != 3 {
		t.Errorf("T, inputs, outputs = %d, %d, %d; want 110, 3, 3", d.NumSteps(), d.NumInputs(), d.NumOutputs())
	}
	feats := []string{"fixation", "choice 0", "choice 1"}
	if !slices.Equal(d.InputFeatures(), feats) || !slices.Equal(d.OutputFeatures(), feats) {
		t.Errorf("features %q / %q, want %q", d.InputFeatures(), d.OutputFeatures(), feats)
	}
	wantPeriods(t, "dt 20", d.Periods(), 20, "fixation", 0, 5, "stimulus", 5, 105, "delay", 105, 105, "decision", 105, 110)
	// The tutorial's analysis window: int(t_fixation/dt), int((t_fixation+t_stimulus)/dt).
	if p := d.Periods()[1]; p.Start != 5 || p.End != 105 || p.StartMs != 100 || p.EndMs != 2100 {
		t.Errorf("stimulus period %+v, want steps 5–105, 100–2100 ms", p)
	}
	if got := d.NoiseStd(); math.Abs(got-1/math.Sqrt(20)) > 1e-15 || math.Abs(got-0.2236) > 1e-4 {
		t.Errorf("NoiseStd = %v, want 1/√20 ≈ 0.2236", got)
	}
	// Periods is a copy.
	d.Periods()[0].Name = "changed"
	if d.Periods()[0].Name != "fixation" {
		t.Error("Periods() exposes the task's slice")
	}
}

// TestPDMNoiselessInputsAndLabels checks the channel coding and the labels against the
// definition, with the noise switched off.
func TestPDMNoiselessInputsAndLabels(t *testing.T) {
	d := tutorialPDM(t, func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.NoiseSigma = 0; o.Seed = 3 })
	cohs := map[any]int{}
	gts := map[any]int{}
	for range 2000 {
		tr, err := d.Sample()
		if err != nil {
			t.Fatal(err)
		}
		info := tr.Info
		gt, coh := info.GroundTruth, info.Coherence
		cohs[coh]++
		gts[gt]++
		if tr.NumSteps != 110 || tr.NumInputs != 3 || len(tr.Inputs) != 330 || len(tr.Labels) != 110 {
			t.Fatalf("trial dims %d×%d, %d inputs, %d labels", tr.NumSteps, tr.NumInputs, len(tr.Inputs), len(tr.Labels))
		}
		wantSigned := coh
		if gt == 0 {
			wantSigned = -coh
		}
		if info.SignedCoherence != wantSigned {
			t.Errorf("gt %d coh %v: SignedCoherence %v", gt, coh, info.SignedCoherence)
		}
		wantPeriods(t, "trial", info.Periods, 20, "fixation", 0, 5, "stimulus", 5, 105, "delay", 105, 105, "decision", 105, 110)
		for step := range 110 {
			fix, c0, c1, lab := 1.0, 0.0, 0.0, 0
			if step >= 5 && step < 105 {
				c0, c1 = 0.5-coh/200, 0.5+coh/200
				if gt == 0 {
					c0, c1 = c1, c0
				}
			}
			if step >= 105 {
				fix, lab = 0, gt+1
			}
			if got := []float64{tr.Input(step, 0), tr.Input(step, 1), tr.Input(step, 2)}; !slices.Equal(got, []float64{fix, c0, c1}) {
				t.Fatalf("gt %d coh %v step %d: inputs %v, want %v", gt, coh, step, got, []float64{fix, c0, c1})
			}
			if tr.Labels[step] != lab {
				t.Fatalf("gt %d step %d: label %d, want %d", gt, step, tr.Labels[step], lab)
			}
		}
		if got := tr.Channel(0); got[104] != 1 || got[105] != 0 {
			t.Errorf("Channel(0) around the decision onset = %v, %v", got[104], got[105])
		}
		if p, ok := info.Period("decision"); !ok || p.Start != 105 {
			t.Errorf("Period(decision) = %+v, %v", p, ok)
		}
		if info.PeriodAt(4) != 0 || info.PeriodAt(5) != 1 || info.PeriodAt(105) != 3 || info.PeriodAt(110) != -1 {
			t.Errorf("PeriodAt(4, 5, 105, 110) = %d %d %d %d, want 0 1 3 -1",
				info.PeriodAt(4), info.PeriodAt(5), info.PeriodAt(105), info.PeriodAt(110))
		}
	}
	checkUniform(t, "coherence", cohs, 5)
	checkUniform(t, "ground truth", gts, 2)
}

// TestPDMNoise checks the noise quirk: N(0, 1/dt)·noise_sigma² on every channel at every step,
// decision period and fixation channel included, independent of the signal.
func TestPDMNoise(t *testing.T) {
	for _, sigma := range []float64{1, 0.5} {
		noisy := tutorialPDM(t, func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.Seed = 11; o.NoiseSigma = sigma })
		clean := tutorialPDM(t, func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.Seed = 11; o.NoiseSigma = 0 })
		want := sigma / math.Sqrt(20)
		var all, fixDecision, stim moments
		var lag moments // products of consecutive residuals: ~0 if independent
		for range 1000 {
			a, err := noisy.Sample()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := clean.Sample()
			if a.Info.GroundTruth != b.Info.GroundTruth || a.Info.Coherence != b.Info.Coherence {
				t.Fatal("the noise level changed the drawn conditions")
			}
			prev := 0.0
			for i := range a.Inputs {
				r := a.Inputs[i] - b.Inputs[i]
				all.add(r)
				lag.add(r * prev)
				prev = r
				step, c := i/3, i%3
				if step >= 105 && c == 0 {
					fixDecision.add(r)
				}
				if step >= 5 && step < 105 && c > 0 {
					stim.add(r)
				}
			}
		}
		checkNoise(t, "all", &all, want)
		checkNoise(t, "fixation channel, decision period", &fixDecision, want)
		checkNoise(t, "choice channels, stimulus", &stim, want)
		if se := want * want / math.Sqrt(lag.n); math.Abs(lag.mean()) > 5*se {
			t.Errorf("sigma %v: consecutive residuals correlate: mean product %v", sigma, lag.mean())
		}
	}
}

func TestPDMThreeChoices(t *testing.T) {
	d := tutorialPDM(t, func(o *cognitive.RatePerceptualDecisionMakingOptions) {
		o.NumChoice, o.NoiseSigma, o.Coherences = 3, 0, []float64{40}
	})
	if d.NumInputs() != 4 || d.NumOutputs() != 4 || d.OutputFeatures()[3] != "choice 2" {
		t.Fatalf("3 choices: %d inputs, outputs %q", d.NumInputs(), d.OutputFeatures())
	}
	seen := map[any]int{}
	for range 300 {
		tr, err := d.Sample()
		if err != nil {
			t.Fatal(err)
		}
		gt := tr.Info.GroundTruth
		seen[gt]++
		if !math.IsNaN(tr.Info.SignedCoherence) {
			t.Errorf("SignedCoherence with 3 choices = %v, want NaN", tr.Info.SignedCoherence)
		}
		for j := range 3 {
			want := 0.5 + 0.2*math.Cos(2*math.Pi*float64(j-gt)/3) // cos 0 = 1, cos ±120° = −1/2
			if got := tr.Input(50, 1+j); math.Abs(got-want) > 1e-12 {
				t.Errorf("gt %d choice %d: %v, want %v", gt, j, got, want)
			}
		}
		if tr.Labels[109] != gt+1 {
			t.Errorf("gt %d: decision label %d", gt, tr.Labels[109])
		}
	}
	checkUniform(t, "ground truth of 3", seen, 3)
}

func TestPDMReproducible(t *testing.T) {
	draw := func(d *cognitive.RatePerceptualDecisionMaking) [][]float64 {
		var out [][]float64
		for range 5 {
			tr, err := d.Sample()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, tr.Inputs)
		}
		return out
	}
	seeded := func(s uint64) *cognitive.RatePerceptualDecisionMaking {
		return tutorialPDM(t, func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.Seed = s })
	}
	a, b, c := draw(seeded(7)), draw(seeded(7)), draw(seeded(8))
	if !slices.EqualFunc(a, b, slices.Equal) {
		t.Error("the same seed gave different trials")
	}
	if slices.EqualFunc(a, c, slices.Equal) {
		t.Error("seeds 7 and 8 gave the same trials")
	}
	if slices.Equal(a[0], a[1]) {
		t.Error("consecutive trials are identical")
	}
	// Trial draws from the caller's stream, independent of the task's.
	d := seeded(1)
	x, _ := d.Trial(rand.New(rand.NewPCG(5, 6)))
	_, _ = d.Sample()
	y, _ := d.Trial(rand.New(rand.NewPCG(5, 6)))
	if !slices.Equal(x.Inputs, y.Inputs) || !slices.Equal(x.Labels, y.Labels) {
		t.Error("Trial with equal streams gave different trials")
	}
}

func TestPDMErrors(t *testing.T) {
	const rec = "RatePerceptualDecisionMakingOptions."
	cases := []struct {
		name  string
		edit  func(*cognitive.RatePerceptualDecisionMakingOptions)
		frags []string
	}{
		{"dt 0", func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.Dt = 0 }, []string{rec + "Dt", "positive"}},
		{"dt NaN", func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.Dt = math.NaN() }, []string{rec + "Dt"}},
		{"dt -20", func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.Dt = -20 }, []string{rec + "Dt"}},
		{"dt 30 does not divide 100", func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.Dt = 30 }, []string{rec + "TFixation", "not a multiple of Dt 30"}},
		{"stimulus 2010 at dt 20", func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.TStimulus = 2010 }, []string{rec + "TStimulus", "2010", "Dt 20"}},
		{"decision 50 at dt 20 (brainpy would truncate to 2 steps)", func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.TDecision = 50 }, []string{rec + "TDecision"}},
		{"negative delay", func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.TDelay = -20 }, []string{rec + "TDelay", ">= 0"}},
		{"infinite stimulus", func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.TStimulus = math.Inf(1) }, []string{rec + "TStimulus"}},
		{"huge stimulus", func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.TStimulus = 1e12 }, []string{rec + "TStimulus", "longer than"}},
		{"all periods 0", func(o *cognitive.RatePerceptualDecisionMakingOptions) {
			o.TFixation, o.TStimulus, o.TDecision = 0, 0, 0
		}, []string{"no time steps"}},
		{"negative noise", func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.NoiseSigma = -1 }, []string{rec + "NoiseSigma"}},
		{"one choice", func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.NumChoice = 1 }, []string{rec + "NumChoice", "got 1"}},
		{"no coherences", func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.Coherences = nil }, []string{rec + "Coherences", "Defaults()"}},
		{"coherence 120", func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.Coherences = []float64{0, 120} }, []string{rec + "Coherences[1]", "120"}},
		{"no trials", func(o *cognitive.RatePerceptualDecisionMakingOptions) { o.NumTrial = 0 }, []string{rec + "NumTrial", ">= 1"}},
	}
	for _, c := range cases {
		o := cognitive.RatePerceptualDecisionMakingDefaults()
		o.Dt = 20
		c.edit(&o)
		d, err := cognitive.NewRatePerceptualDecisionMaking(o)
		wantErr(t, c.name, err, append([]string{"cognitive.NewRatePerceptualDecisionMaking: "}, c.frags...)...)
		if d != nil {
			t.Errorf("%s: a task came back with the error", c.name)
		}
	}
	// A Dt whose quotients are integers only up to float rounding is accepted.
	o := cognitive.RatePerceptualDecisionMakingDefaults()
	o.Dt = 0.1
	d, err := cognitive.NewRatePerceptualDecisionMaking(o)
	if err != nil {
		t.Errorf("dt 0.1: %v", err)
	} else if d.NumSteps() != 1000+20000+1000 {
		t.Errorf("dt 0.1: %d steps, want 22000", d.NumSteps())
	}
	_, err = tutorialPDM(t, nil).Trial(nil)
	wantErr(t, "nil rng", err, "cognitive.RatePerceptualDecisionMaking.Trial", "rng is nil")
}

// TestPDMOptionsCopied checks that the task keeps its own copy of the coherence list.
func TestPDMOptionsCopied(t *testing.T) {
	o := cognitive.RatePerceptualDecisionMakingDefaults()
	d, err := cognitive.NewRatePerceptualDecisionMaking(o)
	if err != nil {
		t.Fatal(err)
	}
	o.Coherences[0] = 99
	d.Options().Coherences[1] = 98
	if got := d.Options().Coherences; !slices.Equal(got, []float64{0, 6.4, 12.8, 25.6, 51.2}) {
		t.Errorf("coherences changed through the caller's slices: %v", got)
	}
}
