package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestCellGoFlags(t *testing.T) {
	for _, tc := range []struct{ goflags, backend, want string }{
		{"", "", "'-ldflags=-s -w'"},
		{"", "go", "'-ldflags=-s -w'"},
		{"", "auto", "'-ldflags=-s -w'"},
		{"", "xla", "'-ldflags=-s -w' -tags=xla"},
		{"", " xla:cpu ", "'-ldflags=-s -w' -tags=xla"},
		{"", "xla:/opt/bpgo/.bpgo/pjrt/pjrt_c_api_cuda_plugin.so", "'-ldflags=-s -w' -tags=xla"},
		{"", "xlax", "'-ldflags=-s -w'"},
		{"-mod=mod", "xla", "-mod=mod '-ldflags=-s -w' -tags=xla"},
		{"-ldflags=-X=main.v=1 -tags=foo", "xla", "-ldflags=-X=main.v=1 -tags=foo,xla"},
		{"--tags=xla,foo", "xla", "--tags=xla,foo '-ldflags=-s -w'"},
		{`"-gcflags=-N -l"  -trimpath`, "", "'-gcflags=-N -l' -trimpath '-ldflags=-s -w'"},
	} {
		got, err := CellGoFlags(tc.goflags, tc.backend)
		if err != nil || got != tc.want {
			t.Errorf("CellGoFlags(%q, %q) = %q, %v; want %q", tc.goflags, tc.backend, got, err, tc.want)
		}
	}
	if _, err := CellGoFlags("'-ldflags=-s", ""); err == nil || !strings.Contains(err.Error(), "unterminated") {
		t.Errorf("unterminated quote: err = %v", err)
	}
}

// The go command reads what CellGoFlags writes: it takes the quoted entry as one flag.
func TestCellGoFlagsAcceptedByGo(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	flags, err := CellGoFlags("", "xla")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goBin, "env", "GOFLAGS")
	cmd.Env = append(os.Environ(), "GOFLAGS="+flags)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != flags {
		t.Errorf("go env GOFLAGS with GOFLAGS=%s: %q, %v", flags, out, err)
	}
}

// exec sets GOFLAGS and replaces itself with the program (run in a child process, since it does
// not return).
func TestExec(t *testing.T) {
	if os.Getenv("BPGO_KERNEL_EXEC_CHILD") == "1" {
		err := run([]string{"exec", "--", "/bin/sh", "-c", `printf 'GOFLAGS=%s args=%s' "$GOFLAGS" "$0"`, "arg0"}, os.Stdout, os.Stderr)
		t.Fatalf("exec returned: %v", err)
	}
	for backend, want := range map[string]string{
		"go":  "GOFLAGS=-mod=mod '-ldflags=-s -w' args=arg0",
		"xla": "GOFLAGS=-mod=mod '-ldflags=-s -w' -tags=xla args=arg0",
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestExec$")
		cmd.Env = append(os.Environ(), "BPGO_KERNEL_EXEC_CHILD=1", "GOFLAGS=-mod=mod", "BPGO_BACKEND="+backend)
		out, err := cmd.CombinedOutput()
		if err != nil || string(out) != want {
			t.Errorf("BPGO_BACKEND=%s: %q (%v), want %q", backend, out, err, want)
		}
	}
	var out, errOut strings.Builder
	for _, args := range [][]string{{"exec"}, {"exec", "--", "gonb"}, {"exec", "--", "/no/such/gonb"}} {
		if err := run(args, &out, &errOut); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}
