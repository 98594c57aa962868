package models

import (
	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/gomlx/gomlx/core/graph"
)

// LSTMStep is one step of BrainPy's LSTMCell, a pure function of the input x (B, num_in), the
// previous state (B, 2H) = [h | c] and the weights Wi (num_in, 4H), Wh (H, 4H), b (4H,),
// whose column blocks are in the order [i | g | f | o]:
//
//	i, g, f, o = split(x @ Wi + b + h @ Wh)
//	c' = sigmoid(f + 1)·c + sigmoid(i)·act(g)
//	h' = sigmoid(o)·act(c')
//
// The forget bias +1 is added inside the sigmoid at every step (it is not stored in b). act is
// tanh by default. It returns h' (B, H), the output, and the new state [h' | c'] (B, 2H).
func LSTMStep(x, state *graph.Node, w CellWeights, act Activation) (h, newState *graph.Node) {
	H := state.Shape().Dimensions[1] / 2
	all := graph.AxisRange()
	block := func(n *graph.Node, k int) *graph.Node {
		return graph.Slice(n, all, graph.AxisRange(k*H, (k+1)*H))
	}
	hPrev, cPrev := block(state, 0), block(state, 1)
	gated := bpgo.MatMul(x, w.Wi)
	if w.B != nil {
		gated = graph.Add(gated, graph.InsertAxes(w.B, 0))
	}
	gated = graph.Add(gated, bpgo.MatMul(hPrev, w.Wh))
	i, g, f, o := block(gated, 0), block(gated, 1), block(gated, 2), block(gated, 3)
	c := graph.Add(
		graph.Mul(graph.Sigmoid(graph.OnePlus(f)), cPrev),
		graph.Mul(graph.Sigmoid(i), act(g)))
	h = graph.Mul(graph.Sigmoid(o), act(c))
	return h, graph.Concatenate([]*graph.Node{h, c}, 1)
}

// LSTMCellOptions configure an LSTMCell. LSTMCellDefaults() holds BrainPy 2.4.3's defaults;
// the zero LSTMCellOptions means the same (nil initializers and "" stand for the defaults).
type LSTMCellOptions struct {
	// WiInit initializes Wi (num_in, 4·num_out); BrainPy's default
	// initializers.XavierNormal{Scale: 1} (also nil; fans of the full (num_in, 4·num_out)
	// shape).
	WiInit initializers.Initializer
	// WhInit initializes Wh (num_out, 4·num_out); BrainPy's default
	// initializers.XavierNormal{Scale: 1} (also nil).
	WhInit initializers.Initializer
	// BInit initializes b (4·num_out,); BrainPy's default initializers.Zero{} (also nil).
	BInit initializers.Initializer
	// NoBias drops the bias (BrainPy's b_initializer=None).
	NoBias bool
	// StateInit initializes the whole state [h | c] (batch, 2·num_out) at every ResetState (and
	// State2Train (2·num_out,) with TrainState); BrainPy's default initializers.Zero{} (also
	// nil). The state is zeros at construction.
	StateInit initializers.Initializer
	// Activation names the function used on the cell input g and on the cell state before the
	// output gate (see ActivationByName); BrainPy's default "tanh" (also ""). The gates always
	// use sigmoid.
	Activation string
	// Mode: TrainingMode makes Wi, Wh and b trainable; DefaultMode means the global mode.
	Mode bpgo.Mode
	// TrainState adds a trainable initial state (2·num_out,) covering h and c; it needs
	// TrainingMode and has RNNCell's reset behaviour (overwritten at every reset).
	TrainState bool
}

// LSTMCellDefaults returns BrainPy 2.4.3's bp.dnn.LSTMCell defaults: XavierNormal weights,
// zero bias and state, tanh, the global mode, no trainable initial state.
func LSTMCellDefaults() LSTMCellOptions {
	return LSTMCellOptions{WiInit: initializers.XavierNormal{Scale: 1}, WhInit: initializers.XavierNormal{Scale: 1},
		BInit: initializers.Zero{}, StateInit: initializers.Zero{}, Activation: "tanh", Mode: bpgo.DefaultMode}
}

// LSTMCell is BrainPy 2.4.3's bp.dnn.LSTMCell (Zaremba et al. 2014); see LSTMStep for the
// equations. The state is one variable (B, 2·num_out) holding [h | c], zeros at construction
// for a batch of 1; Update returns h only. ResetState and TrainState behave as in RNNCell.
type LSTMCell struct {
	NumIn, NumOut int
	// CellVars holds Wi, Wh, B, State and State2Train (see CellVars; here Wi and Wh have
	// 4·num_out columns, blocks [i | g | f | o]).
	CellVars

	cellCore `bpgo:"-"` // the step and reset logic, reading the variables above
}

// NewLSTMCell creates an LSTMCell with num_in inputs and num_out hidden units.
func NewLSTMCell(numIn, numOut int, opts LSTMCellOptions) (*LSTMCell, error) {
	if opts.Activation == "" {
		opts.Activation = "tanh"
	}
	core, vars, err := newCellCore(cellSpec{
		module: "models.NewLSTMCell", numIn: numIn, numOut: numOut, blocks: 4, stateWidth: 2 * numOut,
		stateInit: opts.StateInit, wiInit: opts.WiInit, whInit: opts.WhInit, bInit: opts.BInit,
		defaultW: initializers.XavierNormal{Scale: 1}, noBias: opts.NoBias, activation: opts.Activation,
		mode: opts.Mode, trainState: opts.TrainState,
	})
	if err != nil {
		return nil, err
	}
	c := &LSTMCell{NumIn: numIn, NumOut: numOut, CellVars: vars, cellCore: core}
	c.cellCore.vars = &c.CellVars
	return c, nil
}

// Update advances [h | c] by one step for x of shape (batch, num_in) and returns the new h
// (batch, num_out).
func (c *LSTMCell) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	state := c.checkInput("models.LSTMCell", ctx, x)
	h, state := LSTMStep(x, state, c.weights(ctx), c.act)
	ctx.Set(c.State, state)
	return h
}

// H returns the hidden state h (batch, num_out), the first half of State, as of this point of
// the step being built (BrainPy's LSTMCell.h).
func (c *LSTMCell) H(ctx *bpgo.Context) *graph.Node {
	return graph.Slice(ctx.Value(c.State), graph.AxisRange(), graph.AxisRange(0, c.NumOut))
}

// C returns the memory cell c (batch, num_out), the second half of State (BrainPy's
// LSTMCell.c).
func (c *LSTMCell) C(ctx *bpgo.Context) *graph.Node {
	return graph.Slice(ctx.Value(c.State), graph.AxisRange(), graph.AxisRange(c.NumOut))
}
