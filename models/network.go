package models

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// InSizer is implemented by nodes that can tell their input size; a Network checks the sizes
// of its edges with it (and OutSizer). Nodes without it are asked through an int field NumIn.
type InSizer interface {
	InSize() int
}

// FeedbackReceiver is a node that takes a feedback input (the output of a later node at the
// previous step) besides its feedforward input: Reservoir with ReservoirOptions.NumFeedback.
type FeedbackReceiver interface {
	bpgo.Stepper
	// FeedbackSize is the size of the feedback input; 0 means the node takes none.
	FeedbackSize() int
	// UpdateFeedback is one step with feedforward input x and feedback input fb.
	UpdateFeedback(ctx *bpgo.Context, x, fb *graph.Node) *graph.Node
}

// Edge is one connection of a node graph: From's output goes into To, either in the same step
// (feedforward) or, for a feedback edge, at the next step.
type Edge struct {
	From, To bpgo.Stepper
	Feedback bool
}

// Edges is a node graph under construction: what BrainPy 2.1.12 writes with its node operators.
//
//	models.Feedforward(i, r, o)                                 // i >> r >> o
//	models.Feedback(r, o)                                       // r << o
//	models.Feedforward(i, r, o).And(models.Feedback(r, o))      // (i >> r >> o) & (r << o)
//
// NewNetwork checks it and builds the model. Mistakes found while building (a nil node, a node
// repeated in one chain) are kept and reported by NewNetwork.
type Edges struct {
	nodes []bpgo.Stepper
	edges []Edge
	errs  []string
}

// Feedforward chains nodes in order, like a >> b >> c: each node's output is the next one's
// input within the same time step. A single node makes a graph of one node.
func Feedforward(chain ...bpgo.Stepper) Edges {
	var e Edges
	if len(chain) == 0 {
		e.errs = append(e.errs, "Feedforward: no nodes")
	}
	for i, n := range chain {
		if isNil(n) {
			e.errs = append(e.errs, fmt.Sprintf("Feedforward: node %d is nil", i))
			continue
		}
		if j := slices.IndexFunc(chain[:i], func(m bpgo.Stepper) bool { return !isNil(m) && m == n }); j >= 0 {
			e.errs = append(e.errs, fmt.Sprintf("Feedforward: node %d (%T) is node %d again: a node is used once in a chain", i, n, j))
			continue
		}
		e.add(n)
		if i > 0 && !isNil(chain[i-1]) {
			e.edges = append(e.edges, Edge{From: chain[i-1], To: n})
		}
	}
	return e
}

// Feedback feeds sender's output back into receiver, like receiver << sender: at every step the
// receiver gets the sender's output of the previous step (zeros after a reset). The receiver
// must take feedback (FeedbackReceiver) and lie upstream of the sender.
func Feedback(receiver, sender bpgo.Stepper) Edges {
	var e Edges
	switch {
	case isNil(receiver):
		e.errs = append(e.errs, "Feedback: receiver is nil")
	case isNil(sender):
		e.errs = append(e.errs, "Feedback: sender is nil")
	default:
		e.add(receiver)
		e.add(sender)
		e.edges = append(e.edges, Edge{From: sender, To: receiver, Feedback: true})
	}
	return e
}

// And merges two graphs, like a & b: the union of their nodes and edges (shared nodes are the
// same node).
func (e Edges) And(other Edges) Edges {
	out := Edges{nodes: slices.Clone(e.nodes), edges: slices.Clone(e.edges), errs: slices.Concat(e.errs, other.errs)}
	for _, n := range other.nodes {
		out.add(n)
	}
	for _, ed := range other.edges {
		if !slices.Contains(out.edges, ed) {
			out.edges = append(out.edges, ed)
		}
	}
	return out
}

func (e *Edges) add(n bpgo.Stepper) {
	if !slices.Contains(e.nodes, n) {
		e.nodes = append(e.nodes, n)
	}
}

// Network is a node graph run as one model (BrainPy 2.1.12's bp.nn.Network): each step, the
// entry nodes (those without feedforward senders) get the step's input, every other node runs
// once all its feedforward senders have, on their outputs concatenated in the order the edges
// were given, and the output is the exit node's. A node with feedback senders gets their
// outputs of the previous step, kept in FeedbackOut (zeros after a reset), as its feedback
// input. The Network is a bpgo.Stepper: runners and trainers take it as a model and find its
// nodes' variables in Nodes; a struct with an Update method can hold it as a field.
type Network struct {
	// Nodes in run order.
	Nodes []bpgo.Stepper
	// FeedbackOut holds, per feedback sender (in the order of Senders), its last output
	// (batch, size).
	FeedbackOut []*bpgo.Variable

	names   []string
	ff, fb  [][]int // per node: indices of its feedforward / feedback senders
	fbIdx   []int   // per node: its index in FeedbackOut, or -1
	outSize []int
	entries []int
	exit    int
	edges   []Edge
}

// NewNetwork checks a node graph and builds it. Errors name the nodes at fault: a cycle of
// feedforward edges (use a Feedback edge to close a loop), an input size that differs from the
// sum of its senders' output sizes, a feedback edge into a node that takes no feedback or whose
// feedback size differs, a feedback sender that is not downstream of its receiver, a graph with
// more than one exit node, and the mistakes kept by Feedforward and Feedback.
func NewNetwork(e Edges) (*Network, error) {
	const fn = "models.NewNetwork"
	if len(e.errs) > 0 {
		return nil, fmt.Errorf("%s: %s", fn, strings.Join(e.errs, "; "))
	}
	if len(e.nodes) == 0 {
		return nil, fmt.Errorf("%s: the graph has no nodes", fn)
	}
	n := len(e.nodes)
	idx := map[bpgo.Stepper]int{}
	for i, nd := range e.nodes {
		idx[nd] = i
	}
	names := nodeNames(e.nodes)
	ff, fb := make([][]int, n), make([][]int, n)
	for _, ed := range e.edges {
		from, to := idx[ed.From], idx[ed.To]
		if ed.Feedback {
			fb[to] = append(fb[to], from)
		} else {
			if from == to {
				return nil, fmt.Errorf("%s: feedforward edge from %s to itself: a node's own state is its recurrence; use Feedback for a loop", fn, names[from])
			}
			ff[to] = append(ff[to], from)
		}
	}
	order, err := topoOrder(ff, names)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	// Sizes.
	sizes := make([]int, n)
	for i, nd := range e.nodes {
		s, ok := outSize(nd)
		if !ok {
			return nil, fmt.Errorf("%s: node %s (%T) does not tell its output size (give it an OutSize method)", fn, names[i], nd)
		}
		sizes[i] = s
	}
	var entries []int
	var exits []string
	exit := -1
	hasSucc := make([]bool, n)
	for to := range n {
		for _, from := range ff[to] {
			hasSucc[from] = true
		}
	}
	for i, nd := range e.nodes {
		in, ok := inSize(nd)
		if len(ff[i]) == 0 {
			entries = append(entries, i)
		} else {
			sum := 0
			var parts []string
			for _, s := range ff[i] {
				sum += sizes[s]
				parts = append(parts, fmt.Sprintf("%s (%d)", names[s], sizes[s]))
			}
			if ok && in != sum {
				return nil, fmt.Errorf("%s: size mismatch: %s takes %d inputs but its feedforward senders give %d: %s", fn, names[i], in, sum, strings.Join(parts, " + "))
			}
		}
		if len(fb[i]) > 0 {
			r, isRecv := nd.(FeedbackReceiver)
			if !isRecv || r.FeedbackSize() == 0 {
				return nil, fmt.Errorf("%s: feedback from %s into %s, which takes no feedback input (a Reservoir does with ReservoirOptions.NumFeedback)", fn, names[fb[i][0]], names[i])
			}
			sum := 0
			var parts []string
			for _, s := range fb[i] {
				sum += sizes[s]
				parts = append(parts, fmt.Sprintf("%s (%d)", names[s], sizes[s]))
				if !reaches(ff, i, s) {
					return nil, fmt.Errorf("%s: feedback from %s into %s, but %s is not downstream of %s: feedback goes from a later node back to an earlier one", fn, names[s], names[i], names[s], names[i])
				}
			}
			if r.FeedbackSize() != sum {
				return nil, fmt.Errorf("%s: feedback size mismatch: %s takes %d feedback inputs but its feedback senders give %d: %s", fn, names[i], r.FeedbackSize(), sum, strings.Join(parts, " + "))
			}
		} else if r, isRecv := nd.(FeedbackReceiver); isRecv && r.FeedbackSize() > 0 {
			return nil, fmt.Errorf("%s: %s takes a feedback input of size %d but no Feedback edge goes into it", fn, names[i], r.FeedbackSize())
		}
		if !hasSucc[i] {
			exits = append(exits, names[i])
			exit = i
		}
	}
	if len(exits) != 1 {
		return nil, fmt.Errorf("%s: the graph has %d exit nodes (%s); a Network has one output: join them into one node", fn, len(exits), strings.Join(exits, ", "))
	}
	if len(entries) > 1 {
		in0, _ := inSize(e.nodes[entries[0]])
		for _, en := range entries[1:] {
			if in, _ := inSize(e.nodes[en]); in != in0 {
				return nil, fmt.Errorf("%s: size mismatch between entry nodes: %s takes %d inputs and %s takes %d; every entry node gets the network's input", fn, names[entries[0]], in0, names[en], in)
			}
		}
	}
	// Reorder everything by run order.
	pos := make([]int, n)
	for p, i := range order {
		pos[i] = p
	}
	remap := func(l []int) []int {
		out := make([]int, len(l))
		for j, v := range l {
			out[j] = pos[v]
		}
		return out
	}
	net := &Network{exit: pos[exit], edges: slices.Clone(e.edges)}
	isSender := make([]bool, n)
	for i := range n {
		for _, s := range fb[i] {
			isSender[s] = true
		}
	}
	for _, i := range order {
		net.Nodes = append(net.Nodes, e.nodes[i])
		net.names = append(net.names, names[i])
		net.ff = append(net.ff, remap(ff[i]))
		net.fb = append(net.fb, remap(fb[i]))
		net.outSize = append(net.outSize, sizes[i])
		net.fbIdx = append(net.fbIdx, -1)
		if isSender[i] {
			net.fbIdx[len(net.fbIdx)-1] = len(net.FeedbackOut)
			net.FeedbackOut = append(net.FeedbackOut, bpgo.NewState(bpgo.Zeros(1, sizes[i]), 0))
		}
	}
	for _, en := range entries {
		net.entries = append(net.entries, pos[en])
	}
	slices.Sort(net.entries)
	return net, nil
}

// nodeNames names nodes like BrainPy: the type name and a counter per type, in order of first
// appearance (Input0, Reservoir0, LinearReadout0, ...).
func nodeNames(nodes []bpgo.Stepper) []string {
	count := map[string]int{}
	out := make([]string, len(nodes))
	for i, n := range nodes {
		t := reflect.TypeOf(n)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		name := t.Name()
		if name == "" {
			name = "Node"
		}
		out[i] = fmt.Sprintf("%s%d", name, count[name])
		count[name]++
	}
	return out
}

// topoOrder orders nodes so that every feedforward sender runs before its receivers, keeping
// the order of first appearance among ready nodes; a feedforward cycle is an error naming it.
func topoOrder(ff [][]int, names []string) ([]int, error) {
	n := len(ff)
	state := make([]int, n) // 0 new, 1 on the stack, 2 done
	var order []int
	var stack []int
	var visit func(i int) error
	visit = func(i int) error {
		switch state[i] {
		case 2:
			return nil
		case 1:
			j := slices.Index(stack, i)
			var cyc []string
			for _, k := range stack[j:] {
				cyc = append(cyc, names[k])
			}
			cyc = append(cyc, names[i])
			return fmt.Errorf("feedforward cycle %s: close a loop with a Feedback edge", strings.Join(cyc, " -> "))
		}
		state[i] = 1
		stack = append(stack, i)
		for _, s := range ff[i] {
			if err := visit(s); err != nil {
				return err
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = 2
		order = append(order, i)
		return nil
	}
	for i := range n {
		if err := visit(i); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// reaches reports whether a feedforward path leads from node a to node b (ff lists senders).
func reaches(ff [][]int, a, b int) bool {
	seen := map[int]bool{}
	var back func(i int) bool // walk senders from b back to a
	back = func(i int) bool {
		if i == a {
			return true
		}
		if seen[i] {
			return false
		}
		seen[i] = true
		for _, s := range ff[i] {
			if back(s) {
				return true
			}
		}
		return false
	}
	return a != b && back(b)
}

// inSize returns a node's input size (InSizer, else an int field NumIn).
func inSize(m any) (int, bool) {
	if s, ok := m.(InSizer); ok {
		return s.InSize(), true
	}
	rv := reflect.ValueOf(m)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Kind() == reflect.Struct {
		if f := rv.Elem().FieldByName("NumIn"); f.IsValid() && f.Kind() == reflect.Int && f.Int() > 0 {
			return int(f.Int()), true
		}
	}
	return 0, false
}

// Names are the nodes' names in run order (Input0, Reservoir0, ...).
func (net *Network) Names() []string { return slices.Clone(net.names) }

// Name is a node's name ("" if the node is not in the network).
func (net *Network) Name(node bpgo.Stepper) string {
	if i := slices.Index(net.Nodes, node); i >= 0 {
		return net.names[i]
	}
	return ""
}

// Edges are the graph's edges as given.
func (net *Network) Edges() []Edge { return slices.Clone(net.edges) }

// OutSize is the exit node's output size.
func (net *Network) OutSize() int { return net.outSize[net.exit] }

// InSize is the entry nodes' input size (0 if it cannot be told).
func (net *Network) InSize() int {
	n, _ := inSize(net.Nodes[net.entries[0]])
	return n
}

// ResetState zeroes the fed-back outputs for a batch of the given size (the nodes reset
// themselves: bpgo.ResetState resets every stateful module of a model).
func (net *Network) ResetState(batch int) {
	for _, v := range net.FeedbackOut {
		v.Reset(tensors.FromShape(shapes.Make(v.Value().DType(), batch, v.Shape().Dimensions[1])))
	}
}

// Update runs one step of the graph on x and returns the exit node's output.
func (net *Network) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	outs := make([]*graph.Node, len(net.Nodes))
	gather := func(l []int, val func(int) *graph.Node) *graph.Node {
		if len(l) == 1 {
			return val(l[0])
		}
		parts := make([]*graph.Node, len(l))
		for j, s := range l {
			parts[j] = val(s)
		}
		return graph.Concatenate(parts, -1)
	}
	for i, nd := range net.Nodes {
		in := x
		if len(net.ff[i]) > 0 {
			in = gather(net.ff[i], func(s int) *graph.Node { return outs[s] })
		}
		if len(net.fb[i]) > 0 {
			fb := gather(net.fb[i], func(s int) *graph.Node { return ctx.Value(net.FeedbackOut[net.fbIdx[s]]) })
			outs[i] = nd.(FeedbackReceiver).UpdateFeedback(ctx, in, fb)
		} else {
			outs[i] = nd.Update(ctx, in)
		}
		if k := net.fbIdx[i]; k >= 0 {
			ctx.Set(net.FeedbackOut[k], outs[i])
		}
	}
	return outs[net.exit]
}
