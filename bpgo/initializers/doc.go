// Package initializers creates parameter values the way BrainPy's bp.init does: the same fan
// conventions (weights are (in, out); fan_in = in, fan_out = out, times the receptive field for
// higher ranks), the same variance scaling, and truncated normals clipped at ±2σ and rescaled.
//
// Every initializer implements Initializer (Init(rng, dims...) returns row-major float64s); New
// and NewWithRNG turn one into a tensor of the current float type. A zero field means BrainPy's
// default, as listed:
//
//	Zero{}                     zeros (ZeroInit)
//	Constant{Value}            Value everywhere (Constant); Value 0 gives zeros
//	OneInit{Value}             Value everywhere, default 1 (OneInit)
//	Identity{Scale}            Scale·I for a 2-D weight, default 1 (Identity)
//	Normal{Mean, Scale}        N(Mean, Scale²), Scale default 1 (Normal)
//	Uniform{Min, Max}          U[Min, Max), default U[0, 1) (Uniform)
//	TruncatedNormal{Loc, Scale, Lower, Upper}
//	                           N(Loc, Scale²) restricted to [Lower, Upper] (TruncatedNormal)
//	VarianceScaling{Scale, Mode, Distribution}
//	KaimingNormal{Scale}       scale 2, fan_in, truncated normal
//	KaimingUniform{Scale}      scale 2, fan_in, uniform
//	XavierNormal{Scale}        scale 1, fan_avg, truncated normal (Dense's default W)
//	XavierUniform{Scale}       scale 1, fan_avg, uniform
//	LecunNormal{Scale}         scale 1, fan_in, truncated normal
//	LecunUniform{Scale}        scale 1, fan_in, uniform
//	Orthogonal{Scale, Axis}    Haar orthogonal rows or columns times Scale, Axis default -1
//
// Invalid settings (a negative Scale, an axis out of range, a rank the initializer cannot fill)
// are returned as errors that name the field.
//
// Values are drawn on the host from a seeded generator (bpgo.NewRNG by default), so the same
// seed gives the same weights on every backend.
package initializers
