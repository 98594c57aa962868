package optim_test

import (
	"math"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/optim"
	"github.com/gomlx/compute/dtypes"
)

// Schedule values produced once with BrainPy 2.4.3 (testdata/brainpy_ref.py): the value
// s() read before each s.step_call() (call-based) or s.step_epoch() (epoch-based).
func TestSchedulesVsBrainPy(t *testing.T) {
	cases := []struct {
		name  string
		s     optim.Schedule
		epoch bool // advanced by step_epoch (else step_call)
		want  []float64
	}{
		{"ExponentialDecay(0.025,1,0.99975)", optim.ExponentialDecay{LR: 0.025, DecaySteps: 1, DecayRate: 0.99975}, false,
			[]float64{0.025, 0.024993750000000002, 0.0249875015625, 0.024981254687109378, 0.024975009373437603}},
		{"ExponentialDecay(0.1,3,0.5)", optim.ExponentialDecay{LR: 0.1, DecaySteps: 3, DecayRate: 0.5}, false,
			[]float64{0.1, 0.07937005259840998, 0.06299605249474366, 0.05, 0.03968502629920499, 0.03149802624737183, 0.025}},
		{"InverseTimeDecay(0.1,2,0.5)", optim.InverseTimeDecay{LR: 0.1, DecaySteps: 2, DecayRate: 0.5}, false,
			[]float64{0.1, 0.08, 0.06666666666666667, 0.05714285714285715, 0.05, 0.044444444444444446}},
		{"InverseTimeDecay(0.1,2,0.5,staircase)", optim.InverseTimeDecay{LR: 0.1, DecaySteps: 2, DecayRate: 0.5, Staircase: true}, false,
			[]float64{0.1, 0.1, 0.06666666666666667, 0.06666666666666667, 0.05, 0.05}},
		{"StepLR(0.1,2,0.5)", optim.StepLR{LR: 0.1, StepSize: 2, Gamma: 0.5}, true,
			[]float64{0.1, 0.1, 0.05, 0.05, 0.025, 0.025}},
		{"MultiStepLR(0.1,[2,5],0.1)", optim.MultiStepLR{LR: 0.1, Milestones: []int{2, 5}, Gamma: 0.1}, true,
			[]float64{0.1, 0.1, 0.010000000000000002, 0.010000000000000002, 0.010000000000000002, 0.0010000000000000002, 0.0010000000000000002}},
		{"CosineAnnealingLR(0.1,4,0.01)", optim.CosineAnnealingLR{LR: 0.1, TMax: 4, EtaMin: 0.01}, true,
			[]float64{0.1, 0.08681980515339464, 0.05500000000000001, 0.023180194846605367, 0.01, 0.023180194846605356, 0.05499999999999999}},
		{"ExponentialLR(0.1,0.9)", optim.ExponentialLR{LR: 0.1, Gamma: 0.9}, true,
			[]float64{0.1, 0.09000000000000001, 0.08100000000000002, 0.0729, 0.06561000000000002}},
		{"Constant(0.3)", optim.Constant(0.3), true, []float64{0.3, 0.3, 0.3}},
	}
	for _, c := range cases {
		if err := c.s.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", c.name, err)
		}
		for i, want := range c.want {
			// The counter the schedule does not use must not move the value.
			epoch, call := i, 7*i+3
			if !c.epoch {
				epoch, call = 5*i+2, i
			}
			if got := c.s.Rate(epoch, call); !close64(got, want) {
				t.Errorf("%s: Rate(%d, %d) = %.17g, want %.17g", c.name, epoch, call, got, want)
			}
		}
	}
}

// An optimizer reads its schedule at (last_epoch+1, last_call+1): BrainPy's lr() before each
// update, with step_call after it and step_epoch from the trainer.
func TestOptimizerDrivesSchedule(t *testing.T) {
	for _, s := range []optim.Schedule{
		optim.ExponentialDecay{LR: 0.1, DecaySteps: 3, DecayRate: 0.5},
		optim.StepLR{LR: 0.1, StepSize: 2, Gamma: 0.5},
	} {
		opt := bpgo.Must1(optim.NewSGD(s, optim.SGDDefaults()))
		p := newParam(t, []float64{1}, 1)
		if err := opt.Register([]*bpgo.Variable{p}); err != nil {
			t.Fatal(err)
		}
		g := bpgo.Must1(bpgo.FromFloat64s(dtypes.Float64, []float64{0}, 1))
		for e := range 3 {
			for k := range 2 {
				call := 2*e + k
				if got, want := opt.LearningRate(), s.Rate(e, call); got != want {
					t.Errorf("%s: epoch %d call %d: LearningRate %v, want %v", s, e, call, got, want)
				}
				if got := opt.Hyper()[0]; got != opt.LearningRate() {
					t.Errorf("%s: Hyper %v, LearningRate %v", s, got, opt.LearningRate())
				}
				if err := opt.Update(bpgo.Grads{p: g}); err != nil {
					t.Fatal(err)
				}
			}
			opt.StepEpoch()
		}
		if opt.LastEpoch() != 2 || opt.LastCall() != 5 {
			t.Errorf("%s: counters %d, %d, want 2, 5", s, opt.LastEpoch(), opt.LastCall())
		}
	}
}

// Hand formulas (BrainPy 2.4.3's scheduler.py) at a few more indices.
func TestScheduleFormulas(t *testing.T) {
	for i := range 12 {
		x := float64(i)
		check := func(name string, s optim.Schedule, want float64) {
			t.Helper()
			if got := s.Rate(i, i); !close64(got, want) {
				t.Errorf("%s.Rate(%d, %d) = %v, want %v", name, i, i, got, want)
			}
		}
		check("ExponentialDecay", optim.ExponentialDecay{LR: 0.02, DecaySteps: 2.5, DecayRate: 0.9}, 0.02*math.Pow(0.9, x/2.5))
		check("InverseTimeDecay", optim.InverseTimeDecay{LR: 0.02, DecaySteps: 3, DecayRate: 0.25, Staircase: false}, 0.02/(1+0.25*x/3))
		check("InverseTimeDecay staircase", optim.InverseTimeDecay{LR: 0.02, DecaySteps: 3, DecayRate: 0.25, Staircase: true}, 0.02/(1+0.25*math.Floor(x/3)))
		check("StepLR", optim.StepLR{LR: 0.02, StepSize: 3, Gamma: 0.5}, 0.02*math.Pow(0.5, math.Floor(x/3)))
		p := 0.0
		for _, m := range []int{1, 4, 9} {
			if i >= m {
				p++
			}
		}
		check("MultiStepLR", optim.MultiStepLR{LR: 0.02, Milestones: []int{1, 4, 9}, Gamma: 0.5}, 0.02*math.Pow(0.5, p))
		check("CosineAnnealingLR", optim.CosineAnnealingLR{LR: 0.02, TMax: 5, EtaMin: 0.001}, 0.001+(0.02-0.001)*(1+math.Cos(math.Pi*x/5))/2)
		check("ExponentialLR", optim.ExponentialLR{LR: 0.02, Gamma: 0.8}, 0.02*math.Pow(0.8, x))
	}
}

func TestOptimizerCounters(t *testing.T) {
	opt := bpgo.Must1(optim.NewSGD(optim.ExponentialDecay{LR: 0.1, DecaySteps: 1, DecayRate: 0.5}, optim.SGDDefaults()))
	if opt.LastEpoch() != -1 || opt.LastCall() != -1 {
		t.Fatalf("fresh counters = %d, %d, want -1, -1", opt.LastEpoch(), opt.LastCall())
	}
	opt.StepEpoch()
	if err := opt.SetCounters(map[string]int{optim.CounterLastCall: 2}); err != nil {
		t.Fatal(err)
	}
	m := opt.Counters()
	if m[optim.CounterLastCall] != 2 || m[optim.CounterLastEpoch] != 0 || m[optim.CounterUpdates] != 0 || len(m) != 3 {
		t.Fatalf("Counters = %v, want last_call 2, last_epoch 0, updates 0", m)
	}
	if got := opt.LearningRate(); got != 0.1*0.125 {
		t.Errorf("LearningRate after SetCounters = %v, want %v", got, 0.1*0.125)
	}
	for _, bad := range []map[string]int{{"epoch": 1}, {optim.CounterLastCall: -2}, {optim.CounterUpdates: -1}} {
		if err := opt.SetCounters(bad); err == nil {
			t.Errorf("SetCounters(%v) succeeded", bad)
		}
	}
	if opt.LastEpoch() != 0 || opt.LastCall() != 2 {
		t.Errorf("a failed SetCounters changed the counters: %d, %d", opt.LastEpoch(), opt.LastCall())
	}
}

func TestScheduleErrors(t *testing.T) {
	cases := []struct {
		s    optim.Schedule
		want []string
	}{
		{optim.Constant(0), []string{"optim.Constant", "LR", "got 0"}},
		{optim.Constant(math.NaN()), []string{"LR"}},
		{optim.Constant(math.Inf(1)), []string{"LR"}},
		{optim.ExponentialDecay{LR: -1, DecaySteps: 1, DecayRate: 0.9}, []string{"ExponentialDecay", "LR"}},
		{optim.ExponentialDecay{LR: 0.1, DecayRate: 0.9}, []string{"DecaySteps"}},
		{optim.ExponentialDecay{LR: 0.1, DecaySteps: 1}, []string{"DecayRate"}},
		{optim.InverseTimeDecay{LR: 0.1, DecaySteps: math.Inf(1), DecayRate: 0.9}, []string{"DecaySteps"}},
		{optim.InverseTimeDecay{LR: 0.1, DecaySteps: 1, DecayRate: -0.5}, []string{"DecayRate"}},
		{optim.StepLR{LR: 0.1, Gamma: 0.5}, []string{"StepSize"}},
		{optim.StepLR{LR: 0.1, StepSize: 2, Gamma: 1.5}, []string{"Gamma", "0.1"}},
		{optim.MultiStepLR{LR: 0.1, Gamma: 0.5}, []string{"Milestones"}},
		{optim.MultiStepLR{LR: 0.1, Milestones: []int{3, 3}, Gamma: 0.5}, []string{"Milestones"}},
		{optim.MultiStepLR{LR: 0.1, Milestones: []int{1, 3}, Gamma: -0.5}, []string{"Gamma"}},
		{optim.CosineAnnealingLR{LR: 0.1}, []string{"TMax"}},
		{optim.CosineAnnealingLR{LR: 0.1, TMax: 3, EtaMin: -1}, []string{"EtaMin"}},
		{optim.ExponentialLR{LR: 0.1, Gamma: math.NaN()}, []string{"Gamma"}},
	}
	for i, c := range cases {
		err := c.s.Validate()
		if err == nil {
			t.Errorf("case %d (%s): no error, want one naming %q", i, c.s, c.want)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("case %d: error %q does not name %q", i, err, w)
			}
		}
		// The optimizers' constructors refuse it with the same message.
		if _, err2 := optim.NewAdam(c.s, optim.AdamDefaults()); err2 == nil || !strings.Contains(err2.Error(), err.Error()) {
			t.Errorf("case %d: NewAdam error %v, want one wrapping %q", i, err2, err)
		}
	}
}

func TestScheduleString(t *testing.T) {
	for _, c := range []struct {
		s    optim.Schedule
		want string
	}{
		{optim.ExponentialDecay{LR: 0.025, DecaySteps: 1, DecayRate: 0.99975}, "ExponentialDecay(lr=0.025, decay_steps=1, decay_rate=0.99975)"},
		{optim.Constant(0.001), "Constant(lr=0.001)"},
		{optim.MultiStepLR{LR: 0.1, Milestones: []int{2, 5}, Gamma: 0.1}, "MultiStepLR(lr=0.1, milestones=[2 5], gamma=0.1)"},
	} {
		if got := c.s.String(); got != c.want {
			t.Errorf("String = %q, want %q", got, c.want)
		}
	}
}

// The optimizer keeps its own copy of MultiStepLR's milestones: editing the caller's slice
// later does not change the schedule.
func TestMultiStepLRMilestonesCopied(t *testing.T) {
	ms := []int{1, 3}
	opt := bpgo.Must1(optim.NewSGD(optim.MultiStepLR{LR: 0.1, Milestones: ms, Gamma: 0.5}, optim.SGDDefaults()))
	ms[0] = 0
	if got := opt.LearningRate(); got != 0.1 {
		t.Errorf("LearningRate at epoch 0 after editing the milestones = %v, want 0.1", got)
	}
}
