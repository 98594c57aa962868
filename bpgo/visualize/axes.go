package visualize

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// LineStyle is how a line is drawn: colour, width in points, dashes and opacity.
type LineStyle struct {
	// Color of the line; its own alpha is multiplied by Alpha.
	Color color.Color
	// Width in points.
	Width float64
	// Dashed draws 3-point dashes with 2-point gaps (matplotlib's '--').
	Dashed bool
	// Alpha is the opacity, 0 (invisible) … 1 (opaque), like matplotlib's alpha=.
	Alpha float64
}

// LineDefaults is the style of Line: the first colour of the cycle, 1.3 points, solid, opaque.
func LineDefaults() LineStyle {
	return LineStyle{Color: Cycle[0], Width: 1.3, Alpha: 1}
}

// RefLineDefaults is a reference line's style: mid grey, 1 point, dashed, opaque.
func RefLineDefaults() LineStyle {
	return LineStyle{Color: color.Gray{Y: 0x80}, Width: 1, Dashed: true, Alpha: 1}
}

func (s LineStyle) check(fn string) error {
	switch {
	case s.Color == nil:
		return fmt.Errorf("%s: LineStyle.Color is nil; start from LineDefaults() or RefLineDefaults()", fn)
	case !(s.Width > 0) || math.IsInf(s.Width, 0):
		return fmt.Errorf("%s: LineStyle.Width: want a positive number of points, got %v", fn, s.Width)
	case !(s.Alpha >= 0 && s.Alpha <= 1):
		return fmt.Errorf("%s: LineStyle.Alpha: want 0 … 1, got %v", fn, s.Alpha)
	}
	return nil
}

func (s LineStyle) draw() draw.LineStyle {
	ls := draw.LineStyle{Color: WithAlpha(s.Color, s.Alpha), Width: vg.Points(s.Width)}
	if s.Dashed {
		ls.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
	}
	return ls
}

// WithAlpha returns c with its opacity multiplied by alpha (0 … 1), for spans and bands:
// WithAlpha(red, 0.1) is matplotlib's facecolor="red", alpha=0.1.
func WithAlpha(c color.Color, alpha float64) color.NRGBA {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	n.A = uint8(math.Round(float64(n.A) * math.Max(0, math.Min(1, alpha))))
	return n
}

// LineWith draws y against x (x nil: against 0, 1, 2, …) in the given style, like
// plt.plot(x, y, color=…, alpha=…); a non-empty label goes into the legend. It does not advance
// the colour cycle.
func (a *Axes) LineWith(x, y []float64, label string, s LineStyle) *Axes {
	if err := s.check("visualize.Axes.LineWith"); err != nil {
		a.fail(err)
		return a
	}
	a.addLine("visualize.Axes.LineWith", x, y, label, s.draw())
	return a
}

// points checks x and y (x nil: 0, 1, 2, …) and pairs them up.
func points(fn, label string, x, y []float64) (plotter.XYs, error) {
	if x == nil {
		x = make([]float64, len(y))
		for i := range x {
			x[i] = float64(i)
		}
	}
	if len(x) != len(y) {
		return nil, fmt.Errorf("%s: x has %d values, y has %d", fn, len(x), len(y))
	}
	pts := make(plotter.XYs, len(y))
	for i := range y {
		if math.IsNaN(y[i]) || math.IsInf(y[i], 0) || math.IsNaN(x[i]) || math.IsInf(x[i], 0) {
			return nil, fmt.Errorf("%s %q: point %d is (%v, %v); values must be finite", fn, label, i, x[i], y[i])
		}
		pts[i] = plotter.XY{X: x[i], Y: y[i]}
	}
	return pts, nil
}

func (a *Axes) addLine(fn string, x, y []float64, label string, ls draw.LineStyle) bool {
	pts, err := points(fn, label, x, y)
	if err != nil {
		a.fail(err)
		return false
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		a.fail(fmt.Errorf("%s %q: %w", fn, label, err))
		return false
	}
	l.LineStyle = ls
	a.P.Add(l)
	a.paths = append(a.paths, pts)
	if label != "" {
		a.P.Legend.Add(label, l)
	}
	return true
}

// Scatter draws a filled circle of radius 3 points (matplotlib's default marker size) at every
// (x[i], y[i]) (x nil: against 0, 1, 2, …), like plt.scatter; a non-empty label goes into the
// legend. Scatters take the colours of the cycle in turn, independently of lines (so a scatter
// and then its fitted Line share the first colour, as in matplotlib).
func (a *Axes) Scatter(x, y []float64, label string) *Axes {
	pts, err := points("visualize.Axes.Scatter", label, x, y)
	if err != nil {
		a.fail(err)
		return a
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		a.fail(fmt.Errorf("visualize.Axes.Scatter %q: %w", label, err))
		return a
	}
	sc.GlyphStyle = draw.GlyphStyle{Color: Cycle[a.scatters%len(Cycle)], Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
	a.scatters++
	a.P.Add(sc)
	for _, p := range pts {
		a.paths = append(a.paths, plotter.XYs{p})
	}
	if label != "" {
		a.P.Legend.Add(label, sc)
	}
	return a
}

// AxHLine draws a horizontal line at y across the whole axes, like plt.axhline; it does not
// change the axis limits.
func (a *Axes) AxHLine(y float64, s LineStyle) *Axes {
	return a.refLine("visualize.Axes.AxHLine", y, false, s)
}

// AxVLine draws a vertical line at x across the whole axes, like plt.axvline.
func (a *Axes) AxVLine(x float64, s LineStyle) *Axes {
	return a.refLine("visualize.Axes.AxVLine", x, true, s)
}

func (a *Axes) refLine(fn string, v float64, vertical bool, s LineStyle) *Axes {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		a.fail(fmt.Errorf("%s: position %v must be finite", fn, v))
		return a
	}
	if err := s.check(fn); err != nil {
		a.fail(err)
		return a
	}
	a.P.Add(&refLine{v: v, vertical: vertical, style: s.draw()})
	return a
}

// AxVSpan shades x0 … x1 over the whole height of the axes in colour c (give it an alpha, e.g.
// WithAlpha(c, 0.2)), like plt.axvspan; spans are drawn beneath lines and markers and do not
// change the axis limits.
func (a *Axes) AxVSpan(x0, x1 float64, c color.Color) *Axes {
	return a.span("visualize.Axes.AxVSpan", x0, x1, true, c)
}

// AxHSpan shades y0 … y1 over the whole width of the axes, like plt.axhspan.
func (a *Axes) AxHSpan(y0, y1 float64, c color.Color) *Axes {
	return a.span("visualize.Axes.AxHSpan", y0, y1, false, c)
}

func (a *Axes) span(fn string, lo, hi float64, vertical bool, c color.Color) *Axes {
	if math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsNaN(hi) || math.IsInf(hi, 0) || hi < lo {
		a.fail(fmt.Errorf("%s: span %v … %v: want finite ends with start <= end", fn, lo, hi))
		return a
	}
	if c == nil {
		a.fail(fmt.Errorf("%s: colour is nil", fn))
		return a
	}
	a.under.spans = append(a.under.spans, spanItem{lo: lo, hi: hi, vertical: vertical, color: c})
	return a
}

// XLim sets the x-axis limits, like plt.xlim(lo, hi).
func (a *Axes) XLim(lo, hi float64) *Axes {
	if err := checkLim("visualize.Axes.XLim", lo, hi); err != nil {
		a.fail(err)
		return a
	}
	a.P.X.Min, a.P.X.Max = lo, hi
	return a
}

// YLim sets the y-axis limits, like plt.ylim(lo, hi).
func (a *Axes) YLim(lo, hi float64) *Axes {
	if err := checkLim("visualize.Axes.YLim", lo, hi); err != nil {
		a.fail(err)
		return a
	}
	a.P.Y.Min, a.P.Y.Max = lo, hi
	return a
}

func checkLim(fn string, lo, hi float64) error {
	if math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsNaN(hi) || math.IsInf(hi, 0) || !(lo < hi) {
		return fmt.Errorf("%s(%v, %v): want finite limits with lo < hi", fn, lo, hi)
	}
	return nil
}

// XTicks puts x ticks, labelled with their values, at the given positions only, widening the
// axis to show them all; no positions removes the ticks and their labels (ax.set_xticks([])).
func (a *Axes) XTicks(at ...float64) *Axes { return a.ticks("visualize.Axes.XTicks", &a.P.X, at) }

// YTicks is XTicks for the y axis (ax.set_yticks([0, 0.5, 1])).
func (a *Axes) YTicks(at ...float64) *Axes { return a.ticks("visualize.Axes.YTicks", &a.P.Y, at) }

func (a *Axes) ticks(fn string, ax *plot.Axis, at []float64) *Axes {
	for i, v := range at {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			a.fail(fmt.Errorf("%s: position %d is %v; ticks must be finite", fn, i, v))
			return a
		}
		ax.Min, ax.Max = math.Min(ax.Min, v), math.Max(ax.Max, v)
	}
	ax.Tick.Marker = constTicks(at)
	return a
}

func constTicks(at []float64) plot.ConstantTicks {
	ts := make(plot.ConstantTicks, len(at))
	for i, v := range at {
		ts[i] = plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)}
	}
	return ts
}

// underlay draws the axes' spans; it is added first, so below every other plotter.
type underlay struct{ spans []spanItem }

type spanItem struct {
	lo, hi   float64
	vertical bool
	color    color.Color
}

func (u *underlay) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, s := range u.spans {
		var r vg.Rectangle
		if s.vertical {
			r = vg.Rectangle{Min: vg.Point{X: trX(s.lo), Y: c.Min.Y}, Max: vg.Point{X: trX(s.hi), Y: c.Max.Y}}
		} else {
			r = vg.Rectangle{Min: vg.Point{X: c.Min.X, Y: trY(s.lo)}, Max: vg.Point{X: c.Max.X, Y: trY(s.hi)}}
		}
		pts := c.ClipPolygonXY([]vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
		if len(pts) > 0 {
			c.FillPolygon(s.color, pts)
		}
	}
}

// refLine is a line across the whole axes at a data position.
type refLine struct {
	v        float64
	vertical bool
	style    draw.LineStyle
}

func (l *refLine) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	var pts []vg.Point
	if l.vertical {
		x := trX(l.v)
		pts = []vg.Point{{X: x, Y: c.Min.Y}, {X: x, Y: c.Max.Y}}
	} else {
		y := trY(l.v)
		pts = []vg.Point{{X: c.Min.X, Y: y}, {X: c.Max.X, Y: y}}
	}
	c.StrokeLines(l.style, c.ClipLinesXY(pts)...)
}

// legendCorners are LegendLoc's places, in the order "best" prefers them on a tie.
var legendCorners = []struct {
	name      string
	top, left bool
}{{"upper right", true, false}, {"upper left", true, true}, {"lower left", false, true}, {"lower right", false, false}}

// LegendLoc places the legend inside the axes: "upper right", "upper left", "lower left",
// "lower right", or "best" (the default, as matplotlib's: the corner that hides the fewest
// points of the lines and scatters).
func (a *Axes) LegendLoc(loc string) *Axes {
	if loc != "best" && !slices.ContainsFunc(legendCorners, func(c struct {
		name      string
		top, left bool
	}) bool {
		return c.name == loc
	}) {
		a.fail(fmt.Errorf("visualize.Axes.LegendLoc: %q: want best, upper right, upper left, lower left or lower right", loc))
		return a
	}
	a.legendLoc = loc
	return a
}

// drawLegendInside draws the legend in a corner of the data area dc on a white, slightly
// transparent box with a light grey edge (matplotlib's legend frame), so lines under it do not
// make its text unreadable.
func (a *Axes) drawLegendInside(dc draw.Canvas) {
	leg := &a.P.Legend
	if leg.Rectangle(dc).Size().X == 0 {
		return // no entries
	}
	inset := vg.Points(legendInset)
	lc := dc
	lc.Min.X, lc.Min.Y, lc.Max.X, lc.Max.Y = dc.Min.X+inset, dc.Min.Y+inset, dc.Max.X-inset, dc.Max.Y-inset
	a.placeLegend(dc, lc)
	box := a.legendBox(lc)
	corners := []vg.Point{box.Min, {X: box.Max.X, Y: box.Min.Y}, box.Max, {X: box.Min.X, Y: box.Max.Y}}
	dc.FillPolygon(color.NRGBA{255, 255, 255, 204}, corners)
	dc.StrokeLines(draw.LineStyle{Color: color.Gray{Y: 0xcc}, Width: vg.Points(0.6)}, append(corners, box.Min))
	leg.Draw(lc)
}

// legendBox is the frame of the legend drawn into lc at its corner. (gonum's
// Legend.Rectangle has Left the wrong way round; only its size is used.)
func (a *Axes) legendBox(lc draw.Canvas) vg.Rectangle {
	size := a.P.Legend.Rectangle(lc).Size()
	pad := vg.Points(legendPad)
	r := vg.Rectangle{Min: vg.Point{X: lc.Max.X - size.X, Y: lc.Max.Y - size.Y}, Max: lc.Max}
	if a.P.Legend.Left {
		r.Min.X, r.Max.X = lc.Min.X, lc.Min.X+size.X
	}
	if !a.P.Legend.Top {
		r.Min.Y, r.Max.Y = lc.Min.Y, lc.Min.Y+size.Y
	}
	r.Min.X, r.Min.Y, r.Max.X, r.Max.Y = r.Min.X-pad, r.Min.Y-pad, r.Max.X+pad, r.Max.Y+pad
	return r
}

// legendInset is the gap in points between the axes and an inside legend's text, legendPad
// the frame's margin around the text.
const legendInset, legendPad = 6, 3

// placeLegend sets the legend's corner for drawing into lc, inside the data area dc.
func (a *Axes) placeLegend(dc, lc draw.Canvas) {
	loc := a.legendLoc
	for _, k := range legendCorners {
		if k.name == loc {
			a.P.Legend.Top, a.P.Legend.Left = k.top, k.left
			return
		}
	}
	if len(a.paths) == 0 {
		return
	}
	// Count, for each corner, the line points (with segments sampled) under the legend box.
	trX, trY := a.P.Transforms(&dc)
	best, bestN := 0, -1
	for i, k := range legendCorners {
		a.P.Legend.Top, a.P.Legend.Left = k.top, k.left
		r := a.legendBox(lc)
		n := 0
		in := func(x, y vg.Length) {
			if x >= r.Min.X && x <= r.Max.X && y >= r.Min.Y && y <= r.Max.Y {
				n++
			}
		}
		for _, path := range a.paths {
			for j, p := range path {
				x, y := trX(p.X), trY(p.Y)
				in(x, y)
				if j > 0 {
					px, py := trX(path[j-1].X), trY(path[j-1].Y)
					for s := 1; s < 8; s++ {
						f := vg.Length(s) / 8
						in(px+f*(x-px), py+f*(y-py))
					}
				}
			}
		}
		if bestN < 0 || n < bestN {
			best, bestN = i, n
		}
	}
	a.P.Legend.Top, a.P.Legend.Left = legendCorners[best].top, legendCorners[best].left
}

// cleanTicks are gonum's default tick positions labelled the way matplotlib labels them: the
// fewest decimals that tell the major ticks apart exactly ("0, 25, 50", "0.0, 0.5, 1.0"), not
// gonum's "0.00, 25.00, 50.00".
type cleanTicks struct{}

func (cleanTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := (plot.DefaultTicks{}).Ticks(lo, hi)
	var major []float64
	for _, t := range ts {
		if t.Label != "" {
			major = append(major, t.Value)
		}
	}
	if len(major) == 0 {
		return ts
	}
	big := math.Max(math.Abs(major[0]), math.Abs(major[len(major)-1]))
	scale := big
	if len(major) > 1 {
		scale = math.Abs(major[1] - major[0])
	}
	if big >= 1e6 || scale < 1e-4 {
		return ts // gonum's exponent labels read better than long digit strings
	}
	d := 0
	for ; d < 12; d++ {
		ok := true
		for _, v := range major {
			r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', d, 64), 64)
			if math.Abs(r-v) > 1e-9*scale {
				ok = false
				break
			}
		}
		if ok {
			break
		}
	}
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', d, 64)
			if ts[i].Label == "-0" || strings.Trim(ts[i].Label, "-0.") == "" {
				ts[i].Label = strings.TrimPrefix(ts[i].Label, "-")
			}
		}
	}
	return ts
}
