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

// BpgoGroups counts the groups of fused trees in e's main function, the trees in them, and
// the trees that fold a sum over their leading axis.
func BpgoGroups(e compute.Executable) (groups, trees, folded int) {
	fe := e.(*Executable).mainFn
	for _, g := range fe.bpgoGroups {
		if g != nil {
			groups++
			trees += len(g.outs)
		}
	}
	for _, f := range fe.bpgoFused {
		if f != nil && f.outs[0].row > 0 {
			folded++
		}
	}
	return
}

// BpgoInPlaceWrites counts the fused results written over a leaf's buffer so far.
func BpgoInPlaceWrites() int64 { return bpgoInPlaceWrites.Load() }

// BpgoTiny reports whether e's main function runs sequentially as a graph of tiny nodes.
func BpgoTiny(e compute.Executable) bool { return e.(*Executable).mainFn.bpgoTiny }

// BpgoBin32 is the fused programs' float32 kernel (for bpgo_upper_test.go).
func BpgoBin32(op compute.OpType, dst, a, b []float32) { bpgoBin32(op, dst, a, b) }

// BpgoCopy32 is bpgoCopy32 (for bpgo_upper_test.go).
var BpgoCopy32Fn = bpgoCopy32
