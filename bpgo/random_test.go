package bpgo_test

import (
	"math"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/graph"
)

// drawer outputs three draws per step from one random state: normal, uniform, normal.
type drawer struct{ Rng *bpgo.Variable }

const drawWidth = 6

func (d *drawer) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	n1 := ctx.Normal(d.Rng, 1, drawWidth)
	u := ctx.Uniform(d.Rng, 1, drawWidth)
	n2 := ctx.Normal(d.Rng, 1, drawWidth)
	return graph.Concatenate([]*graph.Node{n1, u, n2}, 1)
}

// draws runs the drawer for steps steps in chunks of chunk and returns its output (steps, 18).
func draws(t *testing.T, steps, chunk int) []float64 {
	t.Helper()
	bpgo.SetSeed(21)
	d := &drawer{Rng: bpgo.NewRandomState()}
	r := bpgo.Must1(bpgo.NewRunner(d, bpgo.RunnerOptions{Chunk: chunk}))
	out, err := r.Run(bpgo.Zeros(1, steps, 1), bpgo.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return bpgo.ToFloat64s(out)
}

// TestDrawStatistics checks the counter-based generator in both float types: the same values
// however the run is chunked (a chunk draws all its steps at once), and normal and uniform
// moments, the normal's one-sigma mass, and no correlation between consecutive steps or
// between the draws of one step.
func TestDrawStatistics(t *testing.T) {
	for _, x64 := range []bool{false, true} {
		if x64 {
			bpgo.EnableX64()
		}
		const steps = 3000
		a := draws(t, steps, 100)
		b := draws(t, steps, 7)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("x64=%v: value %d is %v in chunks of 100 and %v in chunks of 7", x64, i, a[i], b[i])
			}
		}
		w := 3 * drawWidth
		col := func(part, lag int) []float64 { // part 0: first normal, 1: uniform, 2: second normal
			var v []float64
			for s := lag; s < steps; s++ {
				v = append(v, a[s*w+part*drawWidth:s*w+(part+1)*drawWidth]...)
			}
			return v
		}
		n1, u, n2 := col(0, 0), col(1, 0), col(2, 0)
		mean, sd := moments(n1)
		within1 := 0
		for _, v := range n1 {
			if math.Abs(v) < 1 {
				within1++
			}
		}
		if math.Abs(mean) > 0.04 || math.Abs(sd-1) > 0.03 || math.Abs(float64(within1)/float64(len(n1))-0.6827) > 0.015 {
			t.Errorf("x64=%v: normal mean %.4f sd %.4f, P(|z|<1) %.4f; want 0, 1, 0.6827", x64, mean, sd, float64(within1)/float64(len(n1)))
		}
		mean, sd = moments(u)
		lo, hi := 1.0, 0.0
		for _, v := range u {
			lo, hi = min(lo, v), max(hi, v)
		}
		if math.Abs(mean-0.5) > 0.012 || math.Abs(sd-math.Sqrt(1.0/12)) > 0.01 || lo < 0 || hi >= 1 {
			t.Errorf("x64=%v: uniform mean %.4f sd %.4f range [%v, %v]; want 0.5, %.4f, inside [0, 1)", x64, mean, sd, lo, hi, math.Sqrt(1.0/12))
		}
		for _, c := range []struct {
			name string
			x, y []float64
		}{{"two normal draws of a step", n1, n2}, {"a normal and a uniform draw of a step", n1, u}, {"consecutive steps", col(0, 1), n1[:len(n1)-drawWidth]}} {
			if r := correlation(c.x, c.y); math.Abs(r) > 0.04 {
				t.Errorf("x64=%v: %s correlate: r = %.4f", x64, c.name, r)
			}
		}
		if x64 {
			bpgo.DisableX64()
		}
	}
}

// TestDrawContinues checks that the state's counter moves on: a second run draws new values,
// and a run of 2k steps equals two runs of k.
func TestDrawContinues(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	whole := draws(t, 40, 100)
	bpgo.SetSeed(21)
	d := &drawer{Rng: bpgo.NewRandomState()}
	r := bpgo.Must1(bpgo.NewRunner(d, bpgo.RunnerOptions{}))
	var halves []float64
	for range 2 {
		out, err := r.Run(bpgo.Zeros(1, 20, 1), bpgo.RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		halves = append(halves, bpgo.ToFloat64s(out)...)
	}
	for i := range whole {
		if whole[i] != halves[i] {
			t.Fatalf("value %d: %v in one run of 40 steps, %v in two runs of 20", i, whole[i], halves[i])
		}
	}
}

func moments(v []float64) (mean, sd float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(v)))
}

func correlation(x, y []float64) float64 {
	mx, sx := moments(x)
	my, sy := moments(y)
	c := 0.0
	for i := range x {
		c += (x[i] - mx) * (y[i] - my)
	}
	return c / float64(len(x)) / (sx * sy)
}
