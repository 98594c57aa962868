package bpgo

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/bpgo/bpgo/bpgo/internal/heapguard"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

// BackendEnv names the environment variable that chooses the compute backend:
//
//	auto (or unset)   the Go backend; in a program built with XLA, XLA (a local CPU plugin) for
//	                  the runners it measures faster on (see AutoXLAMinWeight), Go for the rest
//	go, go:<options>  GoMLX's pure-Go backend (options as in GoMLX, e.g. go:parallelism=2)
//	xla, xla:cpu      XLA through a PJRT CPU plugin; an error if no plugin can be loaded
//	xla:/abs/path.so  XLA with that plugin file
//
// XLA is linked only into programs built with the build tag xla (see XLALinked).
const BackendEnv = "BPGO_BACKEND"

// XLATag is the build tag that links XLA (go-xla's cgo bindings) into a program. Without it a
// program links with Go's own linker in about a second, which is what keeps notebook cells quick.
const XLATag = "xla"

// XLABuildHelp says how to link XLA; it ends the error of BPGO_BACKEND=xla in a program built
// without it.
const XLABuildHelp = `XLA is linked only into programs built with the build tag "xla" (it needs cgo, which ` +
	`makes every build link through gcc, seconds per notebook cell). In a notebook, run a cell with ` +
	`"%goflags -tags=xla" (a bpgo kernel started with BPGO_BACKEND=xla adds the tag by itself); ` +
	`with the go command, add -tags xla (go run -tags xla ., go test -tags xla ./...); ` +
	`or set BPGO_BACKEND=go to use the pure-Go backend`

// HeapGuardEnv names the environment variable that turns the heap guard off (BPGO_HEAP_GUARD=off):
// in SIMD builds the Go backend keeps free heap above its buffers, working around a toolchain
// out-of-bounds read (see package bpgo/internal/heapguard).
const HeapGuardEnv = heapguard.Env

// XLAMallocEnv names the environment variable that leaves the C library's malloc settings as they
// are (BPGO_XLA_MALLOC=system, for A/B measurements). By default a program built with XLA, on
// glibc, keeps the memory XLA frees for its next call instead of handing it back to the system at
// once, which saved a training step's kernel time of faulting it in again (README, "Backends").
const XLAMallocEnv = "BPGO_XLA_MALLOC"

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

// MinPJRTMinor is the PJRT C-API minor version go-xla v0.4.13 was built against: an older
// plugin has a shorter function table, which go-xla would read past (it does not check).
const MinPJRTMinor = 104

// pluginHelp is the hint for a failure to load the named plugin.
func pluginHelp(plugin string) string {
	if strings.Contains(strings.ToLower(filepath.Base(plugin)), "cuda") {
		return CUDAPluginHelp
	}
	return PluginHelp
}

// DefaultOrder is the backend order tried by BPGO_BACKEND=auto for the process's backend: the Go
// backend, the fastest here on every tutorial workload but one (README "Backends"; it runs the
// NG-RC section in 0.2 s where XLA CPU spends 14 s compiling the unrolled time-step chunks). The
// exception, batch-1 runs of large weight matrices (reservoirs), goes to XLA per runner when
// XLA is linked (see AutoXLAMinWeight).
var DefaultOrder = []string{"go"}

// AutoXLAMinWeight is how many elements the largest weight of a batch-1 model must have for
// BPGO_BACKEND=auto to run it on XLA, in a program built with XLA and with a local CPU plugin.
// Each step of such a run is one matrix-vector product that reads the whole weight: on the
// 2-core bench machine (tests/bench/RESULTS.md, runs 11-15) notebook 02's 400-unit reservoir
// (160,000 elements) fits by Ridge in 0.73-0.86x BrainPy's time on XLA against 0.97-1.15x on
// the Go backend, and by RLS in 0.37-0.43x against 0.75-0.83x; every batched row (seed 000's
// RNN and SNN, e-prop, the E/I network) is faster on the Go backend. The runner decides when it
// is built, from the batch of the model's states then.
const AutoXLAMinWeight = 1 << 16

var (
	backendMu   sync.Mutex
	backendInst compute.Backend
	backendErr  error
)

// Backend returns the process-wide compute backend, choosing it on first use from BPGO_BACKEND
// (see BackendEnv) and announcing the choice in one line.
func Backend() (compute.Backend, error) {
	defer keepHeapHeadroom() // every graph built or run starts here or in callExec
	backendMu.Lock()
	defer backendMu.Unlock()
	if backendInst == nil && backendErr == nil {
		var skipped string
		backendInst, skipped, backendErr = newBackendNoted(os.Getenv(BackendEnv))
		if backendErr == nil {
			name := BackendName(backendInst)
			if skipped != "" {
				name += " (auto: " + skipped + ")"
			}
			announce(name)
			if backendInst.String() == gobackend.BackendName && simdBuild() {
				heapguard.Enable()
			}
		}
	}
	return backendInst, backendErr
}

// keepHeapHeadroom keeps the heap guard's free region (a no-op while the guard is off).
func keepHeapHeadroom() { heapguard.Keep() }

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
	b, _, err := newBackendNoted(spec)
	return b, err
}

// newBackendNoted is newBackend that also returns, for auto, why the backends before the chosen
// one were skipped (empty otherwise).
func newBackendNoted(spec string) (compute.Backend, string, error) {
	spec = strings.TrimSpace(spec)
	switch {
	case spec == "" || spec == "auto":
		var errs []string
		for _, name := range DefaultOrder {
			var b compute.Backend
			var err error
			if name == "xla" {
				b, err = newXLAAuto()
			} else {
				b, err = newGo("")
			}
			if err == nil {
				return b, strings.Join(errs, "; "), nil
			}
			errs = append(errs, firstLine(err.Error()))
		}
		return nil, "", fmt.Errorf("bpgo: no backend could be created: %s", strings.Join(errs, "; "))
	case spec == "go" || strings.HasPrefix(spec, "go:"):
		b, err := newGo(strings.TrimPrefix(strings.TrimPrefix(spec, "go"), ":"))
		return b, "", err
	case spec == "xla" || strings.HasPrefix(spec, "xla:"):
		cfg := strings.TrimPrefix(strings.TrimPrefix(spec, "xla"), ":")
		if cfg == "" {
			cfg = "cpu"
		}
		b, err := newXLA(cfg)
		return b, "", err
	}
	return nil, "", fmt.Errorf("bpgo: %s=%q is not a backend: use auto, go, go:<options>, xla, xla:cpu or xla:/abs/path/pjrt_c_api_cpu_plugin.so", BackendEnv, spec)
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

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// announce prints a backend choice once: once per notebook under GoNB (each cell is a new
// process, so a marker file in the kernel's temporary directory remembers the lines printed),
// else once per process on stderr.
func announce(name string) {
	line := "bpgo: backend " + name
	var w io.Writer = os.Stderr
	if dir := os.Getenv("GONB_TMP_DIR"); dir != "" {
		marker := filepath.Join(dir, ".bpgo_backend_announced")
		data, _ := os.ReadFile(marker)
		if slices.Contains(strings.Split(string(data), "\n"), line) {
			return
		}
		_ = os.WriteFile(marker, append(data, line+"\n"...), 0o644)
		w = os.Stdout
	}
	fmt.Fprintln(w, line)
}
