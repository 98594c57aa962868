package models

import "github.com/bpgo/bpgo/bpgo/optim"

// Zero asks for the value 0 in an option field whose zero value means BrainPy's default, e.g.
// LifOptions{VReset: models.Zero} for V_reset = 0 (VReset: 0 would mean the default -5). It is
// the same sentinel as optim.Zero.
const Zero = optim.Zero
