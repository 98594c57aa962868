// Package visualize draws the tutorials' figures with gonum/plot, in the shape matplotlib users
// know: a Figure of a given size in inches, subplots addressed like plt.subplot(311), lines in
// matplotlib's default colour cycle, legends and axis labels.
//
// It renders to PNG or SVG bytes and never talks to Jupyter: kernel.Show displays a Figure in a
// notebook.
package visualize
