package models_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/bpgo/surrogate"
	"github.com/bpgo/bpgo/models"
)

// The Defaults functions hold BrainPy's defaults, and each builds a working module.
func TestDefaultsAreBrainPys(t *testing.T) {
	lif := bpgo.Must1(models.NewLif(2, models.LifDefaults()))
	want := models.LifParams{VRest: 0, VReset: -5, VTh: 20, R: 1, Tau: 10, SpkFun: surrogate.InvSquareGrad{Alpha: 100}}
	if got := lif.Params(); !reflect.DeepEqual(got, want) {
		t.Errorf("Lif defaults: %+v, want %+v", got, want)
	}
	ref := bpgo.Must1(models.NewLifRef(2, models.LifRefDefaults()))
	if got := ref.Params(); !reflect.DeepEqual(got, models.LifRefParams{LifParams: want}) || ref.Refractory != nil {
		t.Errorf("LifRef defaults: %+v (Refractory %v)", got, ref.Refractory)
	}
	al := bpgo.Must1(models.NewALIFBellec2020(2, models.ALIFDefaults()))
	wantA := models.ALIFParams{VRest: -70, VTh: -60, R: 1, Tau: 20, TauA: 2000, Beta: []float64{1.6}, SpikeFun: surrogate.ReluGradDefaults()}
	if got := al.Params(); !reflect.DeepEqual(got, wantA) || al.TLastSpike != nil || al.Input == nil {
		t.Errorf("ALIF defaults: %+v, want %+v (no refractory state, an Input state)", got, wantA)
	}
	if v := al.V.Float64s(); v[0] != -70 || al.A.Float64s()[0] != -50 {
		t.Errorf("ALIF initial V, a = %v, %v, want -70, -50", v[0], al.A.Float64s()[0])
	}
	if g := bpgo.Must1(models.NewLeaky(2, models.LeakyDefaults())); g.Tau != 10 {
		t.Errorf("Leaky tau %v, want 10", g.Tau)
	}
	if g := bpgo.Must1(models.NewIntegrator(2, models.IntegratorDefaults())); g.Tau != 10 {
		t.Errorf("Integrator tau %v, want 10", g.Tau)
	}
	if e := bpgo.Must1(models.NewExpon(2, models.ExponDefaults())); e.Tau != 8 {
		t.Errorf("Expon tau %v, want 8", e.Tau)
	}
	if a := bpgo.Must1(models.NewAlpha(2, models.AlphaDefaults())); a.TauDecay != 10 || a.TauRise != 10 {
		t.Errorf("Alpha taus %v, %v, want 10, 10", a.TauDecay, a.TauRise)
	}
	if n := bpgo.Must1(models.NewNVAR(2, 2, models.NVARDefaults())); n.Stride != 1 || len(n.Orders) != 0 || n.Constant {
		t.Errorf("NVAR defaults: stride %d, orders %v, constant %v", n.Stride, n.Orders, n.Constant)
	}
	// The record and the zero value (nil initializers, "" activation) build the same cells.
	for name, pair := range map[string][2]func() (*bpgo.Variable, error){
		"Dense": {
			func() (*bpgo.Variable, error) {
				d, err := models.NewDense(3, 4, models.DenseDefaults())
				return varOf(d, err)
			},
			func() (*bpgo.Variable, error) {
				d, err := models.NewDense(3, 4, models.DenseOptions{})
				return varOf(d, err)
			},
		},
		"GRUCell": {
			func() (*bpgo.Variable, error) {
				c, err := models.NewGRUCell(3, 4, models.GRUCellDefaults())
				return wiOf(c, err)
			},
			func() (*bpgo.Variable, error) {
				c, err := models.NewGRUCell(3, 4, models.GRUCellOptions{})
				return wiOf(c, err)
			},
		},
	} {
		bpgo.SetSeed(7)
		a, err := pair[0]()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		bpgo.SetSeed(7)
		b, err := pair[1]()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(a.Float64s(), b.Float64s()) {
			t.Errorf("%s: Defaults() and the zero options draw different weights", name)
		}
	}
	for name, build := range map[string]func() error{
		"RNNCell":    func() error { _, err := models.NewRNNCell(3, 4, models.RNNCellDefaults()); return err },
		"LSTMCell":   func() error { _, err := models.NewLSTMCell(3, 4, models.LSTMCellDefaults()); return err },
		"VanillaRNN": func() error { _, err := models.NewVanillaRNN(3, 4, models.VanillaRNNDefaults()); return err },
	} {
		if err := build(); err != nil {
			t.Errorf("%s with its Defaults(): %v", name, err)
		}
	}
}

func varOf(d *models.Dense, err error) (*bpgo.Variable, error) {
	if err != nil {
		return nil, err
	}
	return d.W, nil
}

func wiOf(c *models.GRUCell, err error) (*bpgo.Variable, error) {
	if err != nil {
		return nil, err
	}
	return c.Wi, nil
}

// Zero means zero: a field set to 0 is 0, and a meaningless 0 is an error naming the field and
// BrainPy's default.
func TestZeroMeansZero(t *testing.T) {
	o := models.LifDefaults()
	o.VReset, o.R = 0, 0
	lif := bpgo.Must1(models.NewLif(2, o))
	if p := lif.Params(); p.VReset != 0 || p.R != 0 {
		t.Errorf("VReset, R = %v, %v, want 0, 0", p.VReset, p.R)
	}
	a := models.ALIFDefaults()
	a.VRest, a.Beta = 0, 0
	al := bpgo.Must1(models.NewALIFBellec2020(2, a))
	if p := al.Params(); p.VRest != 0 || p.Beta[0] != 0 {
		t.Errorf("ALIF VRest, Beta = %v, %v, want 0, 0", p.VRest, p.Beta)
	}
	d := models.DualExponDefaults()
	d.PeakNormalized, d.A = false, 2
	if s := bpgo.Must1(models.NewDualExpon(1, d)); s.Scale != (10.0-1)/(1*10)*2 {
		t.Errorf("DualExpon scale %v with A 2", s.Scale)
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{second(models.NewLeaky(2, models.LeakyOptions{})), "models.NewLeaky: LeakyOptions.Tau: want > 0 ms, got 0 (BrainPy's default is 10: start from models.LeakyDefaults())"},
		{second(models.NewIntegrator(2, models.IntegratorOptions{})), "IntegratorOptions.Tau: want > 0 ms, got 0 (BrainPy's default is 10"},
		{second(models.NewExpon(2, models.ExponOptions{})), "models.NewExpon: ExponOptions.Tau: want > 0 ms, got 0 (BrainPy's default is 8: start from models.ExponDefaults())"},
		{second(models.NewAlpha(2, models.AlphaOptions{})), "AlphaOptions.TauDecay: want > 0 ms, got 0 (BrainPy's default is 10"},
		{second(models.NewDualExpon(2, models.DualExponOptions{TauRise: 1})), "DualExponOptions.TauDecay: want > 0 ms, got 0 (BrainPy's default is 10"},
		{second(models.NewDualExpon(2, models.DualExponOptions{TauDecay: 10, TauRise: 1})), "DualExponOptions.A: want a finite non-zero number, got 0"},
		{second(models.NewDualExpon(2, models.DualExponOptions{TauDecay: 10, TauRise: 1, A: 1, PeakNormalized: true})), "DualExponOptions.A: want 0 with PeakNormalized"},
		{second(models.NewNVAR(2, 2, models.NVAROptions{Order: 2})), "NVAROptions.Stride: want >= 1, got 0 (BrainPy's default is 1: start from models.NVARDefaults())"},
		{second(models.NewDense(2, 2, models.DenseOptions{WInit: initializers.XavierNormal{}})), "initializers.XavierNormal: Scale: want > 0, got 0 (BrainPy's default is 1"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", c.err, c.want)
		}
	}
}
