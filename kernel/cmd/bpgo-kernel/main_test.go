package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func testConfig() Config {
	return Config{
		Repo:         "/src/bpgo",
		DisplayName:  "Go (bpgo)",
		GonbBin:      "/src/bpgo/.bpgo/bin/gonb",
		KernelBin:    "/src/bpgo/.bpgo/bin/bpgo-kernel",
		ToolsBin:     "/src/bpgo/.bpgo/bin",
		GoRoot:       "/gomod/golang.org/toolchain@v0.0.1-go1.27.2.linux-amd64",
		Toolchain:    "go1.27.2",
		GoExperiment: "simd",
		VenvBin:      "/src/bpgo/.bpgo/venv/bin",
		PJRTDir:      "/src/bpgo/.bpgo/pjrt",
		LogFile:      "/src/bpgo/.bpgo/logs/gonb.log",
		BasePath:     "/usr/local/bin:/usr/bin:/src/bpgo/.bpgo/bin::/bin",
	}
}

func TestBuildSpec(t *testing.T) {
	spec, err := BuildSpec(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if got := spec.Argv[:7]; !slices.Equal(got, []string{"/src/bpgo/.bpgo/bin/bpgo-kernel", "exec", "--",
		"/src/bpgo/.bpgo/bin/gonb", "--kernel", "{connection_file}", "--go_work=/src/bpgo"}) {
		t.Errorf("argv head = %q", got)
	}
	if !slices.Contains(spec.Argv, "-raw_error=false") {
		t.Errorf("argv lacks -raw_error=false: %q", spec.Argv)
	}
	if spec.DisplayName != "Go (bpgo)" || spec.Language != "go" || spec.InterruptMode != "message" {
		t.Errorf("display_name/language/interrupt_mode = %q/%q/%q", spec.DisplayName, spec.Language, spec.InterruptMode)
	}
	want := map[string]string{
		"GOTOOLCHAIN":              "go1.27.2",
		"GOPROXY":                  "off",
		"GOEXPERIMENT":             "simd",
		"BPGO_DIR":                 "/src/bpgo",
		"PJRT_PLUGIN_LIBRARY_PATH": "/src/bpgo/.bpgo/pjrt",
		"PATH": "/src/bpgo/.bpgo/bin:/gomod/golang.org/toolchain@v0.0.1-go1.27.2.linux-amd64/bin:" +
			"/src/bpgo/.bpgo/venv/bin:/usr/local/bin:/usr/bin:/bin",
	}
	for k, v := range want {
		if spec.Env[k] != v {
			t.Errorf("env[%s] = %q, want %q", k, spec.Env[k], v)
		}
	}
	for _, k := range []string{"GOMLX_NO_AUTO_INSTALL", "GOFLAGS", "BPGO_BACKEND"} {
		if _, ok := spec.Env[k]; ok {
			t.Errorf("env must not set %s", k)
		}
	}
}

func TestBuildSpecNoVenv(t *testing.T) {
	c := testConfig()
	c.VenvBin = ""
	c.GoExperiment = ""
	spec, err := BuildSpec(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(spec.Env["PATH"], "venv") {
		t.Errorf("PATH = %q, want no venv", spec.Env["PATH"])
	}
	if v, ok := spec.Env["GOEXPERIMENT"]; !ok || v != "" {
		t.Errorf("GOEXPERIMENT = %q, %v; want empty and present (overrides the launcher's)", v, ok)
	}
}

func TestBuildSpecErrors(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"relative repo":   func(c *Config) { c.Repo = "bpgo" },
		"empty gonb":      func(c *Config) { c.GonbBin = "" },
		"relative kernel": func(c *Config) { c.KernelBin = "bpgo-kernel" },
		"relative venv":   func(c *Config) { c.VenvBin = "venv/bin" },
		"bad toolchain":   func(c *Config) { c.Toolchain = "local" },
		"bad experiment":  func(c *Config) { c.GoExperiment = "simd;rm" },
		"no display name": func(c *Config) { c.DisplayName = "" },
	} {
		c := testConfig()
		mutate(&c)
		if _, err := BuildSpec(c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestMarshal(t *testing.T) {
	spec, err := BuildSpec(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	data, err := Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"argv", "display_name", "language", "interrupt_mode", "env"} {
		if _, ok := back[k]; !ok {
			t.Errorf("kernel.json lacks %q:\n%s", k, data)
		}
	}
	if !bytes.HasSuffix(data, []byte("}\n")) {
		t.Errorf("want trailing newline")
	}
}

func TestJoinPath(t *testing.T) {
	got := JoinPath([]string{"/a", "", "/b/"}, "/c::/a:/b:/d")
	if want := "/a:/b:/c:/d"; got != want {
		t.Errorf("JoinPath = %q, want %q", got, want)
	}
}

// fakeRepo makes a repository root with go.mod, tool binaries and a fake GOROOT.
func fakeRepo(t *testing.T) (repo, goroot string) {
	t.Helper()
	repo = t.TempDir()
	write := func(path, content string, mode os.FileMode) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(repo, "go.mod"), "module github.com/bpgo/bpgo\n\ngo 1.27\n", 0o644)
	for _, tool := range []string{"gonb", "goimports", "gopls", "bpgo-kernel"} {
		write(filepath.Join(repo, ".bpgo", "bin", tool), "#!/bin/sh\n", 0o755)
	}
	goroot = filepath.Join(t.TempDir(), "goroot")
	write(filepath.Join(goroot, "bin", "go"), "#!/bin/sh\n", 0o755)
	return repo, goroot
}

func TestRunInstallAndPrint(t *testing.T) {
	repo, goroot := fakeRepo(t)
	data := filepath.Join(t.TempDir(), "jupyter")
	var out, errOut bytes.Buffer
	args := []string{"--repo", repo, "--jupyter-data", data, "--goroot", goroot, "--goexperiment", "simd"}
	if err := run(append([]string{"install"}, args...), &out, &errOut); err != nil {
		t.Fatalf("install: %v (stderr %s)", err, errOut.String())
	}
	written, err := os.ReadFile(filepath.Join(data, "kernels", "bpgo", "kernel.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec KernelSpec
	if err := json.Unmarshal(written, &spec); err != nil {
		t.Fatal(err)
	}
	if spec.Argv[0] != filepath.Join(repo, ".bpgo", "bin", "bpgo-kernel") || spec.Argv[3] != filepath.Join(repo, ".bpgo", "bin", "gonb") ||
		spec.Env["BPGO_DIR"] != repo {
		t.Errorf("argv[0], argv[3] = %q, %q; BPGO_DIR = %q", spec.Argv[0], spec.Argv[3], spec.Env["BPGO_DIR"])
	}
	if _, err := os.Stat(filepath.Join(repo, ".bpgo", "logs")); err != nil {
		t.Errorf("log dir not created: %v", err)
	}
	out.Reset()
	if err := run(append([]string{"print"}, args...), &out, &errOut); err != nil {
		t.Fatalf("print: %v", err)
	}
	if !bytes.Equal(out.Bytes(), written) {
		t.Errorf("print output differs from the installed kernel.json:\n%s\nvs\n%s", out.Bytes(), written)
	}
}

func TestRunErrors(t *testing.T) {
	repo, goroot := fakeRepo(t)
	var out, errOut bytes.Buffer
	if err := run(nil, &out, &errOut); err == nil {
		t.Error("no subcommand: no error")
	}
	if err := run([]string{"frobnicate"}, &out, &errOut); err == nil {
		t.Error("unknown subcommand: no error")
	}
	if err := run([]string{"print", "--repo", repo, "--goroot", goroot, "--name", "a/b"}, &out, &errOut); err == nil {
		t.Error("bad --name: no error")
	}
	if err := run([]string{"print", "--repo", t.TempDir(), "--goroot", goroot}, &out, &errOut); err == nil ||
		!strings.Contains(err.Error(), "not the bpgo repository") {
		t.Errorf("repo without go.mod: err = %v", err)
	}
	if err := os.Remove(filepath.Join(repo, ".bpgo", "bin", "gonb")); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"print", "--repo", repo, "--goroot", goroot}, &out, &errOut); err == nil ||
		!strings.Contains(err.Error(), "gonb missing") {
		t.Errorf("missing gonb: err = %v", err)
	}
}

func TestFindRepo(t *testing.T) {
	repo, _ := fakeRepo(t)
	sub := filepath.Join(repo, "notebooks", "x")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := findRepo(sub)
	if err != nil || got != repo {
		t.Errorf("findRepo = %q, %v; want %q", got, err, repo)
	}
}
