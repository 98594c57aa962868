package visualize

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// DefaultDPI is the resolution of PNG figures.
const DefaultDPI = 96

// Cycle is matplotlib's default colour cycle (tab10): lines in one subplot take these in turn.
var Cycle = []color.Color{
	color.NRGBA{0x1f, 0x77, 0xb4, 0xff}, color.NRGBA{0xff, 0x7f, 0x0e, 0xff},
	color.NRGBA{0x2c, 0xa0, 0x2c, 0xff}, color.NRGBA{0xd6, 0x27, 0x28, 0xff},
	color.NRGBA{0x94, 0x67, 0xbd, 0xff}, color.NRGBA{0x8c, 0x56, 0x4b, 0xff},
	color.NRGBA{0xe3, 0x77, 0xc2, 0xff}, color.NRGBA{0x7f, 0x7f, 0x7f, 0xff},
	color.NRGBA{0xbc, 0xbd, 0x22, 0xff}, color.NRGBA{0x17, 0xbe, 0xcf, 0xff},
}

// Figure is a grid of subplots of a fixed size, like plt.figure(figsize=(w, h)).
type Figure struct {
	Width, Height vg.Length
	DPI           int
	rows, cols    int
	axes          map[int]*Axes
	err           error
}

// NewFigure makes a figure of width × height inches.
func NewFigure(widthInches, heightInches float64) *Figure {
	f := &Figure{Width: vg.Length(widthInches) * vg.Inch, Height: vg.Length(heightInches) * vg.Inch, DPI: DefaultDPI, axes: map[int]*Axes{}}
	if !(widthInches > 0 && heightInches > 0) {
		f.fail(fmt.Errorf("visualize.NewFigure: width and height must be positive inches, got %v × %v", widthInches, heightInches))
	}
	return f
}

// GetFigure is bp.visualize.get_figure(rows, cols, rowLen, colLen): a figure of cols·colLen ×
// rows·rowLen inches whose subplots are meant to be addressed as f.Subplot(rows, cols, i)
// (get_figure(3, 1, 2., 6.) is the e-prop figure's 6 × 6 inches).
func GetFigure(rows, cols int, rowLen, colLen float64) *Figure {
	if rows < 1 || cols < 1 {
		f := NewFigure(1, 1)
		f.fail(fmt.Errorf("visualize.GetFigure: rows and cols: want >= 1, got %d × %d", rows, cols))
		return f
	}
	f := NewFigure(float64(cols)*colLen, float64(rows)*rowLen)
	if f.err != nil {
		f.err = fmt.Errorf("visualize.GetFigure: rowLen, colLen = %v, %v: want positive inches", rowLen, colLen)
	}
	return f
}

func (f *Figure) fail(err error) {
	if f.err == nil {
		f.err = err
	}
}

// Err returns the first error met while building the figure (also returned by PNG and SVG).
func (f *Figure) Err() error { return f.err }

// Subplot returns the axes at 1-based index in a rows × cols grid, creating them on first use,
// like plt.subplot(rows, cols, index); every call on one figure must use the same grid.
func (f *Figure) Subplot(rows, cols, index int) *Axes {
	switch {
	case rows < 1 || cols < 1 || index < 1 || index > rows*cols:
		f.fail(fmt.Errorf("visualize.Subplot(%d, %d, %d): want rows, cols >= 1 and 1 <= index <= rows*cols", rows, cols, index))
		return newAxes(f)
	case f.rows != 0 && (f.rows != rows || f.cols != cols):
		f.fail(fmt.Errorf("visualize.Subplot(%d, %d, %d): the figure already uses a %d × %d grid", rows, cols, index, f.rows, f.cols))
		return newAxes(f)
	}
	f.rows, f.cols = rows, cols
	if a, ok := f.axes[index]; ok {
		return a
	}
	a := newAxes(f)
	f.axes[index] = a
	return a
}

// Axes is one subplot. P is the underlying gonum plot, for anything the helpers do not cover.
type Axes struct {
	P     *plot.Plot
	fig   *Figure
	lines int
	// scatters counts Scatter calls: scatters have their own turn through the cycle.
	scatters int
	// under holds the spans, drawn beneath everything else (matplotlib draws patches below
	// lines); it is the plot's first plotter.
	under *underlay
	// cbar, if set, is drawn in a strip at the right of the axes' tile.
	cbar *colorBar
	// legendOut draws the legend in a strip at the right, outside the data area.
	legendOut bool
	// legendLoc is where LegendLoc put the legend; "" is "best".
	legendLoc string
	// paths are the polylines and points drawn by Line, LineWith and Scatter, for "best".
	paths []plotter.XYs
}

// legendGap is the space in points between the data area (or colour bar) and an outside legend.
const legendGap = 6

// LegendOutside moves the legend out of the data area to the right of the axes, at the top
// (matplotlib's legend(loc="upper left", bbox_to_anchor=(1.02, 1))), so it never hides data.
func (a *Axes) LegendOutside() *Axes { a.legendOut = true; return a }

func newAxes(f *Figure) *Axes {
	a := &Axes{fig: f, P: plot.New(), under: &underlay{}}
	a.P.Legend.Top = true
	a.P.Legend.ThumbnailWidth = vg.Points(16)
	a.P.X.Tick.Marker, a.P.Y.Tick.Marker = cleanTicks{}, cleanTicks{}
	a.P.Add(a.under)
	return a
}

// fail records err as the figure's error (the first one wins) and returns it.
func (a *Axes) fail(err error) error { a.fig.fail(err); return err }

// Line draws y against x (x nil: against 0, 1, 2, …) in the next colour of the cycle, like
// plt.plot; a non-empty label goes into the legend.
func (a *Axes) Line(x, y []float64, label string) *Axes {
	ls := LineDefaults()
	ls.Color = Cycle[a.lines%len(Cycle)]
	if a.addLine("visualize.Line", x, y, label, ls.draw()) {
		a.lines++
	}
	return a
}

// XLabel sets the x-axis label.
func (a *Axes) XLabel(s string) *Axes { a.P.X.Label.Text = s; return a }

// YLabel sets the y-axis label.
func (a *Axes) YLabel(s string) *Axes { a.P.Y.Label.Text = s; return a }

// Title sets the subplot title.
func (a *Axes) Title(s string) *Axes { a.P.Title.Text = s; return a }

// Grid adds grid lines.
func (a *Axes) Grid() *Axes { a.P.Add(plotter.NewGrid()); return a }

func (f *Figure) grid() ([][]*plot.Plot, error) {
	if f.err != nil {
		return nil, f.err
	}
	if len(f.axes) == 0 {
		return nil, errors.New("visualize: the figure has no subplots")
	}
	g := make([][]*plot.Plot, f.rows)
	for r := range g {
		g[r] = make([]*plot.Plot, f.cols)
		for c := range g[r] {
			if a, ok := f.axes[r*f.cols+c+1]; ok {
				g[r][c] = a.P
			}
		}
	}
	return g, nil
}

func (f *Figure) draw(c draw.Canvas) error {
	g, err := f.grid()
	if err != nil {
		return err
	}
	tiles := draw.Tiles{Rows: f.rows, Cols: f.cols,
		PadX: 6 * vg.Millimeter, PadY: 3 * vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 3 * vg.Millimeter}
	canvases := plot.Align(g, tiles, c)
	// A colour bar and an outside legend take strips at the right of a tile, beside the data
	// area; every tile of a column gives up the widest strip of the column, so the data areas
	// of stacked panels stay aligned.
	cbarW := map[*Axes]vg.Length{}
	legW := map[*Axes]vg.Length{}
	colStrip := make([]vg.Length, f.cols)
	for idx, a := range f.axes {
		r, col := (idx-1)/f.cols, (idx-1)%f.cols
		if a.cbar != nil {
			cbarW[a] = a.cbar.width(a.P)
		}
		if a.legendOut {
			if w := a.P.Legend.Rectangle(canvases[r][col]).Size().X; w > 0 {
				legW[a] = w + vg.Points(legendGap)
			}
		}
		colStrip[col] = max(colStrip[col], cbarW[a]+legW[a])
	}
	for r := range g {
		for col := range g[r] {
			if g[r][col] == nil {
				continue
			}
			a := f.axes[r*f.cols+col+1]
			tile := canvases[r][col]
			main := draw.Crop(tile, 0, -colStrip[col], 0, 0)
			// The plot draws no legend of its own: legends are drawn below, on a box.
			leg := a.P.Legend
			a.P.Legend = plot.NewLegend()
			g[r][col].Draw(main)
			a.P.Legend = leg
			data := a.P.DataCanvas(main)
			if !a.legendOut {
				a.drawLegendInside(data)
			}
			if a.cbar != nil {
				a.cbar.draw(tile, main.Max.X, data, a.P)
			}
			if legW[a] > 0 {
				lc := data
				lc.Min.X, lc.Max.X = main.Max.X+cbarW[a]+vg.Points(legendGap), tile.Max.X
				leg.Top, leg.Left = true, true
				leg.Draw(lc)
			}
		}
	}
	return nil
}

// PNG renders the figure at f.DPI.
func (f *Figure) PNG() ([]byte, error) {
	if f.err != nil {
		return nil, f.err
	}
	img := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(f.DPI), vgimg.UseBackgroundColor(color.White))
	if err := f.draw(draw.New(img)); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SVG renders the figure as SVG text.
func (f *Figure) SVG() ([]byte, error) {
	if f.err != nil {
		return nil, f.err
	}
	c := vgsvg.NewWith(vgsvg.UseWH(f.Width, f.Height))
	if err := f.draw(draw.New(c)); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Save writes the figure to a .png or .svg file; the file is written whole or not at all.
func (f *Figure) Save(path string) error {
	var data []byte
	var err error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		data, err = f.PNG()
	case ".svg":
		data, err = f.SVG()
	default:
		return fmt.Errorf("visualize.Save: %q: the extension must be .png or .svg", path)
	}
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".fig-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
