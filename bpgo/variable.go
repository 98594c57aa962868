package bpgo

import (
	"fmt"
	"slices"
	"sync"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// Kind tells parameters from dynamical state.
type Kind int

const (
	// Param is a weight: trainable in TrainingMode (BrainPy's TrainVar), else fixed.
	Param Kind = iota
	// State is a dynamical variable (membrane potential, delay buffer, hidden state) that the
	// time loop carries from step to step and ResetState reinitialises.
	State
)

func (k Kind) String() string {
	if k == State {
		return "state"
	}
	return "param"
}

// Variable holds one parameter or state tensor of a module. Its value may live on the host or
// on the device; the time loop passes it into compiled graphs and stores what comes back.
//
// A Variable gets its name (a path like "o.W") when the model tree is walked.
type Variable struct {
	Kind      Kind
	Trainable bool // trainable parameter (only meaningful for Param)
	// BatchAxis is the axis holding the batch in a State variable, or -1 without one.
	BatchAxis int

	name string
	// mu guards value and parts: reading a value kept in parts joins them.
	mu    sync.Mutex
	value *tensors.Tensor
	// parts, when set, is the value split by rows between a Runner's batch shards (see
	// rowParts); value is then nil.
	parts  *rowParts
	random bool // an in-graph random generator's state (NewRandomState)
}

// rowParts is a state's value kept as the row groups a sharded Runner left it in: the next run
// with the same rows carries on from them instead of joining them into one tensor and cutting
// that up again (three copies of e-prop's (B, P, N) traces every window of a streamed trial).
// Nothing outside the variable holds the parts.
type rowParts struct {
	rows []rowSpan
	ts   []*tensors.Tensor
}

// get returns the value, joining its row parts first if it has them.
func (v *Variable) get() *tensors.Tensor {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.parts != nil {
		v.value, v.parts = joinRows(v.parts.ts), nil
	}
	return v.value
}

// has reports whether the variable has a value.
func (v *Variable) has() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.value != nil || v.parts != nil
}

// put sets the value (dropping any row parts).
func (v *Variable) put(t *tensors.Tensor) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.value, v.parts = t, nil
}

// putParts sets the value as row parts for rows.
func (v *Variable) putParts(rows []rowSpan, ts []*tensors.Tensor) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.value, v.parts = nil, &rowParts{rows: rows, ts: ts}
}

// partsFor returns the value's row parts if it is kept in exactly these rows, else nil.
func (v *Variable) partsFor(rows []rowSpan) []*tensors.Tensor {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.parts == nil || !slices.Equal(v.parts.rows, rows) {
		return nil
	}
	return v.parts.ts
}

// NewParam makes a parameter from a tensor.
func NewParam(value *tensors.Tensor, trainable bool) *Variable {
	return &Variable{Kind: Param, Trainable: trainable, BatchAxis: -1, value: value}
}

// NewState makes a state variable from a tensor whose batch axis is batchAxis (-1: none).
func NewState(value *tensors.Tensor, batchAxis int) *Variable {
	return &Variable{Kind: State, BatchAxis: batchAxis, value: value}
}

// Name is the variable's path in the model tree ("" before the tree was walked).
func (v *Variable) Name() string { return v.name }

// Value returns the current value (do not modify it in place; use SetValue).
func (v *Variable) Value() *tensors.Tensor { return v.get() }

// Shape is the current value's shape.
func (v *Variable) Shape() shapes.Shape {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.parts != nil {
		s := v.parts.ts[0].Shape().Clone()
		for _, t := range v.parts.ts[1:] {
			s.Dimensions[0] += t.Shape().Dimensions[0]
		}
		return s
	}
	return v.value.Shape()
}

// SetValue replaces the value. Like BrainPy, a parameter keeps its shape and dtype; a state
// variable may change size only along its batch axis.
func (v *Variable) SetValue(t *tensors.Tensor) error {
	if t == nil {
		return fmt.Errorf("variable %q: SetValue got a nil tensor", v.name)
	}
	if v.has() {
		old, nw := v.Shape(), t.Shape()
		if old.DType != nw.DType {
			return fmt.Errorf("variable %q: SetValue got dtype %s, want %s", v.name, nw.DType, old.DType)
		}
		if !sameExceptAxis(old.Dimensions, nw.Dimensions, v.BatchAxis) {
			return fmt.Errorf("variable %q: SetValue got shape %v, want %v", v.name, nw.Dimensions, old.Dimensions)
		}
	}
	v.put(t)
	return nil
}

func sameExceptAxis(a, b []int, axis int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if i != axis && a[i] != b[i] {
			return false
		}
	}
	return true
}

// Reset gives a state variable a new value for a new batch (see Resetter); it panics if the
// value does not fit, which is a bug in the module.
func (v *Variable) Reset(t *tensors.Tensor) {
	if err := v.SetValue(t); err != nil {
		panic(fmt.Sprintf("bpgo: resetting %v", err))
	}
}

// Float64s copies the value to the host as float64s (row-major).
func (v *Variable) Float64s() []float64 { return ToFloat64s(v.get()) }

// ToFloat64s copies a float tensor to a []float64 (row-major).
func ToFloat64s(t *tensors.Tensor) []float64 {
	switch t.DType() {
	case dtypes.Float64:
		return tensors.MustCopyFlatData[float64](t)
	case dtypes.Float32:
		f := tensors.MustCopyFlatData[float32](t)
		out := make([]float64, len(f))
		for i, x := range f {
			out[i] = float64(x)
		}
		return out
	}
	panic(fmt.Sprintf("bpgo.ToFloat64s: tensor dtype %s is not a float type", t.DType()))
}

// FromFloat64s builds a tensor of the given float dtype from row-major data.
func FromFloat64s(dt dtypes.DType, data []float64, dims ...int) (*tensors.Tensor, error) {
	n := 1
	for _, d := range dims {
		if d < 0 {
			return nil, fmt.Errorf("negative dimension in %v", dims)
		}
		n *= d
	}
	if n != len(data) {
		return nil, fmt.Errorf("%d values do not fill shape %v (%d elements)", len(data), dims, n)
	}
	switch dt {
	case dtypes.Float64:
		return tensors.FromFlatDataAndDimensions(slices.Clone(data), dims...), nil
	case dtypes.Float32:
		f := make([]float32, len(data))
		for i, x := range data {
			f[i] = float32(x)
		}
		return tensors.FromFlatDataAndDimensions(f, dims...), nil
	}
	return nil, fmt.Errorf("dtype %s is not a float type (want Float32 or Float64)", dt)
}

// Zeros returns a zero tensor of the current float type.
func Zeros(dims ...int) *tensors.Tensor {
	return tensors.FromShape(shapes.Make(FloatDType(), dims...))
}
