//go:build amd64 && goexperiment.simd

package dot

// bpgo patch (see bpgo/third_party/README.md in bpgo's repository): a contract-first product
// computed row by row inside the fused program that reads it (gobackend's bpgo_lazy.go).

import (
	"sync/atomic"
	"unsafe"

	"github.com/gomlx/compute/internal/gobackend"
)

func init() {
	gobackend.BpgoLazyDotable = func(node *gobackend.Node) bool {
		p, ok := node.Data.(*NodeData)
		return ok && bpgoSparseOn && p.Layout == bpgoLayoutContractFirst && p.InputDType == p.OutputDType
	}
	gobackend.BpgoLazyDot = bpgoLazyDot
}

// bpgoLazyRows gives a contract-first product's output (nb, n, m) row by row through the sparse
// route's row kernel, for the op (bpgoContractFirstSparse) and for a fused program that reads
// the product (bpgoLazyDot). The right factor is one buffer (nb, k, m), or the k buffers
// (nb, 1, m) that a stack never built would have held (see bpgoContractFirstLists): rows then
// holds batch b's k rows.
type bpgoLazyRows struct {
	lists   []bpgoRowLists
	n, m, k int
	b       int // the batch rows holds
	lhs32   []uint32
	rhs32   [][]float32 // one (nb, k, m) buffer, or k (nb, 1, m) ones
	rows32  [][]float32
	row32   []float32 // the last row computed, when a block ends inside it
	lhs64   []uint64
	rhs64   [][]float64
	rows64  [][]float64
	row64   []float64
	cur     int
	bc32    bpgoBcast32
	bc64    bpgoBcast64
}

// bpgoLazyDot returns node's values on demand, or nil when the product does not take the
// sparse route (it then runs as an op, as it would have).
func bpgoLazyDot(node *gobackend.Node, lhs *gobackend.Buffer, rhs []*gobackend.Buffer) gobackend.BpgoLazyLeaf {
	z := bpgoNewListedRows(node.Data.(*NodeData), lhs, rhs)
	if z == nil {
		return nil
	}
	bpgoLazyCalls.Add(1)
	if len(rhs) > 1 {
		bpgoLazyStacked.Add(1)
	}
	return z
}

// bpgoNewListedRows returns the product's rows on demand, or nil when it does not take the
// sparse route.
func bpgoNewListedRows(params *NodeData, lhs *gobackend.Buffer, rhs []*gobackend.Buffer) *bpgoLazyRows {
	lists := bpgoContractFirstLists(params, lhs, rhs)
	if lists == nil {
		return nil
	}
	bpgoSparseCalls.Add(1)
	n, m, k := params.LHSCrossSize, params.RHSCrossSize, params.ContractingSize
	z := &bpgoLazyRows{lists: lists, n: n, m: m, k: k, cur: -1, b: -1}
	switch l := lhs.Flat.(type) {
	case []float32:
		z.lhs32 = unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(l))), len(l))
		for _, b := range rhs {
			z.rhs32 = append(z.rhs32, b.Flat.([]float32))
		}
		z.rows32, z.row32 = make([][]float32, k), make([]float32, m)
	case []float64:
		z.lhs64 = unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(l))), len(l))
		for _, b := range rhs {
			z.rhs64 = append(z.rhs64, b.Flat.([]float64))
		}
		z.rows64, z.row64 = make([][]float64, k), make([]float64, m)
	}
	return z
}

// bpgoLazyCalls counts the products computed on demand, bpgoLazyStacked those of them whose
// right factor was a stack never built (for tests).
var bpgoLazyCalls, bpgoLazyStacked atomic.Int64

// batch32 points rows at batch b's k rows of the right factor.
func (z *bpgoLazyRows) batch32(b int) {
	if b == z.b {
		return
	}
	z.b = b
	m, k := z.m, z.k
	K := len(z.rhs32)
	for p := range k {
		switch {
		case K == 1:
			z.rows32[p] = z.rhs32[0][(b*k+p)*m : (b*k+p+1)*m]
		case k == K: // stacked axis contracted, batch b
			z.rows32[p] = z.rhs32[p][b*m : (b+1)*m]
		default: // both axes contracted: p = batch·K + step
			z.rows32[p] = z.rhs32[p%K][p/K*m : (p/K+1)*m]
		}
	}
}

func (z *bpgoLazyRows) batch64(b int) {
	if b == z.b {
		return
	}
	z.b = b
	m, k := z.m, z.k
	K := len(z.rhs64)
	for p := range k {
		switch {
		case K == 1:
			z.rows64[p] = z.rhs64[0][(b*k+p)*m : (b*k+p+1)*m]
		case k == K: // stacked axis contracted, batch b
			z.rows64[p] = z.rhs64[p][b*m : (b+1)*m]
		default: // both axes contracted: p = batch·K + step
			z.rows64[p] = z.rhs64[p%K][p/K*m : (p/K+1)*m]
		}
	}
}

// Fill32 writes elements [lo, lo+len(dst)) of the output.
func (z *bpgoLazyRows) Fill32(dst []float32, lo int) {
	n, m, k := z.n, z.m, z.k
	for i := 0; i < len(dst); {
		e := lo + i
		r, j := e/m, e%m
		b, row := r/n, r%n
		if j == 0 && len(dst)-i >= m { // a whole row: straight into dst
			z.batch32(b)
			ls := &z.lists[b]
			bpgoSparseRowsRow32(z.lhs32[b*k*n:(b+1)*k*n], z.rows32, dst[i:i+m], ls.ks[ls.start[row]:ls.start[row+1]], row, n, m, &z.bc32)
			i += m
			continue
		}
		if r != z.cur {
			z.batch32(b)
			ls := &z.lists[b]
			bpgoSparseRowsRow32(z.lhs32[b*k*n:(b+1)*k*n], z.rows32, z.row32, ls.ks[ls.start[row]:ls.start[row+1]], row, n, m, &z.bc32)
			z.cur = r
		}
		c := min(len(dst)-i, m-j)
		gobackend.BpgoCopy32(dst[i:i+c], z.row32[j:j+c])
		i += c
	}
}

// Fill64 is Fill32 for float64.
func (z *bpgoLazyRows) Fill64(dst []float64, lo int) {
	n, m, k := z.n, z.m, z.k
	for i := 0; i < len(dst); {
		e := lo + i
		r, j := e/m, e%m
		b, row := r/n, r%n
		if j == 0 && len(dst)-i >= m {
			z.batch64(b)
			ls := &z.lists[b]
			bpgoSparseRowsRow64(z.lhs64[b*k*n:(b+1)*k*n], z.rows64, dst[i:i+m], ls.ks[ls.start[row]:ls.start[row+1]], row, n, m, &z.bc64)
			i += m
			continue
		}
		if r != z.cur {
			z.batch64(b)
			ls := &z.lists[b]
			bpgoSparseRowsRow64(z.lhs64[b*k*n:(b+1)*k*n], z.rows64, z.row64, ls.ks[ls.start[row]:ls.start[row+1]], row, n, m, &z.bc64)
			z.cur = r
		}
		c := min(len(dst)-i, m-j)
		gobackend.BpgoCopy64(dst[i:i+c], z.row64[j:j+c])
		i += c
	}
}
