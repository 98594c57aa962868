package bpgo

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unsafe"

	"github.com/gomlx/gomlx/core/graph"
)

// Stepper is a model: one call of Update is one time step, from the input of this step (B, F)
// to the output of this step. It reads and writes its variables through ctx.
type Stepper interface {
	Update(ctx *Context, x *graph.Node) *graph.Node
}

// Readouter is a model whose output at every step is a stateless readout of a per-step hidden
// value, such as a linear map of its rates: Update(ctx, x) must equal
// Readout(ctx, UpdateHidden(ctx, x)). Engines that build several steps in one graph (and run no
// StepHook and record no fit data) call UpdateHidden at every step and Readout once, on all the
// steps' hidden values with batch and time merged into the leading axis: K small products and
// their gradients become one large one (seed 003's E/I RNN: a quarter of its per-step ops).
// Readout maps a batch of hidden values (N, ...) row by row to outputs (N, ...): it must read
// only parameters (ctx.Value, ctx.Once), never set state, draw noise or record.
type Readouter interface {
	Stepper
	UpdateHidden(ctx *Context, x *graph.Node) *graph.Node
	Readout(ctx *Context, h *graph.Node) *graph.Node
}

// Encoder is a model whose every step starts with a stateless map of its input, such as the
// input layer's weights: Update(ctx, x) must equal UpdateEncoded(ctx, Encode(ctx, x)). The scan
// engine (XLA) calls Encode once on all the steps' inputs, with batch and time merged into the
// leading axis, before its forward loop, and a Grad takes the map's gradient once after its
// backward loop: T small products and their weight gradients become two large ones, and neither
// loop recomputes them (seed 000's SNN: its only product with the inputs). A Runner with a
// StepHook, or recording for a fit, steps through Update. Encode maps a batch of
// inputs (N, ...) row by row to encodings (N, ...): it must read only parameters (ctx.Value,
// ctx.Once), never set state, draw noise, record or read the clock.
type Encoder interface {
	Stepper
	Encode(ctx *Context, x *graph.Node) *graph.Node
	UpdateEncoded(ctx *Context, e *graph.Node) *graph.Node
}

// Projector is a model whose every step starts with a projection: the currents its synapses
// deliver, computed from the input and the state before the step (for example x·W_in +
// z_{t−1}·W_rec), which the rest of the step consumes. Update(ctx, x) must equal
// UpdateProjected(ctx, x, Project(ctx, x)). A Grad on the scan engine (XLA) stores each step's
// projection in its forward loop; its backward loop then runs the rest of the step from the
// stored value instead of recomputing the products, and takes the projection's gradient on its
// own, which needs only its inputs (for products: two matrix products per weight instead of
// three). It costs one (T, B, ...) buffer of the projections. Project must not set state: it
// reads the state the step starts from. Every other engine steps through Update. An Encoder
// is not also run as a Projector.
type Projector interface {
	Stepper
	Project(ctx *Context, x *graph.Node) *graph.Node
	UpdateProjected(ctx *Context, x, p *graph.Node) *graph.Node
}

// Resetter is implemented by modules with state: ResetState reinitialises the state for a
// batch of the given size, following BrainPy's per-module reset_state rules. It must update the
// module's variables in place (Variable.Reset), not replace them.
type Resetter interface {
	ResetState(batch int)
}

// ModuleInfo is one module found in a model tree.
type ModuleInfo struct {
	Path   string // "" for the root, else the field path, e.g. "r" or "layers.1"
	Module any
}

// Tree is what Walk finds in a model: its modules (root first, depth-first in field order) and
// its variables, each once, named by their field path.
type Tree struct {
	Modules []ModuleInfo
	Vars    []*Variable
}

// Params returns the parameters; only the trainable ones if trainableOnly.
func (t *Tree) Params(trainableOnly bool) []*Variable {
	var out []*Variable
	for _, v := range t.Vars {
		if v.Kind == Param && (!trainableOnly || v.Trainable) {
			out = append(out, v)
		}
	}
	return out
}

// States returns the state variables.
func (t *Tree) States() []*Variable {
	var out []*Variable
	for _, v := range t.Vars {
		if v.Kind == State {
			out = append(out, v)
		}
	}
	return out
}

// Walk finds the modules and variables of a model. The model is a pointer to a struct; its
// fields (exported or not) that are *Variable are variables, and fields that point to structs
// (or hold them in slices, arrays or interfaces) are sub-modules, walked recursively. Shared
// sub-modules and variables are listed once, under the first path that reaches them. A field
// tagged `bpgo:"-"` is skipped. Types from GoMLX, gonum and the standard library are not walked.
func Walk(model any) (*Tree, error) {
	if model == nil {
		return nil, fmt.Errorf("bpgo.Walk: model is nil")
	}
	rv := reflect.ValueOf(model)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("bpgo.Walk: model must be a non-nil pointer to a struct, got %T", model)
	}
	w := &walker{tree: &Tree{}, seen: map[uintptr]bool{}, seenVar: map[*Variable]bool{}}
	w.module("", rv)
	return w.tree, nil
}

type walker struct {
	tree    *Tree
	seen    map[uintptr]bool
	seenVar map[*Variable]bool
}

var variableType = reflect.TypeFor[*Variable]()

func (w *walker) module(path string, ptr reflect.Value) {
	addr := ptr.Pointer()
	if w.seen[addr] {
		return
	}
	w.seen[addr] = true
	w.tree.Modules = append(w.tree.Modules, ModuleInfo{Path: path, Module: ptr.Interface()})
	w.fields(path, ptr.Elem())
}

func (w *walker) fields(path string, s reflect.Value) {
	t := s.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Tag.Get("bpgo") == "-" {
			continue
		}
		fv := s.Field(i)
		if !f.IsExported() {
			if !fv.CanAddr() {
				continue
			}
			fv = reflect.NewAt(fv.Type(), unsafe.Pointer(fv.UnsafeAddr())).Elem()
		}
		name := f.Name
		if f.Anonymous {
			name = ""
		}
		w.value(join(path, name), fv)
	}
}

func (w *walker) value(path string, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if v.Type() == variableType {
			vr := v.Interface().(*Variable)
			if !w.seenVar[vr] {
				w.seenVar[vr] = true
				vr.name = path
				w.tree.Vars = append(w.tree.Vars, vr)
			}
			return
		}
		if v.Elem().Kind() == reflect.Struct && walkable(v.Elem().Type()) {
			w.module(path, v)
		}
	case reflect.Interface:
		if !v.IsNil() {
			w.value(path, v.Elem())
		}
	case reflect.Struct:
		if walkable(v.Type()) {
			w.fields(path, v)
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return
		}
		if k := v.Type().Elem().Kind(); k != reflect.Pointer && k != reflect.Interface && k != reflect.Struct {
			return
		}
		for i := 0; i < v.Len(); i++ {
			w.value(join(path, strconv.Itoa(i)), v.Index(i))
		}
	}
}

// walkable excludes library types (GoMLX, gonum, the standard library) from the walk.
func walkable(t reflect.Type) bool {
	pkg := t.PkgPath()
	if pkg == "" || pkg == "main" {
		return true
	}
	first, _, _ := strings.Cut(pkg, "/")
	if !strings.Contains(first, ".") {
		return false // standard library
	}
	for _, prefix := range []string{"github.com/gomlx/", "gonum.org/", "github.com/janpfeifer/", "golang.org/"} {
		if strings.HasPrefix(pkg, prefix) {
			return false
		}
	}
	return true
}

func join(path, name string) string {
	switch {
	case name == "":
		return path
	case path == "":
		return name
	}
	return path + "." + name
}

// ResetState resets every module of the model that has state (see Resetter) for a batch of the
// given size, like BrainPy's model.reset(batch_size).
func ResetState(model any, batch int) error {
	if batch < 1 {
		return fmt.Errorf("bpgo.ResetState: batch must be >= 1, got %d", batch)
	}
	tree, err := Walk(model)
	if err != nil {
		return err
	}
	for _, m := range tree.Modules {
		if r, ok := m.Module.(Resetter); ok {
			r.ResetState(batch)
		}
	}
	return nil
}
