package cognitive

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// DelayedMatchToSampleOptions configure DelayedMatchToSample. Start from
// DelayedMatchToSampleDefaults().
type DelayedMatchToSampleOptions struct {
	// Dt is the time step in ms.
	Dt float64
	// TFixation, TSample, TDelay, TTest and TDecision are the period durations in ms; each
	// must be a multiple of Dt.
	TFixation, TSample, TDelay, TTest, TDecision float64
	// NoiseSigma scales the input noise: N(0,1)·NoiseSigma/√Dt on every channel at every step.
	NoiseSigma float64
	// NumStimulus is the number of distinct stimuli (>= 2), directions evenly spaced on a
	// circle (brainpy_datasets' num_choice).
	NumStimulus int
	// NumTrial is the number of trials per loader epoch.
	NumTrial int
	// Seed seeds the task's random stream.
	Seed uint64
}

// DelayedMatchToSampleDefaults returns brainpy_datasets' RateDelayMatchSample defaults (the
// neurogym timing): dt 100 ms, fixation 300, sample 500, delay 1000, test 500, decision
// 900 ms, noise_sigma 1, 2 stimuli, 1024 trials, seed 0.
func DelayedMatchToSampleDefaults() DelayedMatchToSampleOptions {
	return DelayedMatchToSampleOptions{
		Dt: 100, TFixation: 300, TSample: 500, TDelay: 1000, TTest: 500, TDecision: 900,
		NoiseSigma: 1, NumStimulus: 2, NumTrial: 1024,
	}
}

// DelayedMatchToSample is the delayed match-to-sample working-memory task (Miller, Erickson &
// Desimone 1996, J Neurosci 16:5154): a sample stimulus is shown, then withdrawn for a delay,
// then a test stimulus is shown, and the subject reports whether the test is the sample.
//
// A trial has the periods fixation, sample, delay, test and decision (with the defaults at
// Dt 20: 15, 25, 50, 25 and 45 steps, T = 160). Per trial the task draws, in this order,
// match or non-match (probability 1/2 each), the sample s (uniform over the NumStimulus
// stimuli), for a non-match the test stimulus (uniform over the other NumStimulus−1), and
// then the T×C noise matrix, time-major. The C = 1+NumStimulus inputs are
//
//   - 0 "fixation": 1 until the decision period, 0 during it;
//   - 1+j "stimulus j": 0.5 + 0.5·cos(θj − θs) during the sample and the same for the test
//     stimulus during the test, θj = 2πj/NumStimulus (two stimuli: one-hot), 0 elsewhere;
//   - plus N(0,1)·NoiseSigma/√Dt on every channel at every step, as in
//     RatePerceptualDecisionMaking.
//
// The label is 0 before the decision period and, during it, 1 for a match and 2 for a
// non-match (outputs "fixation", "match", "non-match").
//
// brainpy_datasets' RateDelayMatchSample differs: its non-match test is always the opposite
// direction and its noise is limited to the stimulus channels during sample and test.
type DelayedMatchToSample struct {
	taskBase
	opts   DelayedMatchToSampleOptions
	tuning [][]float64 // tuning[s][j]: channel j's response to stimulus s
}

// MatchInfo describes a DelayedMatchToSample trial. GroundTruth is 0 for a match and 1 for a
// non-match.
type MatchInfo struct {
	TrialInfo
	// Sample and Test are the indices of the two stimuli.
	Sample, Test int
	// Match reports whether Test == Sample.
	Match bool
}

// NewDelayedMatchToSample validates the options and builds the task.
func NewDelayedMatchToSample(opts DelayedMatchToSampleOptions) (*DelayedMatchToSample, error) {
	const fn, rec = "cognitive.NewDelayedMatchToSample", "DelayedMatchToSampleOptions"
	if err := checkDt(fn, rec, opts.Dt); err != nil {
		return nil, err
	}
	periods, steps, err := layout(fn, rec, opts.Dt, []phase{
		{"fixation", "TFixation", opts.TFixation},
		{"sample", "TSample", opts.TSample},
		{"delay", "TDelay", opts.TDelay},
		{"test", "TTest", opts.TTest},
		{"decision", "TDecision", opts.TDecision},
	})
	if err != nil {
		return nil, err
	}
	if err := checkNoise(fn, rec, opts.NoiseSigma); err != nil {
		return nil, err
	}
	if opts.NumStimulus < 2 || opts.NumStimulus > 1024 {
		return nil, fmt.Errorf("%s: %s.NumStimulus: want 2..1024 stimuli, got %d", fn, rec, opts.NumStimulus)
	}
	if err := checkNumTrial(fn, rec, opts.NumTrial); err != nil {
		return nil, err
	}
	n := opts.NumStimulus
	inputs := []string{"fixation"}
	tuning := make([][]float64, n)
	step := 2 * math.Pi / float64(n)
	for s := range n {
		inputs = append(inputs, fmt.Sprintf("stimulus %d", s))
		tuning[s] = make([]float64, n)
		for j := range n {
			tuning[s][j] = 0.5 + 0.5*math.Cos(float64(j)*step-float64(s)*step)
		}
	}
	return &DelayedMatchToSample{
		taskBase: newTaskBase("DelayedMatchToSample", opts.Dt, opts.NoiseSigma, opts.NumTrial, opts.Seed,
			inputs, []string{"fixation", "match", "non-match"}, periods, steps),
		opts:   opts,
		tuning: tuning,
	}, nil
}

// Options returns the options the task was built with.
func (d *DelayedMatchToSample) Options() DelayedMatchToSampleOptions { return d.opts }

// Trial draws one trial from rng.
func (d *DelayedMatchToSample) Trial(rng *rand.Rand) (Trial[MatchInfo], error) {
	x, y, err := d.start(rng)
	if err != nil {
		return Trial[MatchInfo]{}, err
	}
	n := d.opts.NumStimulus
	gt := rng.IntN(2)
	info := MatchInfo{Match: gt == 0, Sample: rng.IntN(n)}
	info.Test = info.Sample
	if !info.Match {
		info.Test = (info.Sample + 1 + rng.IntN(n-1)) % n
	}
	fix, sample, delay, test, dec := d.periods[0], d.periods[1], d.periods[2], d.periods[3], d.periods[4]
	for _, p := range []Period{fix, sample, delay, test} {
		d.fill(x, p, 0, 1)
	}
	for j := range n {
		d.fill(x, sample, 1+j, d.tuning[info.Sample][j])
		d.fill(x, test, 1+j, d.tuning[info.Test][j])
	}
	d.addNoise(x, rng)
	label(y, dec, gt+1)
	info.TrialInfo = TrialInfo{GroundTruth: gt, Periods: slices.Clone(d.periods)}
	return Trial[MatchInfo]{Inputs: x, Labels: y, NumSteps: d.numSteps, NumInputs: len(d.inputs), Info: info}, nil
}

// Sample draws one trial from the task's own stream.
func (d *DelayedMatchToSample) Sample() (Trial[MatchInfo], error) { return d.Trial(d.rng) }
