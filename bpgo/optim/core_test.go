package optim_test

import (
	"maps"
	"math"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/optim"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"
)

func newAdam(t *testing.T) *optim.Adam {
	t.Helper()
	return bpgo.Must1(optim.NewAdam(optim.ExponentialDecay{LR: 0.025, DecaySteps: 1, DecayRate: 0.99975}, optim.AdamOptions{Beta1: 0.9, Beta2: 0.999, Eps: 0.1}))
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("no error, want one containing %q", parts)
		return
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

func TestRegisterErrors(t *testing.T) {
	opt := newAdam(t)
	good := newParam(t, []float64{1, 2}, 2)
	fixed := bpgo.NewParam(good.Value(), false)
	state := bpgo.NewState(good.Value(), -1)
	ints := bpgo.NewParam(tensors.FromFlatDataAndDimensions([]int32{1, 2}, 2), true)
	f32, _ := bpgo.FromFloat64s(dtypes.Float32, []float64{1, 2}, 2)

	wantErr(t, opt.Register([]*bpgo.Variable{good, nil}), "Adam.Register", "#1", "nil")
	wantErr(t, opt.Register([]*bpgo.Variable{fixed}), "#0", "not a trainable parameter")
	wantErr(t, opt.Register([]*bpgo.Variable{state}), "not a trainable parameter", "state")
	wantErr(t, opt.Register([]*bpgo.Variable{ints}), "Int32", "Float32 and Float64")
	wantErr(t, opt.Register([]*bpgo.Variable{good, good}), "#1", "already registered")
	wantErr(t, opt.Register([]*bpgo.Variable{good, bpgo.NewParam(f32, true)}), "Float32", "one dtype")
	if n := len(opt.Params()); n != 0 {
		t.Fatalf("failed Register calls registered %d variables", n)
	}

	if err := opt.Register([]*bpgo.Variable{good}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, opt.Register([]*bpgo.Variable{good}), "already registered")
	wantErr(t, opt.Register([]*bpgo.Variable{bpgo.NewParam(f32, true)}), "one dtype")
	if len(opt.Params()) != 1 || len(opt.Slots()) != 2 {
		t.Fatalf("Params %d, Slots %d, want 1, 2", len(opt.Params()), len(opt.Slots()))
	}

	g, _ := bpgo.FromFloat64s(dtypes.Float64, []float64{1, 1}, 2)
	if err := opt.Update(bpgo.Grads{good: g}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, opt.Register([]*bpgo.Variable{newParam(t, []float64{1}, 1)}), "after the first update")
}

func TestUpdateErrors(t *testing.T) {
	opt := newAdam(t)
	wantErr(t, opt.Update(bpgo.Grads{}), "no registered variables")
	p := newParam(t, []float64{1, 2}, 2)
	if err := opt.Register([]*bpgo.Variable{p}); err != nil {
		t.Fatal(err)
	}
	bad, _ := bpgo.FromFloat64s(dtypes.Float64, []float64{1, 2, 3}, 3)
	wantErr(t, opt.Update(bpgo.Grads{p: bad}), "shape")
	other := newParam(t, []float64{1, 2}, 2)
	wantErr(t, opt.Update(bpgo.Grads{other: bad}), "no gradient")
	if opt.Updates() != 0 || opt.LastCall() != -1 {
		t.Errorf("failed updates advanced the counters: %v", opt.Counters())
	}
}

func TestOptionErrors(t *testing.T) {
	lr := optim.Constant(0.1)
	_, err := optim.NewAdam(nil, optim.AdamDefaults())
	wantErr(t, err, "NewAdam", "lr", "nil")
	_, err = optim.NewAdam(lr, optim.AdamOptions{Beta1: 1, Beta2: 0.999, Eps: 1e-8})
	wantErr(t, err, "Beta1")
	_, err = optim.NewAdam(lr, optim.AdamOptions{Beta1: 0.9, Beta2: -0.5, Eps: 1e-8})
	wantErr(t, err, "Beta2")
	_, err = optim.NewAdam(lr, optim.AdamOptions{Beta1: 0.9, Beta2: 0.999, Eps: math.NaN()})
	wantErr(t, err, "Eps")
	_, err = optim.NewAdam(lr, optim.AdamOptions{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 2})
	wantErr(t, err, "WeightDecay")
	_, err = optim.NewAdam(lr, optim.AdamOptions{Beta1: 0.9, Eps: 1e-8})
	wantErr(t, err, "NewAdam", "AdamOptions.Beta2", "got 0", "0.999", "AdamDefaults()")
	_, err = optim.NewAdam(optim.ExponentialDecay{LR: 0.1, DecaySteps: 0, DecayRate: 0.9}, optim.AdamDefaults())
	wantErr(t, err, "NewAdam", "lr", "ExponentialDecay", "DecaySteps")
	_, err = optim.NewSGD(nil, optim.SGDOptions{WeightDecay: 0.1})
	wantErr(t, err, "NewSGD", "lr", "nil")
	_, err = optim.NewSGD(lr, optim.SGDOptions{WeightDecay: -0.1})
	wantErr(t, err, "WeightDecay")
	_, err = optim.NewMomentum(lr, optim.MomentumOptions{Momentum: 1.5})
	wantErr(t, err, "Momentum")
	_, err = optim.NewRMSProp(lr, optim.RMSPropOptions{Rho: 1, Eps: 1e-6})
	wantErr(t, err, "Rho")
	_, err = optim.NewRMSProp(lr, optim.RMSPropOptions{Eps: 1e-6})
	wantErr(t, err, "RMSPropOptions.Rho", "0.9", "RMSPropDefaults()")
	_, err = optim.NewRMSProp(lr, optim.RMSPropOptions{Rho: 0.9, Eps: -1})
	wantErr(t, err, "Eps")
	_, err = optim.NewRMSProp(lr, optim.RMSPropOptions{Rho: 0.9})
	wantErr(t, err, "RMSPropOptions.Eps", "got 0", "1e-6")
}

func TestEpsZeroMeansZero(t *testing.T) {
	// Eps: 0 is eps = 0: the first Adam step is then exactly lr_t*sign(g) per element
	// (m/sqrt(v) = (1-b1)g/(sqrt(1-b2)|g|)).
	opt := bpgo.Must1(optim.NewAdam(optim.Constant(0.01), optim.AdamOptions{Beta1: 0.9, Beta2: 0.999, Eps: 0}))
	got := runToy(t, opt, 1, 1, false)
	hand := handAdam(handConfig{epochs: 1, steps: 1, lrAt: constLR(0.01)}, 0.9, 0.999, 0, false)
	checkTrajectory(t, "eps=0", got, hand)
	if want := 1.0 - 0.01; !close64(got[0][0], want) {
		t.Errorf("p[0] = %v, want %v", got[0][0], want)
	}
	if !strings.Contains(opt.String(), "eps=0)") {
		t.Errorf("String = %q, want eps=0", opt.String())
	}
}

// Counters round trip: a fresh optimizer given the counters, slots and parameter values of a
// trained one continues exactly like the original.
func TestCountersRoundTrip(t *testing.T) {
	orig := newAdam(t)
	p := newParam(t, toyP0, 3)
	if err := orig.Register([]*bpgo.Variable{p}); err != nil {
		t.Fatal(err)
	}
	step := func(opt *optim.Adam, p *bpgo.Variable) {
		g, _ := bpgo.FromFloat64s(dtypes.Float64, toyGrad(p.Float64s()), 3)
		if err := opt.Update(bpgo.Grads{p: g}); err != nil {
			t.Fatal(err)
		}
	}
	for e := range 2 {
		for range 3 {
			step(orig, p)
		}
		if e == 0 {
			orig.StepEpoch()
		}
	}
	c := orig.Counters()
	want := map[string]int{optim.CounterLastEpoch: 0, optim.CounterLastCall: 5, optim.CounterUpdates: 6}
	if !maps.Equal(c, want) {
		t.Fatalf("Counters = %v, want %v", c, want)
	}

	resumed := newAdam(t)
	p2 := newParam(t, p.Float64s(), 3)
	if err := resumed.Register([]*bpgo.Variable{p2}); err != nil {
		t.Fatal(err)
	}
	for i, s := range resumed.Slots() {
		if err := s.SetValue(orig.Slots()[i].Value()); err != nil {
			t.Fatal(err)
		}
	}
	if err := resumed.SetCounters(c); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(resumed.Counters(), want) {
		t.Fatalf("restored Counters = %v, want %v", resumed.Counters(), want)
	}
	if resumed.Hyper()[0] != orig.Hyper()[0] {
		t.Errorf("Hyper after restore = %v, want %v", resumed.Hyper(), orig.Hyper())
	}
	for range 3 {
		step(orig, p)
		step(resumed, p2)
	}
	checkTrajectory(t, "resumed", [][]float64{p2.Float64s()}, [][]float64{p.Float64s()})

	wantErr(t, resumed.SetCounters(map[string]int{"step": 1}), "unknown counter")
	wantErr(t, resumed.SetCounters(map[string]int{optim.CounterUpdates: -1}), "updates")
	wantErr(t, resumed.SetCounters(map[string]int{optim.CounterLastEpoch: -5}), "last_epoch")
}

func TestSlotNames(t *testing.T) {
	type model struct{ W, B *bpgo.Variable }
	m := &model{W: newParam(t, []float64{1, 2, 3, 4}, 2, 2), B: newParam(t, []float64{0, 0}, 2)}
	opt := newAdam(t)
	if err := opt.Register([]*bpgo.Variable{m.W, m.B}); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(opt.SlotNames(), " "), "Adam.m/#0 Adam.v/#0 Adam.m/#1 Adam.v/#1"; got != want {
		t.Errorf("unnamed SlotNames = %q, want %q", got, want)
	}
	if _, err := bpgo.Walk(m); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(opt.SlotNames(), " "), "Adam.m/W Adam.v/W Adam.m/B Adam.v/B"; got != want {
		t.Errorf("SlotNames = %q, want %q", got, want)
	}
	for i, s := range opt.Slots() {
		if s.Kind != bpgo.State || !s.Shape().Equal(opt.Params()[i/2].Shape()) {
			t.Errorf("slot %d: kind %s shape %s", i, s.Kind, s.Shape())
		}
		for _, x := range s.Float64s() {
			if x != 0 {
				t.Errorf("slot %d not zero: %v", i, s.Float64s())
			}
		}
	}
	rms := bpgo.Must1(optim.NewRMSProp(optim.Constant(0.1), optim.RMSPropDefaults()))
	mom := bpgo.Must1(optim.NewMomentum(optim.Constant(0.1), optim.MomentumDefaults()))
	for _, o := range []interface {
		Register([]*bpgo.Variable) error
		SlotNames() []string
	}{rms, mom} {
		if err := o.Register([]*bpgo.Variable{m.W}); err != nil {
			t.Fatal(err)
		}
	}
	if got := rms.SlotNames(); len(got) != 1 || got[0] != "RMSProp.cache/W" {
		t.Errorf("RMSProp SlotNames = %v", got)
	}
	if got := mom.SlotNames(); len(got) != 1 || got[0] != "Momentum.v/W" {
		t.Errorf("Momentum SlotNames = %v", got)
	}
}

// float32 parameters train too (BrainPy's default precision); compare with the float64 run.
func TestFloat32(t *testing.T) {
	opt := newAdam(t)
	v, _ := bpgo.FromFloat64s(dtypes.Float32, toyP0, 3)
	p := bpgo.NewParam(v, true)
	if err := opt.Register([]*bpgo.Variable{p}); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		g, _ := bpgo.FromFloat64s(dtypes.Float32, toyGrad(p.Float64s()), 3)
		if err := opt.Update(bpgo.Grads{p: g}); err != nil {
			t.Fatal(err)
		}
	}
	if p.Value().DType() != dtypes.Float32 || opt.Slots()[0].Value().DType() != dtypes.Float32 {
		t.Fatalf("dtype changed: %s, %s", p.Value().DType(), opt.Slots()[0].Value().DType())
	}
	for i, x := range p.Float64s() {
		if want := bpAdamCustom[3][i]; math.Abs(x-want) > 1e-6 {
			t.Errorf("float32 p[%d] = %v, want ≈ %v", i, x, want)
		}
	}
}

func TestStrings(t *testing.T) {
	lr := optim.Constant(0.1)
	for _, c := range []struct{ got, want string }{
		{newAdam(t).String(), "Adam(lr=ExponentialDecay(lr=0.025, decay_steps=1, decay_rate=0.99975), beta1=0.9, beta2=0.999, eps=0.1)"},
		{bpgo.Must1(optim.NewAdam(lr, optim.AdamOptions{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Textbook: true, WeightDecay: 0.01})).String(), "Adam(lr=Constant(lr=0.1), beta1=0.9, beta2=0.999, eps=1e-08, weight_decay=0.01, textbook=true)"},
		{bpgo.Must1(optim.NewSGD(lr, optim.SGDDefaults())).String(), "SGD(lr=Constant(lr=0.1))"},
		{bpgo.Must1(optim.NewMomentum(lr, optim.MomentumDefaults())).String(), "Momentum(lr=Constant(lr=0.1), momentum=0.9)"},
		{bpgo.Must1(optim.NewRMSProp(lr, optim.RMSPropDefaults())).String(), "RMSProp(lr=Constant(lr=0.1), epsilon=1e-06, rho=0.9)"},
	} {
		if c.got != c.want {
			t.Errorf("String = %q, want %q", c.got, c.want)
		}
	}
}
