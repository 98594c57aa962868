package models

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// ClosedLoop runs a trained one-step forecaster autonomously (generative mode, ReservoirPy's
// closed loop): at every step the model gets its own previous output instead of the external
// input, whose values are ignored (only its number of steps counts). Last holds the value fed
// at the next step; Start sets it, usually to the last teacher-forced output or the last true
// value. The model's state is shared with the wrapped model, so a forecaster warmed up and
// trained on data continues from where it stopped.
type ClosedLoop struct {
	Model bpgo.Stepper
	// Last is the value fed to the model at the next step (batch, size).
	Last *bpgo.Variable
	size int
}

// NewClosedLoop wraps a model whose output (batch, size) has the size of its input.
func NewClosedLoop(model bpgo.Stepper, size int) (*ClosedLoop, error) {
	if isNil(model) {
		return nil, fmt.Errorf("models.NewClosedLoop: model is nil")
	}
	if size < 1 {
		return nil, fmt.Errorf("models.NewClosedLoop: size: want >= 1, got %d", size)
	}
	return &ClosedLoop{Model: model, Last: bpgo.NewState(bpgo.Zeros(1, size), 0), size: size}, nil
}

// Start sets the first value fed back, one row of size values per batch entry.
func (c *ClosedLoop) Start(rows ...[]float64) error {
	if len(rows) == 0 {
		return fmt.Errorf("models.ClosedLoop.Start: no rows")
	}
	var flat []float64
	for i, r := range rows {
		if len(r) != c.size {
			return fmt.Errorf("models.ClosedLoop.Start: row %d has %d values, want %d", i, len(r), c.size)
		}
		flat = append(flat, r...)
	}
	t, err := bpgo.FromFloat64s(bpgo.FloatDType(), flat, len(rows), c.size)
	if err != nil {
		return fmt.Errorf("models.ClosedLoop.Start: %w", err)
	}
	c.Last.Reset(t)
	return nil
}

// ResetState sets the fed-back value to zeros (batch, size).
func (c *ClosedLoop) ResetState(batch int) {
	c.Last.Reset(tensors.FromShape(shapes.Make(c.Last.Value().DType(), batch, c.size)))
}

// Update runs the model on its previous output and returns the new one.
func (c *ClosedLoop) Update(ctx *bpgo.Context, _ *graph.Node) *graph.Node {
	y := c.Model.Update(ctx, ctx.Value(c.Last))
	if !y.Shape().Equal(c.Last.Shape()) {
		panic(fmt.Sprintf("models.ClosedLoop: the model's output has shape %s, want %s (its input's)", y.Shape(), c.Last.Shape()))
	}
	ctx.Set(c.Last, y)
	return y
}
