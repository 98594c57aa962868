package bpgo

// ScanStoredStates returns the states g's scan engine stores for its backward loop, once a
// training step has run (nil before): see scanStep.readStates.
func ScanStoredStates(g *Grad) []*Variable {
	if g.scanEx == nil {
		return nil
	}
	return g.scanEx.step.stored
}
