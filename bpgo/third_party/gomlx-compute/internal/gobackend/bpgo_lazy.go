//go:build amd64 && goexperiment.simd

package gobackend

// bpgo patch (see bpgo/third_party/README.md in bpgo's repository): products computed inside the
// fused program that reads them.
//
// Online e-prop moves its (B, P, N) traces once per chunk as S = M·S₀ + D, with D a sparse
// product of the chunk's spikes and step weights (package dot's contract-first layout). Run as
// an op, the product writes all of D to memory and the fused trace update reads it back: two
// passes over a (B, P, N) tensor per trace, as many as the update itself. In sequential
// execution such a product, when a large fused program is its only use, is not run on its own:
// the program computes D's values block by block as it needs them (package dot's row kernel,
// the same sums in the same order, so the same bits), or runs the product itself first when
// the product does not take the sparse route (a dense left factor, a right factor holding Inf
// or NaN).

import (
	"slices"

	"github.com/gomlx/compute"
	"github.com/pkg/errors"
)

// BpgoLazyLeaf gives a leaf's values on demand: its elements [lo, lo+len(dst)) in row-major
// order, asked for in increasing lo.
type BpgoLazyLeaf interface {
	Fill32(dst []float32, lo int)
	Fill64(dst []float64, lo int)
}

// Set by package dot: BpgoLazyDotable reports whether a DotGeneral node can be computed on
// demand; BpgoLazyDot returns its values on demand from its operands' buffers, or nil when
// it must run as an op this time. rhs is the right factor's buffer, or, for a right factor
// that is a stack never built (bpgoVirtual), the buffers of the K values it stacks.
var (
	BpgoLazyDotable func(node *Node) bool
	BpgoLazyDot     func(node *Node, lhs *Buffer, rhs []*Buffer) BpgoLazyLeaf
)

// bpgoVirtualStack reports whether node, the right factor of a product computed on demand, is
// a stack that need not be built: a Concatenate along axis 1 of K values of shape (B, 1, N)
// into (B, K, N), read by nothing else. The product then reads each step's row from the value
// it stacks (online e-prop's step weights, per chunk three stacks of its steps' (B, N) values).
func (fe *FunctionExecutable) bpgoVirtualStack(node *Node, isOutput []bool) bool {
	idx := node.Index
	if node.OpType != compute.OpTypeConcatenate || idx >= fe.NumNodesToProcess || isOutput[idx] ||
		fe.NumUses[idx] != 1 || node.Shape.Rank() != 3 || node.Shape.IsDynamic() {
		return false
	}
	if axis, ok := node.Data.(int); !ok || axis != 1 || len(node.Inputs) != node.Shape.Dimensions[1] {
		return false
	}
	for _, in := range node.Inputs {
		d := in.Shape.Dimensions
		if in.Shape.DType != node.Shape.DType || len(d) != 3 || d[0] != node.Shape.Dimensions[0] || d[1] != 1 ||
			d[2] != node.Shape.Dimensions[2] || in.Index >= fe.NumNodesToProcess {
			return false
		}
	}
	return true
}

// bpgoMarkLazy marks the products that fused programs compute on demand: a leaf of the
// program's shape that is a DotGeneral BpgoLazyDotable takes, with that program its only use,
// and not an output of the function.
func (fe *FunctionExecutable) bpgoMarkLazy() {
	if fe.bpgoFused == nil || BpgoLazyDotable == nil {
		return
	}
	isOutput := make([]bool, fe.NumNodesToProcess)
	for _, o := range fe.OutputNodes {
		if o.Index < fe.NumNodesToProcess {
			isOutput[o.Index] = true
		}
	}
	for _, f := range fe.bpgoFused {
		if f == nil {
			continue
		}
		for k, leaf := range f.leaves {
			idx := leaf.Index
			if f.scalar[k] || f.bcast[k] != nil || idx >= fe.NumNodesToProcess || isOutput[idx] ||
				fe.NumUses[idx] != 1 || leaf.OpType != compute.OpTypeDotGeneral || len(leaf.Inputs) != 2 ||
				leaf.Shape.DType != f.dtype || !slices.Equal(leaf.Shape.Dimensions, f.dims) || !BpgoLazyDotable(leaf) {
				continue
			}
			if fe.bpgoLazy == nil {
				fe.bpgoLazy = make([]bool, fe.NumNodesToProcess)
				fe.bpgoVirtual = make([]bool, fe.NumNodesToProcess)
			}
			fe.bpgoLazy[idx] = true
			if rhs := leaf.Inputs[1]; rhs != leaf.Inputs[0] && fe.bpgoVirtualStack(rhs, isOutput) {
				fe.bpgoVirtual[rhs.Index] = true
			}
		}
	}
}

// bpgoLazyLeaf is called for a leaf of a fused program that has no value: a product that
// sequential execution skipped (bpgoLazy). It returns the leaf's values on demand, and whether
// they are read from the values a skipped stack would have held (bpgoVirtual); or it runs the
// product now (and the stack first, if it was skipped) and returns nil, the product's buffer
// then in execBuf.results.
func (fe *FunctionExecutable) bpgoLazyLeaf(backend *Backend, leaf *Node, execBuf *funcExecBuffers) (BpgoLazyLeaf, bool, error) {
	lhsNode, rhsNode := leaf.Inputs[0], leaf.Inputs[1]
	lhs, rhs := execBuf.results[lhsNode.Index], execBuf.results[rhsNode.Index]
	virtual := rhs == nil && fe.bpgoVirtual != nil && fe.bpgoVirtual[rhsNode.Index]
	if lhs == nil || !lhs.InUse || (!virtual && (rhs == nil || !rhs.InUse)) {
		return nil, false, errors.Errorf("fused program: the operands of product node %d are not available", leaf.Index)
	}
	rhsBufs := []*Buffer{rhs}
	if virtual {
		rhsBufs = make([]*Buffer, len(rhsNode.Inputs))
		for p, in := range rhsNode.Inputs {
			b := execBuf.results[in.Index]
			if b == nil || !b.InUse {
				return nil, false, errors.Errorf("fused program: value %d of stack node %d is not available", p, rhsNode.Index)
			}
			rhsBufs[p] = b
		}
	}
	if !backend.NoOps {
		if lz := BpgoLazyDot(leaf, lhs, rhsBufs); lz != nil {
			return lz, virtual, nil
		}
	}
	if virtual {
		if err := fe.executeNode(backend, rhsNode, execBuf, nil); err != nil {
			return nil, false, err
		}
	}
	return nil, false, fe.executeNode(backend, leaf, execBuf, nil)
}

// bpgoRelease releases the buffer of a node's input (index idx) for one use, as running the
// node would have.
func (fe *FunctionExecutable) bpgoRelease(backend *Backend, idx int, execBuf *funcExecBuffers) {
	if int(execBuf.numUsed[idx].Add(1)) == fe.NumUses[idx] && execBuf.owned[idx] {
		if b := execBuf.results[idx]; b != nil {
			backend.PutBuffer(b)
			execBuf.results[idx] = nil
		}
	}
}

// bpgoReleaseInputs releases a product computed on demand's operands as running it would have;
// with virtual, the right factor is a stack never built: its values are released instead.
func (fe *FunctionExecutable) bpgoReleaseInputs(backend *Backend, node *Node, virtual bool, execBuf *funcExecBuffers) {
	fe.bpgoRelease(backend, node.Inputs[0].Index, execBuf)
	if !virtual {
		fe.bpgoRelease(backend, node.Inputs[1].Index, execBuf)
		return
	}
	for _, in := range node.Inputs[1].Inputs {
		fe.bpgoRelease(backend, in.Index, execBuf)
	}
}
