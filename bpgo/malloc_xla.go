//go:build xla && linux && cgo

package bpgo

// #include <malloc.h>
//
// // bpgo_keep_malloc_pages sets glibc's mmap threshold to its largest value (which also stops
// // glibc from moving it) and its trim threshold to trim bytes; C libraries without these
// // settings (musl, say) are left alone.
// static void bpgo_keep_malloc_pages(int mmap, int trim) {
// #if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
//	mallopt(M_MMAP_THRESHOLD, mmap);
//	mallopt(M_TRIM_THRESHOLD, trim);
// #endif
// }
//
// // bpgo_malloc_mapped allocates size bytes, reports whether the allocation got a mapping of its
// // own (1), came from the heap (0), or cannot be told (-1), and frees it.
// static int bpgo_malloc_mapped(size_t size) {
// #if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
//	size_t before = mallinfo2().hblkhd;
//	void *p = malloc(size);
//	if (p == NULL) return -1;
//	size_t after = mallinfo2().hblkhd;
//	free(p);
//	return after > before;
// #else
//	return -1;
// #endif
// }
import "C"

import (
	"os"
	"sync"
)

// XLA's CPU runtime takes every buffer of a call, the loop states, stored steps and results,
// from the C library's malloc and frees them when the call ends. glibc hands such memory back to
// the system as soon as it is freed (buffers above its mmap threshold get mappings of their own,
// and the top of a heap is trimmed), so the next training step maps it again and the kernel
// faults in and zeroes every page: on seed 000's SNN about 150,000 faults and 0.3-0.5 s of kernel
// time per unit of 100 training steps, a fifth of the unit. Keeping freed memory for reuse (the
// mmap threshold at glibc's maximum, 32 MiB, which also stops glibc from moving it, and trimming
// only above 512 MiB of free memory at a heap's top) removes those faults; the freed buffers are
// the next call's (peak memory 290 -> 304 MiB on that SNN). Larger buffers (e-prop's (T, B, N)
// stored states at T = 2250, 115 MB each) still get mappings of their own: glibc takes them to
// the heap only with mmap off altogether, which doubled e-prop's peak memory.
const (
	mallocMmapThreshold = 32 << 20
	mallocTrimThreshold = 512 << 20
)

var keepMallocOnce sync.Once

// keepMallocPages applies the settings above once per process, before XLA's first allocation.
func keepMallocPages() {
	keepMallocOnce.Do(func() {
		if os.Getenv(XLAMallocEnv) == "system" {
			return
		}
		C.bpgo_keep_malloc_pages(C.int(mallocMmapThreshold), C.int(mallocTrimThreshold))
	})
}

// mallocMapped reports whether a C allocation of size bytes gets a mapping of its own (1), comes
// from the heap (0), or cannot be told on this C library (-1). For tests.
func mallocMapped(size int) int { return int(C.bpgo_malloc_mapped(C.size_t(size))) }
