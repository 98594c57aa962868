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
	// Alpha sharpens the derivative; 0 means BrainPy's default 100.
	Alpha float64
}

func (s InvSquareGrad) alpha() float64 { return orDefault(s.Alpha, 100) }

// Validate reports a negative, NaN or infinite Alpha.
func (s InvSquareGrad) Validate() error { return checkParams(s, param{"Alpha", s.Alpha, 100}) }

// Spike implements Function.
func (s InvSquareGrad) Spike(x *graph.Node) *graph.Node { mustValidate(s); return Heaviside(x, s.Grad) }

// Grad implements Function.
func (s InvSquareGrad) Grad(x *graph.Node) *graph.Node {
	mustValidate(s)
	den := graph.OnePlus(graph.MulScalar(graph.Abs(x), s.alpha()))
	return graph.Reciprocal(graph.Square(den))
}

func (s InvSquareGrad) String() string { return fmt.Sprintf("InvSquareGrad(alpha=%g)", s.alpha()) }

// ---- parameter defaults and validation ---------------------------------------------------------

// orDefault returns v, or def when v is zero (the zero value of a field selects BrainPy's default).
func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// param is one field of a surrogate, for validation messages.
type param struct {
	name     string
	value    float64
	fallback float64 // BrainPy's default, used when value is 0
}

// checkParams checks that every parameter is finite and not negative (0 selects the default).
func checkParams(f fmt.Stringer, ps ...param) error {
	for _, p := range ps {
		if math.IsNaN(p.value) || math.IsInf(p.value, 0) || p.value < 0 {
			return fmt.Errorf("surrogate: %T.%s = %g is invalid: it must be a finite positive number "+
				"(0 selects BrainPy's default %g)", f, p.name, p.value, p.fallback)
		}
	}
	return nil
}

// validator is implemented by every Function of this package.
type validator interface{ Validate() error }

// mustValidate panics with Validate's error; Spike and Grad call it while building the graph, so
// a bad parameter fails at graph construction (an error from graph.Exec) rather than giving NaNs.
func mustValidate(v validator) {
	if err := v.Validate(); err != nil {
		panic(err)
	}
}
