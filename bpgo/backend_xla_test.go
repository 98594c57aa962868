//go:build xla

package bpgo

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/go-xla/compute/xla"
)

func TestXLASpecs(t *testing.T) {
	t.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	// auto's process backend is Go with XLA linked too; XLA comes per runner (TestAutoRunsBatchOneOnXLA).
	if !XLALinked || !slices.Equal(DefaultOrder, []string{"go"}) {
		t.Errorf("XLALinked %v, DefaultOrder %v; want true, [go]", XLALinked, DefaultOrder)
	}
	for spec, msg := range map[string]string{
		"xla:/no/such/dir/pjrt_x.so":                 "no such file",
		"xla:/no/such/dir/pjrt_cpu.so2":              PluginHelp[:40],
		"xla:/no/such/dir/pjrt_c_api_cuda_plugin.so": CUDAPluginHelp[:40],
		"xla:cuda": CUDAPluginHelp[:40], // not installed here (and no download: see above)
	} {
		if _, err := newBackend(spec); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want one containing %q", spec, err, msg)
		}
	}
}

// failingInstaller stands in for GoMLX's auto-install (a GitHub download) in the child below.
type failingInstaller struct{}

func (failingInstaller) AutoInstall() error { return errors.New("download from github.com failed") }
func (failingInstaller) AutoInstallPlugin(string) error {
	return errors.New("download from github.com failed")
}

// With PJRT_PLUGIN_LIBRARY_PATH naming a directory that does not exist, the error names it first;
// the auto-install's failure (when it is tried) comes second. go-xla reads the variable when the
// program starts, so each case runs in a child process.
func TestXLAMissingPluginDir(t *testing.T) {
	if os.Getenv("BPGO_XLA_CHILD") == "1" {
		xla.RegisterAutoInstaller(failingInstaller{})
		_, err := newBackend("xla")
		fmt.Printf("error: %v\n", err)
		return
	}
	missing := filepath.Join(t.TempDir(), "no-such-dir")
	for _, noAuto := range []bool{false, true} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestXLAMissingPluginDir$")
		cmd.Env = append(os.Environ(), "BPGO_XLA_CHILD=1", "PJRT_PLUGIN_LIBRARY_PATH="+missing)
		if noAuto {
			cmd.Env = append(cmd.Env, "GOMLX_NO_AUTO_INSTALL=1")
		} else {
			cmd.Env = slicesWithout(cmd.Env, "GOMLX_NO_AUTO_INSTALL=")
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		msg := strings.SplitN(string(out), "\n", 2)[0]
		where := strings.Index(msg, "directory "+missing+" does not exist")
		download := strings.Index(msg, "download from github.com failed")
		switch {
		case where < 0:
			t.Errorf("auto-install %v: error does not say that %s does not exist: %s", !noAuto, missing, msg)
		case noAuto && download >= 0:
			t.Errorf("GOMLX_NO_AUTO_INSTALL=1 but the error reports a download: %s", msg)
		case !noAuto && (download < 0 || download < where):
			t.Errorf("the auto-install's failure should follow the missing directory: %s", msg)
		}
		if !strings.HasSuffix(msg, PluginHelp) {
			t.Errorf("error does not end with the install hint: %s", msg)
		}
	}
}

func slicesWithout(env []string, prefix string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, prefix) {
			out = append(out, e)
		}
	}
	return out
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
	// Creating the backend keeps freed C memory for reuse (malloc_xla.go).
	if os.Getenv(XLAMallocEnv) != "system" && mallocMapped(20<<20) == 1 {
		t.Errorf("after creating the XLA backend a 20 MiB allocation got its own mapping: keepMallocPages was not applied")
	}
}
