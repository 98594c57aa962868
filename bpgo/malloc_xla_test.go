//go:build xla

package bpgo

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestXLAKeepsMallocPages: with bpgo's settings a 20 MiB C allocation comes from the heap (it is
// reused after free instead of being mapped and faulted in again); with BPGO_XLA_MALLOC=system,
// in a fresh process, glibc gives it a mapping of its own.
func TestXLAKeepsMallocPages(t *testing.T) {
	const size = 20 << 20
	if os.Getenv("BPGO_TEST_MALLOC_CHILD") != "" {
		keepMallocPages()
		if mallocMapped(size) == 1 {
			os.Stdout.WriteString("mapped\n")
		} else {
			os.Stdout.WriteString("heap\n")
		}
		return
	}
	if mallocMapped(size) == -1 {
		t.Skip("this C library's allocations cannot be inspected (not glibc >= 2.33)")
	}
	if os.Getenv(XLAMallocEnv) == "system" {
		t.Skipf("%s=system in the environment", XLAMallocEnv)
	}
	keepMallocPages()
	if mallocMapped(size) != 0 {
		t.Errorf("after keepMallocPages a %d-byte allocation got its own mapping, want the heap", size)
	}
	child := func(env string) string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestXLAKeepsMallocPages$")
		cmd.Env = append(os.Environ(), "BPGO_TEST_MALLOC_CHILD=1", env)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("child (%s): %v", env, err)
		}
		return strings.Fields(string(out))[0]
	}
	if got := child(XLAMallocEnv + "=system"); got != "mapped" {
		t.Errorf("%s=system: allocation from %q, want glibc's own mapping", XLAMallocEnv, got)
	}
	if got := child(XLAMallocEnv + "="); got != "heap" {
		t.Errorf("default settings in a fresh process: allocation from %q, want the heap", got)
	}
}
