package ops

// bpgo patch (see bpgo/third_party/README.md in bpgo's repository): a Concatenate in which
// every input adds one 4- or 8-byte element per outer block (graph.Stack on the last axis,
// e.g. K per-step (B, N) values stacked into (B, N, K)) copied one element per copy call,
// about 6 ns each. bpgoInterleave writes the output row by row with typed loads and stores
// instead.

import (
	"os"
	"unsafe"
)

// bpgoPatched is false when BPGO_COMPUTE_UPSTREAM is set: upstream's code runs instead, for A/B
// measurements of bpgo's patches.
var bpgoPatched = os.Getenv("BPGO_COMPUTE_UPSTREAM") == ""

// bpgoInterleave fills out (outer rows of len(ins) elements of elemSize bytes) with element o
// of input i at row o, column i, and reports whether it handled this case: every input holding
// exactly outer elements of 4 or 8 bytes.
func bpgoInterleave(out []byte, ins [][]byte, outer, elemSize int) bool {
	if !bpgoPatched || len(ins) < 2 || (elemSize != 4 && elemSize != 8) {
		return false
	}
	for _, in := range ins {
		if len(in) != outer*elemSize {
			return false
		}
	}
	if elemSize == 4 {
		bpgoInterleaveTyped[uint32](out, ins, outer)
	} else {
		bpgoInterleaveTyped[uint64](out, ins, outer)
	}
	return true
}

func bpgoInterleaveTyped[T uint32 | uint64](outBytes []byte, insBytes [][]byte, outer int) {
	var zero T
	size := int(unsafe.Sizeof(zero))
	k := len(insBytes)
	out := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(outBytes))), len(outBytes)/size)
	ins := make([][]T, k)
	for i, b := range insBytes {
		ins[i] = unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), outer)
	}
	// Blocks of 16 rows: each input is read one cache line at a time, and the block's output
	// (16 rows of k elements) stays in L1 while it is filled column by column.
	const rows = 16
	for o0 := 0; o0 < outer; o0 += rows {
		o1 := min(o0+rows, outer)
		for i, in := range ins {
			src := in[o0:o1]
			for j, v := range src {
				out[(o0+j)*k+i] = v
			}
		}
	}
}
