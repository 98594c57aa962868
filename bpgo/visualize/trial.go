package visualize

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Span is a named stretch of time, e.g. a task period: fixation, stimulus, delay, decision.
type Span struct {
	Name       string
	Start, End float64
}

// TrialPlotOptions configure TrialPlot; start from TrialPlotDefaults().
type TrialPlotOptions struct {
	// InputNames and TargetNames label the channels in the legends; nil or shorter than the
	// channels: "input i" / "target i" for the rest.
	InputNames, TargetNames []string
	// XLabel of the bottom panel; InputLabel and TargetLabel are the panels' y labels.
	XLabel, InputLabel, TargetLabel string
	// Title of the top panel; empty: none.
	Title string
	// Width and Height in inches of a new figure (fig nil).
	Width, Height float64
}

// TrialPlotDefaults: NeuroGym plot_env's panels (observations over ground truth) at 6 × 4 in,
// time in ms.
func TrialPlotDefaults() TrialPlotOptions {
	return TrialPlotOptions{XLabel: "Time (ms)", InputLabel: "Inputs", TargetLabel: "Targets", Width: 6, Height: 4}
}

// TrialPlot draws one trial of a cognitive task, the counterpart of NeuroGym's plot_env: the
// input channels over time in the top panel and the targets below it (inputs and targets are
// (T, channels), one row per time step; targets nil: one panel), each channel a line in the
// colour cycle with a legend. Every panel shades the task periods, and the top panel names them.
// ts has the T times (nil: 0 … T−1). fig nil makes a new Width × Height figure; the panels are
// fig.Subplot(2, 1, 1) and (2, 1, 2) (or (1, 1, 1)), so a caller can overlay, say, the network's
// outputs on the targets afterwards. The figure is returned.
func TrialPlot(fig *Figure, ts []float64, inputs, targets [][]float64, periods []Span, opts TrialPlotOptions) (*Figure, error) {
	const fn = "visualize.TrialPlot"
	if err := checkMatrix[bool](fn, "inputs", inputs, nil, ts); err != nil {
		return fig, err
	}
	if targets != nil {
		if err := checkMatrix[bool](fn, "targets", targets, nil, nil); err != nil {
			return fig, err
		}
		if len(targets) != len(inputs) {
			return fig, fmt.Errorf("%s: inputs has %d time steps but targets has %d", fn, len(inputs), len(targets))
		}
	}
	ts, err := times(ts, len(inputs), fn, "inputs")
	if err != nil {
		return fig, err
	}
	for i, p := range periods {
		if math.IsNaN(p.Start) || math.IsInf(p.Start, 0) || math.IsNaN(p.End) || math.IsInf(p.End, 0) || !(p.Start < p.End) {
			return fig, fmt.Errorf("%s: periods[%d] %q runs %v … %v; want finite times with Start < End", fn, i, p.Name, p.Start, p.End)
		}
	}
	if fig == nil {
		fig = NewFigure(opts.Width, opts.Height)
		if err := fig.Err(); err != nil {
			return fig, fmt.Errorf("%s: TrialPlotOptions.Width/Height: %w", fn, err)
		}
	}
	rows := 1
	if targets != nil {
		rows = 2
	}
	lo, hi := minMax(ts)
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	panel := func(i int, m [][]float64, names []string, prefix, ylabel string) *Axes {
		ax := fig.Subplot(rows, 1, i)
		for p, s := range periods {
			ax.AxVSpan(s.Start, s.End, WithAlpha(Cycle[p%len(Cycle)], 0.13))
		}
		for ch := range m[0] {
			y := make([]float64, len(m))
			for t := range m {
				y[t] = m[t][ch]
			}
			name := fmt.Sprintf("%s %d", prefix, ch)
			if ch < len(names) {
				name = names[ch]
			}
			ax.Line(ts, y, name)
		}
		// The shading reaches the axis lines; margins keep the lines off the edges, with room at
		// the top of the first panel for the period names.
		ax.P.X.Padding, ax.P.Y.Padding = 0, 0
		ax.P.X.Min, ax.P.X.Max = lo, hi
		ylo, yhi := ax.P.Y.Min, ax.P.Y.Max
		if ylo == yhi {
			ylo, yhi = ylo-0.5, yhi+0.5
		}
		top := 0.08
		if i == 1 && len(periods) > 0 {
			top = 0.25
		}
		ax.P.Y.Min, ax.P.Y.Max = ylo-0.08*(yhi-ylo), yhi+top*(yhi-ylo)
		ax.YLabel(ylabel).LegendOutside()
		return ax
	}
	top := panel(1, inputs, opts.InputNames, "input", opts.InputLabel)
	top.P.Add(&spanLabels{spans: periods})
	if opts.Title != "" {
		top.Title(opts.Title)
	}
	bottom := top
	if targets != nil {
		top.P.X.Tick.Marker = unlabelled{cleanTicks{}}
		bottom = panel(2, targets, opts.TargetNames, "target", opts.TargetLabel)
	}
	bottom.XLabel(opts.XLabel)
	return fig, fig.Err()
}

// unlabelled keeps a ticker's tick marks and drops their labels (a panel sharing its x axis
// with the one below).
type unlabelled struct{ plot.Ticker }

func (u unlabelled) Ticks(lo, hi float64) []plot.Tick {
	ts := u.Ticker.Ticks(lo, hi)
	for i := range ts {
		ts[i].Label = ""
	}
	return ts
}

// spanLabels writes each span's name centred above it, just inside the top of the axes.
type spanLabels struct{ spans []Span }

func (s *spanLabels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	sty := p.Legend.TextStyle
	sty.Font.Size = vg.Points(9)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	for _, sp := range s.spans {
		if sp.Name == "" {
			continue
		}
		x := trX((math.Max(sp.Start, p.X.Min) + math.Min(sp.End, p.X.Max)) / 2)
		if x < c.Min.X || x > c.Max.X {
			continue
		}
		// Names of short periods at the ends stay inside the axes.
		w := sty.Width(sp.Name) / 2
		x = max(c.Min.X+w, min(c.Max.X-w, x))
		c.FillText(sty, vg.Point{X: x, Y: c.Max.Y - vg.Points(2)}, sp.Name)
	}
}
