package bpgo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewBackendSpecs(t *testing.T) {
	t.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	b, err := newBackend("go")
	if err != nil || !strings.HasPrefix(BackendName(b), "go") {
		t.Fatalf("go backend: %v, %v", b, err)
	}
	if b, err := newBackend("auto"); err != nil || !strings.HasPrefix(BackendName(b), DefaultOrder[0]) {
		t.Errorf("auto: %v (%v), want the first of %v", b, err, DefaultOrder)
	}
	for spec, msg := range map[string]string{
		"tpu":                           "is not a backend",
		"go:bogus":                      "unknown configuration option",
		"xla:/no/such/dir/pjrt_x.so":    "no such file",
		"xla:/no/such/dir/pjrt_cpu.so2": PluginHelp[:40],
		"xla:/no/such/dir/pjrt_c_api_cuda_plugin.so": CUDAPluginHelp[:40],
		"xla:cuda": CUDAPluginHelp[:40], // not installed here (and no download: see below)
	} {
		if _, err := newBackend(spec); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want one containing %q", spec, err, msg)
		}
	}
}

// TestXLAPlugin runs when a plugin is installed (make setup): it must load, report a recent
// PJRT API, and compute.
func TestXLAPlugin(t *testing.T) {
	dir := os.Getenv("PJRT_PLUGIN_LIBRARY_PATH")
	if dir == "" {
		t.Skip("PJRT_PLUGIN_LIBRARY_PATH not set: no XLA plugin to test")
	}
	so := filepath.Join(dir, "pjrt_c_api_cpu_plugin.so")
	if _, err := os.Stat(so); err != nil {
		t.Skipf("no plugin at %s", so)
	}
	b, err := newBackend("xla:cpu")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(BackendName(b), "xla") {
		t.Errorf("backend %q, want xla", BackendName(b))
	}
	if err := checkPluginVersion("cpu"); err != nil {
		t.Error(err)
	}
}
