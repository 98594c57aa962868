package visualize_test

import (
	"image/color"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo/visualize"
)

// TestHelperErrors: bad input to every new helper is an error that names the argument, and the
// figure keeps it (PNG returns it).
func TestHelperErrors(t *testing.T) {
	okZ := [][]float64{{1, 2}, {3, 4}}
	heat := func(z [][]float64, edit func(*visualize.HeatmapOptions)) func(*visualize.Axes) error {
		return func(ax *visualize.Axes) error {
			o := visualize.HeatmapDefaults()
			if edit != nil {
				edit(&o)
			}
			_, _, err := visualize.Heatmap(ax, z, o)
			return err
		}
	}
	hist := func(x []float64, edit func(*visualize.HistOptions)) func(*visualize.Axes) error {
		return func(ax *visualize.Axes) error {
			o := visualize.HistDefaults()
			if edit != nil {
				edit(&o)
			}
			_, _, err := visualize.Hist(ax, x, o)
			return err
		}
	}
	graph := func(g visualize.Graph, edit func(*visualize.NodeGraphOptions)) func(*visualize.Axes) error {
		return func(ax *visualize.Axes) error {
			o := visualize.NodeGraphDefaults()
			if edit != nil {
				edit(&o)
			}
			return visualize.NodeGraph(ax, g, o)
		}
	}
	nodes := []visualize.GraphNode{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	raster := func(groups []visualize.RasterGroup, gap int) func(*visualize.Axes) error {
		return func(ax *visualize.Axes) error {
			return visualize.Raster(ax, nil, randomSpikes(10, 6, 0.2), visualize.RasterOptions{Groups: groups, GroupGap: gap})
		}
	}
	axes := func(f func(*visualize.Axes)) func(*visualize.Axes) error {
		return func(ax *visualize.Axes) error { f(ax); return nil }
	}
	bad := visualize.LineDefaults()
	bad.Alpha = 2
	cases := []struct {
		name    string
		draw    func(*visualize.Axes) error
		mention []string
	}{
		{"heatmap empty", heat(nil, nil), []string{"visualize.Heatmap", "z is empty"}},
		{"heatmap ragged", heat([][]float64{{1, 2}, {3}}, nil), []string{"row 1 has 1", "row 0 has 2"}},
		{"heatmap NaN", heat([][]float64{{1, math.NaN()}}, nil), []string{"z[0][1]", "finite"}},
		{"heatmap colormap", heat(okZ, func(o *visualize.HeatmapOptions) { o.Colormap = "jet" }), []string{"HeatmapOptions.Colormap", `"jet"`, "bwr"}},
		{"heatmap limits", heat(okZ, func(o *visualize.HeatmapOptions) { o.AutoLimits, o.VMin, o.VMax = false, 1, 1 }), []string{"HeatmapOptions.VMin, VMax", "VMin < VMax"}},
		{"hist empty", hist(nil, nil), []string{"visualize.Hist", "x is empty"}},
		{"hist bins", hist([]float64{1}, func(o *visualize.HistOptions) { o.Bins = 0 }), []string{"HistOptions.Bins", ">= 1, got 0"}},
		{"hist color", hist([]float64{1}, func(o *visualize.HistOptions) { o.Color = nil }), []string{"HistOptions.Color", "HistDefaults"}},
		{"hist NaN", hist([]float64{1, math.Inf(1)}, nil), []string{"x[1]", "finite"}},
		{"hist range", hist([]float64{1}, func(o *visualize.HistOptions) { o.Range = []float64{2, 1} }), []string{"HistOptions.Range", "lo < hi"}},
		{"hist range length", hist([]float64{1}, func(o *visualize.HistOptions) { o.Range = []float64{1} }), []string{"HistOptions.Range"}},
		{"graph node size", graph(visualize.Graph{Nodes: nodes}, func(o *visualize.NodeGraphOptions) { o.NodeSize = 0 }), []string{"NodeGraphOptions.NodeSize"}},
		{"graph arrow size", graph(visualize.Graph{Nodes: nodes}, func(o *visualize.NodeGraphOptions) { o.ArrowSize = math.NaN() }), []string{"NodeGraphOptions.ArrowSize"}},
		{"graph font size", graph(visualize.Graph{Nodes: nodes}, func(o *visualize.NodeGraphOptions) { o.FontSize = -1 }), []string{"NodeGraphOptions.FontSize"}},
		{"graph no nodes", graph(visualize.Graph{}, nil), []string{"Graph.Nodes is empty"}},
		{"graph unnamed", graph(visualize.Graph{Nodes: []visualize.GraphNode{{}}}, nil), []string{"Graph.Nodes[0].Name"}},
		{"graph duplicate", graph(visualize.Graph{Nodes: []visualize.GraphNode{{Name: "a"}, {Name: "a"}}}, nil), []string{"[0] and [1]", `"a"`}},
		{"graph unknown from", graph(visualize.Graph{Nodes: nodes, Edges: []visualize.GraphEdge{{From: "x", To: "a"}}}, nil), []string{"Graph.Edges[0].From", `"x"`}},
		{"graph unknown to", graph(visualize.Graph{Nodes: nodes, Edges: []visualize.GraphEdge{{From: "a", To: "y"}}}, nil), []string{"Graph.Edges[0].To", `"y"`}},
		{"graph self edge", graph(visualize.Graph{Nodes: nodes, Edges: []visualize.GraphEdge{{From: "a", To: "a"}}}, nil), []string{"Graph.Edges[0]", "Recurrent"}},
		{"graph cycle", graph(visualize.Graph{Nodes: nodes, Edges: []visualize.GraphEdge{{From: "a", To: "b"}, {From: "b", To: "c"}, {From: "c", To: "a"}}}, nil), []string{"cycle", "Feedback"}},
		{"raster group sum", raster([]visualize.RasterGroup{{Size: 2}, {Size: 3}}, 1), []string{"RasterOptions.Groups", "sum to 5", "6 neurons"}},
		{"raster group too big", raster([]visualize.RasterGroup{{Size: 4}, {Size: 4}}, 1), []string{"RasterOptions.Groups", "sum to 8"}},
		{"raster group size", raster([]visualize.RasterGroup{{Size: 6}, {Size: 0}}, 1), []string{"RasterOptions.Groups[1].Size", "got 0"}},
		{"raster group gap", raster([]visualize.RasterGroup{{Size: 6}}, -1), []string{"RasterOptions.GroupGap", "got -1"}},
		{"line style color", axes(func(ax *visualize.Axes) { ax.LineWith(nil, []float64{1}, "", visualize.LineStyle{Width: 1, Alpha: 1}) }), []string{"LineStyle.Color is nil"}},
		{"line style alpha", axes(func(ax *visualize.Axes) { ax.LineWith(nil, []float64{1}, "", bad) }), []string{"LineStyle.Alpha", "got 2"}},
		{"line style width", axes(func(ax *visualize.Axes) { ax.AxHLine(0, visualize.LineStyle{Color: color.Black, Alpha: 1}) }), []string{"AxHLine", "LineStyle.Width"}},
		{"scatter lengths", axes(func(ax *visualize.Axes) { ax.Scatter([]float64{1, 2}, []float64{1}, "p") }), []string{"Axes.Scatter", "x has 2 values, y has 1"}},
		{"axvline NaN", axes(func(ax *visualize.Axes) { ax.AxVLine(math.NaN(), visualize.RefLineDefaults()) }), []string{"AxVLine", "finite"}},
		{"axvspan reversed", axes(func(ax *visualize.Axes) { ax.AxVSpan(2, 1, color.Black) }), []string{"AxVSpan", "start <= end"}},
		{"axhspan color", axes(func(ax *visualize.Axes) { ax.AxHSpan(0, 1, nil) }), []string{"AxHSpan", "nil"}},
		{"xlim", axes(func(ax *visualize.Axes) { ax.XLim(1, 0) }), []string{"XLim(1, 0)", "lo < hi"}},
		{"ylim", axes(func(ax *visualize.Axes) { ax.YLim(0, math.Inf(1)) }), []string{"YLim", "finite"}},
		{"yticks", axes(func(ax *visualize.Axes) { ax.YTicks(0, math.NaN()) }), []string{"YTicks", "position 1"}},
		{"legend loc", axes(func(ax *visualize.Axes) { ax.LegendLoc("center") }), []string{"LegendLoc", `"center"`}},
	}
	for _, c := range cases {
		f := visualize.NewFigure(4, 3)
		err := c.draw(f.Subplot(1, 1, 1))
		if err == nil {
			err = f.Err()
		}
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, m := range c.mention {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, m)
			}
		}
		if _, perr := f.PNG(); perr == nil || perr.Error() != err.Error() {
			t.Errorf("%s: PNG() error %v, want %v", c.name, perr, err)
		}
	}
	// A nil axes is an error, not a panic.
	if _, _, err := visualize.Heatmap(nil, okZ, visualize.HeatmapDefaults()); err == nil || !strings.Contains(err.Error(), "ax is nil") {
		t.Errorf("Heatmap(nil ax): %v", err)
	}
	if _, _, err := visualize.Hist(nil, []float64{1}, visualize.HistDefaults()); err == nil || !strings.Contains(err.Error(), "ax is nil") {
		t.Errorf("Hist(nil ax): %v", err)
	}
	if err := visualize.NodeGraph(nil, visualize.Graph{Nodes: nodes}, visualize.NodeGraphDefaults()); err == nil || !strings.Contains(err.Error(), "ax is nil") {
		t.Errorf("NodeGraph(nil ax): %v", err)
	}
}

func TestTrialPlotErrors(t *testing.T) {
	in := [][]float64{{1, 0}, {1, 0}, {0, 1}}
	tg := [][]float64{{0}, {0}, {1}}
	ok := []visualize.Span{{Name: "fix", Start: 0, End: 1}}
	for _, c := range []struct {
		name    string
		ts      []float64
		in, tg  [][]float64
		periods []visualize.Span
		edit    func(*visualize.TrialPlotOptions)
		mention []string
	}{
		{"empty inputs", nil, nil, tg, ok, nil, []string{"visualize.TrialPlot", "inputs is empty"}},
		{"ragged inputs", nil, [][]float64{{1, 0}, {1}, {0, 1}}, tg, ok, nil, []string{"inputs row 1"}},
		{"target steps", nil, in, tg[:2], ok, nil, []string{"inputs has 3 time steps but targets has 2"}},
		{"ts length", []float64{0, 1}, in, tg, ok, nil, []string{"ts has 2 times"}},
		{"period", nil, in, tg, []visualize.Span{{Name: "bad", Start: 2, End: 1}}, nil, []string{"periods[0]", `"bad"`, "Start < End"}},
		{"width", nil, in, tg, ok, func(o *visualize.TrialPlotOptions) { o.Width = 0 }, []string{"TrialPlotOptions.Width/Height", "positive"}},
	} {
		o := visualize.TrialPlotDefaults()
		if c.edit != nil {
			c.edit(&o)
		}
		_, err := visualize.TrialPlot(nil, c.ts, c.in, c.tg, c.periods, o)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, m := range c.mention {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, m)
			}
		}
	}
	// Targets may be left out, and more subplots can be drawn on the returned figure.
	f, err := visualize.TrialPlot(nil, nil, in, nil, nil, visualize.TrialPlotDefaults())
	if err != nil {
		t.Fatal(err)
	}
	f.Subplot(1, 1, 1).Line(nil, []float64{0.5, 0.5, 0.5}, "extra")
	if _, err := f.PNG(); err != nil {
		t.Error(err)
	}
}

// TestHistCounts: numpy.histogram's rules: equal bins over the range, the last bin closed,
// values outside the range dropped, density integrating to 1.
func TestHistCounts(t *testing.T) {
	f := visualize.NewFigure(4, 3)
	x := []float64{0, 0.1, 0.25, 0.5, 0.75, 0.99, 1, -1, 2}
	o := visualize.HistDefaults()
	o.Bins, o.Range = 4, []float64{0, 1}
	counts, edges, err := visualize.Hist(f.Subplot(1, 1, 1), x, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{2, 1, 1, 3}; !slices.Equal(counts, want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
	if want := []float64{0, 0.25, 0.5, 0.75, 1}; !slices.Equal(edges, want) {
		t.Errorf("edges %v, want %v", edges, want)
	}
	o.Density = true
	dens, edges, err := visualize.Hist(f.Subplot(1, 1, 1), x, o)
	if err != nil {
		t.Fatal(err)
	}
	area := 0.0
	for i, d := range dens {
		area += d * (edges[i+1] - edges[i])
	}
	if math.Abs(area-1) > 1e-12 {
		t.Errorf("density area %v, want 1", area)
	}
	// The default range is the data's; a constant sample gets numpy's ±0.5.
	counts, edges, _ = visualize.Hist(f.Subplot(1, 1, 1), []float64{3, 3, 3}, visualize.HistDefaults())
	if edges[0] != 2.5 || edges[10] != 3.5 || counts[5] != 3 {
		t.Errorf("constant sample: counts %v edges %v, want all 3 in the middle bin of 2.5 … 3.5", counts, edges)
	}
}

func TestHeatmapLimits(t *testing.T) {
	z := [][]float64{{-1, 0.5}, {2, 0}}
	for _, c := range []struct {
		edit       func(*visualize.HeatmapOptions)
		vmin, vmax float64
	}{
		{func(o *visualize.HeatmapOptions) {}, -1, 2},
		{func(o *visualize.HeatmapOptions) { o.Symmetric = true }, -2, 2},
		{func(o *visualize.HeatmapOptions) { o.AutoLimits, o.VMin, o.VMax = false, -5, 5 }, -5, 5},
	} {
		o := visualize.HeatmapDefaults()
		c.edit(&o)
		vmin, vmax, err := visualize.Heatmap(visualize.NewFigure(3, 3).Subplot(1, 1, 1), z, o)
		if err != nil || vmin != c.vmin || vmax != c.vmax {
			t.Errorf("limits %v, %v (%v), want %v, %v", vmin, vmax, err, c.vmin, c.vmax)
		}
	}
}

func TestColormaps(t *testing.T) {
	for _, name := range visualize.Colormaps {
		fwd, err := visualize.ColormapByName(name)
		if err != nil {
			t.Fatal(err)
		}
		rev, err := visualize.ColormapByName(name + "_r")
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []float64{0, 0.1, 0.37, 0.5, 0.9, 1} {
			if fwd(v) != rev(1-v) {
				t.Errorf("%s(%v) = %v but %s_r(%v) = %v", name, v, fwd(v), name, 1-v, rev(1-v))
			}
		}
		if fwd(-1) != fwd(0) || fwd(2) != fwd(1) {
			t.Errorf("%s does not clip outside [0, 1]", name)
		}
	}
	bwr, _ := visualize.ColormapByName("bwr")
	if got := bwr(0.25); got != (color.NRGBA{128, 128, 255, 255}) {
		t.Errorf("bwr(0.25) = %v, want halfway from blue to white", got)
	}
	if got := visualize.WithAlpha(color.NRGBA{255, 0, 0, 255}, 0.1); got != (color.NRGBA{255, 0, 0, 26}) {
		t.Errorf("WithAlpha(red, 0.1) = %v", got)
	}
}

// The Defaults records draw exactly what the zero records (kept for earlier callers) draw.
func TestDefaultsMatchZeroOptions(t *testing.T) {
	sp := randomSpikes(40, 10, 0.1)
	render := func(o visualize.RasterOptions) []byte {
		f := visualize.NewFigure(4, 3)
		if err := visualize.Raster(f.Subplot(1, 1, 1), nil, sp, o); err != nil {
			t.Fatal(err)
		}
		data, err := f.PNG()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	if !slices.Equal(render(visualize.RasterOptions{}), render(visualize.RasterDefaults())) {
		t.Errorf("Raster: RasterDefaults() draws differently from RasterOptions{}")
	}
	v, vsp := voltages(50, 15)
	grid := func(o visualize.VoltageGridOptions) []byte {
		f, err := visualize.VoltageGrid(nil, nil, v, vsp, o)
		if err != nil {
			t.Fatal(err)
		}
		data, err := f.PNG()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	if !slices.Equal(grid(visualize.VoltageGridOptions{}), grid(visualize.VoltageGridDefaults())) {
		t.Errorf("VoltageGrid: VoltageGridDefaults() draws differently from VoltageGridOptions{}")
	}
}

func TestGetFigure(t *testing.T) {
	f := visualize.GetFigure(3, 1, 2, 6)
	for i := 1; i <= 3; i++ {
		f.Subplot(3, 1, i).Line(nil, []float64{0, 1}, "")
	}
	if got := pngSize(f); got != "576×576 px PNG" {
		t.Errorf("GetFigure(3, 1, 2, 6): %s, want 6 × 6 in at 96 dpi", got)
	}
	for _, c := range []struct {
		rows, cols int
		rl, cl     float64
		mention    string
	}{{0, 1, 2, 6, "rows and cols"}, {1, 1, 0, 6, "rowLen, colLen = 0, 6"}, {1, 1, 2, math.NaN(), "positive inches"}} {
		f := visualize.GetFigure(c.rows, c.cols, c.rl, c.cl)
		if err := f.Err(); err == nil || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("GetFigure(%d, %d, %v, %v): error %v, want one mentioning %q", c.rows, c.cols, c.rl, c.cl, err, c.mention)
		}
	}
}

// Tick labels: as few decimals as tell the ticks apart, exponents for very large or small steps.
func TestTickLabels(t *testing.T) {
	labels := func(lo, hi float64) []string {
		f := visualize.NewFigure(4, 3)
		ax := f.Subplot(1, 1, 1)
		ax.Line([]float64{lo, hi}, []float64{lo, hi}, "")
		var out []string
		for _, tk := range ax.P.Y.Tick.Marker.Ticks(lo, hi) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	for _, c := range []struct {
		lo, hi float64
		want   []string
	}{
		{0, 80, []string{"0", "40", "80"}},
		{-1, 1, []string{"-1", "0", "1"}},
		{0, 0.3, []string{"0.00", "0.15", "0.30"}},
		{0, 75, []string{"0", "25", "50", "75"}},
		{-0.9, 0.9, []string{"-0.8", "0.0", "0.8"}},
	} {
		got := labels(c.lo, c.hi)
		if !slices.Equal(got, c.want) {
			t.Errorf("ticks over %v … %v: %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
	if got := labels(0, 3e7); !slices.ContainsFunc(got, func(l string) bool { return strings.Contains(l, "e+") }) {
		t.Errorf("ticks over 0 … 3e7: %q, want exponents", got)
	}
}
