package visualize_test

import (
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/bpgo/bpgo/bpgo/visualize"
)

func randomSpikes(T, N int, p float64) [][]bool {
	rng := rand.New(rand.NewPCG(1, 2))
	s := make([][]bool, T)
	for t := range s {
		s[t] = make([]bool, N)
		for n := range s[t] {
			s[t][n] = rng.Float64() < p
		}
	}
	return s
}

func TestRaster(t *testing.T) {
	const T, N = 200, 40
	ts := make([]float64, T)
	for i := range ts {
		ts[i] = float64(i) * 0.5
	}
	sp := randomSpikes(T, N, 0.03)
	f := visualize.NewFigure(6, 4)
	if err := visualize.Raster(f.Subplot(1, 2, 1), ts, sp, visualize.RasterOptions{Title: "dots"}); err != nil {
		t.Fatal(err)
	}
	// The same spikes as a float (T, N) matrix, with ticks in red.
	fl := make([][]float64, T)
	for i := range fl {
		fl[i] = make([]float64, N)
		for n := range fl[i] {
			if sp[i][n] {
				fl[i][n] = 1
			}
		}
	}
	red := color.NRGBA{0xd6, 0x27, 0x28, 0xff}
	if err := visualize.Raster(f.Subplot(1, 2, 2), nil, fl, visualize.RasterOptions{Marker: "|", MarkerSize: 3, Color: red}); err != nil {
		t.Fatal(err)
	}
	data, err := f.PNG()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		t.Fatal("empty PNG")
	}
	img := decodePNG(t, data)
	if !hasColor(img, red) || !hasColor(img, color.Black) {
		t.Error("raster PNG lacks the red ticks or the black dots")
	}
	if dir := os.Getenv("BPGO_FIG_DIR"); dir != "" {
		bpgo.Must(os.WriteFile(filepath.Join(dir, "raster.png"), data, 0o644))
	}
	// No spikes at all still renders.
	empty := visualize.NewFigure(3, 3)
	if err := visualize.Raster(empty.Subplot(1, 1, 1), nil, [][]bool{{false, false}, {false, false}}, visualize.RasterOptions{}); err != nil {
		t.Fatal(err)
	}
	if data, err := empty.PNG(); err != nil || len(data) == 0 {
		t.Errorf("raster without spikes: %d bytes, %v", len(data), err)
	}
}

func TestRasterErrors(t *testing.T) {
	for _, c := range []struct {
		ts     []float64
		spikes [][]bool
		opts   visualize.RasterOptions
		want   string
	}{
		{[]float64{0, 1, 2}, [][]bool{{true}, {false}}, visualize.RasterOptions{}, "ts has 3 times but spikes has 2 time steps"},
		{nil, [][]bool{{true, false}, {false}}, visualize.RasterOptions{}, "spikes row 1 has 1 neurons, row 0 has 2"},
		{nil, nil, visualize.RasterOptions{}, "no time steps"},
		{nil, [][]bool{{}}, visualize.RasterOptions{}, "no neurons"},
		{[]float64{math.NaN()}, [][]bool{{true}}, visualize.RasterOptions{}, "must be finite"},
		{nil, [][]bool{{true}}, visualize.RasterOptions{Marker: "o"}, "RasterOptions.Marker"},
		{nil, [][]bool{{true}}, visualize.RasterOptions{MarkerSize: -1}, "RasterOptions.MarkerSize"},
	} {
		f := visualize.NewFigure(3, 3)
		err := visualize.Raster(f.Subplot(1, 1, 1), c.ts, c.spikes, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error mentioning %q", err, c.want)
		}
		if _, perr := f.PNG(); perr == nil {
			t.Errorf("%q: the figure rendered despite the error", c.want)
		}
	}
	if err := visualize.Raster[bool](nil, nil, [][]bool{{true}}, visualize.RasterOptions{}); err == nil {
		t.Error("nil axes: no error")
	}
}

func TestMatrix(t *testing.T) {
	x := bpgo.Must1(bpgo.FromFloat64s(bpgo.FloatDType(), []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 2, 3, 2))
	m, err := visualize.Matrix(x, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 3 || m[0][0] != 7 || m[2][1] != 12 {
		t.Errorf("Matrix(x, 1) = %v", m)
	}
	if _, err := visualize.Matrix(x, 2); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("batch 2: %v", err)
	}
	if _, err := visualize.Matrix(nil, 0); err == nil {
		t.Error("nil series: no error")
	}
}
