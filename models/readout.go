package models

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Input is BrainPy 2.1.12's bp.nn.Input node: the identity on (batch, size), the entry of a
// node graph that fixes the network's input size.
type Input struct {
	Size int
}

// NewInput creates an input node of the given size.
func NewInput(size int) (*Input, error) {
	if size < 1 {
		return nil, fmt.Errorf("models.NewInput: size: want >= 1, got %d", size)
	}
	return &Input{Size: size}, nil
}

// InSize and OutSize are the node's size.
func (n *Input) InSize() int  { return n.Size }
func (n *Input) OutSize() int { return n.Size }

// Update returns x (batch, size) unchanged.
func (n *Input) Update(_ *bpgo.Context, x *graph.Node) *graph.Node {
	if x.Rank() != 2 || x.Shape().Dimensions[1] != n.Size {
		panic(fmt.Sprintf("models.Input: input shape %s, want (batch, %d)", x.Shape(), n.Size))
	}
	return x
}

// LinearReadoutOptions configure a LinearReadout; start from LinearReadoutDefaults().
type LinearReadoutOptions struct {
	// WInit initializes W (num_in, num_out); BrainPy's default XavierNormal (scale 1).
	WInit initializers.Initializer
	// BInit initializes b (num_out,); BrainPy's default zeros.
	BInit initializers.Initializer
	// NoBias drops the bias (bias_initializer=None).
	NoBias bool
	// Trainable lets trainers (Ridge, RLS/FORCE) fit the readout; BrainPy's default true.
	Trainable bool
}

// LinearReadoutDefaults returns bp.nn.LinearReadout's defaults: XavierNormal weights, zero
// bias, trainable.
func LinearReadoutDefaults() LinearReadoutOptions {
	return LinearReadoutOptions{WInit: initializers.XavierNormal{Scale: 1}, BInit: initializers.Zero{}, Trainable: true}
}

// LinearReadout is BrainPy 2.1.12's bp.nn.LinearReadout: a Dense layer y = x @ W + b that also
// keeps its output as State (zeros after a reset) and can be fitted offline (trainers.Ridge)
// or online, one step at a time (trainers.Online: RLS, FORCE). The fitted weights are those
// of the inner Dense, which records its input while a trainer fits.
type LinearReadout struct {
	NumIn, NumOut int
	// Dense holds W (num_in, num_out) and b (num_out,).
	Dense *Dense
	// State is the last output (batch, num_out).
	State *bpgo.Variable
}

// NewLinearReadout creates a readout of num_out units reading num_in features.
func NewLinearReadout(numIn, numOut int, o LinearReadoutOptions) (*LinearReadout, error) {
	const fn = "models.NewLinearReadout"
	if numIn < 1 || numOut < 1 {
		return nil, fmt.Errorf("%s: numIn and numOut must be >= 1, got %d and %d", fn, numIn, numOut)
	}
	if o.WInit == nil {
		return nil, fmt.Errorf("%s: LinearReadoutOptions.WInit is nil: start from models.LinearReadoutDefaults()", fn)
	}
	if o.BInit == nil && !o.NoBias {
		return nil, fmt.Errorf("%s: LinearReadoutOptions.BInit is nil: start from models.LinearReadoutDefaults() (or set NoBias)", fn)
	}
	mode := bpgo.BatchingMode
	if o.Trainable {
		mode = bpgo.TrainingMode
	}
	d, err := NewDense(numIn, numOut, DenseOptions{WInit: o.WInit, BInit: o.BInit, NoBias: o.NoBias, Mode: mode})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	return &LinearReadout{NumIn: numIn, NumOut: numOut, Dense: d, State: bpgo.NewState(bpgo.Zeros(1, numOut), 0)}, nil
}

// InSize is the number of features read (num_in).
func (o *LinearReadout) InSize() int { return o.NumIn }

// OutSize is the number of outputs (num_out).
func (o *LinearReadout) OutSize() int { return o.NumOut }

// Trainable reports whether trainers fit the readout.
func (o *LinearReadout) Trainable() bool { return o.Dense.Trainable() }

// ResetState sets the stored output to zeros (batch, num_out).
func (o *LinearReadout) ResetState(batch int) {
	o.State.Reset(tensors.FromShape(shapes.Make(o.State.Value().DType(), batch, o.NumOut)))
}

// Update computes y = x @ W + b for x (batch, num_in), stores it as State and returns it.
func (o *LinearReadout) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	if x.Rank() != 2 || x.Shape().Dimensions[1] != o.NumIn {
		panic(fmt.Sprintf("models.LinearReadout: input shape %s, want (batch, %d)", x.Shape(), o.NumIn))
	}
	y := o.Dense.Update(ctx, x)
	if s := ctx.Value(o.State); s.Shape().Dimensions[0] != y.Shape().Dimensions[0] {
		panic(fmt.Sprintf("models.LinearReadout: input batch size %d but the state has batch size %d: reset the state for this batch", y.Shape().Dimensions[0], s.Shape().Dimensions[0]))
	}
	ctx.Set(o.State, y)
	return y
}
