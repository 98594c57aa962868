package kernel_test

import (
	"testing"

	"github.com/bpgo/bpgo/kernel"
)

func TestNotebookMode(t *testing.T) {
	t.Setenv(kernel.NotebookModeEnv, " Reduced ")
	if !kernel.Reduced() || kernel.Pick(30, 2) != 2 {
		t.Error("reduced mode not seen")
	}
	t.Setenv(kernel.NotebookModeEnv, "full")
	if kernel.Reduced() || kernel.Pick(30, 2) != 30 {
		t.Error("full mode not seen")
	}
	t.Setenv(kernel.NotebookModeEnv, "")
	if kernel.Reduced() {
		t.Error("unset means full")
	}
}
