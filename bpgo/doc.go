// Package bpgo is the core of bpgo, BrainPy's model-training toolkit rebuilt in Go on GoMLX.
//
// It holds what every model and trainer shares:
//
//   - the runtime: the compute backend (GoMLX's pure-Go backend by default, XLA through a PJRT
//     plugin with BPGO_BACKEND=xla in programs built with the tag xla, see [XLATag]; there the
//     default auto also gives XLA the batch-1 runners of large weights, see [AutoXLAMinWeight]; in SIMD
//     builds a heap guard works around a toolchain out-of-bounds read, see [HeapGuardEnv]; with XLA
//     the C library keeps freed memory for the next call, see [XLAMallocEnv]), the
//     float type (float32, or float64 after EnableX64, like bm.enable_x64()), the global time
//     step Dt (ms), the global Mode (set for a scope with `defer bpgo.UseMode(bpgo.TrainingMode)()`,
//     like `with bm.training_environment():`) and the random seed (SetSeed);
//   - variables: parameters and dynamical state held as host or device tensors ([Variable]),
//     and in-graph random generator states ([NewRandomState], drawn with [Context.Normal]);
//   - the module tree: a model is an ordinary Go struct whose fields are sub-modules and
//     variables, found by reflection ([Walk]) the way BrainPy finds nodes and variables;
//   - the time-loop engine ([Runner]): one Update per time step, K steps unrolled into one
//     compiled graph, compiled once per (model, batch, K) and reused for any sequence length,
//     with state carried between chunks on the device. Every step sees the run's clock
//     ([Context.Index], [Context.T]); monitors of state come back (B, T, ...) like DSRunner's, or
//     time-first with [TimeFirst] ([Layout]); an unknown monitor name fails when the runner is
//     built. Online learning rules (RLS/FORCE, online e-prop) run inside the compiled loop as a
//     [StepHook], which reads each step's input, output and target and updates parameters and
//     its own variables. On XLA the loop is a scan by default ([Engine]): one step compiled into
//     the body of a While loop, so that compile time does not depend on the number of steps. A
//     model whose output is a stateless readout of a per-step value can implement [Readouter]:
//     a graph of several unrolled steps then reads out all of them with one product. On the Go
//     backend a batch runs as one group of samples per core when a first-chunk probe shows the
//     samples independent (batch shards, RunnerOptions.Shards and GradOptions.Shards; a hook's
//     sums over samples are declared with [SummedHook]); a hook for which a zero target row
//     means no target ([ZeroTargetHook]) sees chunks whose targets are all zero run without
//     targets, in graphs of their own;
//   - gradients through time ([Grad]): the gradient of a [LossFunc] over a run, for sequences of
//     any length. Up to one chunk it is a single graph that also applies the optimizer update
//     ([Grad.Step]); longer sequences are differentiated chunk by chunk, recomputing each chunk
//     and chaining vector-Jacobian products, so memory stays bounded by one chunk of
//     activations plus the state at chunk boundaries. On the scan engine (XLA) the backward pass
//     is a second While loop that recomputes one step per iteration from its stored state and
//     adds that step's vector-Jacobian product; every step's state is stored while it fits
//     (DefaultScanStateBytes; only the states a step reads, not those it only writes), longer
//     runs recompute segments from checkpoints
//     (GradOptions.Checkpoint). The loops write their stored states, monitors and the
//     monitors' cotangents in place, into buffers the Grad keeps from step to step until
//     [Grad.Release] (scan_spare.go); the inputs are checked for NaN while they run. A model whose steps start with a stateless map of the input
//     can implement [Encoder]: the scan then maps all steps' inputs with one product before
//     its loops and takes the map's gradient with one product after them. A model whose steps
//     start with currents from its input and state can implement [Projector]: the forward
//     loop stores them and the backward loop does not recompute their products. [CheckGradients] compares any model's
//     gradient with finite differences. Importing bpgo makes GoMLX differentiate ReduceMax and
//     ReduceMin as JAX (so BrainPy's bm.max) does: a maximum shared by k elements passes 1/k
//     of its gradient to each, instead of all of it to every one (reducegrad.go). Plain matrix
//     products get bpgo's own gradient rule, whose products take the layouts the Go backend's
//     fast kernels want (dotgrad.go); [MatMul] and [MatMulT] are the step products (the
//     Go backend's kernels, patched in bpgo/third_party, take any number of rows and
//     columns in vector tiles);
//   - the [Optimizer] contract (implementations in bpgo/optim) and [Save]/[Load] of a model
//     with its optimizer state, to resume training;
//   - host helpers for sequences (sequence.go): building, checking, slicing and transposing
//     (B, T, ...) tensors.
//
// Sub-packages hold optimizers and schedules (optim), losses, initializers, surrogate spike
// functions and figure helpers (visualize). Layers, neurons and synapses live in package
// models; trainers and the training loop in package trainers; notebook switches (reduced mode)
// and display in package kernel.
//
// # Conventions
//
// Errors: host APIs (constructors, Run, Compute, Fit, Save, …) return errors; graph-building
// code (a module's Update, a loss function, a StepHook) panics, and the engine turns such a
// panic into an error of the call that built the graph. Every error starts with the function
// that returned it, as package.Func or package.Type.Method ("bpgo.Runner.Run: inputs: …"),
// followed by the argument or option at fault ("RunnerOptions.Monitors: unknown monitor …") and
// what was expected.
//
// Options: option records carry BrainPy's defaults in values. A record with defaults has a
// function returning them (models.LifDefaults(), optim.AdamDefaults(), …): start from it and
// change fields. A zero field means zero; a zero that makes no sense (a time constant, a scale)
// is an error naming the field and BrainPy's default. In the engine's options (RunnerOptions,
// GradOptions) Chunk 0 and Dt 0 mean DefaultChunk and the global Dt.
//
// Reproducibility: parameters are drawn on the host from generators derived from SetSeed, and
// in-graph noise from random states seeded the same way, so the same seed gives the same run,
// bit for bit, on the same machine, backend and build. Across backends (Go vs XLA) and CPUs,
// results agree to rounding (float64: about 1e-12 relative), not to the bit.
package bpgo
