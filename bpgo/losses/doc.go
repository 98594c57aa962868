// Package losses holds BrainPy's losses (bp.losses) as graph functions for training, and host
// versions that evaluate them on tensors for reporting, e.g. MeanSquaredError(yTest, pred).
package losses
