package gobackend

import (
	"sync/atomic"
	"unsafe"
)

// bpgo patch (see bpgo/third_party/README.md in bpgo's repository): what an op derives from an
// input buffer (the lists of a sparse left factor's nonzeros, say) can be kept with the buffer
// and reused by the next op that reads the same value, as long as the value has not changed.
// An execution stores every value it hands to an op in execBuf.results: its parameters and
// captured values when it starts, each op's results as the op ends (a result written into an
// input's buffer in place included). BpgoStored counts those stores, so a value is the same
// while its buffer's count is: a parameter's buffer gets a new count at every execution (its
// caller may have rewritten shared memory in between), a pooled buffer at every new use.

// BpgoStored records that the buffer now holds a new value.
func (b *Buffer) BpgoStored() {
	if b != nil {
		atomic.AddUint64(&b.bpgoWrites, 1)
	}
}

// BpgoWrites is the buffer's count of stored values (see BpgoStored).
func (b *Buffer) BpgoWrites() uint64 { return atomic.LoadUint64(&b.bpgoWrites) }

// BpgoDerived returns what SetBpgoDerived last kept with the buffer (nil: nothing); its
// holder checks that it belongs to the buffer's current value.
func (b *Buffer) BpgoDerived() unsafe.Pointer { return atomic.LoadPointer(&b.bpgoDerived) }

// SetBpgoDerived keeps p with the buffer.
func (b *Buffer) SetBpgoDerived(p unsafe.Pointer) { atomic.StorePointer(&b.bpgoDerived, p) }
