package models

import (
	"fmt"
	"reflect"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// Sequential is BrainPy's bp.Sequential: modules applied in order within one time step, each to
// the previous one's output, y = m_n(…m_2(m_1(x))). The tutorials' synapse
// bp.Sequential(comm=Linear(...), syn=Expon(...)) is
//
//	seq, err := models.NewSequential(linear, expon) // comm first, then syn
//
// whose output is the synaptic state g (the new input enters after g's decay).
//
// Sequential has no ResetState of its own: bpgo.ResetState(model, batch) (and the runners and
// trainers) reset every stateful module of the model, the ones inside Sequential included.
// Variables inside are named by their index, e.g. "i2r.Modules.1.G".
type Sequential struct {
	Modules []bpgo.Stepper
}

// NewSequential chains the modules in argument order; at least one is needed, none nil.
func NewSequential(modules ...bpgo.Stepper) (*Sequential, error) {
	if len(modules) == 0 {
		return nil, fmt.Errorf("models.NewSequential: no modules")
	}
	for i, m := range modules {
		if isNil(m) {
			return nil, fmt.Errorf("models.NewSequential: module %d is nil", i)
		}
	}
	return &Sequential{Modules: append([]bpgo.Stepper(nil), modules...)}, nil
}

// Update applies the modules in order and returns the last one's output.
func (s *Sequential) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	for _, m := range s.Modules {
		x = m.Update(ctx, x)
	}
	return x
}

// Head applies the first module only and Tail the others, so that Tail(Head(x)) is Update(x).
// A model whose input layer is a Sequential starting with a stateless map (Linear, Dense) uses
// them to be a bpgo.Encoder: Encode calls Head, UpdateEncoded calls Tail. Head may serve as
// Encode only when the first module has no state.
func (s *Sequential) Head(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	return s.Modules[0].Update(ctx, x)
}

// Tail applies every module but the first, in order (see Head).
func (s *Sequential) Tail(ctx *bpgo.Context, h *graph.Node) *graph.Node {
	for _, m := range s.Modules[1:] {
		h = m.Update(ctx, h)
	}
	return h
}

// OutSize is the last module's output size when it can be told (see HalfProjAlignPost), else 0.
func (s *Sequential) OutSize() int {
	if len(s.Modules) == 0 {
		return 0
	}
	n, _ := outSize(s.Modules[len(s.Modules)-1])
	return n
}

// isNil reports whether v is nil or a typed nil pointer, map, slice, func or interface.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface, reflect.Chan:
		return rv.IsNil()
	}
	return false
}
