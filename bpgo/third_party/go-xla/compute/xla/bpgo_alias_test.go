package xla

// Tests of bpgo's patch (bpgo_alias.go). They need the XLA CPU plugin: bpgo's kernel/setup.sh
// installs it, and tests/third_party/check-compute-patch.sh runs them with
// PJRT_PLUGIN_LIBRARY_PATH set. The patch can go when GoMLX can declare that an output may be
// written into a donated input's buffer: TestBpgoAliasDonated then fails without the name.

import (
	"os"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

func bpgoAliasBackend(t *testing.T) *Backend {
	t.Helper()
	if os.Getenv("PJRT_PLUGIN_LIBRARY_PATH") == "" {
		t.Skip("PJRT_PLUGIN_LIBRARY_PATH not set: no XLA CPU plugin to test with")
	}
	b, err := NewWithOptions("cpu", nil)
	if err != nil {
		t.Fatalf("loading the CPU plugin: %v", err)
	}
	t.Cleanup(b.Finalize)
	return b
}

// bpgoAliasAddOne compiles name: (x (n), y (m)) → (x+1, y·2), float32.
func bpgoAliasAddOne(t *testing.T, b *Backend, name string, n, m int) (compute.Executable, error) {
	t.Helper()
	builder := b.Builder(name)
	fn := builder.Main()
	must := func(v compute.Value, err error) compute.Value {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	x := must(fn.Parameter("x", shapes.Make(dtypes.Float32, n), nil))
	y := must(fn.Parameter("y", shapes.Make(dtypes.Float32, m), nil))
	one := must(fn.BroadcastInDim(must(fn.Constant([]float32{1})), shapes.Make(dtypes.Float32, n), nil))
	two := must(fn.BroadcastInDim(must(fn.Constant([]float32{2})), shapes.Make(dtypes.Float32, m), nil))
	if err := fn.Return([]compute.Value{must(fn.Add(x, one)), must(fn.Mul(y, two))}, nil); err != nil {
		t.Fatal(err)
	}
	return builder.Compile()
}

func bpgoAliasCompile(t *testing.T, b *Backend, name string, n int) compute.Executable {
	t.Helper()
	exec, err := bpgoAliasAddOne(t, b, name, n, n)
	if err != nil {
		t.Fatalf("compiling %q: %v", name, err)
	}
	t.Cleanup(exec.Finalize)
	return exec
}

// TestBpgoAliasDonated: with "[bpgo-alias 1:0]" a donated y's buffer holds x+1 afterwards (the
// same memory), x's does not; without the name no output reuses an input's memory.
func TestBpgoAliasDonated(t *testing.T) {
	b := bpgoAliasBackend(t)
	const n = 1 << 16 // 256 KB: a fresh buffer would not land on a just-freed one by chance
	for _, tc := range []struct {
		name  string
		alias bool
	}{{"plain", false}, {"aliased[bpgo-alias 1:0]", true}} {
		exec := bpgoAliasCompile(t, b, tc.name, n)
		xs, ys := make([]float32, n), make([]float32, n)
		for i := range xs {
			xs[i], ys[i] = float32(i), float32(-i)
		}
		xb, _ := b.BufferFromFlatData(0, xs, shapes.Make(dtypes.Float32, n))
		yb, _ := b.BufferFromFlatData(0, ys, shapes.Make(dtypes.Float32, n))
		yPtr, err := yb.(*Buffer).pjrtBuffer.UnsafePointer()
		if err != nil {
			t.Fatal(err)
		}
		outs, err := exec.Execute([]compute.Buffer{xb, yb}, []bool{false, true}, 0)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := make([]float32, n)
		if err := outs[0].ToFlatData(got); err != nil {
			t.Fatal(err)
		}
		for i, v := range got {
			if v != xs[i]+1 {
				t.Fatalf("%s: x+1 at %d = %g, want %g", tc.name, i, v, xs[i]+1)
			}
		}
		outPtr, err := outs[0].(*Buffer).pjrtBuffer.UnsafePointer()
		if err != nil {
			t.Fatal(err)
		}
		if (outPtr == yPtr) != tc.alias {
			t.Errorf("%s: x+1 written into y's buffer: %v, want %v", tc.name, outPtr == yPtr, tc.alias)
		}
		// x was not donated: still readable and unchanged.
		if err := xb.ToFlatData(got); err != nil || got[7] != 7 {
			t.Errorf("%s: x after the call: %v, %g", tc.name, err, got[7])
		}
	}
}

// TestBpgoAliasNotDonated: an aliased parameter that the caller keeps is copied first.
func TestBpgoAliasNotDonated(t *testing.T) {
	b := bpgoAliasBackend(t)
	exec := bpgoAliasCompile(t, b, "kept[bpgo-alias 0:0]", 8)
	xs := []float32{1, 2, 3, 4, 5, 6, 7, 8}
	xb, _ := b.BufferFromFlatData(0, xs, shapes.Make(dtypes.Float32, 8))
	yb, _ := b.BufferFromFlatData(0, xs, shapes.Make(dtypes.Float32, 8))
	outs, err := exec.Execute([]compute.Buffer{xb, yb}, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float32, 8)
	if err := xb.ToFlatData(got); err != nil || got[0] != 1 {
		t.Errorf("x after the call: %v, %g, want 1", err, got[0])
	}
	if err := outs[0].ToFlatData(got); err != nil || got[0] != 2 {
		t.Errorf("x+1: %v, %g, want 2", err, got[0])
	}
}

// TestBpgoAliasBadSpec: pairs out of range, of different shapes or repeated are refused by name.
func TestBpgoAliasBadSpec(t *testing.T) {
	b := bpgoAliasBackend(t)
	for spec, want := range map[string]string{
		"[bpgo-alias 2:0]":     "within 2 parameters and 2 outputs",
		"[bpgo-alias 0:x]":     "want parameter:output",
		"[bpgo-alias 0:0,0:1]": "named twice",
		"[bpgo-alias 1:0]":     "parameter 1 is (Float32)[4] but output 0 is (Float32)[8]",
	} {
		_, err := bpgoAliasAddOne(t, b, "bad"+spec, 8, 4)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", spec, err, want)
		}
	}
}
