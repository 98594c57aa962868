package models

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// Activation is an element-wise function on graph nodes, such as a layer's nonlinearity.
type Activation func(x *graph.Node) *graph.Node

// activations maps BrainPy's names (brainpy.math.activations) to their definitions, with
// BrainPy's default parameters. "linear" is a bpgo alias of "identity"; "swish" is BrainPy's
// alias of "silu".
var activations = map[string]Activation{
	"identity":   func(x *graph.Node) *graph.Node { return x },
	"linear":     func(x *graph.Node) *graph.Node { return x },
	"relu":       relu,
	"relu6":      relu6,
	"leaky_relu": leakyRelu,
	"elu":        elu,
	"selu":       selu,
	"softplus":   softplus,
	"sigmoid":    graph.Sigmoid,
	"tanh":       graph.Tanh,
	"silu":       silu,
	"swish":      silu,
	"gelu":       gelu,
}

// ActivationNames lists the names ActivationByName accepts, sorted.
func ActivationNames() []string {
	names := make([]string, 0, len(activations))
	for n := range activations {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ActivationByName returns the activation BrainPy calls name (its activation="..." argument):
//
//	identity, linear  x
//	relu              max(x, 0), gradient 0 at x = 0 (as jax.nn.relu)
//	relu6             min(max(x, 0), 6)
//	leaky_relu        x if x >= 0 else 0.01·x
//	elu               x if x > 0 else exp(x) - 1
//	selu              1.0507…·(x if x > 0 else 1.6733…·(exp(x) - 1))
//	softplus          log(1 + exp(x)), and x where x > 20 (BrainPy's threshold)
//	sigmoid           1 / (1 + exp(-x))
//	tanh              tanh(x)
//	silu, swish       x·sigmoid(x)
//	gelu              the tanh approximation (BrainPy's default approximate=True)
//
// Names are matched exactly (BrainPy looks them up as attributes); an unknown name is an error
// listing the supported ones.
func ActivationByName(name string) (Activation, error) {
	if f, ok := activations[name]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("unknown activation %q: use one of %s", name, strings.Join(ActivationNames(), ", "))
}

// relu has jax.nn.relu's gradient, 0 at x = 0 (GoMLX's Max gives 1 there). Where the backend
// has a fused relu with its own gradient (the Go backend: y = max(x, 0), dy/dx = [y > 0]) it is
// one op forward and one backward; a relu built from elementwise ops costs about 11 of them per
// step with its gradient, 15% of seed 003's E/I RNN epoch.
func relu(x *graph.Node) *graph.Node {
	if fusedRelu(x) {
		return graph.BackendFusedActivation(x, compute.ActivationConfig{Type: compute.ActivationRelu})
	}
	return reluOps(x)
}

// fusedRelu reports whether x's backend runs relu and its gradient as fused ops for x's dtype.
func fusedRelu(x *graph.Node) bool {
	if dt := x.DType(); dt != dtypes.Float32 && dt != dtypes.Float64 {
		return false
	}
	b := x.Graph().Backend()
	if b == nil {
		return false
	}
	ops := b.Capabilities().Operations
	return ops[compute.OpTypeFusedActivation] && ops[compute.OpTypeFusedActivationVJP]
}

// reluOps avoids Where, which the Go backend runs element by element (it was 15% of an RNN
// epoch): Max and Sign are vectorised. Max's own gradient is 1 at x = 0, so the gradient is
// routed through a custom identity that multiplies it by [x > 0]. XLA fuses these ops itself.
func reluOps(x *graph.Node) *graph.Node {
	zero := graph.ScalarZero(x.Graph(), x.DType())
	m := graph.StopGradient(graph.Max(graph.Sign(x), zero))
	xi := graph.IdentityWithCustomGradient(x, func(_, v *graph.Node) *graph.Node { return graph.Mul(v, m) })
	return graph.Max(xi, graph.ZerosLike(x))
}

func relu6(x *graph.Node) *graph.Node {
	return graph.Min(relu(x), graph.Scalar(x.Graph(), x.DType(), 6))
}

func leakyRelu(x *graph.Node) *graph.Node {
	return graph.Where(graph.GreaterOrEqual(x, graph.ZerosLike(x)), x, graph.MulScalar(x, 1e-2))
}

// expm1Neg is expm1(x) where x <= 0 and 0 elsewhere, so that the unused branch of elu and selu
// cannot overflow (BrainPy's safe_x).
func expm1Neg(x *graph.Node) (pos, safe *graph.Node) {
	zero := graph.ZerosLike(x)
	pos = graph.GreaterThan(x, zero)
	return pos, graph.Expm1(graph.Where(pos, zero, x))
}

func elu(x *graph.Node) *graph.Node {
	pos, em1 := expm1Neg(x)
	return graph.Where(pos, x, em1)
}

func selu(x *graph.Node) *graph.Node {
	const alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
	pos, em1 := expm1Neg(x)
	return graph.MulScalar(graph.Where(pos, x, graph.MulScalar(em1, alpha)), scale)
}

func softplus(x *graph.Node) *graph.Node {
	return graph.Where(graph.GreaterThan(x, graph.Scalar(x.Graph(), x.DType(), 20)), x, graph.Softplus(x))
}

func silu(x *graph.Node) *graph.Node { return graph.Mul(x, graph.Sigmoid(x)) }

func gelu(x *graph.Node) *graph.Node {
	inner := graph.MulScalar(graph.Add(x, graph.MulScalar(graph.Mul(graph.Mul(x, x), x), 0.044715)), math.Sqrt(2/math.Pi))
	cdf := graph.MulScalar(graph.OnePlus(graph.Tanh(inner)), 0.5)
	return graph.Mul(x, cdf)
}
