package bpgo

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// GoMLX's gradient of DotGeneral ends each operand's term with a Transpose back to the
// operand's axis order, also when that order is already right (the identity permutation:
// for x @ w, always the term of x). The Go backend runs that as a copy, and in an unrolled
// time loop it is two ops per matrix product per step (a tenth of seed 003's E/I RNN step).
// Importing bpgo wraps GoMLX's rule so that an identity transpose is left out; the values are
// the same to the bit.
func init() {
	rule := graph.VJPRegistration[graph.NodeTypeDotGeneral]
	graph.VJPRegistration[graph.NodeTypeDotGeneral] = func(node *graph.Node, vjps []*graph.Node, s shapes.Shape) []*graph.Node {
		terms := rule(node, vjps, s)
		for i, t := range terms {
			terms[i] = withoutIdentityTranspose(t)
		}
		return terms
	}
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
