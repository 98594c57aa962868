package bpgo

import (
	"fmt"
	"strings"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// spares are the large device buffers of a Grad's scan loops (stored states, a Projector's
// projections, monitors and their cotangents), kept from one training step to the next. Each
// loop takes its buffers as donated inputs that the graph names as aliases of its outputs
// (graph names "[bpgo-alias p:o,...]", bpgo/third_party/README.md), so XLA writes the outputs
// in place: without that it allocates them at every call, and glibc maps and the kernel zeroes
// every page of them (on e-prop's T = 2250 network about 100,000 page faults a step). The cost
// is that a Grad holds them between steps; gradScan.finalize frees them.
//
// A step draws from what the step before it gave back (take, by shape) and gives back what it
// is done with (put); whatever it did not take is freed when it ends, so a change of shape
// (another T, a checkpointed run) keeps no stale buffers.
type spares struct {
	prev, next []*tensors.Tensor
}

// begin starts a step: the buffers the last step gave back are the ones take draws from.
func (s *spares) begin() {
	release(s.prev)
	s.prev, s.next = s.next, nil
}

// end frees what the step did not take.
func (s *spares) end() {
	release(s.prev)
	s.prev = nil
}

// take returns a buffer of the given shape given back by the last step, or a new one of zeros
// (on the host: donating it moves it to the device).
func (s *spares) take(shape shapes.Shape) *tensors.Tensor {
	for i, t := range s.prev {
		if t.Shape().Equal(shape) {
			s.prev = append(s.prev[:i], s.prev[i+1:]...)
			return t
		}
	}
	return tensors.FromShape(shape)
}

// put gives buffers back for the next step.
func (s *spares) put(groups ...[]*tensors.Tensor) {
	for _, ts := range groups {
		s.next = append(s.next, ts...)
	}
}

// free releases every buffer.
func (s *spares) free() {
	release(s.prev, s.next)
	s.prev, s.next = nil, nil
}

// aliased names a graph whose parameter p may share its buffer with output o, for each pair
// (p, o): the XLA backend's patch (bpgo/third_party/go-xla) writes o into p's buffer when the
// caller donates p; other backends ignore the name.
func aliased(name string, pairs [][2]int) string {
	if len(pairs) == 0 {
		return name
	}
	var b strings.Builder
	b.WriteString(name + "[bpgo-alias ")
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d:%d", p[0], p[1])
	}
	b.WriteByte(']')
	return b.String()
}
