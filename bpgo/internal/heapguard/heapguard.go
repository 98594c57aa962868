// Package heapguard keeps a large free, mapped region of Go heap above the live data, working
// around an out-of-bounds read in Go 1.27's experimental simd package (see below). Package bpgo
// turns it on for the SIMD-built Go backend ([Enable]) and calls [Keep] before every graph it
// builds or runs.
package heapguard

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
)

// The heap guard works around an out-of-bounds read in Go 1.27's experimental simd package, on
// which the Go backend's vectorised kernels (GOEXPERIMENT=simd) are built.
//
// simd.LoadFloat64sPart and its siblings, which the Go backend uses for the tail of every
// elementwise op whose length is not a multiple of the vector width, compile to a full-width
// unmasked load followed by a mask (go1.27.2 and go1.27.4 alike). They read up to 63 bytes past
// the end of the slice. That is harmless unless the slice ends at the top of the Go heap's mapped
// region: the next page is then reserved but inaccessible and the process dies with
// "unexpected fault address ... SIGSEGV" in, e.g., simdAddVVFloat64@simd512. In notebook 01's
// spiking section this happened in about one run in ten.
//
// Go's page allocator is address-ordered first fit, so buffers only reach the top of the mapped
// heap when everything below is in use. The guard keeps a large free, mapped region above the
// heap: it grows the heap with a ballast that is never touched (fresh pages cost no resident
// memory) and frees it at once. Compiled graphs re-check the headroom before each call and
// extend it when the heap has grown into it (ballastSize says how large).
//
// BPGO_HEAP_GUARD=off disables it (for measuring it, or once a toolchain loads partial vectors
// with masked loads).
const Env = "BPGO_HEAP_GUARD"

// The ballast is a quarter of the machine's memory, between 256 MiB and 8 GiB: large enough
// that ordinary runs never need a second one, small enough that the kernel's overcommit
// heuristic (which refuses one mapping larger than RAM + swap) always grants it.
const (
	ballastMax     = 8 << 30
	ballastMin     = 256 << 20
	ballastDefault = 1 << 30 // where the machine's memory cannot be read
)

func ballastSize() uint64 {
	total := totalMemory()
	if total == 0 {
		return ballastDefault
	}
	return min(max(total/4, ballastMin), ballastMax)
}

var heapGuard struct {
	on      atomic.Bool
	mu      sync.Mutex
	samples []metrics.Sample
	ballast uint64 // bytes per ballast; the headroom is kept at half of it
	grown   int    // ballasts allocated, for tests
}

// Enable turns the guard on for this process (once a SIMD-built Go backend exists) and makes the
// first headroom, unless BPGO_HEAP_GUARD is off. Later calls do nothing.
func Enable() {
	if v := strings.ToLower(strings.TrimSpace(os.Getenv(Env))); v == "off" || v == "0" || v == "false" {
		return
	}
	start(ballastSize())
}

// On reports whether the guard is on in this process.
func On() bool { return heapGuard.on.Load() }

// Status returns the ballast size and the bytes of mapped heap that are free now (0, 0 while the
// guard is off).
func Status() (ballast, free uint64) {
	if !heapGuard.on.Load() {
		return 0, 0
	}
	heapGuard.mu.Lock()
	defer heapGuard.mu.Unlock()
	free, _ = heapStats()
	return heapGuard.ballast, free
}

// start turns the guard on with ballasts of the given size.
func start(ballast uint64) {
	heapGuard.mu.Lock()
	defer heapGuard.mu.Unlock()
	if heapGuard.on.Load() {
		return
	}
	heapGuard.samples = []metrics.Sample{
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
	}
	heapGuard.ballast = ballast
	// The first ballast comes while the heap is small: returning all free memory to the OS then
	// costs nothing, and the ballast is counted as released rather than as free memory in use.
	growHeap(heapGuard.ballast)
	debug.FreeOSMemory()
	heapGuard.grown++
	heapGuard.on.Store(true)
}

// Keep extends the free region above the heap when it has become smaller than half a ballast.
// It is cheap when nothing needs doing (a few runtime metrics are read) and does nothing while
// the guard is off.
func Keep() {
	if !heapGuard.on.Load() {
		return
	}
	heapGuard.mu.Lock()
	defer heapGuard.mu.Unlock()
	ensureHeadroom(heapGuard.ballast/2, heapGuard.ballast)
}

// ensureHeadroom grows the heap by max(ballast, live bytes) when less than minFree of it is
// free. Called with heapGuard.mu held.
func ensureHeadroom(minFree, ballast uint64) {
	free, inUse := heapStats()
	if free >= minFree {
		return
	}
	// Later ballasts only collect: forcing all free memory back to the OS here would make the
	// running model fault its working set in again.
	growHeap(max(ballast, inUse))
	runtime.GC()
	heapGuard.grown++
}

// heapStats returns the bytes of mapped heap that are free (released to the OS or not) and the
// bytes held by live and unswept objects. Called with heapGuard.mu held.
func heapStats() (free, inUse uint64) {
	metrics.Read(heapGuard.samples)
	v := func(i int) uint64 {
		if heapGuard.samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return heapGuard.samples[i].Value.Uint64()
	}
	return v(0) + v(1), v(2)
}

// growHeap makes the runtime map n more bytes of heap; the ballast is garbage as soon as this
// returns. Pages fresh from the OS are known to be zero, so they are not written to and cost
// address space, not memory. But Go zeroes a whole object if any of its pages was used before:
// one n-byte ballast that began on a few freed pages at the top of the heap was written in
// full (6 GB resident on a 24 GB machine, about one start in five). The ballast is therefore
// allocated in pieces, so that only the pieces on used pages are zeroed.
func growHeap(n uint64) {
	keep := make([][]byte, 0, n/ballastPiece+1)
	for got := uint64(0); got < n; got += ballastPiece {
		keep = append(keep, make([]byte, min(ballastPiece, n-got)))
	}
	runtime.KeepAlive(keep)
}

// ballastPiece is the size of one piece of a ballast: Go's heap arena size on 64-bit Linux.
const ballastPiece = 64 << 20
