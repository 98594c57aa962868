package optim_test

import (
	"math"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/optim"
)

// Reference trajectories below were produced once with BrainPy 2.4.3 (x64) by
// testdata/brainpy_ref.py: a TrainVar p = [1, -2, 0.5] registered as
// {'p': p}, gradient 2*(p - [0.3, 0.1, -0.4]) computed from the current p before each
// opt.update, and opt.lr.step_epoch() after each epoch where stated; each row is p after one
// update (floats printed with repr).

// Adam(lr=ExponentialDecay(0.025, 1, 0.99975), eps=0.1): 3 epochs × 4 updates with
// step_epoch between epochs (as BPTT.fit does).
var bpAdamBPTT = [][]float64{
	{0.9923283932704113, -1.9857381092038848, 0.4909315836231395},
	{0.9794455827585911, -1.9638515937580137, 0.4760002709267816},
	{0.9626219503385226, -1.9366753158288996, 0.4567256083323572},
	{0.942745853106349, -1.9056113700675572, 0.4341291789089252},
	{0.9261883922313623, -1.8803233004831585, 0.41540731800927083},
	{0.9082459271435998, -1.8533860758609737, 0.3952012339094463},
	{0.8892306205583929, -1.825202652445325, 0.37385096332987555},
	{0.8694020216172166, -1.7960915292526534, 0.3516353513908226},
	{0.8518692363176091, -1.7705242613800898, 0.3320202129715849},
	{0.8339760614310248, -1.7445552382656209, 0.3120202876153317},
	{0.8158506927514669, -1.7183278913767874, 0.2917699127117736},
	{0.7976029304080814, -1.6919606590524219, 0.2713830649686908},
}

// Same optimizer, 6 updates, step_epoch never called (hand-written loop).
var bpAdamCustom = [][]float64{
	{0.9923283932704113, -1.9857381092038848, 0.4909315836231395},
	{0.9794455827585911, -1.9638515937580137, 0.4760002709267816},
	{0.9626219503385226, -1.9366753158288996, 0.4567256083323572},
	{0.942745853106349, -1.9056113700675572, 0.4341291789089252},
	{0.920495293329426, -1.8716282788086387, 0.40897001421403467},
	{0.8964114435678072, -1.8354430854868455, 0.3818416166936028},
}

// Adam(lr=0.01, weight_decay=0.05): 2 epochs × 3 updates with step_epoch between.
var bpAdamWD = [][]float64{
	{0.9400000022587692, -1.8900000007529232, 0.4650000017568206},
	{0.8796064049200139, -1.7820853052416261, 0.42832814552339254},
	{0.8201200327198611, -1.677402063817947, 0.3913117424935427},
	{0.7665486112488182, -1.580843770773268, 0.3590271551559367},
	{0.7149994662872413, -1.4883593042320138, 0.32758051175963265},
	{0.6656531142991998, -1.3999925471360595, 0.2971709016122509},
}

// Textbook (BrainPy 2.1.12) Adam(lr=ExponentialDecay(0.025, 1, 0.99975), eps=0.1), 5 updates:
// produced with 2.4.3's Adam calling step_epoch after every update, which makes its exponent
// last_epoch+2 equal to the update count + 1, i.e. 2.1.12's step+1.
var bpAdamTextbook = [][]float64{
	{0.9923283932704113, -1.9857381092038848, 0.4909315836231395},
	{0.9827418195775302, -1.9694515471210445, 0.47982064402158636},
	{0.9719829755333326, -1.9520844783542923, 0.46749678427918084},
	{0.9603960633173504, -1.9340132628787488, 0.45433184601517806},
	{0.9481839901784999, -1.9154381269277088, 0.44053975222870095},
}

func quickstartAdam(t *testing.T, textbook bool) *optim.Adam {
	t.Helper()
	sched := optim.ExponentialDecay{LR: 0.025, DecaySteps: 1, DecayRate: 0.99975}
	return bpgo.Must1(optim.NewAdam(sched, optim.AdamOptions{Beta1: 0.9, Beta2: 0.999, Eps: 0.1, Textbook: textbook}))
}

func TestAdamBPTT(t *testing.T) {
	got := runToy(t, quickstartAdam(t, false), 3, 4, true)
	checkTrajectory(t, "vs BrainPy", got, bpAdamBPTT)
	hand := handAdam(handConfig{epochs: 3, steps: 4, stepEpoch: true, lrAt: expDecayLR(0.025, 1, 0.99975)}, 0.9, 0.999, 0.1, false)
	checkTrajectory(t, "vs hand", got, hand)
}

func TestAdamCustomLoop(t *testing.T) {
	opt := quickstartAdam(t, false)
	got := runToy(t, opt, 1, 6, false)
	checkTrajectory(t, "vs BrainPy", got, bpAdamCustom)
	hand := handAdam(handConfig{epochs: 1, steps: 6, lrAt: expDecayLR(0.025, 1, 0.99975)}, 0.9, 0.999, 0.1, false)
	checkTrajectory(t, "vs hand", got, hand)

	// Without step_epoch the bias correction stays at n = 1: a permanent factor.
	if n := opt.BiasCorrectionStep(); n != 1 {
		t.Errorf("BiasCorrectionStep after 6 updates without StepEpoch = %d, want 1", n)
	}
	factor := opt.EffectiveLR() / opt.LearningRate()
	if want := math.Sqrt(1-0.999) / (1 - 0.9); !close64(factor, want) || math.Abs(want-0.316228) > 1e-6 {
		t.Errorf("EffectiveLR/lr = %.17g, want sqrt(1-0.999)/(1-0.9) = %.17g", factor, want)
	}
	if lr, want := opt.LearningRate(), 0.025*math.Pow(0.99975, 6); !close64(lr, want) {
		t.Errorf("lr after 6 updates = %v, want %v", lr, want)
	}
	if u := opt.Updates(); u != 6 {
		t.Errorf("Updates = %d, want 6", u)
	}
}

func TestAdamWeightDecay(t *testing.T) {
	opt := bpgo.Must1(optim.NewAdam(optim.Constant(0.01), optim.AdamOptions{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.05}))
	got := runToy(t, opt, 2, 3, true)
	checkTrajectory(t, "vs BrainPy", got, bpAdamWD)
	hand := handAdam(handConfig{epochs: 2, steps: 3, stepEpoch: true, lrAt: constLR(0.01), wd: 0.05}, 0.9, 0.999, 1e-8, false)
	checkTrajectory(t, "vs hand", got, hand)
}

func TestAdamTextbook(t *testing.T) {
	opt := quickstartAdam(t, true)
	// StepEpoch calls must not matter for textbook Adam: run once without any and once with
	// one after every update.
	got := runToy(t, opt, 1, 5, false)
	checkTrajectory(t, "vs BrainPy", got, bpAdamTextbook)
	hand := handAdam(handConfig{epochs: 1, steps: 5, lrAt: expDecayLR(0.025, 1, 0.99975)}, 0.9, 0.999, 0.1, true)
	checkTrajectory(t, "vs hand", got, hand)
	if n := opt.BiasCorrectionStep(); n != 6 {
		t.Errorf("BiasCorrectionStep after 5 updates = %d, want 6", n)
	}
	opt2 := quickstartAdam(t, true)
	got2 := runToy(t, opt2, 5, 1, true)
	checkTrajectory(t, "with StepEpoch", got2, bpAdamTextbook)
}

func TestAdamSlots(t *testing.T) {
	opt := quickstartAdam(t, false)
	runToy(t, opt, 1, 2, false)
	// Hand m, v after two updates.
	p := append([]float64(nil), toyP0...)
	m := make([]float64, 3)
	v := make([]float64, 3)
	for k := range 2 {
		g := toyGrad(p)
		lr := 0.025 * math.Pow(0.99975, float64(k)) / (1 - 0.9) * math.Sqrt(1-0.999)
		for i := range p {
			m[i] = 0.9*m[i] + (1-0.9)*g[i]
			v[i] = 0.999*v[i] + (1-0.999)*g[i]*g[i]
			p[i] -= lr * m[i] / (math.Sqrt(v[i]) + 0.1)
		}
	}
	slots := opt.Slots()
	if len(slots) != 2 {
		t.Fatalf("%d slots, want 2", len(slots))
	}
	for i, want := range [][]float64{m, v} {
		got := slots[i].Float64s()
		for j := range want {
			if !close64(got[j], want[j]) {
				t.Errorf("slot %d [%d] = %v, want %v", i, j, got[j], want[j])
			}
		}
	}
}
