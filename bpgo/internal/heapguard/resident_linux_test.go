package heapguard

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// peakResident is the process's peak resident set (VmHWM) in bytes.
func peakResident(t *testing.T) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Skip("no VmHWM in /proc/self/status")
	return 0
}

// TestBallastNotResident: a ballast grown over freed, written pages at the top of the heap
// stays address space. Allocated as one object it was zeroed whole, and the process's peak
// memory jumped by the ballast's size.
func TestBallastNotResident(t *testing.T) {
	const ballast = 1 << 30
	if !inChild(t, "resident") {
		return
	}
	// Written pages, then freed: the top of the heap is used memory that Go must zero when
	// it hands it out again.
	junk := make([][]byte, 0, 32)
	for range 32 {
		b := make([]byte, 2<<20)
		for i := range b {
			b[i] = 1
		}
		junk = append(junk, b)
	}
	runtime.KeepAlive(junk)
	junk = nil
	runtime.GC()
	before := peakResident(t)
	start(ballast)
	if grew := peakResident(t) - before; grew > ballast/4 {
		t.Errorf("starting the guard raised peak memory by %d MiB (ballast %d MiB): the ballast was written", grew>>20, ballast>>20)
	}
}
