package models

// Shared machinery of the spiking and leaky neurons (Lif, LifRef, Integrator, Leaky,
// ALIFBellec2020): option validation, BrainPy's exponential-Euler factor and input checks.
//
// # Inputs
//
// Every neuron's Update(ctx, x) takes x, the total input current of this step, shape
// (batch, size), or nil for no input. BrainPy's neurons add the currents registered by
// projections (evaluated at the neuron's current V) to the external input before integrating;
// in bpgo the projection code sums them itself and passes the sum, reading the post-synaptic V
// with ctx.Value(neuron.V) when a current depends on it (COBA). Projections are updated before
// the neuron within the same step, as in BrainPy.
//
// # Spikes
//
// In TrainingMode spikes come from a surrogate.Function (forward: 1 where the argument is
// >= 0; backward: the surrogate derivative) and are float; in the other modes they are the
// comparison V >= V_th. bpgo stores spikes in every mode as 0/1 in the model's float type (BrainPy
// uses bool arrays outside training); the values are the same.
//
// # Time
//
// LifRef and ALIFBellec2020 (with TauRef) compare the time t of the step with the time of each
// neuron's last spike, as BrainPy does with share['t']. bpgo's Context carries no time, so these
// neurons keep a step counter Steps (a scalar state, no batch axis) that ResetState zeroes:
// t = Steps·dt, which is BrainPy's t = i·dt with i counted from the runner's last reset.

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/bpgo/surrogate"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// fieldErr formats a constructor error that names the offending argument or field, e.g.
// "models.NewLif: LifOptions.Tau: want > 0 ms, got 0 (...)".
func fieldErr(ctor, field, format string, args ...any) error {
	return fmt.Errorf("models.%s: %s: %s", ctor, field, fmt.Sprintf(format, args...))
}

// checkFinite accepts any finite number (potentials, resistances: 0 means 0).
func checkFinite(ctor, field string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fieldErr(ctor, field, "want a finite number, got %v", v)
	}
	return nil
}

// checkTimeConst accepts a positive finite time constant in ms; a zero (or any bad) value is an
// error naming BrainPy's default def and the function defaults that returns it.
func checkTimeConst(ctor, field string, v, def float64, defaults string) error {
	if v > 0 && !math.IsInf(v, 0) {
		return nil
	}
	return fieldErr(ctor, field, "want > 0 ms, got %v (BrainPy's default is %v: start from models.%s())", v, def, defaults)
}

// checkRefractory accepts a refractory period >= 0 ms (0: none).
func checkRefractory(ctor, field string, v float64) error {
	if !(v >= 0) || math.IsInf(v, 0) {
		return fieldErr(ctor, field, "want a finite number of ms >= 0 (0: none), got %v", v)
	}
	return nil
}

func checkSize(ctor string, size int) error {
	if size < 1 {
		return fieldErr(ctor, "size", "want >= 1, got %d", size)
	}
	return nil
}

// checkSurrogate validates a surrogate function's parameters.
func checkSurrogate(ctor, field string, f surrogate.Function) error {
	if err := f.Validate(); err != nil {
		return fieldErr(ctor, field, "%v", err)
	}
	return nil
}

// checkInit validates an initializer once (ResetState cannot return errors), with a throwaway
// generator so that the global random stream is not disturbed.
func checkInit(ctor, field string, init initializers.Initializer, size int) error {
	if _, err := init.Init(rand.New(rand.NewPCG(1, 2)), 1, size); err != nil {
		return fieldErr(ctor, field, "%v", err)
	}
	return nil
}

// initState draws an initializer for (batch, size) in the runtime float type (global RNG).
func initState(init initializers.Initializer, dt dtypes.DType, batch, size int) *bpgo.Variable {
	v, err := init.Init(bpgo.NewRNG(), batch, size)
	if err != nil {
		panic(fmt.Sprintf("models: initializing a neuron state: %v", err))
	}
	return bpgo.NewState(bpgo.Must1(bpgo.FromFloat64s(dt, v, batch, size)), 0)
}

// resetState redraws a state variable for a new batch size.
func resetState(v *bpgo.Variable, init initializers.Initializer, batch, size int) {
	dt := v.Value().DType()
	vals, err := init.Init(bpgo.NewRNG(), batch, size)
	if err != nil {
		panic(fmt.Sprintf("models: resetting neuron state %q: %v", v.Name(), err))
	}
	v.Reset(bpgo.Must1(bpgo.FromFloat64s(dt, vals, batch, size)))
}

// ExpEulerFactor is dt·φ(dt·L) with L = −1/tau and φ(z) = (e^z − 1)/z: BrainPy's exp_auto
// update of a linear ODE dy/dt = f(y) with ∂f/∂y = −1/tau is y' = y + ExpEulerFactor·f(y),
// which equals y + (1 − e^{−dt/tau})·(y_∞ − y) for tau·dy/dt = y_∞ − y. For Float32 the factor
// is computed with float32 roundings in BrainPy's order (L, dt·L, exp, −1, /, dt·φ), so that
// float32 runs follow BrainPy's float32 arithmetic closely.
func ExpEulerFactor(dt, tau float64, dtype dtypes.DType) float64 {
	if dtype == dtypes.Float32 {
		d, t := float32(dt), float32(tau)
		l := float32(-1) / t
		z := d * l
		phi := (float32(math.Exp(float64(z))) - 1) / z
		return float64(d * phi)
	}
	l := -1 / tau
	z := dt * l
	phi := (math.Exp(z) - 1) / z
	return dt * phi
}

// expEuler returns y + K·f for the exp_auto step with factor K (a scalar in y's dtype).
func expEuler(y, f *graph.Node, k float64) *graph.Node {
	return graph.Add(y, graph.Mul(graph.Scalar(y.Graph(), y.DType(), k), f))
}

// scalarLike is a scalar constant in x's dtype.
func scalarLike(x *graph.Node, v float64) *graph.Node {
	return graph.Scalar(x.Graph(), x.DType(), v)
}

// current returns the input current x checked against the state's shape, or zeros for nil.
func current(module string, x, like *graph.Node) *graph.Node {
	if x == nil {
		return graph.ZerosLike(like)
	}
	if !x.Shape().Equal(like.Shape()) {
		panic(fmt.Sprintf("models.%s: input current of shape %s, want %s (batch, size) in the model's float type", module, x.Shape(), like.Shape()))
	}
	return x
}

// boolToFloat converts a boolean node to 0/1 in dtype.
func boolToFloat(b *graph.Node, dtype dtypes.DType) *graph.Node {
	return graph.ConvertDType(b, dtype)
}

// fill returns a (batch, size) tensor-valued state filled with v.
func fillState(dtype dtypes.DType, v float64, batch, size int) *bpgo.Variable {
	vals := make([]float64, batch*size)
	for i := range vals {
		vals[i] = v
	}
	return bpgo.NewState(bpgo.Must1(bpgo.FromFloat64s(dtype, vals, batch, size)), 0)
}

func refill(v *bpgo.Variable, val float64, batch, size int) {
	vals := make([]float64, batch*size)
	for i := range vals {
		vals[i] = val
	}
	v.Reset(bpgo.Must1(bpgo.FromFloat64s(v.Value().DType(), vals, batch, size)))
}

// neverSpiked is BrainPy's initial t_last_spike.
const neverSpiked = -1e7
