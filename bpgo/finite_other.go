//go:build !(amd64 && goexperiment.simd)

package bpgo

// allFinite reports whether flat holds only finite values (scalar code; the SIMD build has a
// vector version in finite_simd.go).
func allFinite[F float32 | float64](flat []F) bool { return allFiniteScalar(flat) }
