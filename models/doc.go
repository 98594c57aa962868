// Package models holds the building blocks of bpgo models, named as BrainPy users know them:
// layers (Dense/Linear), reservoirs (NVAR), recurrent cells (RNNCell, GRUCell, LSTMCell from
// BrainPy 2.4.3, and the old 2.1.12 VanillaRNN), and later neurons and synapses.
//
// The recurrent cells also come as pure step functions over graph nodes (RNNStep, GRUStep,
// LSTMStep taking the input, the previous state and CellWeights), for models that keep their
// own variables; ActivationByName gives BrainPy's activation functions by name ("relu",
// "tanh", "sigmoid", "identity", ...).
//
// Each module is a struct with exported variables (*bpgo.Variable), a validating constructor
// taking a typed options record, and an Update method that builds one time step of the graph.
//
// # Options and defaults
//
// Options records carry their defaults in values, not sentinels. Every record has a function
// returning BrainPy's defaults (LifDefaults, LifRefDefaults, ALIFDefaults, LeakyDefaults,
// IntegratorDefaults, ExponDefaults, DualExponDefaults, AlphaDefaults, DenseDefaults,
// NVARDefaults, RNNCellDefaults, GRUCellDefaults, LSTMCellDefaults, VanillaRNNDefaults); start
// from it and change what differs:
//
//	p := models.LifDefaults()
//	p.VReset = 0
//	lif, err := models.NewLif(100, p)
//
// Constructors use every field as given, so 0 means 0 (V_reset = 0, R = 0, β = 0). A field
// whose 0 is meaningless (a time constant, NVAR's stride) is an error that names the field and
// BrainPy's default, e.g. "models.NewLif: LifOptions.Tau: want > 0 ms, got 0 (BrainPy's
// default is 10: start from models.LifDefaults())". Nil initializers and surrogate functions
// and an empty activation name still stand for the documented default (nil is never meant as
// anything else), and Mode: bpgo.DefaultMode means the global mode; the Defaults records spell
// them out. Initializers and surrogates are validated by the constructors too.
//
// # Models
//
// A user model is a struct of modules with its own Update, like a BrainPy DynamicalSystem
// subclass:
//
//	type NGRC struct {
//		R *models.NVAR
//		O *models.Dense
//	}
//
//	func (m *NGRC) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
//		return m.O.Update(ctx, m.R.Update(ctx, x))
//	}
package models
