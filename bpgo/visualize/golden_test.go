package visualize_test

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/bpgo/bpgo/bpgo/visualize"
)

// regen rewrites the golden images: go test ./bpgo/visualize -regen
var regen = flag.Bool("regen", false, "rewrite the golden PNGs in testdata/ from the current rendering")

// goldenTolerance is the largest difference, in 8-bit levels of any channel of any pixel,
// between a rendering and its golden image. Renders are byte-identical run to run on one
// machine; across architectures (arm64 fuses multiply-adds, amd64 does not) anti-aliased edge
// pixels can shift by a few levels. A real change (a moved line or label, another colour, a
// missing marker) changes some pixel by far more than this.
const goldenTolerance = 8

// checkGolden renders f to PNG and compares it with testdata/<name>.png, like gonum/plot's
// cmpimg.CheckPlot. On a mismatch it writes the rendering to testdata/<name>_got.png and says
// where; -regen rewrites the golden file instead.
func checkGolden(t *testing.T, name string, f *visualize.Figure) {
	t.Helper()
	got, err := f.PNG()
	if err != nil {
		t.Fatalf("%s: PNG(): %v", name, err)
	}
	// Rendering the same figure again gives the same bytes.
	again, err := f.PNG()
	if err != nil || !bytes.Equal(got, again) {
		t.Fatalf("%s: a second rendering differs from the first (err %v)", name, err)
	}
	// The same figure renders as SVG too.
	if svg, err := f.SVG(); err != nil || !bytes.Contains(svg, []byte("<svg")) {
		t.Errorf("%s: SVG(): %v", name, err)
	}
	path := filepath.Join("testdata", name+".png")
	gotPath := filepath.Join("testdata", name+"_got.png")
	if *regen {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Remove(gotPath)
		t.Logf("wrote %s", path)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: no golden image (%v); create it with go test ./bpgo/visualize -regen and look at it", name, err)
	}
	if bytes.Equal(got, want) {
		os.Remove(gotPath)
		return
	}
	diff, where, err := pixelDiff(got, want)
	if err == nil && diff <= goldenTolerance {
		t.Logf("%s: not byte-identical to %s; largest pixel difference %d levels at %v (tolerance %d)", name, path, diff, where, goldenTolerance)
		os.Remove(gotPath)
		return
	}
	if werr := os.WriteFile(gotPath, got, 0o644); werr != nil {
		t.Errorf("%s: writing %s: %v", name, gotPath, werr)
	}
	if err != nil {
		t.Errorf("%s: rendering differs from %s: %v; got image in %s", name, path, err, gotPath)
		return
	}
	t.Errorf("%s: rendering differs from %s by up to %d levels (at pixel %v; tolerance %d); got image in %s (go test ./bpgo/visualize -regen accepts it)",
		name, path, diff, where, goldenTolerance, gotPath)
}

// pixelDiff decodes two PNGs and returns the largest channel difference and where it is.
func pixelDiff(a, b []byte) (int, image.Point, error) {
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		return 0, image.Point{}, fmt.Errorf("rendering is not a PNG: %v", err)
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return 0, image.Point{}, fmt.Errorf("golden file is not a PNG: %v", err)
	}
	if ia.Bounds() != ib.Bounds() {
		return 0, image.Point{}, fmt.Errorf("size %v, golden %v", ia.Bounds().Size(), ib.Bounds().Size())
	}
	worst, at := 0, image.Point{}
	r := ia.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, a1 := ia.At(x, y).RGBA()
			r2, g2, b2, a2 := ib.At(x, y).RGBA()
			for _, d := range [4][2]uint32{{r1, r2}, {g1, g2}, {b1, b2}, {a1, a2}} {
				v := int(d[0]>>8) - int(d[1]>>8)
				if v < 0 {
					v = -v
				}
				if v > worst {
					worst, at = v, image.Pt(x, y)
				}
			}
		}
	}
	return worst, at, nil
}

// TestPixelDiff: the comparison sees a one-pixel change and a size change.
func TestPixelDiff(t *testing.T) {
	enc := func(img image.Image) []byte {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a := image.NewNRGBA(image.Rect(0, 0, 8, 6))
	b := image.NewNRGBA(image.Rect(0, 0, 8, 6))
	for i := range a.Pix { // opaque white
		a.Pix[i], b.Pix[i] = 255, 255
	}
	b.Pix[4*(3*8+5)+1] = 215 // green of pixel (5, 3), 40 levels off
	d, at, err := pixelDiff(enc(a), enc(b))
	if err != nil || d != 40 || at != image.Pt(5, 3) {
		t.Errorf("pixelDiff = %d at %v (%v), want 40 at (5,3)", d, at, err)
	}
	if d, _, err := pixelDiff(enc(a), enc(a)); err != nil || d != 0 {
		t.Errorf("pixelDiff of an image with itself = %d (%v)", d, err)
	}
	if _, _, err := pixelDiff(enc(a), enc(image.NewNRGBA(image.Rect(0, 0, 8, 5)))); err == nil {
		t.Errorf("pixelDiff of images of different sizes: no error")
	}
	if _, _, err := pixelDiff(enc(a), []byte("not a png")); err == nil {
		t.Errorf("pixelDiff with a corrupt golden file: no error")
	}
}
