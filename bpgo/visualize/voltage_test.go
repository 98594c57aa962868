package visualize_test

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/visualize"
)

// lifTraces simulates n leaky integrate-and-fire neurons (τ = 10, V_th = 1, reset to 0) with
// different constant drives: V (T, n) and spikes (T, n).
func lifTraces(T, n int) (v [][]float64, s [][]float64) {
	v, s = make([][]float64, T), make([][]float64, T)
	cur := make([]float64, n)
	for t := range T {
		v[t], s[t] = make([]float64, n), make([]float64, n)
		for i := range n {
			drive := 0.8 + 0.05*float64(i)
			cur[i] += (1 - math.Exp(-0.1)) * (drive - cur[i])
			if cur[i] >= 1 {
				s[t][i] = 1
				cur[i] = 0
			}
			v[t][i] = cur[i]
		}
	}
	return v, s
}

func TestVoltageGrid(t *testing.T) {
	v, s := lifTraces(100, 15)
	f, err := visualize.VoltageGrid(nil, nil, v, s, visualize.VoltageGridOptions{ShowVTh: true, VTh: 1})
	if err != nil {
		t.Fatal(err)
	}
	if f.Width != 15*72 || f.Height != 8*72 {
		t.Errorf("figure size %v × %v points, want 15 × 8 inches", f.Width, f.Height)
	}
	data, err := f.PNG()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		t.Fatal("empty PNG")
	}
	img := decodePNG(t, data)
	if !hasColor(img, visualize.Cycle[0]) {
		t.Error("voltage grid PNG has no trace in the first cycle colour")
	}
	if dir := os.Getenv("BPGO_FIG_DIR"); dir != "" {
		bpgo.Must(os.WriteFile(filepath.Join(dir, "voltage.png"), data, 0o644))
	}

	// The tutorial's layout: (T, B, N), one sample per panel, N traces each, on a given figure.
	const T, B, N = 60, 4, 3
	v3, s3 := make([][][]float64, T), make([][][]bool, T)
	for t := range T {
		v3[t], s3[t] = make([][]float64, B), make([][]bool, B)
		for b := range B {
			v3[t][b], s3[t][b] = make([]float64, N), make([]bool, N)
			for i := range N {
				v3[t][b][i] = math.Sin(float64(t)/5 + float64(b+i))
				s3[t][b][i] = (t+b+i)%17 == 0
			}
		}
	}
	g := visualize.NewFigure(8, 4)
	if _, err := visualize.VoltageGridSamples(g, nil, v3, s3, visualize.VoltageGridOptions{Rows: 2, Cols: 2, SpikeHeight: 2}); err != nil {
		t.Fatal(err)
	}
	if data, err := g.PNG(); err != nil || len(data) == 0 {
		t.Fatalf("samples grid: %d bytes, %v", len(data), err)
	}
	// Fewer neurons than panels: the rest stay empty.
	if _, err := visualize.VoltageGrid[bool](nil, nil, [][]float64{{0, 1}, {1, 0}}, nil, visualize.VoltageGridOptions{}); err != nil {
		t.Error(err)
	}
}

func TestVoltageGridErrors(t *testing.T) {
	v := [][]float64{{0, 1}, {1, 0}, {0.5, 0.5}}
	for _, c := range []struct {
		ts     []float64
		v      [][]float64
		spikes [][]bool
		opts   visualize.VoltageGridOptions
		want   string
	}{
		{[]float64{0, 1}, v, nil, visualize.VoltageGridOptions{}, "ts has 2 times but v has 3 time steps"},
		{nil, v, [][]bool{{true, false}}, visualize.VoltageGridOptions{}, "v has 3 time steps but spikes has 1"},
		{nil, v, [][]bool{{true}, {false, true}, {false, false}}, visualize.VoltageGridOptions{}, "spikes row 0 has 1 neurons, v has 2"},
		{nil, [][]float64{{0, 1}, {1}}, nil, visualize.VoltageGridOptions{}, "v row 1 has 1 neurons, row 0 has 2"},
		{nil, nil, nil, visualize.VoltageGridOptions{}, "v is empty"},
		{nil, [][]float64{{math.Inf(1)}}, nil, visualize.VoltageGridOptions{}, "must be finite"},
		{nil, v, nil, visualize.VoltageGridOptions{Rows: -1}, "Rows and Cols"},
		{nil, v, nil, visualize.VoltageGridOptions{SpikeHeight: math.NaN()}, "SpikeHeight"},
		{nil, v, nil, visualize.VoltageGridOptions{ShowVTh: true, VTh: math.Inf(1)}, "VTh"},
		{nil, v, nil, visualize.VoltageGridOptions{Width: -2}, "Width/Height"},
	} {
		_, err := visualize.VoltageGrid(nil, c.ts, c.v, c.spikes, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error mentioning %q", err, c.want)
		}
	}
	// A figure already holding another grid.
	f := visualize.NewFigure(4, 4)
	f.Subplot(2, 1, 1).Line(nil, []float64{1, 2}, "")
	if _, err := visualize.VoltageGrid[bool](f, nil, v, nil, visualize.VoltageGridOptions{}); err == nil || !strings.Contains(err.Error(), "grid") {
		t.Errorf("mismatched grid: %v", err)
	}
	v3 := [][][]float64{{{0}, {1}}, {{0}}}
	if _, err := visualize.VoltageGridSamples[bool](nil, nil, v3, nil, visualize.VoltageGridOptions{}); err == nil || !strings.Contains(err.Error(), "v[1] has 1 samples") {
		t.Errorf("ragged samples: %v", err)
	}
}
