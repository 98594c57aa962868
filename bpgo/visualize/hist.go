package visualize

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// HistOptions configure Hist; start from HistDefaults().
type HistOptions struct {
	// Bins is the number of equal-width bins.
	Bins int
	// Range is {lo, hi}, the span the bins cover (values outside are not counted); nil means
	// the data's min … max, matplotlib's range=None.
	Range []float64
	// Density scales the bars so their areas sum to 1 (matplotlib's density=True).
	Density bool
	// Color of the bars; Label, if not empty, goes into the legend.
	Color color.Color
	Label string
	// XLabel, YLabel and Title of the axes; empty leaves them unset.
	XLabel, YLabel, Title string
}

// HistDefaults are plt.hist(x)'s: 10 bins over the data's range, counts, the first cycle colour.
func HistDefaults() HistOptions {
	return HistOptions{Bins: 10, Color: Cycle[0]}
}

// Hist draws a histogram of x on ax, like plt.hist(x, bins=…, range=…, density=…), and returns
// the bar heights and the Bins+1 bin edges. Bins are half-open [edge_i, edge_i+1) except the
// last, which also holds its right edge, as in numpy. An error is also kept by the figure.
func Hist(ax *Axes, x []float64, opts HistOptions) (heights, edges []float64, err error) {
	const fn = "visualize.Hist"
	if ax == nil {
		return nil, nil, fmt.Errorf("%s: ax is nil", fn)
	}
	fail := func(err error) ([]float64, []float64, error) { return nil, nil, ax.fail(err) }
	switch {
	case len(x) == 0:
		return fail(fmt.Errorf("%s: x is empty", fn))
	case opts.Bins < 1:
		return fail(fmt.Errorf("%s: HistOptions.Bins: want >= 1, got %d", fn, opts.Bins))
	case opts.Color == nil:
		return fail(fmt.Errorf("%s: HistOptions.Color is nil; start from HistDefaults()", fn))
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fail(fmt.Errorf("%s: x[%d] is %v; values must be finite", fn, i, v))
		}
	}
	lo, hi := minMax(x)
	if opts.Range != nil {
		if len(opts.Range) != 2 || math.IsNaN(opts.Range[0]) || math.IsInf(opts.Range[0], 0) ||
			math.IsNaN(opts.Range[1]) || math.IsInf(opts.Range[1], 0) || !(opts.Range[0] < opts.Range[1]) {
			return fail(fmt.Errorf("%s: HistOptions.Range: want nil or {lo, hi} finite with lo < hi, got %v", fn, opts.Range))
		}
		lo, hi = opts.Range[0], opts.Range[1]
	}
	if lo == hi { // numpy widens a zero range by ±0.5
		lo, hi = lo-0.5, hi+0.5
	}
	n := opts.Bins
	edges = make([]float64, n+1)
	for i := range edges {
		edges[i] = lo + (hi-lo)*float64(i)/float64(n)
	}
	edges[n] = hi
	heights = make([]float64, n)
	total := 0
	for _, v := range x {
		if v < lo || v > hi {
			continue
		}
		i := min(int((v-lo)/(hi-lo)*float64(n)), n-1)
		// Rounding can put a value on the wrong side of an edge; the edges decide.
		for i > 0 && v < edges[i] {
			i--
		}
		for i < n-1 && v >= edges[i+1] {
			i++
		}
		heights[i]++
		total++
	}
	if opts.Density && total > 0 {
		for i := range heights {
			heights[i] /= float64(total) * (edges[i+1] - edges[i])
		}
	}
	bins := make([]plotter.HistogramBin, n)
	for i := range bins {
		bins[i] = plotter.HistogramBin{Min: edges[i], Max: edges[i+1], Weight: heights[i]}
	}
	h := &plotter.Histogram{Bins: bins, Width: (hi - lo) / float64(n), FillColor: opts.Color,
		// A hairline in the fill colour, as matplotlib draws bars without edges.
		LineStyle: draw.LineStyle{Color: opts.Color, Width: vg.Points(0.3)}}
	ax.P.Add(h)
	for _, b := range bins { // what a "best" legend must not hide: each bar's middle, 0 to top
		mid := (b.Min + b.Max) / 2
		ax.paths = append(ax.paths, plotter.XYs{{X: mid, Y: 0}, {X: mid, Y: b.Weight}})
	}
	ax.P.Y.Min = math.Min(ax.P.Y.Min, 0) // bars stand on 0, as in matplotlib
	if opts.Label != "" {
		ax.P.Legend.Add(opts.Label, h)
	}
	if opts.XLabel != "" {
		ax.XLabel(opts.XLabel)
	}
	if opts.YLabel != "" {
		ax.YLabel(opts.YLabel)
	}
	if opts.Title != "" {
		ax.Title(opts.Title)
	}
	return heights, edges, nil
}
