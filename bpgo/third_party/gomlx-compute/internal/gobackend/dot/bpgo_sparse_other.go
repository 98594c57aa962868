//go:build !(amd64 && goexperiment.simd)

package dot

import (
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
)

// bpgoSparse is bpgo_sparse.go's zero-skipping product, which needs AVX-512: elsewhere the
// dense kernels run.
func bpgoSparse(*NodeData, *gobackend.Buffer, *gobackend.Buffer, *gobackend.Buffer) bool {
	return false
}

// bpgoContractFirst is bpgo_contract_first.go's layout for a left factor with its contracting
// axes first, whose kernel needs AVX-512: elsewhere such products are transposed as upstream
// does.
func bpgoContractFirst(shapes.Shape, shapes.Shape, bool, bool, *NodeData) bool { return false }

// bpgoContractFirstSparse is bpgo_contract_first.go's sparse route, which needs SIMD.
func bpgoContractFirstSparse(*NodeData, *gobackend.Buffer, *gobackend.Buffer, *gobackend.Buffer) bool {
	return false
}
