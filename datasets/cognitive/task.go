package cognitive

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Task is a cognitive task: a generator of random trials of fixed length (brainpy_datasets'
// CognitiveTask). I is the task's trial-info type (PerceptualInfo, ContextInfo, MatchInfo).
//
// A task owns a random stream seeded from its options' Seed, like a brainpy_datasets dataset
// owns its NumPy RandomState: Sample draws from it, so every loader built on the same task
// continues the same stream. Trial draws from a stream the caller supplies. A task is not safe
// for concurrent use.
type Task[I Info] interface {
	// Name is the task's name, e.g. "RatePerceptualDecisionMaking".
	Name() string
	// Dt is the time step in ms.
	Dt() float64
	// NumTrial is the number of trials in one epoch of a TaskLoader (len(dataset)).
	NumTrial() int
	// NumInputs and NumOutputs are the numbers of input channels and output classes.
	NumInputs() int
	NumOutputs() int
	// InputFeatures and OutputFeatures name the input channels and the output classes (the
	// label values) in order.
	InputFeatures() []string
	OutputFeatures() []string
	// NumSteps is the length T of every trial in time steps.
	NumSteps() int
	// Periods are the named periods of every trial, in order.
	Periods() []Period
	// Trial draws one random trial from rng.
	Trial(rng *rand.Rand) (Trial[I], error)
	// Sample draws one random trial from the task's own seeded stream.
	Sample() (Trial[I], error)
}

// Info is the constraint on trial-info types: each embeds TrialInfo, which provides Base.
type Info interface {
	Base() TrialInfo
}

// TrialInfo is what every task records about a trial.
type TrialInfo struct {
	// GroundTruth is the index of the correct choice (0-based); the label during the decision
	// period is GroundTruth+1, because label 0 is the fixation class.
	GroundTruth int
	// Periods are the trial's named periods in steps and ms.
	Periods []Period
}

// Base returns the common part of a trial's info.
func (t TrialInfo) Base() TrialInfo { return t }

// Period returns the period with the given name.
func (t TrialInfo) Period(name string) (Period, bool) {
	for _, p := range t.Periods {
		if p.Name == name {
			return p, true
		}
	}
	return Period{}, false
}

// PeriodAt returns the index in Periods of the period that holds time step t (brainpy_datasets'
// per-step period index), or -1 if t is outside the trial. Zero-length periods hold no step.
func (t TrialInfo) PeriodAt(step int) int {
	for i, p := range t.Periods {
		if p.Contains(step) {
			return i
		}
	}
	return -1
}

// Trial is one trial: inputs and per-step labels, time-major.
type Trial[I Info] struct {
	// Inputs is the T×C input matrix, row-major: Inputs[t*NumInputs+c].
	Inputs []float64
	// Labels is the target class at each of the T steps.
	Labels []int
	// NumSteps (T) and NumInputs (C) are the dimensions of Inputs.
	NumSteps, NumInputs int
	// Info describes the trial's condition (ground truth, coherence, ...) and periods.
	Info I
}

// Input returns input channel c at time step t.
func (tr *Trial[I]) Input(t, c int) float64 { return tr.Inputs[t*tr.NumInputs+c] }

// Channel returns a copy of input channel c over time.
func (tr *Trial[I]) Channel(c int) []float64 {
	out := make([]float64, tr.NumSteps)
	for t := range out {
		out[t] = tr.Inputs[t*tr.NumInputs+c]
	}
	return out
}

// taskBase holds what every fixed-length task shares and implements the plain accessors of Task.
type taskBase struct {
	name            string
	dt              float64
	numTrial        int
	inputs, outputs []string
	periods         []Period
	numSteps        int
	noiseStd        float64 // per-step input noise: NoiseSigma / sqrt(Dt)
	rng             *rand.Rand
	method          string // "cognitive.Type.Trial", for errors
}

func newTaskBase(name string, dt, sigma float64, numTrial int, seed uint64, inputs, outputs []string, periods []Period, steps int) taskBase {
	return taskBase{
		name: name, dt: dt, numTrial: numTrial, inputs: inputs, outputs: outputs,
		periods: periods, numSteps: steps, noiseStd: sigma / math.Sqrt(dt),
		rng:    newRand(seed),
		method: "cognitive." + name + ".Trial",
	}
}

// newRand is the seeded stream of a task: PCG with the seed and a fixed odd stream constant.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

func (b *taskBase) Name() string             { return b.name }
func (b *taskBase) Dt() float64              { return b.dt }
func (b *taskBase) NumTrial() int            { return b.numTrial }
func (b *taskBase) NumInputs() int           { return len(b.inputs) }
func (b *taskBase) NumOutputs() int          { return len(b.outputs) }
func (b *taskBase) InputFeatures() []string  { return slices.Clone(b.inputs) }
func (b *taskBase) OutputFeatures() []string { return slices.Clone(b.outputs) }
func (b *taskBase) NumSteps() int            { return b.numSteps }
func (b *taskBase) Periods() []Period        { return slices.Clone(b.periods) }

// NoiseStd is the standard deviation of the Gaussian noise added to every input at every step,
// NoiseSigma/√Dt.
func (b *taskBase) NoiseStd() float64 { return b.noiseStd }

// start allocates a trial's arrays, or fails if rng is nil.
func (b *taskBase) start(rng *rand.Rand) (x []float64, y []int, err error) {
	if rng == nil {
		return nil, nil, fmt.Errorf("%s: rng is nil", b.method)
	}
	return make([]float64, b.numSteps*len(b.inputs)), make([]int, b.numSteps), nil
}

// fill adds v to channel c over the steps of period p.
func (b *taskBase) fill(x []float64, p Period, c int, v float64) {
	nc := len(b.inputs)
	for t := p.Start; t < p.End; t++ {
		x[t*nc+c] += v
	}
}

// label sets the label over the steps of period p.
func label(y []int, p Period, v int) {
	for t := p.Start; t < p.End; t++ {
		y[t] = v
	}
}

// addNoise adds N(0, NoiseStd²) to every channel at every step, drawn in row-major (time, then
// channel) order like NumPy's randn(T, C). It draws even when the noise level is 0, so that the
// same seed gives the same conditions at every noise level.
func (b *taskBase) addNoise(x []float64, rng *rand.Rand) {
	for i := range x {
		x[i] += rng.NormFloat64() * b.noiseStd
	}
}

// The tasks implement Task.
var (
	_ Task[PerceptualInfo] = (*RatePerceptualDecisionMaking)(nil)
	_ Task[ContextInfo]    = (*ContextDecisionMaking)(nil)
	_ Task[MatchInfo]      = (*DelayedMatchToSample)(nil)
)
