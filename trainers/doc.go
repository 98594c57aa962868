// Package trainers trains bpgo models the ways BrainPy does: offline ridge regression (Ridge,
// BrainPy's RidgeTrainer), and later online RLS/FORCE and back-propagation through time.
//
// Every trainer drives its model through the same time-loop engine, bpgo.Runner.
package trainers
