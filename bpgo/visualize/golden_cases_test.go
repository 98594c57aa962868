package visualize_test

import (
	"image/color"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/bpgo/bpgo/bpgo/visualize"
)

// Every figure helper has a golden image here; go test ./bpgo/visualize -regen rewrites them.

func TestGoldenLine(t *testing.T) {
	f := visualize.NewFigure(5, 4)
	for i := 1; i <= 2; i++ {
		x, y := sine(120, float64(i))
		_, y2 := sine(120, float64(i)+0.8)
		f.Subplot(2, 1, i).Line(x, y, "truth").Line(x, y2, "prediction").XLabel("time").YLabel("x").Title("row").Grid()
	}
	checkGolden(t, "line", f)
}

// A psychometric curve: points, the fitted logistic and reference lines at chance and 0.
func TestGoldenScatter(t *testing.T) {
	coh := []float64{-51.2, -25.6, -12.8, -6.4, 0, 6.4, 12.8, 25.6, 51.2}
	frac := []float64{0.02, 0.1, 0.27, 0.4, 0.52, 0.63, 0.78, 0.93, 0.99}
	var fx, fy []float64
	for c := -55.0; c <= 55; c += 1 {
		fx = append(fx, c)
		fy = append(fy, 1/(1+math.Exp(-(c-0.5)/8)))
	}
	f := visualize.NewFigure(4, 3)
	f.Subplot(1, 1, 1).Scatter(coh, frac, "trials").Line(fx, fy, "logistic fit").
		AxHLine(0.5, visualize.RefLineDefaults()).AxVLine(0, visualize.RefLineDefaults()).
		XLabel("Coherence (%)").YLabel("Fraction right").YTicks(0, 0.5, 1)
	checkGolden(t, "scatter", f)
}

// LineWith, spans, limits and ticks.
func TestGoldenAxesExtras(t *testing.T) {
	f := visualize.NewFigure(5, 3)
	ax := f.Subplot(1, 1, 1)
	blue, red := color.NRGBA{0, 0, 255, 255}, color.NRGBA{255, 0, 0, 255}
	ax.AxVSpan(2, 4, visualize.WithAlpha(red, 0.15)).AxHSpan(-0.25, 0.25, visualize.WithAlpha(blue, 0.1))
	for k := range 3 {
		x, y := sine(80, float64(k))
		s := visualize.LineDefaults()
		s.Color, s.Alpha = blue, 0.7
		if k == 2 {
			s.Color, s.Dashed, s.Width = red, true, 2
		}
		ax.LineWith(x, y, []string{"", "E", "I"}[k], s)
	}
	ax.XLim(0, 7).YLim(-1.2, 1.2).YTicks(-1, 0, 1).XTicks().XLabel("no x ticks").YLabel("Activity")
	checkGolden(t, "axes_extras", f)
}

func TestGoldenRaster(t *testing.T) {
	const T, N = 120, 30
	ts := make([]float64, T)
	for i := range ts {
		ts[i] = float64(i) * 0.5
	}
	sp := randomSpikes(T, N, 0.04)
	f := visualize.NewFigure(6, 3)
	if err := visualize.Raster(f.Subplot(1, 2, 1), ts, sp, visualize.RasterOptions{Title: "dots"}); err != nil {
		t.Fatal(err)
	}
	opts := visualize.RasterOptions{Marker: "|", MarkerSize: 3, Color: visualize.Cycle[3], Title: "ticks"}
	if err := visualize.Raster(f.Subplot(1, 2, 2), nil, sp, opts); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "raster", f)
}

// eprop is seed 002's three-panel figure: input channels in four groups with gaps and red/blue
// bands, the recurrent raster, and two readouts.
func eprop(t *testing.T) *visualize.Figure {
	const T, nIn, nRec = 200, 40, 50
	rng := rand.New(rand.NewPCG(3, 4))
	in := make([][]float64, T)
	rec := make([][]bool, T)
	for ti := range in {
		in[ti] = make([]float64, nIn)
		for n := range in[ti] {
			// Groups 2 and 3 fire during cues, group 1 (noise) always, group 0 at recall.
			p := 0.01
			switch g := n / 10; {
			case g == 1:
				p = 0.05
			case g == 2 && ti%50 < 20 && ti < 150:
				p = 0.3
			case g == 3 && ti%50 >= 25 && ti%50 < 45 && ti < 150:
				p = 0.3
			case g == 0 && ti >= 160:
				p = 0.3
			}
			if rng.Float64() < p {
				in[ti][n] = 1
			}
		}
		rec[ti] = make([]bool, nRec)
		for n := range rec[ti] {
			rec[ti][n] = rng.Float64() < 0.03
		}
	}
	f := visualize.GetFigure(3, 1, 2, 6) // bp.visualize.get_figure(3, 1, 2., 6.)
	red, blue := color.NRGBA{255, 0, 0, 255}, color.NRGBA{0, 0, 255, 255}
	ro := visualize.RasterOptions{Marker: "|", NoLabels: true, GroupGap: 5, Groups: []visualize.RasterGroup{
		{Size: 10}, {Size: 10}, {Size: 10, Band: visualize.WithAlpha(red, 0.1)}, {Size: 10, Band: visualize.WithAlpha(blue, 0.1)}}}
	ax := f.Subplot(3, 1, 1)
	if err := visualize.Raster(ax, nil, in, ro); err != nil {
		t.Fatal(err)
	}
	ax.YLabel("Input Activity").XTicks().YTicks()
	ax = f.Subplot(3, 1, 2)
	if err := visualize.Raster(ax, nil, rec, visualize.RasterOptions{Marker: "|", NoLabels: true}); err != nil {
		t.Fatal(err)
	}
	ax.YLabel("Spiking Activity").XTicks()
	r0, r1 := make([]float64, T), make([]float64, T)
	for ti := range r0 {
		r0[ti] = 0.5 + 0.4*math.Tanh(float64(ti-150)/20)
		r1[ti] = 1 - r0[ti]
	}
	s := visualize.LineDefaults()
	s.Alpha = 0.7
	ax = f.Subplot(3, 1, 3)
	ax.LineWith(nil, r0, "Readout 0", s)
	s.Color = visualize.Cycle[1]
	ax.LineWith(nil, r1, "Readout 1", s).YTicks(0, 0.5, 1).XTicks().YLabel("Output Activity").XLabel("Time [ms]").LegendOutside()
	return f
}

func TestGoldenRasterGroups(t *testing.T) { checkGolden(t, "raster_groups", eprop(t)) }

func voltages(T, N int) ([][]float64, [][]bool) {
	v := make([][]float64, T)
	sp := make([][]bool, T)
	for t := range v {
		v[t] = make([]float64, N)
		sp[t] = make([]bool, N)
		for n := range v[t] {
			phase := math.Mod(float64(t)*(0.02+0.01*float64(n)), 1)
			v[t][n] = phase
			sp[t][n] = phase > 0.97
		}
	}
	return v, sp
}

func TestGoldenVoltageGrid(t *testing.T) {
	v, sp := voltages(100, 6)
	o := visualize.VoltageGridOptions{Rows: 2, Cols: 3, Width: 6, Height: 3.5, ShowVTh: true, VTh: 1, SpikeHeight: 1.5}
	f, err := visualize.VoltageGrid(nil, nil, v, sp, o)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "voltage_grid", f)
}

func TestGoldenVoltageGridSamples(t *testing.T) {
	const T, B, N = 80, 4, 3
	v := make([][][]float64, T)
	for ti := range v {
		v[ti] = make([][]float64, B)
		for b := range v[ti] {
			v[ti][b] = make([]float64, N)
			for n := range v[ti][b] {
				v[ti][b][n] = math.Sin(float64(ti)*0.1*float64(b+1) + float64(n))
			}
		}
	}
	o := visualize.VoltageGridOptions{Rows: 2, Cols: 2, Width: 5, Height: 3.5}
	f, err := visualize.VoltageGridSamples[bool](nil, nil, v, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "voltage_grid_samples", f)
}

// connectivity is an E-I weight matrix like seed 003's: 12 excitatory (positive) then 4
// inhibitory (negative) columns, no self-connections.
func connectivity() [][]float64 {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, ne = 16, 12
	w := make([][]float64, n)
	for i := range w {
		w[i] = make([]float64, n)
		for j := range w[i] {
			if i == j {
				continue
			}
			v := rng.Float64() * 0.3
			if j >= ne {
				v = -3 * v
			}
			w[i][j] = v
		}
	}
	return w
}

func TestGoldenHeatmap(t *testing.T) {
	f := visualize.NewFigure(5, 4)
	o := visualize.HeatmapDefaults()
	o.Colormap, o.Symmetric = "bwr_r", true
	o.XLabel, o.YLabel, o.Title = "From neurons", "To neurons", "Network connectivity"
	if _, _, err := visualize.Heatmap(f.Subplot(1, 1, 1), connectivity(), o); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "heatmap", f)
}

// Two heat maps side by side: viridis with fixed limits that clip, and bwr without a bar.
func TestGoldenHeatmapOptions(t *testing.T) {
	z := make([][]float64, 6)
	for r := range z {
		z[r] = make([]float64, 9)
		for c := range z[r] {
			z[r][c] = float64(r*9+c) / 53 * 4 // 0 … 4
		}
	}
	f := visualize.NewFigure(7, 3)
	o := visualize.HeatmapDefaults()
	o.AutoLimits, o.VMin, o.VMax, o.Title = false, 1, 3, "viridis, 1 … 3"
	if _, _, err := visualize.Heatmap(f.Subplot(1, 2, 1), z, o); err != nil {
		t.Fatal(err)
	}
	o = visualize.HeatmapDefaults()
	o.Colormap, o.ColorBar, o.Title = "bwr", false, "bwr, no bar"
	if _, _, err := visualize.Heatmap(f.Subplot(1, 2, 2), z, o); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "heatmap_options", f)
}

// The colormaps, each as a gradient.
func TestGoldenColormaps(t *testing.T) {
	f := visualize.NewFigure(5, 4)
	ramp := [][]float64{make([]float64, 64)}
	for i := range ramp[0] {
		ramp[0][i] = float64(i)
	}
	for i, name := range []string{"bwr", "bwr_r", "viridis", "gray", "RdBu", "RdBu_r"} {
		o := visualize.HeatmapDefaults()
		o.Colormap, o.ColorBar, o.Title = name, false, name
		ax := f.Subplot(3, 2, i+1)
		if _, _, err := visualize.Heatmap(ax, ramp, o); err != nil {
			t.Fatal(err)
		}
		ax.YTicks()
	}
	checkGolden(t, "colormaps", f)
}

func selectivity() []float64 {
	rng := rand.New(rand.NewPCG(7, 8))
	x := make([]float64, 200)
	for i := range x {
		x[i] = rng.NormFloat64() * 0.6
		if i%3 == 0 {
			x[i] += 1.5
		}
	}
	return x
}

func TestGoldenHist(t *testing.T) {
	f := visualize.NewFigure(6, 2.6)
	o := visualize.HistDefaults()
	o.XLabel, o.YLabel = "Selectivity", "Number of neurons"
	if _, _, err := visualize.Hist(f.Subplot(1, 2, 1), selectivity(), o); err != nil {
		t.Fatal(err)
	}
	o = visualize.HistDefaults()
	o.Bins, o.Range, o.Density, o.Color, o.Label = 30, []float64{-1, 3}, true, visualize.Cycle[1], "density"
	o.XLabel = "Selectivity"
	if _, _, err := visualize.Hist(f.Subplot(1, 2, 2), selectivity(), o); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "hist", f)
}

// Seed 001's ESN: Input0 → Reservoir0 (recurrent) → LinearReadout0 (trainable), 5 × 5 in.
func esnGraph() visualize.Graph {
	return visualize.Graph{
		Nodes: []visualize.GraphNode{{Name: "Input0"}, {Name: "Reservoir0", Recurrent: true}, {Name: "LinearReadout0", Trainable: true}},
		Edges: []visualize.GraphEdge{{From: "Input0", To: "Reservoir0"}, {From: "Reservoir0", To: "LinearReadout0"}},
	}
}

func TestGoldenNodeGraph(t *testing.T) {
	f := visualize.NewFigure(5, 5)
	o := visualize.NodeGraphDefaults()
	o.NodeSize = 2000
	if err := visualize.NodeGraph(f.Subplot(1, 1, 1), esnGraph(), o); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "nodegraph_esn", f)
}

// A branching graph with feedback edges and two nodes in one layer.
func TestGoldenNodeGraphFeedback(t *testing.T) {
	g := visualize.Graph{
		Nodes: []visualize.GraphNode{{Name: "I"}, {Name: "R1", Recurrent: true, Trainable: true}, {Name: "R2", Trainable: true},
			{Name: "D", Trainable: true}, {Name: "O", Trainable: true}},
		Edges: []visualize.GraphEdge{{From: "I", To: "R1"}, {From: "I", To: "R2"}, {From: "R1", To: "D"}, {From: "R2", To: "D"},
			{From: "D", To: "O"}, {From: "O", To: "R1", Feedback: true}, {From: "D", To: "R2", Feedback: true}},
	}
	f := visualize.NewFigure(5, 5)
	if err := visualize.NodeGraph(f.Subplot(1, 1, 1), g, visualize.NodeGraphDefaults()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "nodegraph_feedback", f)
}

// A perceptual decision-making trial (seed 003's task, dt = 20 ms): fixation, stimulus, delay,
// decision (no delay); inputs fixation + two evidence channels, targets the label per step.
func decisionTrial() (ts []float64, in, tg [][]float64, periods []visualize.Span) {
	periods = []visualize.Span{{Name: "fixation", Start: 0, End: 100}, {Name: "stimulus", Start: 100, End: 2100},
		{Name: "decision", Start: 2100, End: 2200}}
	rng := rand.New(rand.NewPCG(9, 10))
	for t := 0.0; t < 2200; t += 20 {
		ts = append(ts, t)
		fix, a, b := 1.0, 0.0, 0.0
		if t >= 100 && t < 2100 {
			a, b = 0.6+0.2*rng.NormFloat64(), 0.4+0.2*rng.NormFloat64()
		}
		label := 0.0
		if t >= 2100 {
			fix, label = 0, 1
		}
		in = append(in, []float64{fix, a, b})
		tg = append(tg, []float64{label})
	}
	return ts, in, tg, periods
}

func TestGoldenTrialPlot(t *testing.T) {
	ts, in, tg, periods := decisionTrial()
	o := visualize.TrialPlotDefaults()
	o.InputNames, o.TargetNames = []string{"fixation", "left", "right"}, []string{"label"}
	f, err := visualize.TrialPlot(nil, ts, in, tg, periods, o)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "trial", f)
}

// A delayed-match trial with four periods and inputs only.
func TestGoldenTrialPlotInputsOnly(t *testing.T) {
	var ts []float64
	var in [][]float64
	for t := 0.0; t < 1000; t += 10 {
		ts = append(ts, t)
		s := 0.0
		if (t >= 200 && t < 400) || (t >= 700 && t < 900) {
			s = 1
		}
		in = append(in, []float64{map[bool]float64{true: 1, false: 0}[t < 900], s})
	}
	periods := []visualize.Span{{Name: "fixation", Start: 0, End: 200}, {Name: "sample", Start: 200, End: 400},
		{Name: "delay", Start: 400, End: 700}, {Name: "test", Start: 700, End: 900}, {Name: "decision", Start: 900, End: 1000}}
	o := visualize.TrialPlotDefaults()
	o.Width, o.Height, o.Title = 6, 2.5, "delayed match"
	f, err := visualize.TrialPlot(nil, ts, in, nil, periods, o)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "trial_inputs", f)
}

// Two branches into one output with a feedback edge that must bend away from the node in its
// way; the long names put every label below its node.
func TestGoldenNodeGraphLayers(t *testing.T) {
	g := visualize.Graph{
		Nodes: []visualize.GraphNode{{Name: "Input0"}, {Name: "Input1"}, {Name: "VanillaRNN0", Recurrent: true, Trainable: true},
			{Name: "GRU0", Recurrent: true, Trainable: true}, {Name: "Dense0", Trainable: true}, {Name: "Dense1", Trainable: true},
			{Name: "Output", Trainable: true}},
		Edges: []visualize.GraphEdge{{From: "Input0", To: "VanillaRNN0"}, {From: "Input1", To: "GRU0"}, {From: "VanillaRNN0", To: "Dense0"},
			{From: "GRU0", To: "Dense1"}, {From: "Dense0", To: "Output"}, {From: "Dense1", To: "Output"},
			{From: "Output", To: "VanillaRNN0", Feedback: true}},
	}
	f := visualize.NewFigure(5, 5)
	if err := visualize.NodeGraph(f.Subplot(1, 1, 1), g, visualize.NodeGraphDefaults()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "nodegraph_layers", f)
}
