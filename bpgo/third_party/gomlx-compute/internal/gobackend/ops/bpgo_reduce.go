package ops

// bpgo patch (see bpgo/third_party/README.md in bpgo's repository): the executor's fusion pass
// (gobackend's bpgo_fuse.go) folds a ReduceSum over the leading axis into the fused tree that
// feeds it, and reads the reduced axes through this method (gobackend cannot import ops).

// BpgoReducedAxes returns the reduced axes, sorted.
func (c *ReduceConfig) BpgoReducedAxes() []int { return c.Axes }
