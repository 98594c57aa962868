package models

import (
	"fmt"
	"math/rand/v2"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// CellWeights are the weight nodes of one recurrent cell, as the pure step functions (RNNStep,
// GRUStep, LSTMStep) take them: Wi (num_in, G·H), Wh (H, G·H) and B (G·H,), where H is the
// number of hidden units and G the number of gate blocks (1 for RNNStep, 3 for GRUStep, 4 for
// LSTMStep). B may be nil (no bias).
type CellWeights struct {
	Wi, Wh, B *graph.Node
}

// RNNStep is one step of BrainPy's RNNCell, a pure function of the input x (B, num_in), the
// previous hidden state h (B, H) and the weights:
//
//	h' = act(x @ Wi + h @ Wh + b)
//
// It returns h' (B, H), which is both the new state and the output.
func RNNStep(x, h *graph.Node, w CellWeights, act Activation) *graph.Node {
	y := graph.Add(bpgo.MatMul(x, w.Wi), bpgo.MatMul(h, w.Wh))
	if w.B != nil {
		y = graph.Add(y, graph.InsertAxes(w.B, 0))
	}
	return act(y)
}

// RNNCellOptions configure an RNNCell. RNNCellDefaults() holds BrainPy 2.4.3's defaults; the
// zero RNNCellOptions means the same (nil initializers and "" stand for the defaults).
type RNNCellOptions struct {
	// StateInit initializes the hidden state at every ResetState, and State2Train when
	// TrainState is set; BrainPy's default initializers.Zero{} (also nil). (At construction the
	// state is zeros, whatever StateInit is, as in BrainPy.)
	StateInit initializers.Initializer
	// WiInit initializes Wi (num_in, num_out); BrainPy's default
	// initializers.XavierNormal{Scale: 1} (also nil).
	WiInit initializers.Initializer
	// WhInit initializes Wh (num_out, num_out); BrainPy's default
	// initializers.XavierNormal{Scale: 1} (also nil).
	WhInit initializers.Initializer
	// BInit initializes b (num_out,); BrainPy's default initializers.Zero{} (also nil).
	BInit initializers.Initializer
	// NoBias drops the bias (BrainPy's b_initializer=None).
	NoBias bool
	// Activation names the nonlinearity (see ActivationByName); BrainPy's default "relu" (also
	// "").
	Activation string
	// Mode: TrainingMode makes Wi, Wh and b trainable; DefaultMode means the global mode
	// (bpgo.SetMode).
	Mode bpgo.Mode
	// TrainState adds a trainable initial state State2Train (num_out,), copied into every
	// batch row of the state. It needs TrainingMode (BrainPy creates state2train only in
	// TrainingMode, and its reset_state then fails in other modes).
	TrainState bool
}

// RNNCellDefaults returns BrainPy 2.4.3's bp.dnn.RNNCell defaults: zero state, XavierNormal
// weights, zero bias, relu, the global mode, no trainable initial state.
func RNNCellDefaults() RNNCellOptions {
	return RNNCellOptions{StateInit: initializers.Zero{}, WiInit: initializers.XavierNormal{Scale: 1},
		WhInit: initializers.XavierNormal{Scale: 1}, BInit: initializers.Zero{}, Activation: "relu", Mode: bpgo.DefaultMode}
}

// RNNCell is BrainPy 2.4.3's bp.dnn.RNNCell, a fully-connected recurrent layer:
//
//	h(t) = act(x(t) @ Wi + h(t-1) @ Wh + b)
//
// with Wi (num_in, num_out), Wh (num_out, num_out), b (num_out,), trainable in TrainingMode.
// The hidden state State has shape (B, num_out) with the batch on axis 0; it starts as zeros
// for a batch of 1 (the mode's batch size) and Update returns the new state.
//
// ResetState(batch) sets the state to StateInit((batch, num_out)). With TrainState it also
// re-initialises State2Train to StateInit((num_out,)) and copies it into every row of the state.
// This reproduces a BrainPy 2.4.3 quirk: the learned initial state is overwritten at every
// reset (trainers reset before each batch), so with the default zero StateInit every batch
// starts from h = 0, and State2Train stays 0 apart from what the optimizer adds between
// resets. Resets happen on the host, outside the gradient, so State2Train gets no gradient
// through the dynamics (as in BrainPy); it only counts in penalties over all trainable
// parameters (where it is 0 after a reset). VanillaRNN keeps its learned initial state instead.
type RNNCell struct {
	NumIn, NumOut int
	// CellVars holds Wi, Wh, B, State and State2Train (see CellVars; here Wi and Wh have
	// num_out columns).
	CellVars

	cellCore `bpgo:"-"` // the step and reset logic, reading the variables above
}

// NewRNNCell creates an RNNCell with num_in inputs and num_out hidden units.
func NewRNNCell(numIn, numOut int, opts RNNCellOptions) (*RNNCell, error) {
	if opts.Activation == "" {
		opts.Activation = "relu"
	}
	core, vars, err := newCellCore(cellSpec{
		module: "models.NewRNNCell", numIn: numIn, numOut: numOut, blocks: 1, stateWidth: numOut,
		stateInit: opts.StateInit, wiInit: opts.WiInit, whInit: opts.WhInit, bInit: opts.BInit,
		defaultW: initializers.XavierNormal{Scale: 1}, noBias: opts.NoBias, activation: opts.Activation,
		mode: opts.Mode, trainState: opts.TrainState,
	})
	if err != nil {
		return nil, err
	}
	c := &RNNCell{NumIn: numIn, NumOut: numOut, CellVars: vars, cellCore: core}
	c.cellCore.vars = &c.CellVars
	return c, nil
}

// Update advances the state by one step for x of shape (batch, num_in) and returns the new
// hidden state (batch, num_out).
func (c *RNNCell) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	h := c.checkInput("models.RNNCell", ctx, x)
	h = RNNStep(x, h, c.weights(ctx), c.act)
	ctx.Set(c.State, h)
	return h
}

// cellSpec describes a 2.4.3-style cell (RNNCell, GRUCell, LSTMCell) for newCellCore.
type cellSpec struct {
	module                           string // constructor name for errors
	numIn, numOut                    int
	blocks                           int // gate blocks: Wi is (num_in, blocks·num_out)
	stateWidth                       int // num_out, or 2·num_out for the LSTM's [h | c]
	stateInit, wiInit, whInit, bInit initializers.Initializer
	defaultW                         initializers.Initializer
	noBias                           bool
	activation                       string
	mode                             bpgo.Mode
	trainState                       bool
}

// CellVars are the variables of a recurrent cell (RNNCell, GRUCell, LSTMCell), embedded in
// each cell so that they are stored once: replacing one (cell.Wi = v) is what the cell then
// uses.
type CellVars struct {
	// Wi is the input weight (num_in, G·num_out), G gate blocks (1 for RNNCell).
	Wi *bpgo.Variable
	// Wh is the recurrent weight (num_out, G·num_out).
	Wh *bpgo.Variable
	// B is the bias (G·num_out,); nil with NoBias.
	B *bpgo.Variable
	// State is the hidden state (batch, num_out); LSTMCell's holds [h | c] (batch, 2·num_out).
	State *bpgo.Variable
	// State2Train is the trainable initial state (the state's width,); nil unless TrainState.
	State2Train *bpgo.Variable
}

// cellCore holds what RNNCell, GRUCell and LSTMCell share: the step and reset logic of
// BrainPy 2.4.3, reading the variables through vars (the cell's embedded CellVars).
type cellCore struct {
	numIn, stateWidth int
	vars              *CellVars
	stateInit         initializers.Initializer
	act               Activation
	actName           string
	mode              bpgo.Mode
}

func newCellCore(s cellSpec) (cellCore, CellVars, error) {
	var c cellCore
	var v CellVars
	if s.numIn < 1 || s.numOut < 1 {
		return c, v, fmt.Errorf("%s: numIn and numOut must be >= 1, got %d and %d", s.module, s.numIn, s.numOut)
	}
	mode, err := bpgo.ResolveMode(s.mode)
	if err != nil {
		return c, v, fmt.Errorf("%s: Mode: %w", s.module, err)
	}
	act, err := ActivationByName(s.activation)
	if err != nil {
		return c, v, fmt.Errorf("%s: Activation: %w", s.module, err)
	}
	if s.trainState && mode != bpgo.TrainingMode {
		return c, v, fmt.Errorf("%s: TrainState needs TrainingMode (the mode is %v): BrainPy creates the trainable initial state only in training mode", s.module, mode)
	}
	if s.stateInit == nil {
		s.stateInit = initializers.Zero{}
	}
	if s.wiInit == nil {
		s.wiInit = s.defaultW
	}
	if s.whInit == nil {
		s.whInit = s.defaultW
	}
	if s.bInit == nil {
		s.bInit = initializers.Zero{}
	}
	// Check the state initializer now (ResetState cannot return errors), with a throwaway
	// generator so that the global random stream is not disturbed.
	probe := rand.New(rand.NewPCG(1, 2))
	if _, err := s.stateInit.Init(probe, 1, s.stateWidth); err != nil {
		return c, v, fmt.Errorf("%s: StateInit: %w", s.module, err)
	}
	if s.trainState {
		if _, err := s.stateInit.Init(probe, s.stateWidth); err != nil {
			return c, v, fmt.Errorf("%s: StateInit for the trainable initial state (shape (%d,)): %w", s.module, s.stateWidth, err)
		}
	}
	trainable := mode == bpgo.TrainingMode
	cols := s.blocks * s.numOut
	wi, err := initializers.New(s.wiInit, s.numIn, cols)
	if err != nil {
		return c, v, fmt.Errorf("%s: Wi: %w", s.module, err)
	}
	wh, err := initializers.New(s.whInit, s.numOut, cols)
	if err != nil {
		return c, v, fmt.Errorf("%s: Wh: %w", s.module, err)
	}
	c = cellCore{numIn: s.numIn, stateWidth: s.stateWidth, stateInit: s.stateInit, act: act, actName: s.activation, mode: mode}
	v = CellVars{Wi: bpgo.NewParam(wi, trainable), Wh: bpgo.NewParam(wh, trainable)}
	if !s.noBias {
		b, err := initializers.New(s.bInit, cols)
		if err != nil {
			return c, v, fmt.Errorf("%s: b: %w", s.module, err)
		}
		v.B = bpgo.NewParam(b, trainable)
	}
	v.State = bpgo.NewState(bpgo.Zeros(1, s.stateWidth), 0)
	if s.trainState {
		init, err := s.stateInit.Init(bpgo.NewRNG(), s.stateWidth)
		if err != nil {
			return c, v, fmt.Errorf("%s: StateInit: %w", s.module, err)
		}
		t, err := bpgo.FromFloat64s(v.State.Value().DType(), init, s.stateWidth)
		if err != nil {
			return c, v, fmt.Errorf("%s: %w", s.module, err)
		}
		v.State2Train = bpgo.NewParam(t, true)
		v.State.Reset(repeatRows(v.State2Train.Value(), 1))
	}
	return c, v, nil
}

// reset implements BrainPy 2.4.3's reset_state of RNNCell, GRUCell and LSTMCell.
// Mode is the cell's mode.
func (c *cellCore) Mode() bpgo.Mode { return c.mode }

// Trainable reports whether the weights are trainable (TrainingMode).
func (c *cellCore) Trainable() bool { return c.mode == bpgo.TrainingMode }

// Activation is the name of the cell's activation (GRUCell: the candidate's; its gates always
// use sigmoid).
func (c *cellCore) Activation() string { return c.actName }

// ResetState sets the state to StateInit((batch, width)), where the width is num_out (LSTMCell:
// 2·num_out for [h | c]). With TrainState, State2Train is re-initialised and broadcast into
// the state (see RNNCell for this BrainPy 2.4.3 quirk).
func (c *cellCore) ResetState(batch int) {
	dt := c.vars.State.Value().DType()
	v, err := c.stateInit.Init(bpgo.NewRNG(), batch, c.stateWidth)
	if err != nil {
		panic(fmt.Sprintf("models: resetting a recurrent cell's state: %v", err))
	}
	c.vars.State.Reset(bpgo.Must1(bpgo.FromFloat64s(dt, v, batch, c.stateWidth)))
	if c.vars.State2Train != nil {
		v, err := c.stateInit.Init(bpgo.NewRNG(), c.stateWidth)
		if err != nil {
			panic(fmt.Sprintf("models: resetting a recurrent cell's trainable initial state: %v", err))
		}
		c.vars.State2Train.Reset(bpgo.Must1(bpgo.FromFloat64s(dt, v, c.stateWidth)))
		c.vars.State.Reset(repeatRows(c.vars.State2Train.Value(), batch))
	}
}

// checkInput panics unless x is (B, num_in) with B the state's batch size, and returns the
// state's current node.
func (c *cellCore) checkInput(module string, ctx *bpgo.Context, x *graph.Node) *graph.Node {
	if x.Rank() != 2 || x.Shape().Dimensions[1] != c.numIn {
		panic(fmt.Sprintf("%s: input shape %s, want (batch, %d)", module, x.Shape(), c.numIn))
	}
	h := ctx.Value(c.vars.State)
	if hb, xb := h.Shape().Dimensions[0], x.Shape().Dimensions[0]; hb != xb {
		panic(fmt.Sprintf("%s: input batch size %d but the state has batch size %d: reset the state for this batch (bpgo.ResetState(model, %d))", module, xb, hb, xb))
	}
	return h
}

func (c *cellCore) weights(ctx *bpgo.Context) CellWeights {
	w := CellWeights{Wi: ctx.Value(c.vars.Wi), Wh: ctx.Value(c.vars.Wh)}
	if c.vars.B != nil {
		w.B = ctx.Value(c.vars.B)
	}
	return w
}

// repeatRows stacks batch copies of a vector (n,) into a (batch, n) tensor of the same dtype.
func repeatRows(v *tensors.Tensor, batch int) *tensors.Tensor {
	row := bpgo.ToFloat64s(v)
	out := make([]float64, 0, batch*len(row))
	for range batch {
		out = append(out, row...)
	}
	return bpgo.Must1(bpgo.FromFloat64s(v.DType(), out, batch, len(row)))
}
