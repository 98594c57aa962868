//go:build goexperiment.simd && linux && amd64

package heapguard

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"simd"
	"simd/archsimd"
)

// The reason for the heap guard, shown directly: a partial vector load of a one-element slice
// that ends at an inaccessible page faults. If this test fails because the child process
// survives, the toolchain now loads partial vectors safely and the heap guard can go.
func TestSIMDPartialLoadReadsPastTheSlice(t *testing.T) {
	if os.Getenv("BPGO_OVERREAD_CHILD") == "1" {
		page := os.Getpagesize()
		mem, err := syscall.Mmap(-1, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mprotect(mem[page:], syscall.PROT_NONE); err != nil {
			t.Fatal(err)
		}
		last := unsafe.Slice((*float64)(unsafe.Pointer(&mem[page-8])), 1) // ends at the guard page
		last[0] = 1.5
		v, n := simd.LoadFloat64sPart(last)
		out := make([]float64, v.Len())
		v.StorePart(out)
		println("loaded", n, "element(s):", out[0]) // reached only if the load stayed in bounds
		os.Exit(0)
	}
	if !archsimd.X86.AVX() {
		t.Skip("without AVX the simd package is emulated in Go and loads element by element")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSIMDPartialLoadReadsPastTheSlice$")
	cmd.Env = append(os.Environ(), "BPGO_OVERREAD_CHILD=1", "GOTRACEBACK=single")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the partial load stayed in bounds (%s): the toolchain's simd package is fixed, so "+
			"package heapguard's workaround is no longer needed", strings.TrimSpace(string(out)))
	}
	if !strings.Contains(string(out), "unexpected fault address") {
		t.Fatalf("child failed for another reason: %v\n%s", err, out)
	}
}
