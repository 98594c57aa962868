package bpgo

import (
	"slices"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo/internal/heapguard"
)

func TestNewBackendSpecs(t *testing.T) {
	t.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	b, err := newBackend("go")
	if err != nil || !strings.HasPrefix(BackendName(b), "go") {
		t.Fatalf("go backend: %v, %v", b, err)
	}
	b, err = newBackend("auto")
	if err != nil || !slices.ContainsFunc(DefaultOrder, func(n string) bool { return strings.HasPrefix(BackendName(b), n) }) {
		t.Errorf("auto: %v (%v), want one of %v", b, err, DefaultOrder)
	}
	for spec, msg := range map[string]string{
		"tpu":      "is not a backend",
		"go:bogus": "unknown configuration option",
	} {
		if _, err := newBackend(spec); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want one containing %q", spec, err, msg)
		}
	}
}

// The guard is on for the SIMD-built Go backend, sized from the machine, with its headroom made.
func TestHeapGuardIsOn(t *testing.T) {
	if !simdBuild() {
		t.Skip("the heap guard is only enabled in GOEXPERIMENT=simd builds")
	}
	if _, err := Backend(); err != nil {
		t.Fatal(err)
	}
	if BackendName(Must1(Backend())) != "go (SIMD build)" {
		t.Skip("the heap guard is only enabled for the Go backend")
	}
	if !heapguard.On() {
		t.Fatalf("heap guard is off for the SIMD-built Go backend (is %s set?)", HeapGuardEnv)
	}
	if ballast, free := heapguard.Status(); ballast == 0 || free < ballast/2 {
		t.Fatalf("ballast %d MiB, headroom %d MiB: want a ballast and at least half of it free", ballast>>20, free>>20)
	}
}
