//go:build !(amd64 && goexperiment.simd)

package dot

import "github.com/gomlx/compute/internal/gobackend"

// bpgoSparse is bpgo_sparse.go's zero-skipping product, which needs AVX-512: elsewhere the
// dense kernels run.
func bpgoSparse(*NodeData, *gobackend.Buffer, *gobackend.Buffer, *gobackend.Buffer) bool {
	return false
}
