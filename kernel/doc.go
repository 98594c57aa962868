// Package kernel is bpgo's notebook side: Show displays figures inline in Jupyter through GoNB,
// and cmd/bpgo-kernel installs the "bpgo" kernel spec (GoNB with the toolchain, the backend
// choice, the XLA plugin path and this library preset). Nothing in the core imports it.
package kernel
