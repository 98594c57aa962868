// Package visualize draws the tutorials' figures with gonum/plot, in the shape matplotlib users
// know: a Figure of a given size in inches, subplots addressed like plt.subplot(311), lines in
// matplotlib's default colour cycle, legends and axis labels.
//
// Axes methods cover plt.plot (Line, LineWith), plt.scatter (Scatter), axhline/axvline,
// axvspan/axhspan, limits, ticks and legend placement. Figure helpers draw whole figures or
// panels: Raster (bp.visualize.raster_plot, with channel groups and bands), VoltageGrid,
// Heatmap (plt.imshow + plt.colorbar, with matplotlib's colormaps), Hist (plt.hist), NodeGraph
// (model.plot_node_graph) and TrialPlot (NeuroGym's plot_env).
//
// Options records come with a FooDefaults() function holding matplotlib's or BrainPy's
// defaults (RasterOptions and VoltageGridOptions, older, still read zero fields as defaults).
// Bad input is an error naming the argument; a helper drawing on an Axes also records it in the
// Figure, whose PNG and SVG then return it.
//
// Every helper has a golden-image test (testdata/*.png); go test ./bpgo/visualize -regen
// rewrites them after an intended change, to be looked at before committing.
//
// It renders to PNG or SVG bytes and never talks to Jupyter: kernel.Show displays a Figure in a
// notebook.
package visualize
