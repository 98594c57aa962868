package visualize_test

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"

	"github.com/bpgo/bpgo/bpgo/visualize"
)

// pngSize renders f and reports the PNG's pixel size, or the error.
func pngSize(f *visualize.Figure) string {
	data, err := f.PNG()
	if err != nil {
		return "error: " + err.Error()
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("%d×%d px PNG", img.Bounds().Dx(), img.Bounds().Dy())
}

// Three stacked subplots like plt.subplot(311), saved as a PNG file.
func ExampleFigure_Save() {
	f := visualize.NewFigure(6, 6)
	for i := 1; i <= 3; i++ {
		x, y := sine(100, float64(i))
		f.Subplot(3, 1, i).Line(x, y, "truth").XLabel("time").YLabel("x")
	}
	path := filepath.Join(os.TempDir(), "bpgo-example-figure.png")
	defer os.Remove(path)
	if err := f.Save(path); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pngSize(f))
	// Output: 576×576 px PNG
}

// A psychometric curve: the fraction of right choices per coherence as points, a fitted
// logistic as a line of the same colour, and dashed reference lines.
func ExampleAxes_Scatter() {
	coh := []float64{-50, -25, -10, 0, 10, 25, 50}
	right := []float64{0.03, 0.15, 0.35, 0.5, 0.68, 0.86, 0.98}
	var x, y []float64
	for c := -50.0; c <= 50; c++ {
		x, y = append(x, c), append(y, 1/(1+math.Exp(-c/10)))
	}
	f := visualize.NewFigure(4, 3)
	f.Subplot(1, 1, 1).Scatter(coh, right, "data").Line(x, y, "fit").
		AxHLine(0.5, visualize.RefLineDefaults()).AxVLine(0, visualize.RefLineDefaults()).
		XLabel("Coherence (%)").YLabel("P(right)")
	fmt.Println(pngSize(f))
	// Output: 384×288 px PNG
}

// Seed 003's sorted connectivity: plt.imshow(W, cmap='bwr_r', vmin=-wlim, vmax=wlim) with a
// colour bar.
func ExampleHeatmap() {
	w := [][]float64{{0, 0.4, -0.9}, {0.2, 0, -0.5}, {0.1, 0.3, 0}}
	f := visualize.NewFigure(5, 4)
	o := visualize.HeatmapDefaults()
	o.Colormap, o.Symmetric = "bwr_r", true
	o.XLabel, o.YLabel, o.Title = "From neurons", "To neurons", "Network connectivity"
	vmin, vmax, err := visualize.Heatmap(f.Subplot(1, 1, 1), w, o)
	fmt.Println(vmin, vmax, err)
	fmt.Println(pngSize(f))
	// Output:
	// -0.9 0.9 <nil>
	// 480×384 px PNG
}

func ExampleColormapByName() {
	cmap, err := visualize.ColormapByName("bwr_r")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cmap(0), cmap(0.5), cmap(1))
	_, err = visualize.ColormapByName("jet")
	fmt.Println(err != nil)
	// Output:
	// {255 0 0 255} {255 255 255 255} {0 0 255 255}
	// true
}

// Seed 003's selectivity histogram: plt.hist(selectivity).
func ExampleHist() {
	sel := []float64{-0.4, -0.1, 0, 0.2, 0.25, 0.5, 0.9, 1.2, 1.3, 2, 5}
	f := visualize.NewFigure(6, 4)
	o := visualize.HistDefaults()
	o.Bins, o.Range = 4, []float64{-1, 3} // 5 lies outside and is not counted
	o.XLabel, o.YLabel = "Selectivity", "Number of neurons"
	counts, edges, err := visualize.Hist(f.Subplot(1, 1, 1), sel, o)
	fmt.Println(counts, edges, err)
	fmt.Println(pngSize(f))
	// Output:
	// [2 5 2 1] [-1 0 1 2 3] <nil>
	// 576×384 px PNG
}

// Seed 002's input raster: four channel groups with empty rows between them, the third red and
// the fourth blue, drawn with '|' markers.
func ExampleRaster() {
	spikes := make([][]bool, 50)
	for t := range spikes {
		spikes[t] = make([]bool, 8)
		spikes[t][t%8] = true
	}
	red, blue := color.NRGBA{R: 255, A: 255}, color.NRGBA{B: 255, A: 255}
	f := visualize.NewFigure(6, 2)
	ax := f.Subplot(1, 1, 1)
	err := visualize.Raster(ax, nil, spikes, visualize.RasterOptions{Marker: "|", GroupGap: 1, Groups: []visualize.RasterGroup{
		{Size: 2}, {Size: 2}, {Size: 2, Band: visualize.WithAlpha(red, 0.1)}, {Size: 2, Band: visualize.WithAlpha(blue, 0.1)}}})
	fmt.Println(err)
	ax.YLabel("Input Activity").YTicks()
	fmt.Println(pngSize(f))
	// Output:
	// <nil>
	// 576×192 px PNG
}

// Seed 001's echo state network, model.plot_node_graph(fig_size=(5, 5), node_size=2000).
func ExampleNodeGraph() {
	g := visualize.Graph{
		Nodes: []visualize.GraphNode{{Name: "Input0"}, {Name: "Reservoir0", Recurrent: true}, {Name: "LinearReadout0", Trainable: true}},
		Edges: []visualize.GraphEdge{{From: "Input0", To: "Reservoir0"}, {From: "Reservoir0", To: "LinearReadout0"}},
	}
	f := visualize.NewFigure(5, 5)
	o := visualize.NodeGraphDefaults()
	o.NodeSize = 2000
	fmt.Println(visualize.NodeGraph(f.Subplot(1, 1, 1), g, o))
	fmt.Println(pngSize(f))
	// Output:
	// <nil>
	// 480×480 px PNG
}

// One trial of a decision task: fixation input and two evidence inputs over the label target,
// with the task periods shaded.
func ExampleTrialPlot() {
	var ts []float64
	var in, target [][]float64
	for t := 0.0; t < 1000; t += 20 {
		stim, fix, label := 0.0, 1.0, 0.0
		if t >= 100 && t < 800 {
			stim = 0.6
		}
		if t >= 800 {
			fix, label = 0, 1
		}
		ts = append(ts, t)
		in = append(in, []float64{fix, stim, 1 - stim - 0.2})
		target = append(target, []float64{label})
	}
	periods := []visualize.Span{{Name: "fixation", Start: 0, End: 100}, {Name: "stimulus", Start: 100, End: 800},
		{Name: "decision", Start: 800, End: 1000}}
	o := visualize.TrialPlotDefaults()
	o.InputNames = []string{"fixation", "left", "right"}
	f, err := visualize.TrialPlot(nil, ts, in, target, periods, o)
	fmt.Println(err)
	fmt.Println(pngSize(f))
	// Output:
	// <nil>
	// 576×384 px PNG
}
