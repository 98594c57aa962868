package bpgo_test

import (
	"strings"
	"testing"

	"github.com/bpgo/bpgo/bpgo"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// leaky is a tiny stateful module: h ← a·h + x, output h·w. It exercises state carried across
// steps and chunks, a parameter, and records.
type leaky struct {
	A float64
	H *bpgo.Variable
	W *bpgo.Variable
}

func newLeaky(a float64, batch int) *leaky {
	w, _ := bpgo.FromFloat64s(bpgo.FloatDType(), []float64{2}, 1)
	return &leaky{A: a, H: bpgo.NewState(bpgo.Zeros(batch, 1), 0), W: bpgo.NewParam(w, false)}
}

func (l *leaky) ResetState(batch int) { l.H.Reset(bpgo.Zeros(batch, 1)) }

func (l *leaky) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	h := graph.Add(graph.MulScalar(ctx.Value(l.H), l.A), x)
	ctx.Set(l.H, h)
	if ctx.Fitting() {
		ctx.Record(l, x)
	}
	return graph.Mul(h, graph.InsertAxes(ctx.Value(l.W), 0))
}

func seq(t *testing.T, b, n int) *tensors.Tensor {
	t.Helper()
	v := make([]float64, b*n)
	for i := range v {
		v[i] = float64(i%7) - 3
	}
	s, err := bpgo.FromFloat64s(bpgo.FloatDType(), v, b, n, 1)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func hand(a float64, x []float64, b, n int) []float64 {
	out := make([]float64, len(x))
	for i := range b {
		h := 0.0
		for t := range n {
			h = a*h + x[i*n+t]
			out[i*n+t] = 2 * h
		}
	}
	return out
}

// TestRunnerChunksAndState checks the runner against a hand loop for several chunk sizes
// (including ones that leave a remainder) and that state continues from run to run.
func TestRunnerChunksAndState(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const b, n = 2, 23
	in := seq(t, b, n)
	want := hand(0.5, bpgo.ToFloat64s(in), b, n)
	for _, chunk := range []int{1, 5, 23, 100} {
		m := newLeaky(0.5, b)
		r, err := bpgo.NewRunner(m, bpgo.RunnerOptions{Chunk: chunk})
		if err != nil {
			t.Fatal(err)
		}
		out, err := r.Run(in, bpgo.RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if d := out.Shape().Dimensions; d[0] != b || d[1] != n || d[2] != 1 {
			t.Fatalf("chunk %d: output shape %v", chunk, d)
		}
		got := bpgo.ToFloat64s(out)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("chunk %d: output %d = %v, want %v", chunk, i, got[i], want[i])
			}
		}
		// A second run continues from the final state: the first output is a·h_end + x_0.
		hEnd := m.H.Float64s()
		again, err := r.Run(in, bpgo.RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		x0 := bpgo.ToFloat64s(in)[0]
		if g := bpgo.ToFloat64s(again)[0]; g != 2*(0.5*hEnd[0]+x0) {
			t.Fatalf("chunk %d: state did not carry over: %v, want %v", chunk, g, 2*(0.5*hEnd[0]+x0))
		}
		reset, _ := r.Run(in, bpgo.RunOptions{ResetState: true})
		if g := bpgo.ToFloat64s(reset)[n-1]; g != want[n-1] {
			t.Fatalf("chunk %d: ResetState run differs: %v vs %v", chunk, g, want[n-1])
		}
	}
}

func TestRunnerRecordsAndChunks(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	m := newLeaky(0.9, 1)
	r, _ := bpgo.NewRunner(m, bpgo.RunnerOptions{Chunk: 4})
	in := seq(t, 1, 10)
	var starts []int
	var recorded []float64
	_, err := r.Run(in, bpgo.RunOptions{Fit: true, DiscardOutputs: true, OnChunk: func(c *bpgo.Chunk) error {
		starts = append(starts, c.Start)
		recorded = append(recorded, bpgo.ToFloat64s(c.Records[m])...)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(starts) != 3 || starts[2] != 8 {
		t.Fatalf("chunk starts %v, want [0 4 8]", starts)
	}
	x := bpgo.ToFloat64s(in)
	for i := range x {
		if recorded[i] != x[i] {
			t.Fatalf("records %v, want the inputs %v", recorded, x)
		}
	}
}

func TestRunnerErrors(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	m := newLeaky(0.5, 1)
	r, err := bpgo.NewRunner(m, bpgo.RunnerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nan, _ := bpgo.FromFloat64s(dtypes.Float64, []float64{1, 2, nan()}, 1, 3, 1)
	f32 := tensors.FromFlatDataAndDimensions([]float32{1, 2}, 1, 2, 1)
	rank2, _ := bpgo.FromFloat64s(dtypes.Float64, []float64{1, 2}, 2, 1)
	for _, c := range []struct {
		name string
		in   *tensors.Tensor
		msg  string
	}{
		{"nil", nil, "got nil"},
		{"rank", rank2, "rank 3"},
		{"dtype", f32, "got dtype Float32"},
		{"nan", nan, "NaN"},
		{"batch", seq(t, 3, 2), "batch size 1 but inputs have batch size 3"},
	} {
		if _, err := r.Run(c.in, bpgo.RunOptions{}); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.msg)
		}
	}
	if _, err := bpgo.NewRunner(m, bpgo.RunnerOptions{Chunk: -1}); err == nil {
		t.Error("negative chunk accepted")
	}
	bpgo.DisableX64()
	if _, err := bpgo.NewRunner(m, bpgo.RunnerOptions{}); err == nil || !strings.Contains(err.Error(), "EnableX64") {
		t.Errorf("float64 model under float32 runtime: error %v", err)
	}
}

func nan() float64 { z := 0.0; return z / z }

type tree struct {
	A, B *leaky
	c    *leaky
	List []*leaky
	skip *leaky `bpgo:"-"`
}

func TestWalk(t *testing.T) {
	shared := newLeaky(0.1, 1)
	m := &tree{A: shared, B: shared, c: newLeaky(0.2, 1), List: []*leaky{newLeaky(0.3, 1)}, skip: newLeaky(0.4, 1)}
	tr, err := bpgo.Walk(m)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range tr.Vars {
		names = append(names, v.Name())
	}
	want := "A.H A.W c.H c.W List.0.H List.0.W"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("variables %q, want %q", got, want)
	}
	if len(tr.Modules) != 4 || len(tr.States()) != 3 || len(tr.Params(false)) != 3 || len(tr.Params(true)) != 0 {
		t.Errorf("modules %d, states %d, params %d", len(tr.Modules), len(tr.States()), len(tr.Params(false)))
	}
	if _, err := bpgo.Walk(*m); err == nil {
		t.Error("Walk of a struct value must fail")
	}
	if err := bpgo.ResetState(m, 0); err == nil {
		t.Error("ResetState(0) must fail")
	}
}

func TestVariableSetValue(t *testing.T) {
	v := bpgo.NewState(tensors.FromShape(tensorsShape(2, 3)), 0)
	if err := v.SetValue(tensors.FromShape(tensorsShape(5, 3))); err != nil {
		t.Errorf("state may change its batch axis: %v", err)
	}
	if err := v.SetValue(tensors.FromShape(tensorsShape(5, 4))); err == nil {
		t.Error("state must keep its feature axis")
	}
	p := bpgo.NewParam(tensors.FromShape(tensorsShape(2, 3)), true)
	if err := p.SetValue(tensors.FromShape(tensorsShape(3, 3))); err == nil {
		t.Error("parameters must keep their shape")
	}
	if err := p.SetValue(tensors.FromFlatDataAndDimensions(make([]float64, 6), 2, 3)); err == nil {
		t.Error("parameters must keep their dtype")
	}
}

func TestSequence(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	s, err := bpgo.Sequence([]float64{1, 2}, []float64{3, 4})
	if err != nil {
		t.Fatal(err)
	}
	if got := bpgo.ToFloat64s(s); got[0] != 1 || got[1] != 3 || got[2] != 2 || got[3] != 4 {
		t.Errorf("Sequence = %v, want [1 3 2 4]", got)
	}
	if _, err := bpgo.Sequence([]float64{1}, []float64{1, 2}); err == nil {
		t.Error("unequal columns accepted")
	}
	if _, err := bpgo.Sequence(); err == nil {
		t.Error("no columns accepted")
	}
}

func TestRuntimeSettings(t *testing.T) {
	if err := bpgo.SetDt(-1); err == nil {
		t.Error("SetDt(-1) accepted")
	}
	if err := bpgo.SetMode(bpgo.DefaultMode); err == nil {
		t.Error("SetMode(DefaultMode) accepted")
	}
	bpgo.SetSeed(7)
	a := bpgo.NewRNG().Uint64()
	bpgo.SetSeed(7)
	if b := bpgo.NewRNG().Uint64(); a != b {
		t.Error("the same seed must give the same stream")
	}
	bpgo.SetSeed(0)
}

// replacer resets by replacing its variable: the runner must notice and use the new one.
type replacer struct{ *leaky }

func (r *replacer) ResetState(batch int) { r.H = bpgo.NewState(bpgo.Zeros(batch, 1), 0) }

func TestRunnerSeesReplacedVariables(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	m := &replacer{newLeaky(0.5, 1)}
	r, _ := bpgo.NewRunner(m, bpgo.RunnerOptions{Chunk: 3})
	in := seq(t, 1, 5)
	first, _ := r.Run(in, bpgo.RunOptions{})
	again, err := r.Run(in, bpgo.RunOptions{ResetState: true})
	if err != nil {
		t.Fatal(err)
	}
	a, b := bpgo.ToFloat64s(first), bpgo.ToFloat64s(again)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("after replacing the state variable: %v, want %v", b, a)
		}
	}
}

// TestRunnerMonitorsAndTimeFirst: monitors come back (B, T, ...) with "ts" starting at 0 after a
// reset and continuing across runs; TimeFirst runs take and give (T, B, ...).
func TestRunnerMonitorsAndTimeFirst(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const b, n = 2, 7
	in := seq(t, b, n)
	want := hand(0.5, bpgo.ToFloat64s(in), b, n) // outputs are 2h
	m := newLeaky(0.5, b)
	r, err := bpgo.NewRunner(m, bpgo.RunnerOptions{Chunk: 3, Dt: 0.5, Monitors: []string{"H"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(in, bpgo.RunOptions{ResetState: true}); err != nil {
		t.Fatal(err)
	}
	h := r.Mon["H"]
	if d := h.Shape().Dimensions; len(d) != 3 || d[0] != b || d[1] != n || d[2] != 1 {
		t.Fatalf("monitor shape %v", d)
	}
	for i, v := range bpgo.ToFloat64s(h) {
		if v != want[i]/2 {
			t.Fatalf("H[%d] = %v, want %v", i, v, want[i]/2)
		}
	}
	if ts := bpgo.ToFloat64s(r.Mon["ts"]); ts[0] != 0 || ts[n-1] != 0.5*(n-1) {
		t.Errorf("ts %v", ts)
	}
	if _, err := r.Run(in, bpgo.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if ts := bpgo.ToFloat64s(r.Mon["ts"]); ts[0] != 0.5*n {
		t.Errorf("second run without reset: ts starts at %v, want %v", ts[0], 0.5*n)
	}

	// Time-first: the same data transposed gives the transposed outputs and monitors.
	m2 := newLeaky(0.5, b)
	r2 := bpgo.Must1(bpgo.NewRunner(m2, bpgo.RunnerOptions{Chunk: 3, Monitors: []string{"H"}, Layout: bpgo.TimeFirst}))
	out, err := r2.Run(bpgo.SwapLeadingAxes(in), bpgo.RunOptions{ResetState: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := out.Shape().Dimensions; d[0] != n || d[1] != b {
		t.Fatalf("time-first output shape %v", d)
	}
	got := bpgo.ToFloat64s(bpgo.SwapLeadingAxes(out))
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("time-first output differs at %d: %v vs %v", i, got[i], want[i])
		}
	}
	if d := r2.Mon["H"].Shape().Dimensions; d[0] != n || d[1] != b {
		t.Errorf("time-first monitor shape %v", d)
	}
	if _, err := bpgo.NewRunner(m2, bpgo.RunnerOptions{Monitors: []string{"W"}}); err == nil || !strings.Contains(err.Error(), "parameter") {
		t.Errorf("monitoring a parameter: %v", err)
	}
	if _, err := bpgo.NewRunner(m2, bpgo.RunnerOptions{Monitors: []string{"H", "H"}}); err == nil {
		t.Error("duplicate monitor accepted")
	}
}

// TestRunnerKeepsTensorsItHandedOut: the runner donates the states it threads from chunk to
// chunk to the next call (their buffers are reused), but never a tensor the caller can hold:
// the value a variable had before the run, and the values OnChunk sees, stay readable and
// unchanged after the run, sharded or not.
func TestRunnerKeepsTensorsItHandedOut(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const b, n, chunk = 4, 23, 5
	in := seq(t, b, n)
	want := hand(0.5, bpgo.ToFloat64s(in), b, n)
	for _, shards := range []int{1, 2} {
		m := newLeaky(0.5, b)
		h0 := m.H.Value()
		r, err := bpgo.NewRunner(m, bpgo.RunnerOptions{Chunk: chunk, Shards: shards})
		if err != nil {
			t.Fatal(err)
		}
		var seen []*tensors.Tensor
		opts := bpgo.RunOptions{}
		if shards == 1 {
			opts.OnChunk = func(c *bpgo.Chunk) error { seen = append(seen, m.H.Value()); return nil }
		}
		out, err := r.Run(in, opts)
		if err != nil {
			t.Fatal(err)
		}
		for i, g := range bpgo.ToFloat64s(out) {
			if g != want[i] {
				t.Fatalf("shards %d: output %d = %v, want %v", shards, i, g, want[i])
			}
		}
		for i, v := range bpgo.ToFloat64s(h0) {
			if v != 0 {
				t.Fatalf("shards %d: the state's value before the run changed: element %d = %v", shards, i, v)
			}
		}
		for c, s := range seen {
			end := min((c+1)*chunk, n) - 1
			for i, v := range bpgo.ToFloat64s(s) {
				if v != want[i*n+end]/2 {
					t.Fatalf("chunk %d: the state OnChunk saw reads %v for sample %d, want %v", c, v, i, want[i*n+end]/2)
				}
			}
		}
		if shards == 1 && len(seen) != 5 {
			t.Fatalf("OnChunk ran %d times, want 5", len(seen))
		}
	}
}

// shapeReader reads its state variable's value while the graph is built, as models.ClosedLoop
// does (it checks the model's output against it).
type shapeReader struct{ H *bpgo.Variable }

func (s *shapeReader) ResetState(batch int) { s.H.Reset(bpgo.Zeros(batch, 1)) }

func (s *shapeReader) Update(ctx *bpgo.Context, x *graph.Node) *graph.Node {
	h := graph.Add(ctx.Value(s.H), x)
	if !h.Shape().Equal(s.H.Shape()) {
		panic("shapeReader: state of shape " + s.H.Shape().String() + ", step value " + h.Shape().String())
	}
	ctx.Set(s.H, h)
	return h
}

// TestRunnerDonatesOnlyToBuiltGraphs: a chunk whose length is new (the remainder of 23 steps in
// chunks of 5) builds a graph, which runs Update, which reads the state's value: the runner must
// not have donated that value to the call (on XLA a donated tensor is gone). The sum h_t = Σ x.
func TestRunnerDonatesOnlyToBuiltGraphs(t *testing.T) {
	bpgo.EnableX64()
	defer bpgo.DisableX64()
	const n = 23
	m := &shapeReader{H: bpgo.NewState(bpgo.Zeros(1, 1), 0)}
	r, err := bpgo.NewRunner(m, bpgo.RunnerOptions{Chunk: 5, Shards: 1, Engine: bpgo.EngineUnrolled})
	if err != nil {
		t.Fatal(err)
	}
	in := seq(t, 1, n)
	for run := range 2 { // the second run starts from the first one's state
		out, err := r.Run(in, bpgo.RunOptions{})
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		x, got, h := bpgo.ToFloat64s(in), bpgo.ToFloat64s(out), 0.0
		if run == 1 {
			for _, v := range x {
				h += v
			}
		}
		for i := range n {
			h += x[i]
			if got[i] != h {
				t.Fatalf("run %d, step %d: %v, want %v", run, i, got[i], h)
			}
		}
	}
}
