package cognitive

import (
	"fmt"
	"math"
)

// Period is one named phase of a trial (fixation, stimulus, delay, decision, ...), as the
// half-open step range [Start, End) and the same boundaries in ms (StartMs = Start·dt). A
// period of zero length (BrainPy's default delay of 0 ms) is kept, with Start == End, so every
// trial of a task lists the same names in the same order.
//
// The ms boundaries are what a figure needs: a visualize.Span is
// {Name: p.Name, Start: p.StartMs, End: p.EndMs}.
type Period struct {
	Name           string
	Start, End     int
	StartMs, EndMs float64
}

// Steps is the period's length in time steps.
func (p Period) Steps() int { return p.End - p.Start }

// Contains reports whether time step t lies in the period.
func (p Period) Contains(t int) bool { return t >= p.Start && t < p.End }

// maxSteps bounds a trial's length so that a mistyped duration cannot allocate gigabytes.
const maxSteps = 1 << 20

// phase is a period's name and duration in ms, before it is laid out on the time grid.
type phase struct {
	name, field string // field names the option that set the duration, for errors
	ms          float64
}

// checkDt validates the time step option.
func checkDt(fn, rec string, dt float64) error {
	if !(dt > 0) || math.IsInf(dt, 0) {
		return fmt.Errorf("%s: %s.Dt: want a positive finite step in ms, got %v", fn, rec, dt)
	}
	return nil
}

// layout turns durations in ms into consecutive periods on a grid of step dt. BrainPy truncates
// int(t/dt), silently shortening a period that is not a multiple of dt; here that is an error
// naming the option, since it is almost always a mistake. The test allows float rounding
// (100/0.1 is 1000.0000000000001 in float64).
func layout(fn, rec string, dt float64, phases []phase) ([]Period, int, error) {
	ps := make([]Period, len(phases))
	start := 0
	for i, ph := range phases {
		if !(ph.ms >= 0) || math.IsInf(ph.ms, 0) {
			return nil, 0, fmt.Errorf("%s: %s.%s: want a finite duration >= 0 ms, got %v", fn, rec, ph.field, ph.ms)
		}
		q := ph.ms / dt
		n := math.Round(q)
		if math.Abs(q-n) > 1e-9*max(1, q) {
			return nil, 0, fmt.Errorf("%s: %s.%s: %v ms is not a multiple of Dt %v ms (%v steps)", fn, rec, ph.field, ph.ms, dt, q)
		}
		if n > maxSteps || float64(start)+n > maxSteps {
			return nil, 0, fmt.Errorf("%s: %s.%s: %v ms at Dt %v ms makes a trial longer than %d steps", fn, rec, ph.field, ph.ms, dt, maxSteps)
		}
		end := start + int(n)
		ps[i] = Period{Name: ph.name, Start: start, End: end, StartMs: float64(start) * dt, EndMs: float64(end) * dt}
		start = end
	}
	if start == 0 {
		return nil, 0, fmt.Errorf("%s: %s: every period is 0 ms long, a trial would have no time steps", fn, rec)
	}
	return ps, start, nil
}

// checkNoise validates a noise level.
func checkNoise(fn, rec string, sigma float64) error {
	if !(sigma >= 0) || math.IsInf(sigma, 0) {
		return fmt.Errorf("%s: %s.NoiseSigma: want a finite value >= 0, got %v", fn, rec, sigma)
	}
	return nil
}

// checkNumTrial validates the epoch length.
func checkNumTrial(fn, rec string, n int) error {
	if n < 1 {
		return fmt.Errorf("%s: %s.NumTrial: want >= 1, got %d", fn, rec, n)
	}
	return nil
}

// checkCoherences validates a list of coherence levels in percent.
func checkCoherences(fn, rec string, cohs []float64) error {
	if len(cohs) == 0 {
		return fmt.Errorf("%s: %s.Coherences: want at least one level; start from the Defaults() record", fn, rec)
	}
	for i, c := range cohs {
		if !(c >= 0 && c <= 100) {
			return fmt.Errorf("%s: %s.Coherences[%d]: want a coherence in [0, 100] %%, got %v", fn, rec, i, c)
		}
	}
	return nil
}

// decisionLayout validates dt and the noise of a task with the classic four periods (fixation,
// stimulus, delay, decision) and lays the periods out; fn and rec name the constructor and its
// options record in errors.
func decisionLayout(fn, rec string, dt, fixation, stimulus, delay, decision, sigma float64) ([]Period, int, error) {
	if err := checkDt(fn, rec, dt); err != nil {
		return nil, 0, err
	}
	periods, steps, err := layout(fn, rec, dt, []phase{
		{"fixation", "TFixation", fixation},
		{"stimulus", "TStimulus", stimulus},
		{"delay", "TDelay", delay},
		{"decision", "TDecision", decision},
	})
	if err != nil {
		return nil, 0, err
	}
	if err := checkNoise(fn, rec, sigma); err != nil {
		return nil, 0, err
	}
	return periods, steps, nil
}
