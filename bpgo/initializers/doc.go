// Package initializers creates parameter values the way BrainPy's bp.init does: the same fan
// conventions (weights are (in, out); fan_in = in, fan_out = out, times the receptive field for
// higher ranks), the same variance scaling, and truncated normals clipped at ±2σ and rescaled.
//
// Values are drawn on the host from a seeded generator (bpgo.NewRNG by default), so the same
// seed gives the same weights on every backend.
package initializers
