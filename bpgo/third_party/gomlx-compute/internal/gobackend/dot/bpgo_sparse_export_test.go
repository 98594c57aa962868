//go:build amd64 && goexperiment.simd

package dot

// The sparse path's switch and counter, for bpgo_sparse_test.go (package dot_test).
var (
	BpgoSparseOn    = &bpgoSparseOn
	BpgoSparseCalls = &bpgoSparseCalls
	BpgoListHits    = &bpgoListHits
	BpgoLazyCalls   = &bpgoLazyCalls
	BpgoLazyStacked = &bpgoLazyStacked
)

// BpgoSparse32 runs the float32 sparse path on one (n, k)·(k, m) product, checks included.
func BpgoSparse32(lhs, rhs, out []float32, n, m, k int) bool {
	if !bpgoFewNonzero32(lhs) || !bpgoAllFinite32(rhs) {
		return false
	}
	bpgoSparse32(lhs, rhs, out, 1, n, m, k)
	return true
}
