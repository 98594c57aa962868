package cognitive_test

import (
	"math"
	"slices"
	"testing"

	"github.com/bpgo/bpgo/datasets/cognitive"
)

func newDMS(t *testing.T, edit func(*cognitive.DelayedMatchToSampleOptions)) *cognitive.DelayedMatchToSample {
	t.Helper()
	o := cognitive.DelayedMatchToSampleDefaults()
	o.Dt = 20
	if edit != nil {
		edit(&o)
	}
	d, err := cognitive.NewDelayedMatchToSample(o)
	if err != nil {
		t.Fatalf("NewDelayedMatchToSample(%+v): %v", o, err)
	}
	return d
}

func TestDMSLayout(t *testing.T) {
	o := cognitive.DelayedMatchToSampleDefaults()
	if o.Dt != 100 || o.TFixation != 300 || o.TSample != 500 || o.TDelay != 1000 || o.TTest != 500 ||
		o.TDecision != 900 || o.NoiseSigma != 1 || o.NumStimulus != 2 || o.NumTrial != 1024 {
		t.Errorf("defaults %+v", o)
	}
	d := newDMS(t, nil)
	if d.NumSteps() != 160 || d.NumInputs() != 3 || d.NumOutputs() != 3 {
		t.Errorf("T, inputs, outputs = %d, %d, %d; want 160, 3, 3", d.NumSteps(), d.NumInputs(), d.NumOutputs())
	}
	wantPeriods(t, "dt 20", d.Periods(), 20,
		"fixation", 0, 15, "sample", 15, 40, "delay", 40, 90, "test", 90, 115, "decision", 115, 160)
	if f := d.OutputFeatures(); !slices.Equal(f, []string{"fixation", "match", "non-match"}) {
		t.Errorf("outputs %q", f)
	}
	if f := d.InputFeatures(); !slices.Equal(f, []string{"fixation", "stimulus 0", "stimulus 1"}) {
		t.Errorf("inputs %q", f)
	}
}

func TestDMSCoding(t *testing.T) {
	for _, n := range []int{2, 4} {
		d := newDMS(t, func(o *cognitive.DelayedMatchToSampleOptions) {
			o.NoiseSigma = 0
			o.NumStimulus = n
			o.Seed = uint64(n)
		})
		matches, samples := map[any]int{}, map[any]int{}
		tests := map[any]int{} // non-match test stimulus relative to the sample
		tuning := func(j, s int) float64 { return 0.5 + 0.5*math.Cos(2*math.Pi*float64(j-s)/float64(n)) }
		for range 3000 {
			tr, err := d.Sample()
			if err != nil {
				t.Fatal(err)
			}
			in := tr.Info
			matches[in.Match]++
			samples[in.Sample]++
			if in.Match != (in.Sample == in.Test) || in.GroundTruth != map[bool]int{true: 0, false: 1}[in.Match] {
				t.Fatalf("inconsistent info %+v", in)
			}
			if !in.Match {
				tests[(in.Test-in.Sample+n)%n]++
			}
			for step := range 160 {
				want := make([]float64, 1+n)
				if step < 115 {
					want[0] = 1
				}
				for j := range n {
					switch {
					case step >= 15 && step < 40:
						want[1+j] = tuning(j, in.Sample)
					case step >= 90 && step < 115:
						want[1+j] = tuning(j, in.Test)
					}
				}
				got := tr.Inputs[step*(1+n) : (step+1)*(1+n)]
				for c := range got {
					if math.Abs(got[c]-want[c]) > 1e-12 {
						t.Fatalf("n %d %+v step %d: inputs %v, want %v", n, in, step, got, want)
					}
				}
				lab := 0
				if step >= 115 {
					lab = in.GroundTruth + 1
				}
				if tr.Labels[step] != lab {
					t.Fatalf("step %d: label %d, want %d", step, tr.Labels[step], lab)
				}
			}
		}
		checkUniform(t, "match", matches, 2)
		checkUniform(t, "sample", samples, n)
		checkUniform(t, "non-match test offset", tests, n-1)
	}
	// Two stimuli are one-hot.
	d := newDMS(t, func(o *cognitive.DelayedMatchToSampleOptions) { o.NoiseSigma = 0 })
	tr, _ := d.Sample()
	if s := tr.Info.Sample; tr.Input(20, 1+s) != 1 || tr.Input(20, 2-s) != 0 {
		t.Errorf("two stimuli: sample %d codes as %v, %v", s, tr.Input(20, 1), tr.Input(20, 2))
	}
}

func TestDMSNoiseAndErrors(t *testing.T) {
	noisy := newDMS(t, func(o *cognitive.DelayedMatchToSampleOptions) { o.Seed = 9; o.NoiseSigma = 2 })
	clean := newDMS(t, func(o *cognitive.DelayedMatchToSampleOptions) { o.Seed = 9; o.NoiseSigma = 0 })
	var m moments
	for range 300 {
		a, _ := noisy.Sample()
		b, _ := clean.Sample()
		if a.Info.Sample != b.Info.Sample || a.Info.Test != b.Info.Test {
			t.Fatal("the noise level changed the drawn conditions")
		}
		for i := range a.Inputs {
			m.add(a.Inputs[i] - b.Inputs[i])
		}
	}
	checkNoise(t, "match task", &m, 2/math.Sqrt(20))

	const rec = "cognitive.NewDelayedMatchToSample: DelayedMatchToSampleOptions."
	cases := []struct {
		name  string
		edit  func(*cognitive.DelayedMatchToSampleOptions)
		frags []string
	}{
		{"dt Inf", func(o *cognitive.DelayedMatchToSampleOptions) { o.Dt = math.Inf(1) }, []string{rec + "Dt"}},
		{"test 510", func(o *cognitive.DelayedMatchToSampleOptions) { o.TTest = 510 }, []string{rec + "TTest"}},
		{"sample -1", func(o *cognitive.DelayedMatchToSampleOptions) { o.TSample = -1 }, []string{rec + "TSample"}},
		{"one stimulus", func(o *cognitive.DelayedMatchToSampleOptions) { o.NumStimulus = 1 }, []string{rec + "NumStimulus"}},
		{"noise -0.1", func(o *cognitive.DelayedMatchToSampleOptions) { o.NoiseSigma = -0.1 }, []string{rec + "NoiseSigma"}},
		{"no trials", func(o *cognitive.DelayedMatchToSampleOptions) { o.NumTrial = 0 }, []string{rec + "NumTrial"}},
	}
	for _, c := range cases {
		o := cognitive.DelayedMatchToSampleDefaults()
		o.Dt = 20
		c.edit(&o)
		_, err := cognitive.NewDelayedMatchToSample(o)
		wantErr(t, c.name, err, c.frags...)
	}
	_, err := newDMS(t, nil).Trial(nil)
	wantErr(t, "nil rng", err, "cognitive.DelayedMatchToSample.Trial", "rng is nil")
}
