package bpgo

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// The guard is on for the SIMD-built Go backend, sized from the machine, with its headroom made.
func TestHeapGuardIsOn(t *testing.T) {
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
		t.Fatalf("heap guard is off for the SIMD-built Go backend (is %s set?)", HeapGuardEnv)
	}
	heapGuard.mu.Lock()
	defer heapGuard.mu.Unlock()
	if b := heapGuard.ballast; b < ballastMin || b > ballastMax {
		t.Fatalf("ballast %d MiB, want within [%d, %d] MiB", b>>20, ballastMin>>20, ballastMax>>20)
	}
	if free, _ := heapStats(); free < heapGuard.ballast/2 {
		t.Fatalf("headroom: %d MiB, want >= %d MiB", free>>20, heapGuard.ballast>>21)
	}
}

// With a small ballast (in a child process, so that the guard starts fresh), live data that eats
// into the headroom makes the guard map more heap, and the headroom is back afterwards.
func TestHeapGuardRestoresHeadroom(t *testing.T) {
	const ballast = 256 << 20
	if os.Getenv("BPGO_HEAPGUARD_CHILD") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHeapGuardRestoresHeadroom$", "-test.v")
		cmd.Env = append(os.Environ(), "BPGO_HEAPGUARD_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS") {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	startHeapGuard(ballast)
	headroom := func() uint64 {
		heapGuard.mu.Lock()
		defer heapGuard.mu.Unlock()
		free, _ := heapStats()
		return free
	}
	if h := headroom(); h < ballast/2 {
		t.Fatalf("headroom after starting: %d MiB, want >= %d MiB", h>>20, ballast>>21)
	}
	grown := heapGuard.grown
	var live [][]byte
	for headroom() >= ballast/2 {
		b := make([]byte, 16<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1 // really in use
		}
		live = append(live, b)
		if len(live) > 64 {
			t.Fatal("the live data never ate into the headroom")
		}
	}
	keepHeapHeadroom()
	if h := headroom(); h < ballast/2 {
		t.Errorf("headroom after keepHeapHeadroom: %d MiB, want >= %d MiB", h>>20, ballast>>21)
	}
	if heapGuard.grown != grown+1 {
		t.Errorf("keepHeapHeadroom grew the heap %d times, want once", heapGuard.grown-grown)
	}
	keepHeapHeadroom() // enough headroom now: nothing to do
	if heapGuard.grown != grown+1 {
		t.Error("keepHeapHeadroom grew the heap with enough headroom")
	}
	runtime.KeepAlive(live)
}

func TestBallastSize(t *testing.T) {
	b := ballastSize()
	if total := totalMemory(); total > 0 && b > total/4 && b != ballastMin {
		t.Errorf("ballast %d MiB exceeds a quarter of the machine's %d MiB", b>>20, total>>20)
	}
	if b < ballastMin || b > ballastMax {
		t.Errorf("ballast %d MiB outside [%d, %d] MiB", b>>20, ballastMin>>20, ballastMax>>20)
	}
}
