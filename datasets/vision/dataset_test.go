package vision

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// loadWith loads split from root with the given source (its MD5s as the official ones).
func loadWith(s source, root, split string) (*Dataset, error) {
	o := FashionMNISTDefaults()
	o.Root, o.Split = root, split
	return load(s, o)
}

func TestLoadFromGz(t *testing.T) {
	files := synthFiles(t, 12, 5)
	src := sourceFor(files)
	root := t.TempDir()
	raw := writeRaw(t, root, files)
	for _, c := range []struct {
		split string
		n     int
	}{{Train, 12}, {Test, 5}} {
		d, err := loadWith(src, root, c.split)
		if err != nil {
			t.Fatal(err)
		}
		imgs, lbls := synthSet(c.n)
		if d.Name != "FashionMNIST" || d.Split != c.split || d.Len() != c.n || d.Rows != 28 || d.Cols != 28 ||
			!bytes.Equal(d.Images, imgs) || !bytes.Equal(d.Labels, lbls) || d.Classes[9] != "Ankle boot" {
			t.Errorf("%s: got %s/%s len %d %d×%d", c.split, d.Name, d.Split, d.Len(), d.Rows, d.Cols)
		}
		if !bytes.Equal(d.Image(3), imgs[3*784:4*784]) {
			t.Errorf("Image(3) differs")
		}
	}
	// The unzipped files are stored beside the .gz files, nothing else.
	want := []string{"t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte", "t10k-labels-idx1-ubyte.gz",
		"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte", "train-labels-idx1-ubyte.gz"}
	if got := listDir(t, raw); !slices.Equal(got, want) {
		t.Errorf("raw dir holds %v, want %v", got, want)
	}
	st, err := os.Stat(filepath.Join(raw, "train-images-idx3-ubyte"))
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("unzipped file: %v, %v", st, err)
	}
	// A second load reads the unzipped files: it works without the .gz files.
	for n := range files {
		os.Remove(filepath.Join(raw, n))
	}
	d, err := loadWith(src, root, Train)
	if err != nil || d.Len() != 12 {
		t.Fatalf("from unzipped files: %v", err)
	}
}

// Files built elsewhere are accepted through the manifest; without it the official MD5 is required.
func TestManifest(t *testing.T) {
	files := synthFiles(t, 4, 3)
	root := t.TempDir()
	raw := writeRaw(t, root, files)
	_, err := loadWith(fashionMNIST, root, Train)
	wantErr(t, err, "vision.FashionMNIST: ", filepath.Join(raw, trainImages), "MD5 "+md5Hex(files[trainImages]),
		"want the official 8d4fb7e6c68d591d4c3dfef9ec88bf0d", "not the official release")
	if err := writeManifest(raw, allFiles); err != nil {
		t.Fatal(err)
	}
	m, err := os.ReadFile(filepath.Join(raw, ManifestName))
	if err != nil || !strings.HasPrefix(string(m), md5Hex(files[trainImages])+"  "+trainImages+"\n") {
		t.Fatalf("manifest %q, %v", m, err)
	}
	d, err := loadWith(fashionMNIST, root, Test)
	if err != nil || d.Len() != 3 {
		t.Fatalf("with manifest: %v", err)
	}
	// A file changed after the manifest was written is rejected.
	bad := slices.Clone(files[trainLabels])
	bad[len(bad)-1] ^= 1
	writeRaw(t, root, map[string][]byte{trainLabels: bad})
	_, err = loadWith(fashionMNIST, root, Train)
	wantErr(t, err, trainLabels, "matches neither the official 25c81989df183df01b3e8a0aad5dffbe nor "+ManifestName)
	// A malformed manifest is reported.
	os.WriteFile(filepath.Join(raw, ManifestName), []byte("xyz  "+trainLabels+"\n"), 0o644)
	_, err = loadWith(fashionMNIST, root, Train)
	wantErr(t, err, ManifestName+" line 1", "32 hex digits")
}

func TestLoadCorruptFiles(t *testing.T) {
	good := synthFiles(t, 4, 3)
	imgs, lbls := synthSet(4)
	gzImgs := good[trainImages]
	cases := map[string]struct {
		images, labels []byte
		validIDX       bool // the images unzip to a valid IDX array
		want           []string
	}{
		"truncated gzip": {gzImgs[:len(gzImgs)/2], good[trainLabels], false, []string{trainImages, "corrupt or truncated gzip data", "unexpected EOF"}},
		"bad gzip crc": {append(slices.Clone(gzImgs[:len(gzImgs)-8]), 0, 0, 0, 0, 0x10, 0x31, 0, 0), good[trainLabels],
			false, []string{trainImages, "corrupt or truncated gzip data", "checksum"}},
		"not gzip":        {idxBytes(t, []int{4, 28, 28}, imgs), good[trainLabels], false, []string{trainImages, "not a gzip file"}},
		"wrong magic":     {gzBytes(t, append([]byte{0, 0, 9, 3}, idxBytes(t, []int{4, 28, 28}, imgs)[4:]...)), good[trainLabels], false, []string{"type code 0x09"}},
		"truncated idx":   {gzBytes(t, idxBytes(t, []int{4, 28, 28}, imgs)[:1000]), good[trainLabels], false, []string{"declares 3136 bytes of data, only 984 present"}},
		"images 2-d":      {gzBytes(t, idxBytes(t, []int{4, 784}, imgs)), good[trainLabels], true, []string{"want 3 dimensions (images, rows, cols), got [4 784]"}},
		"labels 2-d":      {gzImgs, gzBytes(t, idxBytes(t, []int{2, 2}, lbls)), true, []string{"want 1 dimension (labels), got [2 2]"}},
		"counts differ":   {gzImgs, gzBytes(t, idxBytes(t, []int{3}, lbls[:3])), true, []string{"4 images in", "but 3 labels in", "do not belong together"}},
		"label too large": {gzImgs, gzBytes(t, idxBytes(t, []int{4}, []uint8{0, 1, 10, 3})), true, []string{"label 10 of image 2 is not a class index 0..9"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			files := map[string][]byte{trainImages: c.images, trainLabels: c.labels}
			root := t.TempDir()
			raw := writeRaw(t, root, files)
			_, err := loadWith(sourceFor(files), root, Train)
			wantErr(t, err, append([]string{"vision.FashionMNIST: "}, c.want...)...)
			noTemps(t, raw)
			// Nothing is stored from a .gz that does not unzip to a valid IDX file.
			_, err = os.Stat(filepath.Join(raw, "train-images-idx3-ubyte"))
			if stored := err == nil; stored != c.validIDX {
				t.Errorf("unzipped images stored: %v, want %v", stored, c.validIDX)
			}
		})
	}
	// A corrupt unzipped file is reported with a hint to rebuild it.
	root := t.TempDir()
	raw := writeRaw(t, root, map[string][]byte{"train-images-idx3-ubyte": []byte("junk"), trainLabels: good[trainLabels]})
	_, err := loadWith(sourceFor(good), root, Train)
	wantErr(t, err, filepath.Join(raw, "train-images-idx3-ubyte"), "bad magic number", "delete the file to rebuild it from "+trainImages)
}

func TestOfflineError(t *testing.T) {
	root := t.TempDir()
	o := FashionMNISTDefaults()
	o.Root = root
	_, err := FashionMNIST(o)
	raw := filepath.Join(root, "FashionMNIST", "raw")
	wantErr(t, err, "vision.FashionMNIST: missing train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz in "+raw,
		"Options.Download is false", "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz",
		"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", "Put them (gzipped or unzipped) into "+raw, "set BPGO_DATA_DIR", "Options.Download = true")
	if _, err := os.Stat(raw); !os.IsNotExist(err) {
		t.Errorf("an offline load created %s", raw)
	}
	// Only what the split needs is asked for; MNIST names its own directory and mirror.
	writeRaw(t, root, map[string][]byte{testImages: {1}})
	o.Split = Test
	_, err = FashionMNIST(o)
	wantErr(t, err, "missing t10k-labels-idx1-ubyte.gz in")
	o = MNISTDefaults()
	o.Root = root
	_, err = MNIST(o)
	wantErr(t, err, "vision.MNIST: missing", filepath.Join(root, "MNIST", "raw"), "http://yann.lecun.com/exdb/mnist/", "MNIST/raw/ with them")
}

func TestOptionsValidation(t *testing.T) {
	o := FashionMNISTDefaults()
	if o.Split != Train || o.Download || o.Client != http.DefaultClient || len(o.Mirrors) != 1 {
		t.Errorf("FashionMNISTDefaults() = %+v", o)
	}
	if m := MNISTDefaults(); len(m.Mirrors) != 2 || m.Mirrors[1] != "https://ossci-datasets.s3.amazonaws.com/mnist/" {
		t.Errorf("MNISTDefaults().Mirrors = %v", m.Mirrors)
	}
	o.Root = t.TempDir()
	bad := func(f func(*Options), want string) {
		t.Helper()
		p := o
		f(&p)
		_, err := FashionMNIST(p)
		wantErr(t, err, "vision.FashionMNIST: "+want)
	}
	bad(func(p *Options) { p.Root = "" }, `Options.Root: want a directory, got "" (set BPGO_DATA_DIR, or start from FashionMNISTDefaults())`)
	bad(func(p *Options) { p.Split = "val" }, `Options.Split: want "train" or "test", got "val"`)
	bad(func(p *Options) { p.Download, p.Mirrors = true, nil }, "Options.Mirrors: want at least one base URL")
	bad(func(p *Options) { p.Download, p.Client = true, nil }, "Options.Client: want an *http.Client, got nil (start from FashionMNISTDefaults())")
}

func TestDataDir(t *testing.T) {
	t.Setenv(DataDirEnv, "/data/here")
	if d, err := DataDir(); err != nil || d != "/data/here" {
		t.Errorf("with %s set: %q, %v", DataDirEnv, d, err)
	}
	if o := FashionMNISTDefaults(); o.Root != "/data/here" {
		t.Errorf("FashionMNISTDefaults().Root = %q", o.Root)
	}
	t.Setenv(DataDirEnv, "")
	t.Setenv("XDG_CACHE_HOME", "/cache")
	t.Setenv("HOME", "/home/u")
	want := "/cache/bpgo"
	if c, err := os.UserCacheDir(); err == nil {
		want = filepath.Join(c, "bpgo")
	}
	if d, err := DataDir(); err != nil || d != want {
		t.Errorf("default: %q, %v; want %q", d, err, want)
	}
}

// A read-only data directory holding only .gz files still loads.
func TestLoadReadOnlyDir(t *testing.T) {
	files := synthFiles(t, 3, 2)
	root := t.TempDir()
	raw := writeRaw(t, root, files)
	defer func(f func(string, []byte) error) { storeUnzipped = f }(storeUnzipped)
	storeUnzipped = func(string, []byte) error { return os.ErrPermission }
	for range 2 {
		d, err := loadWith(sourceFor(files), root, Train)
		if err != nil || d.Len() != 3 {
			t.Fatalf("%v", err)
		}
	}
	if got := listDir(t, raw); len(got) != 4 {
		t.Errorf("raw dir holds %v", got)
	}
}
