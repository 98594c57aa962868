package kernel_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo/visualize"
	"github.com/bpgo/bpgo/kernel"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

func requireNoNotebook(t *testing.T) {
	t.Helper()
	if kernel.InNotebook() {
		t.Skip("GONB_PIPE is set: these tests check Show outside a notebook")
	}
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.NRGBA{255, 0, 0, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestShowValid(t *testing.T) {
	requireNoNotebook(t)
	fig := visualize.NewFigure(4, 3)
	fig.Subplot(2, 1, 1).Line(nil, []float64{1, 3, 2}, "a")
	fig.Subplot(2, 1, 2).Line([]float64{0, 1}, []float64{5, 6}, "")

	p := plot.New()
	l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 2}})
	if err != nil {
		t.Fatal(err)
	}
	p.Add(l)

	for name, v := range map[string]any{
		"*visualize.Figure": fig,
		"*plot.Plot":        p,
		"empty *plot.Plot":  plot.New(),
		"*image.NRGBA":      image.NewNRGBA(image.Rect(0, 0, 5, 5)),
		"*image.Gray":       image.NewGray(image.Rect(0, 0, 2, 7)),
		"PNG bytes":         pngBytes(t),
	} {
		if err := kernel.Show(v); err != nil {
			t.Errorf("Show(%s) = %v, want nil", name, err)
		}
	}
}

func TestShowErrors(t *testing.T) {
	requireNoNotebook(t)
	broken := visualize.NewFigure(4, 3)
	broken.Subplot(1, 1, 1).Line([]float64{1, 2, 3}, []float64{1, 2}, "")
	nanFig := visualize.NewFigure(4, 3)
	nanFig.Subplot(1, 1, 1).Line(nil, []float64{1, math.NaN()}, "")

	cases := []struct {
		name    string
		v       any
		mention []string
	}{
		{"nil", nil, []string{"nil"}},
		{"int", 42, []string{"int", "want"}},
		{"string", "figure.png", []string{"string"}},
		{"plot.Plot value", *plot.New(), []string{"plot.Plot"}},
		{"non-PNG bytes", []byte("GIF89a not a png"), []string{"not a PNG"}},
		{"empty bytes", []byte{}, []string{"not a PNG"}},
		{"truncated PNG", pngBytes(t)[:20], []string{"not a PNG"}},
		{"figure with mismatched lengths", broken, []string{"x has 3 values, y has 2"}},
		{"figure with NaN", nanFig, []string{"finite"}},
		{"figure with no subplots", visualize.NewFigure(4, 3), []string{"no subplots"}},
	}
	for _, c := range cases {
		err := kernel.Show(c.v)
		if err == nil {
			t.Errorf("Show(%s): got no error", c.name)
			continue
		}
		for _, m := range append([]string{"kernel.Show"}, c.mention...) {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("Show(%s): error %q does not mention %q", c.name, err, m)
			}
		}
	}
}

// captureStdout runs f with os.Stdout redirected to a pipe and returns what it wrote and what
// it panicked with, if anything.
func captureStdout(t *testing.T, f func()) (out string, panicked any) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	func() {
		defer func() {
			panicked = recover()
			os.Stdout = old
			w.Close()
		}()
		f()
	}()
	out = <-done
	r.Close()
	return out, panicked
}

func TestMetric(t *testing.T) {
	cases := []struct {
		name  string
		value float64
		want  string
	}{
		{"loss", 0.5, "metric loss = 0.5\n"},
		{"test_nmse", 1.23456789e-5, "metric test_nmse = 1.23457e-05\n"},
		{"Accuracy2", 0.987654321, "metric Accuracy2 = 0.987654\n"},
		{"steps", 10000, "metric steps = 10000\n"},
		{"big", 1234567, "metric big = 1.23457e+06\n"},
		{"neg", -3.25, "metric neg = -3.25\n"},
	}
	for _, c := range cases {
		got, panicked := captureStdout(t, func() { kernel.Metric(c.name, c.value) })
		if panicked != nil {
			t.Errorf("Metric(%q, %v) panicked: %v", c.name, c.value, panicked)
		}
		if got != c.want {
			t.Errorf("Metric(%q, %v) printed %q, want %q", c.name, c.value, got, c.want)
		}
	}
	for _, bad := range []string{"", "bad name", "a-b", "x=1", "nmse\n", "é", "a.b"} {
		out, r := captureStdout(t, func() { kernel.Metric(bad, 1) })
		if r == nil {
			t.Errorf("Metric(%q) did not panic", bad)
		} else if msg, ok := r.(string); !ok || !strings.Contains(msg, "[A-Za-z0-9_]+") {
			t.Errorf("Metric(%q) panicked with %v, want a message giving the allowed pattern", bad, r)
		}
		if out != "" {
			t.Errorf("Metric(%q) printed %q before panicking", bad, out)
		}
	}
}
