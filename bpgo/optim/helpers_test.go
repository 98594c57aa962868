package optim_test

import (
	"math"
	"os"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/compute/dtypes"
)

func TestMain(m *testing.M) {
	bpgo.EnableX64()
	os.Exit(m.Run())
}

// The toy problem of the reference runs: loss = sum((p-c)²), gradient 2(p-c), from p0.
var (
	toyC  = []float64{0.3, 0.1, -0.4}
	toyP0 = []float64{1.0, -2.0, 0.5}
)

func toyGrad(p []float64) []float64 {
	g := make([]float64, len(p))
	for i := range p {
		g[i] = 2 * (p[i] - toyC[i])
	}
	return g
}

// updater is what the tests drive: any optimizer of this package.
type updater interface {
	bpgo.Optimizer
	bpgo.EpochStepper
	Update(bpgo.Grads) error
}

func newParam(t *testing.T, data []float64, dims ...int) *bpgo.Variable {
	t.Helper()
	v, err := bpgo.FromFloat64s(dtypes.Float64, data, dims...)
	if err != nil {
		t.Fatal(err)
	}
	return bpgo.NewParam(v, true)
}

// runToy registers a fresh toy parameter with opt and runs epochs×steps updates with the toy
// gradient, calling StepEpoch after every epoch when stepEpoch; it returns p after each update.
func runToy(t *testing.T, opt updater, epochs, steps int, stepEpoch bool) [][]float64 {
	t.Helper()
	p := newParam(t, toyP0, len(toyP0))
	if err := opt.Register([]*bpgo.Variable{p}); err != nil {
		t.Fatal(err)
	}
	var out [][]float64
	for range epochs {
		for range steps {
			g, err := bpgo.FromFloat64s(dtypes.Float64, toyGrad(p.Float64s()), len(toyP0))
			if err != nil {
				t.Fatal(err)
			}
			if err := opt.Update(bpgo.Grads{p: g}); err != nil {
				t.Fatal(err)
			}
			out = append(out, p.Float64s())
		}
		if stepEpoch {
			opt.StepEpoch()
		}
	}
	return out
}

// close64 compares with a relative tolerance (JAX and Go round pow/sqrt differently in the
// last bits; the XLA backend may fuse operations).
func close64(a, b float64) bool {
	return math.Abs(a-b) <= 1e-12*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func checkTrajectory(t *testing.T, what string, got, want [][]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d steps, want %d", what, len(got), len(want))
	}
	for k := range want {
		if len(got[k]) != len(want[k]) {
			t.Fatalf("%s step %d: %d values, want %d", what, k, len(got[k]), len(want[k]))
		}
		for i := range want[k] {
			if !close64(got[k][i], want[k][i]) {
				t.Errorf("%s step %d [%d]: got %.17g, want %.17g", what, k, i, got[k][i], want[k][i])
			}
		}
	}
}
