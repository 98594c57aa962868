package bpgo

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// GoMLX sends the whole cotangent of ReduceMax (ReduceMin) to every element that equals the
// maximum (minimum), so a maximum shared by k elements passes k times the gradient. JAX, and so
// BrainPy's bm.max / bm.min, splits it equally among the tied elements. Ties are not rare in
// the tutorials: seed 004's loss takes the maximum over time of readout traces that are exactly
// 0 at every step until a hidden spike arrives (at the start of training, for almost every
// image), where GoMLX's gradient was up to T = 100 times BrainPy's. Importing bpgo installs
// JAX's rule for both reductions in GoMLX's VJP table, for every graph built afterwards,
// graph.ReduceMax / graph.ReduceMin called directly included.
func init() {
	graph.VJPRegistration[graph.NodeTypeReduceMax] = tieSplitVJP
	graph.VJPRegistration[graph.NodeTypeReduceMin] = tieSplitVJP
}

// tieSplitVJP is JAX's reverse-mode rule for max/min reductions: the cotangent v of each
// reduced slice goes to the elements equal to the result, divided by their number.
func tieSplitVJP(node *graph.Node, vjps []*graph.Node, _ shapes.Shape) []*graph.Node {
	x := node.Inputs()[0]
	axes := reducedAxes(node, x)
	kept := x.Shape().Clone()
	for _, a := range axes {
		kept.Dimensions[a] = 1
	}
	at := graph.BroadcastToShape(graph.ReshapeWithShape(node, kept), x.Shape())
	hit := graph.ConvertDType(graph.Equal(x, at), x.DType())
	count := graph.ReshapeWithShape(graph.ReduceSum(hit, axes...), kept)
	share := graph.Div(graph.ReshapeWithShape(vjps[0], kept), count)
	return []*graph.Node{graph.Mul(hit, graph.BroadcastToShape(share, x.Shape()))}
}

var axesPattern = regexp.MustCompile(`axes=\[([0-9 ]*)\]`)

// reducedAxes recovers the axes a ReduceMax/ReduceMin node reduced. GoMLX keeps them in an
// unexported field that only the node's description shows; the result is checked against the
// shapes, so a change of that format fails loudly instead of producing a wrong gradient.
func reducedAxes(node, x *graph.Node) []int {
	desc := node.String()
	if i := strings.LastIndex(desc, " -> "); i >= 0 {
		desc = desc[:i]
	}
	m := axesPattern.FindAllStringSubmatch(desc, -1)
	if len(m) == 0 {
		panic(fmt.Sprintf("bpgo: gradient of %s: cannot find the reduced axes in %q", node.Type(), desc))
	}
	var axes []int
	for _, f := range strings.Fields(m[len(m)-1][1]) {
		a, err := strconv.Atoi(f)
		if err != nil || a < 0 || a >= x.Rank() {
			panic(fmt.Sprintf("bpgo: gradient of %s: bad axis %q in %q", node.Type(), f, desc))
		}
		axes = append(axes, a)
	}
	if len(axes) == 0 { // no axes: every axis
		for a := range x.Rank() {
			axes = append(axes, a)
		}
	}
	var want []int
	for a, d := range x.Shape().Dimensions {
		if !containsInt(axes, a) {
			want = append(want, d)
		}
	}
	got := node.Shape().Dimensions
	if len(got) != len(want) {
		panic(fmt.Sprintf("bpgo: gradient of %s: axes %v of input %s do not give output %s", node.Type(), axes, x.Shape(), node.Shape()))
	}
	for i := range got {
		if got[i] != want[i] {
			panic(fmt.Sprintf("bpgo: gradient of %s: axes %v of input %s do not give output %s", node.Type(), axes, x.Shape(), node.Shape()))
		}
	}
	return axes
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
