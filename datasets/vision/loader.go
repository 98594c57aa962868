package vision

import (
	"fmt"
	"iter"
	"math/rand/v2"
)

// Float is the element type of batches: float32 (BrainPy's default) or float64 (x64).
type Float interface{ float32 | float64 }

// Shuffle is how a Loader orders the samples of each epoch.
type Shuffle int

const (
	// NoShuffle keeps the data set's order.
	NoShuffle Shuffle = iota
	// ShuffleEachEpoch draws an independent permutation for every epoch, as the tutorial's
	// get_data (a new key split from its generator per epoch, the same key for X and Y) and its
	// spike generator (np.random.shuffle of a fresh index range per epoch) do.
	ShuffleEachEpoch
	// ShuffleCompound draws one permutation P and re-applies it to the previous epoch's order,
	// as the tutorial's hand-written loop does with bm.random.permutation(X, key=123): epoch e
	// (from 0) sees the order P^(e+1), the same in every run. (Its period is the order of P.)
	ShuffleCompound
)

func (s Shuffle) String() string {
	switch s {
	case NoShuffle:
		return "NoShuffle"
	case ShuffleEachEpoch:
		return "ShuffleEachEpoch"
	case ShuffleCompound:
		return "ShuffleCompound"
	}
	return fmt.Sprintf("Shuffle(%d)", int(s))
}

// LoaderOptions configure NewLoader; start from LoaderDefaults.
type LoaderOptions struct {
	// BatchSize is the number of images per batch (256).
	BatchSize int
	// Shuffle orders each epoch (ShuffleEachEpoch).
	Shuffle Shuffle
	// Seed determines the permutations: epoch e's order is a function of (Seed, e) alone. The
	// streams are math/rand/v2 PCG, not JAX's or NumPy's, so BrainPy's exact orders cannot be
	// reproduced; only their structure is.
	Seed uint64
	// DropLast drops the last, smaller batch (false, as get_data; the spike generator drops it:
	// 60000 // 256 = 234 batches).
	DropLast bool
	// Reuse hands out the same X, Labels and Indices slices for every batch (each valid until
	// the next batch), which saves allocating 80 MB per spike batch; false allocates fresh ones.
	Reuse bool
}

// LoaderDefaults are the tutorial's get_data: batches of 256, a new permutation each epoch,
// the last batch kept; Seed 0.
func LoaderDefaults() LoaderOptions {
	return LoaderOptions{BatchSize: 256, Shuffle: ShuffleEachEpoch}
}

// Loader cuts a Dataset into shuffled batches, one epoch per iteration, without materialising
// an epoch: each batch is built when it is reached.
type Loader[T Float] struct {
	d     *Dataset
	o     LoaderOptions
	base  []int // ShuffleCompound's P
	epoch int   // the epoch the next iteration runs
	// ShuffleCompound's last computed power, so that consecutive epochs cost one composition.
	powEpoch int
	pow      []int
	pix      [256]T // p/255 in T's arithmetic, as bm.array(data, dtype)/255
}

// NewLoader validates o and returns a loader whose first iteration is epoch 0.
func NewLoader[T Float](d *Dataset, o LoaderOptions) (*Loader[T], error) {
	const fn = "vision.NewLoader"
	if d == nil || d.Len() == 0 {
		return nil, fmt.Errorf("%s: d: want a data set with images, got none", fn)
	}
	if len(d.Images) != d.Len()*d.Rows*d.Cols {
		return nil, fmt.Errorf("%s: d: %d labels and %d×%d images need %d pixels, got %d", fn,
			d.Len(), d.Rows, d.Cols, d.Len()*d.Rows*d.Cols, len(d.Images))
	}
	if o.BatchSize < 1 {
		return nil, fmt.Errorf("%s: LoaderOptions.BatchSize: want >= 1, got %d", fn, o.BatchSize)
	}
	if o.Shuffle < NoShuffle || o.Shuffle > ShuffleCompound {
		return nil, fmt.Errorf("%s: LoaderOptions.Shuffle: want NoShuffle, ShuffleEachEpoch or ShuffleCompound, got %v", fn, o.Shuffle)
	}
	if o.DropLast && o.BatchSize > d.Len() {
		return nil, fmt.Errorf("%s: LoaderOptions.BatchSize: %d exceeds the %d images, so DropLast leaves no batch", fn, o.BatchSize, d.Len())
	}
	l := &Loader[T]{d: d, o: o, powEpoch: -1}
	for p := range l.pix {
		l.pix[p] = T(p) / 255
	}
	if o.Shuffle == ShuffleCompound {
		l.base = rand.New(rand.NewPCG(o.Seed, compoundStream)).Perm(d.Len())
	}
	return l, nil
}

// compoundStream separates ShuffleCompound's permutation from the per-epoch ones.
const compoundStream = 1 << 63

// Options returns the loader's options.
func (l *Loader[T]) Options() LoaderOptions { return l.o }

// NumBatches is the number of batches per epoch.
func (l *Loader[T]) NumBatches() int {
	n, b := l.d.Len(), l.o.BatchSize
	if l.o.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// Epoch is the epoch the next iteration of Images or Spikes runs.
func (l *Loader[T]) Epoch() int { return l.epoch }

// SetEpoch makes the next iteration run epoch e (>= 0), e.g. to resume.
func (l *Loader[T]) SetEpoch(e int) {
	if e < 0 {
		panic(fmt.Sprintf("vision.Loader.SetEpoch: want an epoch >= 0, got %d", e))
	}
	l.epoch = e
}

// Order is the sequence of data-set indices that epoch e visits.
func (l *Loader[T]) Order(e int) []int {
	n := l.d.Len()
	switch l.o.Shuffle {
	case ShuffleEachEpoch:
		return rand.New(rand.NewPCG(l.o.Seed, uint64(e))).Perm(n)
	case ShuffleCompound:
		// order_e[i] = order_{e-1}[P[i]]: permutation(X, key) is X[P], applied to the last X.
		if l.powEpoch < 0 || l.powEpoch > e {
			l.powEpoch, l.pow = 0, append([]int(nil), l.base...)
		}
		for ; l.powEpoch < e; l.powEpoch++ {
			next := make([]int, n)
			for i, p := range l.base {
				next[i] = l.pow[p]
			}
			l.pow = next
		}
		return append([]int(nil), l.pow...)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	return order
}

// Batch is one batch of a Loader.
type Batch[T Float] struct {
	Epoch, Index int   // epoch and position of the batch in it
	Indices      []int // the data-set index of each sample
	// X is (B, Rows, Cols) images in [0, 1] (Images), or (B, Steps, Rows·Cols) spikes (Spikes).
	X      []T
	Shape  []int
	Labels []int32 // class indices, as the tutorial's int labels
}

// Size is the number of samples B.
func (b *Batch[T]) Size() int { return len(b.Indices) }

// Images runs the next epoch: batches of images as pixel/255 (the tutorial's get_data; its float
// labels are these class indices). Each iteration of the returned sequence runs one more epoch,
// like BrainPy's data generator function called once per epoch.
func (l *Loader[T]) Images() iter.Seq[Batch[T]] {
	return func(yield func(Batch[T]) bool) {
		px := l.d.Rows * l.d.Cols
		var buf []T
		l.run(func(b *Batch[T]) {
			if !l.o.Reuse || len(buf) < len(b.Indices)*px {
				buf = make([]T, len(b.Indices)*px)
			}
			b.X = buf[:len(b.Indices)*px]
			for k, idx := range b.Indices {
				dst := b.X[k*px : (k+1)*px]
				for j, p := range l.d.Images[idx*px : (idx+1)*px] {
					dst[j] = l.pix[p]
				}
			}
			b.Shape = []int{len(b.Indices), l.d.Rows, l.d.Cols}
		}, yield)
	}
}

// Spikes runs the next epoch as latency-encoded spike batches (B, Steps, Rows·Cols) of 0/1, the
// tutorial's sparse_data_generator (which uses DropLast). Only one batch exists at a time.
func (l *Loader[T]) Spikes(enc *LatencyEncoder) iter.Seq[Batch[T]] {
	return func(yield func(Batch[T]) bool) {
		units := l.d.Rows * l.d.Cols
		per := enc.o.Steps * units
		var buf []T
		var set []int
		imgs := make([]uint8, 0, l.o.BatchSize*units)
		l.run(func(b *Batch[T]) {
			need := len(b.Indices) * per
			if l.o.Reuse && len(buf) >= need {
				for _, at := range set { // clear only last batch's ones
					buf[at] = 0
				}
			} else {
				buf = make([]T, need)
			}
			set = set[:0]
			imgs = imgs[:0]
			for _, idx := range b.Indices {
				imgs = append(imgs, l.d.Images[idx*units:(idx+1)*units]...)
			}
			b.X = buf[:need]
			var track *[]int
			if l.o.Reuse {
				track = &set
			}
			encodeInto(enc, b.X, imgs, units, track)
			b.Shape = []int{len(b.Indices), enc.o.Steps, units}
		}, yield)
	}
}

// run iterates one epoch, filling each batch's indices and labels, then X through fill.
func (l *Loader[T]) run(fill func(*Batch[T]), yield func(Batch[T]) bool) {
	e := l.epoch
	l.epoch++
	order := l.Order(e)
	nb := l.NumBatches()
	var idxBuf []int
	var lblBuf []int32
	for k := range nb {
		lo, hi := k*l.o.BatchSize, min((k+1)*l.o.BatchSize, len(order))
		if !l.o.Reuse || idxBuf == nil {
			idxBuf, lblBuf = make([]int, l.o.BatchSize), make([]int32, l.o.BatchSize)
		}
		b := Batch[T]{Epoch: e, Index: k, Indices: idxBuf[:hi-lo], Labels: lblBuf[:hi-lo]}
		copy(b.Indices, order[lo:hi])
		for i, idx := range b.Indices {
			b.Labels[i] = int32(l.d.Labels[idx])
		}
		fill(&b)
		if !yield(b) {
			return
		}
	}
}
