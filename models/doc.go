// Package models holds the building blocks of bpgo models, named as BrainPy users know them:
// layers (Dense/Linear, LinearReadout), reservoirs (Reservoir, NVAR), recurrent cells (RNNCell, GRUCell, LSTMCell from
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
// NVARDefaults, ReservoirDefaults, LinearReadoutDefaults, RNNCellDefaults, GRUCellDefaults,
// LSTMCellDefaults, VanillaRNNDefaults); start from it and change what differs:
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
//
// # Node graphs
//
// BrainPy 2.1.12 builds models from nodes with the operators >> (feedforward), << (feedback)
// and & (merge). Their Go form is a value built with Feedforward, Feedback and Edges.And, turned
// into a model by NewNetwork, which checks it (sizes, cycles, feedback direction) and names the
// nodes like BrainPy (Input0, Reservoir0, LinearReadout0):
//
//	i, _ := models.NewInput(3)
//	r, _ := models.NewReservoir(3, 400, ro)                 // ro.NumFeedback = 3
//	o, _ := models.NewLinearReadout(400, 3, models.LinearReadoutDefaults())
//	net, err := models.NewNetwork(
//		models.Feedforward(i, r, o).And(models.Feedback(r, o))) // (i >> r >> o) & (r << o)
//
// A feedback edge carries the sender's output of the previous step (zeros after a reset), as in
// BrainPy. A Network is a bpgo.Stepper: runners and trainers (Ridge, Online, BPTT) take it as
// the model, and a struct with its own Update can hold it as a field. Network.NodeGraph
// describes it for visualize.NodeGraph (model.plot_node_graph()). ClosedLoop runs a trained
// one-step forecaster on its own output (generative mode).
package models
