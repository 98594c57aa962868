package losses

import (
	"fmt"
	"math"
	"slices"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// evalScalar runs fn on the bpgo backend and returns its scalar result as a float64.
func evalScalar(name string, fn func(a, b *graph.Node) *graph.Node, args ...any) (float64, error) {
	b, err := bpgo.Backend()
	if err != nil {
		return 0, err
	}
	out, err := graph.ExecOnce(b, fn, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return bpgo.ToFloat64s(out)[0], nil
}

// checkHostPair validates two host tensors of the same float shape.
func checkHostPair(name, a, b string, x, y *tensors.Tensor) error {
	if x == nil || y == nil {
		return fmt.Errorf("%s: %s and %s must not be nil", name, a, b)
	}
	xs, ys := x.Shape(), y.Shape()
	if !xs.Equal(ys) {
		return fmt.Errorf("%s: %s shape %v (%s) and %s shape %v (%s) must match", name, a, xs.Dimensions, xs.DType, b, ys.Dimensions, ys.DType)
	}
	if !xs.DType.IsFloat() {
		return fmt.Errorf("%s: dtype %s is not a float type", name, xs.DType)
	}
	return nil
}

// MeanAbsoluteError evaluates MAE on host tensors of the same shape and float type.
func MeanAbsoluteError(predicts, targets *tensors.Tensor) (float64, error) {
	const name = "losses.MeanAbsoluteError"
	if err := checkHostPair(name, "predicts", "targets", predicts, targets); err != nil {
		return 0, err
	}
	return evalScalar(name, MAE, predicts, targets)
}

// checkHostClasses validates logits (..., C) and index labels (...) or, if probs is true,
// probability targets (..., C) of the logits' dtype.
func checkHostClasses(name, arg string, logits, labels *tensors.Tensor, probs bool) error {
	if logits == nil || labels == nil {
		return fmt.Errorf("%s: logits and %s must not be nil", name, arg)
	}
	ls, ts := logits.Shape(), labels.Shape()
	if !ls.DType.IsFloat() {
		return fmt.Errorf("%s: logits dtype %s is not a float type", name, ls.DType)
	}
	if ls.Rank() < 1 {
		return fmt.Errorf("%s: logits must have a class axis (rank >= 1), got shape %v", name, ls.Dimensions)
	}
	if probs && ts.Rank() == ls.Rank() {
		if !ts.Equal(ls) {
			return fmt.Errorf("%s: %s shape %v (%s) must equal the logits shape %v (%s) for probability targets", name, arg, ts.Dimensions, ts.DType, ls.Dimensions, ls.DType)
		}
		return nil
	}
	if ts.Rank() != ls.Rank()-1 || !slices.Equal(ts.Dimensions, ls.Dimensions[:ls.Rank()-1]) {
		want := "the logits shape without its last axis (class indices)"
		if probs {
			want += " or the logits shape (probabilities)"
		}
		return fmt.Errorf("%s: %s shape %v must be %s; logits shape is %v", name, arg, ts.Dimensions, want, ls.Dimensions)
	}
	if !ts.DType.IsInt() && !ts.DType.IsFloat() {
		return fmt.Errorf("%s: %s dtype %s must be an integer or float type (class indices)", name, arg, ts.DType)
	}
	return nil
}

// CrossEntropyLoss evaluates CrossEntropy (mean over positions) on host tensors: logits
// (..., C) of a float type, targets class indices (...) of any integer or float type, or
// probabilities (..., C) of the logits' type.
func CrossEntropyLoss(logits, targets *tensors.Tensor) (float64, error) {
	const name = "losses.CrossEntropyLoss"
	if err := checkHostClasses(name, "targets", logits, targets, true); err != nil {
		return 0, err
	}
	return evalScalar(name, CrossEntropy, logits, targets)
}

// AccuracyOf evaluates Accuracy on host tensors: the fraction of positions whose largest
// logit is at the label's class. labels hold class indices (integer or float) and have the
// logits shape without its last axis.
func AccuracyOf(logits, labels *tensors.Tensor) (float64, error) {
	const name = "losses.AccuracyOf"
	if err := checkHostClasses(name, "labels", logits, labels, false); err != nil {
		return 0, err
	}
	return evalScalar(name, Accuracy, logits, labels)
}

// L2NormOf is L2Norm over host tensors (for instance a model's weights): the global
// sqrt(Σ Σ x²), accumulated in float64 on the host.
func L2NormOf(ts ...*tensors.Tensor) (float64, error) {
	if len(ts) == 0 {
		return 0, fmt.Errorf("losses.L2NormOf: no tensors given")
	}
	total := 0.0
	for i, t := range ts {
		if t == nil {
			return 0, fmt.Errorf("losses.L2NormOf: tensor %d is nil", i)
		}
		if d := t.DType(); d != dtypes.Float32 && d != dtypes.Float64 {
			return 0, fmt.Errorf("losses.L2NormOf: tensor %d dtype %s is not Float32 or Float64", i, d)
		}
		for _, x := range bpgo.ToFloat64s(t) {
			total += x * x
		}
	}
	return math.Sqrt(total), nil
}
