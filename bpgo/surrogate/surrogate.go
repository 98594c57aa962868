package surrogate

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/graph"
)

// Function is a surrogate spike function: its forward pass is exactly the Heaviside step
// H(x) = 1 if x >= 0 else 0 (in x's dtype), and its backward pass multiplies the incoming
// gradient by Grad(x), a smooth stand-in for the step's derivative.
type Function interface {
	// Spike returns H(x) with the surrogate gradient attached.
	Spike(x *graph.Node) *graph.Node
	// Grad is the surrogate derivative dH/dx at x.
	Grad(x *graph.Node) *graph.Node
	// String names the function and its parameters, e.g. "InvSquareGrad(alpha=100)".
	String() string
	// Validate reports a parameter out of range, naming it and BrainPy's default; the neuron
	// constructors call it.
	Validate() error
}

// Heaviside returns H(x) = 1 for x >= 0, else 0, in x's dtype, with the derivative grad(x)
// (evaluated at the forward input) multiplied onto the incoming gradient in the backward pass.
// The forward value is exact: a comparison converted to floats, kept out of the gradient, plus
// an identity whose custom gradient carries the surrogate.
func Heaviside(x *graph.Node, grad func(x *graph.Node) *graph.Node) *graph.Node {
	if !x.DType().IsFloat() {
		// An error value, not a string: GoMLX's Exec turns error panics from a graph function into
		// returned errors, but re-panics other values, and graph.ExecOnce then hangs in Finalize.
		panic(fmt.Errorf("surrogate: spike input must be a float tensor, got %s", x.DType()))
	}
	step := graph.ConvertDType(graph.GreaterOrEqual(x, graph.ZerosLike(x)), x.DType())
	id := graph.IdentityWithCustomGradient(x, func(xv, v *graph.Node) *graph.Node {
		return graph.Mul(v, grad(xv))
	})
	// step + (id - sg(id)): the value is step exactly (id - id == 0); the gradient is grad(x).
	return graph.Add(graph.StopGradient(step), graph.Sub(id, graph.StopGradient(id)))
}

// InvSquareGrad is BrainPy's default surrogate (bm.surrogate.InvSquareGrad, inv_square_grad):
// backward 1 / (alpha·|x| + 1)².
type InvSquareGrad struct {
	// Alpha sharpens the derivative; BrainPy's default 100.
	Alpha float64
}

// Validate reports an Alpha that is not a positive finite number.
func (s InvSquareGrad) Validate() error {
	return checkParams("InvSquareGrad", "", param{"Alpha", s.Alpha, 100, false})
}

// Spike implements Function.
func (s InvSquareGrad) Spike(x *graph.Node) *graph.Node { mustValidate(s); return Heaviside(x, s.Grad) }

// Grad implements Function.
func (s InvSquareGrad) Grad(x *graph.Node) *graph.Node {
	mustValidate(s)
	den := graph.OnePlus(graph.MulScalar(graph.Abs(x), s.Alpha))
	return graph.Reciprocal(graph.Square(den))
}

func (s InvSquareGrad) String() string { return fmt.Sprintf("InvSquareGrad(alpha=%g)", s.Alpha) }

// ---- parameter validation ------------------------------------------------------------------

// param is one field of a surrogate, for validation messages.
type param struct {
	name      string
	value     float64
	def       float64 // BrainPy's default
	allowZero bool    // 0 is meaningful (MultiGaussianGrad's H)
}

// checkParams checks that every parameter is finite and positive (or >= 0 with allowZero);
// the error names the type, the field and BrainPy's default, and defaults, when set, the
// function that returns all of them.
func checkParams(typ, defaults string, ps ...param) error {
	for _, p := range ps {
		ok := p.value > 0 || (p.allowZero && p.value == 0)
		if ok && !math.IsInf(p.value, 0) {
			continue
		}
		want := "a positive finite number"
		if p.allowZero {
			want = "a finite number >= 0"
		}
		hint := fmt.Sprintf("%s{%s: %g}", typ, p.name, p.def)
		if defaults != "" {
			hint = "start from surrogate." + defaults
		}
		return fmt.Errorf("surrogate.%s: %s: want %s, got %g (BrainPy's default is %g: %s)", typ, p.name, want, p.value, p.def, hint)
	}
	return nil
}

// mustValidate panics with Validate's error; Spike and Grad call it while building the graph, so
// a bad parameter fails at graph construction (an error from graph.Exec) rather than giving NaNs.
func mustValidate(v Function) {
	if err := v.Validate(); err != nil {
		panic(err)
	}
}
