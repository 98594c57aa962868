package models_test

import (
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/models"
)

// TestExponBrainPy compares Expon with BrainPy 2.4.3. The numbers were produced (x64, batching
// mode, batch 1) with
//
//	syn = bp.dyn.Expon(2, tau=10.)          # and bp.dyn.Expon(2) (tau=8) with dt=0.1
//	syn.reset_state(1)
//	for i, x in enumerate(xs):              # xs = exponInputs, None at step 3
//	    bp.share.save(t=i*dt, dt=dt, i=i); g = syn.update(x)
//
// in /work/scratch/ref/bpvenv (brainpy 2.4.3, jax CPU).
func TestExponBrainPy(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	for _, c := range []struct {
		tau, dt float64
		want    [][]float64
	}{
		{10, 1, [][]float64{{1.0, 0.5}, {0.9048374180359595, 0.45241870901797976},
			{2.8187307530779817, -0.5906346234610091}, {2.550493056753637, -0.5344283076951006},
			{2.3077815521916025, -0.23357073006016216}}},
		{8, 0.1, [][]float64{{1.0, 0.5}, {0.9875778004938814, 0.4937889002469407},
			{2.9753099120283326, -0.5123450439858337}, {2.9383500187085847, -0.5059805916334705},
			{2.9018492485573795, -0.24969519977797566}}},
	} {
		e, err := models.NewExpon(2, models.ExponOptions{Tau: c.tau})
		if err != nil {
			t.Fatal(err)
		}
		if c.tau == 0 && e.Tau != 8 {
			t.Errorf("default Tau = %v, want 8 (bp.dyn.Expon)", e.Tau)
		}
		got := runSteps(t, e, c.dt, exponInputs)
		for ti := range c.want {
			for n := range c.want[ti] {
				near(t, "g", got[ti][0][n], c.want[ti][n], 1e-13)
			}
		}
	}
}
