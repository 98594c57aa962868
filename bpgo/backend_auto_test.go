package bpgo

import (
	"os"
	"path/filepath"
	"testing"
)

// The runner's backend choice reads the batch of the model's states and its largest float
// parameter; under any BPGO_BACKEND but auto, or without XLA, it is always the process's.
func TestRunnerBackendChoice(t *testing.T) {
	type model struct{ W, H *Variable }
	m := &model{W: NewParam(Zeros(300, 300), false), H: NewState(Zeros(1, 300), 0)}
	tree, err := Walk(m)
	if err != nil {
		t.Fatal(err)
	}
	if b, w := stateBatch(tree), largestWeight(tree); b != 1 || w != 90000 {
		t.Fatalf("stateBatch %d, largestWeight %d; want 1, 90000", b, w)
	}
	def, err := Backend()
	if err != nil {
		t.Fatal(err)
	}
	b, handBack, err := runnerBackend(tree)
	if err != nil {
		t.Fatal(err)
	}
	if !XLALinked || !autoMode() {
		if b != def || handBack {
			t.Fatalf("XLA linked %v, auto %v: runner backend %s (hand back %v), want the process's %s", XLALinked, autoMode(), BackendName(b), handBack, BackendName(def))
		}
	}
	m.H.Reset(Zeros(2, 300)) // batch 2: always the process's backend
	if b, handBack, _ := runnerBackend(tree); b != def || handBack {
		t.Fatalf("batch 2: runner backend %s, want the process's %s", BackendName(b), BackendName(def))
	}
}

// toHost moves a tensor that lives on a backend to the host and leaves host tensors alone.
func TestToHost(t *testing.T) {
	b, err := Backend()
	if err != nil {
		t.Fatal(err)
	}
	x := Must1(FromFloat64s(FloatDType(), []float64{1, 2, 3}, 3))
	if err := toHost(nil, x, nil); err != nil { // a host tensor, and nil: nothing to do
		t.Fatal(err)
	}
	if _, err := x.Buffer(b, 0); err != nil { // now on the backend
		t.Fatal(err)
	}
	if err := toHost(b, x); err != nil { // on b already: stays
		t.Fatal(err)
	}
	if tb, err := x.Backend(); err != nil || tb != b {
		t.Fatalf("toHost(b) moved a tensor already on b: %v, %v", tb, err)
	}
	if err := toHost(nil, x); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Backend(); err == nil {
		t.Fatal("toHost(nil) left the tensor on its backend")
	}
	if got := ToFloat64s(x); got[0] != 1 || got[2] != 3 {
		t.Fatalf("values after toHost: %v", got)
	}
}

// Under GoNB each line is printed once per notebook, whichever order the cells print them in.
func TestAnnounceOncePerNotebook(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GONB_TMP_DIR", dir)
	out := filepath.Join(dir, "stdout")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = f
	for _, name := range []string{"go (SIMD build)", "xla (cpu) for batch-1 runners", "go (SIMD build)", "xla (cpu) for batch-1 runners"} {
		announce(name)
	}
	os.Stdout = stdout
	f.Close()
	data, _ := os.ReadFile(out)
	want := "bpgo: backend go (SIMD build)\nbpgo: backend xla (cpu) for batch-1 runners\n"
	if string(data) != want {
		t.Fatalf("printed %q, want %q", data, want)
	}
}
