//go:build xla

package bpgo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/go-xla/compute/xla"
	_ "github.com/gomlx/go-xla/compute/xla/autoinstall" // online users without a local plugin
	"github.com/gomlx/go-xla/pjrt"
	"github.com/pkg/errors"
)

// XLALinked reports whether XLA is linked into this program (the build tag xla).
const XLALinked = true

// newXLA loads the XLA backend. A local plugin is preferred; GoMLX's auto-install (a download) is
// only tried when no local plugin exists and GOMLX_NO_AUTO_INSTALL is unset. When no local plugin
// exists, the error says first where bpgo looked, then what the auto-install said.
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
	keepMallocPages()
	local := hasLocalPlugin(plugin)
	autoInstall := !local && os.Getenv("GOMLX_NO_AUTO_INSTALL") == ""
	xla.EnableAutoInstall(autoInstall)
	xb, err := xla.New(cfg)
	if err != nil || xb == nil { // xla.New returns a typed nil on error
		if err == nil {
			err = errors.New("no backend returned")
		}
		msg := firstLine(err.Error())
		if !local {
			msg = pluginSearch(plugin)
			if autoInstall {
				msg += "; then GoMLX's auto-install failed: " + firstLine(err.Error())
			}
		}
		return nil, fmt.Errorf("bpgo: XLA backend %q: %s; %s", cfg, msg, help)
	}
	if err := checkPluginVersion(plugin); err != nil {
		xb.Finalize()
		return nil, err
	}
	return xb, nil
}

// newXLAAuto is XLA for BPGO_BACKEND=auto: only with a local CPU plugin (auto never downloads).
func newXLAAuto() (compute.Backend, error) {
	if !hasLocalPlugin("cpu") {
		return nil, errors.New("xla: " + pluginSearch("cpu"))
	}
	return newXLA("cpu")
}

// pluginSearch says where a plugin that was not found was looked for: each directory of
// PJRT_PLUGIN_LIBRARY_PATH, and whether it exists.
func pluginSearch(plugin string) string {
	file := "pjrt_c_api_" + plugin + "_plugin.so"
	paths, set := os.LookupEnv(pjrt.PJRTPluginPathsEnv)
	if !set {
		return fmt.Sprintf("no %s found: %s is not set, and go-xla's default directories "+
			"(~/.local/lib/go-xla, /usr/local/lib/go-xla, the system's library path) hold none", file, pjrt.PJRTPluginPathsEnv)
	}
	var parts []string
	for _, dir := range filepath.SplitList(paths) {
		if dir == "" {
			continue
		}
		st, err := os.Stat(dir)
		switch {
		case err != nil && os.IsNotExist(err):
			parts = append(parts, fmt.Sprintf("directory %s does not exist", dir))
		case err != nil:
			parts = append(parts, fmt.Sprintf("directory %s: %v", dir, err))
		case !st.IsDir():
			parts = append(parts, fmt.Sprintf("%s is not a directory", dir))
		default:
			parts = append(parts, fmt.Sprintf("directory %s has no %s", dir, file))
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("no %s found: %s is set but empty", file, pjrt.PJRTPluginPathsEnv)
	}
	return fmt.Sprintf("searched %s=%s for %s: %s", pjrt.PJRTPluginPathsEnv, paths, file, strings.Join(parts, ", "))
}

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

// hasLocalPlugin reports whether go-xla finds the named plugin on disk without downloading it. It
// leaves go-xla's auto-install off.
func hasLocalPlugin(plugin string) bool {
	if filepath.IsAbs(plugin) {
		return true
	}
	xla.EnableAutoInstall(false) // GetAvailablePlugins would otherwise download
	for _, p := range xla.GetAvailablePlugins() {
		if p == plugin || strings.HasPrefix(p, plugin+"_") {
			return true
		}
	}
	return false
}
