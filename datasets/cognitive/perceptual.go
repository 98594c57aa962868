package cognitive

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// RatePerceptualDecisionMakingOptions configure RatePerceptualDecisionMaking; the fields are
// brainpy_datasets' keyword arguments (t_fixation → TFixation, ...). Start from
// RatePerceptualDecisionMakingDefaults().
type RatePerceptualDecisionMakingOptions struct {
	// Dt is the time step in ms (BrainPy default 100; the EI-RNN tutorial uses 20).
	Dt float64
	// TFixation, TStimulus, TDelay and TDecision are the period durations in ms; each must be
	// a multiple of Dt.
	TFixation, TStimulus, TDelay, TDecision float64
	// NoiseSigma scales the input noise: N(0,1)·NoiseSigma/√Dt on every channel at every step.
	NoiseSigma float64
	// NumChoice is the number of choices (>= 2).
	NumChoice int
	// Coherences are the stimulus strengths in percent, one drawn uniformly per trial
	// (brainpy_datasets' class attribute coherence).
	Coherences []float64
	// NumTrial is the number of trials per loader epoch.
	NumTrial int
	// Seed seeds the task's random stream. BrainPy's seed=None draws a fresh seed; here every
	// seed, 0 included, is a fixed one.
	Seed uint64
}

// RatePerceptualDecisionMakingDefaults returns brainpy_datasets 0.0.0.6's defaults: dt 100 ms,
// fixation 100, stimulus 2000, delay 0, decision 100 ms, noise_sigma 1, 2 choices,
// coherences 0, 6.4, 12.8, 25.6, 51.2 %, 1024 trials, seed 0.
func RatePerceptualDecisionMakingDefaults() RatePerceptualDecisionMakingOptions {
	return RatePerceptualDecisionMakingOptions{
		Dt: 100, TFixation: 100, TStimulus: 2000, TDelay: 0, TDecision: 100,
		NoiseSigma: 1, NumChoice: 2, Coherences: []float64{0, 6.4, 12.8, 25.6, 51.2},
		NumTrial: 1024,
	}
}

// RatePerceptualDecisionMaking is brainpy_datasets' two-alternative (or N-alternative) forced
// choice task of the EI-RNN tutorial (Song, Yang & Wang 2016, PLoS Comput Biol 12:e1004792),
// modelled on the random-dot motion discrimination of Britten, Shadlen, Newsome & Movshon
// 1992 (J Neurosci 12:4745): a noisy stimulus of random coherence favours one choice, and the
// network must report that choice after the stimulus.
//
// A trial has the periods fixation, stimulus, delay and decision. With Dt 20 and the other
// defaults they last 5, 100, 0 and 5 steps: T = 110. Per trial the task draws, in this order, a
// coherence (uniform over Coherences), the ground-truth choice g (uniform over 0..NumChoice-1)
// and then the T×C noise matrix, time-major. The C = 1+NumChoice inputs are
//
//   - channel 0, "fixation": 1 during fixation, stimulus and delay, 0 during decision;
//   - channel 1+j, "choice j": during the stimulus 0.5 + coh/200·cos(θj − θg), with
//     θj = 2πj/NumChoice (two choices: 0.5 ± coh/200), 0 elsewhere;
//   - plus N(0,1)·NoiseSigma/√Dt on every channel at every step, the fixation channel and the
//     decision period included (neurogym adds noise only to the stimulus; this follows
//     brainpy_datasets).
//
// The label is 0 ("fixation") at every step before the decision period and g+1 during it, so
// output class 0 is fixation and class 1+j is choice j; the outputs are named like the inputs.
type RatePerceptualDecisionMaking struct {
	taskBase
	opts   RatePerceptualDecisionMakingOptions
	thetas []float64
}

// PerceptualInfo describes a RatePerceptualDecisionMaking trial.
type PerceptualInfo struct {
	TrialInfo
	// Coherence is the trial's stimulus strength in percent.
	Coherence float64
	// SignedCoherence is +Coherence when the ground truth is choice 1 and −Coherence when it
	// is choice 0, the x axis of a psychometric curve of P(choice 1). NaN with more than two
	// choices.
	SignedCoherence float64
}

// NewRatePerceptualDecisionMaking validates the options and builds the task.
func NewRatePerceptualDecisionMaking(opts RatePerceptualDecisionMakingOptions) (*RatePerceptualDecisionMaking, error) {
	const fn, rec = "cognitive.NewRatePerceptualDecisionMaking", "RatePerceptualDecisionMakingOptions"
	periods, steps, err := decisionLayout(fn, rec, opts.Dt, opts.TFixation, opts.TStimulus, opts.TDelay, opts.TDecision, opts.NoiseSigma)
	if err != nil {
		return nil, err
	}
	if opts.NumChoice < 2 || opts.NumChoice > 1024 {
		return nil, fmt.Errorf("%s: %s.NumChoice: want 2..1024 choices, got %d", fn, rec, opts.NumChoice)
	}
	if err := checkCoherences(fn, rec, opts.Coherences); err != nil {
		return nil, err
	}
	if err := checkNumTrial(fn, rec, opts.NumTrial); err != nil {
		return nil, err
	}
	opts.Coherences = slices.Clone(opts.Coherences)
	features := []string{"fixation"}
	thetas := make([]float64, opts.NumChoice)
	step := 2 * math.Pi / float64(opts.NumChoice)
	for j := range thetas {
		features = append(features, fmt.Sprintf("choice %d", j))
		thetas[j] = float64(j) * step
	}
	return &RatePerceptualDecisionMaking{
		taskBase: newTaskBase("RatePerceptualDecisionMaking", opts.Dt, opts.NoiseSigma, opts.NumTrial, opts.Seed,
			features, slices.Clone(features), periods, steps),
		opts:   opts,
		thetas: thetas,
	}, nil
}

// Options returns the options the task was built with.
func (d *RatePerceptualDecisionMaking) Options() RatePerceptualDecisionMakingOptions {
	o := d.opts
	o.Coherences = slices.Clone(o.Coherences)
	return o
}

// Trial draws one trial from rng.
func (d *RatePerceptualDecisionMaking) Trial(rng *rand.Rand) (Trial[PerceptualInfo], error) {
	x, y, err := d.start(rng)
	if err != nil {
		return Trial[PerceptualInfo]{}, err
	}
	coh := d.opts.Coherences[rng.IntN(len(d.opts.Coherences))]
	gt := rng.IntN(d.opts.NumChoice)
	fix, stim, delay, dec := d.periods[0], d.periods[1], d.periods[2], d.periods[3]
	for _, p := range []Period{fix, stim, delay} {
		d.fill(x, p, 0, 1)
	}
	for j, th := range d.thetas {
		d.fill(x, stim, 1+j, math.Cos(th-d.thetas[gt])*(coh/200)+0.5)
	}
	d.addNoise(x, rng)
	label(y, dec, gt+1)
	signed := math.NaN()
	if d.opts.NumChoice == 2 {
		signed = coh
		if gt == 0 {
			signed = -coh
		}
	}
	return Trial[PerceptualInfo]{
		Inputs: x, Labels: y, NumSteps: d.numSteps, NumInputs: len(d.inputs),
		Info: PerceptualInfo{
			TrialInfo: TrialInfo{GroundTruth: gt, Periods: slices.Clone(d.periods)},
			Coherence: coh, SignedCoherence: signed,
		},
	}, nil
}

// Sample draws one trial from the task's own stream.
func (d *RatePerceptualDecisionMaking) Sample() (Trial[PerceptualInfo], error) { return d.Trial(d.rng) }
