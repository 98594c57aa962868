package trainers

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Phase is a phase of training whose metrics a History keeps.
type Phase int

const (
	// FitPhase: training steps (BrainPy's 'fit').
	FitPhase Phase = iota
	// TestPhase: evaluation on test data (BrainPy's 'test').
	TestPhase
)

func (p Phase) String() string {
	if p == TestPhase {
		return "test"
	}
	return "fit"
}

// History keeps the metrics of a trainer, like BrainPy's get_hist_metric: for each phase, every
// step's values (Detailed) and the means printed in each report line (Report).
type History struct {
	phases [2]phaseLog
}

type phaseLog struct {
	names    []string
	report   map[string][]float64
	detailed map[string][]float64
}

func (h *History) log(p Phase) *phaseLog {
	l := &h.phases[p]
	if l.report == nil {
		l.report, l.detailed = map[string][]float64{}, map[string][]float64{}
	}
	return l
}

// Report returns the reported means of a metric in a phase: one per report line (per epoch,
// or per NumReport steps). Nil if the metric was never reported.
func (h *History) Report(p Phase, metric string) []float64 {
	return clone(h.log(p).report[metric])
}

// Detailed returns every step's value of a metric in a phase.
func (h *History) Detailed(p Phase, metric string) []float64 {
	return clone(h.log(p).detailed[metric])
}

// Names lists the metrics recorded in a phase, "loss" first.
func (h *History) Names(p Phase) []string { return clone(h.log(p).names) }

// add records one step's metrics.
func (h *History) add(p Phase, m *Metrics) {
	l := h.log(p)
	for _, n := range m.Names() {
		v, _ := m.Value(n)
		if _, ok := l.detailed[n]; !ok {
			l.names = append(l.names, n)
		}
		l.detailed[n] = append(l.detailed[n], v)
	}
}

// reporter accumulates steps between report lines and prints them in BrainPy's format.
type reporter struct {
	hist  *History
	phase Phase
	out   io.Writer
	names []string
	vals  map[string][]float64
	start time.Time
	style ReportStyle
}

func newReporter(h *History, p Phase, out io.Writer, style ReportStyle) *reporter {
	return &reporter{hist: h, phase: p, out: out, vals: map[string][]float64{}, start: time.Now(), style: style}
}

func (r *reporter) add(m *Metrics) {
	for _, n := range m.Names() {
		v, _ := m.Value(n)
		if _, ok := r.vals[n]; !ok {
			r.names = append(r.names, n)
		}
		r.vals[n] = append(r.vals[n], v)
	}
	r.hist.add(r.phase, m)
}

// flush prints "<prefix> <what>, use … s, loss …, <aux> …" with the means since the last
// line (ReportLastBatch: "…, train loss …" with the last batch's values rounded to 5
// decimals), appends them to the history's report, and starts a new accumulation.
func (r *reporter) flush(prefix, what string) {
	if len(r.vals["loss"]) == 0 {
		return
	}
	l := r.hist.log(r.phase)
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s, use %.4f s", prefix, what, time.Since(r.start).Seconds())
	for _, n := range r.names {
		if r.style == ReportLastBatch {
			v := round5(r.vals[n][len(r.vals[n])-1])
			l.report[n] = append(l.report[n], v)
			fmt.Fprintf(&sb, ", train %s %s", n, PyFloat(v))
			continue
		}
		m := mean(r.vals[n])
		l.report[n] = append(l.report[n], m)
		fmt.Fprintf(&sb, ", %s %s", n, PyFloat(m))
	}
	fmt.Fprintln(r.out, sb.String())
	r.discard()
}

// discard drops what was accumulated since the last line (BrainPy restarts its report
// accumulators every epoch).
func (r *reporter) discard() { r.names, r.vals, r.start = nil, map[string][]float64{}, time.Now() }

// round5 rounds to 5 decimals like Python's round(x, 5) (halves may differ in the last digit:
// Python rounds the exact binary value).
func round5(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	return math.Round(x*1e5) / 1e5
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func clone[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append([]T(nil), s...)
}
