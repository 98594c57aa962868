package cognitive_test

import (
	"math"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/datasets/cognitive"
)

// wantPeriods compares periods with (name, start, end) triples in steps and their ms
// boundaries with start·dt, end·dt.
func wantPeriods(t *testing.T, what string, got []cognitive.Period, dt float64, want ...any) {
	t.Helper()
	if len(got)*3 != len(want) {
		t.Fatalf("%s: %d periods %+v, want %d", what, len(got), got, len(want)/3)
	}
	for i, p := range got {
		name, start, end := want[3*i].(string), want[3*i+1].(int), want[3*i+2].(int)
		if p.Name != name || p.Start != start || p.End != end {
			t.Errorf("%s: period %d = %s [%d, %d), want %s [%d, %d)", what, i, p.Name, p.Start, p.End, name, start, end)
		}
		if p.StartMs != float64(start)*dt || p.EndMs != float64(end)*dt {
			t.Errorf("%s: period %s spans %v–%v ms, want %v–%v", what, p.Name, p.StartMs, p.EndMs, float64(start)*dt, float64(end)*dt)
		}
		if p.Steps() != end-start {
			t.Errorf("%s: period %s Steps() = %d, want %d", what, p.Name, p.Steps(), end-start)
		}
	}
}

// wantErr checks that err is non-nil and mentions every fragment.
func wantErr(t *testing.T, what string, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one mentioning %q", what, fragments)
		return
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("%s: error %q does not mention %q", what, err, f)
		}
	}
}

// moments accumulates a sample's mean and standard deviation.
type moments struct{ n, sum, sum2 float64 }

func (m *moments) add(v float64) { m.n++; m.sum += v; m.sum2 += v * v }
func (m *moments) mean() float64 { return m.sum / m.n }
func (m *moments) std() float64 {
	mu := m.mean()
	return math.Sqrt(m.sum2/m.n - mu*mu)
}

// checkNoise checks that residuals have mean 0 and standard deviation want: the mean within
// 5 standard errors, the standard deviation within 5 of its standard errors (σ/√(2n)).
func checkNoise(t *testing.T, what string, m *moments, want float64) {
	t.Helper()
	if m.n < 1000 {
		t.Fatalf("%s: only %v samples", what, m.n)
	}
	t.Logf("%s: noise mean %.5f, std %.5f over %v samples (want 0, %.5f)", what, m.mean(), m.std(), m.n, want)
	if se := want / math.Sqrt(m.n); math.Abs(m.mean()) > 5*se {
		t.Errorf("%s: noise mean %.5f over %v samples, want 0 ± %.5f", what, m.mean(), m.n, 5*se)
	}
	if se := want / math.Sqrt(2*m.n); math.Abs(m.std()-want) > 5*se {
		t.Errorf("%s: noise std %.5f over %v samples, want %.5f ± %.5f", what, m.std(), m.n, want, 5*se)
	}
}

// checkUniform checks that counts over k categories from n draws are each within 5 standard
// deviations of n/k.
func checkUniform(t *testing.T, what string, counts map[any]int, k int) {
	t.Helper()
	if len(counts) != k {
		t.Errorf("%s: %d distinct values %v, want %d", what, len(counts), counts, k)
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	p := 1 / float64(k)
	mu, sd := float64(n)*p, math.Sqrt(float64(n)*p*(1-p))
	for v, c := range counts {
		if math.Abs(float64(c)-mu) > 5*sd {
			t.Errorf("%s: value %v drawn %d times in %d, want %.0f ± %.0f", what, v, c, n, mu, 5*sd)
		}
	}
}
