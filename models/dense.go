package models

import (
	"fmt"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/gomlx/gomlx/core/graph"
)

// DenseOptions configure a Dense layer. DenseDefaults() holds BrainPy's defaults; the zero
// DenseOptions means the same (its nil initializers stand for the defaults).
type DenseOptions struct {
	// WInit initializes W (num_in, num_out); BrainPy's default
	// initializers.XavierNormal{Scale: 1}, which nil also means.
	WInit initializers.Initializer
	// BInit initializes b (num_out,); BrainPy's default initializers.Zero{}, which nil also
	// means.
	BInit initializers.Initializer
	// NoBias drops the bias (BrainPy's b_initializer=None).
	NoBias bool
	// Mode: TrainingMode makes W and b trainable, so trainers fit them; DefaultMode means the
	// global mode (bpgo.SetMode).
	Mode bpgo.Mode
}

// DenseDefaults returns BrainPy's bp.dnn.Dense defaults: W from XavierNormal (scale 1), b
// zeros, the global mode.
func DenseDefaults() DenseOptions {
	return DenseOptions{WInit: initializers.XavierNormal{Scale: 1}, BInit: initializers.Zero{}, Mode: bpgo.DefaultMode}
}

// Dense is BrainPy's Dense (also Linear): y = x @ W + b on the last axis, W of shape
// (num_in, num_out).
type Dense struct {
	NumIn, NumOut int
	W             *bpgo.Variable
	B             *bpgo.Variable // nil without bias
	mode          bpgo.Mode
}

// Linear is BrainPy's other name for Dense.
type Linear = Dense

// NewLinear is NewDense.
func NewLinear(numIn, numOut int, opts DenseOptions) (*Dense, error) {
	return NewDense(numIn, numOut, opts)
}

// NewDense creates a Dense layer with num_in inputs and num_out outputs.
func NewDense(numIn, numOut int, opts DenseOptions) (*Dense, error) {
	if numIn < 1 || numOut < 1 {
		return nil, fmt.Errorf("models.NewDense: numIn and numOut must be >= 1, got %d and %d", numIn, numOut)
	}
	mode, err := bpgo.ResolveMode(opts.Mode)
	if err != nil {
		return nil, fmt.Errorf("models.NewDense: DenseOptions.Mode: %w", err)
	}
	if opts.WInit == nil {
		opts.WInit = initializers.XavierNormal{Scale: 1}
	}
	if opts.BInit == nil {
		opts.BInit = initializers.Zero{}
	}
	trainable := mode == bpgo.TrainingMode
	w, err := initializers.New(opts.WInit, numIn, numOut)
	if err != nil {
		return nil, fmt.Errorf("models.NewDense: W: %w", err)
	}
	d := &Dense{NumIn: numIn, NumOut: numOut, W: bpgo.NewParam(w, trainable), mode: mode}
	if !opts.NoBias {
		b, err := initializers.New(opts.BInit, numOut)
		if err != nil {
			return nil, fmt.Errorf("models.NewDense: b: %w", err)
		}
		d.B = bpgo.NewParam(b, trainable)
	}
	return d, nil
}

// Mode is the layer's mode.
func (d *Dense) Mode() bpgo.Mode { return d.mode }

// Trainable reports whether trainers fit this layer (TrainingMode).
func (d *Dense) Trainable() bool { return d.mode == bpgo.TrainingMode }

// LinearWeights returns W (num_in, num_out) and b (num_out,), b nil without bias; trainers that
// solve for a linear readout (ridge, RLS) use it.
func (d *Dense) LinearWeights() (w, b *bpgo.Variable) { return d.W, d.B }

// Update computes x @ W + b for x of shape (..., num_in). While a trainer is fitting
// (ctx.Fitting) a trainable layer records its input, as BrainPy's fit_record does.
func (d *Dense) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	if dims := x.Shape().Dimensions; len(dims) == 0 || dims[len(dims)-1] != d.NumIn {
		panic(fmt.Sprintf("models.Dense: input shape %s, want last axis %d (num_in)", x.Shape(), d.NumIn))
	}
	if ctx.Fitting() && d.Trainable() {
		ctx.Record(d, x)
	}
	y := matmulLast(x, ctx.Value(d.W))
	if d.B != nil {
		b := ctx.Value(d.B)
		for b.Rank() < y.Rank() {
			b = graph.InsertAxes(b, 0)
		}
		y = graph.Add(y, b)
	}
	return y
}

// matmulLast multiplies the last axis of x (..., in) by w (in, out), as a 2-D matmul (a
// bpgo.MatMul: fast on the Go backend at any batch size).
func matmulLast(x, w *graph.Node) *graph.Node {
	dims := x.Shape().Dimensions
	if len(dims) == 2 {
		return bpgo.MatMul(x, w)
	}
	lead := dims[:len(dims)-1]
	n := 1
	for _, d := range lead {
		n *= d
	}
	y := bpgo.MatMul(graph.Reshape(x, n, dims[len(dims)-1]), w)
	return graph.Reshape(y, append(append([]int{}, lead...), w.Shape().Dimensions[1])...)
}

// InSize is the number of inputs (num_in).
func (d *Dense) InSize() int { return d.NumIn }

// OutSize is the number of outputs (num_out).
func (d *Dense) OutSize() int { return d.NumOut }
