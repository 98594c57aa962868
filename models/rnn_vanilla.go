package models

import (
	"fmt"
	"math/rand/v2"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/gomlx/gomlx/core/graph"
)

// VanillaRNNOptions configure a VanillaRNN. VanillaRNNDefaults() holds BrainPy 2.1.12's
// defaults; the zero VanillaRNNOptions means the same (nil initializers and "" stand for the
// defaults).
type VanillaRNNOptions struct {
	// StateInit initializes the hidden state (batch, num_unit) at construction and at every
	// ResetState (unless StateTrainable); BrainPy's default initializers.Uniform{Min: 0, Max: 1}
	// (also nil).
	StateInit initializers.Initializer
	// WiInit initializes Wff (num_in, num_unit); BrainPy's default
	// initializers.XavierNormal{Scale: 1} (also nil).
	WiInit initializers.Initializer
	// WhInit initializes Wrec (num_unit, num_unit); BrainPy's default
	// initializers.XavierNormal{Scale: 1} (also nil).
	WhInit initializers.Initializer
	// BInit initializes Bias (num_unit,); BrainPy's default initializers.Zero{} (also nil).
	BInit initializers.Initializer
	// NoBias drops the bias (BrainPy's bias_initializer=None).
	NoBias bool
	// Activation names the nonlinearity (see ActivationByName); BrainPy's default "relu" (also
	// "").
	Activation string
	// Mode: the old node API trains a VanillaRNN by default (trainable=True), so DefaultMode
	// means TrainingMode here, whatever the global mode; BatchingMode freezes the weights
	// (BrainPy's trainable=False).
	Mode bpgo.Mode
	// StateTrainable learns the initial state (BrainPy's state_trainable=True): see VanillaRNN.
	StateTrainable bool
}

// VanillaRNNDefaults returns BrainPy 2.1.12's bp.nn.VanillaRNN defaults: state U[0, 1),
// XavierNormal weights, zero bias, relu, trainable weights (Mode DefaultMode, which means
// TrainingMode here), a fixed initial state.
func VanillaRNNDefaults() VanillaRNNOptions {
	return VanillaRNNOptions{StateInit: initializers.Uniform{Min: 0, Max: 1}, WiInit: initializers.XavierNormal{Scale: 1},
		WhInit: initializers.XavierNormal{Scale: 1}, BInit: initializers.Zero{}, Activation: "relu", Mode: bpgo.DefaultMode}
}

// VanillaRNN is the old BrainPy 2.1.12 node bp.nn.VanillaRNN (seed 001's RNN):
//
//	h(t) = act(x(t) @ Wff + h(t-1) @ Wrec + bias)
//
// with Wff (num_in, num_unit), Wrec (num_unit, num_unit), Bias (num_unit,). The 2.1.12 node
// infers num_in from the graph; here it is given. Feedback inputs (Wfb) are not supported.
//
// Unlike RNNCell, the state starts from StateInit (U[0, 1) by default), drawn for a batch of
// 1 at construction and redrawn at each ResetState(batch). With StateTrainable, construction
// creates the trainable TrainState (num_unit,) equal to row 0 of the initial state and copies
// it into every row, and every later ResetState(batch) copies TrainState into the batch rows
// again: the learned initial state is kept across resets (BrainPy 2.1.12's set_state), unlike
// 2.4.3's RNNCell, which overwrites it. TrainState is a trainable parameter even when the
// weights are frozen (2.1.12 makes it a TrainVar regardless of trainable). Resets happen on the
// host, outside the gradient, so gradients do not flow through the reset into TrainState (as
// in BrainPy, where initialize() runs outside the loss function): TrainState changes only
// through penalties over all trainable parameters, such as an L2 term in the loss.
type VanillaRNN struct {
	NumIn, NumUnit int
	// Wff is the feed-forward (input) weight (num_in, num_unit).
	Wff *bpgo.Variable
	// Wrec is the recurrent weight (num_unit, num_unit).
	Wrec *bpgo.Variable
	// Bias is the bias (num_unit,); nil with NoBias.
	Bias *bpgo.Variable
	// State is the hidden state (batch, num_unit).
	State *bpgo.Variable
	// TrainState is the learned initial state (num_unit,); nil unless StateTrainable.
	TrainState *bpgo.Variable

	stateInit initializers.Initializer `bpgo:"-"`
	act       Activation
	actName   string
	mode      bpgo.Mode
}

// NewVanillaRNN creates a VanillaRNN with num_in inputs and num_unit hidden units.
func NewVanillaRNN(numIn, numUnit int, opts VanillaRNNOptions) (*VanillaRNN, error) {
	const module = "models.NewVanillaRNN"
	if numIn < 1 || numUnit < 1 {
		return nil, fmt.Errorf("%s: numIn and numUnit must be >= 1, got %d and %d", module, numIn, numUnit)
	}
	mode := opts.Mode
	if mode == bpgo.DefaultMode {
		mode = bpgo.TrainingMode
	}
	mode, err := bpgo.ResolveMode(mode)
	if err != nil {
		return nil, fmt.Errorf("%s: Mode: %w", module, err)
	}
	if opts.Activation == "" {
		opts.Activation = "relu"
	}
	act, err := ActivationByName(opts.Activation)
	if err != nil {
		return nil, fmt.Errorf("%s: Activation: %w", module, err)
	}
	if opts.StateInit == nil {
		opts.StateInit = initializers.Uniform{Min: 0, Max: 1}
	}
	if opts.WiInit == nil {
		opts.WiInit = initializers.XavierNormal{Scale: 1}
	}
	if opts.WhInit == nil {
		opts.WhInit = initializers.XavierNormal{Scale: 1}
	}
	if opts.BInit == nil {
		opts.BInit = initializers.Zero{}
	}
	if _, err := opts.StateInit.Init(rand.New(rand.NewPCG(1, 2)), 1, numUnit); err != nil {
		return nil, fmt.Errorf("%s: StateInit: %w", module, err)
	}
	trainable := mode == bpgo.TrainingMode
	wff, err := initializers.New(opts.WiInit, numIn, numUnit)
	if err != nil {
		return nil, fmt.Errorf("%s: Wff: %w", module, err)
	}
	wrec, err := initializers.New(opts.WhInit, numUnit, numUnit)
	if err != nil {
		return nil, fmt.Errorf("%s: Wrec: %w", module, err)
	}
	r := &VanillaRNN{NumIn: numIn, NumUnit: numUnit,
		Wff: bpgo.NewParam(wff, trainable), Wrec: bpgo.NewParam(wrec, trainable),
		stateInit: opts.StateInit, act: act, actName: opts.Activation, mode: mode}
	if !opts.NoBias {
		b, err := initializers.New(opts.BInit, numUnit)
		if err != nil {
			return nil, fmt.Errorf("%s: Bias: %w", module, err)
		}
		r.Bias = bpgo.NewParam(b, trainable)
	}
	s0, err := initializers.New(opts.StateInit, 1, numUnit)
	if err != nil {
		return nil, fmt.Errorf("%s: StateInit: %w", module, err)
	}
	r.State = bpgo.NewState(s0, 0)
	if opts.StateTrainable {
		row0 := bpgo.Must1(bpgo.FromFloat64s(s0.DType(), bpgo.ToFloat64s(s0)[:numUnit], numUnit))
		r.TrainState = bpgo.NewParam(row0, true)
		r.State.Reset(repeatRows(row0, 1))
	}
	return r, nil
}

// Mode is the node's mode (TrainingMode unless the weights were frozen).
func (r *VanillaRNN) Mode() bpgo.Mode { return r.mode }

// Trainable reports whether the weights are trainable.
func (r *VanillaRNN) Trainable() bool { return r.mode == bpgo.TrainingMode }

// StateTrainable reports whether the initial state is learned (TrainState is set).
func (r *VanillaRNN) StateTrainable() bool { return r.TrainState != nil }

// Activation is the name of the node's nonlinearity.
func (r *VanillaRNN) Activation() string { return r.actName }

// ResetState prepares the state for a batch of the given size, like 2.1.12's
// initialize(num_batch): TrainState copied into every row with StateTrainable, else a fresh
// draw of StateInit((batch, num_unit)).
func (r *VanillaRNN) ResetState(batch int) {
	if r.TrainState != nil {
		r.State.Reset(repeatRows(r.TrainState.Value(), batch))
		return
	}
	v, err := r.stateInit.Init(bpgo.NewRNG(), batch, r.NumUnit)
	if err != nil {
		panic(fmt.Sprintf("models: resetting a VanillaRNN's state: %v", err))
	}
	r.State.Reset(bpgo.Must1(bpgo.FromFloat64s(r.State.Value().DType(), v, batch, r.NumUnit)))
}

// Update advances the state by one step for x of shape (batch, num_in) and returns the new
// hidden state (batch, num_unit).
func (r *VanillaRNN) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	if x.Rank() != 2 || x.Shape().Dimensions[1] != r.NumIn {
		panic(fmt.Sprintf("models.VanillaRNN: input shape %s, want (batch, %d)", x.Shape(), r.NumIn))
	}
	h := ctx.Value(r.State)
	if hb, xb := h.Shape().Dimensions[0], x.Shape().Dimensions[0]; hb != xb {
		panic(fmt.Sprintf("models.VanillaRNN: input batch size %d but the state has batch size %d: reset the state for this batch (bpgo.ResetState(model, %d))", xb, hb, xb))
	}
	w := CellWeights{Wi: ctx.Value(r.Wff), Wh: ctx.Value(r.Wrec)}
	if r.Bias != nil {
		w.B = ctx.Value(r.Bias)
	}
	h = RNNStep(x, h, w, r.act)
	ctx.Set(r.State, h)
	return h
}

// InSize is the number of inputs (num_in).
func (r *VanillaRNN) InSize() int { return r.NumIn }

// OutSize is the number of hidden units (num_unit).
func (r *VanillaRNN) OutSize() int { return r.NumUnit }

// Recurrent marks the VanillaRNN as a recurrent node (a self-loop in a node graph).
func (r *VanillaRNN) Recurrent() bool { return true }
