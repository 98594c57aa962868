package bpgo

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/go-xla/compute/xla"
	_ "github.com/gomlx/go-xla/compute/xla/autoinstall" // online users without a local plugin
	"github.com/gomlx/go-xla/pjrt"
	"github.com/pkg/errors"
)

// BackendEnv names the environment variable that chooses the compute backend:
//
//	auto (or unset)   the default order (see DefaultOrder), falling back to the Go backend
//	go, go:<options>  GoMLX's pure-Go backend (options as in GoMLX, e.g. go:parallelism=2)
//	xla, xla:cpu      XLA through a PJRT CPU plugin; an error if no plugin can be loaded
//	xla:/abs/path.so  XLA with that plugin file
const BackendEnv = "BPGO_BACKEND"

// PluginHelp tells a user how to get the XLA CPU plugin; it ends every error loading a CPU plugin.
const PluginHelp = `the XLA CPU plugin could not be loaded. Install it with "make setup" (it puts ` +
	`pjrt_c_api_cpu_plugin.so in .bpgo/pjrt and the bpgo kernel sets PJRT_PLUGIN_LIBRARY_PATH to it), ` +
	`or point PJRT_PLUGIN_LIBRARY_PATH at a directory holding pjrt_c_api_cpu_plugin.so, ` +
	`or set BPGO_BACKEND=go to use the pure-Go backend`

// CUDAPluginHelp ends XLA loading errors for a CUDA plugin (BPGO_BACKEND=xla:cuda, or a plugin file
// whose name contains "cuda", as in the classroom image's GPU variant).
const CUDAPluginHelp = `the XLA CUDA plugin could not be loaded. It needs an NVIDIA GPU and driver: start the ` +
	`container with "docker run --gpus all" (the host needs NVIDIA's driver and container toolkit), ` +
	`or set BPGO_BACKEND=go (or BPGO_BACKEND=xla:cpu) to run on the CPU`

// pluginHelp is the hint for a failure to load the named plugin.
func pluginHelp(plugin string) string {
	if strings.Contains(strings.ToLower(filepath.Base(plugin)), "cuda") {
		return CUDAPluginHelp
	}
	return PluginHelp
}

// DefaultOrder is the backend order tried by BPGO_BACKEND=auto, fastest first as measured on the
// tutorials' workloads (README "Backends"): the Go backend runs the NG-RC section in 0.2 s where
// XLA CPU spends 14 s compiling the unrolled time-step chunks, so XLA is opt-in (BPGO_BACKEND=xla).
var DefaultOrder = []string{"go", "xla"}

var (
	backendMu   sync.Mutex
	backendInst compute.Backend
	backendErr  error
)

// Backend returns the process-wide compute backend, choosing it on first use from BPGO_BACKEND
// (see BackendEnv) and announcing the choice in one line.
func Backend() (compute.Backend, error) {
	defer keepHeapHeadroom() // see heapguard.go: every graph built or run starts here or in callExec
	backendMu.Lock()
	defer backendMu.Unlock()
	if backendInst == nil && backendErr == nil {
		backendInst, backendErr = newBackend(os.Getenv(BackendEnv))
		if backendErr == nil {
			announce(BackendName(backendInst))
			if backendInst.String() == gobackend.BackendName && simdBuild() {
				enableHeapGuard()
			}
		}
	}
	return backendInst, backendErr
}

// MustBackend is Backend that panics on error.
func MustBackend() compute.Backend {
	b, err := Backend()
	if err != nil {
		panic(err)
	}
	return b
}

// BackendName describes a backend in a few words, e.g. "xla (cpu)" or "go (SIMD)".
func BackendName(b compute.Backend) string {
	if b == nil {
		return "none"
	}
	name := b.String()
	if name == gobackend.BackendName {
		if simdBuild() {
			return "go (SIMD build)"
		}
		return "go"
	}
	return fmt.Sprintf("%s (%s)", name, b.Description())
}

// simdBuild reports whether this binary was built with GOEXPERIMENT=simd, which enables the Go
// backend's vectorised kernels.
func simdBuild() bool { return strings.Contains(goexperiment(), "simd") }

func newBackend(spec string) (compute.Backend, error) {
	spec = strings.TrimSpace(spec)
	switch {
	case spec == "" || spec == "auto":
		var errs []string
		for _, name := range DefaultOrder {
			var b compute.Backend
			var err error
			if name == "xla" {
				b, err = newXLA("cpu")
			} else {
				b, err = newGo("")
			}
			if err == nil {
				return b, nil
			}
			errs = append(errs, err.Error())
		}
		return nil, fmt.Errorf("bpgo: no backend could be created: %s", strings.Join(errs, "; "))
	case spec == "go" || strings.HasPrefix(spec, "go:"):
		return newGo(strings.TrimPrefix(strings.TrimPrefix(spec, "go"), ":"))
	case spec == "xla" || strings.HasPrefix(spec, "xla:"):
		cfg := strings.TrimPrefix(strings.TrimPrefix(spec, "xla"), ":")
		if cfg == "" {
			cfg = "cpu"
		}
		return newXLA(cfg)
	}
	return nil, fmt.Errorf("bpgo: %s=%q is not a backend: use auto, go, go:<options>, xla, xla:cpu or xla:/abs/path/pjrt_c_api_cpu_plugin.so", BackendEnv, spec)
}

func newGo(options string) (b compute.Backend, err error) {
	cfg := gobackend.BackendName
	if options != "" {
		cfg += ":" + options
	}
	defer func() { // compute.NewWithConfig panics on some bad configs
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("bpgo: Go backend %q: %v", cfg, r)
		}
	}()
	b, err = compute.NewWithConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("bpgo: Go backend %q: %w", cfg, err)
	}
	return b, nil
}

// newXLA loads the XLA backend. In auto mode a local plugin is preferred; GoMLX's auto-install
// (a download) is only tried when no local plugin exists and GOMLX_NO_AUTO_INSTALL is unset.
func newXLA(cfg string) (b compute.Backend, err error) {
	plugin := strings.SplitN(cfg, ",", 2)[0]
	help := pluginHelp(plugin)
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("bpgo: XLA backend %q: %v; %s", cfg, r, help)
		}
	}()
	if filepath.IsAbs(plugin) {
		if _, statErr := os.Stat(plugin); statErr != nil {
			return nil, fmt.Errorf("bpgo: XLA plugin file %s: %w; %s", plugin, statErr, help)
		}
	}
	xla.EnableAutoInstall(false) // the probe below must not download anything
	local := hasLocalPlugin(plugin)
	xla.EnableAutoInstall(!local && os.Getenv("GOMLX_NO_AUTO_INSTALL") == "")
	xb, err := xla.New(cfg)
	if err != nil || xb == nil { // xla.New returns a typed nil on error
		if err == nil {
			err = errors.New("no backend returned")
		}
		return nil, fmt.Errorf("bpgo: XLA backend %q: %v; %s", cfg, firstLine(err.Error()), help)
	}
	if err := checkPluginVersion(plugin); err != nil {
		xb.Finalize()
		return nil, err
	}
	return xb, nil
}

// MinPJRTMinor is the PJRT C-API minor version go-xla v0.4.13 was built against: an older
// plugin has a shorter function table, which go-xla would read past (it does not check).
const MinPJRTMinor = 104

func checkPluginVersion(plugin string) error {
	p, err := pjrt.GetPlugin(plugin)
	if err != nil {
		return nil // loaded under another name (e.g. a versioned file): nothing more to check
	}
	major, minor := p.Version()
	if major != 0 || minor < MinPJRTMinor {
		return fmt.Errorf("bpgo: XLA plugin %s has PJRT C-API %d.%d, older than the %d.%d that go-xla v0.4.13 needs; %s",
			p.Path(), major, minor, 0, MinPJRTMinor, pluginHelp(plugin))
	}
	return nil
}

// hasLocalPlugin reports whether go-xla finds the named plugin on disk without downloading it.
func hasLocalPlugin(plugin string) bool {
	if filepath.IsAbs(plugin) {
		return true
	}
	for _, p := range xla.GetAvailablePlugins() {
		if p == plugin || strings.HasPrefix(p, plugin+"_") {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// announce prints the backend choice once: once per notebook under GoNB (each cell is a new
// process, so a marker file in the kernel's temporary directory remembers it), else once per
// process on stderr.
func announce(name string) {
	line := "bpgo: backend " + name
	var w io.Writer = os.Stderr
	if dir := os.Getenv("GONB_TMP_DIR"); dir != "" {
		marker := filepath.Join(dir, ".bpgo_backend_announced")
		if data, err := os.ReadFile(marker); err == nil && string(data) == line {
			return
		}
		_ = os.WriteFile(marker, []byte(line), 0o644)
		w = os.Stdout
	}
	fmt.Fprintln(w, line)
}
