package models_test

import (
	"math"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/models"
)

type lifRefParams struct {
	vRest, vReset, vTh, r, tau float64
	training, hard             bool
	tauRef                     float64
	refractory                 bool // LifRef (else Lif)
	alpha                      float64
}

// lifReference runs Lif/LifRef over xs (B, T, N) from V = 0 and returns V and spikes (B, T, N).
func lifReference(xs []float64, b, tn, n int, p lifRefParams, dt float64) (vs, ss []float64) {
	e := 1 - math.Exp(-dt/p.tau)
	vs, ss = make([]float64, b*tn*n), make([]float64, b*tn*n)
	for bi := range b {
		v := make([]float64, n)
		tLast := make([]float64, n)
		for k := range tLast {
			tLast[k] = -1e7
		}
		for ti := range tn {
			t := float64(ti) * dt
			for k := range n {
				idx := (bi*tn+ti)*n + k
				vp := v[k] + e*(p.vRest+p.r*xs[idx]-v[k])
				if p.refractory && t-tLast[k] <= p.tauRef {
					vp = v[k]
				}
				s := 0.0
				if vp >= p.vTh {
					s = 1
				}
				switch {
				case p.training && !p.hard:
					vp -= (p.vTh - p.vReset) * s
				case s == 1:
					vp = p.vReset
				}
				if s == 1 {
					tLast[k] = t
				}
				v[k] = vp
				vs[idx], ss[idx] = vp, s
			}
		}
	}
	return vs, ss
}

func TestLifHandComputed(t *testing.T) {
	x64(t)
	const b, tn, n, dt = 2, 40, 3, 0.5
	xs := currents(b, tn, n, 22, 15, 3)
	in := tensorOf(t, xs, b, tn, n)
	for _, c := range []struct {
		name  string
		mode  bpgo.Mode
		reset string
	}{{"training-soft", bpgo.TrainingMode, ""}, {"training-hard", bpgo.TrainingMode, "hard"}, {"batching", bpgo.BatchingMode, ""}} {
		t.Run(c.name, func(t *testing.T) {
			lif, err := models.NewLif(n, models.LifOptions{Tau: 4, VTh: 12, VReset: 0, VRest: 1, R: 1.2, SpkReset: c.reset, Mode: c.mode})
			if err != nil {
				t.Fatal(err)
			}
			out, mon := runNeuron(t, lif, in, dt, 7, "V", "Spike")
			wantV, wantS := lifReference(xs, b, tn, n, lifRefParams{vRest: 1, vReset: 0, vTh: 12, r: 1.2, tau: 4,
				training: c.mode == bpgo.TrainingMode, hard: c.reset == "hard"}, dt)
			closeTo(t, "spikes", out, wantS, 0)
			closeTo(t, "Spike monitor", mon["Spike"], wantS, 0)
			closeTo(t, "V", mon["V"], wantV, 1e-12)
			if k := countOnes(wantS); k < 10 || k > len(wantS)-10 {
				t.Fatalf("test input gives %d spikes of %d: choose inputs that spike sometimes", k, len(wantS))
			}
		})
	}
}

func TestLifRefHandComputed(t *testing.T) {
	x64(t)
	const b, tn, n, dt = 2, 40, 3, 0.5
	xs := currents(b, tn, n, 25, 15, 5)
	in := tensorOf(t, xs, b, tn, n)
	for _, mode := range []bpgo.Mode{bpgo.TrainingMode, bpgo.BatchingMode} {
		for _, tauRef := range []float64{0, 1.5} {
			lif, err := models.NewLifRef(n, models.LifRefOptions{LifOptions: models.LifOptions{Tau: 4, VTh: 12, VReset: -1, R: 1.2, Mode: mode}, TauRef: tauRef, RefVar: true})
			if err != nil {
				t.Fatal(err)
			}
			out, mon := runNeuron(t, lif, in, dt, 9, "V", "TLastSpike", "Refractory")
			tr := tauRef
			wantV, wantS := lifReference(xs, b, tn, n, lifRefParams{vReset: -1, vTh: 12, r: 1.2, tau: 4,
				training: mode == bpgo.TrainingMode, tauRef: tr, refractory: true}, dt)
			closeTo(t, "spikes", out, wantS, 0)
			closeTo(t, "V", mon["V"], wantV, 1e-12)
			// TLastSpike is the time of the last spike so far; Refractory = refractory or spiking.
			last := mon["TLastSpike"]
			for bi := range b {
				for k := range n {
					prev := -1e7
					for ti := range tn {
						idx := (bi*tn+ti)*n + k
						if wantS[idx] == 1 {
							prev = float64(ti) * dt
						}
						if last[idx] != prev {
							t.Fatalf("%v tauRef %v: TLastSpike[%d,%d,%d] = %v, want %v", mode, tr, bi, ti, k, last[idx], prev)
						}
					}
				}
			}
			if k := countOnes(mon["Refractory"]); k < countOnes(wantS) {
				t.Fatalf("Refractory has %d ones, fewer than the %d spikes", k, countOnes(wantS))
			}
		}
	}
	// tau_ref = 0 behaves like Lif (the refractory test is only true at t == t_last_spike).
	lif := bpgo.Must1(models.NewLif(n, models.LifOptions{Tau: 4, VTh: 12, VReset: -1, R: 1.2, Mode: bpgo.TrainingMode}))
	ref := bpgo.Must1(models.NewLifRef(n, models.LifRefOptions{LifOptions: models.LifOptions{Tau: 4, VTh: 12, VReset: -1, R: 1.2, Mode: bpgo.TrainingMode}}))
	a, _ := runNeuron(t, lif, in, dt, 40)
	c, _ := runNeuron(t, ref, in, dt, 40)
	closeTo(t, "LifRef(tau_ref=0) vs Lif", c, a, 0)
}

// TestLifFloat32 follows the float64 run closely (float32 state and the float32 exp-Euler factor).
func TestLifFloat32(t *testing.T) {
	const b, tn, n, dt = 2, 40, 3, 0.5
	xs := currents(b, tn, n, 22, 15, 3)
	lif := bpgo.Must1(models.NewLif(n, models.LifOptions{Tau: 4, VTh: 12, VReset: 0, Mode: bpgo.TrainingMode, R: 1}))
	_, mon := runNeuron(t, lif, tensorOf(t, xs, b, tn, n), dt, 10, "V")
	wantV, _ := lifReference(xs, b, tn, n, lifRefParams{r: 1, vTh: 12, tau: 4, training: true}, dt)
	closeTo(t, "V (float32)", mon["V"], wantV, 1e-4)
}
