package kernel

import (
	"os"
	"path/filepath"

	"github.com/bpgo/bpgo/datasets/vision"
)

// RepoDirEnv names the environment variable the bpgo kernel sets to the repository root
// (cmd/bpgo-kernel writes it into kernel.json).
const RepoDirEnv = "BPGO_DIR"

// DataDir is where the notebooks keep their data sets: $BPGO_DATA_DIR when set; else, in the
// bpgo kernel, <repository>/.bpgo/data, which `make testdata` (tests/data/fetch-fashion-mnist.sh)
// and the classroom image fill; else vision.DataDir() (the user cache directory's bpgo/).
// Notebooks load with
//
//	o := vision.FashionMNISTDefaults()
//	o.Root, o.Download = kernel.DataDir(), true
//
// so that a filled directory is used offline and an empty one is downloaded into once.
func DataDir() string {
	if d := os.Getenv(vision.DataDirEnv); d != "" {
		return d
	}
	if repo := os.Getenv(RepoDirEnv); repo != "" {
		return filepath.Join(repo, ".bpgo", "data")
	}
	d, _ := vision.DataDir() // "" when there is no cache directory: vision's loaders then say so
	return d
}
