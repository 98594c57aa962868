//go:build amd64 && goexperiment.simd

package gobackend

// bpgo patch (see bpgo/third_party/README.md in bpgo's repository): elementwise fusion.
//
// The executor runs a graph op by op, each op writing a fresh buffer: a spiking step's ~80
// elementwise ops (forward and gradient) each read and write (B, N) tensors through memory and
// pay the executor's bookkeeping. This pass finds trees of Add, Sub, Mul, Div, Neg and Identity
// on float tensors of one shape (operands may be broadcast), whose inner nodes have a single
// use, and runs each tree as one op: over blocks of bpgoFuseBlock elements, every node of the
// tree computed into a small scratch block that stays in L1, the root written to its output. Inner nodes are not executed, their buffers
// never allocated; the root releases the tree's leaves as their consumers would have. Each
// element goes through the same IEEE operations in the same order as unfused (no contraction
// into fused multiply-adds), so results are identical.

import (
	"os"
	"simd/archsimd"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/pkg/errors"
)

// bpgoFuseOn is false with BPGO_COMPUTE_UPSTREAM set (A/B measurements) or on CPUs without
// AVX-512.
var bpgoFuseOn = os.Getenv("BPGO_COMPUTE_UPSTREAM") == "" && IsAVX512Allowed

const (
	bpgoFuseBlock    = 512  // elements per block: a float64 scratch block is 4 KB
	bpgoFuseMinSize  = 1024 // smaller tensors are left to the ops (little memory traffic to save)
	bpgoFuseMaxNodes = 24   // nodes per tree
)

// bpgoFusion is the program of one fused tree, run by its root.
type bpgoFusion struct {
	dtype  dtypes.DType
	size   int
	leaves []*Node      // external inputs, in first-use order
	scalar []bool       // leaf holds one value (broadcast)
	bcast  []*bpgoBcast // leaf broadcast along some axes (nil: the tree's shape, or scalar)
	code   []bpgoFuseOp // post-order; the last one is the root
	uses   []int        // each leaf once per use inside the tree, for their release
}

// bpgoFuseOp is one node of a tree: op over operands a and b (b unused for Neg and Identity).
// An operand ≥ 0 is the result of code[operand]; < 0 is leaf -operand-1.
type bpgoFuseOp struct {
	op   compute.OpType
	a, b int
}

func bpgoFusibleOp(op compute.OpType) bool {
	switch op {
	case compute.OpTypeAdd, compute.OpTypeSub, compute.OpTypeMul, compute.OpTypeDiv, compute.OpTypeNeg, compute.OpTypeIdentity:
		return true
	}
	return false
}

// bpgoUnary reports whether op has one operand (Neg, Identity).
func bpgoUnary(op compute.OpType) bool {
	return op == compute.OpTypeNeg || op == compute.OpTypeIdentity
}

// bpgoFusible reports whether node can be part of a tree: a fusible op on float32/float64 whose
// inputs have its shape, a single value, or its shape with some axes of size 1 (broadcast, as
// the backend's binary ops broadcast them).
func bpgoFusible(node *Node) bool {
	if !bpgoFusibleOp(node.OpType) || node.IsMultiOutputs() || node.Shape.IsDynamic() {
		return false
	}
	dt := node.Shape.DType
	if dt != dtypes.Float32 && dt != dtypes.Float64 || node.Shape.Size() < bpgoFuseMinSize {
		return false
	}
	for _, in := range node.Inputs {
		if in.Shape.DType != dt || in.Shape.IsDynamic() {
			return false
		}
		if in.Shape.Size() != 1 && !in.Shape.Equal(node.Shape) && bpgoNewBcast(in.Shape, node.Shape) == nil {
			return false
		}
	}
	return true
}

// bpgoFuse builds the trees. A fusible node joins its consumer's tree when it has exactly one
// use, that consumer is fusible with the same shape, and it is not an output of the function.
func (fe *FunctionExecutable) bpgoFuse() {
	if !bpgoFuseOn {
		return
	}
	nodes := fe.Function.Nodes[:fe.NumNodesToProcess]
	isOutput := make([]bool, fe.NumNodesToProcess)
	for _, o := range fe.OutputNodes {
		isOutput[o.Index] = true
	}
	for _, n := range fe.Function.CapturedLocalNodes {
		if n.Index < len(isOutput) {
			isOutput[n.Index] = true // values handed in from outside: keep them plain
		}
	}
	fusible := make([]bool, len(nodes))
	for i, n := range nodes {
		fusible[i] = fe.NumUses[i] > 0 && bpgoFusible(n)
	}
	absorbed := func(p *Node, c *Node) bool {
		i := p.Index
		return fusible[i] && !isOutput[i] && fe.NumUses[i] == 1 && len(fe.Dependents[i]) == 1 &&
			p.Shape.Equal(c.Shape)
	}
	var internal []bool
	var fused []*bpgoFusion
	// Roots are fusible nodes that are not absorbed by their consumer. Walk from the last node
	// so that every tree is built from its root.
	for i := len(nodes) - 1; i >= 0; i-- {
		root := nodes[i]
		if !fusible[i] || (internal != nil && internal[i]) {
			continue
		}
		if len(fe.Dependents[i]) == 1 && fusible[fe.Dependents[i][0]] && absorbed(root, nodes[fe.Dependents[i][0]]) {
			continue // part of its consumer's tree
		}
		f := &bpgoFusion{dtype: root.Shape.DType, size: root.Shape.Size()}
		leafIdx := map[int]int{}
		var tree []int
		var build func(n *Node) int
		build = func(n *Node) int {
			var ops [2]int
			for j, in := range n.Inputs {
				if len(tree) < bpgoFuseMaxNodes-1 && absorbed(in, n) {
					tree = append(tree, in.Index)
					ops[j] = build(in)
					continue
				}
				k, ok := leafIdx[in.Index]
				if !ok {
					k = len(f.leaves)
					leafIdx[in.Index] = k
					f.leaves = append(f.leaves, in)
					f.scalar = append(f.scalar, in.Shape.Size() == 1)
					var bc *bpgoBcast
					if in.Shape.Size() != 1 && !in.Shape.Equal(n.Shape) {
						bc = bpgoNewBcast(in.Shape, n.Shape)
					}
					f.bcast = append(f.bcast, bc)
				}
				ops[j] = -k - 1
			}
			f.code = append(f.code, bpgoFuseOp{op: n.OpType, a: ops[0], b: ops[1]})
			return len(f.code) - 1
		}
		build(root)
		if len(f.code) < 2 {
			continue // nothing to fuse
		}
		f.uses = f.leafUses()
		if internal == nil {
			internal = make([]bool, len(nodes))
			fused = make([]*bpgoFusion, len(nodes))
		}
		for _, t := range tree {
			internal[t] = true
		}
		fused[i] = f
	}
	fe.bpgoInternal, fe.bpgoFused = internal, fused
}

// bpgoLeafUses lists, for the root's release of its leaves, each leaf once per use inside the tree.
func (f *bpgoFusion) leafUses() []int {
	var out []int
	for _, c := range f.code {
		if c.a < 0 {
			out = append(out, -c.a-1)
		}
		if !bpgoUnary(c.op) && c.b < 0 {
			out = append(out, -c.b-1)
		}
	}
	return out
}

// Scratch blocks: one per tree node, then one per leaf (a single-value leaf is spread over a
// block once per run, so that every op works on two blocks).
const bpgoScratchBlocks = 2*bpgoFuseMaxNodes + 1

var bpgoScratch32 = sync.Pool{New: func() any { return new([bpgoScratchBlocks][bpgoFuseBlock]float32) }}
var bpgoScratch64 = sync.Pool{New: func() any { return new([bpgoScratchBlocks][bpgoFuseBlock]float64) }}

// bpgoExecFused runs the tree rooted at node: output allocated, every block computed through
// the scratch blocks, then the leaves released.
func (fe *FunctionExecutable) bpgoExecFused(backend *Backend, node *Node, execBuf *funcExecBuffers, f *bpgoFusion) error {
	var bufArr [bpgoFuseMaxNodes + 1]*Buffer // a tree of n nodes has at most n+1 leaves
	bufs := bufArr[:len(f.leaves)]
	for k, leaf := range f.leaves {
		b := execBuf.results[leaf.Index]
		if b == nil || !b.InUse {
			return errors.Errorf("fused %s: leaf %d (node %d, %s) not available", node.OpType, k, leaf.Index, leaf.OpType)
		}
		bufs[k] = b
	}
	out, err := backend.GetBuffer(node.Shape)
	if err != nil {
		return err
	}
	if !backend.NoOps {
		if f.dtype == dtypes.Float32 {
			bpgoRun(f, bufs, out.Flat.([]float32), &bpgoScratch32, bpgoBin32, bpgoNeg32)
		} else {
			bpgoRun(f, bufs, out.Flat.([]float64), &bpgoScratch64, bpgoBin64, bpgoNeg64)
		}
	}
	execBuf.results[node.Index] = out
	execBuf.owned[node.Index] = true
	// Release the leaves as the tree's nodes would have, one count per use.
	for _, k := range f.uses {
		idx := f.leaves[k].Index
		newCount := execBuf.numUsed[idx].Add(1)
		if int(newCount) == fe.NumUses[idx] && execBuf.owned[idx] {
			if b := execBuf.results[idx]; b != nil {
				backend.PutBuffer(b)
				execBuf.results[idx] = nil
			}
		}
	}
	return nil
}

// bpgoRun runs the tree over blocks of out, with scratch blocks from pool and the dtype's
// vector kernels bin and neg.
func bpgoRun[T float32 | float64](f *bpgoFusion, bufs []*Buffer, out []T, pool *sync.Pool,
	bin func(op compute.OpType, dst, a, b []T), neg func(dst, a []T)) {
	var arr [bpgoFuseMaxNodes + 1][]T
	leaves := arr[:len(bufs)]
	for k, b := range bufs {
		leaves[k] = b.Flat.([]T)
	}
	s := pool.Get().(*[bpgoScratchBlocks][bpgoFuseBlock]T)
	defer pool.Put(s)
	nc := len(f.code)
	for k, l := range leaves {
		if f.scalar[k] {
			b := s[nc+k][:]
			for i := range b {
				b[i] = l[0]
			}
		}
	}
	// arg is operand o over elements [lo, hi): a node's scratch block, a single-value leaf's
	// spread block, or the leaf's own slice.
	arg := func(o, lo, hi int) []T {
		switch {
		case o >= 0:
			return s[o][:hi-lo]
		case f.scalar[-o-1] || f.bcast[-o-1] != nil:
			return s[nc-o-1][:hi-lo]
		default:
			return leaves[-o-1][lo:hi]
		}
	}
	for lo := 0; lo < f.size; lo += bpgoFuseBlock {
		hi := min(lo+bpgoFuseBlock, f.size)
		for k, bc := range f.bcast {
			if bc != nil {
				bpgoSpread(s[nc+k][:hi-lo], leaves[k], bc, lo)
			}
		}
		for i, c := range f.code {
			dst := s[i][:hi-lo]
			if i == nc-1 {
				dst = out[lo:hi]
			}
			switch c.op {
			case compute.OpTypeNeg:
				neg(dst, arg(c.a, lo, hi))
			case compute.OpTypeIdentity: // StopGradient's node: a copy in L1
				copy(dst, arg(c.a, lo, hi))
			default:
				bin(c.op, dst, arg(c.a, lo, hi), arg(c.b, lo, hi))
			}
		}
	}
}

// bpgoBcast maps a tree's elements to those of a leaf broadcast along some of its axes: the
// tree's dimensions and the leaf's stride per axis (0 along a broadcast axis).
type bpgoBcast struct {
	dims, strides []int
}

// bpgoMinRun is the shortest last axis a broadcast leaf is spread over: its blocks are
// filled one run of the last axis at a time.
const bpgoMinRun = 16

// bpgoNewBcast returns leaf's map onto shape out when leaf has out's rank and each of its axes
// is out's or 1, not all of them out's, and out's last axis is at least bpgoMinRun long; nil
// otherwise.
func bpgoNewBcast(leaf, out shapes.Shape) *bpgoBcast {
	r := out.Rank()
	if leaf.Rank() != r || r == 0 || out.Dimensions[r-1] < bpgoMinRun || leaf.Equal(out) {
		return nil
	}
	bc := &bpgoBcast{dims: out.Dimensions, strides: make([]int, r)}
	stride := 1
	for a := r - 1; a >= 0; a-- {
		switch d := leaf.Dimensions[a]; {
		case d == out.Dimensions[a]:
			bc.strides[a] = stride
			stride *= d
		case d != 1:
			return nil
		}
	}
	return bc
}

// bpgoSpread writes the leaf's values for the tree's elements [lo, lo+len(dst)) into dst, one
// run of the last axis at a time: a repeated value where the leaf is broadcast along it, a copy
// where it is not.
func bpgoSpread[T float32 | float64](dst, leaf []T, bc *bpgoBcast, lo int) {
	r := len(bc.dims)
	last, ls := bc.dims[r-1], bc.strides[r-1]
	for i, pos := 0, lo; i < len(dst); {
		outer, inner := pos/last, pos%last
		base := 0
		for a := r - 2; a >= 0; a-- {
			base += outer % bc.dims[a] * bc.strides[a]
			outer /= bc.dims[a]
		}
		n := min(last-inner, len(dst)-i)
		if ls == 0 {
			v := leaf[base]
			run := dst[i : i+n]
			for j := range run {
				run[j] = v
			}
		} else {
			copy(dst[i:i+n], leaf[base+inner:base+inner+n])
		}
		i += n
		pos += n
	}
}

func bpgoBin32(op compute.OpType, dst, a, b []float32) {
	n := len(dst)
	a, b = a[:n], b[:n]
	i := 0
	switch op {
	case compute.OpTypeAdd:
		for ; i+16 <= n; i += 16 {
			archsimd.LoadFloat32x16(a[i : i+16]).Add(archsimd.LoadFloat32x16(b[i : i+16])).Store(dst[i : i+16])
		}
		for ; i < n; i++ {
			dst[i] = a[i] + b[i]
		}
	case compute.OpTypeSub:
		for ; i+16 <= n; i += 16 {
			archsimd.LoadFloat32x16(a[i : i+16]).Sub(archsimd.LoadFloat32x16(b[i : i+16])).Store(dst[i : i+16])
		}
		for ; i < n; i++ {
			dst[i] = a[i] - b[i]
		}
	case compute.OpTypeMul:
		for ; i+16 <= n; i += 16 {
			archsimd.LoadFloat32x16(a[i : i+16]).Mul(archsimd.LoadFloat32x16(b[i : i+16])).Store(dst[i : i+16])
		}
		for ; i < n; i++ {
			dst[i] = a[i] * b[i]
		}
	case compute.OpTypeDiv:
		for ; i+16 <= n; i += 16 {
			archsimd.LoadFloat32x16(a[i : i+16]).Div(archsimd.LoadFloat32x16(b[i : i+16])).Store(dst[i : i+16])
		}
		for ; i < n; i++ {
			dst[i] = a[i] / b[i]
		}
	}
}

func bpgoNeg32(dst, a []float32) {
	n := len(dst)
	a = a[:n]
	i := 0
	for ; i+16 <= n; i += 16 {
		archsimd.LoadFloat32x16(a[i : i+16]).Neg().Store(dst[i : i+16])
	}
	for ; i < n; i++ {
		dst[i] = -a[i]
	}
}

func bpgoBin64(op compute.OpType, dst, a, b []float64) {
	n := len(dst)
	a, b = a[:n], b[:n]
	i := 0
	switch op {
	case compute.OpTypeAdd:
		for ; i+8 <= n; i += 8 {
			archsimd.LoadFloat64x8(a[i : i+8]).Add(archsimd.LoadFloat64x8(b[i : i+8])).Store(dst[i : i+8])
		}
		for ; i < n; i++ {
			dst[i] = a[i] + b[i]
		}
	case compute.OpTypeSub:
		for ; i+8 <= n; i += 8 {
			archsimd.LoadFloat64x8(a[i : i+8]).Sub(archsimd.LoadFloat64x8(b[i : i+8])).Store(dst[i : i+8])
		}
		for ; i < n; i++ {
			dst[i] = a[i] - b[i]
		}
	case compute.OpTypeMul:
		for ; i+8 <= n; i += 8 {
			archsimd.LoadFloat64x8(a[i : i+8]).Mul(archsimd.LoadFloat64x8(b[i : i+8])).Store(dst[i : i+8])
		}
		for ; i < n; i++ {
			dst[i] = a[i] * b[i]
		}
	case compute.OpTypeDiv:
		for ; i+8 <= n; i += 8 {
			archsimd.LoadFloat64x8(a[i : i+8]).Div(archsimd.LoadFloat64x8(b[i : i+8])).Store(dst[i : i+8])
		}
		for ; i < n; i++ {
			dst[i] = a[i] / b[i]
		}
	}
}

func bpgoNeg64(dst, a []float64) {
	n := len(dst)
	a = a[:n]
	i := 0
	for ; i+8 <= n; i += 8 {
		archsimd.LoadFloat64x8(a[i : i+8]).Neg().Store(dst[i : i+8])
	}
	for ; i < n; i++ {
		dst[i] = -a[i]
	}
}
