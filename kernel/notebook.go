package kernel

import (
	"os"
	"strings"
)

// NotebookModeEnv names the environment variable that selects how much work the tutorials do:
// "reduced" (CI: fewer epochs and samples, the same code path) or "full" (the default).
const NotebookModeEnv = "BPGO_NOTEBOOK_MODE"

// Reduced reports whether notebooks run in reduced mode (BPGO_NOTEBOOK_MODE=reduced).
func Reduced() bool {
	return strings.EqualFold(strings.TrimSpace(os.Getenv(NotebookModeEnv)), "reduced")
}

// Pick returns full in full mode and reduced in reduced mode (see Reduced), for a notebook's
// sizes: epochs := kernel.Pick(30, 3).
func Pick[T any](full, reduced T) T {
	if Reduced() {
		return reduced
	}
	return full
}
