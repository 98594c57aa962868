package visualize

import (
	"fmt"
	"image/color"
	"math"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/gomlx/core/tensors"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Spike is the element type of spike matrices: a bool, or a float that counts as a spike when
// it is > 0 (BrainPy's sp_matrix > 0; training-mode spikes are floats).
type Spike interface {
	bool | float32 | float64
}

func isSpike[S Spike](s S) bool {
	switch v := any(s).(type) {
	case bool:
		return v
	case float32:
		return v > 0
	case float64:
		return v > 0
	}
	return false
}

// RasterOptions configure Raster. RasterDefaults() spells out bp.visualize.raster_plot's
// defaults; for compatibility with earlier callers, zero Marker, MarkerSize, Color and labels
// also mean those defaults.
type RasterOptions struct {
	// Marker is "." (a dot, the default) or "|" (a vertical tick, as the tutorials' '|k').
	Marker string
	// MarkerSize is the marker size in points (default 2, matplotlib's markersize=2).
	MarkerSize float64
	// Color of the markers (default black, 'k').
	Color color.Color
	// XLabel and YLabel default to "Time (ms)" and "Neuron index"; NoLabels leaves both empty.
	XLabel, YLabel string
	NoLabels       bool
	// Title of the axes (default none).
	Title string
	// Groups, if not nil, splits the N neurons into consecutive groups whose sizes sum to N,
	// drawn bottom to top with GroupGap empty rows between them (the e-prop figure's input
	// channel groups); neuron i of group g is drawn at row i + g·GroupGap.
	Groups   []RasterGroup
	GroupGap int
}

// RasterDefaults are bp.visualize.raster_plot's: '.' markers of size 2 in black, labelled
// "Time (ms)" and "Neuron index", no groups.
func RasterDefaults() RasterOptions {
	return RasterOptions{Marker: ".", MarkerSize: 2, Color: color.Black, XLabel: "Time (ms)", YLabel: "Neuron index"}
}

// RasterGroup is a run of consecutive neurons in a raster.
type RasterGroup struct {
	// Size is the number of neurons in the group.
	Size int
	// Band, if not nil, shades the group's rows across the whole axes, beneath the markers;
	// give it an alpha, e.g. WithAlpha(red, 0.1) for matplotlib's facecolor="red", alpha=0.1.
	Band color.Color
}

// Raster draws a spike raster on ax, like bp.visualize.raster_plot(ts, sp_matrix, ax=ax): a
// marker at (ts[t], n) for every spikes[t][n] that is a spike. spikes is (T, N): one row per
// time step, all rows of the same length; ts has T times (nil: 0, 1, …, T−1). The axes span
// the times and neurons −1 … N. An error is returned and also kept by the figure (Figure.Err).
func Raster[S Spike](ax *Axes, ts []float64, spikes [][]S, opts RasterOptions) error {
	if ax == nil {
		return fmt.Errorf("visualize.Raster: ax is nil")
	}
	fail := func(err error) error { ax.fig.fail(err); return err }
	if len(spikes) == 0 {
		return fail(fmt.Errorf("visualize.Raster: spikes has no time steps"))
	}
	ts, err := times(ts, len(spikes), "visualize.Raster", "spikes")
	if err != nil {
		return fail(err)
	}
	n := len(spikes[0])
	if n == 0 {
		return fail(fmt.Errorf("visualize.Raster: spikes has no neurons (row 0 is empty)"))
	}
	for t, row := range spikes {
		if len(row) != n {
			return fail(fmt.Errorf("visualize.Raster: spikes row %d has %d neurons, row 0 has %d", t, len(row), n))
		}
	}
	if opts.Marker == "" {
		opts.Marker = "."
	}
	var glyph draw.GlyphDrawer
	switch opts.Marker {
	case ".":
		glyph = draw.CircleGlyph{}
	case "|":
		glyph = vbarGlyph{}
	default:
		return fail(fmt.Errorf("visualize.Raster: RasterOptions.Marker %q: want \".\" or \"|\"", opts.Marker))
	}
	if opts.MarkerSize == 0 {
		opts.MarkerSize = 2
	}
	if !(opts.MarkerSize > 0) || math.IsInf(opts.MarkerSize, 0) {
		return fail(fmt.Errorf("visualize.Raster: RasterOptions.MarkerSize must be a positive number of points, got %v", opts.MarkerSize))
	}
	if opts.Color == nil {
		opts.Color = color.Black
	}
	// row[i] is the display row of neuron i.
	row := make([]float64, n)
	rows := n
	if opts.Groups != nil {
		if opts.GroupGap < 0 {
			return fail(fmt.Errorf("visualize.Raster: RasterOptions.GroupGap: want >= 0, got %d", opts.GroupGap))
		}
		i := 0
		for g, grp := range opts.Groups {
			if grp.Size < 1 {
				return fail(fmt.Errorf("visualize.Raster: RasterOptions.Groups[%d].Size: want >= 1, got %d", g, grp.Size))
			}
			if i+grp.Size > n {
				break
			}
			start := i + g*opts.GroupGap
			for k := range grp.Size {
				row[i+k] = float64(start + k)
			}
			if grp.Band != nil {
				ax.AxHSpan(float64(start)-0.5, float64(start+grp.Size)-0.5, grp.Band)
			}
			i += grp.Size
		}
		if i != n || sumSizes(opts.Groups) != n {
			return fail(fmt.Errorf("visualize.Raster: RasterOptions.Groups: sizes sum to %d, want the %d neurons of spikes", sumSizes(opts.Groups), n))
		}
		rows = n + (len(opts.Groups)-1)*opts.GroupGap
	} else {
		for i := range row {
			row[i] = float64(i)
		}
	}
	var pts plotter.XYs
	for t, sp := range spikes {
		for i, s := range sp {
			if isSpike(s) {
				pts = append(pts, plotter.XY{X: ts[t], Y: row[i]})
			}
		}
	}
	if len(pts) > 0 {
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return fail(fmt.Errorf("visualize.Raster: %w", err))
		}
		// A dot's radius is half the marker size; a tick is as tall as the marker is wide ×2.
		sc.GlyphStyle = draw.GlyphStyle{Color: opts.Color, Radius: vg.Points(opts.MarkerSize) / 2, Shape: glyph}
		if opts.Marker == "|" {
			sc.GlyphStyle.Radius = vg.Points(opts.MarkerSize) * 2
		}
		ax.P.Add(sc)
	}
	lo, hi := minMax(ts)
	pad := 0.02 * (hi - lo)
	if pad == 0 {
		pad = 0.5
	}
	ax.P.X.Min, ax.P.X.Max = lo-pad, hi+pad
	ax.P.Y.Min, ax.P.Y.Max = -1, float64(rows)
	// The limits already hold matplotlib's margins, so no gonum padding (bands reach the axes).
	ax.P.X.Padding, ax.P.Y.Padding = 0, 0
	if opts.Groups == nil {
		ax.P.Y.Tick.Marker = indexTicks{} // neuron indices: 0, 10, 20, not 0.00, 10.00
	}
	if !opts.NoLabels {
		ax.XLabel(orDefault(opts.XLabel, "Time (ms)")).YLabel(orDefault(opts.YLabel, "Neuron index"))
	}
	if opts.Title != "" {
		ax.Title(opts.Title)
	}
	return nil
}

func sumSizes(gs []RasterGroup) int {
	s := 0
	for _, g := range gs {
		s += g.Size
	}
	return s
}

// vbarGlyph draws a vertical tick of half-height Radius (matplotlib's '|' marker).
type vbarGlyph struct{}

func (vbarGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	ls := draw.LineStyle{Color: sty.Color, Width: vg.Points(0.8)}
	r := sty.Radius / 2
	c.StrokeLine2(ls, pt.X, pt.Y-r, pt.X, pt.Y+r)
}

// times checks (or makes) the T times of a plot.
func times(ts []float64, steps int, fn, what string) ([]float64, error) {
	if ts == nil {
		ts = make([]float64, steps)
		for i := range ts {
			ts[i] = float64(i)
		}
		return ts, nil
	}
	if len(ts) != steps {
		return nil, fmt.Errorf("%s: ts has %d times but %s has %d time steps", fn, len(ts), what, steps)
	}
	for i, t := range ts {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, fmt.Errorf("%s: ts[%d] is %v; times must be finite", fn, i, t)
		}
	}
	return ts, nil
}

func minMax(xs []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Matrix returns series[batch] of a (B, T, N) float tensor (a runner's output or monitor, e.g.
// Mon["r.spike"] or Mon["r.V"]) as a (T, N) [][]float64, ready for Raster and VoltageGrid.
func Matrix(series *tensors.Tensor, batch int) ([][]float64, error) {
	if series == nil {
		return nil, fmt.Errorf("visualize.Matrix: series is nil")
	}
	d := series.Shape().Dimensions
	if len(d) != 3 {
		return nil, fmt.Errorf("visualize.Matrix: series has shape %v, want (batch, time, neurons)", d)
	}
	if batch < 0 || batch >= d[0] {
		return nil, fmt.Errorf("visualize.Matrix: batch %d is out of range for shape %v", batch, d)
	}
	if !series.DType().IsFloat() {
		return nil, fmt.Errorf("visualize.Matrix: dtype %s is not a float type", series.DType())
	}
	all := bpgo.ToFloat64s(series)
	out := make([][]float64, d[1])
	for t := range out {
		off := (batch*d[1] + t) * d[2]
		out[t] = append([]float64(nil), all[off:off+d[2]]...)
	}
	return out, nil
}
