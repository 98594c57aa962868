package vision

import (
	"slices"
	"testing"
)

// tinySet is n 2×2 images; image i has all pixels = i·20 (mod 256), label i mod 10.
func tinySet(n int) *Dataset {
	d := &Dataset{Name: "tiny", Split: Train, Rows: 2, Cols: 2, Classes: fashionMNIST.classes}
	for i := range n {
		p := uint8(i * 20)
		d.Images = append(d.Images, p, p, p, p)
		d.Labels = append(d.Labels, uint8(i%10))
	}
	return d
}

func newLoader[T Float](t testing.TB, d *Dataset, f func(*LoaderOptions)) *Loader[T] {
	t.Helper()
	o := LoaderDefaults()
	if f != nil {
		f(&o)
	}
	l, err := NewLoader[T](d, o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func isPerm(o []int) bool {
	s := slices.Clone(o)
	slices.Sort(s)
	for i, v := range s {
		if v != i {
			return false
		}
	}
	return true
}

func TestLoaderDefaults(t *testing.T) {
	if o := LoaderDefaults(); o != (LoaderOptions{BatchSize: 256, Shuffle: ShuffleEachEpoch}) {
		t.Errorf("LoaderDefaults() = %+v", o)
	}
	// The tutorial's counts: 235 batches of 256 (last 96) for get_data, 234 for the spike generator.
	d := &Dataset{Rows: 1, Cols: 1, Images: make([]uint8, 60000), Labels: make([]uint8, 60000)}
	if n := newLoader[float32](t, d, nil).NumBatches(); n != 235 {
		t.Errorf("NumBatches %d", n)
	}
	if n := newLoader[float32](t, d, func(o *LoaderOptions) { o.DropLast = true }).NumBatches(); n != 234 {
		t.Errorf("NumBatches with DropLast %d", n)
	}
}

func TestLoaderValidation(t *testing.T) {
	d := tinySet(5)
	for _, c := range []struct {
		d    *Dataset
		f    func(*LoaderOptions)
		want string
	}{
		{nil, nil, "d: want a data set with images, got none"},
		{&Dataset{Rows: 2, Cols: 2, Labels: []uint8{1}}, nil, "d: 1 labels and 2×2 images need 4 pixels, got 0"},
		{d, func(o *LoaderOptions) { o.BatchSize = 0 }, "LoaderOptions.BatchSize: want >= 1, got 0"},
		{d, func(o *LoaderOptions) { o.Shuffle = 7 }, "LoaderOptions.Shuffle: want NoShuffle, ShuffleEachEpoch or ShuffleCompound, got Shuffle(7)"},
		{d, func(o *LoaderOptions) { o.BatchSize, o.DropLast = 6, true }, "LoaderOptions.BatchSize: 6 exceeds the 5 images, so DropLast leaves no batch"},
	} {
		o := LoaderDefaults()
		if c.f != nil {
			c.f(&o)
		}
		_, err := NewLoader[float64](c.d, o)
		wantErr(t, err, "vision.NewLoader: "+c.want)
	}
}

func TestShuffleEachEpoch(t *testing.T) {
	d := tinySet(50)
	a := newLoader[float32](t, d, func(o *LoaderOptions) { o.Seed = 7 })
	b := newLoader[float32](t, d, func(o *LoaderOptions) { o.Seed = 7 })
	c := newLoader[float32](t, d, func(o *LoaderOptions) { o.Seed = 8 })
	// Same seed, same orders, whatever the call order; independent of other epochs.
	o2 := a.Order(2)
	o0 := a.Order(0)
	if !slices.Equal(o0, b.Order(0)) || !slices.Equal(o2, b.Order(2)) {
		t.Errorf("same seed, different orders")
	}
	if !isPerm(o0) || !isPerm(o2) || slices.Equal(o0, o2) || slices.Equal(o0, c.Order(0)) || slices.Equal(o0, newLoader[float32](t, d, func(o *LoaderOptions) { o.Shuffle = NoShuffle }).Order(0)) {
		t.Errorf("orders not distinct permutations: %v %v", o0, o2)
	}
	// A new permutation, not a power of the first.
	composed := make([]int, len(o0))
	for i := range o0 {
		composed[i] = o0[o0[i]]
	}
	if slices.Equal(a.Order(1), composed) {
		t.Errorf("ShuffleEachEpoch compounds")
	}
}

// permutation(X, key=123) twice: X1 = X0[P] = X[P][P], so epoch e sees P^(e+1).
func TestShuffleCompound(t *testing.T) {
	d := tinySet(40)
	l := newLoader[float64](t, d, func(o *LoaderOptions) { o.Shuffle, o.Seed = ShuffleCompound, 123 })
	p := l.Order(0)
	if !isPerm(p) || slices.Equal(p, tinyRange(40)) {
		t.Fatalf("P = %v", p)
	}
	want := slices.Clone(p)
	for e := 1; e < 6; e++ {
		next := make([]int, len(p))
		for i := range p {
			next[i] = want[p[i]]
		}
		want = next
		if got := l.Order(e); !slices.Equal(got, want) {
			t.Fatalf("epoch %d: %v, want %v", e, got, want)
		}
	}
	// Random access and a second loader agree with sequential access.
	l2 := newLoader[float64](t, d, func(o *LoaderOptions) { o.Shuffle, o.Seed = ShuffleCompound, 123 })
	if !slices.Equal(l2.Order(5), want) || !slices.Equal(l.Order(0), p) || !slices.Equal(l.Order(5), want) {
		t.Errorf("random access differs")
	}
	// Pairs stay together: the labels of a batch are those of its images.
	for b := range l.Images() {
		for k, idx := range b.Indices {
			if b.Labels[k] != int32(d.Labels[idx]) || b.X[4*k] != float64(d.Images[4*idx])/255 {
				t.Fatalf("batch %d: sample %d is not image %d", b.Index, k, idx)
			}
		}
	}
}

func tinyRange(n int) []int {
	r := make([]int, n)
	for i := range r {
		r[i] = i
	}
	return r
}

func TestImages(t *testing.T) {
	d := tinySet(10)
	l := newLoader[float32](t, d, func(o *LoaderOptions) { o.BatchSize, o.Shuffle = 4, NoShuffle })
	var sizes []int
	for b := range l.Images() {
		sizes = append(sizes, b.Size())
		if b.Epoch != 0 || !slices.Equal(b.Shape, []int{b.Size(), 2, 2}) || len(b.X) != 4*b.Size() {
			t.Errorf("batch %d: epoch %d shape %v len %d", b.Index, b.Epoch, b.Shape, len(b.X))
		}
		for k, idx := range b.Indices {
			if idx != 4*b.Index+k || b.Labels[k] != int32(idx%10) {
				t.Errorf("batch %d sample %d: index %d label %d", b.Index, k, idx, b.Labels[k])
			}
			// float32(p)/255 in float32, as bm.array(data, float32)/255.
			if want := float32(d.Images[4*idx]) / 255; b.X[4*k+3] != want {
				t.Errorf("pixel %v, want %v", b.X[4*k+3], want)
			}
		}
	}
	if !slices.Equal(sizes, []int{4, 4, 2}) || l.Epoch() != 1 {
		t.Errorf("sizes %v, next epoch %d", sizes, l.Epoch())
	}
	// Each iteration is one more epoch, also when stopped early; SetEpoch rewinds.
	for range l.Images() {
		break
	}
	for b := range l.Images() {
		if b.Epoch != 2 {
			t.Errorf("third iteration runs epoch %d", b.Epoch)
		}
	}
	l.SetEpoch(0)
	if l.Epoch() != 0 {
		t.Errorf("SetEpoch")
	}
	// Values span [0, 1] exactly.
	full := &Dataset{Rows: 1, Cols: 2, Images: []uint8{0, 255}, Labels: []uint8{3}}
	for b := range newLoader[float64](t, full, nil).Images() {
		if b.X[0] != 0 || b.X[1] != 1 {
			t.Errorf("0 and 255 map to %v", b.X)
		}
	}
}

func TestReuse(t *testing.T) {
	d := tinySet(9)
	fresh := newLoader[float64](t, d, func(o *LoaderOptions) { o.BatchSize, o.Seed = 4, 3 })
	reuse := newLoader[float64](t, d, func(o *LoaderOptions) { o.BatchSize, o.Seed, o.Reuse = 4, 3, true })
	var want []Batch[float64]
	for b := range fresh.Images() {
		want = append(want, b)
	}
	k := 0
	var first *float64
	for b := range reuse.Images() {
		if !slices.Equal(b.X, want[k].X) || !slices.Equal(b.Labels, want[k].Labels) || !slices.Equal(b.Indices, want[k].Indices) {
			t.Errorf("batch %d differs with Reuse", k)
		}
		if first == nil {
			first = &b.X[0]
		} else if &b.X[0] != first {
			t.Errorf("batch %d: new buffer with Reuse", k)
		}
		k++
	}
	if &want[0].X[0] == &want[1].X[0] {
		t.Errorf("buffers shared without Reuse")
	}
}

func TestSpikes(t *testing.T) {
	d := tinySet(13) // pixel values 0, 20, …, 240
	enc := defaultEncoder(t)
	for _, reuse := range []bool{false, true} {
		l := newLoader[float32](t, d, func(o *LoaderOptions) { o.BatchSize, o.DropLast, o.Reuse, o.Seed = 4, true, reuse, 5 })
		n := 0
		for b := range l.Spikes(enc) {
			n++
			if !slices.Equal(b.Shape, []int{4, 100, 4}) || len(b.X) != 4*100*4 {
				t.Fatalf("shape %v", b.Shape)
			}
			want := make([]float32, len(b.X))
			for k, idx := range b.Indices {
				for u := range 4 {
					if s, ok := enc.PixelStep(d.Images[4*idx+u]); ok {
						want[k*400+s*4+u] = 1
					}
				}
			}
			if !slices.Equal(b.X, want) {
				t.Errorf("reuse %v batch %d: spikes differ", reuse, b.Index)
			}
		}
		if n != 3 {
			t.Errorf("%d batches with DropLast, want 13/4 = 3", n)
		}
	}
}
