// Package readme checks that the README's notebook sample runs and prints what the README says.
package readme

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNotebookSample extracts the "Writing your own notebook" cell from README.md, turns it
// into a program (the cell's declarations, then its %% part as main with bm.enable_x64()'s
// equivalent first), runs it, and compares its output with the number the README states.
func TestNotebookSample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program (-short)")
	}
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	sec := strings.Index(readme, "### Writing your own notebook")
	if sec < 0 {
		t.Fatal(`README.md has no "### Writing your own notebook" section`)
	}
	block := regexp.MustCompile("(?s)```go\n(.*?)```").FindStringSubmatch(readme[sec:])
	if block == nil {
		t.Fatal("no ```go block in the section")
	}
	decls, body, ok := strings.Cut(block[1], "%%\n")
	if !ok {
		t.Fatal("the sample has no %% line")
	}
	init := "func init_x64() { bpgo.EnableX64() }"
	if !strings.Contains(decls, init) {
		t.Fatalf("the sample no longer declares %q", init)
	}
	prog := "package main\n\n" + decls + "\nfunc main() {\n\tinit_x64()\n" + body + "}\n"
	want := regexp.MustCompile("It prints `([^`]+)`").FindStringSubmatch(readme[sec:])
	if want == nil {
		t.Fatal("the section does not say what the sample prints (It prints `…`)")
	}
	// The program must live inside the module to import bpgo's packages.
	dir, err := os.MkdirTemp(".", "sample-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "./"+filepath.Base(dir))
	cmd.Env = append(os.Environ(), "BPGO_BACKEND=go")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), want[1]) {
		t.Errorf("the README says the sample prints %q; it printed:\n%s", want[1], out)
	}
}
