package bpgo

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
)

// StepHook is an online learning rule (RLS/FORCE, online e-prop): it runs inside the compiled
// time loop after every step's Update, reads the step's input, output, target and the model's
// variables, and updates parameters and its own per-step variables, with no round trip to
// the host. Give it to a Runner with RunnerOptions.Hook; targets come with RunOptions.Targets.
type StepHook interface {
	// HookVars are the hook's own variables (for example RLS's P matrix or e-prop's
	// eligibility traces), created with NewState. The loop carries them from step to step
	// like the model's state and writes them back after every compiled chunk. The same
	// variables must be returned on every call.
	HookVars() []*Variable
	// OnStep builds one step of the rule. It must not return nodes: it changes values with
	// sc.Set, which accepts the model's parameters and state and the hook's variables.
	OnStep(sc *StepContext)
}

// StepContext is what a StepHook sees at one step: the model's Context (Value, Set, Index,
// T, Dt) with parameter updates allowed, the step's input X (B, F), the model's output Y and
// the step's Target (nil when the run has no targets). Last is true at the last step of the
// compiled graph, after which the hook's variables are written back: a hook that gathers
// several steps' nodes before updating its variables (e-prop's traces) must do so by then.
// The scan engine builds one step per loop body, so there every step is Last.
type StepContext struct {
	*Context
	X, Y, Target *graph.Node
	Last         bool
}

// callHook runs a hook's OnStep with parameter updates allowed.
func callHook(h StepHook, sc *StepContext) {
	sc.setParams = true
	defer func() { sc.setParams = false }()
	h.OnStep(sc)
}

// hookVars returns a hook's variables after checking them (nil for no hook).
func hookVars(h StepHook, tree *Tree) ([]*Variable, error) {
	if h == nil {
		return nil, nil
	}
	vs := h.HookVars()
	inTree := map[*Variable]bool{}
	for _, v := range tree.Vars {
		inTree[v] = true
	}
	seen := map[*Variable]bool{}
	for i, v := range vs {
		switch {
		case v == nil:
			return nil, fmt.Errorf("Hook.HookVars()[%d] is nil", i)
		case !v.has():
			return nil, fmt.Errorf("Hook.HookVars()[%d] has no value", i)
		case inTree[v]:
			return nil, fmt.Errorf("Hook.HookVars()[%d] %q belongs to the model: a hook's variables are its own", i, v.name)
		case seen[v]:
			return nil, fmt.Errorf("Hook.HookVars()[%d] is listed twice", i)
		}
		seen[v] = true
		if v.name == "" {
			v.name = fmt.Sprintf("hook.%d", i)
		}
	}
	return vs, nil
}
