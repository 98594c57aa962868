package losses

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// Reduction says how a loss turns its per-element (or per-position) values into the result,
// BrainPy's reduction='mean' | 'sum' | 'none'.
type Reduction int

const (
	// Mean averages (the default, BrainPy's 'mean').
	Mean Reduction = iota
	// Sum adds up ('sum').
	Sum
	// None returns the unreduced values ('none').
	None
)

// String returns BrainPy's name of the reduction: "mean", "sum" or "none".
func (r Reduction) String() string {
	switch r {
	case Mean:
		return "mean"
	case Sum:
		return "sum"
	case None:
		return "none"
	}
	return fmt.Sprintf("Reduction(%d)", int(r))
}

// ParseReduction reads BrainPy's reduction names "mean", "sum" and "none" (any case).
func ParseReduction(s string) (Reduction, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "mean":
		return Mean, nil
	case "sum":
		return Sum, nil
	case "none":
		return None, nil
	}
	return Mean, fmt.Errorf("losses.ParseReduction: %q is not one of \"mean\", \"sum\", \"none\"", s)
}

// Options configure the reducing losses (MSEReduce, MAEReduce, CrossEntropyReduce). The zero
// value is BrainPy's default: the mean over everything, no weight.
type Options struct {
	// Reduction is Mean (default), Sum or None.
	Reduction Reduction
	// Axes, for Mean and Sum, are the axes of the unreduced loss to reduce (BrainPy's axis);
	// the others are kept. Negative values count from the end. Empty means all axes, giving a
	// scalar. With None, Axes must be empty.
	Axes []int
	// Weight, if not nil, multiplies the unreduced loss elementwise before the reduction,
	// broadcast NumPy-style (aligned on the trailing axes; each of its dimensions equal to the
	// loss's or 1). It must have the loss's float dtype. Mean then is mean(weight·loss), not a
	// weighted average divided by Σ weight. The unreduced loss has the inputs' shape, except
	// for CrossEntropy where it lacks the class axis.
	Weight *graph.Node
}

// reduce applies opts to the unreduced loss; fn names the calling function in panics.
func reduce(fn string, loss *graph.Node, opts Options) *graph.Node {
	if w := opts.Weight; w != nil {
		loss = graph.Mul(loss, broadcastWeight(fn, w, loss.Shape()))
	}
	axes, err := normalizeAxes(opts.Axes, loss.Rank())
	if err != nil {
		panic(fmt.Sprintf("%s: Options.Axes %v: %v (the unreduced loss has shape %v)", fn, opts.Axes, err, loss.Shape().Dimensions))
	}
	switch opts.Reduction {
	case Mean:
		if len(axes) == 0 {
			return graph.ReduceAllMean(loss)
		}
		return graph.ReduceMean(loss, axes...)
	case Sum:
		if len(axes) == 0 {
			return graph.ReduceAllSum(loss)
		}
		return graph.ReduceSum(loss, axes...)
	case None:
		if len(axes) > 0 {
			panic(fmt.Sprintf("%s: Options.Axes %v has no effect with reduction none; leave it empty", fn, opts.Axes))
		}
		return loss
	}
	panic(fmt.Sprintf("%s: Options.Reduction %v is not Mean, Sum or None", fn, opts.Reduction))
}

// normalizeAxes maps negative axes to [0, rank) and rejects out-of-range or repeated axes.
func normalizeAxes(axes []int, rank int) ([]int, error) {
	out := make([]int, 0, len(axes))
	for _, a := range axes {
		n := a
		if n < 0 {
			n += rank
		}
		if n < 0 || n >= rank {
			return nil, fmt.Errorf("axis %d is out of range for rank %d", a, rank)
		}
		if slices.Contains(out, n) {
			return nil, fmt.Errorf("axis %d is given twice", a)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// broadcastWeight broadcasts w onto shape s (NumPy rules, trailing alignment).
func broadcastWeight(fn string, w *graph.Node, s shapes.Shape) *graph.Node {
	ws := w.Shape()
	if ws.DType != s.DType {
		panic(fmt.Sprintf("%s: Options.Weight dtype %s must match the loss dtype %s", fn, ws.DType, s.DType))
	}
	ok := ws.Rank() <= s.Rank()
	for i := 1; ok && i <= ws.Rank(); i++ {
		d := ws.Dimensions[ws.Rank()-i]
		ok = d == 1 || d == s.Dimensions[s.Rank()-i]
	}
	if !ok {
		panic(fmt.Sprintf("%s: Options.Weight shape %v does not broadcast onto the unreduced loss shape %v (want trailing dimensions equal or 1)", fn, ws.Dimensions, s.Dimensions))
	}
	w = graph.ExpandLeftToRank(w, s.Rank())
	if !slices.Equal(w.Shape().Dimensions, s.Dimensions) {
		w = graph.BroadcastToDims(w, s.Dimensions...)
	}
	return w
}

// checkPair panics unless predicts and targets are float nodes of one shape and dtype.
func checkPair(fn string, predicts, targets *graph.Node) {
	if predicts == nil || targets == nil {
		panic(fmt.Sprintf("%s: predicts and targets must not be nil", fn))
	}
	if !predicts.DType().IsFloat() {
		panic(fmt.Sprintf("%s: predicts dtype %s is not a float type", fn, predicts.DType()))
	}
	if !predicts.Shape().Equal(targets.Shape()) {
		panic(fmt.Sprintf("%s: targets shape %s must equal predicts shape %s", fn, targets.Shape(), predicts.Shape()))
	}
}

// MSEReduce is BrainPy's mean_squared_error(predicts, targets, axis, reduction): (p - t)²
// reduced as opts says. MSE(p, t) is MSEReduce(p, t, Options{}).
func MSEReduce(predicts, targets *graph.Node, opts Options) *graph.Node {
	checkPair("losses.MSEReduce", predicts, targets)
	d := graph.Sub(predicts, targets)
	return reduce("losses.MSEReduce", graph.Mul(d, d), opts)
}

// MAE is the mean of |predicts - targets| over all elements, BrainPy's mean_absolute_error;
// the shapes must match.
func MAE(predicts, targets *graph.Node) *graph.Node {
	checkPair("losses.MAE", predicts, targets)
	return graph.ReduceAllMean(graph.Abs(graph.Sub(predicts, targets)))
}

// MAEReduce is BrainPy's mean_absolute_error(x, y, axis, reduction): |p - t| reduced as opts
// says.
func MAEReduce(predicts, targets *graph.Node, opts Options) *graph.Node {
	checkPair("losses.MAEReduce", predicts, targets)
	return reduce("losses.MAEReduce", graph.Abs(graph.Sub(predicts, targets)), opts)
}

// L2Loss is BrainPy's l2_loss: 0.5·(predicts - targets)² elementwise, not reduced.
func L2Loss(predicts, targets *graph.Node) *graph.Node {
	checkPair("losses.L2Loss", predicts, targets)
	d := graph.Sub(predicts, targets)
	return graph.MulScalar(graph.Mul(d, d), 0.5)
}

// L2NormSquared is Σ over all nodes Σ over their elements x²: the square of L2Norm, without
// the square root (so its gradient 2x is defined at zero). BrainPy's quickstart regularizer
// l2_reg * l2_norm(train_vars)**2 is MulScalar(L2NormSquared(weights...), l2Reg).
func L2NormSquared(nodes ...*graph.Node) *graph.Node {
	return sumSquares("losses.L2NormSquared", nodes)
}

// L2Norm is BrainPy's l2_norm over a pytree: the global norm sqrt(Σ over all nodes Σ over
// their elements x²), a scalar. The nodes may have different shapes but must share one float
// dtype. Its gradient x/norm is NaN when every element is zero.
func L2Norm(nodes ...*graph.Node) *graph.Node {
	return graph.Sqrt(sumSquares("losses.L2Norm", nodes))
}

func sumSquares(fn string, nodes []*graph.Node) *graph.Node {
	if len(nodes) == 0 {
		panic(fmt.Sprintf("%s: no nodes given", fn))
	}
	var total *graph.Node
	for i, x := range nodes {
		if x == nil {
			panic(fmt.Sprintf("%s: nodes[%d] is nil", fn, i))
		}
		if !x.DType().IsFloat() {
			panic(fmt.Sprintf("%s: nodes[%d] dtype %s is not a float type", fn, i, x.DType()))
		}
		if x.DType() != nodes[0].DType() {
			panic(fmt.Sprintf("%s: nodes[%d] dtype %s differs from nodes[0] dtype %s", fn, i, x.DType(), nodes[0].DType()))
		}
		s := graph.ReduceAllSum(graph.Mul(x, x))
		if total == nil {
			total = s
		} else {
			total = graph.Add(total, s)
		}
	}
	return total
}

// CrossEntropy is BrainPy's cross_entropy_loss(predicts, targets) with reduction 'mean': the
// mean over all positions of logsumexp(logits) - Σ_c logits_c·t_c, on the last axis.
//
// logits (..., C) are raw scores (no softmax applied). targets are either
//   - class indices of shape (...), integer or float dtype: one-hot encoded by value (1.0 is
//     class 1; an index outside [0, C), or a non-integral float, encodes to all zeros, leaving
//     loss = logsumexp), or
//   - probability vectors of shape (..., C) with the logits' dtype (soft labels).
//
// The log-sum-exp subtracts the row maximum first, so large logits do not overflow. The
// gradient with respect to logits is softmax(logits) - t (divided by the number of positions);
// index targets carry no gradient.
func CrossEntropy(logits, targets *graph.Node) *graph.Node {
	return CrossEntropyReduce(logits, targets, Options{})
}

// CrossEntropyReduce is CrossEntropy with a reduction, axes and an elementwise weight (see
// Options) applied to the per-position loss of shape logits.shape[:-1].
func CrossEntropyReduce(logits, targets *graph.Node, opts Options) *graph.Node {
	const fn = "losses.CrossEntropy"
	if logits == nil || targets == nil {
		panic(fn + ": logits and targets must not be nil")
	}
	ls := logits.Shape()
	if !ls.DType.IsFloat() {
		panic(fmt.Sprintf("%s: logits dtype %s is not a float type", fn, ls.DType))
	}
	if ls.Rank() < 1 {
		panic(fmt.Sprintf("%s: logits must have a class axis (rank >= 1), got shape %s", fn, ls))
	}
	t := classTargets(fn, "targets", targets, ls)
	if t == nil { // probabilities
		if !targets.Shape().Equal(ls) {
			panic(fmt.Sprintf("%s: targets shape %s must be the logits shape %s (probabilities) or that shape without its last axis (class indices)", fn, targets.Shape(), ls))
		}
		t = targets
	}
	loss := graph.Sub(logSumExp(logits), graph.ReduceSum(graph.Mul(logits, t), -1))
	return reduce(fn, loss, opts)
}

// classTargets returns the one-hot encoding (logits dtype) of index targets whose shape is
// the logits shape without its last axis, nil if targets has the logits' rank, and panics
// otherwise.
func classTargets(fn, arg string, targets *graph.Node, ls shapes.Shape) *graph.Node {
	ts := targets.Shape()
	batch := ls.Dimensions[:ls.Rank()-1]
	if ts.Rank() == ls.Rank() {
		return nil
	}
	if ts.Rank() != ls.Rank()-1 || !slices.Equal(ts.Dimensions, batch) {
		panic(fmt.Sprintf("%s: %s shape %v must be the logits shape %v without its last axis (class indices) or equal to it (probabilities)", fn, arg, ts.Dimensions, ls.Dimensions))
	}
	idx := classIndexValues(fn, arg, targets)
	c := ls.Dimensions[ls.Rank()-1]
	iotaDims := make([]int, ts.Rank()+1)
	for i := range iotaDims {
		iotaDims[i] = 1
	}
	iotaDims[ts.Rank()] = c
	classes := graph.Iota(targets.Graph(), shapes.Make(idx.DType(), iotaDims...), -1)
	oneHot := graph.ConvertDType(graph.Equal(graph.InsertAxes(idx, -1), classes), ls.DType)
	return graph.StopGradient(oneHot)
}

// classIndexValues converts class indices to a dtype in which every index compares exactly
// with 0..C-1: int64 for integers, float32/float64 for floats.
func classIndexValues(fn, arg string, idx *graph.Node) *graph.Node {
	dt := idx.DType()
	switch {
	case dt.IsInt():
		if dt != dtypes.Int64 {
			idx = graph.ConvertDType(idx, dtypes.Int64)
		}
	case dt == dtypes.Float32 || dt == dtypes.Float64:
	case dt.IsFloat():
		idx = graph.ConvertDType(idx, dtypes.Float32)
	default:
		panic(fmt.Sprintf("%s: %s dtype %s must be an integer or float type (class indices)", fn, arg, dt))
	}
	return graph.StopGradient(idx)
}

// logSumExp is log Σ exp(x) over the last axis, computed as m + log Σ exp(x - m) with m the
// row maximum (no overflow for large x). Where the maximum is ±Inf, m is 0 so that x - m
// stays defined (an all -Inf row then gives -Inf rather than NaN).
func logSumExp(x *graph.Node) *graph.Node {
	m := graph.StopGradient(graph.ReduceAndKeep(x, graph.ReduceMax, -1))
	m = graph.Where(graph.IsFinite(m), m, graph.ZerosLike(m))
	s := graph.Log(graph.ReduceSum(graph.Exp(graph.Sub(x, m)), -1))
	return graph.Add(graph.Squeeze(m, -1), s)
}

// Accuracy is the fraction of positions where argmax(logits, -1) equals the label, as a scalar
// of the logits' dtype (BrainPy's bm.mean(bm.argmax(predicts, -1) == targets)). labels have
// the logits shape without its last axis and hold class indices, integer or float (compared by
// value). Ties in logits go to the lowest class. Not differentiable.
func Accuracy(logits, labels *graph.Node) *graph.Node {
	const fn = "losses.Accuracy"
	if logits == nil || labels == nil {
		panic(fn + ": logits and labels must not be nil")
	}
	ls := logits.Shape()
	if !ls.DType.IsFloat() {
		panic(fmt.Sprintf("%s: logits dtype %s is not a float type", fn, ls.DType))
	}
	if ls.Rank() < 1 {
		panic(fmt.Sprintf("%s: logits must have a class axis (rank >= 1), got shape %s", fn, ls))
	}
	if lab := labels.Shape(); lab.Rank() != ls.Rank()-1 || !slices.Equal(lab.Dimensions, ls.Dimensions[:ls.Rank()-1]) {
		panic(fmt.Sprintf("%s: labels shape %v must be the logits shape %v without its last axis", fn, lab.Dimensions, ls.Dimensions))
	}
	idx := classIndexValues(fn, "labels", labels)
	pred := graph.ConvertDType(graph.ArgMax(graph.StopGradient(logits), -1), idx.DType())
	return graph.ReduceAllMean(graph.ConvertDType(graph.Equal(pred, idx), ls.DType))
}
