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
// taking a typed options struct whose zero values mean BrainPy's defaults, and an Update method
// that builds one time step of the graph. A user model is a struct of modules with its own
// Update, like a BrainPy DynamicalSystem subclass:
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
