package bpgo

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
)

// autoMode reports whether BPGO_BACKEND asks for auto (or is unset).
func autoMode() bool {
	s := strings.TrimSpace(os.Getenv(BackendEnv))
	return s == "" || s == "auto"
}

var autoXLA struct {
	once sync.Once
	b    compute.Backend
}

// autoXLABackend is the XLA backend that auto gives the runners it measures faster there (see
// AutoXLAMinWeight), created and announced on first use; nil when XLA is not linked, BPGO_BACKEND
// names a backend, or no local CPU plugin loads (auto never downloads one).
func autoXLABackend() compute.Backend {
	if !XLALinked || !autoMode() {
		return nil
	}
	autoXLA.once.Do(func() {
		b, err := newXLAAuto()
		if err != nil {
			announce(fmt.Sprintf("go for every runner (auto: %s)", firstLine(err.Error())))
			return
		}
		autoXLA.b = b
		announce(fmt.Sprintf("xla (cpu) for batch-1 runners with a weight of at least %d elements (auto)", AutoXLAMinWeight))
	})
	return autoXLA.b
}

// runnerBackend returns the backend a new runner of tree computes on, and whether that is not
// the process's backend (Backend): under auto, in a program built with XLA, a model whose states
// have batch 1 and whose largest float parameter has at least AutoXLAMinWeight elements runs on
// XLA; everything else runs on the process's backend.
func runnerBackend(tree *Tree) (compute.Backend, bool, error) {
	def, err := Backend()
	if err != nil {
		return nil, false, err
	}
	if !XLALinked || !autoMode() || stateBatch(tree) != 1 || largestWeight(tree) < AutoXLAMinWeight {
		return def, false, nil
	}
	if x := autoXLABackend(); x != nil {
		return x, true, nil
	}
	return def, false, nil
}

// stateBatch is the batch size of the first state with a batch axis (0 when none has one).
func stateBatch(tree *Tree) int {
	for _, v := range tree.States() {
		if v.BatchAxis >= 0 && v.has() && v.BatchAxis < v.Shape().Rank() {
			return v.Shape().Dimensions[v.BatchAxis]
		}
	}
	return 0
}

// largestWeight is the number of elements of the largest float parameter.
func largestWeight(tree *Tree) int {
	n := 0
	for _, v := range tree.Vars {
		if v.Kind == Param && v.has() && v.Shape().DType.IsFloat() {
			n = max(n, v.Shape().Size())
		}
	}
	return n
}

// toHost detaches tensors that live on a backend other than b: their values move to the host,
// from where whichever backend uses them next reads them. GoMLX refuses to use one tensor on two
// backend instances, and a runner on auto's XLA backend shares variables and tensors with code
// that computes on the process's backend.
func toHost(b compute.Backend, ts ...*tensors.Tensor) error {
	for _, t := range ts {
		if t == nil {
			continue
		}
		if tb, err := t.Backend(); err == nil && tb != b {
			if err := t.ToLocal(); err != nil {
				return err
			}
		}
	}
	return nil
}
