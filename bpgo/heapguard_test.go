package bpgo

import (
	"runtime"
	"testing"
)

// The guard keeps at least heapHeadroomMin of free, mapped heap above the live objects, and
// restores it after the heap grows into it.
func TestHeapGuardKeepsHeadroom(t *testing.T) {
	if !simdBuild() {
		t.Skip("the heap guard is only enabled in GOEXPERIMENT=simd builds")
	}
	if _, err := Backend(); err != nil {
		t.Fatal(err)
	}
	if BackendName(MustBackend()) != "go (SIMD build)" {
		t.Skip("the heap guard is only enabled for the Go backend")
	}
	if !heapGuard.on.Load() {
		t.Fatalf("heap guard is off for the SIMD-built Go backend (%s=%q?)", HeapGuardEnv, "")
	}
	headroom := func() uint64 {
		heapGuard.mu.Lock()
		defer heapGuard.mu.Unlock()
		free, _ := heapStats()
		return free
	}
	if h := headroom(); h < heapHeadroomMin {
		t.Fatalf("headroom after enabling the guard: %d MiB, want >= %d MiB", h>>20, heapHeadroomMin>>20)
	}
	// Eat into the headroom with live data (written, so it is really in use), then check again.
	grown := heapGuard.grown
	var live [][]byte
	for headroom() >= heapHeadroomMin {
		b := make([]byte, 64<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		live = append(live, b)
		if len(live) > 64 {
			t.Fatal("the heap never grew into the headroom")
		}
	}
	keepHeapHeadroom()
	if h := headroom(); h < heapHeadroomMin {
		t.Errorf("headroom after keepHeapHeadroom: %d MiB, want >= %d MiB", h>>20, heapHeadroomMin>>20)
	}
	if heapGuard.grown == grown {
		t.Error("keepHeapHeadroom did not extend the heap")
	}
	runtime.KeepAlive(live)
}
