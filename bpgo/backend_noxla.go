//go:build !xla

package bpgo

import (
	"fmt"

	"github.com/gomlx/compute"
)

// XLALinked reports whether XLA is linked into this program (the build tag xla).
const XLALinked = false

// newXLA fails: this program was built without XLA (see XLABuildHelp).
func newXLA(cfg string) (compute.Backend, error) {
	return nil, fmt.Errorf("bpgo: XLA backend %q requested (%s), but this program was built without XLA. %s",
		cfg, BackendEnv, XLABuildHelp)
}

// newXLAAuto is not reached: without XLA, DefaultOrder holds only the Go backend.
func newXLAAuto() (compute.Backend, error) { return newXLA("cpu") }
