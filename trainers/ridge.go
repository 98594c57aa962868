package trainers

import (
	"fmt"
	"math"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"gonum.org/v1/gonum/mat"
)

// LinearFittable is a trainable node a regression trainer can solve for: a linear map
// y = x @ W + b whose input x it records while the runner is fitting (models.Dense is one).
type LinearFittable interface {
	Trainable() bool
	LinearWeights() (w, b *bpgo.Variable)
}

// RidgeOptions configure Ridge. Every field is used as given; start from RidgeDefaults().
type RidgeOptions struct {
	// Alpha is the L2 regularisation, >= 0 (0 solves plain least squares); BrainPy's
	// RidgeTrainer default is 1e-7.
	Alpha float64
	// Chunk is the runner's number of steps per compiled graph; 0 means bpgo.DefaultChunk.
	Chunk int
	// Dt is the integration step (ms); 0 means the global bpgo.Dt().
	Dt float64
	// Layout of inputs, targets and outputs: bpgo.BatchFirst (default) or bpgo.TimeFirst.
	Layout bpgo.Layout
	// NormalEquations evaluates the solution the way BrainPy does: XᵀX and XᵀY accumulated on
	// the device, then an SVD pseudo-inverse of XᵀX + αI. Forming XᵀX squares the condition
	// number, so on ill-conditioned features (NVAR monomials) the result is dominated by
	// rounding: the default streams a QR factorisation of [X | Y] instead and evaluates the
	// same formula to full precision.
	NormalEquations bool
}

// RidgeDefaults returns BrainPy's RidgeTrainer defaults: Alpha 1e-7, Chunk bpgo.DefaultChunk,
// the QR solution.
func RidgeDefaults() RidgeOptions { return RidgeOptions{Alpha: 1e-7, Chunk: bpgo.DefaultChunk} }

// Ridge is BrainPy's RidgeTrainer: Predict runs the model (state continues), Fit runs it over
// the training inputs while the trainable node records its own inputs, then solves
//
//	W = pinv(XᵀX + αI) · XᵀY,   X = [1 | recorded inputs]   (bias column first, regularised too)
//
// with BrainPy's pseudo-inverse cutoff (10·n·eps·λ_max, JAX's pinv default), and assigns
// b = W[0], W = W[1:]. By default the formula is evaluated from a QR factorisation of [X | Y]
// streamed chunk by chunk on the host (gonum), which keeps full precision; full blocks of rows
// are folded in by a goroutine while the model runs on. The pseudo-inverse then comes from an
// SVD of the triangular factor only when the cutoff could drop an eigenvalue; otherwise (α above
// the cutoff, the usual case) pinv is the plain inverse, computed by one QR of [Rₓ; √α·I] at a
// fraction of the SVD's cost. See RidgeOptions.NormalEquations for BrainPy's own numerics.
type Ridge struct {
	runner *bpgo.Runner
	node   LinearFittable
	name   string
	alpha  float64
	normal bool
	gram   *graph.Exec
}

// NewRidge builds a ridge trainer for a model with exactly one trainable linear node (for
// example a models.Dense created with Mode: bpgo.TrainingMode).
func NewRidge(model bpgo.Stepper, opts RidgeOptions) (*Ridge, error) {
	alpha := opts.Alpha
	if alpha < 0 || math.IsNaN(alpha) || math.IsInf(alpha, 0) {
		return nil, fmt.Errorf("trainers.NewRidge: RidgeOptions.Alpha: want a finite number >= 0 (0: no regularisation), got %v (BrainPy's default is 1e-7: start from trainers.RidgeDefaults())", opts.Alpha)
	}
	runner, err := bpgo.NewRunner(model, bpgo.RunnerOptions{Chunk: opts.Chunk, Dt: opts.Dt, Layout: opts.Layout})
	if err != nil {
		return nil, fmt.Errorf("trainers.NewRidge: %w", err)
	}
	var nodes []bpgo.ModuleInfo
	for _, m := range runner.Tree().Modules {
		if f, ok := m.Module.(LinearFittable); ok && f.Trainable() {
			nodes = append(nodes, m)
		}
	}
	switch len(nodes) {
	case 0:
		return nil, fmt.Errorf("trainers.NewRidge: the model has no trainable linear node: build its readout in training mode (e.g. models.DenseOptions{Mode: bpgo.TrainingMode})")
	case 1:
	default:
		var names []string
		for _, n := range nodes {
			names = append(names, fmt.Sprintf("%q", n.Path))
		}
		return nil, fmt.Errorf("trainers.NewRidge: the model has %d trainable linear nodes (%v); Ridge fits exactly one", len(nodes), names)
	}
	r := &Ridge{runner: runner, node: nodes[0].Module.(LinearFittable), name: nodes[0].Path, alpha: alpha, normal: opts.NormalEquations}
	r.gram = graph.MustNewExec(runner.Backend(), gramGraph) // where the recorded features are
	r.gram.SetMaxCache(-1)
	return r, nil
}

// Alpha is the regularisation in use.
func (r *Ridge) Alpha() float64 { return r.alpha }

// Runner is the runner that drives the model.
func (r *Ridge) Runner() *bpgo.Runner { return r.runner }

// Predict runs the model over inputs (B, T, F) (time-first with Layout TimeFirst) and returns
// every step's output; the state continues from the last run unless reset (BrainPy's
// predict(inputs, reset_state)), and warm-up steps are not discarded.
func (r *Ridge) Predict(inputs *tensors.Tensor, reset bool) (*tensors.Tensor, error) {
	out, err := r.runner.Run(inputs, bpgo.RunOptions{ResetState: reset})
	if err != nil {
		return nil, fmt.Errorf("trainers.Ridge.Predict: %w", err)
	}
	return out, nil
}

// Fit runs the model over inputs (B, T, F) from its current state, regresses the trainable
// node's recorded inputs onto targets (B, T, out) and assigns the node's weights. It returns
// the outputs of the run, computed with the old weights (as BrainPy does).
func (r *Ridge) Fit(inputs, targets *tensors.Tensor) (*tensors.Tensor, error) {
	runIn := inputs
	if r.runner.Layout() == bpgo.TimeFirst {
		if inputs == nil || targets == nil || inputs.Rank() < 2 || targets.Rank() < 2 {
			return nil, fmt.Errorf("trainers.Ridge.Fit: with Layout TimeFirst, inputs and targets must be time-first (T, B, ...) tensors")
		}
		inputs, targets = bpgo.SwapLeadingAxes(inputs), bpgo.SwapLeadingAxes(targets)
	}
	w, b := r.node.LinearWeights()
	dt := w.Value().DType()
	numIn, numOut := w.Shape().Dimensions[0], w.Shape().Dimensions[1]
	if err := bpgo.CheckSequence("trainers.Ridge.Fit: inputs", inputs, dt, -1); err != nil {
		return nil, err
	}
	if err := bpgo.CheckSequence("trainers.Ridge.Fit: targets", targets, dt, numOut); err != nil {
		return nil, fmt.Errorf("%w (node %q has %d outputs)", err, r.name, numOut)
	}
	id, td := inputs.Shape().Dimensions, targets.Shape().Dimensions
	if id[0] != td[0] || id[1] != td[1] {
		return nil, fmt.Errorf("trainers.Ridge.Fit: inputs shape %v and targets shape %v must agree in batch and time", id, td)
	}
	hostTargets := bpgo.ToFloat64s(targets)
	var xtx, xty *tensors.Tensor
	withBias := b != nil
	f := numIn
	if withBias {
		f++
	}
	acc := newQRAccumulator(f, numOut)
	defer acc.wait()
	out, err := r.runner.Run(runIn, bpgo.RunOptions{Fit: true, OnChunk: func(c *bpgo.Chunk) error {
		feats, ok := c.Records[r.node]
		if !ok {
			return fmt.Errorf("node %q recorded no inputs while fitting", r.name)
		}
		if fd := feats.Shape().Dimensions; len(fd) != 3 || fd[2] != numIn {
			return fmt.Errorf("node %q recorded inputs of shape %v, want (batch, time, %d)", r.name, fd, numIn)
		}
		if !r.normal {
			acc.add(designRows(bpgo.ToFloat64s(feats), numIn, withBias), bpgo.TimeSlice(hostTargets, td, c.Start, c.Len), td[0]*c.Len)
			return nil
		}
		tChunk, err := bpgo.FromFloat64s(dt, bpgo.TimeSlice(hostTargets, td, c.Start, c.Len), td[0], c.Len, numOut)
		if err != nil {
			return err
		}
		if xtx == nil {
			xtx = tensors.FromShape(shapes.Make(dt, f, f))
			xty = tensors.FromShape(shapes.Make(dt, f, numOut))
		}
		res, err := r.gram.Call(xtx, xty, feats, tChunk)
		if err != nil {
			return err
		}
		xtx, xty = res[0], res[1]
		return nil
	}})
	if err != nil {
		return nil, fmt.Errorf("trainers.Ridge.Fit: %w", err)
	}
	var full []float64
	if r.normal {
		full, err = solveRidge(bpgo.ToFloat64s(xtx), bpgo.ToFloat64s(xty), f, numOut, r.alpha, dt)
	} else {
		full, err = acc.solve(r.alpha, dt)
	}
	if err != nil {
		return nil, fmt.Errorf("trainers.Ridge.Fit: node %q: %w", r.name, err)
	}
	rows := 0
	if withBias {
		bt, err := bpgo.FromFloat64s(dt, full[:numOut], numOut)
		if err != nil {
			return nil, err
		}
		if err := b.SetValue(bt); err != nil {
			return nil, err
		}
		rows = 1
	}
	wt, err := bpgo.FromFloat64s(dt, full[rows*numOut:], numIn, numOut)
	if err != nil {
		return nil, err
	}
	if err := w.SetValue(wt); err != nil {
		return nil, err
	}
	return out, nil
}

// gramGraph adds XᵀX and XᵀY of one chunk to the accumulators. The accumulator's size says
// whether the design matrix has the leading ones column (bias): X = [1 | feats] or X = feats.
func gramGraph(xtx, xty, feats, targets *graph.Node) (*graph.Node, *graph.Node) {
	fd := feats.Shape().Dimensions
	n := fd[0] * fd[1]
	x1 := graph.Reshape(feats, n, fd[2])
	if xtx.Shape().Dimensions[0] == fd[2]+1 {
		x1 = graph.Concatenate([]*graph.Node{graph.Ones(feats.Graph(), shapes.Make(feats.DType(), n, 1)), x1}, 1)
	}
	y := graph.Reshape(targets, n, targets.Shape().Dimensions[2])
	xt := graph.Transpose(x1, 0, 1)
	return graph.Add(xtx, graph.MatMul(xt, x1)), graph.Add(xty, graph.MatMul(xt, y))
}

// solveRidge returns pinv(A + alpha I) B for A (f, f) and B (f, out), row-major.
func solveRidge(a, b []float64, f, out int, alpha float64, dt dtypes.DType) ([]float64, error) {
	for _, v := range a {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("the recorded features contain NaN or Inf (did the model diverge?)")
		}
	}
	am := mat.NewDense(f, f, append([]float64(nil), a...))
	for i := range f {
		am.Set(i, i, am.At(i, i)+alpha)
	}
	var svd mat.SVD
	if !svd.Factorize(am, mat.SVDThin) {
		return nil, fmt.Errorf("the SVD of the %d×%d normal equations did not converge", f, f)
	}
	s := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	cutoff := 10 * float64(f) * machineEps(dt) * s[0]
	// pinv = V diag(1/s) Uᵀ, keeping singular values above the cutoff.
	vs := mat.DenseCopyOf(&v)
	for j := range s {
		inv := 0.0
		if s[j] > cutoff {
			inv = 1 / s[j]
		}
		for i := range f {
			vs.Set(i, j, vs.At(i, j)*inv)
		}
	}
	var pinv, w mat.Dense
	pinv.Mul(vs, u.T())
	w.Mul(&pinv, mat.NewDense(f, out, append([]float64(nil), b...)))
	return w.RawMatrix().Data, nil
}

// designRows turns recorded features (B·K rows of numIn) into design rows, with a leading ones
// column when the node has a bias.
func designRows(feats []float64, numIn int, withBias bool) []float64 {
	if !withBias {
		return feats
	}
	n := len(feats) / numIn
	out := make([]float64, 0, n*(numIn+1))
	for i := range n {
		out = append(out, 1)
		out = append(out, feats[i*numIn:(i+1)*numIn]...)
	}
	return out
}
