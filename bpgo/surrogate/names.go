package surrogate

import (
	"fmt"
	"slices"
	"strings"
)

// byName maps BrainPy's function names (bm.surrogate.<name>) to their defaults.
var byName = map[string]Function{
	"inv_square_grad":     InvSquareGrad{Alpha: 100},
	"relu_grad":           ReluGradDefaults(),
	"sigmoid":             Sigmoid{Alpha: 4},
	"arctan":              Arctan{Alpha: 1},
	"piecewise_quadratic": PiecewiseQuadratic{Alpha: 1},
	"piecewise_exp":       PiecewiseExp{Alpha: 1},
	"soft_sign":           SoftSign{Alpha: 1},
	"erf":                 ERF{Alpha: 1},
	"gaussian_grad":       GaussianGradDefaults(),
	"multi_gaussian_grad": MultiGaussianGradDefaults(),
	"slayer_grad":         SlayerGrad{Alpha: 1},
}

// notPorted are BrainPy 2.4.3 surrogates that bpgo does not implement.
var notPorted = []string{"nonzero_sign_log", "piecewise_leaky_relu", "squarewave_fourier_series",
	"s2nn", "q_pseudo_spike", "leaky_relu", "log_tailed_relu"}

// Names lists the BrainPy names ByName accepts, sorted.
func Names() []string {
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ByName returns the surrogate with BrainPy's default parameters for a BrainPy name: a function
// name such as "inv_square_grad", "relu_grad" or "sigmoid" (see Names), or the class name
// ("InvSquareGrad", "ReluGrad", "Sigmoid", ...; case and underscores are ignored for those).
func ByName(name string) (Function, error) {
	if f, ok := byName[name]; ok {
		return f, nil
	}
	key := normalize(name)
	for n, f := range byName {
		if normalize(n) == key {
			return f, nil
		}
	}
	for _, n := range notPorted {
		if normalize(n) == key {
			return nil, fmt.Errorf("surrogate: BrainPy's %q is not implemented in bpgo; available: %s",
				name, strings.Join(Names(), ", "))
		}
	}
	return nil, fmt.Errorf("surrogate: unknown surrogate %q; available: %s", name, strings.Join(Names(), ", "))
}

func normalize(s string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", ""))
}
