package models

import (
	"github.com/bpgo/bpgo/bpgo/visualize"
)

// RecurrentNode is implemented by nodes with their own recurrence (Reservoir, NVAR,
// VanillaRNN): a node graph draws them with a self-loop. Cells (RNNCell, GRUCell, LSTMCell) are
// recognised without it.
type RecurrentNode interface {
	Recurrent() bool
}

// trainableNode is implemented by nodes with trainable parameters (Dense, LinearReadout,
// Reservoir in training mode, VanillaRNN).
type trainableNode interface {
	Trainable() bool
}

// NodeGraph describes the network for visualize.NodeGraph, the counterpart of BrainPy's
// model.plot_node_graph(): nodes by name, trainable or not, recurrent or not; feedforward and
// feedback edges.
func (net *Network) NodeGraph() visualize.Graph {
	var g visualize.Graph
	for i, n := range net.Nodes {
		gn := visualize.GraphNode{Name: net.names[i]}
		if t, ok := n.(trainableNode); ok {
			gn.Trainable = t.Trainable()
		}
		switch n := n.(type) {
		case RecurrentNode:
			gn.Recurrent = n.Recurrent()
		case *RNNCell, *GRUCell, *LSTMCell:
			gn.Recurrent = true
		}
		g.Nodes = append(g.Nodes, gn)
	}
	for i := range net.Nodes {
		for _, s := range net.ff[i] {
			g.Edges = append(g.Edges, visualize.GraphEdge{From: net.names[s], To: net.names[i]})
		}
		for _, s := range net.fb[i] {
			g.Edges = append(g.Edges, visualize.GraphEdge{From: net.names[s], To: net.names[i], Feedback: true})
		}
	}
	return g
}
