// Package bpgo is the core of bpgo, BrainPy's model-training toolkit rebuilt in Go on GoMLX.
//
// It holds what every model and trainer shares:
//
//   - the runtime: the compute backend (GoMLX's pure-Go backend by default, XLA through a PJRT
//     plugin with BPGO_BACKEND=xla in programs built with the tag xla, see [XLATag]; in SIMD builds a heap guard works around a toolchain
//     out-of-bounds read, see [HeapGuardEnv]), the float type (float32, or float64 after EnableX64, like bm.enable_x64()), the
//     global time step Dt (ms), the default Mode and the random seed;
//   - variables: parameters and dynamical state held as host or device tensors ([Variable]);
//   - the module tree: a model is an ordinary Go struct whose fields are sub-modules and
//     variables, found by reflection ([Walk]) the way BrainPy finds nodes and variables;
//   - the time-loop engine ([Runner]): one Update per time step, K steps unrolled into one
//     compiled graph, compiled once per (model, batch, K) and reused for any sequence length,
//     with state carried between chunks on the device; monitors of named state come back
//     (B, T, ...) like DSRunner's;
//   - gradients through time ([Grad]): the gradient of a [LossFunc] over a run, for sequences of
//     any length. Up to one chunk it is a single graph that also applies the optimizer update
//     ([Grad.Step]); longer sequences are differentiated chunk by chunk, recomputing each chunk
//     and chaining vector-Jacobian products, so memory stays bounded by one chunk of
//     activations plus the state at chunk boundaries. [CheckGradients] compares any model's
//     gradient with finite differences;
//   - the [Optimizer] contract (implementations in bpgo/optim) and [Save]/[Load] of a model
//     with its optimizer state, to resume training.
//
// Sub-packages hold optimizers and schedules (optim), losses, initializers and figure helpers
// (visualize). Layers, neurons and synapses live in package models; trainers in package
// trainers.
package bpgo
