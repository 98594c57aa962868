package datasets

import (
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
)

// EvidenceOptions configure EvidenceAccumulation. EvidenceDefaults gives the parameters of
// the e-prop evidence-accumulation notebook (Bellec et al. 2020, BrainPy 2.4.3 examples).
type EvidenceOptions struct {
	// Batch is the number of trials per batch (seed: 128).
	Batch int
	// BatchesPerEpoch is how many batches one epoch yields (seed: 10).
	BatchesPerEpoch int
	// Channels is the number of input channels, split into 4 equal groups: left cues, right
	// cues, recall cue, background noise (seed: 40).
	Channels int
	// Cues is the number of cues per trial (seed: 7).
	Cues int
	// CueDuration is how long one cue lasts, in steps (seed: 100).
	CueDuration int
	// CueInterval is the distance between cue onsets, in steps (seed: 150); the first cue
	// starts CueInterval − CueDuration steps into the trial.
	CueInterval int
	// RecallDuration is the length of the recall cue at the end of the trial (seed: 150).
	RecallDuration int
	// SeqLen is the trial length in steps (seed: 150·7 + 1200 = 2250).
	SeqLen int
	// F0 is the spike probability per step of an active cue or recall channel (seed: 40 Hz at
	// dt = 1 ms, 0.04); background channels fire at F0/4 throughout.
	F0 float64
	// Prob sets the two kinds of trial: with equal chance, each cue of a trial is left with
	// probability Prob, or each is left with probability 1 − Prob (seed: 0.3, so a trial's
	// cues go 70/30 one way or the other).
	Prob float64
	// PerSampleCues draws each trial's cues independently. The default (false) reproduces the
	// seed's generator, which draws one vector of Cues uniforms U_k per batch and sets cue k
	// of a trial right when U_k > its LeftProb: a batch then holds at most two cue sequences,
	// one per trial kind, the right cues of the LeftProb-0.7 sequence being a subset of those
	// of the LeftProb-0.3 one (seed's Prob). That is what the seed trains on; PerSampleCues
	// is the task as the paper describes it.
	PerSampleCues bool
	// Float64 returns the spikes as float64 (Batch.Float64) instead of float32 (Batch.Float32).
	Float64 bool
	// Seed selects the random stream; the same seed gives the same batches.
	Seed uint64
}

// EvidenceDefaults returns the parameters of the seed notebook (Bellec et al. 2020 e-prop
// evidence accumulation in BrainPy 2.4.3): 128 trials × 10 batches, 40 channels, 7 cues of 100
// steps every 150 steps, a 150-step recall cue, 2250 steps, f0 = 0.04 per step, prob 0.3,
// one cue draw per batch, float32 spikes, seed 0.
func EvidenceDefaults() EvidenceOptions {
	return EvidenceOptions{
		Batch: 128, BatchesPerEpoch: 10, Channels: 40, Cues: 7, CueDuration: 100, CueInterval: 150,
		RecallDuration: 150, SeqLen: 150*7 + 1200, F0: 0.04, Prob: 0.3,
	}
}

// EvidenceGroups are the channel ranges [start, end) of the four input groups.
type EvidenceGroups struct {
	Left, Right, Recall, Background [2]int
}

// EvidenceBatch is one batch of trials. Spikes are 0/1 values, batch-first and flat in
// row-major (B, T, C) order (Dims); exactly one of Float32 and Float64 is set.
type EvidenceBatch struct {
	Dims    [3]int // B, T, C
	Float32 []float32
	Float64 []float64
	// Labels holds each trial's target: 1 if more than half of its cues are right, else 0
	// (with an even number of cues a tie is 0, as in the seed).
	Labels []int
	// CueSides holds each trial's cues, row-major (B, Cues): 0 = left, 1 = right.
	CueSides []int
	// CueOnsets are the steps at which the cues start (the same for every trial); cue k lasts
	// CueDuration steps.
	CueOnsets []int
	// LeftProb is each trial's probability of a left cue (Prob or 1 − Prob).
	LeftProb []float64
	// RecallStart is the first step of the recall cue.
	RecallStart int
	// Start is the trial step of the batch's first step: 0, except for the windows of an
	// EvidenceStream.
	Start int
}

// EvidenceAccumulation generates the evidence-accumulation ("click") task of Bellec et al.
// (2020) as the seed's generate_click_task_data does. A trial has SeqLen steps and Channels
// input channels in four groups (Groups). Cue k (k = 0 … Cues−1) is on from step
// (CueInterval − CueDuration) + k·CueInterval for CueDuration steps, on the left or right group
// at rate F0; the recall group fires at F0 during the last RecallDuration steps; the
// background group fires at F0/4 throughout; every other entry is silent. Spikes are drawn
// independently per step and channel with the given rate. The label is the majority side.
//
// By default a batch shares one draw of cue uniforms between its trials, as the seed does (see
// EvidenceOptions.PerSampleCues). Batches are generated on demand from (Seed, epoch, batch
// index), so any batch can be regenerated without holding an epoch in memory. The numbers differ from the seed's, which
// come from NumPy's global generator; the distributions are the same.
type EvidenceAccumulation struct {
	opts   EvidenceOptions
	groups EvidenceGroups
	onsets []int
	next   int // epoch that NextEpoch yields
}

// NewEvidenceAccumulation validates the options and returns the task.
func NewEvidenceAccumulation(o EvidenceOptions) (*EvidenceAccumulation, error) {
	const fn = "datasets.NewEvidenceAccumulation"
	type check struct {
		ok   bool
		name string
		want string
		got  any
	}
	for _, c := range []check{
		{o.Batch >= 1, "Batch", ">= 1", o.Batch},
		{o.BatchesPerEpoch >= 1, "BatchesPerEpoch", ">= 1", o.BatchesPerEpoch},
		{o.Channels >= 4 && o.Channels%4 == 0, "Channels", "a positive multiple of 4 (four equal channel groups: left, right, recall, background)", o.Channels},
		{o.Cues >= 1, "Cues", ">= 1", o.Cues},
		{o.CueDuration >= 1, "CueDuration", ">= 1", o.CueDuration},
		{o.CueInterval >= o.CueDuration, "CueInterval", fmt.Sprintf(">= CueDuration (%d)", o.CueDuration), o.CueInterval},
		{o.RecallDuration >= 1, "RecallDuration", ">= 1", o.RecallDuration},
		{o.SeqLen >= o.RecallDuration, "SeqLen", fmt.Sprintf(">= RecallDuration (%d)", o.RecallDuration), o.SeqLen},
		{o.F0 > 0 && o.F0 <= 1, "F0", "a spike probability per step in (0, 1]", o.F0},
		{o.Prob >= 0 && o.Prob <= 1, "Prob", "a probability in [0, 1]", o.Prob},
	} {
		if !c.ok {
			return nil, fmt.Errorf("%s: EvidenceOptions.%s: want %s, got %v", fn, c.name, c.want, c.got)
		}
	}
	silence := o.CueInterval - o.CueDuration
	cueEnd := silence + (o.Cues-1)*o.CueInterval + o.CueDuration
	if recall := o.SeqLen - o.RecallDuration; cueEnd > recall {
		return nil, fmt.Errorf("%s: EvidenceOptions.SeqLen: the cues end at step %d but the recall cue starts at %d (SeqLen %d − RecallDuration %d): want SeqLen >= %d",
			fn, cueEnd, recall, o.SeqLen, o.RecallDuration, cueEnd+o.RecallDuration)
	}
	if int64(o.Batch)*int64(o.SeqLen)*int64(o.Channels) > 1<<31 {
		return nil, fmt.Errorf("%s: EvidenceOptions: a batch of %d×%d×%d values is too large", fn, o.Batch, o.SeqLen, o.Channels)
	}
	n := o.Channels / 4
	e := &EvidenceAccumulation{opts: o, groups: EvidenceGroups{
		Left: [2]int{0, n}, Right: [2]int{n, 2 * n}, Recall: [2]int{2 * n, 3 * n}, Background: [2]int{3 * n, 4 * n},
	}}
	for k := range o.Cues {
		e.onsets = append(e.onsets, silence+k*o.CueInterval)
	}
	return e, nil
}

// Options returns the task's options.
func (e *EvidenceAccumulation) Options() EvidenceOptions { return e.opts }

// Groups returns the channel ranges of the four groups (seed: left 0–9, right 10–19, recall
// 20–29, background 30–39), e.g. for the red and blue bands of the seed's input raster.
func (e *EvidenceAccumulation) Groups() EvidenceGroups { return e.groups }

// Batch generates batch i (0-based) of the given epoch.
func (e *EvidenceAccumulation) Batch(epoch, i int) *EvidenceBatch {
	// One stream per (epoch, batch): PCG's second word keeps streams apart.
	rng := rand.New(rand.NewPCG(e.opts.Seed, uint64(epoch)<<32^uint64(uint32(i))))
	return e.generate(rng, e.opts.Batch)
}

// Epoch yields the BatchesPerEpoch batches of the given epoch, generating each when asked.
func (e *EvidenceAccumulation) Epoch(epoch int) iter.Seq2[int, *EvidenceBatch] {
	return func(yield func(int, *EvidenceBatch) bool) {
		for i := range e.opts.BatchesPerEpoch {
			if !yield(i, e.Batch(epoch, i)) {
				return
			}
		}
	}
}

// NextEpoch yields the batches of the next epoch (0, then 1, …) each time it is called, like
// the seed's data callable that a trainer calls once per epoch. It advances a counter, so it is
// not safe for concurrent use; Epoch and Batch are.
func (e *EvidenceAccumulation) NextEpoch() iter.Seq2[int, *EvidenceBatch] {
	ep := e.next
	e.next++
	return e.Epoch(ep)
}

func (e *EvidenceAccumulation) generate(rng *rand.Rand, batch int) *EvidenceBatch {
	o := e.opts
	T, C := o.SeqLen, o.Channels
	b := e.draw(rng, batch)
	n := batch * T * C
	if o.Float64 {
		b.Float64 = make([]float64, n)
	} else {
		b.Float32 = make([]float32, n)
	}
	// fire draws the entries of steps [t0, t1) × channels [c0, c1) of trial s.
	fire := func(s, t0, t1, c0, c1 int, rate float64) {
		fireRuns(rng, t1-t0, c1-c0, rate, func(t, c int) {
			i := (s*T+t0+t)*C + c0 + c
			if b.Float64 != nil {
				b.Float64[i] = 1
			} else {
				b.Float32[i] = 1
			}
		})
	}
	for s := range batch {
		e.fireTrial(b, s, func(t0, t1, c0, c1 int, rate float64) { fire(s, t0, t1, c0, c1, rate) })
	}
	return b
}

// fireTrial calls fire for each block of steps [t0, t1) × channels [c0, c1) of trial s that
// fires at a rate, in the draw order: the cues, the recall cue, the background.
func (e *EvidenceAccumulation) fireTrial(b *EvidenceBatch, s int, fire func(t0, t1, c0, c1 int, rate float64)) {
	o, g := e.opts, e.groups
	for k, on := range b.CueOnsets {
		grp := g.Left
		if b.CueSides[s*o.Cues+k] == 1 {
			grp = g.Right
		}
		fire(on, on+o.CueDuration, grp[0], grp[1], o.F0)
	}
	fire(b.RecallStart, o.SeqLen, g.Recall[0], g.Recall[1], o.F0)
	fire(0, o.SeqLen, g.Background[0], g.Background[1], o.F0/4)
}

// draw makes a batch with everything but the spikes: the trial kinds, then the cue uniforms,
// in the seed's draw order.
func (e *EvidenceAccumulation) draw(rng *rand.Rand, batch int) *EvidenceBatch {
	o := e.opts
	T, C, K := o.SeqLen, o.Channels, o.Cues
	b := &EvidenceBatch{
		Dims: [3]int{batch, T, C}, Labels: make([]int, batch), CueSides: make([]int, batch*K),
		CueOnsets: append([]int(nil), e.onsets...), LeftProb: make([]float64, batch),
		RecallStart: T - o.RecallDuration,
	}
	for s := range batch {
		b.LeftProb[s] = 1 - o.Prob
		if rng.Float64() < 0.5 {
			b.LeftProb[s] = o.Prob
		}
	}
	shared := make([]float64, K)
	if !o.PerSampleCues {
		for k := range shared {
			shared[k] = rng.Float64()
		}
	}
	for s := range batch {
		right := 0
		for k := range K {
			u := shared[k]
			if o.PerSampleCues {
				u = rng.Float64()
			}
			if u > b.LeftProb[s] {
				b.CueSides[s*K+k] = 1
				right++
			}
		}
		if 2*right > K {
			b.Labels[s] = 1
		}
	}
	return b
}

// Spike returns the spike of trial s at step t (of the batch: trial step Start+t) on channel c
// as 0 or 1.
func (b *EvidenceBatch) Spike(s, t, c int) float64 {
	i := (s*b.Dims[1]+t)*b.Dims[2] + c
	if b.Float64 != nil {
		return b.Float64[i]
	}
	return float64(b.Float32[i])
}

// Rate returns the mean spike count per step over trials, steps [t0, t1) and channels
// [c0, c1): the empirical firing probability of that block.
func (b *EvidenceBatch) Rate(t0, t1, c0, c1 int) float64 {
	sum, n := 0.0, 0
	for s := range b.Dims[0] {
		for t := t0; t < t1; t++ {
			for c := c0; c < c1; c++ {
				sum += b.Spike(s, t, c)
				n++
			}
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}
