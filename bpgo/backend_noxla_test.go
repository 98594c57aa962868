//go:build !xla

package bpgo

import (
	"slices"
	"strings"
	"testing"
)

// Without the xla tag, auto is the Go backend and every XLA spec says how to link XLA.
func TestXLANotLinked(t *testing.T) {
	if XLALinked || !slices.Equal(DefaultOrder, []string{"go"}) {
		t.Fatalf("XLALinked %v, DefaultOrder %v; want false, [go]", XLALinked, DefaultOrder)
	}
	for _, spec := range []string{"xla", "xla:cpu", "xla:cuda", "xla:/opt/pjrt_c_api_cuda_plugin.so"} {
		_, err := newBackend(spec)
		if err == nil {
			t.Fatalf("%s: no error", spec)
		}
		for _, want := range []string{"built without XLA", "%goflags -tags=xla", "-tags xla", "BPGO_BACKEND=go"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q lacks %q", spec, err, want)
			}
		}
	}
}
