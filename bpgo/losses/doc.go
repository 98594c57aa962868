// Package losses holds BrainPy's losses (bp.losses) as graph functions for training, and host
// versions that evaluate them on tensors for reporting, e.g. MeanSquaredError(yTest, pred).
//
// Graph functions (build inside a graph; they panic on bad shapes or dtypes, naming the
// argument and what was expected):
//
//	MSE(p, t), MSEReduce(p, t, opts)        mean_squared_error: (p - t)²
//	MAE(p, t), MAEReduce(p, t, opts)        mean_absolute_error: |p - t|
//	CrossEntropy(logits, targets)           cross_entropy_loss: logsumexp(logits) - Σ logits·t
//	CrossEntropyReduce(logits, targets, opts)
//	L2Loss(p, t)                            l2_loss: 0.5·(p - t)², elementwise
//	L2Norm(nodes...), L2NormSquared(...)    l2_norm over a pytree: sqrt(Σ Σ x²), and its square
//	Accuracy(logits, labels)                mean(argmax(logits, -1) == labels)
//
// The *Reduce variants take Options: Reduction (Mean, the default; Sum; None), Axes to reduce
// (BrainPy's axis; empty means all) and an elementwise Weight. A BrainPy list of arrays (a
// pytree) summed leaf by leaf is the Add of one loss per leaf.
//
// Host helpers (evaluate on the bpgo backend; they return errors for bad input):
// MeanSquaredError, MeanAbsoluteError, CrossEntropyLoss, AccuracyOf and L2NormOf.
package losses
