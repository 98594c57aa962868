package gobackend

import "os"

// bpgo patch (see bpgo/third_party/README.md in bpgo's repository): tiny graphs run sequentially.
//
// When an executable is the only one running, the executor runs its nodes in parallel: every
// node that becomes ready goes to a worker. For a graph of tiny nodes (a batch-1 reservoir's
// steps: (1, 400) vectors, one after the other) each hand-off costs more than the node, and
// the workers compete with whatever else the process runs on its cores (a Ridge fit's QR
// folding). Such a graph runs sequentially, as it already does when other executions run.

// bpgoTinyOn is false with BPGO_COMPUTE_UPSTREAM set (A/B measurements).
var bpgoTinyOn = os.Getenv("BPGO_COMPUTE_UPSTREAM") == ""

// bpgoTinyMeanSize is the mean number of elements per node below which a function counts as
// tiny.
const bpgoTinyMeanSize = 1024

// bpgoTinyNodes reports whether the nodes the function runs hold fewer than
// bpgoTinyMeanSize elements on average (nodes of dynamic shape count as large).
func (fe *FunctionExecutable) bpgoTinyNodes() bool {
	if !bpgoTinyOn {
		return false
	}
	total, n := 0, 0
	for i, node := range fe.Function.Nodes[:fe.NumNodesToProcess] {
		if fe.NumUses[i] == 0 || (fe.bpgoInternal != nil && fe.bpgoInternal[i]) {
			continue
		}
		if node.Shape.IsDynamic() {
			return false
		}
		total += node.Shape.Size()
		n++
	}
	return n > 0 && total < bpgoTinyMeanSize*n
}
