package models_test

import (
	"math"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/initializers"
	"github.com/bpgo/bpgo/models"
)

type alifRefParams struct {
	vRest, vTh, r, tau, tauA, tauRef float64
	beta                             []float64
	hasRef, training                 bool
	v0, a0                           float64
}

func alifReference(xs []float64, b, tn, n int, p alifRefParams, dt float64) (vs, ss, as []float64) {
	ev, ea := 1-math.Exp(-dt/p.tau), math.Exp(-dt/p.tauA)
	vs, ss, as = make([]float64, b*tn*n), make([]float64, b*tn*n), make([]float64, b*tn*n)
	for bi := range b {
		v, a, tLast := make([]float64, n), make([]float64, n), make([]float64, n)
		for k := range n {
			v[k], a[k], tLast[k] = p.v0, p.a0, -1e7
		}
		for ti := range tn {
			t := float64(ti) * dt
			for k := range n {
				idx := (bi*tn+ti)*n + k
				beta := p.beta[0]
				if len(p.beta) > 1 {
					beta = p.beta[k]
				}
				vp := v[k] + ev*(p.vRest+p.r*xs[idx]-v[k])
				ap := a[k] * ea
				if p.hasRef && t-tLast[k] <= p.tauRef {
					vp = v[k]
				}
				s := 0.0
				if p.training {
					if (vp-p.vTh-beta*a[k])/p.vTh >= 0 {
						s = 1
					}
				} else if vp >= p.vTh+beta*a[k] {
					s = 1
				}
				vp -= p.vTh * s
				if s == 1 {
					tLast[k] = t
				}
				v[k], a[k] = vp, ap+s
				vs[idx], ss[idx], as[idx] = vp, s, a[k]
			}
		}
	}
	return
}

func TestALIFHandComputed(t *testing.T) {
	x64(t)
	const b, tn, n, dt = 2, 60, 4, 1.0
	xs := currents(b, tn, n, 1.5, 1.5, 2)
	in := tensorOf(t, xs, b, tn, n)
	betas := []float64{1, 0.3, 0.02, 0}
	for _, mode := range []bpgo.Mode{bpgo.TrainingMode, bpgo.BatchingMode} {
		for _, tauRef := range []float64{0, 3} {
			opts := models.ALIFOptions{VRest: 0, VTh: 0.6, Tau: 20, TauA: 200, TauRef: tauRef, Betas: betas,
				VInit: initializers.Zero{}, AInit: initializers.Zero{}, Mode: mode, R: 1, Beta: 1.6}
			al, err := models.NewALIFBellec2020(n, opts)
			if err != nil {
				t.Fatal(err)
			}
			mons := []string{"V", "A", "Input"}
			out, mon := runNeuron(t, al, in, dt, 13, mons...)
			wantV, wantS, wantA := alifReference(xs, b, tn, n, alifRefParams{vTh: 0.6, r: 1, tau: 20, tauA: 200, tauRef: tauRef,
				beta: betas, hasRef: tauRef > 0, training: mode == bpgo.TrainingMode}, dt)
			closeTo(t, "spikes", out, wantS, 0)
			closeTo(t, "V", mon["V"], wantV, 1e-12)
			closeTo(t, "A", mon["A"], wantA, 1e-12)
			closeTo(t, "Input", mon["Input"], xs, 0)
			if k := countOnes(wantS); k < 10 || k > len(wantS)/2 {
				t.Fatalf("test input gives %d spikes of %d", k, len(wantS))
			}
		}
	}
}

// ---- BrainPy 2.4.3 cross-checks (numbers in neuron_brainpy_test.go) -----------------------
