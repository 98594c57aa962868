package bpgo

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// bpgo replaces GoMLX's gradient rule for DotGeneral in two ways (importing bpgo does it).
//
// Plain matrix products (two rank-2 operands, one contracted axis each, no batch axes) get
// their own rule, whose terms are arranged for the layouts the Go backend's matmul kernels
// take (see contract). A weight gradient xᵀ·g contracts the leading (batch) axis of both
// factors; handed over as such, the backend copies BOTH factors into transposed layout first,
// at every unrolled step. The rule instead transposes only the cheaper side: x, or g and the
// small result (out = (gᵀ·x)ᵀ), whichever moves fewer elements. For seed 000's SNN, x_t is
// (256, 100) and g is (256, 10): 3,560 elements moved per step instead of 28,160.
//
// Every other DotGeneral keeps GoMLX's rule, less the Transpose it ends each term with when
// that transpose keeps every axis in place (a copy per operand term per step on the Go
// backend).
func init() {
	rule := graph.VJPRegistration[graph.NodeTypeDotGeneral]
	gomlxDotGeneralVJP = rule
	graph.VJPRegistration[graph.NodeTypeDotGeneral] = func(node *graph.Node, vjps []*graph.Node, s shapes.Shape) []*graph.Node {
		if terms := matMulVJP(node, vjps[0]); terms != nil {
			return terms
		}
		terms := rule(node, vjps, s)
		for i, t := range terms {
			terms[i] = withoutIdentityTranspose(t)
		}
		return terms
	}
}

// gomlxDotGeneralVJP is GoMLX's own rule, kept for the tests that compare the two.
var gomlxDotGeneralVJP graph.VJP

var dotGeneralPattern = regexp.MustCompile(`^Node #\d+ DotGeneral\(lhs=\[#\d+\], lhsContractingAxes=\[(\d)\], lhsBatchAxes=\[\], rhs=\[#\d+\], rhsContractingAxes=\[(\d)\], rhsBatchAxes=\[\], config=\{AccumulatorDType:InvalidDType OutputDType:InvalidDType\}\)`)

// matMulVJP returns the terms [dlhs, drhs] of a plain matrix product with cotangent g, or nil
// for any other DotGeneral. GoMLX keeps the contracted axes in unexported fields that the
// node's description shows; a description it cannot read takes GoMLX's rule (still right).
func matMulVJP(node, g *graph.Node) []*graph.Node {
	ins := node.Inputs()
	if len(ins) != 2 || ins[0].Rank() != 2 || ins[1].Rank() != 2 || node.Rank() != 2 {
		return nil
	}
	m := dotGeneralPattern.FindStringSubmatch(node.String())
	if m == nil {
		return nil
	}
	cl, cr := int(m[1][0]-'0'), int(m[2][0]-'0')
	l, r := ins[0], ins[1]
	ol, or := 1-cl, 1-cr // the free axes: g is (l's free, r's free)
	var dl, dr *graph.Node
	// dl contracts g's axis 1 with r's free axis; its axes come out in l's order.
	if ol == 0 {
		dl = contract(g, 1, r, or)
	} else {
		dl = contract(r, or, g, 1)
	}
	// dr contracts g's axis 0 with l's free axis (the batch axis of x @ w).
	if or == 0 {
		dr = contract(g, 0, l, ol)
	} else {
		dr = contract(l, ol, g, 0)
	}
	return []*graph.Node{dl, dr}
}

// contract returns the (free axis of p, free axis of q) matrix Σ_k p[k on cp]·q[k on cq] for
// rank-2 p, q, always as a product whose left factor has its contracted axis last and whose
// right factor has it first: the Go backend's kernels copy a left factor into that layout
// themselves, and take a right factor contracted on its last axis with a transposed kernel of
// 4×4 tiles that is 1.2-4× slower for these sizes (seed 002's e-prop step spent 38% of its
// time there). A right factor contracted last is transposed first; it is usually a weight,
// which the backend then transposes once per graph, as identical nodes are built once. With
// p's contracted axis first, the product transposes p, or is built the other way round and
// transposed back, whichever moves fewer elements.
func contract(p *graph.Node, cp int, q *graph.Node, cq int) *graph.Node {
	rightFirst := func(q *graph.Node, cq int) *graph.Node {
		if cq == 1 {
			return graph.Transpose(q, 0, 1)
		}
		return q
	}
	if cp == 1 {
		return graph.DotGeneral(p, []int{1}, nil, rightFirst(q, cq), []int{0}, nil)
	}
	pd, qd := p.Shape().Dimensions, q.Shape().Dimensions
	k := pd[0]
	movedP := k * pd[1] // pᵀ, and q when it is contracted last
	if cq == 1 {
		movedP += k * qd[0]
	}
	movedQ := pd[1] * qd[1-cq] // the result, and q when it is contracted first
	if cq == 0 {
		movedQ += k * qd[1]
	}
	if movedP <= movedQ {
		return graph.DotGeneral(graph.Transpose(p, 0, 1), []int{1}, nil, rightFirst(q, cq), []int{0}, nil)
	}
	qt := q
	if cq == 0 {
		qt = graph.Transpose(q, 0, 1)
	}
	return graph.Transpose(graph.DotGeneral(qt, []int{1}, nil, p, []int{0}, nil), 0, 1)
}

var permutationPattern = regexp.MustCompile(`permutation=\[([0-9 ]*)\]`)

// withoutIdentityTranspose returns n's operand when n is a Transpose that keeps every axis in
// place, and n otherwise. GoMLX keeps the permutation in an unexported field that the node's
// description shows; a description it cannot read keeps the transpose (a copy, still right).
func withoutIdentityTranspose(n *graph.Node) *graph.Node {
	if n == nil || n.Type() != graph.NodeTypeTranspose {
		return n
	}
	m := permutationPattern.FindStringSubmatch(n.String())
	if m == nil {
		return n
	}
	axes := strings.Fields(m[1])
	if len(axes) != n.Rank() {
		return n
	}
	for i, a := range axes {
		if a != strconv.Itoa(i) {
			return n
		}
	}
	return n.Inputs()[0]
}
