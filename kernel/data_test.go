package kernel_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/bpgo/bpgo/kernel"
)

func TestDataDir(t *testing.T) {
	t.Setenv("BPGO_DATA_DIR", "/data/here")
	t.Setenv(kernel.RepoDirEnv, "/src/bpgo")
	if got := kernel.DataDir(); got != "/data/here" {
		t.Errorf("with BPGO_DATA_DIR: DataDir() = %q, want /data/here", got)
	}
	t.Setenv("BPGO_DATA_DIR", "")
	if got, want := kernel.DataDir(), filepath.Join("/src/bpgo", ".bpgo", "data"); got != want {
		t.Errorf("in the kernel: DataDir() = %q, want %q", got, want)
	}
	t.Setenv(kernel.RepoDirEnv, "")
	t.Setenv("XDG_CACHE_HOME", "/cache")
	if got, want := kernel.DataDir(), filepath.Join("/cache", "bpgo"); got != want {
		t.Errorf("outside the kernel: DataDir() = %q, want %q", got, want)
	}
}

// In the bpgo kernel (BPGO_DIR set to the repository) the notebooks' data live in .bpgo/data;
// BPGO_DATA_DIR overrides it.
func ExampleDataDir() {
	for _, k := range []string{"BPGO_DATA_DIR", kernel.RepoDirEnv} { // restored afterwards
		if v, ok := os.LookupEnv(k); ok {
			defer os.Setenv(k, v)
		} else {
			defer os.Unsetenv(k)
		}
	}
	os.Setenv("BPGO_DATA_DIR", "")
	os.Setenv(kernel.RepoDirEnv, "/src/bpgo")
	fmt.Println(kernel.DataDir())
	os.Setenv("BPGO_DATA_DIR", "/srv/datasets")
	fmt.Println(kernel.DataDir())
	// Output:
	// /src/bpgo/.bpgo/data
	// /srv/datasets
}
