//go:build xla

package bpgo

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// bigLeaky is h ← 0.5·h·W + x with an n×n weight: at n = 256 exactly AutoXLAMinWeight elements.
type bigLeaky struct{ W, H *Variable }

func (m *bigLeaky) ResetState(batch int) { m.H.Reset(Zeros(batch, m.W.Shape().Dimensions[0])) }

func (m *bigLeaky) Update(ctx *Context, x *graph.Node) *graph.Node {
	h := graph.Add(graph.MulScalar(graph.MatMul(ctx.Value(m.H), ctx.Value(m.W)), 0.5), x)
	ctx.Set(m.H, h)
	return h
}

// TestAutoRunsBatchOneOnXLA: under BPGO_BACKEND=auto in a program built with XLA, a runner of a
// batch-1 model with a weight of AutoXLAMinWeight elements computes on XLA and every other one on
// the Go backend; the same variables go back and forth between them, and the results are the
// hand-computed ones. The process's backend is chosen once per process, so the check runs in a
// child with BPGO_BACKEND=auto.
func TestAutoRunsBatchOneOnXLA(t *testing.T) {
	if os.Getenv("BPGO_AUTO_CHILD") == "1" {
		autoChild(t)
		return
	}
	dir := os.Getenv("PJRT_PLUGIN_LIBRARY_PATH")
	if _, err := os.Stat(filepath.Join(dir, "pjrt_c_api_cpu_plugin.so")); dir == "" || err != nil {
		t.Skip("no XLA CPU plugin in PJRT_PLUGIN_LIBRARY_PATH")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAutoRunsBatchOneOnXLA$", "-test.v")
	cmd.Env = append(slicesWithout(os.Environ(), BackendEnv+"="), BackendEnv+"=auto", "BPGO_AUTO_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, line := range []string{"bpgo: backend go", "bpgo: backend xla (cpu) for batch-1 runners with a weight of at least 65536 elements (auto)"} {
		if !strings.Contains(string(out), line) {
			t.Errorf("the child did not announce %q:\n%s", line, out)
		}
	}
}

func autoChild(t *testing.T) {
	EnableX64()
	defer DisableX64()
	const n, steps = 256, 7
	w := make([]float64, n*n)
	for i := range w {
		w[i] = float64((i*7)%13-6) / 400
	}
	m := &bigLeaky{W: NewParam(Must1(FromFloat64s(FloatDType(), w, n, n)), false), H: NewState(Zeros(1, n), 0)}
	input := func(batch int) *tensors.Tensor {
		x := make([]float64, batch*steps*n)
		for i := range x {
			x[i] = math.Sin(float64(i))
		}
		return Must1(FromFloat64s(FloatDType(), x, batch, steps, n))
	}
	check := func(what string, r *Runner, batch int, wantBackend string) {
		t.Helper()
		if name := BackendName(r.Backend()); !strings.HasPrefix(name, wantBackend) {
			t.Fatalf("%s: runner on %s, want %s", what, name, wantBackend)
		}
		in := input(batch)
		out, err := r.Run(in, RunOptions{ResetState: true})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		x, got := ToFloat64s(in), ToFloat64s(out)
		for b := range batch {
			h := make([]float64, n)
			for s := range steps {
				next := make([]float64, n)
				for j := range n {
					for i := range n {
						next[j] += h[i] * w[i*n+j]
					}
					next[j] = 0.5*next[j] + x[(b*steps+s)*n+j]
				}
				h = next
				for j := range n {
					if g := got[(b*steps+s)*n+j]; math.Abs(g-h[j]) > 1e-12*(1+math.Abs(h[j])) {
						t.Fatalf("%s: sample %d, step %d, unit %d: %v, want %v", what, b, s, j, g, h[j])
					}
				}
			}
		}
		if wantBackend == "xla" {
			for _, v := range []*tensors.Tensor{out, m.W.Value(), m.H.Value()} {
				if b, err := v.Backend(); err == nil {
					t.Fatalf("%s: a result was left on %s, want the host", what, BackendName(b))
				}
			}
		}
	}
	xlaRunner := Must1(NewRunner(m, RunnerOptions{}))
	check("batch 1", xlaRunner, 1, "xla")
	// Unrolled chunks of 3 of the 7 steps: the states go from chunk to chunk donated to XLA.
	check("batch 1, unrolled chunks", Must1(NewRunner(m, RunnerOptions{Engine: EngineUnrolled, Chunk: 3})), 1, "xla")
	m.ResetState(2)
	check("batch 2, the same variables", Must1(NewRunner(m, RunnerOptions{})), 2, "go")
	check("batch 1 again, the variables coming from the Go backend", xlaRunner, 1, "xla")
	small := &bigLeaky{W: NewParam(Must1(FromFloat64s(FloatDType(), w[:(n-1)*(n-1)], n-1, n-1)), false), H: NewState(Zeros(1, n-1), 0)}
	if b, _, _ := runnerBackend(Must1(Walk(small))); !strings.HasPrefix(BackendName(b), "go") {
		t.Fatalf("batch 1 with a 255×255 weight: runner on %s, want go", BackendName(b))
	}
}
