package bpgo

import (
	"fmt"
	"slices"
	"sort"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// LossFunc computes a scalar loss from a run's outputs (B, T, ...) and the targets, given as
// they were passed in (BrainPy hands y to the loss untouched). Through lc it reads parameters,
// monitors and reports auxiliary metrics.
type LossFunc func(lc *LossContext, outputs, targets *graph.Node) *graph.Node

// LossContext is handed to a LossFunc while its graph is built.
type LossContext struct {
	g         *graph.Graph
	dtype     dtypes.DType
	params    map[*Variable]*graph.Node
	trainable []*Variable
	mons      map[string]*graph.Node
	aux       map[string]*graph.Node
}

func newLossContext(g *graph.Graph, dt dtypes.DType, params map[*Variable]*graph.Node, trainable []*Variable, mons map[string]*graph.Node) *LossContext {
	return &LossContext{g: g, dtype: dt, params: params, trainable: trainable, mons: mons, aux: map[string]*graph.Node{}}
}

// Graph is the graph being built.
func (lc *LossContext) Graph() *graph.Graph { return lc.g }

// DType is the model's float type.
func (lc *LossContext) DType() dtypes.DType { return lc.dtype }

// Const returns a scalar constant of the model's float type.
func (lc *LossContext) Const(x float64) *graph.Node { return graph.Scalar(lc.g, lc.dtype, x) }

// Value returns a parameter's node. State is not readable here: monitor it instead
// (GradOptions.Monitors) and read it with Monitor.
func (lc *LossContext) Value(v *Variable) *graph.Node {
	n, ok := lc.params[v]
	if !ok {
		if v.Kind == State {
			panic(fmt.Sprintf("bpgo: LossContext.Value(%q): state variables are not inputs of the loss; add %q to the monitors and use LossContext.Monitor", v.name, v.name))
		}
		panic(fmt.Sprintf("bpgo: LossContext.Value: variable %q is not a parameter of the model being trained", v.name))
	}
	return n
}

// TrainVars returns the nodes of the parameters being trained, in the model's order (BrainPy's
// model.train_vars().unique()), for regularisers such as losses.L2Norm.
func (lc *LossContext) TrainVars() []*graph.Node {
	out := make([]*graph.Node, len(lc.trainable))
	for i, v := range lc.trainable {
		out[i] = lc.params[v]
	}
	return out
}

// Monitor returns a monitored quantity of the run, (B, T, ...).
func (lc *LossContext) Monitor(name string) *graph.Node {
	n, ok := lc.mons[name]
	if !ok {
		names := make([]string, 0, len(lc.mons))
		for k := range lc.mons {
			names = append(names, k)
		}
		sort.Strings(names)
		panic(fmt.Sprintf("bpgo: LossContext.Monitor(%q): not monitored; monitors are %v (set them in the trainer's Monitors option)", name, names))
	}
	return n
}

// Aux reports an auxiliary scalar metric next to the loss (BrainPy's loss_has_aux): trainers
// average it per epoch and print it after the loss, metrics sorted by name as BrainPy does.
func (lc *LossContext) Aux(name string, value *graph.Node) {
	if name == "" {
		panic("bpgo: LossContext.Aux: empty metric name")
	}
	if _, dup := lc.aux[name]; dup {
		panic(fmt.Sprintf("bpgo: LossContext.Aux: metric %q reported twice", name))
	}
	if value.Rank() != 0 {
		panic(fmt.Sprintf("bpgo: LossContext.Aux(%q): want a scalar, got shape %s", name, value.Shape()))
	}
	lc.aux[name] = graph.StopGradient(graph.ConvertDType(value, lc.dtype))
}

// auxKeys returns the reported metric names, sorted.
func (lc *LossContext) auxKeys() []string {
	keys := make([]string, 0, len(lc.aux))
	for k := range lc.aux {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// callLoss runs a LossFunc and checks it returned a float scalar.
func callLoss(loss LossFunc, lc *LossContext, outputs, targets *graph.Node) *graph.Node {
	l := loss(lc, outputs, targets)
	if l == nil {
		panic("bpgo: the loss function returned nil")
	}
	if l.Rank() != 0 {
		panic(fmt.Sprintf("bpgo: the loss function must return a scalar, got shape %s (reduce it, e.g. with a mean)", l.Shape()))
	}
	if l.DType() != lc.dtype {
		l = graph.ConvertDType(l, lc.dtype)
	}
	return l
}
