package vision

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"
)

func TestIDXRoundTrip(t *testing.T) {
	for _, dims := range [][]int{{5}, {3, 28, 28}, {2, 3, 4, 5}, {0}, {4, 0, 7}} {
		n := 1
		for _, d := range dims {
			n *= d
		}
		data := make([]uint8, n)
		for i := range data {
			data[i] = uint8(i * 31)
		}
		b := idxBytes(t, dims, data)
		if want := 4*(len(dims)+1) + n; len(b) != want {
			t.Errorf("dims %v: %d bytes, want %d", dims, len(b), want)
		}
		a, err := ReadIDX(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("dims %v: %v", dims, err)
		}
		if !slices.Equal(a.Dims, dims) || !bytes.Equal(a.Data, data) {
			t.Errorf("dims %v: read back %v, %d bytes", dims, a.Dims, len(a.Data))
		}
	}
}

// The header layout of the real files: magic 2051 (0x803) for images and 2049 for labels, then
// big-endian sizes.
func TestIDXHeaderBytes(t *testing.T) {
	b := idxBytes(t, []int{60000, 28, 28}, make([]uint8, 60000*784))
	want := []byte{0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28}
	if !bytes.Equal(b[:16], want) {
		t.Errorf("image header % x, want % x", b[:16], want)
	}
	b = idxBytes(t, []int{10000}, make([]uint8, 10000))
	if want := []byte{0, 0, 8, 1, 0, 0, 0x27, 0x10}; !bytes.Equal(b[:8], want) {
		t.Errorf("label header % x, want % x", b[:8], want)
	}
}

func TestReadIDXErrors(t *testing.T) {
	good := idxBytes(t, []int{2, 3}, []uint8{1, 2, 3, 4, 5, 6})
	cases := map[string]struct {
		in   []byte
		want []string
	}{
		"empty":          {nil, []string{"magic", "unexpected EOF"}},
		"short magic":    {[]byte{0, 0, 8}, []string{"magic", "unexpected EOF"}},
		"bad magic":      {append([]byte{0x1f, 0x8b}, good[2:]...), []string{"bad magic number 0x1f8b0802", "not an IDX file"}},
		"int32 type":     {append([]byte{0, 0, 0x0c, 2}, good[4:]...), []string{"type code 0x0c", "only unsigned bytes"}},
		"no dims":        {[]byte{0, 0, 8, 0}, []string{"0 dimensions"}},
		"short header":   {good[:10], []string{"size of dimension 1 of 2", "unexpected EOF"}},
		"truncated data": {good[:len(good)-2], []string{"declares 6 bytes of data, only 4 present", "unexpected EOF"}},
		"trailing bytes": {append(slices.Clone(good), 9), []string{"bytes after the 6 declared"}},
		"huge sizes":     {[]byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 2}, []string{"exceed", "corrupt header"}},
	}
	for name, c := range cases {
		_, err := ReadIDX(bytes.NewReader(c.in))
		t.Run(name, func(t *testing.T) { wantErr(t, err, append([]string{"vision.ReadIDX: "}, c.want...)...) })
	}
	_, err := ReadIDX(bytes.NewReader(good[:7]))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated header: %v does not wrap io.ErrUnexpectedEOF", err)
	}
}

func TestWriteIDXErrors(t *testing.T) {
	var b bytes.Buffer
	wantErr(t, WriteIDX(&b, nil, nil), "vision.WriteIDX: dims: want 1 to 255 dimensions, got 0")
	wantErr(t, WriteIDX(&b, []int{2, -1}, nil), "dims[1]: want 0 to 2^32-1, got -1")
	wantErr(t, WriteIDX(&b, []int{2, 3}, make([]uint8, 5)), "dims [2 3] hold 6 bytes, got 5")
	if b.Len() != 0 {
		t.Errorf("failed writes wrote %d bytes", b.Len())
	}
}
