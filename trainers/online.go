package trainers

import (
	"fmt"
	"math"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// RLS is the recursive-least-squares rule of BrainPy's online trainers (fit_method=RLS(alpha),
// and FORCE learning, which is RLS with alpha 1) as a bpgo.StepHook: inside the compiled time
// loop, after every step, it updates a trainable linear node (a models.LinearReadout's Dense)
// from that step's error. With the node's recorded input x (B, F), x' = [1 | x] (ones column
// only with a bias), the node's output y = x'·[b; W] computed with the weights of this step
// and the target d (B, out):
//
//	k = P x'ᵀ             (F', B)
//	c = Σ 1/(1 + x' k)    (sum over all B×B entries; 1/(1 + x'Px'ᵀ) for B = 1)
//	P ← P − c k kᵀ
//	[b; W] ← [b; W] − c k (y − d)
//
// so the new weights apply from the next step. P starts as Alpha·I (F' × F'): Alpha is BrainPy's
// alpha, the inverse of a ridge penalty (Sussillo & Abbott's P(0) = I/α uses the reciprocal).
// The rule acts only at steps that have a target and while the runner is fitting (the node
// records its input only then). It records ‖Δ[b; W]‖ (Frobenius) per step under the key
// RLSWeightChange.
type RLS struct {
	// P is the running inverse correlation matrix (F', F').
	P *bpgo.Variable

	node          LinearFittable
	alpha         float64
	numIn, numOut int
	withBias      bool
}

// RLSWeightChange is the Context.Record key of RLS's per-step weight-change norm, shape (1,).
const RLSWeightChange = "rls.weight_change"

// NewRLS builds the rule for a trainable linear node with P(0) = alpha·I; alpha must be > 0.
func NewRLS(node LinearFittable, alpha float64) (*RLS, error) {
	const fn = "trainers.NewRLS"
	if node == nil {
		return nil, fmt.Errorf("%s: node is nil", fn)
	}
	if !(alpha > 0) || math.IsInf(alpha, 0) {
		return nil, fmt.Errorf("%s: alpha: want a finite number > 0 (the initial P = alpha·I), got %v", fn, alpha)
	}
	w, b := node.LinearWeights()
	if w == nil || w.Value() == nil || w.Shape().Rank() != 2 {
		return nil, fmt.Errorf("%s: the node's W must be a (num_in, num_out) parameter", fn)
	}
	r := &RLS{node: node, alpha: alpha, numIn: w.Shape().Dimensions[0], numOut: w.Shape().Dimensions[1], withBias: b != nil}
	r.P = bpgo.NewState(r.initialP(), -1)
	return r, nil
}

// Alpha is the initial P's scale.
func (r *RLS) Alpha() float64 { return r.alpha }

// NumFeatures is F', the size of P: num_in, plus 1 with a bias.
func (r *RLS) NumFeatures() int {
	if r.withBias {
		return r.numIn + 1
	}
	return r.numIn
}

func (r *RLS) initialP() *tensors.Tensor {
	f := r.NumFeatures()
	p := make([]float64, f*f)
	for i := range f {
		p[i*f+i] = r.alpha
	}
	return bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), p, f, f))
}

// Reset sets P back to alpha·I (the weights are kept).
func (r *RLS) Reset() { r.P.Reset(r.initialP()) }

// HookVars is the rule's own state, P.
func (r *RLS) HookVars() []*bpgo.Variable { return []*bpgo.Variable{r.P} }

// OnStep applies one RLS update (see RLS).
func (r *RLS) OnStep(sc *bpgo.StepContext) {
	if sc.Target == nil {
		return
	}
	x, ok := sc.Recorded(r.node)
	if !ok {
		return
	}
	wv, bv := r.node.LinearWeights()
	g := x.Graph()
	batch := x.Shape().Dimensions[0]
	if td := sc.Target.Shape().Dimensions; len(td) != 2 || td[0] != batch || td[1] != r.numOut {
		panic(fmt.Sprintf("trainers.RLS: target shape %s at a step, want (batch %d, %d)", sc.Target.Shape(), batch, r.numOut))
	}
	w := sc.Value(wv)
	xf := x
	full := w
	if r.withBias {
		xf = graph.Concatenate([]*graph.Node{graph.Ones(g, shapes.Make(x.DType(), batch, 1)), x}, 1)
		full = graph.Concatenate([]*graph.Node{graph.InsertAxes(sc.Value(bv), 0), w}, 0)
	}
	y := graph.MatMul(xf, full) // the node's output with this step's weights
	p := sc.Value(r.P)
	// k = P·xfᵀ, computed as (xf·Pᵀ)ᵀ: the backend's kernels then read P row by row, in the
	// order it is stored (bpgo.MatMulT).
	k := graph.Transpose(bpgo.MatMulT(xf, p), 0, 1)                                 // (F', B)
	c := graph.ReduceAllSum(graph.Inverse(graph.AddScalar(graph.MatMul(xf, k), 1))) // scalar
	// c scales the (F', B) vector, not the (F', F') product: P is the big operand, and every
	// elementwise pass over it costs as much as the k kᵀ product itself.
	ck := graph.Mul(c, k)
	sc.Set(r.P, graph.Sub(p, graph.MatMul(ck, graph.Transpose(k, 0, 1)))) // P − c k kᵀ
	dw := graph.Neg(graph.MatMul(ck, graph.Sub(y, sc.Target)))            // (F', out)
	full = graph.Add(full, dw)
	if r.withBias {
		sc.Set(bv, graph.Squeeze(graph.Slice(full, graph.AxisRange(0, 1)), 0))
		sc.Set(wv, graph.Slice(full, graph.AxisRange(1)))
	} else {
		sc.Set(wv, full)
	}
	sc.Record(RLSWeightChange, graph.Reshape(graph.Sqrt(graph.ReduceAllSum(graph.Square(dw))), 1))
}

// OnlineOptions configure an Online trainer; start from OnlineDefaults() or ForceDefaults().
type OnlineOptions struct {
	// Alpha scales RLS's initial P = Alpha·I, > 0.
	Alpha float64
	// Chunk is the runner's number of steps per compiled graph; 0 means bpgo.DefaultChunk.
	Chunk int
	// Dt is the integration step (ms); 0 means the global bpgo.Dt().
	Dt float64
	// Layout of inputs, targets and outputs: bpgo.BatchFirst (default) or bpgo.TimeFirst.
	Layout bpgo.Layout
}

// OnlineDefaults are BrainPy's OnlineTrainer defaults: fit_method=RLS(alpha=1e-7).
func OnlineDefaults() OnlineOptions { return OnlineOptions{Alpha: 1e-7, Chunk: bpgo.DefaultChunk} }

// ForceDefaults are BrainPy's ForceTrainer defaults: RLS with alpha 1 (P(0) = I).
func ForceDefaults() OnlineOptions { return OnlineOptions{Alpha: 1, Chunk: bpgo.DefaultChunk} }

// Online is BrainPy's OnlineTrainer / ForceTrainer: Fit runs the model over the inputs (state
// continues) and updates its trainable linear node after every step with the RLS rule, inside
// the compiled loop; Predict runs it without learning.
type Online struct {
	runner  *bpgo.Runner
	rule    *RLS
	name    string
	changes []float64
}

// NewOnline builds an online trainer for a model with exactly one trainable linear node (a
// models.LinearReadout, or a models.Dense in training mode).
func NewOnline(model bpgo.Stepper, opts OnlineOptions) (*Online, error) {
	const fn = "trainers.NewOnline"
	if !(opts.Alpha > 0) || math.IsInf(opts.Alpha, 0) {
		return nil, fmt.Errorf("%s: OnlineOptions.Alpha: want a finite number > 0, got %v (start from trainers.OnlineDefaults() or trainers.ForceDefaults())", fn, opts.Alpha)
	}
	tree, err := bpgo.Walk(model)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	node, name, err := oneFittable(tree)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	rule, err := NewRLS(node, opts.Alpha)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	runner, err := bpgo.NewRunner(model, bpgo.RunnerOptions{Chunk: opts.Chunk, Dt: opts.Dt, Layout: opts.Layout, Hook: rule})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	return &Online{runner: runner, rule: rule, name: name}, nil
}

// oneFittable finds the model's single trainable linear node.
func oneFittable(tree *bpgo.Tree) (LinearFittable, string, error) {
	var nodes []bpgo.ModuleInfo
	for _, m := range tree.Modules {
		if f, ok := m.Module.(LinearFittable); ok && f.Trainable() {
			nodes = append(nodes, m)
		}
	}
	switch len(nodes) {
	case 0:
		return nil, "", fmt.Errorf("the model has no trainable linear node: use a models.LinearReadout (or a models.Dense in training mode)")
	case 1:
		return nodes[0].Module.(LinearFittable), nodes[0].Path, nil
	}
	var names []string
	for _, n := range nodes {
		names = append(names, fmt.Sprintf("%q", n.Path))
	}
	return nil, "", fmt.Errorf("the model has %d trainable linear nodes (%v); an online trainer fits exactly one", len(nodes), names)
}

// Rule is the RLS rule the trainer runs (its P, Reset).
func (o *Online) Rule() *RLS { return o.rule }

// Runner is the runner that drives the model.
func (o *Online) Runner() *bpgo.Runner { return o.runner }

// Predict runs the model over inputs (B, T, F) without learning, from its current state, or
// from a reset state (ResetState to the input's batch size) if reset.
func (o *Online) Predict(inputs *tensors.Tensor, reset bool) (*tensors.Tensor, error) {
	out, err := o.runner.Run(inputs, bpgo.RunOptions{ResetState: reset})
	if err != nil {
		return nil, fmt.Errorf("trainers.Online.Predict: %w", err)
	}
	return out, nil
}

// Fit runs the model over inputs (B, T, F) from its current state, updating the trainable node
// after every step toward targets (B, T, out), and returns the outputs, each computed with the
// weights before that step's update (BrainPy's timing: in a feedback loop the value fed back is
// that output). WeightChanges then holds ‖Δ[b; W]‖ of every step.
func (o *Online) Fit(inputs, targets *tensors.Tensor) (*tensors.Tensor, error) {
	const fn = "trainers.Online.Fit"
	if targets == nil {
		return nil, fmt.Errorf("%s: targets is nil", fn)
	}
	if targets.Rank() != 3 || targets.Shape().Dimensions[2] != o.rule.numOut {
		return nil, fmt.Errorf("%s: targets: shape %s, want (batch, time, %d) (time-first with Layout TimeFirst)", fn, targets.Shape(), o.rule.numOut)
	}
	if err := bpgo.CheckFinite("targets", targets); err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	var changes []float64
	out, err := o.runner.Run(inputs, bpgo.RunOptions{Fit: true, Targets: targets, OnChunk: func(c *bpgo.Chunk) error {
		if _, ok := c.Records[o.rule.node]; !ok {
			return fmt.Errorf("node %q recorded no inputs while fitting", o.name)
		}
		dw, ok := c.Records[RLSWeightChange]
		if !ok {
			return fmt.Errorf("the RLS rule recorded no weight changes")
		}
		changes = append(changes, bpgo.ToFloat64s(dw)...)
		return nil
	}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	o.changes = changes
	return out, nil
}

// WeightChanges are ‖Δ[b; W]‖ (Frobenius) per step of the last Fit.
func (o *Online) WeightChanges() []float64 { return append([]float64(nil), o.changes...) }
