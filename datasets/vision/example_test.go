package vision_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/bpgo/bpgo/datasets/vision"
)

// A data directory can be filled by hand for offline use: here with two tiny unzipped IDX
// files (the real ones come from the official site, torchvision, BrainPy, or
// ImportFashionMNISTNPM).
func ExampleFashionMNIST() {
	root, err := os.MkdirTemp("", "bpgo-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)
	raw := filepath.Join(root, "FashionMNIST", "raw")
	os.MkdirAll(raw, 0o755)
	write := func(name string, dims []int, data []uint8) {
		f, err := os.Create(filepath.Join(raw, name))
		if err != nil {
			fmt.Println(err)
			return
		}
		defer f.Close()
		if err := vision.WriteIDX(f, dims, data); err != nil {
			fmt.Println(err)
		}
	}
	write("t10k-images-idx3-ubyte", []int{2, 28, 28}, make([]uint8, 2*28*28))
	write("t10k-labels-idx1-ubyte", []int{2}, []uint8{9, 0})

	o := vision.FashionMNISTDefaults() // root: $BPGO_DATA_DIR or ~/.cache/bpgo
	o.Root, o.Split = root, vision.Test
	test, err := vision.FashionMNIST(o)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(test.Len(), test.Rows, test.Cols, test.Classes[test.Labels[0]])
	// Output: 2 28 28 Ankle boot
}

// The tutorial's SNN input: a pixel p fires once, at step floor(20·ln(p/(p−51))), iff p ≥ 52.
func ExampleNewLatencyEncoder() {
	enc, err := vision.NewLatencyEncoder(vision.LatencyDefaults())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range []uint8{0, 51, 52, 60, 77, 128, 255} {
		step, fires := enc.PixelStep(p)
		fmt.Println(p, step, fires)
	}
	// Output:
	// 0 0 false
	// 51 0 false
	// 52 79 true
	// 60 37 true
	// 77 21 true
	// 128 10 true
	// 255 4 true
}

// Batches of images in [0, 1], in the data set's order; each range over Images is one epoch.
func ExampleLoader_Images() {
	d := &vision.Dataset{Rows: 1, Cols: 2, Images: []uint8{0, 255, 51, 102, 153, 204}, Labels: []uint8{1, 2, 3}}
	o := vision.LoaderDefaults()
	o.BatchSize, o.Shuffle = 2, vision.NoShuffle
	l, err := vision.NewLoader[float32](d, o)
	if err != nil {
		fmt.Println(err)
		return
	}
	for b := range l.Images() {
		fmt.Println(b.Epoch, b.Index, b.Shape, b.X, b.Labels)
	}
	// Output:
	// 0 0 [2 1 2] [0 1 0.2 0.4] [1 2]
	// 0 1 [1 1 2] [0.6 0.8] [3]
}

// The tutorial's spike generator: shuffled (B, 100, 784) batches, the last partial one dropped.
func ExampleLoader_Spikes() {
	d := &vision.Dataset{Rows: 28, Cols: 28, Images: make([]uint8, 5*784), Labels: make([]uint8, 5)}
	d.Images[3*784+10] = 255 // image 3, unit 10: fires at step 4
	enc, err := vision.NewLatencyEncoder(vision.LatencyDefaults())
	if err != nil {
		fmt.Println(err)
		return
	}
	o := vision.LoaderDefaults()
	o.BatchSize, o.DropLast, o.Seed = 2, true, 1
	l, err := vision.NewLoader[float32](d, o)
	if err != nil {
		fmt.Println(err)
		return
	}
	for b := range l.Spikes(enc) {
		spikes := 0
		for _, v := range b.X {
			spikes += int(v)
		}
		fmt.Println(b.Index, b.Shape, spikes)
		for k, idx := range b.Indices {
			if idx == 3 {
				fmt.Println("image 3 is sample", k, "spike at", b.X[k*100*784+4*784+10])
			}
		}
	}
	// Output:
	// 0 [2 100 784] 0
	// 1 [2 100 784] 1
	// image 3 is sample 0 spike at 1
}
