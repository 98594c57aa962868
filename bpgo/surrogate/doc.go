// Package surrogate holds BrainPy's surrogate spike functions (bm.surrogate): a Heaviside step
// forward, exactly, and a smooth derivative backward, so spiking networks train by gradient
// descent. A Heaviside built from a comparison alone would silently have a zero gradient.
//
// Every Function's Spike(x) is H(x) = 1 if x >= 0 else 0 in x's float dtype (so x == 0, and
// -0, spike, as in BrainPy), and its gradient is the incoming gradient times Grad(x). The
// formulas and defaults are BrainPy 2.4.3's (brainpy/_src/math/surrogate/_one_input.py):
//
//	Go type (BrainPy name)                    defaults                            Grad(x)
//	InvSquareGrad (inv_square_grad)           Alpha 100                           1 / (alpha·|x| + 1)²
//	ReluGrad (relu_grad; Bellec 2020)         Alpha 0.3, Width 1                  max(alpha·width - alpha·|x|, 0)
//	Sigmoid (sigmoid)                         Alpha 4                             alpha·s·(1-s), s = sigmoid(alpha·x)
//	Arctan (arctan)                           Alpha 1                             (alpha/2) / (1 + (π/2·alpha·x)²)
//	PiecewiseQuadratic (piecewise_quadratic)  Alpha 1                             alpha - (alpha·x)² for |x| <= 1/alpha, else 0 (*)
//	PiecewiseExp (piecewise_exp)              Alpha 1                             (alpha/2)·exp(-alpha·|x|)
//	SoftSign (soft_sign)                      Alpha 1                             (alpha/2) / (1 + |alpha·x|)²
//	ERF (erf)                                 Alpha 1                             (alpha/√π)·exp(-alpha²·x²)
//	GaussianGrad (gaussian_grad)              Sigma 0.5, Alpha 0.5                alpha·exp(-x²·sigma²/2) / (√(2π)·sigma) (*)
//	MultiGaussianGrad (multi_gaussian_grad)   H 0.15, S 6, Sigma 0.5, Scale 0.5   scale·((1+h)·N(x;0,σ) - h·N(x;σ,sσ) - h·N(x;-σ,sσ))
//	SlayerGrad (slayer_grad)                  Alpha 1                             exp(-alpha·|x|)
//
// N(x; m, d) is the normal density with mean m and standard deviation d. (*) marks BrainPy
// 2.4.3's formulas kept as written although they are not what the name suggests:
// piecewise_quadratic's backward is not the derivative (alpha - alpha²·|x|) of its own smooth
// primitive, and gaussian_grad multiplies x² by sigma² instead of dividing.
//
// The types are plain values whose fields are used as given; the defaults column above is
// BrainPy's, written InvSquareGrad{Alpha: 100} or, for the types with several parameters,
// ReluGradDefaults(), GaussianGradDefaults() and MultiGaussianGradDefaults(). A zero, negative,
// NaN or infinite field (MultiGaussianGrad's H may be 0) is invalid: Validate() returns an
// error naming the field and BrainPy's default (the neuron constructors call it), and Spike and
// Grad panic with it while the graph is built, which graph.Exec returns as an error.
//
// ByName("relu_grad") (or the class name, "ReluGrad") returns a surrogate with BrainPy's
// defaults; Names lists the names. BrainPy's other surrogates (leaky_relu, log_tailed_relu,
// nonzero_sign_log, piecewise_leaky_relu, q_pseudo_spike, s2nn, squarewave_fourier_series) and
// the origin=True smooth forward are not implemented. Heaviside(x, grad) builds a spike with any
// other derivative.
//
// Subnormal inputs depend on the backend: XLA CPU (like JAX, hence BrainPy) flushes them to
// zero, so a negative subnormal spikes there; the Go backend does not.
package surrogate
