// Package optim holds BrainPy's optimizers and learning-rate schedules (bp.optim) for bpgo.
//
// # Schedules
//
// A [Schedule] is a plain, stateless value giving the learning rate from two counters that, as
// in BrainPy 2.4.3, both start at -1 and live in the optimizer: last_epoch, advanced by
// StepEpoch (trainers.BPTT calls it after every training epoch), and last_call, advanced after
// every update. The optimizer asks Rate(last_epoch+1, last_call+1). Call-based schedules
// ([ExponentialDecay], [InverseTimeDecay]) read the call index; epoch-based ones ([StepLR],
// [MultiStepLR], [CosineAnnealingLR], [ExponentialLR]) the epoch index; [Constant] neither:
//
//	opt, err := optim.NewAdam(optim.Constant(0.001), optim.AdamDefaults())
//	opt, err := optim.NewSGD(optim.StepLR{LR: 0.1, StepSize: 10, Gamma: 0.1}, optim.SGDDefaults())
//
// The optimizer's constructor validates the schedule (Schedule.Validate), so a bad one is an
// error there, not a panic.
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
// *epoch* counter,
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
// # Options and defaults
//
// The learning rate is the first argument of every constructor, the options record the
// second. Options carry their defaults in values, not sentinels: a field is used as given, so
// 0 means 0 (Adam's Eps: 0 is eps = 0, Momentum's Momentum: 0 is plain SGD), and a field whose
// 0 is meaningless (Adam's Beta2, RMSProp's Rho and Eps) is an error that names the field and
// BrainPy's default. Start from the Defaults function and change what differs:
//
//	o := optim.AdamDefaults() // beta1 0.9, beta2 0.999, eps 1e-8
//	o.Eps = 0.1
//	opt, err := optim.NewAdam(optim.ExponentialDecay{LR: 0.025, DecaySteps: 1, DecayRate: 0.99975}, o)
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
// saved model resumes with the same learning rate and bias correction; LastEpoch, LastCall and
// LearningRate read them. Slots (moments,
// velocities) are bpgo state variables created by Register, one set per parameter in
// registration order; SlotNames names them "<Optimizer>.<slot>/<parameter name>".
package optim
