package surrogate

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/graph"
)

// The surrogates below follow BrainPy 2.4.3's brainpy/_src/math/surrogate/_one_input.py
// formula for formula (including two of its quirks, noted on PiecewiseQuadratic and
// GaussianGrad). Every type is a plain value whose fields are used as given: Sigmoid{Alpha: 4}
// is bm.surrogate.Sigmoid(). A zero, negative, NaN or infinite field (MultiGaussianGrad's H may
// be 0) is invalid: Validate reports it with BrainPy's default, and Spike and Grad panic with
// that message while the graph is built.

// Sigmoid is bm.surrogate.Sigmoid / sigmoid: backward alpha·s·(1-s) with s = sigmoid(alpha·x),
// the derivative of sigmoid(alpha·x).
type Sigmoid struct {
	// Alpha is the slope; BrainPy's default 4.
	Alpha float64
}

// Validate reports an Alpha that is not a positive finite number.
func (s Sigmoid) Validate() error {
	return checkParams("Sigmoid", "", param{"Alpha", s.Alpha, 4, false})
}

// Spike implements Function.
func (s Sigmoid) Spike(x *graph.Node) *graph.Node { mustValidate(s); return Heaviside(x, s.Grad) }

// Grad implements Function.
func (s Sigmoid) Grad(x *graph.Node) *graph.Node {
	mustValidate(s)
	a := s.Alpha
	sg := graph.Sigmoid(graph.MulScalar(x, a))
	return graph.MulScalar(graph.Mul(graph.OneMinus(sg), sg), a)
}

func (s Sigmoid) String() string { return fmt.Sprintf("Sigmoid(alpha=%g)", s.Alpha) }

// Arctan is bm.surrogate.Arctan / arctan: backward (alpha/2) / (1 + (π/2·alpha·x)²), the
// derivative of arctan(π/2·alpha·x)/π + 1/2.
type Arctan struct {
	// Alpha is the slope; BrainPy's default 1.
	Alpha float64
}

// Validate reports an Alpha that is not a positive finite number.
func (s Arctan) Validate() error {
	return checkParams("Arctan", "", param{"Alpha", s.Alpha, 1, false})
}

// Spike implements Function.
func (s Arctan) Spike(x *graph.Node) *graph.Node { mustValidate(s); return Heaviside(x, s.Grad) }

// Grad implements Function.
func (s Arctan) Grad(x *graph.Node) *graph.Node {
	mustValidate(s)
	a := s.Alpha
	den := graph.OnePlus(graph.Square(graph.MulScalar(x, math.Pi/2*a)))
	return graph.MulScalar(graph.Reciprocal(den), a*0.5)
}

func (s Arctan) String() string { return fmt.Sprintf("Arctan(alpha=%g)", s.Alpha) }

// PiecewiseQuadratic is bm.surrogate.PiecewiseQuadratic / piecewise_quadratic: backward
// alpha - (alpha·x)² where |x| <= 1/alpha, else 0.
//
// This is BrainPy 2.4.3's backward as written; it is not the derivative of its own smooth
// primitive (origin=True), which is alpha - alpha²·|x|. The two agree at x = 0 and, for
// alpha = 1, at |x| = 1/alpha. For alpha < 1 the backward is negative near |x| = 1/alpha.
type PiecewiseQuadratic struct {
	// Alpha sets the support [-1/alpha, 1/alpha] and the peak alpha; BrainPy's default 1.
	Alpha float64
}

// Validate reports an Alpha that is not a positive finite number.
func (s PiecewiseQuadratic) Validate() error {
	return checkParams("PiecewiseQuadratic", "", param{"Alpha", s.Alpha, 1, false})
}

// Spike implements Function.
func (s PiecewiseQuadratic) Spike(x *graph.Node) *graph.Node {
	mustValidate(s)
	return Heaviside(x, s.Grad)
}

// Grad implements Function.
func (s PiecewiseQuadratic) Grad(x *graph.Node) *graph.Node {
	mustValidate(s)
	a := s.Alpha
	inside := graph.AddScalar(graph.Neg(graph.Square(graph.MulScalar(x, a))), a)
	outside := graph.GreaterThan(graph.Abs(x), graph.Scalar(x.Graph(), x.DType(), 1/a))
	return graph.Where(outside, graph.ZerosLike(x), inside)
}

func (s PiecewiseQuadratic) String() string {
	return fmt.Sprintf("PiecewiseQuadratic(alpha=%g)", s.Alpha)
}

// PiecewiseExp is bm.surrogate.PiecewiseExp / piecewise_exp: backward (alpha/2)·exp(-alpha·|x|),
// the derivative of exp(alpha·x)/2 for x < 0 and 1 - exp(-alpha·x)/2 for x >= 0.
type PiecewiseExp struct {
	// Alpha is the decay rate; BrainPy's default 1.
	Alpha float64
}

// Validate reports an Alpha that is not a positive finite number.
func (s PiecewiseExp) Validate() error {
	return checkParams("PiecewiseExp", "", param{"Alpha", s.Alpha, 1, false})
}

// Spike implements Function.
func (s PiecewiseExp) Spike(x *graph.Node) *graph.Node { mustValidate(s); return Heaviside(x, s.Grad) }

// Grad implements Function.
func (s PiecewiseExp) Grad(x *graph.Node) *graph.Node {
	mustValidate(s)
	a := s.Alpha
	return graph.MulScalar(graph.Exp(graph.MulScalar(graph.Abs(x), -a)), a/2)
}

func (s PiecewiseExp) String() string { return fmt.Sprintf("PiecewiseExp(alpha=%g)", s.Alpha) }

// SoftSign is bm.surrogate.SoftSign / soft_sign: backward (alpha/2) / (1 + |alpha·x|)², the
// derivative of x / (2/alpha + 2|x|) + 1/2.
type SoftSign struct {
	// Alpha is the slope; BrainPy's default 1.
	Alpha float64
}

// Validate reports an Alpha that is not a positive finite number.
func (s SoftSign) Validate() error {
	return checkParams("SoftSign", "", param{"Alpha", s.Alpha, 1, false})
}

// Spike implements Function.
func (s SoftSign) Spike(x *graph.Node) *graph.Node { mustValidate(s); return Heaviside(x, s.Grad) }

// Grad implements Function.
func (s SoftSign) Grad(x *graph.Node) *graph.Node {
	mustValidate(s)
	a := s.Alpha
	den := graph.Square(graph.OnePlus(graph.Abs(graph.MulScalar(x, a))))
	return graph.MulScalar(graph.Reciprocal(den), a*0.5)
}

func (s SoftSign) String() string { return fmt.Sprintf("SoftSign(alpha=%g)", s.Alpha) }

// ERF is bm.surrogate.ERF / erf: backward (alpha/√π)·exp(-alpha²·x²), the derivative of
// (1 + erf(alpha·x))/2.
type ERF struct {
	// Alpha is the slope; BrainPy's default 1.
	Alpha float64
}

// Validate reports an Alpha that is not a positive finite number.
func (s ERF) Validate() error {
	return checkParams("ERF", "", param{"Alpha", s.Alpha, 1, false})
}

// Spike implements Function.
func (s ERF) Spike(x *graph.Node) *graph.Node { mustValidate(s); return Heaviside(x, s.Grad) }

// Grad implements Function.
func (s ERF) Grad(x *graph.Node) *graph.Node {
	mustValidate(s)
	a := s.Alpha
	return graph.MulScalar(graph.Exp(graph.MulScalar(graph.Square(x), -a*a)), a/math.Sqrt(math.Pi))
}

func (s ERF) String() string { return fmt.Sprintf("ERF(alpha=%g)", s.Alpha) }

// ReluGrad is bm.surrogate.ReluGrad / relu_grad, the pseudo-derivative of Bellec et al. 2020
// (the spike function of bp.neurons.ALIFBellec2020): backward max(alpha·width - alpha·|x|, 0).
type ReluGrad struct {
	// Alpha is the peak slope per unit of width; BrainPy's default 0.3.
	Alpha float64
	// Width is the half-width of the triangle; BrainPy's default 1.
	Width float64
}

// ReluGradDefaults returns BrainPy's ReluGrad(): Alpha 0.3, Width 1.
func ReluGradDefaults() ReluGrad { return ReluGrad{Alpha: 0.3, Width: 1} }

// Validate reports an Alpha or Width that is not a positive finite number.
func (s ReluGrad) Validate() error {
	return checkParams("ReluGrad", "ReluGradDefaults()", param{"Alpha", s.Alpha, 0.3, false}, param{"Width", s.Width, 1, false})
}

// Spike implements Function.
func (s ReluGrad) Spike(x *graph.Node) *graph.Node { mustValidate(s); return Heaviside(x, s.Grad) }

// Grad implements Function.
func (s ReluGrad) Grad(x *graph.Node) *graph.Node {
	mustValidate(s)
	a, w := s.Alpha, s.Width
	tri := graph.AddScalar(graph.MulScalar(graph.Abs(x), -a), a*w)
	return graph.MaxScalar(tri, 0)
}

func (s ReluGrad) String() string {
	return fmt.Sprintf("ReluGrad(alpha=%g, width=%g)", s.Alpha, s.Width)
}

// GaussianGrad is bm.surrogate.GaussianGrad / gaussian_grad: backward
// alpha·exp(-x²·sigma²/2) / (√(2π)·sigma).
//
// This is BrainPy 2.4.3's formula as written (-(x**2) / 2 * sigma**2): sigma multiplies x² in
// the exponent instead of dividing it, so the curve is a Gaussian of width 1/sigma scaled by
// alpha/(√(2π)·sigma), not the normal density N(0, sigma²). BrainPy names sigma first.
type GaussianGrad struct {
	// Sigma sets the width 1/Sigma; BrainPy's default 0.5.
	Sigma float64
	// Alpha scales the curve; BrainPy's default 0.5.
	Alpha float64
}

// GaussianGradDefaults returns BrainPy's GaussianGrad(): Sigma 0.5, Alpha 0.5.
func GaussianGradDefaults() GaussianGrad { return GaussianGrad{Sigma: 0.5, Alpha: 0.5} }

// Validate reports a Sigma or Alpha that is not a positive finite number.
func (s GaussianGrad) Validate() error {
	return checkParams("GaussianGrad", "GaussianGradDefaults()", param{"Sigma", s.Sigma, 0.5, false}, param{"Alpha", s.Alpha, 0.5, false})
}

// Spike implements Function.
func (s GaussianGrad) Spike(x *graph.Node) *graph.Node { mustValidate(s); return Heaviside(x, s.Grad) }

// Grad implements Function.
func (s GaussianGrad) Grad(x *graph.Node) *graph.Node {
	mustValidate(s)
	sg, a := s.Sigma, s.Alpha
	e := graph.Exp(graph.MulScalar(graph.Square(x), -sg*sg/2))
	return graph.MulScalar(e, a/(math.Sqrt(2*math.Pi)*sg))
}

func (s GaussianGrad) String() string {
	return fmt.Sprintf("GaussianGrad(sigma=%g, alpha=%g)", s.Sigma, s.Alpha)
}

// MultiGaussianGrad is bm.surrogate.MultiGaussianGrad / multi_gaussian_grad (Yin et al. 2021):
// backward scale·((1+h)·N(x; 0, sigma) - h·N(x; sigma, s·sigma) - h·N(x; -sigma, s·sigma)),
// with N(x; m, d) the normal density of mean m and standard deviation d. It is negative in
// the tails.
type MultiGaussianGrad struct {
	// H >= 0 weighs the two negative side Gaussians (0: the central one only); BrainPy's
	// default 0.15.
	H float64
	// S is the side Gaussians' width relative to Sigma; BrainPy's default 6.
	S float64
	// Sigma is the central Gaussian's standard deviation; BrainPy's default 0.5.
	Sigma float64
	// Scale multiplies the whole curve; BrainPy's default 0.5.
	Scale float64
}

func (s MultiGaussianGrad) params() (h, ss, sigma, scale float64) {
	return s.H, s.S, s.Sigma, s.Scale
}

// MultiGaussianGradDefaults returns BrainPy's MultiGaussianGrad(): H 0.15, S 6, Sigma 0.5,
// Scale 0.5.
func MultiGaussianGradDefaults() MultiGaussianGrad {
	return MultiGaussianGrad{H: 0.15, S: 6, Sigma: 0.5, Scale: 0.5}
}

// Validate reports a negative H, or an S, Sigma or Scale that is not a positive finite number.
func (s MultiGaussianGrad) Validate() error {
	return checkParams("MultiGaussianGrad", "MultiGaussianGradDefaults()", param{"H", s.H, 0.15, true}, param{"S", s.S, 6, false},
		param{"Sigma", s.Sigma, 0.5, false}, param{"Scale", s.Scale, 0.5, false})
}

// Spike implements Function.
func (s MultiGaussianGrad) Spike(x *graph.Node) *graph.Node {
	mustValidate(s)
	return Heaviside(x, s.Grad)
}

// Grad implements Function.
func (s MultiGaussianGrad) Grad(x *graph.Node) *graph.Node {
	mustValidate(s)
	h, ss, sigma, scale := s.params()
	g1 := normalPDF(x, 0, sigma)
	g2 := normalPDF(x, sigma, ss*sigma)
	g3 := normalPDF(x, -sigma, ss*sigma)
	dx := graph.Sub(graph.MulScalar(g1, 1+h), graph.MulScalar(graph.Add(g2, g3), h))
	return graph.MulScalar(dx, scale)
}

// normalPDF is exp(-(x-mean)²/(2·sd²)) / (√(2π)·sd).
func normalPDF(x *graph.Node, mean, sd float64) *graph.Node {
	d := x
	if mean != 0 {
		d = graph.AddScalar(x, -mean)
	}
	e := graph.Exp(graph.MulScalar(graph.Square(d), -1/(2*sd*sd)))
	return graph.MulScalar(e, 1/(math.Sqrt(2*math.Pi)*sd))
}

func (s MultiGaussianGrad) String() string {
	h, ss, sigma, scale := s.params()
	return fmt.Sprintf("MultiGaussianGrad(h=%g, s=%g, sigma=%g, scale=%g)", h, ss, sigma, scale)
}

// SlayerGrad is bm.surrogate.SlayerGrad / slayer_grad (SLAYER, Shrestha & Orchard 2018):
// backward exp(-alpha·|x|).
type SlayerGrad struct {
	// Alpha is the decay rate; BrainPy's default 1.
	Alpha float64
}

// Validate reports an Alpha that is not a positive finite number.
func (s SlayerGrad) Validate() error {
	return checkParams("SlayerGrad", "", param{"Alpha", s.Alpha, 1, false})
}

// Spike implements Function.
func (s SlayerGrad) Spike(x *graph.Node) *graph.Node { mustValidate(s); return Heaviside(x, s.Grad) }

// Grad implements Function.
func (s SlayerGrad) Grad(x *graph.Node) *graph.Node {
	mustValidate(s)
	return graph.Exp(graph.MulScalar(graph.Abs(x), -s.Alpha))
}

func (s SlayerGrad) String() string { return fmt.Sprintf("SlayerGrad(alpha=%g)", s.Alpha) }
