// Package datasets provides the data the tutorials train on, as brainpy_datasets defines it:
// chaotic time series (LorenzEq), and later cognitive tasks and vision data sets.
//
// It depends on nothing else in bpgo: series come back as plain []float64 columns, which
// bpgo.Sequence turns into batch-first tensors.
package datasets
