//go:build !(amd64 && goexperiment.simd)

package gobackend

// Elementwise fusion (bpgo_fuse.go) needs the vector kernels of a SIMD build: elsewhere every
// op runs on its own.

type bpgoFusion struct{}

func (fe *FunctionExecutable) bpgoFuse() {}

func (fe *FunctionExecutable) bpgoGroup() {}

func (fe *FunctionExecutable) bpgoExecFused(*Backend, *Node, *funcExecBuffers, *bpgoFusion) error {
	return nil
}

func (fe *FunctionExecutable) bpgoMarkLazy() {}

func bpgoClearUpper() {}
