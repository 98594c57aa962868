package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// evidenceBlock is the number of steps an EvidenceStream draws from one random stream: a
// window's spikes do not depend on how the trial is cut into windows.
const evidenceBlock = 50

// EvidenceStream is one batch of trials handed out a window of steps at a time (Window), for
// trainers that run forward in time (trainers.EProp): a trial of any length then needs memory
// for one window, not for its SeqLen steps. The trial kinds, cue sides and labels are drawn
// when the stream is made, exactly as Batch draws them for the same (epoch, batch), so they
// equal Batch's; the spikes are drawn per block of 50 steps from their own random streams, with
// the same law as Batch's but other values. A stream keeps the last block it drew, so it is not
// safe for concurrent use; the windows it returns share its trial fields (Labels, CueSides, …).
type EvidenceStream struct {
	task *EvidenceAccumulation
	meta *EvidenceBatch // labels, cue sides, onsets; no spikes
	seed [2]uint64
	// The last block drawn (-1: none yet), its spikes (B, evidenceBlock, C) kept for the next
	// window.
	block int
	f32   []float32
	f64   []float64
}

// Stream returns batch i of the given epoch as a stream (see EvidenceStream).
func (e *EvidenceAccumulation) Stream(epoch, i int) *EvidenceStream {
	stream := uint64(epoch)<<32 ^ uint64(uint32(i))
	meta := e.draw(rand.New(rand.NewPCG(e.opts.Seed, stream)), e.opts.Batch)
	meta.Dims[1] = 0
	return &EvidenceStream{task: e, meta: meta, seed: [2]uint64{e.opts.Seed, stream}, block: -1}
}

// Batch is the number of trials.
func (s *EvidenceStream) Batch() int { return s.meta.Dims[0] }

// Steps is the trial length (SeqLen).
func (s *EvidenceStream) Steps() int { return s.task.opts.SeqLen }

// Options are the task's options (Channels, Float64, …).
func (s *EvidenceStream) Options() EvidenceOptions { return s.task.opts }

// Labels are the trials' targets, as EvidenceBatch.Labels.
func (s *EvidenceStream) Labels() []int { return s.meta.Labels }

// Window returns steps [start, start+k) of every trial as a batch of Dims (B, k, C) whose Start
// is start; its Labels, CueSides, CueOnsets, LeftProb and RecallStart are the whole trial's
// (trial steps, not window steps).
func (s *EvidenceStream) Window(start, k int) (*EvidenceBatch, error) {
	w := *s.meta
	if err := s.fill(&w, start, k, "Window"); err != nil {
		return nil, err
	}
	return &w, nil
}

// WindowInto is Window writing the spikes into w's own Float32 (or, with Float64, Float64)
// slice, which must have room for the window's B·k·C values (it is cut to that length), for
// example a tensor's memory kept from window to window: a streamed trial then allocates
// nothing per window. A nil slice is allocated. The other fields of w are set as Window sets
// them.
func (s *EvidenceStream) WindowInto(w *EvidenceBatch, start, k int) error {
	if w == nil {
		return fmt.Errorf("datasets.EvidenceStream.WindowInto: the batch w is nil")
	}
	spikes32, spikes64 := w.Float32, w.Float64
	*w = *s.meta
	w.Float32, w.Float64 = spikes32, spikes64
	return s.fill(w, start, k, "WindowInto")
}

// fill checks the window [start, start+k) and writes its spikes into w (allocating them where
// w has none); what names the method in errors.
func (s *EvidenceStream) fill(w *EvidenceBatch, start, k int, what string) error {
	T := s.Steps()
	if start < 0 || k < 1 || start+k > T {
		return fmt.Errorf("datasets.EvidenceStream.%s: steps [%d, %d) of a %d-step trial: want 0 <= start, 1 <= k and start+k <= %d", what, start, start+k, T, T)
	}
	o := s.task.opts
	B, C := s.Batch(), o.Channels
	n := B * k * C
	switch {
	case o.Float64 && w.Float64 == nil:
		w.Float64 = make([]float64, n)
	case !o.Float64 && w.Float32 == nil:
		w.Float32 = make([]float32, n)
	case o.Float64 && len(w.Float64) < n, !o.Float64 && len(w.Float32) < n:
		return fmt.Errorf("datasets.EvidenceStream.%s: the batch's spike slice has %d values, want at least B·k·C = %d·%d·%d = %d", what, max(len(w.Float64), len(w.Float32)), B, k, C, n)
	}
	if o.Float64 {
		w.Float32, w.Float64 = nil, w.Float64[:n]
	} else {
		w.Float32, w.Float64 = w.Float32[:n], nil
	}
	w.Dims, w.Start = [3]int{B, k, C}, start
	for blk := start / evidenceBlock; blk*evidenceBlock < start+k; blk++ {
		s.draw(blk)
		t0, t1 := max(start, blk*evidenceBlock), min(start+k, (blk+1)*evidenceBlock, T)
		for b := range B {
			for t := t0; t < t1; t++ {
				src := (b*evidenceBlock + t - blk*evidenceBlock) * C
				dst := (b*k + t - start) * C
				if o.Float64 {
					copy(w.Float64[dst:dst+C], s.f64[src:src+C])
				} else {
					copy(w.Float32[dst:dst+C], s.f32[src:src+C])
				}
			}
		}
	}
	return nil
}

// draw fills the block buffer with block blk's spikes, unless it holds them already.
func (s *EvidenceStream) draw(blk int) {
	if s.block == blk {
		return
	}
	o := s.task.opts
	B, C, n := s.Batch(), o.Channels, s.Batch()*evidenceBlock*o.Channels
	if o.Float64 {
		if s.f64 == nil {
			s.f64 = make([]float64, n)
		}
		clear(s.f64)
	} else {
		if s.f32 == nil {
			s.f32 = make([]float32, n)
		}
		clear(s.f32)
	}
	// One stream per block, apart from Batch's (which uses the plain seed).
	rng := rand.New(rand.NewPCG(s.seed[0]+uint64(blk+1)*0x9e3779b97f4a7c15, s.seed[1]))
	b0, b1 := blk*evidenceBlock, min((blk+1)*evidenceBlock, o.SeqLen)
	set := func(i int) {
		if s.f64 != nil {
			s.f64[i] = 1
		} else {
			s.f32[i] = 1
		}
	}
	// fire over the part of steps [t0, t1) inside the block, rows (b, t−b0) of the buffer.
	fire := func(b, t0, t1, c0, c1 int, rate float64) {
		t0, t1 = max(t0, b0), min(t1, b1)
		if t0 >= t1 {
			return
		}
		fireRuns(rng, t1-t0, c1-c0, rate, func(k, c int) {
			set((b*evidenceBlock+t0-b0+k)*C + c0 + c)
		})
	}
	for b := range B {
		s.task.fireTrial(s.meta, b, func(t0, t1, c0, c1 int, rate float64) { fire(b, t0, t1, c0, c1, rate) })
	}
	s.block = blk
}

// fireRuns draws a spike with probability rate for each entry of a (steps, width) block and
// calls set(step, channel) for those that fire. Instead of one uniform per entry (the seed's
// rate > U[0,1)) it draws the gaps between spikes, which are geometric with the same law:
// ~1/rate times fewer draws.
func fireRuns(rng *rand.Rand, steps, width int, rate float64, set func(t, c int)) {
	n := steps * width
	logq := math.Log1p(-rate) // −Inf when rate = 1: every entry fires
	for k := -1; ; {
		gap := 0
		if rate < 1 {
			g := math.Floor(math.Log(1-rng.Float64()) / logq) // U in (0, 1]
			if g >= float64(n) {
				return
			}
			gap = int(g)
		}
		if k += gap + 1; k >= n {
			return
		}
		set(k/width, k%width)
	}
}
