// Package cognitive provides cognitive tasks for training recurrent networks, as
// brainpy_datasets' bd.cognitive module does: trial generators with per-step inputs and
// class labels, and a TaskLoader that batches them.
//
// Tasks:
//   - RatePerceptualDecisionMaking reproduces brainpy_datasets 0.0.0.6's task of the same name,
//     the one BrainPy's EI-RNN tutorial (Song, Yang & Wang 2016) trains on;
//   - ContextDecisionMaking is the context-dependent decision task of Mante et al. 2013;
//   - DelayedMatchToSample is the delayed match-to-sample task of Miller et al. 1996.
//
// All three share one coding: input 0 is a fixation cue that is on until the decision period,
// every input gets Gaussian noise NoiseSigma/√Dt at every step, and the label is 0 (fixate)
// before the decision period and 1+g during it, where g is the index of the correct choice.
// Each trial carries an info record (PerceptualInfo, ContextInfo, MatchInfo) with its
// condition, for psychometric curves, and its named periods in steps and ms, for figures.
//
// NewPsychometric turns the network's choices into a psychometric curve, the fraction of
// "choice 1" at each signed coherence, with a logistic fitted by maximum likelihood
// (FitLogistic).
//
// Each task option record has a Defaults function; durations must be multiples of Dt. Tasks
// are seeded (Options.Seed) and reproducible: the same seed gives the same trials. The
// BrainPy tutorial's
//
//	dataset = bd.cognitive.RatePerceptualDecisionMaking(dt=20.)
//	task = bd.cognitive.TaskLoader(dataset, batch_size=16)
//	for inputs, labels in task: ...
//
// reads
//
//	o := cognitive.RatePerceptualDecisionMakingDefaults()
//	o.Dt = 20
//	dataset, err := cognitive.NewRatePerceptualDecisionMaking(o)
//	lo := cognitive.TaskLoaderDefaults()
//	lo.BatchSize = 16
//	task, err := cognitive.NewTaskLoader(dataset, lo)
//	for batch, err := range task.Epoch() { ... batch.Inputs64 (110, 16, 3), batch.Labels (110, 16) ... }
//
// The package depends on nothing else in bpgo: batches are flat float64 or float32 slices with
// their shapes, which a caller turns into tensors.
package cognitive
