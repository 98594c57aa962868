package visualize

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// VoltageGridOptions configure VoltageGrid. VoltageGridDefaults() spells out the defaults of
// the BrainPy SNN tutorial's plot_voltage_traces(mem, spk, dim=(3, 5), spike_height=5) with
// figsize (15, 8); for compatibility with earlier callers, zero fields also mean those defaults.
type VoltageGridOptions struct {
	// Rows and Cols of panels; default 3 × 5.
	Rows, Cols int
	// SpikeHeight is the value a trace jumps to at a spike (default 5), so every spike is drawn
	// as a vertical line up to the same height (the tutorial's mem[spk > 0] = spike_height).
	SpikeHeight float64
	// ShowVTh draws the firing threshold VTh as a grey dashed line in every panel.
	ShowVTh bool
	VTh     float64
	// Width and Height in inches of a new figure (fig nil); default 15 × 8.
	Width, Height float64
}

// VoltageGridDefaults: 3 × 5 panels, spikes drawn up to 5, no threshold line, 15 × 8 inches.
func VoltageGridDefaults() VoltageGridOptions {
	return VoltageGridOptions{Rows: 3, Cols: 5, SpikeHeight: 5, Width: 15, Height: 8}
}

// VoltageGrid draws membrane traces in a Rows × Cols grid of panels, one neuron per panel:
// panel i shows v[:, i] against ts, with spikes[t][i] drawn as a jump to SpikeHeight. v and
// spikes are (T, N) (one row per step, see Matrix); spikes may be nil; ts nil means 0 … T−1.
// Neurons beyond Rows·Cols are not drawn; with fewer neurons the last panels stay empty. All
// panels share the y range (the tutorial's sharey). fig nil makes a new Width × Height figure;
// a given figure must use (or not yet use) the same grid. The figure is returned.
func VoltageGrid[S Spike](fig *Figure, ts []float64, v [][]float64, spikes [][]S, opts VoltageGridOptions) (*Figure, error) {
	const fn = "visualize.VoltageGrid"
	if err := checkMatrix(fn, "v", v, spikes, ts); err != nil {
		return fig, err
	}
	n := len(v[0])
	panels := make([][][]float64, n)
	for i := range panels {
		tr := make([]float64, len(v))
		for t := range v {
			tr[t] = v[t][i]
			if math.IsNaN(tr[t]) || math.IsInf(tr[t], 0) {
				return fig, fmt.Errorf("%s: v[%d][%d] is %v; values must be finite", fn, t, i, tr[t])
			}
			if spikes != nil && isSpike(spikes[t][i]) {
				tr[t] = math.NaN() // marked below
			}
		}
		panels[i] = [][]float64{tr}
	}
	return drawPanels(fn, fig, ts, panels, opts)
}

// VoltageGridSamples draws the SNN tutorial's figure exactly: panel i shows sample i of a
// time-first (T, B, N) monitor, all N neurons' traces in it (the tutorial plots mem[:, i] of
// runner.mon['r.membrane'] with data_first_axis='T'). spikes, if not nil, is (T, B, N) too.
func VoltageGridSamples[S Spike](fig *Figure, ts []float64, v [][][]float64, spikes [][][]S, opts VoltageGridOptions) (*Figure, error) {
	const fn = "visualize.VoltageGridSamples"
	if len(v) == 0 || len(v[0]) == 0 || len(v[0][0]) == 0 {
		return fig, fmt.Errorf("%s: v is empty; want (T, B, N)", fn)
	}
	if spikes != nil && len(spikes) != len(v) {
		return fig, fmt.Errorf("%s: v has %d time steps but spikes has %d", fn, len(v), len(spikes))
	}
	b, n := len(v[0]), len(v[0][0])
	for t := range v {
		if len(v[t]) != b {
			return fig, fmt.Errorf("%s: v[%d] has %d samples, v[0] has %d", fn, t, len(v[t]), b)
		}
		if spikes != nil && len(spikes[t]) != b {
			return fig, fmt.Errorf("%s: spikes[%d] has %d samples, v has %d", fn, t, len(spikes[t]), b)
		}
		for s := range v[t] {
			if len(v[t][s]) != n {
				return fig, fmt.Errorf("%s: v[%d][%d] has %d neurons, v[0][0] has %d", fn, t, s, len(v[t][s]), n)
			}
			if spikes != nil && len(spikes[t][s]) != n {
				return fig, fmt.Errorf("%s: spikes[%d][%d] has %d neurons, v has %d", fn, t, s, len(spikes[t][s]), n)
			}
		}
	}
	panels := make([][][]float64, b)
	for s := range panels {
		panels[s] = make([][]float64, n)
		for i := range n {
			tr := make([]float64, len(v))
			for t := range v {
				tr[t] = v[t][s][i]
				if math.IsNaN(tr[t]) || math.IsInf(tr[t], 0) {
					return fig, fmt.Errorf("%s: v[%d][%d][%d] is %v; values must be finite", fn, t, s, i, tr[t])
				}
				if spikes != nil && isSpike(spikes[t][s][i]) {
					tr[t] = math.NaN()
				}
			}
			panels[s][i] = tr
		}
	}
	return drawPanels(fn, fig, ts, panels, opts)
}

// checkMatrix checks a (T, N) matrix, an optional (T, N) spike matrix and optional T times.
func checkMatrix[S Spike](fn, what string, v [][]float64, spikes [][]S, ts []float64) error {
	if len(v) == 0 || len(v[0]) == 0 {
		return fmt.Errorf("%s: %s is empty; want (T, N)", fn, what)
	}
	n := len(v[0])
	if spikes != nil && len(spikes) != len(v) {
		return fmt.Errorf("%s: %s has %d time steps but spikes has %d", fn, what, len(v), len(spikes))
	}
	for t := range v {
		if len(v[t]) != n {
			return fmt.Errorf("%s: %s row %d has %d neurons, row 0 has %d", fn, what, t, len(v[t]), n)
		}
		if spikes != nil && len(spikes[t]) != n {
			return fmt.Errorf("%s: spikes row %d has %d neurons, %s has %d", fn, t, len(spikes[t]), what, n)
		}
	}
	if ts != nil && len(ts) != len(v) {
		return fmt.Errorf("%s: ts has %d times but %s has %d time steps", fn, len(ts), what, len(v))
	}
	return nil
}

// drawPanels draws panels[p] (traces of T values; NaN marks a spike) into the grid.
func drawPanels(fn string, fig *Figure, ts []float64, panels [][][]float64, opts VoltageGridOptions) (*Figure, error) {
	if opts.Rows == 0 {
		opts.Rows = 3
	}
	if opts.Cols == 0 {
		opts.Cols = 5
	}
	if opts.Rows < 1 || opts.Cols < 1 {
		return fig, fmt.Errorf("%s: VoltageGridOptions.Rows and Cols must be >= 1, got %d × %d", fn, opts.Rows, opts.Cols)
	}
	if opts.SpikeHeight == 0 {
		opts.SpikeHeight = 5
	}
	if math.IsNaN(opts.SpikeHeight) || math.IsInf(opts.SpikeHeight, 0) {
		return fig, fmt.Errorf("%s: VoltageGridOptions.SpikeHeight must be finite, got %v", fn, opts.SpikeHeight)
	}
	if opts.ShowVTh && (math.IsNaN(opts.VTh) || math.IsInf(opts.VTh, 0)) {
		return fig, fmt.Errorf("%s: VoltageGridOptions.VTh must be finite, got %v", fn, opts.VTh)
	}
	steps := len(panels[0][0])
	ts, err := times(ts, steps, fn, "v")
	if err != nil {
		return fig, err
	}
	if fig == nil {
		if opts.Width == 0 {
			opts.Width = 15
		}
		if opts.Height == 0 {
			opts.Height = 8
		}
		fig = NewFigure(opts.Width, opts.Height)
		if err := fig.Err(); err != nil {
			return fig, fmt.Errorf("%s: VoltageGridOptions.Width/Height: %w", fn, err)
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	np := min(len(panels), opts.Rows*opts.Cols)
	for p := range np {
		for _, tr := range panels[p] {
			for t, y := range tr {
				if math.IsNaN(y) {
					y = opts.SpikeHeight
					tr[t] = y
				}
				lo, hi = math.Min(lo, y), math.Max(hi, y)
			}
		}
	}
	if opts.ShowVTh {
		lo, hi = math.Min(lo, opts.VTh), math.Max(hi, opts.VTh)
	}
	pad := 0.05 * (hi - lo)
	if pad == 0 {
		pad = 0.5
	}
	for p := range np {
		ax := fig.Subplot(opts.Rows, opts.Cols, p+1)
		for _, tr := range panels[p] {
			ax.Line(ts, tr, "")
		}
		if opts.ShowVTh {
			l, err := plotter.NewLine(plotter.XYs{{X: ts[0], Y: opts.VTh}, {X: ts[len(ts)-1], Y: opts.VTh}})
			if err != nil {
				return fig, fmt.Errorf("%s: %w", fn, err)
			}
			l.Color = color.Gray{Y: 0x80}
			l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
			ax.P.Add(l)
		}
		ax.P.Y.Min, ax.P.Y.Max = lo-pad, hi+pad
	}
	return fig, fig.Err()
}
