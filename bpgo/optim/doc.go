// Package optim holds BrainPy's optimizers and learning-rate schedules (bp.optim) for bpgo.
//
// # Schedules
//
// A [Schedule] gives the learning rate of the next update from two host counters that, as in
// BrainPy 2.4.3, both start at -1: last_epoch, advanced by StepEpoch (trainers.BPTT calls it
// after every training epoch), and last_call, advanced by StepCall (every optimizer calls it
// after every update). Call-based schedules ([ExponentialDecay], [InverseTimeDecay]) read
// last_call+1; epoch-based ones ([StepLR], [MultiStepLR], [CosineAnnealingLR], [ExponentialLR])
// read last_epoch+1; [Constant] reads neither.
//
// # Optimizers
//
// [Adam], [SGD], [Momentum] and [RMSProp] implement bpgo.Optimizer, bpgo.EpochStepper and
// bpgo.Counters with BrainPy 2.4.3's update rules. Everything that changes between updates
// (the scheduled learning rate, Adam's bias-correction factor) is computed on the host by Hyper
// and fed to the compiled update as an input, so nothing recompiles when it changes; constants
// (betas, eps, weight decay, clipping thresholds) are baked into the graph.
//
// BrainPy's Adam is not textbook Adam: its bias correction uses n = last_epoch+2 of the
// schedule's *epoch* counter,
//
//	lr_t = lr() * sqrt(1-beta2^n) / (1-beta1^n)
//	m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g^2
//	p = p - lr_t * m / (sqrt(v) + eps)
//
// so a hand-written loop that never calls StepEpoch scales every step by
// sqrt(1-0.999)/(1-0.9) ≈ 0.3162 forever. AdamOptions.Textbook selects BrainPy 2.1.12's Adam
// instead (n = number of updates so far + 1, proper per-step bias correction), which seed 001
// (the 2.1.12 quickstart) uses.
//
// Options are typed structs where a zero field means BrainPy's default. Where 0 is itself a
// meaningful value that differs from the default (Adam's Eps, Beta1 or Beta2, RMSProp's Eps or
// Rho, Momentum's Momentum), set the field to the sentinel [Zero].
//
// Each optimizer also has Update(grads), which compiles (once) and runs one update with
// bpgo.ApplyGradients, for hand-written training loops; trainers call UpdateGraph inside their
// own training-step graphs instead.
//
// # Gradient clipping
//
// [Clip] (a field of every option struct) clips gradients inside the update graph before the
// update: element-wise by value, each array separately by its L2 norm (BrainPy 2.1.12
// BPTT's max_grad_norm, bm.clip_by_norm), and/or all arrays together by their global L2 norm.
//
// # Counters and slots
//
// Counters returns {"last_epoch", "last_call", "updates"} and SetCounters restores them, so a
// saved model resumes with the same learning rate and bias correction. Slots (moments,
// velocities) are bpgo state variables created by Register, one set per parameter in
// registration order; SlotNames names them "<Optimizer>.<slot>/<parameter name>".
package optim
