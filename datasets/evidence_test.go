package datasets_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/datasets"
)

func newEvidence(t *testing.T, o datasets.EvidenceOptions) *datasets.EvidenceAccumulation {
	t.Helper()
	e, err := datasets.NewEvidenceAccumulation(o)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEvidenceDefaultsAndShapes(t *testing.T) {
	o := datasets.EvidenceDefaults()
	if o.SeqLen != 2250 || o.Channels != 40 || o.Cues != 7 || o.F0 != 0.04 || o.Prob != 0.3 || o.Batch != 128 || o.BatchesPerEpoch != 10 {
		t.Fatalf("EvidenceDefaults() = %+v, not the seed's parameters", o)
	}
	o.Batch = 4
	e := newEvidence(t, o)
	g := e.Groups()
	if want := (datasets.EvidenceGroups{Left: [2]int{0, 10}, Right: [2]int{10, 20}, Recall: [2]int{20, 30}, Background: [2]int{30, 40}}); g != want {
		t.Errorf("Groups() = %+v, want %+v", g, want)
	}
	b := e.Batch(0, 0)
	if b.Dims != [3]int{4, 2250, 40} || len(b.Float32) != 4*2250*40 || b.Float64 != nil {
		t.Fatalf("batch dims %v, %d float32 and %d float64 values", b.Dims, len(b.Float32), len(b.Float64))
	}
	if len(b.Labels) != 4 || len(b.CueSides) != 4*7 || len(b.LeftProb) != 4 || b.RecallStart != 2100 {
		t.Errorf("labels %d, cue sides %d, probs %d, recall start %d", len(b.Labels), len(b.CueSides), len(b.LeftProb), b.RecallStart)
	}
	if want := []int{50, 200, 350, 500, 650, 800, 950}; !slices.Equal(b.CueOnsets, want) {
		t.Errorf("CueOnsets = %v, want %v", b.CueOnsets, want)
	}
	for _, v := range b.Float32 {
		if v != 0 && v != 1 {
			t.Fatalf("spike value %v, want 0 or 1", v)
		}
	}
	o.Float64 = true
	b64 := newEvidence(t, o).Batch(0, 0)
	if b64.Float32 != nil || len(b64.Float64) != 4*2250*40 {
		t.Fatalf("Float64 option: %d float32 and %d float64 values", len(b64.Float32), len(b64.Float64))
	}
	for i, v := range b64.Float64 {
		if v != float64(b.Float32[i]) {
			t.Fatalf("float64 and float32 batches differ at %d", i)
		}
	}
}

// TestEvidenceCueTimingAndLabels checks that every spike lies where the task allows it:
// cue channels only during their cue on the trial's side, recall only at the end.
func TestEvidenceCueTimingAndLabels(t *testing.T) {
	for _, perSample := range []bool{false, true} {
		o := datasets.EvidenceDefaults()
		o.Batch, o.PerSampleCues, o.Seed = 16, perSample, 3
		e := newEvidence(t, o)
		g := e.Groups()
		b := e.Batch(2, 1)
		T := o.SeqLen
		for s := range o.Batch {
			right := 0
			for k := range o.Cues {
				right += b.CueSides[s*o.Cues+k]
			}
			if want := map[bool]int{true: 1, false: 0}[2*right > o.Cues]; b.Labels[s] != want {
				t.Errorf("trial %d: %d right cues of %d, label %d", s, right, o.Cues, b.Labels[s])
			}
			if p := b.LeftProb[s]; p != 0.3 && p != 0.7 {
				t.Errorf("trial %d: LeftProb %v", s, p)
			}
			// allowed(t, c) says whether trial s may spike at step t on channel c.
			allowed := func(tt, c int) bool {
				switch {
				case c >= g.Background[0]:
					return true
				case c >= g.Recall[0]:
					return tt >= T-o.RecallDuration
				}
				for k, on := range b.CueOnsets {
					if tt >= on && tt < on+o.CueDuration {
						side := g.Left
						if b.CueSides[s*o.Cues+k] == 1 {
							side = g.Right
						}
						return c >= side[0] && c < side[1]
					}
				}
				return false
			}
			active := 0
			for tt := range T {
				for c := range o.Channels {
					if b.Spike(s, tt, c) == 1 {
						if !allowed(tt, c) {
							t.Fatalf("perSample=%v trial %d: spike at step %d channel %d", perSample, s, tt, c)
						}
						if c < g.Recall[0] {
							active++
						}
					}
				}
			}
			// 7 cues × 100 steps × 10 channels × 0.04 = 280 expected cue spikes.
			if active < 200 || active > 360 {
				t.Errorf("trial %d: %d cue spikes, want about 280", s, active)
			}
		}
		// The seed's quirk: one cue vector per batch, so the trials of one kind share it and
		// the mostly-left sequence's right cues are a subset of the mostly-right one's.
		seqs := map[float64]string{}
		distinct := map[string]bool{}
		for s := range o.Batch {
			seq := ""
			for k := range o.Cues {
				seq += string(rune('0' + b.CueSides[s*o.Cues+k]))
			}
			distinct[seq] = true
			if prev, ok := seqs[b.LeftProb[s]]; ok && prev != seq && !perSample {
				t.Errorf("shared cues: trials with LeftProb %v have cues %s and %s", b.LeftProb[s], prev, seq)
			}
			seqs[b.LeftProb[s]] = seq
		}
		if !perSample {
			if l, r := seqs[0.7], seqs[0.3]; l != "" && r != "" { // LeftProb 0.7 = mostly left
				for k := range l {
					if l[k] == '1' && r[k] == '0' {
						t.Errorf("shared cues not nested: mostly-left %s, mostly-right %s", l, r)
					}
				}
			}
			if len(distinct) > 2 {
				t.Errorf("shared cues: %d distinct cue sequences in one batch, want <= 2", len(distinct))
			}
		} else if len(distinct) <= 2 {
			t.Errorf("PerSampleCues: only %d distinct cue sequences among %d trials", len(distinct), o.Batch)
		}
	}
}

// TestEvidenceRates compares empirical firing probabilities with F0 and F0/4, and the cue
// statistics with Prob, within 5 standard errors.
func TestEvidenceRates(t *testing.T) {
	o := datasets.EvidenceDefaults()
	o.Batch, o.PerSampleCues, o.Seed = 64, true, 11
	e := newEvidence(t, o)
	g := e.Groups()
	b := e.Batch(0, 0)
	within := func(what string, got, p float64, n int) {
		t.Helper()
		se := math.Sqrt(p * (1 - p) / float64(n))
		if math.Abs(got-p) > 5*se {
			t.Errorf("%s: rate %.5f, want %.5f ± %.5f (5 s.e.)", what, got, p, 5*se)
		}
	}
	T := o.SeqLen
	within("background", b.Rate(0, T, g.Background[0], g.Background[1]), o.F0/4, o.Batch*T*10)
	within("recall", b.Rate(b.RecallStart, T, g.Recall[0], g.Recall[1]), o.F0, o.Batch*o.RecallDuration*10)
	// Each cue lights one of the two groups: the pooled rate over both is F0/2.
	on := b.CueOnsets[0]
	within("cue 0 (left+right)", b.Rate(on, on+o.CueDuration, g.Left[0], g.Right[1]), o.F0/2, o.Batch*o.CueDuration*20)
	if r := b.Rate(0, b.CueOnsets[0], 0, g.Recall[1]); r != 0 {
		t.Errorf("before the first cue: rate %v on cue/recall channels, want 0", r)
	}
	// Right cues: probability 1 − LeftProb per cue.
	right, want := 0.0, 0.0
	for s := range o.Batch {
		for k := range o.Cues {
			right += float64(b.CueSides[s*o.Cues+k])
		}
		want += float64(o.Cues) * (1 - b.LeftProb[s])
	}
	if n := float64(o.Batch * o.Cues); math.Abs(right-want) > 5*math.Sqrt(n*0.21) {
		t.Errorf("%v right cues, want about %v", right, want)
	}
}

// TestEvidenceHighRates covers the gap sampler's edges: rate 1 fires every entry, and a high
// rate keeps its mean.
func TestEvidenceHighRates(t *testing.T) {
	o := datasets.EvidenceDefaults()
	o.Batch, o.F0 = 8, 1
	b := newEvidence(t, o).Batch(0, 0)
	g := datasets.EvidenceGroups{Recall: [2]int{20, 30}, Background: [2]int{30, 40}}
	if r := b.Rate(b.RecallStart, o.SeqLen, g.Recall[0], g.Recall[1]); r != 1 {
		t.Errorf("F0 = 1: recall rate %v, want 1", r)
	}
	on := b.CueOnsets[3]
	if r := b.Rate(on, on+o.CueDuration, 0, 20); r != 0.5 {
		t.Errorf("F0 = 1: cue 3 fills %v of the left+right block, want exactly half", r)
	}
	o.F0 = 0.6
	b = newEvidence(t, o).Batch(0, 0)
	n := o.Batch * o.SeqLen * 10
	if r, se := b.Rate(0, o.SeqLen, g.Background[0], g.Background[1]), math.Sqrt(0.15*0.85/float64(n)); math.Abs(r-0.15) > 5*se {
		t.Errorf("F0 = 0.6: background rate %v, want 0.15", r)
	}
}

func TestEvidenceReproducible(t *testing.T) {
	o := datasets.EvidenceDefaults()
	o.Batch, o.BatchesPerEpoch, o.Seed = 3, 2, 42
	e1, e2 := newEvidence(t, o), newEvidence(t, o)
	var first [][]float32
	for i, b := range e1.NextEpoch() {
		c := e2.Batch(0, i)
		if !slices.Equal(b.Float32, c.Float32) || !slices.Equal(b.Labels, c.Labels) || !slices.Equal(b.CueSides, c.CueSides) {
			t.Fatalf("epoch 0 batch %d differs between generators with the same seed", i)
		}
		first = append(first, b.Float32)
	}
	n := 0
	for i, b := range e1.NextEpoch() {
		if slices.Equal(b.Float32, first[i]) {
			t.Errorf("epoch 1 batch %d repeats epoch 0", i)
		}
		n++
	}
	if n != 2 {
		t.Errorf("an epoch yielded %d batches, want BatchesPerEpoch = 2", n)
	}
	if slices.Equal(first[0], first[1]) {
		t.Errorf("two batches of one epoch are equal")
	}
	o.Seed = 43
	if slices.Equal(newEvidence(t, o).Batch(0, 0).Float32, first[0]) {
		t.Errorf("another seed gave the same batch")
	}
}

func TestEvidenceErrors(t *testing.T) {
	cases := []struct {
		edit func(*datasets.EvidenceOptions)
		want string
	}{
		{func(o *datasets.EvidenceOptions) { o.Channels = 42 }, "EvidenceOptions.Channels"},
		{func(o *datasets.EvidenceOptions) { o.Channels = 0 }, "EvidenceOptions.Channels"},
		{func(o *datasets.EvidenceOptions) { o.Batch = 0 }, "EvidenceOptions.Batch"},
		{func(o *datasets.EvidenceOptions) { o.BatchesPerEpoch = 0 }, "EvidenceOptions.BatchesPerEpoch"},
		{func(o *datasets.EvidenceOptions) { o.SeqLen = 100 }, "EvidenceOptions.SeqLen"},
		{func(o *datasets.EvidenceOptions) { o.SeqLen = 1100 }, "EvidenceOptions.SeqLen"},
		{func(o *datasets.EvidenceOptions) { o.RecallDuration = 0 }, "EvidenceOptions.RecallDuration"},
		{func(o *datasets.EvidenceOptions) { o.CueInterval = 50 }, "EvidenceOptions.CueInterval"},
		{func(o *datasets.EvidenceOptions) { o.Cues = 0 }, "EvidenceOptions.Cues"},
		{func(o *datasets.EvidenceOptions) { o.CueDuration = 0 }, "EvidenceOptions.CueDuration"},
		{func(o *datasets.EvidenceOptions) { o.F0 = 0 }, "EvidenceOptions.F0"},
		{func(o *datasets.EvidenceOptions) { o.F0 = math.NaN() }, "EvidenceOptions.F0"},
		{func(o *datasets.EvidenceOptions) { o.Prob = 1.5 }, "EvidenceOptions.Prob"},
	}
	for _, c := range cases {
		o := datasets.EvidenceDefaults()
		c.edit(&o)
		_, err := datasets.NewEvidenceAccumulation(o)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "datasets.NewEvidenceAccumulation: ") {
			t.Errorf("options %+v: error %v, want one naming %s", o, err, c.want)
		}
	}
}

// BenchmarkEvidenceBatch times one seed-sized batch (128 × 2250 × 40).
func BenchmarkEvidenceBatch(b *testing.B) {
	e, err := datasets.NewEvidenceAccumulation(datasets.EvidenceDefaults())
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		e.Batch(0, i)
	}
}
