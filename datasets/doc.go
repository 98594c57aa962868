// Package datasets provides the data the tutorials train on, as brainpy_datasets defines it:
// chaotic time series (LorenzEq, MackeyGlassEq) and the evidence-accumulation click task of
// Bellec et al. 2020, whole batch by batch (EvidenceAccumulation.Batch) or a window of steps at a
// time (EvidenceAccumulation.Stream, for trainers that run forward in time; WindowInto writes a
// window into memory the caller keeps from window to window). Sub-packages hold
// the cognitive tasks with their loader (datasets/cognitive) and the vision data sets with their
// spike encoder (datasets/vision).
//
// It depends on nothing else in bpgo: series come back as plain []float64 columns, which
// bpgo.Sequence turns into batch-first tensors.
package datasets
