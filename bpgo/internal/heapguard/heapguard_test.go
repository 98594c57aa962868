package heapguard

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// Enable starts the guard sized from the machine, with its headroom made, unless BPGO_HEAP_GUARD
// is off. Each case runs in a child process, so that the guard starts fresh.
func TestEnable(t *testing.T) {
	if os.Getenv("BPGO_HEAPGUARD_CHILD") == "enable" {
		Enable()
		Enable() // a second call changes nothing
		ballast, free := Status()
		fmt.Printf("on=%v ballast=%d free=%d grown=%d\n", On(), ballast, free, heapGuard.grown)
		return
	}
	for _, tc := range []struct{ env, want string }{
		{"", "on=true"}, {"on", "on=true"}, {"off", "on=false"}, {"0", "on=false"}, {" False ", "on=false"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnable$")
		cmd.Env = append(os.Environ(), "BPGO_HEAPGUARD_CHILD=enable", Env+"="+tc.env)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s=%q: child: %v\n%s", Env, tc.env, err, out)
		}
		var on bool
		var ballast, free uint64
		var grown int
		line := strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
		if _, err := fmt.Sscanf(line, "on=%t ballast=%d free=%d grown=%d", &on, &ballast, &free, &grown); err != nil {
			t.Fatalf("%s=%q: child printed %q: %v", Env, tc.env, out, err)
		}
		if !strings.HasPrefix(line, tc.want) {
			t.Errorf("%s=%q: %s, want %s", Env, tc.env, line, tc.want)
		}
		if !on {
			if ballast != 0 || grown != 0 {
				t.Errorf("%s=%q: guard off but %s", Env, tc.env, line)
			}
			continue
		}
		if ballast < ballastMin || ballast > ballastMax {
			t.Errorf("ballast %d MiB, want within [%d, %d] MiB", ballast>>20, ballastMin>>20, ballastMax>>20)
		}
		if free < ballast/2 {
			t.Errorf("headroom: %d MiB, want >= %d MiB", free>>20, ballast>>21)
		}
		if grown != 1 {
			t.Errorf("Enable twice grew the heap %d times, want once", grown)
		}
	}
}

// Keep does nothing while the guard is off.
func TestKeepWhileOff(t *testing.T) {
	if On() {
		t.Skip("the guard is on in this process")
	}
	Keep()
	if On() || heapGuard.grown != 0 {
		t.Error("Keep started the guard or grew the heap while it was off")
	}
	if b, f := Status(); b != 0 || f != 0 {
		t.Errorf("Status while off = %d, %d; want 0, 0", b, f)
	}
}

// With a small ballast (in a child process, so that the guard starts fresh), live data that eats
// into the headroom makes the guard map more heap, and the headroom is back afterwards.
func TestHeapGuardRestoresHeadroom(t *testing.T) {
	const ballast = 256 << 20
	if !inChild(t, "headroom") {
		return
	}
	start(ballast)
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
	Keep()
	if h := headroom(); h < ballast/2 {
		t.Errorf("headroom after Keep: %d MiB, want >= %d MiB", h>>20, ballast>>21)
	}
	if heapGuard.grown != grown+1 {
		t.Errorf("Keep grew the heap %d times, want once", heapGuard.grown-grown)
	}
	Keep() // enough headroom now: nothing to do
	if heapGuard.grown != grown+1 {
		t.Error("Keep grew the heap with enough headroom")
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

// inChild reports whether this is the child process of a test that must run alone (the guard
// is process-wide). In the parent it runs the test again in a child with
// BPGO_HEAPGUARD_CHILD=name, fails unless the child passes, and returns false.
func inChild(t *testing.T, name string) bool {
	t.Helper()
	if os.Getenv("BPGO_HEAPGUARD_CHILD") == name {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v")
	cmd.Env = append(os.Environ(), "BPGO_HEAPGUARD_CHILD="+name)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return false
}
