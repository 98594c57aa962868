package bpgo

import (
	"fmt"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// The scan engine's share of an Encoder (module.go): one graph encodes a whole input sequence
// before the forward loop, the loops step on the encodings, the backward loop collects each
// step's encoding cotangent, and a second graph turns them into the encoder's parameter
// gradients with one large product per segment. Both are graphs of their own (rule 1 in
// scan.go: Encode is model code).

// encodeExec maps inputs (B, T, F) to encodings (B, T, ...) with the model's Encode.
//
// Inputs: "vars" (the model's variables) and "xs". Result: the encodings.
type encodeExec struct {
	exec *graph.Exec
	ins  argGroups
}

func newEncodeExec(b compute.Backend, s *scanStep) *encodeExec {
	ex := &encodeExec{}
	ex.ins.add("vars", len(s.vars)).add("xs", 1)
	ex.exec = graph.MustNewExec(b, func(g *graph.Graph, ins []*graph.Node) []*graph.Node {
		in := splitArgs(&ex.ins, ins)
		return []*graph.Node{encodeRows(g, s, bindInputs(s.vars, in["vars"]), in["xs"][0])}
	})
	ex.exec.SetMaxCache(-1)
	return ex
}

// encodeRows runs Encode on xs (B, K, F...) with batch and time merged, and returns (B, K, ...).
func encodeRows(g *graph.Graph, s *scanStep, values map[*Variable]*graph.Node, xs *graph.Node) *graph.Node {
	d := xs.Shape().Dimensions
	if len(d) < 2 {
		panic(fmt.Sprintf("bpgo: Encoder inputs %s: want (batch, time, ...)", xs.Shape()))
	}
	b, k := d[0], d[1]
	defer func() {
		if r := recover(); r != nil {
			panic(fmt.Sprintf("bpgo: the model's Encode: %v", r))
		}
	}()
	ctx := newContext(g, s.dtype, s.dt, false, values, nil)
	ctx.tree = s.tree
	ctx.noClock = "Encode maps input rows and reads only parameters: it has no clock (Context.Index, Context.T)"
	ctx.steps = k
	e := s.model.(Encoder).Encode(ctx, graph.Reshape(xs, append([]int{b * k}, d[2:]...)...))
	if e == nil || e.Rank() == 0 || e.Shape().Dimensions[0] != b*k {
		panic(fmt.Sprintf("bpgo: the model's Encode of inputs (%d, %v) returned %v, want (%d, ...): Encode maps rows", b*k, d[2:], shapeOf(e), b*k))
	}
	if e.DType() != s.dtype {
		panic(fmt.Sprintf("bpgo: the model's Encode returned dtype %s, want the model's float type %s", e.DType(), s.dtype))
	}
	return graph.Reshape(e, append([]int{b, k}, e.Shape().Dimensions[1:]...)...)
}

// encodeGradExec adds the gradient of Σ<Encode(x_t), gE_t> over a window of K steps to the
// parameter gradients.
//
// Inputs: "vars", "xs" (B, T, F...), "start" (the segment's first step; the window is the K
// steps from windowStart), "gE" (B, K, ...) and "acc". Result: "acc".
type encodeGradExec struct {
	exec *graph.Exec
	ins  argGroups
}

func newEncodeGradExec(b compute.Backend, s *scanStep, params []*Variable) *encodeGradExec {
	ex := &encodeGradExec{}
	ex.ins.add("vars", len(s.vars)).add("xs", 1).add("start", 1).add("gE", 1).add("acc", len(params))
	params = slices.Clone(params)
	ex.exec = graph.MustNewExec(b, func(g *graph.Graph, ins []*graph.Node) []*graph.Node {
		in := splitArgs(&ex.ins, ins)
		values := bindInputs(s.vars, in["vars"])
		xs, gE := in["xs"][0], in["gE"][0]
		k := gE.Shape().Dimensions[1]
		x := xs
		if k != xs.Shape().Dimensions[1] {
			x = sliceSteps(xs, windowStart(in["start"][0], xs.Shape().Dimensions[1], k), k)
		}
		e := encodeRows(g, s, values, x)
		grads := graph.Gradient(graph.ReduceAllSum(graph.Mul(e, gE)), valuesOfMap(values, params)...)
		out := make([]*graph.Node, len(params))
		for i := range params {
			out[i] = graph.Add(in["acc"][i], grads[i])
		}
		return out
	})
	ex.exec.SetMaxCache(-1)
	return ex
}

// windowStart is the first step of the K-step window that holds the segment starting at start
// in a sequence of T steps: start itself, or T-K for a last segment shorter than K (so that the
// window stays inside the sequence, as DynamicSlice would clamp it).
func windowStart(start *graph.Node, T, k int) *graph.Node {
	return graph.Min(start, constI32(start.Graph(), T-k))
}

// run encodes xs with the variables' current values.
func (ex *encodeExec) run(vars []*Variable, xs *tensors.Tensor) (*tensors.Tensor, error) {
	res, err := callExec(ex.exec, packArgs(&ex.ins, map[string][]any{"vars": varValues(vars), "xs": {xs}}))
	if err != nil {
		return nil, fmt.Errorf("encoding the inputs: %w", err)
	}
	return res[0], nil
}

// encode runs the encode graph on xs.
func (sc *gradScan) encode(g *Grad, xs *tensors.Tensor) (*tensors.Tensor, error) {
	g.mu.Lock()
	if sc.enc == nil {
		sc.enc = newEncodeExec(g.backend, sc.step)
	}
	ex := sc.enc
	g.mu.Unlock()
	return ex.run(g.tree.Vars, xs)
}

// encodeGrad adds the encoder's share of the parameter gradients for the segment at start.
func (sc *gradScan) encodeGrad(g *Grad, xs *tensors.Tensor, start int, gE *tensors.Tensor, acc []any) ([]any, error) {
	g.mu.Lock()
	if sc.encGrad == nil {
		sc.encGrad = newEncodeGradExec(g.backend, sc.step, g.params)
	}
	ex := sc.encGrad
	g.mu.Unlock()
	res, err := callExec(ex.exec, packArgs(&ex.ins, map[string][]any{"vars": varValues(g.tree.Vars), "xs": {xs},
		"start": {clockArg(start)}, "gE": {gE}, "acc": acc}))
	if err != nil {
		return nil, fmt.Errorf("the encoder's gradient: %w", err)
	}
	return anys(res), nil
}
