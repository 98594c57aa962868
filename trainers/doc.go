// Package trainers trains bpgo models the ways BrainPy does: offline ridge regression (Ridge,
// BrainPy's RidgeTrainer) and back-propagation through time (BPTT, BrainPy's bp.BPTT: Fit over a
// data generator with per-batch resets, BrainPy's report lines, metric history, Predict), and
// online learning (Online, BrainPy's OnlineTrainer with RLS, and FORCE learning, ForceTrainer,
// with ForceDefaults). The RLS rule is a bpgo.StepHook (RLS): it updates the readout after
// every time step inside the compiled loop, so a custom runner can use it too.
//
// EProp goes beyond BrainPy: online e-prop (Bellec et al. 2020) for recurrent networks of
// ALIF (or LIF, β = 0) neurons, with eligibility traces computed forward in time inside the
// compiled loop (a bpgo.StepHook) and symmetric or random feedback of the readout error. Its
// update equals the BPTT gradient with the recurrent spikes and the reset cut from the
// gradient; memory does not grow with the trial length, and StepTrial takes a trial a window
// of steps at a time (EPropTrial; EvidenceTrial for the click task), so that a trial of any
// length trains in the memory of one window.
//
// Every trainer drives its model through the same time-loop engine, bpgo.Runner, and BPTT
// through bpgo.Grad. Hand-written training loops use bpgo.Grad and an optimizer directly.
package trainers
