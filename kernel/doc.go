// Package kernel is bpgo's notebook side: Show displays figures inline in Jupyter through GoNB,
// and cmd/bpgo-kernel installs the "bpgo" kernel spec (GoNB with the toolchain, the backend
// choice, the XLA plugin path and this library preset) and starts GoNB with the cells' build flags
// (no debug information; XLA linked only when BPGO_BACKEND asks for it, see bpgo.XLATag). Nothing
// in the core imports it.
//
// Notebook helpers: Reduced and Pick (BPGO_NOTEBOOK_MODE), Metric (the lines the headless runner
// checks), NewProgress, and DataDir, the data root notebooks load data sets from (.bpgo/data in
// the repository, unless BPGO_DATA_DIR says otherwise).
//
// Show (and Progress.Done) wait until GoNB has received what they sent: GoNB stops reading a
// cell's display pipe as soon as the cell's program exits, so a figure shown as a cell's last
// action could otherwise be lost. Code that calls gonbui's Display functions directly should end
// with gonbui.Sync() for the same reason.
package kernel
