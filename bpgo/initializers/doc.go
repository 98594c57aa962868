// Package initializers creates parameter values the way BrainPy's bp.init does: the same fan
// conventions (weights are (in, out); fan_in = in, fan_out = out, times the receptive field for
// higher ranks), the same variance scaling, and truncated normals clipped at ±2σ and rescaled.
//
// Every initializer implements Initializer (Init(rng, dims...) returns row-major float64s); New
// and NewWithRNG turn one into a tensor of the current float type. The types are plain values
// and every field is used as given, so 0 means 0: OneInit{} fills zeros and Identity{} is a zero
// matrix. A field whose 0 is meaningless (the scale of a distribution or of a variance-scaling
// initializer, Orthogonal's Scale) is an error from Init and New that names the field and
// BrainPy's default. BrainPy's defaults, written out:
//
//	Zero{}                                 zeros (ZeroInit)
//	Constant{Value: v}                     v everywhere (Constant)
//	OneInit{Value: 1}                      ones (OneInit)
//	Identity{Scale: 1}                     the identity for a 2-D weight (Identity)
//	Normal{Mean: 0, Scale: 1}              N(Mean, Scale²) (Normal)
//	Uniform{Min: 0, Max: 1}                U[Min, Max) (Uniform)
//	TruncatedNormalDefaults()              N(Loc, Scale²) restricted to [Lower, Upper], by
//	                                       default Loc 0, Scale 1, no bounds (TruncatedNormal)
//	VarianceScaling{Scale, Mode, Distribution}
//	KaimingNormal{Scale: 2}                fan_in, truncated normal
//	KaimingUniform{Scale: 2}               fan_in, uniform
//	XavierNormal{Scale: 1}                 fan_avg, truncated normal (Dense's default W)
//	XavierUniform{Scale: 1}                fan_avg, uniform
//	LecunNormal{Scale: 1}                  fan_in, truncated normal
//	LecunUniform{Scale: 1}                 fan_in, uniform
//	OrthogonalDefaults()                   Haar orthogonal rows or columns times Scale 1 over
//	                                       Axis -1 (Orthogonal)
//
// Only the records with several non-zero defaults have a Defaults function; the others are
// written as above. Other invalid settings (an axis out of range, a rank the initializer
// cannot fill) are errors that name the field too.
//
// Values are drawn on the host from a seeded generator (bpgo.NewRNG by default), so the same
// seed gives the same weights on every backend.
package initializers
