package optim_test

import (
	"math"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/optim"
	"github.com/gomlx/compute/dtypes"
)

// Two parameters for the clipping runs: p (3,) with gradient 2(p-C) as in the toy problem and
// q (2, 2) with gradient 3(q-D).
var (
	clipQ0 = []float64{0.5, -1.5, 2.0, 0.25}
	clipD  = []float64{0.0, 1.0, -1.0, 0.5}
)

func clipGrads(p, q []float64) (gp, gq []float64) {
	gp = toyGrad(p)
	gq = make([]float64, len(q))
	for i := range q {
		gq[i] = 3 * (q[i] - clipD[i])
	}
	return gp, gq
}

// runClip runs SGD(0.1) with the given clipping for n updates and returns p and q after each.
func runClip(t *testing.T, clip optim.Clip, n int) (ps, qs [][]float64) {
	t.Helper()
	opt := bpgo.Must1(optim.NewSGD(optim.Constant(0.1), optim.SGDOptions{Clip: clip}))
	p := newParam(t, toyP0, 3)
	q := newParam(t, clipQ0, 2, 2)
	if err := opt.Register([]*bpgo.Variable{p, q}); err != nil {
		t.Fatal(err)
	}
	for range n {
		gp, gq := clipGrads(p.Float64s(), q.Float64s())
		tp, _ := bpgo.FromFloat64s(dtypes.Float64, gp, 3)
		tq, _ := bpgo.FromFloat64s(dtypes.Float64, gq, 2, 2)
		if err := opt.Update(bpgo.Grads{p: tp, q: tq}); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p.Float64s())
		qs = append(qs, q.Float64s())
	}
	return ps, qs
}

// handClip runs the same with a Go clipping function applied to (gp, gq).
func handClip(clip func(gp, gq []float64), n int) (ps, qs [][]float64) {
	p := append([]float64(nil), toyP0...)
	q := append([]float64(nil), clipQ0...)
	for range n {
		gp, gq := clipGrads(p, q)
		clip(gp, gq)
		for i := range p {
			p[i] -= 0.1 * gp[i]
		}
		for i := range q {
			q[i] -= 0.1 * gq[i]
		}
		ps = append(ps, append([]float64(nil), p...))
		qs = append(qs, append([]float64(nil), q...))
	}
	return ps, qs
}

func sumSq(g []float64) float64 {
	s := 0.0
	for _, x := range g {
		s += x * x
	}
	return s
}

func scale(g []float64, norm, c float64) {
	for i := range g {
		g[i] = g[i] * c / math.Max(norm, c)
	}
}

// BrainPy 2.4.3 reference (testdata/brainpy_ref.py): grads = bm.clip_by_norm(grads, 1.5)
// (what 2.1.12's BPTT does with max_grad_norm) then SGD(lr=0.1).update(grads), 4 updates.
var bpClipPerArrayP = [][]float64{
	{0.9560588675915378, -1.8681766027746134, 0.4435042583319772},
	{0.9121177351830756, -1.736353205549227, 0.3870085166639544},
	{0.8681766027746134, -1.6045298083238406, 0.3305127749959316},
	{0.8242354703661512, -1.472706411098454, 0.27401703332790883},
}
var bpClipPerArrayQ = [][]float64{
	{0.4809882724842657, -1.4049413624213283, 1.885929634905594, 0.25950586375786716},
	{0.46197654496853136, -1.3098827248426566, 1.7718592698111881, 0.2690117275157343},
	{0.44296481745279703, -1.2148240872639848, 1.657788904716782, 0.2785175912736015},
	{0.4239530899370627, -1.119765449685313, 1.5437185396223758, 0.28802345503146864},
}

func TestClipPerArrayNorm(t *testing.T) {
	ps, qs := runClip(t, optim.Clip{PerArrayNorm: 1.5}, 4)
	checkTrajectory(t, "p vs BrainPy", ps, bpClipPerArrayP)
	checkTrajectory(t, "q vs BrainPy", qs, bpClipPerArrayQ)
	hp, hq := handClip(func(gp, gq []float64) {
		scale(gp, math.Sqrt(sumSq(gp)), 1.5)
		scale(gq, math.Sqrt(sumSq(gq)), 1.5)
	}, 4)
	checkTrajectory(t, "p vs hand", ps, hp)
	checkTrajectory(t, "q vs hand", qs, hq)
}

func TestClipGlobalNorm(t *testing.T) {
	ps, qs := runClip(t, optim.Clip{GlobalNorm: 2}, 4)
	hp, hq := handClip(func(gp, gq []float64) {
		norm := math.Sqrt(sumSq(gp) + sumSq(gq))
		scale(gp, norm, 2)
		scale(gq, norm, 2)
	}, 4)
	checkTrajectory(t, "p", ps, hp)
	checkTrajectory(t, "q", qs, hq)
	// The first global norm is well above 2, so clipping did something.
	gp, gq := clipGrads(toyP0, clipQ0)
	if n := math.Sqrt(sumSq(gp) + sumSq(gq)); n < 4 {
		t.Fatalf("test setup: global norm %v too small to clip", n)
	}
}

func TestClipValueAndCombined(t *testing.T) {
	clamp := func(g []float64, v float64) {
		for i := range g {
			g[i] = math.Max(-v, math.Min(v, g[i]))
		}
	}
	ps, qs := runClip(t, optim.Clip{Value: 0.5}, 3)
	hp, hq := handClip(func(gp, gq []float64) { clamp(gp, 0.5); clamp(gq, 0.5) }, 3)
	checkTrajectory(t, "value p", ps, hp)
	checkTrajectory(t, "value q", qs, hq)

	// All three, in the documented order: value, per-array norm, global norm.
	ps, qs = runClip(t, optim.Clip{Value: 2.5, PerArrayNorm: 3, GlobalNorm: 3.5}, 3)
	hp, hq = handClip(func(gp, gq []float64) {
		clamp(gp, 2.5)
		clamp(gq, 2.5)
		scale(gp, math.Sqrt(sumSq(gp)), 3)
		scale(gq, math.Sqrt(sumSq(gq)), 3)
		norm := math.Sqrt(sumSq(gp) + sumSq(gq))
		scale(gp, norm, 3.5)
		scale(gq, norm, 3.5)
	}, 3)
	checkTrajectory(t, "combined p", ps, hp)
	checkTrajectory(t, "combined q", qs, hq)
}

func TestClipBelowThresholdIsNoOp(t *testing.T) {
	ps, qs := runClip(t, optim.Clip{GlobalNorm: 1e6, PerArrayNorm: 1e6, Value: 1e6}, 3)
	hp, hq := handClip(func(_, _ []float64) {}, 3)
	checkTrajectory(t, "p", ps, hp)
	checkTrajectory(t, "q", qs, hq)
}

func TestClipValidate(t *testing.T) {
	if err := (optim.Clip{}).Validate(); err != nil {
		t.Errorf("zero Clip: %v", err)
	}
	if !(optim.Clip{}).IsZero() || (optim.Clip{Value: 1}).IsZero() {
		t.Error("IsZero is wrong")
	}
	for _, c := range []struct {
		clip optim.Clip
		name string
	}{
		{optim.Clip{Value: -1}, "Value"},
		{optim.Clip{PerArrayNorm: math.NaN()}, "PerArrayNorm"},
		{optim.Clip{GlobalNorm: math.Inf(1)}, "GlobalNorm"},
	} {
		err := c.clip.Validate()
		if err == nil || !strings.Contains(err.Error(), c.name) {
			t.Errorf("Validate(%+v) = %v, want an error naming %s", c.clip, err, c.name)
		}
		_, err = optim.NewAdam(optim.Constant(0.1), optim.AdamOptions{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Clip: c.clip})
		if err == nil || !strings.Contains(err.Error(), c.name) {
			t.Errorf("NewAdam with Clip %+v = %v, want an error naming %s", c.clip, err, c.name)
		}
	}
}
