package models

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// NVAROptions configure an NVAR. Fields are used as given; start from NVARDefaults().
type NVAROptions struct {
	// Order is the monomial order of the nonlinear part (>= 2), or 0 for none (BrainPy's
	// default order=None) unless Orders is set.
	Order int
	// Orders lists several orders (BrainPy's order=(2, 3)); use Order or Orders, not both.
	Orders []int
	// Stride is the distance in steps between taps, >= 1; BrainPy's default 1.
	Stride int
	// Constant adds a leading feature equal to 1.
	Constant bool
}

// NVARDefaults returns BrainPy's bp.dnn.NVAR defaults: no nonlinear part (order=None),
// stride 1, no constant feature.
func NVARDefaults() NVAROptions { return NVAROptions{Stride: 1} }

// NVAR is BrainPy's nonlinear vector autoregression (next-generation reservoir computing,
// Gauthier et al. 2021). Each step it outputs
//
//	[1 if Constant] ++ lin ++ monomials of lin of each order,
//
// where lin = [x(t), x(t-s), …, x(t-(k-1)s)] is delay-major, feature-minor, and the monomials of
// order n are the products lin[i1]·…·lin[in] over i1 ≤ … ≤ in in lexicographic order. History
// older than the first input reads zeros, so the first (k-1)·s outputs are zero-padded: warm the
// model up before scoring it, as the tutorials do.
//
// The delay buffer Store has shape (L, B, num_in) with L = 1 + (k-1)·s and the batch on axis 1,
// like BrainPy's; it is kept newest-first (BrainPy keeps a ring buffer with a pointer), which
// gives the same outputs.
type NVAR struct {
	NumIn, Delay, Stride int
	Orders               []int
	Constant             bool
	// Store is the delay buffer, newest input at index 0.
	Store *bpgo.Variable

	linearDim int
	monomials [][][]int32 // per order: per factor position, the lin index of each monomial
	numOut    int
}

// NewNVAR creates an NVAR over num_in inputs with delay k >= 1 taps.
func NewNVAR(numIn, delay int, opts NVAROptions) (*NVAR, error) {
	if numIn < 1 {
		return nil, fmt.Errorf("models.NewNVAR: numIn must be >= 1, got %d", numIn)
	}
	if delay < 1 {
		return nil, fmt.Errorf("models.NewNVAR: delay must be >= 1, got %d", delay)
	}
	if opts.Stride < 1 {
		return nil, fmt.Errorf("models.NewNVAR: NVAROptions.Stride: want >= 1, got %d (BrainPy's default is 1: start from models.NVARDefaults())", opts.Stride)
	}
	if opts.Order != 0 && len(opts.Orders) > 0 {
		return nil, fmt.Errorf("models.NewNVAR: set NVAROptions.Order or NVAROptions.Orders, not both")
	}
	orders := append([]int(nil), opts.Orders...)
	if opts.Order != 0 {
		orders = []int{opts.Order}
	}
	for _, o := range orders {
		if o < 2 {
			return nil, fmt.Errorf("models.NewNVAR: every order must be >= 2, got %v", orders)
		}
	}
	n := &NVAR{NumIn: numIn, Delay: delay, Stride: opts.Stride, Orders: orders, Constant: opts.Constant}
	n.linearDim = delay * numIn
	n.numOut = n.linearDim
	if opts.Constant {
		n.numOut++
	}
	for _, o := range orders {
		combos := multisets(n.linearDim, o)
		pos := make([][]int32, o)
		for p := range o {
			pos[p] = make([]int32, len(combos))
			for m, c := range combos {
				pos[p][m] = int32(c[p])
			}
		}
		n.monomials = append(n.monomials, pos)
		n.numOut += len(combos)
	}
	n.Store = bpgo.NewState(bpgo.Zeros(n.bufferLen(), 1, numIn), 1)
	return n, nil
}

// NumOut is the number of output features.
func (n *NVAR) NumOut() int { return n.numOut }

// LinearDim is k·num_in, the size of the linear part.
func (n *NVAR) LinearDim() int { return n.linearDim }

func (n *NVAR) bufferLen() int { return 1 + (n.Delay-1)*n.Stride }

// ResetState zeroes the delay buffer for a batch of the given size.
func (n *NVAR) ResetState(batch int) {
	n.Store.Reset(tensors.FromShape(shapes.Make(n.Store.Value().DType(), n.bufferLen(), batch, n.NumIn)))
}

// Update pushes x (B, num_in) into the delay buffer and returns the features (B, NumOut()).
func (n *NVAR) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	if x.Rank() != 2 || x.Shape().Dimensions[1] != n.NumIn {
		panic(fmt.Sprintf("models.NVAR: input shape %s, want (batch, %d)", x.Shape(), n.NumIn))
	}
	store := ctx.Value(n.Store)
	L := n.bufferLen()
	newest := graph.InsertAxes(x, 0)
	if L > 1 {
		store = graph.Concatenate([]*graph.Node{newest, graph.Slice(store, graph.AxisRange(0, L-1))}, 0)
	} else {
		store = newest
	}
	ctx.Set(n.Store, store)
	taps := make([]*graph.Node, n.Delay)
	for m := range n.Delay {
		taps[m] = graph.Squeeze(graph.SliceAxis(store, 0, graph.AxisElem(m*n.Stride)), 0)
	}
	lin := taps[0]
	if n.Delay > 1 {
		lin = graph.Concatenate(taps, 1) // delay-major, feature-minor
	}
	parts := []*graph.Node{}
	if n.Constant {
		parts = append(parts, graph.OnesLike(graph.Slice(lin, graph.AxisRange(), graph.AxisRange(0, 1))))
	}
	parts = append(parts, lin)
	if len(n.monomials) > 0 {
		linT := graph.Transpose(lin, 0, 1) // (D, B): Gather picks rows
		for _, pos := range n.monomials {
			var prod *graph.Node
			for _, idx := range pos {
				ix := graph.Const(x.Graph(), tensors.FromFlatDataAndDimensions(idx, len(idx), 1))
				f := graph.Gather(linT, ix) // (M, B)
				if prod == nil {
					prod = f
				} else {
					prod = graph.Mul(prod, f)
				}
			}
			parts = append(parts, graph.Transpose(prod, 0, 1))
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return graph.Concatenate(parts, 1)
}

// multisets lists the index tuples i1 <= … <= in over range(d) in lexicographic order, like
// Python's itertools.combinations_with_replacement(range(d), n).
func multisets(d, n int) [][]int {
	var out [][]int
	cur := make([]int, n)
	var rec func(pos, from int)
	rec = func(pos, from int) {
		if pos == n {
			out = append(out, append([]int(nil), cur...))
			return
		}
		for i := from; i < d; i++ {
			cur[pos] = i
			rec(pos+1, i)
		}
	}
	rec(0, 0)
	return out
}

// FeatureNames names the output features like BrainPy's get_feature_names: "1", then
// "x0(t)", "x1(t)", …, "x0(t-5)", …, then monomials such as "x0(t)^2" and "x0(t) x1(t)".
// With forPlot the names are LaTeX-like ("$x0_t$", "$x0_{t-5}$").
func (n *NVAR) FeatureNames(forPlot bool) []string {
	lin := make([]string, 0, n.linearDim)
	for m := range n.Delay {
		for i := range n.NumIn {
			switch {
			case forPlot && m == 0:
				lin = append(lin, fmt.Sprintf("$x%d_t$", i))
			case forPlot:
				lin = append(lin, fmt.Sprintf("$x%d_{t-%d}$", i, m*n.Stride))
			case m == 0:
				lin = append(lin, fmt.Sprintf("x%d(t)", i))
			default:
				lin = append(lin, fmt.Sprintf("x%d(t-%d)", i, m*n.Stride))
			}
		}
	}
	var names []string
	if n.Constant {
		names = append(names, "1")
	}
	names = append(names, lin...)
	for _, o := range n.Orders {
		for _, combo := range multisets(n.linearDim, o) {
			var terms []string
			for j := 0; j < len(combo); {
				k := j
				for k < len(combo) && combo[k] == combo[j] {
					k++
				}
				t := lin[combo[j]]
				if k-j > 1 {
					t += "^" + strconv.Itoa(k-j)
				}
				terms = append(terms, t)
				j = k
			}
			names = append(names, strings.Join(terms, " "))
		}
	}
	return names
}

// InSize is the number of inputs (num_in).
func (n *NVAR) InSize() int { return n.NumIn }

// OutSize is the number of features (NumOut).
func (n *NVAR) OutSize() int { return n.numOut }

// Recurrent marks the NVAR as a recurrent node (its delay buffer; a self-loop in a node graph).
func (n *NVAR) Recurrent() bool { return true }
