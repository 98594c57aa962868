package losses

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// MSE is the mean of (predicts - targets)² over all elements (bp.losses.mean_squared_error
// with reduction 'mean'); the shapes must match. MSEReduce takes a reduction, axes and a weight.
func MSE(predicts, targets *graph.Node) *graph.Node {
	if !predicts.Shape().Equal(targets.Shape()) {
		panic(fmt.Sprintf("losses.MSE: predicts shape %s and targets shape %s differ", predicts.Shape(), targets.Shape()))
	}
	d := graph.Sub(predicts, targets)
	return graph.ReduceAllMean(graph.Mul(d, d))
}

// MeanSquaredError evaluates MSE on host tensors of the same shape and float type, on the
// bpgo backend, in the tensors' own precision.
func MeanSquaredError(predicts, targets *tensors.Tensor) (float64, error) {
	if predicts == nil || targets == nil {
		return 0, fmt.Errorf("losses.MeanSquaredError: predicts and targets must not be nil")
	}
	ps, ts := predicts.Shape(), targets.Shape()
	if !ps.Equal(ts) {
		return 0, fmt.Errorf("losses.MeanSquaredError: predicts shape %v (%s) and targets shape %v (%s) must match", ps.Dimensions, ps.DType, ts.Dimensions, ts.DType)
	}
	if !ps.DType.IsFloat() {
		return 0, fmt.Errorf("losses.MeanSquaredError: dtype %s is not a float type", ps.DType)
	}
	b, err := bpgo.Backend()
	if err != nil {
		return 0, err
	}
	out, err := graph.ExecOnce(b, MSE, predicts, targets)
	if err != nil {
		return 0, fmt.Errorf("losses.MeanSquaredError: %w", err)
	}
	return bpgo.ToFloat64s(out)[0], nil
}
