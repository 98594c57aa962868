package xla

// bpgo patch (see bpgo/third_party/README.md in bpgo's repository): parameters that share their
// buffer with an output.
//
// GoMLX has no way to say that an output may be written into an input's buffer, so XLA
// allocates every output afresh, and glibc maps and the kernel zeroes every large one at each
// call. A computation whose name contains "[bpgo-alias p:o,...]" (bpgo names its graphs so)
// gets StableHLO's tf.aliasing_output on its main function's parameter p for output o, for each
// pair: a caller that donates p gets o written into p's buffer; without donation the runtime
// copies p first, so results never depend on it.

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

var bpgoAliasSpec = regexp.MustCompile(`\[bpgo-alias ([^]]*)\]`)

// bpgoAliases sets tf.aliasing_output on the parameters that the builder's name pairs with
// outputs, checking each pair: indices in range, equal shapes, each parameter and output once.
func (b *Builder) bpgoAliases() error {
	m := bpgoAliasSpec.FindStringSubmatch(b.name)
	if m == nil {
		return nil
	}
	ins, outs := b.mainFn.fn.Inputs, b.mainFn.outputs
	usedIn, usedOut := map[int]bool{}, map[int]bool{}
	for _, pair := range strings.Split(m[1], ",") {
		ps, os, ok := strings.Cut(pair, ":")
		p, errP := strconv.Atoi(ps)
		o, errO := strconv.Atoi(os)
		if !ok || errP != nil || errO != nil || p < 0 || p >= len(ins) || o < 0 || o >= len(outs) {
			return errors.Errorf("computation %q: alias %q: want parameter:output, within %d parameters and %d outputs",
				b.name, pair, len(ins), len(outs))
		}
		if usedIn[p] || usedOut[o] {
			return errors.Errorf("computation %q: alias %q: parameter %d or output %d named twice", b.name, pair, p, o)
		}
		usedIn[p], usedOut[o] = true, true
		if in, out := ins[p].Shape(), outs[o].value.Shape(); !in.Equal(out) {
			return errors.Errorf("computation %q: alias %q: parameter %d is %s but output %d is %s", b.name, pair, p, in, o, out)
		}
		if ins[p].Attributes == nil {
			ins[p].Attributes = map[string]any{}
		}
		ins[p].Attributes["tf.aliasing_output"] = int32(o)
	}
	return nil
}
