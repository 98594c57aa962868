package models

import (
	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/gomlx/gomlx/core/graph"
)

// GRUStep is one step of BrainPy's GRUCell, a pure function of the input x (B, num_in), the
// previous hidden state h (B, H) and the weights Wi (num_in, 3H), Wh (H, 3H), b (3H,), whose
// column blocks are [z | r | a]:
//
//	z, r = sigmoid(x @ Wi[:, :2H] + h @ Wh[:, :2H] + b[:2H])   (z first)
//	a    = act(x @ Wi[:, 2H:] + (r·h) @ Wh[:, 2H:] + b[2H:])
//	h'   = (1 - z)·h + z·a
//
// It returns h' (B, H), the new state and the output.
func GRUStep(x, h *graph.Node, w CellWeights, act Activation) *graph.Node {
	H := h.Shape().Dimensions[1]
	all, first, last := graph.AxisRange(), graph.AxisRange(0, 2*H), graph.AxisRange(2*H)
	gatesX := bpgo.MatMul(x, w.Wi)
	zrX, aX := graph.Slice(gatesX, all, first), graph.Slice(gatesX, all, last)
	whZR, whA := graph.Slice(w.Wh, all, first), graph.Slice(w.Wh, all, last)
	zr := graph.Add(zrX, bpgo.MatMul(h, whZR))
	if w.B != nil {
		zr = graph.Add(zr, graph.InsertAxes(graph.Slice(w.B, first), 0))
	}
	zr = graph.Sigmoid(zr)
	z, r := graph.Slice(zr, all, graph.AxisRange(0, H)), graph.Slice(zr, all, graph.AxisRange(H))
	pre := graph.Add(aX, bpgo.MatMul(graph.Mul(r, h), whA))
	if w.B != nil {
		pre = graph.Add(pre, graph.InsertAxes(graph.Slice(w.B, last), 0))
	}
	a := act(pre)
	return graph.Add(graph.Mul(graph.OneMinus(z), h), graph.Mul(z, a))
}

// GRUCellOptions configure a GRUCell. GRUCellDefaults() holds BrainPy 2.4.3's defaults; the
// zero GRUCellOptions means the same (nil initializers and "" stand for the defaults).
type GRUCellOptions struct {
	// WiInit initializes Wi (num_in, 3·num_out); BrainPy's default
	// initializers.OrthogonalDefaults() (also nil).
	WiInit initializers.Initializer
	// WhInit initializes Wh (num_out, 3·num_out); BrainPy's default
	// initializers.OrthogonalDefaults() (also nil).
	WhInit initializers.Initializer
	// BInit initializes b (3·num_out,); BrainPy's default initializers.Zero{} (also nil).
	BInit initializers.Initializer
	// NoBias drops the bias (BrainPy's b_initializer=None).
	NoBias bool
	// StateInit initializes the hidden state at every ResetState (and State2Train with
	// TrainState); BrainPy's default initializers.Zero{} (also nil). The state is zeros at
	// construction.
	StateInit initializers.Initializer
	// Activation names the candidate activation (see ActivationByName); BrainPy's default
	// "tanh" (also ""). The gates always use sigmoid.
	Activation string
	// Mode: TrainingMode makes Wi, Wh and b trainable; DefaultMode means the global mode.
	Mode bpgo.Mode
	// TrainState adds a trainable initial state; it needs TrainingMode and has RNNCell's reset
	// behaviour (overwritten at every reset, see RNNCell).
	TrainState bool
}

// GRUCellDefaults returns BrainPy 2.4.3's bp.dnn.GRUCell defaults: Orthogonal weights, zero
// bias and state, tanh, the global mode, no trainable initial state.
func GRUCellDefaults() GRUCellOptions {
	return GRUCellOptions{WiInit: initializers.OrthogonalDefaults(), WhInit: initializers.OrthogonalDefaults(),
		BInit: initializers.Zero{}, StateInit: initializers.Zero{}, Activation: "tanh", Mode: bpgo.DefaultMode}
}

// GRUCell is BrainPy 2.4.3's bp.dnn.GRUCell, a gated recurrent unit (Chung et al. 2014); see
// GRUStep for the equations. Wi (num_in, 3·num_out) and Wh (num_out, 3·num_out) hold the
// blocks [z | r | a]; the state (B, num_out) starts as zeros for a batch of 1. ResetState and
// TrainState behave as in RNNCell (including the overwritten learned initial state).
type GRUCell struct {
	NumIn, NumOut int
	// CellVars holds Wi, Wh, B, State and State2Train (see CellVars; here Wi and Wh have
	// 3·num_out columns, blocks [z | r | a]).
	CellVars

	cellCore `bpgo:"-"` // the step and reset logic, reading the variables above
}

// NewGRUCell creates a GRUCell with num_in inputs and num_out hidden units.
func NewGRUCell(numIn, numOut int, opts GRUCellOptions) (*GRUCell, error) {
	if opts.Activation == "" {
		opts.Activation = "tanh"
	}
	core, vars, err := newCellCore(cellSpec{
		module: "models.NewGRUCell", numIn: numIn, numOut: numOut, blocks: 3, stateWidth: numOut,
		stateInit: opts.StateInit, wiInit: opts.WiInit, whInit: opts.WhInit, bInit: opts.BInit,
		defaultW: initializers.OrthogonalDefaults(), noBias: opts.NoBias, activation: opts.Activation,
		mode: opts.Mode, trainState: opts.TrainState,
	})
	if err != nil {
		return nil, err
	}
	c := &GRUCell{NumIn: numIn, NumOut: numOut, CellVars: vars, cellCore: core}
	c.cellCore.vars = &c.CellVars
	return c, nil
}

// Update advances the state by one step for x of shape (batch, num_in) and returns the new
// hidden state (batch, num_out).
func (c *GRUCell) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	h := c.checkInput("models.GRUCell", ctx, x)
	h = GRUStep(x, h, c.weights(ctx), c.act)
	ctx.Set(c.State, h)
	return h
}
