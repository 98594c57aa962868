package datasets_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/datasets"
)

// streamed joins the windows of s cut at the given steps into one (B, T, C) float32 batch.
func streamed(t *testing.T, s *datasets.EvidenceStream, cuts []int) []float32 {
	t.Helper()
	B, T := s.Batch(), s.Steps()
	var parts []*datasets.EvidenceBatch
	for i, start := range cuts {
		end := T
		if i+1 < len(cuts) {
			end = cuts[i+1]
		}
		w, err := s.Window(start, end-start)
		if err != nil {
			t.Fatal(err)
		}
		if w.Dims[0] != B || w.Dims[1] != end-start || w.Start != start {
			t.Fatalf("window [%d, %d): dims %v, start %d", start, end, w.Dims, w.Start)
		}
		parts = append(parts, w)
	}
	C := parts[0].Dims[2]
	out := make([]float32, 0, B*T*C)
	for b := range B {
		for _, w := range parts {
			k := w.Dims[1]
			out = append(out, w.Float32[b*k*C:(b+1)*k*C]...)
		}
	}
	return out
}

func TestEvidenceStream(t *testing.T) {
	o := datasets.EvidenceDefaults()
	o.Batch, o.Seed, o.SeqLen = 12, 5, 150*7+400
	e := newEvidence(t, o)
	s := e.Stream(1, 2)
	b := e.Batch(1, 2)
	if s.Batch() != o.Batch || s.Steps() != o.SeqLen {
		t.Fatalf("stream of %d trials × %d steps, want %d × %d", s.Batch(), s.Steps(), o.Batch, o.SeqLen)
	}
	// The trial draws are Batch's; the spikes are not.
	if !slices.Equal(s.Labels(), b.Labels) {
		t.Errorf("labels %v, want Batch's %v", s.Labels(), b.Labels)
	}
	whole := streamed(t, s, []int{0})
	if slices.Equal(whole, b.Float32) {
		t.Errorf("the stream's spikes equal Batch's: they come from other random streams")
	}
	// Any cut of the trial into windows, in any order of asking, gives the same spikes.
	for _, cuts := range [][]int{{0, 100, 200, 300}, {0, 1, 49, 50, 51, 777}, {0, 999}} {
		if got := streamed(t, e.Stream(1, 2), cuts); !slices.Equal(got, whole) {
			t.Errorf("windows cut at %v differ from one window", cuts)
		}
	}
	w, err := s.Window(300, 50)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.CueSides, b.CueSides) || w.RecallStart != b.RecallStart || !slices.Equal(w.CueOnsets, b.CueOnsets) {
		t.Errorf("a window's trial fields differ from Batch's")
	}
	// As a batch, the joined windows obey the task's timing and rates.
	full := *b
	full.Float32 = whole
	g := e.Groups()
	T := o.SeqLen
	for tr := range o.Batch {
		for tt := range T {
			for c := g.Left[0]; c < g.Recall[1]; c++ {
				if full.Spike(tr, tt, c) == 0 {
					continue
				}
				ok := c >= g.Recall[0] && tt >= full.RecallStart
				for k, on := range full.CueOnsets {
					side := g.Left
					if full.CueSides[tr*o.Cues+k] == 1 {
						side = g.Right
					}
					ok = ok || (tt >= on && tt < on+o.CueDuration && c >= side[0] && c < side[1])
				}
				if !ok {
					t.Fatalf("trial %d: spike at step %d channel %d", tr, tt, c)
				}
			}
		}
	}
	n := o.Batch * T * 10
	if r, se := full.Rate(0, T, g.Background[0], g.Background[1]), math.Sqrt(0.01*0.99/float64(n)); math.Abs(r-0.01) > 5*se {
		t.Errorf("background rate %v, want F0/4 = 0.01", r)
	}
	n = o.Batch * o.RecallDuration * 10
	if r, se := full.Rate(full.RecallStart, T, g.Recall[0], g.Recall[1]), math.Sqrt(0.04*0.96/float64(n)); math.Abs(r-0.04) > 5*se {
		t.Errorf("recall rate %v, want F0 = 0.04", r)
	}

	o.Float64 = true
	w64, err := newEvidence(t, o).Stream(1, 2).Window(10, 60)
	if err != nil {
		t.Fatal(err)
	}
	if w64.Float32 != nil || len(w64.Float64) != o.Batch*60*o.Channels {
		t.Errorf("Float64 window: %d float32 and %d float64 values", len(w64.Float32), len(w64.Float64))
	}
	for i, v := range w64.Float64 {
		bi, rest := i/(60*o.Channels), i%(60*o.Channels)
		if float32(v) != whole[bi*T*o.Channels+10*o.Channels+rest] {
			t.Fatalf("Float64 window differs from the float32 one at %d", i)
		}
	}

	for _, c := range [][2]int{{-1, 5}, {0, 0}, {T - 5, 6}} {
		if _, err := s.Window(c[0], c[1]); err == nil || !strings.Contains(err.Error(), "datasets.EvidenceStream.Window") {
			t.Errorf("Window(%d, %d): error %v", c[0], c[1], err)
		}
	}
}

// WindowInto writes the same window as Window into the caller's slice, in place, and reports a
// slice too short for it.
func TestEvidenceStreamWindowInto(t *testing.T) {
	for _, f64 := range []bool{false, true} {
		o := datasets.EvidenceDefaults()
		o.Batch, o.Seed, o.SeqLen, o.Float64 = 6, 3, 150*7+400, f64
		e := newEvidence(t, o)
		a, b := e.Stream(0, 1), e.Stream(0, 1)
		n := o.Batch * 120 * o.Channels
		buf := datasets.EvidenceBatch{Float32: make([]float32, n+7), Float64: make([]float64, n+7)}
		mem32, mem64 := &buf.Float32[0], &buf.Float64[0]
		for _, win := range [][2]int{{0, 120}, {120, 120}, {1400, 50}, {30, 1}} {
			want, err := a.Window(win[0], win[1])
			if err != nil {
				t.Fatal(err)
			}
			if err := b.WindowInto(&buf, win[0], win[1]); err != nil {
				t.Fatal(err)
			}
			if buf.Dims != want.Dims || buf.Start != want.Start || !slices.Equal(buf.Labels, want.Labels) || buf.RecallStart != want.RecallStart {
				t.Fatalf("Float64 %v, window %v: dims %v start %d, want Window's %v %d", f64, win, buf.Dims, buf.Start, want.Dims, want.Start)
			}
			if f64 {
				if !slices.Equal(buf.Float64, want.Float64) || &buf.Float64[0] != mem64 || buf.Float32 != nil {
					t.Fatalf("window %v: float64 spikes differ from Window's or were not written in place", win)
				}
				buf.Float32 = make([]float32, n) // kept unused
			} else {
				if !slices.Equal(buf.Float32, want.Float32) || &buf.Float32[0] != mem32 || buf.Float64 != nil {
					t.Fatalf("window %v: float32 spikes differ from Window's or were not written in place", win)
				}
				buf.Float64 = make([]float64, n)
			}
			// The slice is cut to the window; the memory behind it stays for the next one.
			buf.Float32, buf.Float64 = buf.Float32[:cap(buf.Float32)], buf.Float64[:cap(buf.Float64)]
		}
		short := datasets.EvidenceBatch{Float32: make([]float32, 10), Float64: make([]float64, 10)}
		err := b.WindowInto(&short, 0, 120)
		if err == nil || !strings.Contains(err.Error(), "datasets.EvidenceStream.WindowInto: the batch's spike slice has 10 values, want at least B·k·C") {
			t.Errorf("Float64 %v, a short slice: error %v", f64, err)
		}
		if err := b.WindowInto(nil, 0, 10); err == nil || !strings.Contains(err.Error(), "w is nil") {
			t.Errorf("nil batch: error %v", err)
		}
		if err := b.WindowInto(&short, 1500, 10); err == nil || !strings.Contains(err.Error(), "WindowInto: steps [1500, 1510)") {
			t.Errorf("a window past the trial: error %v", err)
		}
	}
}
