package models

import (
	"fmt"
	"reflect"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// OutSizer is implemented by modules that can tell their output size (the number of neurons
// they feed); HalfProjAlignPost uses it to check sizes when it is built. Modules without it
// are asked through an exported int field NumOut, Size, Num, NumUnit, NumNeurons or N.
type OutSizer interface {
	OutSize() int
}

// PotentialHolder is implemented by neuron groups that expose their membrane potential state
// (B, N); a projection with a voltage-dependent output (COBA) reads it. Groups without it are
// asked through an exported *bpgo.Variable field named V.
type PotentialHolder interface {
	Potential() *bpgo.Variable
}

// HalfProjAlignPost is BrainPy 2.5.0's bp.dyn.HalfProjAlignPost(comm, syn, out, post): pre-
// synaptic spikes go through comm (e.g. Linear) into a post-aligned synapse syn (e.g. Expon),
// whose conductance the output out (CUBA, COBA) turns into the current of the post neurons.
//
// BrainPy registers out as a current input of post, which adds it when post updates. In bpgo
// the projection returns the current and the model passes it to post's Update in the same step
// (sum the currents of several projections onto one post). The BrainPy 2.5.0 SNN
//
//	def update(self, spike):
//	    self.i2r(spike); self.r2o(self.r.spike.value); self.r(); self.o(); return self.o.x.value
//
// becomes
//
//	func (m *SNN) Update(ctx *bpgo.Context, spike *graph.Node) *graph.Node {
//		iR := m.I2R.Update(ctx, spike)               // this step's input spikes
//		iO := m.R2O.Update(ctx, ctx.Value(m.R.Spike)) // r's spikes of the previous step
//		m.R.Update(ctx, iR)
//		return m.O.Update(ctx, iO)
//	}
//
// which keeps BrainPy's timing: no delay input→r, one step r→o. A voltage-dependent output
// (COBA) reads post's V when the projection updates, which is post's V before its own update,
// as in BrainPy, as long as the projection updates before post.
//
// The projection does not own post: post must be a field of the model too (it is skipped when
// the projection's fields are walked, so its variables keep their names, e.g. "r.V").
type HalfProjAlignPost struct {
	Comm bpgo.Stepper
	Syn  bpgo.Stepper
	Out  SynOut

	post  bpgo.Stepper   `bpgo:"-"`
	postV *bpgo.Variable `bpgo:"-"`
}

// NewHalfProjAlignPost builds the projection. Sizes are checked where the modules tell them (see
// OutSizer): comm's output size must equal syn's size, and syn's size post's size. An output
// that needs the membrane potential (COBA) needs a post with a V (see PotentialHolder).
func NewHalfProjAlignPost(comm, syn bpgo.Stepper, out SynOut, post bpgo.Stepper) (*HalfProjAlignPost, error) {
	for _, c := range []struct {
		name string
		v    any
	}{{"comm", comm}, {"syn", syn}, {"out", out}, {"post", post}} {
		if isNil(c.v) {
			return nil, fmt.Errorf("models.NewHalfProjAlignPost: %s is nil", c.name)
		}
	}
	commN, okC := outSize(comm)
	synN, okS := outSize(syn)
	postN, okP := outSize(post)
	if okC && okS && commN != synN {
		return nil, fmt.Errorf("models.NewHalfProjAlignPost: comm outputs %d values (%T) but syn has size %d (%T)", commN, comm, synN, syn)
	}
	if okS && okP && synN != postN {
		return nil, fmt.Errorf("models.NewHalfProjAlignPost: syn has size %d (%T) but post has size %d (%T)", synN, syn, postN, post)
	}
	if okC && okP && !okS && commN != postN {
		return nil, fmt.Errorf("models.NewHalfProjAlignPost: comm outputs %d values (%T) but post has size %d (%T)", commN, comm, postN, post)
	}
	p := &HalfProjAlignPost{Comm: comm, Syn: syn, Out: out, post: post}
	if out.NeedsV() {
		p.postV = potential(post)
		if p.postV == nil {
			return nil, fmt.Errorf("models.NewHalfProjAlignPost: out (%T) needs the post-synaptic membrane potential, but post (%T) has no Potential() method or V field", out, post)
		}
	}
	return p, nil
}

// Post is the post-synaptic group the current is meant for.
func (p *HalfProjAlignPost) Post() bpgo.Stepper { return p.post }

// OutSize is the number of post-synaptic neurons when it can be told, else 0.
func (p *HalfProjAlignPost) OutSize() int {
	n, _ := outSize(p.Syn)
	return n
}

// Update runs comm and syn on the pre-synaptic spikes (B, N_pre) and returns out's current
// (B, N_post) for post (BrainPy computes comm twice, current = comm(x) and g = syn(comm(x));
// comm is pure, so once is the same).
func (p *HalfProjAlignPost) Update(ctx *bpgo.Context, spikes *graph.Node) *graph.Node {
	g := p.Syn.Update(ctx, p.Comm.Update(ctx, spikes))
	var v *graph.Node
	if p.postV != nil {
		v = ctx.Value(p.postV)
	}
	return p.Out.Update(ctx, g, v)
}

// outSize tells a module's output size through OutSizer or a known exported int field.
func outSize(m any) (int, bool) {
	if s, ok := m.(OutSizer); ok {
		if n := s.OutSize(); n > 0 {
			return n, true
		}
		return 0, false
	}
	rv := reflect.ValueOf(m)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return 0, false
	}
	s := rv.Elem()
	for _, name := range []string{"NumOut", "Size", "Num", "NumUnit", "NumNeurons", "N"} {
		f := s.FieldByName(name)
		if f.IsValid() && f.CanInterface() && f.Kind() == reflect.Int && f.Int() > 0 {
			return int(f.Int()), true
		}
	}
	return 0, false
}

var variablePtrType = reflect.TypeFor[*bpgo.Variable]()

// potential finds a neuron group's membrane potential variable.
func potential(post any) *bpgo.Variable {
	if h, ok := post.(PotentialHolder); ok {
		return h.Potential()
	}
	rv := reflect.ValueOf(post)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := rv.Elem().FieldByName("V")
	if f.IsValid() && f.CanInterface() && f.Type() == variablePtrType && !f.IsNil() {
		return f.Interface().(*bpgo.Variable)
	}
	return nil
}
