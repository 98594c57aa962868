package bpgo_test

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// decay is a leaky integrator: v ← 0.5·v + x, output v.
type decay struct{ V *bpgo.Variable }

func (d *decay) ResetState(batch int) { d.V.Reset(bpgo.Zeros(batch, 1)) }

func (d *decay) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	v := graph.Add(graph.MulScalar(ctx.Value(d.V), 0.5), x)
	ctx.Set(d.V, v)
	return v
}

// A runner steps a model over a sequence and monitors its state, like BrainPy's DSRunner with
// monitors=['V']; Mon["ts"] holds the times of the steps.
func ExampleRunner() {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	model := &decay{V: bpgo.NewState(bpgo.Zeros(1, 1), 0)}
	runner := bpgo.Must1(bpgo.NewRunner(model, bpgo.RunnerOptions{Dt: 0.1, Monitors: []string{"V"}}))
	x := bpgo.Must1(bpgo.Sequence([]float64{1, 0, 0, 1})) // (1, 4, 1)
	bpgo.Must1(runner.Run(x, bpgo.RunOptions{ResetState: true}))
	fmt.Println("V:", bpgo.ToFloat64s(runner.Mon["V"]))
	fmt.Println("ts:", bpgo.ToFloat64s(runner.Mon["ts"]))
	_, err := bpgo.NewRunner(model, bpgo.RunnerOptions{Monitors: []string{"v"}})
	fmt.Println(err)
	// Output:
	// V: [1 0.5 0.25 1.125]
	// ts: [0 0.1 0.2 0.30000000000000004]
	// bpgo.NewRunner: RunnerOptions.Monitors: unknown monitor "v": the model's state variables and record keys are [V]
}

// perStepRule is an online rule: after every step it moves the gain w toward the target by
// w += 0.5·x·(target − y), inside the compiled loop.
type perStepRule struct{ W *bpgo.Variable }

func (r *perStepRule) HookVars() []*bpgo.Variable { return nil }

func (r *perStepRule) OnStep(sc *bpgo.StepContext) {
	delta := graph.Mul(sc.X, graph.Sub(sc.Target, sc.Y))
	sc.Set(r.W, graph.Add(sc.Value(r.W), graph.MulScalar(graph.ReduceAllMean(delta), 0.5)))
}

// An online learning rule runs as a step hook: each step's output uses the weight the rule left
// after the previous step, as in BrainPy's OnlineTrainer.
func ExampleStepHook() {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	model := &gain{W: bpgo.NewParam(bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), []float64{0}, 1)), false)}
	runner := bpgo.Must1(bpgo.NewRunner(model, bpgo.RunnerOptions{Hook: &perStepRule{W: model.W}}))
	x := bpgo.Must1(bpgo.Sequence([]float64{1, 1, 1, 1}))
	y := bpgo.Must1(bpgo.Sequence([]float64{2, 2, 2, 2}))
	out := bpgo.Must1(runner.Run(x, bpgo.RunOptions{Targets: y}))
	fmt.Println("outputs:", bpgo.ToFloat64s(out))
	fmt.Println("w:", model.W.Float64s())
	// Output:
	// outputs: [0 1 1.5 1.75]
	// w: [1.875]
}

// leakyReadout is a leaky unit with a linear readout, split for the engine: UpdateHidden
// advances v ← 0.5·v + x and returns v; Readout maps any number of rows of v to 2·v + 1.
type leakyReadout struct {
	V     *bpgo.Variable
	calls []string
}

func (m *leakyReadout) ResetState(batch int) { m.V.Reset(bpgo.Zeros(batch, 1)) }

func (m *leakyReadout) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return m.Readout(ctx, m.UpdateHidden(ctx, x))
}

func (m *leakyReadout) UpdateHidden(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	v := graph.Add(graph.MulScalar(ctx.Value(m.V), 0.5), x)
	ctx.Set(m.V, v)
	return v
}

func (m *leakyReadout) Readout(ctx *bpgo.Context, v *graph.Node) *graph.Node {
	m.calls = append(m.calls, fmt.Sprint(v.Shape().Dimensions))
	return graph.AddScalar(graph.MulScalar(v, 2), 1)
}

// A model whose output is a stateless readout of its state can say so (bpgo.Readouter): a graph
// of several unrolled steps then reads out all of them at once, here the 4 steps of a batch of
// 1 as one (4, 1) product, with the outputs Update would give.
func ExampleReadouter() {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	model := &leakyReadout{V: bpgo.NewState(bpgo.Zeros(1, 1), 0)}
	runner := bpgo.Must1(bpgo.NewRunner(model, bpgo.RunnerOptions{Engine: bpgo.EngineUnrolled}))
	out := bpgo.Must1(runner.Run(bpgo.Must1(bpgo.Sequence([]float64{1, 0, 0, 1})), bpgo.RunOptions{ResetState: true}))
	fmt.Println("outputs:", bpgo.ToFloat64s(out))
	fmt.Println("Readout built on:", model.calls)
	// Output:
	// outputs: [3 2 1.5 3.25]
	// Readout built on: [[4 1]]
}

// targetSteps counts the steps at which it is given a target. A zero target row means no
// target for it (bpgo.ZeroTargetHook).
type targetSteps struct{ N *bpgo.Variable }

func (h *targetSteps) HookVars() []*bpgo.Variable { return []*bpgo.Variable{h.N} }

func (h *targetSteps) ZeroTargetsAreNone() {}

func (h *targetSteps) OnStep(sc *bpgo.StepContext) {
	if sc.Target != nil {
		sc.Set(h.N, graph.AddScalar(sc.Value(h.N), 1))
	}
}

// A hook for which a zero target row means no target has the chunks whose targets are all zero
// run without targets, in graphs of their own: here the first two chunks of two steps, so the
// hook sees targets at two steps of six. (The unrolled engine decides chunk by chunk; on the
// scan engine every step has its target.)
func ExampleZeroTargetHook() {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	model := &decay{V: bpgo.NewState(bpgo.Zeros(1, 1), 0)}
	hook := &targetSteps{N: bpgo.NewState(bpgo.Zeros(1), -1)}
	runner := bpgo.Must1(bpgo.NewRunner(model, bpgo.RunnerOptions{Chunk: 2, Engine: bpgo.EngineUnrolled, Hook: hook}))
	x := bpgo.Must1(bpgo.Sequence([]float64{1, 0, 0, 1, 0, 0}))
	y := bpgo.Must1(bpgo.Sequence([]float64{0, 0, 0, 0, 0, 1}))
	bpgo.Must1(runner.Run(x, bpgo.RunOptions{ResetState: true, Targets: y}))
	fmt.Println("steps run with a target:", hook.N.Float64s())
	// Output:
	// steps run with a target: [2]
}
