// Package bpgo is the core of bpgo, BrainPy's model-training toolkit rebuilt in Go on GoMLX.
//
// It holds what every model and trainer shares:
//
//   - the runtime: the compute backend (XLA CPU when its plugin loads, else GoMLX's pure-Go
//     backend), the float type (float32, or float64 after EnableX64, like bm.enable_x64()), the
//     global time step Dt (ms), the default Mode and the random seed;
//   - variables: parameters and dynamical state held as host or device tensors ([Variable]);
//   - the module tree: a model is an ordinary Go struct whose fields are sub-modules and
//     variables, found by reflection ([Walk]) the way BrainPy finds nodes and variables;
//   - the time-loop engine ([Runner]): one Update per time step, K steps unrolled into one
//     compiled graph, compiled once per (model, batch, K) and reused for any sequence length,
//     with state carried between chunks on the device.
//
// Sub-packages hold losses, initializers and figure helpers. Layers, neurons and synapses live
// in package models; trainers in package trainers.
package bpgo
