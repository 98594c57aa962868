package optim_test

import (
	"math"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo/optim"
)

// Schedule values produced once with BrainPy 2.4.3 (testdata/brainpy_ref.py): the value
// s() read before each s.step_call() (call-based) or s.step_epoch() (epoch-based).
func TestSchedulesVsBrainPy(t *testing.T) {
	cases := []struct {
		name  string
		s     optim.Schedule
		epoch bool // advanced by StepEpoch (else StepCall)
		want  []float64
	}{
		{"ExponentialDecay(0.025,1,0.99975)", optim.Must(optim.ExponentialDecay(0.025, 1, 0.99975)), false,
			[]float64{0.025, 0.024993750000000002, 0.0249875015625, 0.024981254687109378, 0.024975009373437603}},
		{"ExponentialDecay(0.1,3,0.5)", optim.Must(optim.ExponentialDecay(0.1, 3, 0.5)), false,
			[]float64{0.1, 0.07937005259840998, 0.06299605249474366, 0.05, 0.03968502629920499, 0.03149802624737183, 0.025}},
		{"InverseTimeDecay(0.1,2,0.5)", optim.Must(optim.InverseTimeDecay(0.1, 2, 0.5, false)), false,
			[]float64{0.1, 0.08, 0.06666666666666667, 0.05714285714285715, 0.05, 0.044444444444444446}},
		{"InverseTimeDecay(0.1,2,0.5,staircase)", optim.Must(optim.InverseTimeDecay(0.1, 2, 0.5, true)), false,
			[]float64{0.1, 0.1, 0.06666666666666667, 0.06666666666666667, 0.05, 0.05}},
		{"StepLR(0.1,2,0.5)", optim.Must(optim.StepLR(0.1, 2, 0.5)), true,
			[]float64{0.1, 0.1, 0.05, 0.05, 0.025, 0.025}},
		{"MultiStepLR(0.1,[2,5],0.1)", optim.Must(optim.MultiStepLR(0.1, []int{2, 5}, 0.1)), true,
			[]float64{0.1, 0.1, 0.010000000000000002, 0.010000000000000002, 0.010000000000000002, 0.0010000000000000002, 0.0010000000000000002}},
		{"CosineAnnealingLR(0.1,4,0.01)", optim.Must(optim.CosineAnnealingLR(0.1, 4, 0.01)), true,
			[]float64{0.1, 0.08681980515339464, 0.05500000000000001, 0.023180194846605367, 0.01, 0.023180194846605356, 0.05499999999999999}},
		{"ExponentialLR(0.1,0.9)", optim.Must(optim.ExponentialLR(0.1, 0.9)), true,
			[]float64{0.1, 0.09000000000000001, 0.08100000000000002, 0.0729, 0.06561000000000002}},
		{"Constant(0.3)", optim.Must(optim.Constant(0.3)), true, []float64{0.3, 0.3, 0.3}},
	}
	for _, c := range cases {
		for i, want := range c.want {
			if got := c.s.Value(); !close64(got, want) {
				t.Errorf("%s: value %d = %.17g, want %.17g", c.name, i, got, want)
			}
			if got := c.s.At(i); !close64(got, want) {
				t.Errorf("%s: At(%d) = %.17g, want %.17g", c.name, i, got, want)
			}
			// The other counter must not move the value.
			if c.epoch {
				c.s.StepCall()
				if got := c.s.Value(); !close64(got, want) {
					t.Errorf("%s: StepCall changed an epoch-based value to %v", c.name, got)
				}
				c.s.StepEpoch()
			} else {
				c.s.StepEpoch()
				if got := c.s.Value(); !close64(got, want) {
					t.Errorf("%s: StepEpoch changed a call-based value to %v", c.name, got)
				}
				c.s.StepCall()
			}
		}
	}
}

// Hand formulas (BrainPy 2.4.3's scheduler.py) at a few more indices.
func TestScheduleFormulas(t *testing.T) {
	for i := range 12 {
		x := float64(i)
		check := func(name string, s optim.Schedule, want float64) {
			t.Helper()
			if got := s.At(i); !close64(got, want) {
				t.Errorf("%s.At(%d) = %v, want %v", name, i, got, want)
			}
		}
		check("ExponentialDecay", optim.Must(optim.ExponentialDecay(0.02, 2.5, 0.9)), 0.02*math.Pow(0.9, x/2.5))
		check("InverseTimeDecay", optim.Must(optim.InverseTimeDecay(0.02, 3, 0.25, false)), 0.02/(1+0.25*x/3))
		check("InverseTimeDecay staircase", optim.Must(optim.InverseTimeDecay(0.02, 3, 0.25, true)), 0.02/(1+0.25*math.Floor(x/3)))
		check("StepLR", optim.Must(optim.StepLR(0.02, 3, 0.5)), 0.02*math.Pow(0.5, math.Floor(x/3)))
		p := 0.0
		for _, m := range []int{1, 4, 9} {
			if i >= m {
				p++
			}
		}
		check("MultiStepLR", optim.Must(optim.MultiStepLR(0.02, []int{1, 4, 9}, 0.5)), 0.02*math.Pow(0.5, p))
		check("CosineAnnealingLR", optim.Must(optim.CosineAnnealingLR(0.02, 5, 0.001)), 0.001+(0.02-0.001)*(1+math.Cos(math.Pi*x/5))/2)
		check("ExponentialLR", optim.Must(optim.ExponentialLR(0.02, 0.8)), 0.02*math.Pow(0.8, x))
	}
}

func TestScheduleCounters(t *testing.T) {
	s := optim.Must(optim.ExponentialDecay(0.1, 1, 0.5))
	if s.LastEpoch() != -1 || s.LastCall() != -1 {
		t.Fatalf("fresh counters = %d, %d, want -1, -1", s.LastEpoch(), s.LastCall())
	}
	s.StepCall()
	s.StepCall()
	s.StepCall()
	s.StepEpoch()
	m := s.Counters()
	if m[optim.CounterLastCall] != 2 || m[optim.CounterLastEpoch] != 0 || len(m) != 2 {
		t.Fatalf("Counters = %v, want last_call 2, last_epoch 0", m)
	}
	s2 := optim.Must(optim.ExponentialDecay(0.1, 1, 0.5))
	if err := s2.SetCounters(m); err != nil {
		t.Fatal(err)
	}
	if s2.Value() != s.Value() || s2.Value() != 0.1*0.125 {
		t.Errorf("restored value %v, want %v", s2.Value(), s.Value())
	}
	// Partial maps keep the other counter.
	if err := s2.SetCounters(map[string]int{optim.CounterLastEpoch: 5}); err != nil {
		t.Fatal(err)
	}
	if s2.LastEpoch() != 5 || s2.LastCall() != 2 {
		t.Errorf("after partial SetCounters: %d, %d", s2.LastEpoch(), s2.LastCall())
	}
	for _, bad := range []map[string]int{{"epoch": 1}, {optim.CounterLastCall: -2}} {
		if err := s2.SetCounters(bad); err == nil {
			t.Errorf("SetCounters(%v) succeeded", bad)
		}
	}
	if s2.LastEpoch() != 5 || s2.LastCall() != 2 {
		t.Errorf("a failed SetCounters changed the counters: %d, %d", s2.LastEpoch(), s2.LastCall())
	}
	// Counter's zero value is BrainPy's initial state.
	var c optim.Counter
	if c.LastEpoch() != -1 || c.LastCall() != -1 {
		t.Errorf("zero Counter = %d, %d", c.LastEpoch(), c.LastCall())
	}
}

func TestScheduleErrors(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{second(optim.Constant(0)), "lr"},
		{second(optim.Constant(math.NaN())), "lr"},
		{second(optim.Constant(math.Inf(1))), "lr"},
		{second(optim.ExponentialDecay(-1, 1, 0.9)), "lr"},
		{second(optim.ExponentialDecay(0.1, 0, 0.9)), "decaySteps"},
		{second(optim.ExponentialDecay(0.1, 1, 0)), "decayRate"},
		{second(optim.InverseTimeDecay(0.1, math.Inf(1), 0.9, false)), "decaySteps"},
		{second(optim.InverseTimeDecay(0.1, 1, -0.5, false)), "decayRate"},
		{second(optim.StepLR(0.1, 0, 0.5)), "stepSize"},
		{second(optim.StepLR(0.1, 2, 1.5)), "gamma"},
		{second(optim.MultiStepLR(0.1, nil, 0.5)), "milestones"},
		{second(optim.MultiStepLR(0.1, []int{3, 3}, 0.5)), "milestones"},
		{second(optim.MultiStepLR(0.1, []int{1, 3}, -0.5)), "gamma"},
		{second(optim.CosineAnnealingLR(0.1, 0, 0)), "tMax"},
		{second(optim.CosineAnnealingLR(0.1, 3, -1)), "etaMin"},
		{second(optim.ExponentialLR(0.1, math.NaN())), "gamma"},
	}
	for i, c := range cases {
		if c.err == nil {
			t.Errorf("case %d: no error, want one naming %q", i, c.want)
			continue
		}
		if !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("case %d: error %q does not name %q", i, c.err, c.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestScheduleString(t *testing.T) {
	s := optim.Must(optim.ExponentialDecay(0.025, 1, 0.99975))
	s.StepCall()
	if got, want := s.String(), "ExponentialDecay(lr=0.025, decay_steps=1, decay_rate=0.99975, last_call=0)"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

func TestMustPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Must did not panic on an error")
		}
	}()
	optim.Must(optim.Constant(-1))
}
