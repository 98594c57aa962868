// Command bpgo-kernel installs the "bpgo" Jupyter kernel: GoNB with everything preset for
// working on this repository from a notebook.
//
// The kernel runs the GoNB binary built by kernel/setup.sh (.bpgo/bin/gonb), through
// "bpgo-kernel exec" (see below), with --go_work=<repo root> and GOPROXY=off, so that a cell can
//
//	import "github.com/bpgo/bpgo/..."
//
// with no setup line: GoNB puts the repository into its go.work and resolves every import through
// the repository's go.mod (each imported module must be a direct requirement there). The kernel's
// environment also pins the Go toolchain (GOTOOLCHAIN, and its bin directory first on PATH), the
// GOEXPERIMENT the build cache was warmed with, BPGO_DIR and PJRT_PLUGIN_LIBRARY_PATH.
//
// Every cell is a program of its own, built and linked anew, so the link is most of a cell's
// time. "bpgo-kernel exec" sets GOFLAGS for the cell builds when the kernel starts, from the
// environment Jupyter gives it (CellGoFlags): "-ldflags=-s -w" (no debug information to write),
// and the build tag xla when BPGO_BACKEND asks for XLA (xla, xla:cpu, xla:/path/plugin.so), as in
// the classroom image's GPU variant. Without that tag cells link without cgo, with Go's own
// linker, in about a second; a "%goflags -tags=xla" cell links XLA into the cells after it (then
// BPGO_BACKEND=auto runs batch-1 reservoirs on it, and BPGO_BACKEND=xla everything).
//
// Usage:
//
//	bpgo-kernel install [flags]   write <jupyter-data>/kernels/<name>/kernel.json
//	bpgo-kernel print   [flags]   print the kernel.json that install would write
//	bpgo-kernel exec -- PROGRAM [ARGS...]
//	                              run PROGRAM (GoNB, an absolute path) with the cells' GOFLAGS set;
//	                              the kernel spec's command
//
// Flags:
//
//	--repo DIR           repository root (default: the directory above the working directory holding
//	                     the go.mod of github.com/bpgo/bpgo)
//	--jupyter-data DIR   Jupyter data dir (default: $JUPYTER_DATA_DIR, else <repo>/.bpgo/jupyter)
//	--name NAME          kernel name, the directory under kernels/ (default "bpgo")
//	--display-name TEXT  name shown by Jupyter (default "Go (bpgo)")
//	--goexperiment LIST  GOEXPERIMENT for cell builds (default: $GOEXPERIMENT)
//	--gotoolchain NAME   GOTOOLCHAIN for cell builds (default "go1.27.2")
//	--goroot DIR         GOROOT of that toolchain (default: `go env GOROOT` run with GOTOOLCHAIN set)
//
// kernel/setup.sh builds this command into .bpgo/bin and runs `bpgo-kernel install`.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// ModulePath is the module a repository root must declare in its go.mod.
const ModulePath = "github.com/bpgo/bpgo"

// DefaultToolchain is the Go toolchain the kernel builds cells with.
const DefaultToolchain = "go1.27.2"

// KernelSpec is the content of a Jupyter kernel.json.
type KernelSpec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env"`
}

// Config holds the resolved inputs of a kernel spec. All paths must be absolute.
type Config struct {
	Repo         string // repository root (holds go.mod of ModulePath)
	DisplayName  string
	GonbBin      string // the GoNB binary
	KernelBin    string // this command (bpgo-kernel), which starts GoNB ("bpgo-kernel exec")
	ToolsBin     string // directory with gonb, goimports, gopls
	GoRoot       string // GOROOT of Toolchain
	Toolchain    string // value of GOTOOLCHAIN, e.g. "go1.27.2"
	GoExperiment string // value of GOEXPERIMENT (may be empty: the toolchain's default)
	VenvBin      string // Python venv bin directory; "" to leave it out of PATH
	PJRTDir      string // directory of the XLA PJRT plugin (need not exist yet)
	LogFile      string // GoNB's klog file
	BasePath     string // PATH that follows the kernel's own directories
}

var (
	reToolchain    = regexp.MustCompile(`^go1\.[0-9]+(\.[0-9]+)?$`)
	reGoExperiment = regexp.MustCompile(`^[a-z0-9]*(,[a-z0-9]+)*$`)
	reName         = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// BuildSpec returns the kernel spec for c. It checks c's form only, not the file system.
func BuildSpec(c Config) (*KernelSpec, error) {
	for name, p := range map[string]string{"repo": c.Repo, "gonb binary": c.GonbBin, "bpgo-kernel binary": c.KernelBin, "tools bin": c.ToolsBin,
		"GOROOT": c.GoRoot, "PJRT dir": c.PJRTDir, "log file": c.LogFile} {
		if p == "" || !filepath.IsAbs(p) {
			return nil, fmt.Errorf("%s must be an absolute path, got %q", name, p)
		}
	}
	if c.VenvBin != "" && !filepath.IsAbs(c.VenvBin) {
		return nil, fmt.Errorf("venv bin must be an absolute path, got %q", c.VenvBin)
	}
	if !reToolchain.MatchString(c.Toolchain) {
		return nil, fmt.Errorf("toolchain must look like go1.27.2, got %q", c.Toolchain)
	}
	if !reGoExperiment.MatchString(c.GoExperiment) {
		return nil, fmt.Errorf("GOEXPERIMENT must be a comma-separated list of lower-case names, got %q", c.GoExperiment)
	}
	if c.DisplayName == "" {
		return nil, errors.New("display name must not be empty")
	}
	head := []string{c.ToolsBin, filepath.Join(c.GoRoot, "bin")}
	if c.VenvBin != "" {
		head = append(head, c.VenvBin)
	}
	spec := &KernelSpec{
		Argv: []string{
			c.KernelBin, "exec", "--", // sets GOFLAGS for the cell builds (CellGoFlags), then runs GoNB
			c.GonbBin,
			"--kernel", "{connection_file}",
			"--go_work=" + c.Repo,
			"-raw_error=false",
			"-work=false",
			// klog: everything to the log file (truncated at 10 MB); only fatal errors to stderr (gonb v0.11.5
			// always logs a spurious "Error message" at start, see setUpKlog in its main.go).
			"-logtostderr=false",
			"-alsologtostderr=false",
			"-stderrthreshold=FATAL",
			"-log_file=" + c.LogFile,
			"-log_file_max_size=10",
			"-v=0",
		},
		DisplayName:   c.DisplayName,
		Language:      "go",
		InterruptMode: "message",
		Env: map[string]string{
			"GOTOOLCHAIN":              c.Toolchain,
			"GOPROXY":                  "off", // zero-setup-line imports: resolve through the repo's go.mod only
			"GOEXPERIMENT":             c.GoExperiment,
			"BPGO_DIR":                 c.Repo,
			"PJRT_PLUGIN_LIBRARY_PATH": c.PJRTDir,
			"PATH":                     JoinPath(head, c.BasePath),
		},
	}
	return spec, nil
}

// JoinPath returns head followed by the entries of base (a PATH list), without empty entries
// and without repeating any directory.
func JoinPath(head []string, base string) string {
	seen := map[string]bool{}
	var out []string
	add := func(d string) {
		d = filepath.Clean(d)
		if d == "." || seen[d] {
			return
		}
		seen[d] = true
		out = append(out, d)
	}
	for _, d := range head {
		if d != "" {
			add(d)
		}
	}
	for _, d := range filepath.SplitList(base) {
		if d != "" {
			add(d)
		}
	}
	return strings.Join(out, string(os.PathListSeparator))
}

// Marshal renders spec as indented JSON with a trailing newline.
func Marshal(spec *KernelSpec) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(spec); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// options are the command-line inputs, before resolution.
type options struct {
	repo, jupyterData, name, displayName, goExperiment, toolchain, goRoot string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("bpgo-kernel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.StringVar(&o.repo, "repo", "", "repository root (default: found from the working directory)")
	fs.StringVar(&o.jupyterData, "jupyter-data", "", "Jupyter data dir (default: $JUPYTER_DATA_DIR, else <repo>/.bpgo/jupyter)")
	fs.StringVar(&o.name, "name", "bpgo", "kernel name (directory under kernels/)")
	fs.StringVar(&o.displayName, "display-name", "Go (bpgo)", "kernel display name")
	fs.StringVar(&o.goExperiment, "goexperiment", os.Getenv("GOEXPERIMENT"), "GOEXPERIMENT for cell builds")
	fs.StringVar(&o.toolchain, "gotoolchain", DefaultToolchain, "GOTOOLCHAIN for cell builds")
	fs.StringVar(&o.goRoot, "goroot", "", "GOROOT of the toolchain (default: `go env GOROOT` with GOTOOLCHAIN set)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if !reName.MatchString(o.name) {
		return nil, fmt.Errorf("--name must be letters, digits, '.', '_' or '-', got %q", o.name)
	}
	return o, nil
}

// findRepo walks up from dir to the directory whose go.mod declares ModulePath.
func findRepo(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if isRepo(d) == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod of module %s found in %s or above; pass --repo", ModulePath, dir)
		}
	}
}

var reModule = regexp.MustCompile(`(?m)^module\s+"?([^\s"]+)"?\s*$`)

// isRepo checks that dir holds the go.mod of ModulePath.
func isRepo(dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return fmt.Errorf("%s is not the bpgo repository: %w", dir, err)
	}
	m := reModule.FindSubmatch(data)
	if m == nil || string(m[1]) != ModulePath {
		return fmt.Errorf("%s/go.mod does not declare module %s", dir, ModulePath)
	}
	return nil
}

// toolchainGoRoot asks the go command for the GOROOT of toolchain.
func toolchainGoRoot(toolchain, dir string) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("go command not found on PATH (needed to find the GOROOT of %s; or pass --goroot): %w", toolchain, err)
	}
	cmd := exec.Command(goBin, "env", "GOROOT")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN="+toolchain)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("GOTOOLCHAIN=%s go env GOROOT failed: %w\n%s", toolchain, err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

func isExecutable(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

// resolve turns options into a Config, checking the file system: the repository, the GoNB binary
// and its helpers, and the toolchain's go binary must exist. It returns the kernel directory too.
func resolve(o *options) (Config, string, error) {
	var c Config
	repo := o.repo
	if repo == "" {
		wd, err := os.Getwd()
		if err != nil {
			return c, "", err
		}
		if repo, err = findRepo(wd); err != nil {
			return c, "", err
		}
	}
	repo, err := filepath.Abs(repo)
	if err != nil {
		return c, "", err
	}
	if err := isRepo(repo); err != nil {
		return c, "", err
	}
	state := filepath.Join(repo, ".bpgo")
	c = Config{
		Repo:         repo,
		DisplayName:  o.displayName,
		ToolsBin:     filepath.Join(state, "bin"),
		GonbBin:      filepath.Join(state, "bin", "gonb"),
		KernelBin:    filepath.Join(state, "bin", "bpgo-kernel"),
		Toolchain:    o.toolchain,
		GoExperiment: o.goExperiment,
		PJRTDir:      filepath.Join(state, "pjrt"),
		LogFile:      filepath.Join(state, "logs", "gonb.log"),
		BasePath:     os.Getenv("PATH"),
	}
	for _, tool := range []string{"gonb", "goimports", "gopls", "bpgo-kernel"} {
		if err := isExecutable(filepath.Join(c.ToolsBin, tool)); err != nil {
			return c, "", fmt.Errorf("%s missing (run kernel/setup.sh first): %w", tool, err)
		}
	}
	if !reToolchain.MatchString(c.Toolchain) {
		return c, "", fmt.Errorf("--gotoolchain must look like go1.27.2, got %q", c.Toolchain)
	}
	c.GoRoot = o.goRoot
	if c.GoRoot == "" {
		if c.GoRoot, err = toolchainGoRoot(c.Toolchain, repo); err != nil {
			return c, "", err
		}
	}
	if c.GoRoot, err = filepath.Abs(c.GoRoot); err != nil {
		return c, "", err
	}
	if err := isExecutable(filepath.Join(c.GoRoot, "bin", "go")); err != nil {
		return c, "", fmt.Errorf("GOROOT %s has no go binary: %w", c.GoRoot, err)
	}
	if venvBin := filepath.Join(state, "venv", "bin"); isExecutable(filepath.Join(venvBin, "python")) == nil {
		c.VenvBin = venvBin
	}
	data := o.jupyterData
	if data == "" {
		data = os.Getenv("JUPYTER_DATA_DIR")
	}
	if data == "" {
		data = filepath.Join(state, "jupyter")
	}
	if data, err = filepath.Abs(data); err != nil {
		return c, "", err
	}
	return c, filepath.Join(data, "kernels", o.name), nil
}

// install writes data as dir/kernel.json (atomically) and creates the log directory.
func install(dir string, data []byte, logFile string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(logFile), 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "kernel.json")
	tmp, err := os.CreateTemp(dir, ".kernel.json.*")
	if err != nil {
		return "", err
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return "", err
	}
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp.Name(), path)
}

const usage = `usage: bpgo-kernel install|print [--repo DIR] [--jupyter-data DIR] [--name NAME]
                   [--display-name TEXT] [--goexperiment LIST] [--gotoolchain go1.X.Y] [--goroot DIR]
       bpgo-kernel exec -- PROGRAM [ARGS...]
  install  writes <jupyter-data>/kernels/<name>/kernel.json for the GoNB kernel of this repository
  print    prints that kernel.json
  exec     runs PROGRAM (GoNB) with GOFLAGS for cell builds: -ldflags=-s -w, and -tags=xla when
           BPGO_BACKEND is xla or xla:<config> (the kernel spec's command)`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	cmd := args[0]
	switch cmd {
	case "exec":
		rest := args[1:]
		if len(rest) > 0 && rest[0] == "--" {
			rest = rest[1:]
		}
		return execKernel(rest)
	case "install", "print":
	case "-h", "-help", "--help", "help":
		_, _ = fmt.Fprintln(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown subcommand %q\n%s", cmd, usage)
	}
	o, err := parseFlags(args[1:], stderr)
	if err != nil {
		return err
	}
	c, dir, err := resolve(o)
	if err != nil {
		return err
	}
	spec, err := BuildSpec(c)
	if err != nil {
		return err
	}
	data, err := Marshal(spec)
	if err != nil {
		return err
	}
	if cmd == "print" {
		_, err = stdout.Write(data)
		return err
	}
	path, err := install(dir, data, c.LogFile)
	if err != nil {
		return fmt.Errorf("writing kernel spec: %w", err)
	}
	_, _ = fmt.Fprintf(stdout, "installed kernel %q (%s) at %s\n", o.name, c.DisplayName, path)
	return nil
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			_, _ = fmt.Fprintln(os.Stderr, "bpgo-kernel:", err)
		}
		os.Exit(2)
	}
}
