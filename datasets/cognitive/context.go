package cognitive

import (
	"math/rand/v2"
	"slices"
)

// The two stimulus modalities of ContextDecisionMaking, as indices into ContextInfo's arrays
// and values of ContextInfo.Context.
const (
	Motion = 0
	Color  = 1
)

// ContextDecisionMakingOptions configure ContextDecisionMaking. Start from
// ContextDecisionMakingDefaults().
type ContextDecisionMakingOptions struct {
	// Dt is the time step in ms.
	Dt float64
	// TFixation, TStimulus, TDelay and TDecision are the period durations in ms; each must be
	// a multiple of Dt.
	TFixation, TStimulus, TDelay, TDecision float64
	// NoiseSigma scales the input noise: N(0,1)·NoiseSigma/√Dt on every channel at every step.
	NoiseSigma float64
	// Coherences are the stimulus strengths in percent; each modality draws its own,
	// uniformly and independently.
	Coherences []float64
	// NumTrial is the number of trials per loader epoch.
	NumTrial int
	// Seed seeds the task's random stream.
	Seed uint64
}

// ContextDecisionMakingDefaults returns the defaults: the epochs of Song et al. 2016's
// training version of the context-dependent integration task (fixation 100 ms, stimulus
// 800 ms, no delay, decision 300 ms), their effective coherences 5, 15 and 50 % (the values
// brainpy_datasets' RateContextDecisionMaking also uses), dt 100 ms and noise_sigma 1 as in
// the brainpy_datasets tasks, 1024 trials, seed 0.
func ContextDecisionMakingDefaults() ContextDecisionMakingOptions {
	return ContextDecisionMakingOptions{
		Dt: 100, TFixation: 100, TStimulus: 800, TDelay: 0, TDecision: 300,
		NoiseSigma: 1, Coherences: []float64{5, 15, 50}, NumTrial: 1024,
	}
}

// ContextDecisionMaking is the context-dependent decision task of Mante, Sussillo, Shenoy &
// Newsome 2013 (Nature 503:78), as Song, Yang & Wang 2016 (PLoS Comput Biol 12:e1004792)
// trained E/I networks on it: every trial shows two stimulus modalities at once, motion and
// color, each with its own random direction and coherence, and a context cue says which one
// to report; the other must be ignored. In the monkey task the cue was the shape and color of
// the fixation point, visible from fixation onset until the go signal; here it is an input
// that is on while the fixation input is.
//
// A trial has the periods fixation, stimulus, delay and decision (with the defaults at
// Dt 20: 5, 40, 0 and 15 steps, T = 60). Per trial the task draws, in this order, the context
// (Motion or Color, each with probability 1/2), the motion coherence and direction (choice 0
// or 1), the color coherence and direction, and then the T×7 noise matrix, time-major. The
// inputs are
//
//   - 0 "fixation": 1 during fixation, stimulus and delay, 0 during decision;
//   - 1, 2 "motion choice 0/1" and 3, 4 "color choice 0/1": during the stimulus 0.5 + coh/200
//     on the channel of the modality's direction and 0.5 − coh/200 on the other, the encoding
//     of RatePerceptualDecisionMaking and of Song et al.'s task code, (1 ± c)/2 for a
//     coherence fraction c; 0 elsewhere;
//   - 5 "context motion", 6 "context color": the cued one is 1 while fixation is, else 0;
//   - plus N(0,1)·NoiseSigma/√Dt on every channel at every step, as in
//     RatePerceptualDecisionMaking.
//
// The label is 0 before the decision period and g+1 during it, where g is the direction of
// the cued modality; the outputs are "fixation", "choice 0", "choice 1".
//
// brainpy_datasets' RateContextDecisionMaking differs: its fixation input stays on during
// the decision, its context inputs stay on for the whole trial, its noise is limited to the
// stimulus period and its default delay is random.
type ContextDecisionMaking struct {
	taskBase
	opts ContextDecisionMakingOptions
}

// ContextInfo describes a ContextDecisionMaking trial. GroundTruth is Direction[Context].
type ContextInfo struct {
	TrialInfo
	// Context is the cued modality, Motion or Color.
	Context int
	// Coherence and Direction are each modality's strength in percent and the choice (0 or 1)
	// its evidence favours, indexed by Motion and Color.
	Coherence [2]float64
	Direction [2]int
	// SignedCoherence is each modality's coherence, positive when it favours choice 1 and
	// negative when it favours choice 0: the x axes of the psychometric curves of P(choice 1)
	// in each context.
	SignedCoherence [2]float64
}

// NewContextDecisionMaking validates the options and builds the task.
func NewContextDecisionMaking(opts ContextDecisionMakingOptions) (*ContextDecisionMaking, error) {
	const fn, rec = "cognitive.NewContextDecisionMaking", "ContextDecisionMakingOptions"
	periods, steps, err := decisionLayout(fn, rec, opts.Dt, opts.TFixation, opts.TStimulus, opts.TDelay, opts.TDecision, opts.NoiseSigma)
	if err != nil {
		return nil, err
	}
	if err := checkCoherences(fn, rec, opts.Coherences); err != nil {
		return nil, err
	}
	if err := checkNumTrial(fn, rec, opts.NumTrial); err != nil {
		return nil, err
	}
	opts.Coherences = slices.Clone(opts.Coherences)
	inputs := []string{"fixation", "motion choice 0", "motion choice 1", "color choice 0", "color choice 1",
		"context motion", "context color"}
	outputs := []string{"fixation", "choice 0", "choice 1"}
	return &ContextDecisionMaking{
		taskBase: newTaskBase("ContextDecisionMaking", opts.Dt, opts.NoiseSigma, opts.NumTrial, opts.Seed,
			inputs, outputs, periods, steps),
		opts: opts,
	}, nil
}

// Options returns the options the task was built with.
func (d *ContextDecisionMaking) Options() ContextDecisionMakingOptions {
	o := d.opts
	o.Coherences = slices.Clone(o.Coherences)
	return o
}

// Trial draws one trial from rng.
func (d *ContextDecisionMaking) Trial(rng *rand.Rand) (Trial[ContextInfo], error) {
	x, y, err := d.start(rng)
	if err != nil {
		return Trial[ContextInfo]{}, err
	}
	info := ContextInfo{Context: rng.IntN(2)}
	for m := range 2 {
		info.Coherence[m] = d.opts.Coherences[rng.IntN(len(d.opts.Coherences))]
		info.Direction[m] = rng.IntN(2)
		info.SignedCoherence[m] = info.Coherence[m]
		if info.Direction[m] == 0 {
			info.SignedCoherence[m] = -info.Coherence[m]
		}
	}
	fix, stim, delay, dec := d.periods[0], d.periods[1], d.periods[2], d.periods[3]
	for _, p := range []Period{fix, stim, delay} {
		d.fill(x, p, 0, 1)
		d.fill(x, p, 5+info.Context, 1)
	}
	for m := range 2 {
		for j := range 2 {
			v := 0.5 - info.Coherence[m]/200
			if j == info.Direction[m] {
				v = 0.5 + info.Coherence[m]/200
			}
			d.fill(x, stim, 1+2*m+j, v)
		}
	}
	d.addNoise(x, rng)
	info.GroundTruth = info.Direction[info.Context]
	info.Periods = slices.Clone(d.periods)
	label(y, dec, info.GroundTruth+1)
	return Trial[ContextInfo]{Inputs: x, Labels: y, NumSteps: d.numSteps, NumInputs: len(d.inputs), Info: info}, nil
}

// Sample draws one trial from the task's own stream.
func (d *ContextDecisionMaking) Sample() (Trial[ContextInfo], error) { return d.Trial(d.rng) }
