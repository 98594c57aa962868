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
	"slices"
	"sync"
	"sync/atomic"

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

	// Trees of at least bpgoGroupMinSize elements whose memory traffic, not their ops, is the
	// cost: a ReduceSum over their leading axis is folded into them, and those that share a
	// leaf run as one group (bpgoGroup).
	bpgoGroupMinSize   = 1 << 16
	bpgoGroupMaxCode   = 4 * bpgoFuseMaxNodes
	bpgoGroupMaxLeaves = 4 * bpgoFuseMaxNodes
)

// bpgoFusion is the program of one fused tree, run by its root, or of a group of trees that
// share leaves (see bpgoGroup), run by the group's last result in the schedule.
type bpgoFusion struct {
	dtype  dtypes.DType
	dims   []int // the trees' shape: every op of the program is over it
	size   int
	leaves []*Node      // external inputs, in first-use order
	scalar []bool       // leaf holds one value (broadcast)
	bcast  []*bpgoBcast // leaf broadcast along some axes (nil: the tree's shape, or scalar)
	code   []bpgoFuseOp // post-order per tree; a tree's root is its last op
	outs   []bpgoOut    // the results, one per tree
	outAt  []int        // per op: the index in outs of the result it is, or -1
	uses   []int        // each leaf once per use inside the trees, for their release
	// A group (sequential execution only) writes a result into the buffer of a leaf of its
	// shape that it owns and that nothing after it reads: useCount counts each leaf's uses.
	inPlace  bool
	useCount []int
}

// bpgoOut is one result of a program: op code's values, written to node's buffer whole or, with
// row > 0, summed over the tree's leading axis (node is then the ReduceSum that the tree's root
// fed, and row the length of the rest).
type bpgoOut struct {
	code int
	node *Node
	row  int
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
		f := &bpgoFusion{dtype: root.Shape.DType, dims: root.Shape.Dimensions, size: root.Shape.Size()}
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
		out := bpgoOut{code: len(f.code) - 1, node: root}
		if red := fe.bpgoLeadingSum(root, isOutput[i]); red != nil {
			out = bpgoOut{code: len(f.code) - 1, node: red, row: red.Shape.Size()}
		} else if len(f.code) < 2 {
			continue // nothing to fuse
		}
		f.outs = []bpgoOut{out}
		f.finish()
		if internal == nil {
			internal = make([]bool, len(nodes))
			fused = make([]*bpgoFusion, len(nodes))
		}
		for _, t := range tree {
			internal[t] = true
		}
		if out.row > 0 {
			internal[i] = true // the root's values are summed inside the program, never stored
		}
		fused[out.node.Index] = f
	}
	fe.bpgoInternal, fe.bpgoFused = internal, fused
}

// bpgoReducedAxes is the reduce ops' node data (ops.ReduceConfig): the axes they reduce.
type bpgoReducedAxes interface{ BpgoReducedAxes() []int }

// bpgoLeadingSum returns the ReduceSum over the leading axis that is the only use of root, a
// tree of at least bpgoGroupMinSize elements that is not an output; nil if there is none.
func (fe *FunctionExecutable) bpgoLeadingSum(root *Node, isOutput bool) *Node {
	i := root.Index
	if isOutput || root.Shape.Size() < bpgoGroupMinSize || root.Shape.Rank() < 2 ||
		fe.NumUses[i] != 1 || len(fe.Dependents[i]) != 1 {
		return nil
	}
	red := fe.Function.Nodes[fe.Dependents[i][0]]
	if red.OpType != compute.OpTypeReduceSum || red.IsMultiOutputs() || red.Shape.IsDynamic() ||
		red.Shape.DType != root.Shape.DType || len(red.Inputs) != 1 {
		return nil
	}
	ra, ok := red.Data.(bpgoReducedAxes)
	if !ok {
		return nil
	}
	if axes := ra.BpgoReducedAxes(); len(axes) != 1 || axes[0] != 0 {
		return nil
	}
	return red
}

// finish derives outAt and the leaves' uses from code and outs.
func (f *bpgoFusion) finish() {
	f.outAt = make([]int, len(f.code))
	for i := range f.outAt {
		f.outAt[i] = -1
	}
	for k, o := range f.outs {
		f.outAt[o.code] = k
	}
	f.uses = f.leafUses()
	f.useCount = make([]int, len(f.leaves))
	for _, k := range f.uses {
		f.useCount[k]++
	}
}

// bpgoGroup runs, in sequential execution, the large trees that share a leaf as one program:
// each block of a shared leaf is then read from memory once for all of them, instead of once
// per tree (online e-prop's (B, P, N) trace updates and the sums over its trials all read the
// same three traces). A group runs at one point of the schedule, after every leaf of its trees
// is computed and before any node consumes one of its results: the earlier of its first
// consumer and its last result. In parallel execution each tree runs on its own at its root,
// as without groups.
func (fe *FunctionExecutable) bpgoGroup() {
	if fe.bpgoFused == nil {
		return
	}
	pos := make([]int, fe.NumNodesToProcess)
	for p, idx := range fe.Schedule {
		pos[idx] = p
	}
	type member struct {
		f         *bpgoFusion
		ready     int // schedule position of its last leaf
		needed    int // schedule position of its result's first consumer (past the end: none)
		resultPos int
	}
	type group struct {
		ms                     []member
		ready, needed, lastOut int
		code, leaves           int
	}
	// shared reports whether a and b read a common leaf of the trees' whole shape.
	shared := func(a, b *bpgoFusion) bool {
		for k, la := range a.leaves {
			if a.scalar[k] || a.bcast[k] != nil {
				continue
			}
			for j, lb := range b.leaves {
				if lb == la && !b.scalar[j] && b.bcast[j] == nil {
					return true
				}
			}
		}
		return false
	}
	var groups []*group
	for _, idx := range fe.Schedule {
		f := fe.bpgoFused[idx]
		if f == nil || f.size < bpgoGroupMinSize {
			continue
		}
		m := member{f: f, ready: -1, needed: len(fe.Schedule), resultPos: pos[idx]}
		for _, l := range f.leaves {
			m.ready = max(m.ready, pos[l.Index])
		}
		for _, d := range fe.Dependents[idx] {
			m.needed = min(m.needed, pos[d])
		}
		joined := false
		for _, g := range groups {
			f0 := g.ms[0].f
			if f0.dtype != f.dtype || !slices.Equal(f0.dims, f.dims) ||
				max(g.ready, m.ready) >= min(g.needed, m.needed) ||
				g.code+len(f.code) > bpgoGroupMaxCode || g.leaves+len(f.leaves) > bpgoGroupMaxLeaves {
				continue
			}
			share := false
			for _, o := range g.ms {
				share = share || shared(o.f, f)
			}
			if !share {
				continue
			}
			g.ms = append(g.ms, m)
			g.ready, g.needed, g.lastOut = max(g.ready, m.ready), min(g.needed, m.needed), max(g.lastOut, m.resultPos)
			g.code, g.leaves = g.code+len(f.code), g.leaves+len(f.leaves)
			joined = true
			break
		}
		if !joined {
			groups = append(groups, &group{ms: []member{m}, ready: m.ready, needed: m.needed, lastOut: m.resultPos,
				code: len(f.code), leaves: len(f.leaves)})
		}
	}
	for _, g := range groups {
		at := fe.Schedule[min(g.needed, g.lastOut)]
		if len(g.ms) < 2 || (fe.bpgoGroups != nil && fe.bpgoGroups[at] != nil) {
			continue // alone, or its point of the schedule taken by another group
		}
		if fe.bpgoGroups == nil {
			fe.bpgoGroups = make([]*bpgoFusion, fe.NumNodesToProcess)
			fe.bpgoGrouped = make([]bool, fe.NumNodesToProcess)
		}
		fs := make([]*bpgoFusion, len(g.ms))
		for k, m := range g.ms {
			fs[k] = m.f
			fe.bpgoGrouped[m.f.outs[0].node.Index] = true
		}
		fe.bpgoGroups[at] = bpgoMerge(fs)
	}
}

// bpgoMerge joins trees of one shape into one program: their leaves merged, their code one
// after the other.
func bpgoMerge(g []*bpgoFusion) *bpgoFusion {
	f := &bpgoFusion{dtype: g[0].dtype, dims: g[0].dims, size: g[0].size}
	leafIdx := map[*Node]int{}
	for _, m := range g {
		base := len(f.code)
		remap := func(o int) int {
			if o >= 0 {
				return o + base
			}
			leaf := m.leaves[-o-1]
			k, ok := leafIdx[leaf]
			if !ok {
				k = len(f.leaves)
				leafIdx[leaf] = k
				f.leaves = append(f.leaves, leaf)
				f.scalar = append(f.scalar, m.scalar[-o-1])
				f.bcast = append(f.bcast, m.bcast[-o-1])
			}
			return -k - 1
		}
		for _, c := range m.code {
			op := bpgoFuseOp{op: c.op, a: remap(c.a), b: c.b}
			if !bpgoUnary(c.op) {
				op.b = remap(c.b)
			}
			f.code = append(f.code, op)
		}
		for _, o := range m.outs {
			f.outs = append(f.outs, bpgoOut{code: o.code + base, node: o.node, row: o.row})
		}
	}
	f.finish()
	f.inPlace = true
	return f
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

// Scratch: one block per op of the program, then one per leaf (a single-value leaf is spread
// over a block once per run, so that every op works on two blocks).
var bpgoScratch32 = sync.Pool{New: func() any { return new([]float32) }}
var bpgoScratch64 = sync.Pool{New: func() any { return new([]float64) }}

// bpgoExecFused runs program f, whose last result is node: the results' buffers allocated,
// every block computed through the scratch blocks, then the leaves released.
func (fe *FunctionExecutable) bpgoExecFused(backend *Backend, node *Node, execBuf *funcExecBuffers, f *bpgoFusion) error {
	var bufArr [bpgoGroupMaxLeaves + 1]*Buffer
	bufs := bufArr[:len(f.leaves)]
	var lazyArr [bpgoGroupMaxLeaves + 1]BpgoLazyLeaf
	var virtualArr [bpgoGroupMaxLeaves + 1]bool
	lazy, virtual := lazyArr[:len(f.leaves)], virtualArr[:len(f.leaves)]
	anyLazy := false
	for k, leaf := range f.leaves {
		b := execBuf.results[leaf.Index]
		if b == nil && fe.bpgoLazy != nil && fe.bpgoLazy[leaf.Index] {
			lz, v, err := fe.bpgoLazyLeaf(backend, leaf, execBuf) // bpgo_lazy.go
			if err != nil {
				return err
			}
			if lz != nil {
				lazy[k], virtual[k], anyLazy = lz, v, true
				continue
			}
			b = execBuf.results[leaf.Index]
		}
		if b == nil || !b.InUse {
			return errors.Errorf("fused %s: leaf %d (node %d, %s) not available", node.OpType, k, leaf.Index, leaf.OpType)
		}
		bufs[k] = b
	}
	var outArr [bpgoGroupMaxCode]*Buffer
	outs := outArr[:len(f.outs)]
	var takenArr [bpgoGroupMaxLeaves + 1]bool
	taken := takenArr[:len(f.leaves)] // leaves whose buffer became a result's
	inPlace := false
	for k, o := range f.outs {
		if f.inPlace && o.row == 0 {
			if j := fe.bpgoDeadLeaf(f, execBuf, taken); j >= 0 {
				taken[j], inPlace, outs[k] = true, true, bufs[j]
				bpgoInPlaceWrites.Add(1)
				continue
			}
		}
		b, err := backend.GetBuffer(o.node.Shape)
		if err != nil {
			for _, b := range outs[:k] {
				if !slices.Contains(bufs, b) { // not a leaf's buffer taken for a result
					backend.PutBuffer(b)
				}
			}
			return err
		}
		outs[k] = b
	}
	if !backend.NoOps {
		if f.dtype == dtypes.Float32 {
			bpgoRun(f, bufs, lazy, outs, inPlace, &bpgoScratch32, bpgoBin32, bpgoNeg32)
		} else {
			bpgoRun(f, bufs, lazy, outs, inPlace, &bpgoScratch64, bpgoBin64, bpgoNeg64)
		}
	}
	if anyLazy {
		for k, lz := range lazy {
			if lz != nil {
				fe.bpgoReleaseInputs(backend, f.leaves[k], virtual[k], execBuf)
			}
		}
	}
	for k, o := range f.outs {
		execBuf.results[o.node.Index] = outs[k]
		execBuf.owned[o.node.Index] = true
		outs[k].BpgoStored()
	}
	// Release the leaves as the trees' nodes would have, one count per use; a leaf whose
	// buffer is now a result is only forgotten.
	for _, k := range f.uses {
		idx := f.leaves[k].Index
		newCount := execBuf.numUsed[idx].Add(1)
		if int(newCount) == fe.NumUses[idx] && execBuf.owned[idx] {
			if b := execBuf.results[idx]; b != nil {
				if !taken[k] {
					backend.PutBuffer(b)
				}
				execBuf.results[idx] = nil
			}
		}
	}
	return nil
}

// bpgoInPlaceWrites counts the results written over a leaf (for the tests).
var bpgoInPlaceWrites atomic.Int64

// bpgoDeadLeaf returns a leaf of f, not yet taken, of the trees' shape, whose buffer f owns
// and whose every remaining use is in f, so that a result can be written over it; -1 if none.
func (fe *FunctionExecutable) bpgoDeadLeaf(f *bpgoFusion, execBuf *funcExecBuffers, taken []bool) int {
	for j, leaf := range f.leaves {
		idx := leaf.Index
		if taken[j] || f.scalar[j] || f.bcast[j] != nil || !execBuf.owned[idx] ||
			leaf.Shape.DType != f.dtype || !slices.Equal(leaf.Shape.Dimensions, f.dims) {
			continue
		}
		b := execBuf.results[idx]
		if b == nil || !b.InUse || b.Flat == nil {
			continue
		}
		if int(execBuf.numUsed[idx].Load())+f.useCount[j] == fe.NumUses[idx] {
			return j
		}
	}
	return -1
}

// bpgoRun runs program f over blocks of its elements, with scratch from pool and the dtype's
// vector kernels bin and neg.
//
// With deferred set, a result may be written over one of the leaves, which later trees of the
// program still read in the same block: whole results are computed into their blocks and
// copied out once the block's every op has run.
func bpgoRun[T float32 | float64](f *bpgoFusion, bufs []*Buffer, lazy []BpgoLazyLeaf, outBufs []*Buffer, deferred bool,
	pool *sync.Pool, bin func(op compute.OpType, dst, a, b []T), neg func(dst, a []T)) {
	var arr [bpgoGroupMaxLeaves + 1][]T
	leaves := arr[:len(bufs)]
	for k, b := range bufs {
		if lazy[k] == nil {
			leaves[k] = b.Flat.([]T)
		}
	}
	var outArr [bpgoGroupMaxCode][]T
	outs := outArr[:len(outBufs)]
	for k, b := range outBufs {
		outs[k] = b.Flat.([]T)
	}
	nc := len(f.code)
	sp := pool.Get().(*[]T)
	defer pool.Put(sp)
	if need := (nc + len(leaves)) * bpgoFuseBlock; len(*sp) < need {
		*sp = make([]T, need)
	}
	scratch := *sp
	block := func(k int) []T { return scratch[k*bpgoFuseBlock : (k+1)*bpgoFuseBlock] }
	for k, l := range leaves {
		if f.scalar[k] {
			bpgoFill(block(nc+k), l[0])
		}
	}
	// whole reports whether op i writes its result straight into its output.
	whole := func(i int) bool { return !deferred && f.outAt[i] >= 0 && f.outs[f.outAt[i]].row == 0 }
	// arg is operand o over elements [lo, hi): an op's block (a tree's root, written to its
	// output, is no other op's operand), a single-value leaf's spread block, or the leaf's own
	// slice.
	arg := func(o, lo, hi int) []T {
		switch {
		case o >= 0:
			return block(o)[:hi-lo]
		case f.scalar[-o-1] || f.bcast[-o-1] != nil || lazy[-o-1] != nil:
			return block(nc - o - 1)[:hi-lo]
		default:
			return leaves[-o-1][lo:hi]
		}
	}
	// A large program whose last axis fits a block runs over whole rows, so that a leaf
	// broadcast along its middle axes ((B, 1, N) over (B, P, N)) fills a block with the same rows
	// block after block: it is spread again only when they change (spreadAt).
	step, last := bpgoFuseBlock, f.dims[len(f.dims)-1]
	rows := f.size >= bpgoGroupMinSize && last <= bpgoFuseBlock && len(f.dims) >= 2
	var spreadAt [bpgoGroupMaxLeaves + 1]int // the row group a leaf's block holds; -1: none
	if rows {
		step = bpgoFuseBlock / last * last
		for k := range spreadAt {
			spreadAt[k] = -1
		}
	}
	for lo := 0; lo < f.size; lo += step {
		hi := min(lo+step, f.size)
		for k, bc := range f.bcast {
			if bc == nil {
				continue
			}
			if rows {
				g, ok := bc.uniformRows(lo, hi)
				if ok && hi-lo == step && g == spreadAt[k] {
					continue // the block already holds these rows
				}
				spreadAt[k] = -1
				if ok && hi-lo == step {
					spreadAt[k] = g
				}
			}
			bpgoSpread(block(nc + k)[:hi-lo], leaves[k], bc, lo)
		}
		for k, lz := range lazy {
			if lz != nil {
				switch dst := any(block(nc + k)[:hi-lo]).(type) {
				case []float32:
					lz.Fill32(dst, lo)
				case []float64:
					lz.Fill64(dst, lo)
				}
			}
		}
		for i, c := range f.code {
			dst := block(i)[:hi-lo]
			if whole(i) {
				dst = outs[f.outAt[i]][lo:hi]
			}
			switch c.op {
			case compute.OpTypeNeg:
				neg(dst, arg(c.a, lo, hi))
			case compute.OpTypeIdentity: // StopGradient's node: a copy in L1
				bpgoCopy(dst, arg(c.a, lo, hi))
			default:
				bin(c.op, dst, arg(c.a, lo, hi), arg(c.b, lo, hi))
			}
			if k := f.outAt[i]; k >= 0 && f.outs[k].row > 0 {
				bpgoSumRows(outs[k], dst, f.outs[k].row, lo, bin)
			}
		}
		if deferred {
			for k, o := range f.outs {
				if o.row == 0 {
					bpgoCopy(outs[k][lo:hi], block(o.code)[:hi-lo])
				}
			}
		}
	}
}

// bpgoSumRows adds src, the tree's elements [lo, lo+len(src)), into out, their sum over the
// leading axis (rows of length row): the first row copied, each later one added, as the
// backend's ReduceSum does, so the sums are the same.
func bpgoSumRows[T float32 | float64](out, src []T, row, lo int, bin func(op compute.OpType, dst, a, b []T)) {
	for i := 0; i < len(src); {
		pos := lo + i
		r, j := pos/row, pos%row
		n := min(row-j, len(src)-i)
		if r == 0 {
			bpgoCopy(out[j:j+n], src[i:i+n])
		} else {
			bin(compute.OpTypeAdd, out[j:j+n], out[j:j+n], src[i:i+n])
		}
		i += n
	}
}

// bpgoBcast maps a tree's elements to those of a leaf broadcast along some of its axes: the
// tree's dimensions and the leaf's stride per axis (0 along a broadcast axis).
type bpgoBcast struct {
	dims, strides []int
	// period is the number of consecutive rows (of the last axis) that read the same run of the
	// leaf: the product of the broadcast axes just before the last one; 0 where the leaf is
	// broadcast along its last axis or along none of those.
	period int
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
	if bc.strides[r-1] != 0 {
		bc.period = 1
		for a := r - 2; a >= 0 && bc.strides[a] == 0; a-- {
			bc.period *= out.Dimensions[a]
		}
		if bc.period == 1 {
			bc.period = 0
		}
	}
	return bc
}

// uniformRows reports whether the elements [lo, hi), whole rows of the last axis, all read
// the same run of the leaf: the rows lie within one group of period rows (see bpgoBcast). It
// returns that group's index, which identifies the run.
func (bc *bpgoBcast) uniformRows(lo, hi int) (int, bool) {
	last := bc.dims[len(bc.dims)-1]
	if bc.period == 0 || lo%last != 0 || (hi-lo)%last != 0 {
		return 0, false
	}
	g := lo / last / bc.period
	return g, (hi/last-1)/bc.period == g
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
			bpgoFill(dst[i:i+n], leaf[base])
		} else {
			bpgoCopy(dst[i:i+n], leaf[base+inner:base+inner+n])
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
		bpgoTail(i, n)
		for ; i < n; i++ {
			dst[i] = a[i] + b[i]
		}
	case compute.OpTypeSub:
		for ; i+16 <= n; i += 16 {
			archsimd.LoadFloat32x16(a[i : i+16]).Sub(archsimd.LoadFloat32x16(b[i : i+16])).Store(dst[i : i+16])
		}
		bpgoTail(i, n)
		for ; i < n; i++ {
			dst[i] = a[i] - b[i]
		}
	case compute.OpTypeMul:
		for ; i+16 <= n; i += 16 {
			archsimd.LoadFloat32x16(a[i : i+16]).Mul(archsimd.LoadFloat32x16(b[i : i+16])).Store(dst[i : i+16])
		}
		bpgoTail(i, n)
		for ; i < n; i++ {
			dst[i] = a[i] * b[i]
		}
	case compute.OpTypeDiv:
		for ; i+16 <= n; i += 16 {
			archsimd.LoadFloat32x16(a[i : i+16]).Div(archsimd.LoadFloat32x16(b[i : i+16])).Store(dst[i : i+16])
		}
		bpgoTail(i, n)
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
	bpgoTail(i, n)
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
		bpgoTail(i, n)
		for ; i < n; i++ {
			dst[i] = a[i] + b[i]
		}
	case compute.OpTypeSub:
		for ; i+8 <= n; i += 8 {
			archsimd.LoadFloat64x8(a[i : i+8]).Sub(archsimd.LoadFloat64x8(b[i : i+8])).Store(dst[i : i+8])
		}
		bpgoTail(i, n)
		for ; i < n; i++ {
			dst[i] = a[i] - b[i]
		}
	case compute.OpTypeMul:
		for ; i+8 <= n; i += 8 {
			archsimd.LoadFloat64x8(a[i : i+8]).Mul(archsimd.LoadFloat64x8(b[i : i+8])).Store(dst[i : i+8])
		}
		bpgoTail(i, n)
		for ; i < n; i++ {
			dst[i] = a[i] * b[i]
		}
	case compute.OpTypeDiv:
		for ; i+8 <= n; i += 8 {
			archsimd.LoadFloat64x8(a[i : i+8]).Div(archsimd.LoadFloat64x8(b[i : i+8])).Store(dst[i : i+8])
		}
		bpgoTail(i, n)
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
	bpgoTail(i, n)
	for ; i < n; i++ {
		dst[i] = -a[i]
	}
}
