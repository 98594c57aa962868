//go:build amd64 && goexperiment.simd

package gobackend

import "github.com/gomlx/compute"

// BpgoSetFuse switches elementwise fusion on or off for executables compiled afterwards.
func BpgoSetFuse(on bool) (restore func()) {
	was := bpgoFuseOn
	bpgoFuseOn = on
	return func() { bpgoFuseOn = was }
}

// BpgoFusedTrees counts the fused trees and the nodes they absorbed in e's main function.
func BpgoFusedTrees(e compute.Executable) (trees, absorbed int) {
	fe := e.(*Executable).mainFn
	for _, f := range fe.bpgoFused {
		if f != nil {
			trees++
		}
	}
	for _, in := range fe.bpgoInternal {
		if in {
			absorbed++
		}
	}
	return
}
