package visualize

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// HeatmapOptions configure Heatmap; start from HeatmapDefaults().
type HeatmapOptions struct {
	// Colormap is a name ColormapByName knows, e.g. "viridis", "bwr", "bwr_r".
	Colormap string
	// AutoLimits takes the colour limits from the data: min … max, or with Symmetric
	// −max|z| … max|z| (the tutorials' vmin=-wlim, vmax=wlim, so 0 is the middle colour).
	// Without AutoLimits, VMin … VMax are used as given; values outside them get the end colours.
	AutoLimits bool
	Symmetric  bool
	VMin, VMax float64
	// ColorBar draws a colour bar at the right of the axes (plt.colorbar()).
	ColorBar bool
	// XLabel, YLabel and Title of the axes; empty leaves them unset.
	XLabel, YLabel, Title string
}

// HeatmapDefaults are plt.imshow(z); plt.colorbar(): viridis, limits from the data, a colour bar.
func HeatmapDefaults() HeatmapOptions {
	return HeatmapOptions{Colormap: "viridis", AutoLimits: true, ColorBar: true}
}

// Heatmap draws the matrix z (rows × cols, row-major: z[r][c]) as an image on ax, like
// plt.imshow(z, cmap=…, vmin=…, vmax=…) with plt.colorbar(): cell (r, c) is centred on x = c,
// y = r, row 0 at the top, with integer ticks. The cells fill the axes (aspect "auto"). It
// returns the colour limits used. An error is also kept by the figure (Figure.Err).
func Heatmap(ax *Axes, z [][]float64, opts HeatmapOptions) (vmin, vmax float64, err error) {
	const fn = "visualize.Heatmap"
	if ax == nil {
		return 0, 0, fmt.Errorf("%s: ax is nil", fn)
	}
	fail := func(err error) (float64, float64, error) { return 0, 0, ax.fail(err) }
	if len(z) == 0 || len(z[0]) == 0 {
		return fail(fmt.Errorf("%s: z is empty; want rows × cols", fn))
	}
	rows, cols := len(z), len(z[0])
	lo, hi, absMax := math.Inf(1), math.Inf(-1), 0.0
	for r, row := range z {
		if len(row) != cols {
			return fail(fmt.Errorf("%s: z row %d has %d values, row 0 has %d", fn, r, len(row), cols))
		}
		for c, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fail(fmt.Errorf("%s: z[%d][%d] is %v; values must be finite", fn, r, c, v))
			}
			lo, hi, absMax = math.Min(lo, v), math.Max(hi, v), math.Max(absMax, math.Abs(v))
		}
	}
	cmap, err := ColormapByName(opts.Colormap)
	if err != nil {
		return fail(fmt.Errorf("%s: HeatmapOptions.Colormap: %w", fn, err))
	}
	switch {
	case opts.AutoLimits && opts.Symmetric:
		vmin, vmax = -absMax, absMax
	case opts.AutoLimits:
		vmin, vmax = lo, hi
	default:
		vmin, vmax = opts.VMin, opts.VMax
		if math.IsNaN(vmin) || math.IsInf(vmin, 0) || math.IsNaN(vmax) || math.IsInf(vmax, 0) || !(vmin < vmax) {
			return fail(fmt.Errorf("%s: HeatmapOptions.VMin, VMax = %v, %v: want finite limits with VMin < VMax (or AutoLimits)", fn, vmin, vmax))
		}
	}
	if vmin == vmax { // a constant matrix: matplotlib widens the range the same way
		vmin, vmax = vmin-0.5, vmax+0.5
	}

	// One pixel per cell, blown up to whole blocks: the image is scaled bilinearly when drawn,
	// and blocks keep the cell edges sharp.
	k := max(1, 1024/max(rows, cols))
	img := image.NewNRGBA(image.Rect(0, 0, cols*k, rows*k))
	for r, row := range z {
		for c, v := range row {
			col := cmap((v - vmin) / (vmax - vmin))
			for y := r * k; y < (r+1)*k; y++ {
				for x := c * k; x < (c+1)*k; x++ {
					img.SetNRGBA(x, y, col)
				}
			}
		}
	}
	// Image rows run top-down, so image row 0 (z row 0) lands at the top of the axes.
	ax.P.Add(plotter.NewImage(img, -0.5, -0.5, float64(cols)-0.5, float64(rows)-0.5))
	ax.P.X.Min, ax.P.X.Max = -0.5, float64(cols)-0.5
	ax.P.Y.Min, ax.P.Y.Max = -0.5, float64(rows)-0.5
	ax.P.X.Padding, ax.P.Y.Padding = 0, 0 // the axes touch the image, as imshow's
	ax.P.X.Tick.Marker = indexTicks{}
	ax.P.Y.Tick.Marker = indexTicks{flip: rows - 1}
	if opts.XLabel != "" {
		ax.XLabel(opts.XLabel)
	}
	if opts.YLabel != "" {
		ax.YLabel(opts.YLabel)
	}
	if opts.Title != "" {
		ax.Title(opts.Title)
	}
	if opts.ColorBar {
		ax.cbar = &colorBar{cmap: cmap, vmin: vmin, vmax: vmax}
	} else {
		ax.cbar = nil
	}
	return vmin, vmax, nil
}

// indexTicks labels integer row or column indices; with flip = rows−1 the axis position y shows
// row flip−y (row 0 at the top).
type indexTicks struct{ flip int }

func (t indexTicks) Ticks(lo, hi float64) []plot.Tick {
	f := float64(t.flip)
	if t.flip != 0 {
		lo, hi = f-hi, f-lo
	}
	var out []plot.Tick
	for _, tk := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if tk.Label == "" || tk.Value != math.Trunc(tk.Value) {
			continue
		}
		pos := tk.Value
		if t.flip != 0 {
			pos = f - tk.Value
		}
		out = append(out, plot.Tick{Value: pos, Label: fmt.Sprint(int(tk.Value))})
	}
	return out
}

// colorBar is a vertical colour bar with ticks on its right, drawn beside an axes' data area.
type colorBar struct {
	cmap       Colormap
	vmin, vmax float64
}

const (
	cbarGap   = 10 // points between the axes and the bar
	cbarWidth = 12 // points
	cbarTick  = 3.5
)

func (b *colorBar) labelStyle(p *plot.Plot) draw.TextStyle {
	sty := p.Y.Tick.Label
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	return sty
}

func (b *colorBar) ticks() []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(b.vmin, b.vmax) {
		if t.Label != "" {
			out = append(out, t)
		}
	}
	return out
}

// width is the strip the bar and its labels need.
func (b *colorBar) width(p *plot.Plot) vg.Length {
	sty := b.labelStyle(p)
	var lw vg.Length
	for _, t := range b.ticks() {
		lw = max(lw, sty.Width(t.Label))
	}
	return vg.Points(cbarGap+cbarWidth+cbarTick+2) + lw + vg.Points(2)
}

// draw draws the bar in the strip starting at x (the right edge of the axes' tile part), as
// tall as the data area.
func (b *colorBar) draw(tile draw.Canvas, x vg.Length, data draw.Canvas, p *plot.Plot) {
	x0 := x + vg.Points(cbarGap)
	x1 := x0 + vg.Points(cbarWidth)
	y0, y1 := data.Min.Y, data.Max.Y
	const n = 256
	img := image.NewNRGBA(image.Rect(0, 0, 1, n))
	for i := range n {
		img.SetNRGBA(0, n-1-i, b.cmap((float64(i)+0.5)/n))
	}
	tile.DrawImage(vg.Rectangle{Min: vg.Point{X: x0, Y: y0}, Max: vg.Point{X: x1, Y: y1}}, img)
	edge := draw.LineStyle{Color: color.Black, Width: vg.Points(0.6)}
	tile.StrokeLines(edge, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}, {X: x0, Y: y0}})
	sty := b.labelStyle(p)
	for _, t := range b.ticks() {
		y := y0 + vg.Length((t.Value-b.vmin)/(b.vmax-b.vmin))*(y1-y0)
		tile.StrokeLine2(edge, x1, y, x1+vg.Points(cbarTick), y)
		tile.FillText(sty, vg.Point{X: x1 + vg.Points(cbarTick+2), Y: y}, t.Label)
	}
}
