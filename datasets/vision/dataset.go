package vision

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// Splits of a data set.
const (
	Train = "train" // 60,000 images
	Test  = "test"  // 10,000 images
)

// DataDirEnv names the environment variable that sets the data root (DataDir).
const DataDirEnv = "BPGO_DATA_DIR"

// DataDir is the default data root: $BPGO_DATA_DIR if set, else <user cache dir>/bpgo
// (~/.cache/bpgo on Linux).
func DataDir() (string, error) {
	if d := os.Getenv(DataDirEnv); d != "" {
		return d, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("vision.DataDir: %s is not set and there is no user cache directory: %w", DataDirEnv, err)
	}
	return filepath.Join(c, "bpgo"), nil
}

// Options configure FashionMNIST and MNIST; start from FashionMNISTDefaults or MNISTDefaults.
type Options struct {
	// Root is the data root; the files live in Root/<FashionMNIST|MNIST>/raw, BrainPy's and
	// torchvision's layout, so a directory filled by either works. Default DataDir() ("" if that
	// fails, which FashionMNIST reports).
	Root string
	// Split is Train or Test. Default Train.
	Split string
	// Download fetches missing files from Mirrors. Default false, as in BrainPy.
	Download bool
	// Mirrors are base URLs tried in order for each file. Default: the official locations.
	Mirrors []string
	// Client makes the downloads. Default http.DefaultClient.
	Client *http.Client
}

// FashionMNISTDefaults are bd.vision.FashionMNIST's defaults: split 'train', download=False,
// the official mirror, and DataDir as the root.
func FashionMNISTDefaults() Options { return defaults(fashionMNIST) }

// MNISTDefaults are bd.vision.MNIST's defaults (mirrors: yann.lecun.com, then PyTorch's S3 copy).
func MNISTDefaults() Options { return defaults(mnist) }

func defaults(s source) Options {
	root, _ := DataDir()
	return Options{Root: root, Split: Train, Mirrors: append([]string(nil), s.mirrors...), Client: http.DefaultClient}
}

// Dataset is one split of an image data set: uint8 images and their class indices.
type Dataset struct {
	Name       string // "FashionMNIST" or "MNIST"
	Split      string
	Rows, Cols int     // 28, 28
	Images     []uint8 // (Len, Rows, Cols), row-major, 0 = background
	Labels     []uint8 // class indices 0..len(Classes)-1
	Classes    []string
}

// Len is the number of images.
func (d *Dataset) Len() int { return len(d.Labels) }

// Image returns image i as a Rows·Cols slice of d.Images (not a copy).
func (d *Dataset) Image(i int) []uint8 {
	n := d.Rows * d.Cols
	return d.Images[i*n : (i+1)*n : (i+1)*n]
}

// FashionMNIST loads one split of Fashion-MNIST (Zalando's 28×28 clothing images, 10 classes)
// like bd.vision.FashionMNIST(root, split, download): the files are looked for in
// Root/FashionMNIST/raw, unzipped IDX files first, then the .gz files (MD5-checked, see
// ManifestName), and, with Download, fetched from the mirrors (MD5-checked before they are kept).
// Pixel values are not normalised; labels are class indices.
func FashionMNIST(o Options) (*Dataset, error) { return load(fashionMNIST, o) }

// MNIST loads one split of MNIST (handwritten digits) like bd.vision.MNIST; see FashionMNIST.
func MNIST(o Options) (*Dataset, error) { return load(mnist, o) }

func load(s source, o Options) (*Dataset, error) {
	fn := "vision." + s.name
	if o.Root == "" {
		return nil, fmt.Errorf("%s: Options.Root: want a directory, got \"\" (set %s, or start from %sDefaults())", fn, DataDirEnv, s.name)
	}
	var imgName, lblName string
	switch o.Split {
	case Train:
		imgName, lblName = trainImages, trainLabels
	case Test:
		imgName, lblName = testImages, testLabels
	default:
		return nil, fmt.Errorf("%s: Options.Split: want %q or %q, got %q", fn, Train, Test, o.Split)
	}
	if o.Download {
		if len(o.Mirrors) == 0 {
			return nil, fmt.Errorf("%s: Options.Mirrors: want at least one base URL to download from, got none (start from %sDefaults())", fn, s.name)
		}
		if o.Client == nil {
			return nil, fmt.Errorf("%s: Options.Client: want an *http.Client, got nil (start from %sDefaults())", fn, s.name)
		}
	}
	raw := filepath.Join(o.Root, s.name, "raw")
	f := fetcher{fn: fn, src: s, raw: raw, opts: o}

	// What is missing locally decides between loading and downloading.
	var missing []string
	for _, name := range []string{imgName, lblName} {
		has, err := f.present(name)
		if err != nil {
			return nil, err
		}
		if !has {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 && !o.Download {
		return nil, f.offlineError(missing, nil)
	}
	if len(missing) > 0 {
		if err := os.MkdirAll(raw, 0o755); err != nil {
			return nil, fmt.Errorf("%s: creating the data directory: %w", fn, err)
		}
		var errs []error
		for _, name := range missing {
			if err := f.download(name); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) > 0 {
			return nil, f.offlineError(missing, errors.Join(errs...))
		}
	}

	img, err := f.idx(imgName)
	if err != nil {
		return nil, err
	}
	lbl, err := f.idx(lblName)
	if err != nil {
		return nil, err
	}
	if len(img.Dims) != 3 {
		return nil, fmt.Errorf("%s: %s: want 3 dimensions (images, rows, cols), got %v", fn, f.path(imgName), img.Dims)
	}
	if len(lbl.Dims) != 1 {
		return nil, fmt.Errorf("%s: %s: want 1 dimension (labels), got %v", fn, f.path(lblName), lbl.Dims)
	}
	if img.Dims[0] != lbl.Dims[0] {
		return nil, fmt.Errorf("%s: %d images in %s but %d labels in %s: the files do not belong together",
			fn, img.Dims[0], f.path(imgName), lbl.Dims[0], f.path(lblName))
	}
	for i, l := range lbl.Data {
		if int(l) >= len(s.classes) {
			return nil, fmt.Errorf("%s: %s: label %d of image %d is not a class index 0..%d", fn, f.path(lblName), l, i, len(s.classes)-1)
		}
	}
	return &Dataset{
		Name: s.name, Split: o.Split, Rows: img.Dims[1], Cols: img.Dims[2],
		Images: img.Data, Labels: lbl.Data, Classes: append([]string(nil), s.classes...),
	}, nil
}

// offlineError explains where the files go when they are missing and cannot be downloaded.
func (f *fetcher) offlineError(missing []string, cause error) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: missing %s in %s", f.fn, strings.Join(missing, ", "), f.raw)
	if cause != nil {
		fmt.Fprintf(&b, "; downloading failed: %v", cause)
	} else {
		b.WriteString(" and Options.Download is false")
	}
	fmt.Fprintf(&b, ". The data set's four files are %s (from %s). Put them (gzipped or unzipped) into %s, "+
		"or set %s to a directory that holds %s/raw/ with them, or set Options.Download = true",
		strings.Join(allFiles, ", "), f.src.mirrors[0], f.raw, DataDirEnv, f.src.name)
	return errors.New(b.String())
}

// exists reports whether path is an existing regular file.
func exists(path string) (bool, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !st.Mode().IsRegular() {
		return false, fmt.Errorf("%s is not a regular file", path)
	}
	return true, nil
}
