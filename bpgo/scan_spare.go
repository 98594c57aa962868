package bpgo

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// spares are the large device buffers of a Grad's scan loops (stored states, a Projector's
// projections, monitors and their cotangents), kept from one training step to the next. Each
// loop takes its buffers as donated inputs that the graph names as aliases of its outputs
// (graph names "[bpgo-alias p:o,...]", bpgo/third_party/README.md), so XLA writes the outputs
// in place: without that it allocates them at every call, and glibc maps and the kernel zeroes
// every page of them (on e-prop's T = 2250 network about 100,000 page faults a step). The cost
// is that a Grad holds them between steps, until Grad.Release or gradScan.finalize.
//
// A loop takes (take) what an earlier loop of this step or of the last one is done with (put);
// buffers that a whole step leaves idle are freed when it ends, so a change of shape (another
// T) keeps no stale ones.
type spares struct {
	free []*tensors.Tensor
	idle map[*tensors.Tensor]bool // free since the step began and not taken since
}

// begin starts a step.
func (s *spares) begin() {
	s.idle = map[*tensors.Tensor]bool{}
	for _, t := range s.free {
		s.idle[t] = true
	}
}

// end frees the buffers the step did not use.
func (s *spares) end() {
	kept := s.free[:0]
	for _, t := range s.free {
		if s.idle[t] {
			_ = t.FinalizeAll()
		} else {
			kept = append(kept, t)
		}
	}
	clear(s.free[len(kept):])
	s.free, s.idle = kept, nil
}

// take returns free buffers of the given shapes, made on the device (zeros) where none is.
func (s *spares) take(b compute.Backend, want []shapes.Shape) ([]*tensors.Tensor, error) {
	out := make([]*tensors.Tensor, len(want))
	var missing []int
	for i, shape := range want {
		j := slices.IndexFunc(s.free, func(t *tensors.Tensor) bool { return t.Shape().Equal(shape) })
		if j < 0 {
			missing = append(missing, i)
			continue
		}
		out[i] = s.free[j]
		delete(s.idle, out[i])
		s.free = slices.Delete(s.free, j, j+1)
	}
	if len(missing) == 0 {
		return out, nil
	}
	made, err := graph.ExecOnceN(b, func(g *graph.Graph, _ []*graph.Node) []*graph.Node {
		zs := make([]*graph.Node, len(missing))
		for k, i := range missing {
			zs[k] = graph.Zeros(g, want[i])
		}
		return zs
	})
	if err != nil {
		return nil, fmt.Errorf("allocating the scan's buffers: %w", err)
	}
	for k, i := range missing {
		out[i] = made[k]
	}
	return out, nil
}

// put gives buffers back once nothing reads them any more.
func (s *spares) put(groups ...[]*tensors.Tensor) {
	for _, ts := range groups {
		s.free = append(s.free, ts...)
	}
}

// release frees every buffer.
func (s *spares) release() {
	release(s.free)
	s.free, s.idle = nil, nil
}

// aliasRun is n parameters from param on that may share their buffers with the n outputs from
// out on, in order.
type aliasRun struct{ param, out, n int }

// aliased names a graph whose parameters may share their buffers with outputs, run by run: the
// XLA backend's patch (bpgo/third_party/go-xla) writes an output into its parameter's buffer
// when the caller donates the parameter; other backends ignore the name.
func aliased(name string, runs ...aliasRun) string {
	var pairs []string
	for _, r := range runs {
		for i := range r.n {
			pairs = append(pairs, fmt.Sprintf("%d:%d", r.param+i, r.out+i))
		}
	}
	if len(pairs) == 0 {
		return name
	}
	return name + "[bpgo-alias " + strings.Join(pairs, ",") + "]"
}
