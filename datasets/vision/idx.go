package vision

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// IDX is an array in the IDX format of the MNIST family: unsigned bytes in row-major order.
type IDX struct {
	Dims []int
	Data []uint8
}

// idxUint8 is the IDX type code of unsigned bytes, the only one the MNIST family uses.
const idxUint8 = 0x08

// maxIDXElements bounds what ReadIDX allocates from a header, so a corrupt header cannot ask
// for terabytes (the largest real file, train-images, has 47 M elements).
const maxIDXElements = 1 << 31

// ReadIDX parses one IDX array of unsigned bytes: a 4-byte big-endian magic number (two zero
// bytes, the type code 0x08, the number of dimensions), one big-endian uint32 size per
// dimension, then the data. The reader must end exactly where the data does.
func ReadIDX(r io.Reader) (*IDX, error) {
	br := bufio.NewReader(r)
	var magic [4]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		return nil, fmt.Errorf("vision.ReadIDX: reading the magic number: %w", truncated(err))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("vision.ReadIDX: bad magic number 0x%08x: want 0x0000TTDD (TT type, DD dims); not an IDX file",
			binary.BigEndian.Uint32(magic[:]))
	}
	if magic[2] != idxUint8 {
		return nil, fmt.Errorf("vision.ReadIDX: magic number 0x%08x has type code 0x%02x: only unsigned bytes (0x08) are supported",
			binary.BigEndian.Uint32(magic[:]), magic[2])
	}
	ndim := int(magic[3])
	if ndim == 0 {
		return nil, fmt.Errorf("vision.ReadIDX: magic number 0x%08x declares 0 dimensions", binary.BigEndian.Uint32(magic[:]))
	}
	dims := make([]int, ndim)
	total := 1
	for i := range dims {
		var b [4]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return nil, fmt.Errorf("vision.ReadIDX: reading the size of dimension %d of %d: %w", i, ndim, truncated(err))
		}
		dims[i] = int(binary.BigEndian.Uint32(b[:]))
		if dims[i] != 0 && total > maxIDXElements/dims[i] {
			return nil, fmt.Errorf("vision.ReadIDX: sizes %v exceed %d elements; corrupt header", dims[:i+1], maxIDXElements)
		}
		total *= dims[i]
	}
	data := make([]uint8, total)
	if n, err := io.ReadFull(br, data); err != nil {
		return nil, fmt.Errorf("vision.ReadIDX: header %v declares %d bytes of data, only %d present: %w", dims, total, n, truncated(err))
	}
	if n, _ := io.CopyN(io.Discard, br, 1); n != 0 {
		return nil, fmt.Errorf("vision.ReadIDX: bytes after the %d declared by header %v; corrupt or not an IDX file", total, dims)
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// truncated turns io.EOF into io.ErrUnexpectedEOF: a file that stops inside a field is cut short.
func truncated(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// WriteIDX writes data as an IDX array of unsigned bytes with the given dimensions.
func WriteIDX(w io.Writer, dims []int, data []uint8) error {
	if len(dims) == 0 || len(dims) > 255 {
		return fmt.Errorf("vision.WriteIDX: dims: want 1 to 255 dimensions, got %d", len(dims))
	}
	total := 1
	for i, d := range dims {
		if d < 0 || uint64(d) > 0xffffffff {
			return fmt.Errorf("vision.WriteIDX: dims[%d]: want 0 to 2^32-1, got %d", i, d)
		}
		total *= d
	}
	if total != len(data) {
		return fmt.Errorf("vision.WriteIDX: data: dims %v hold %d bytes, got %d", dims, total, len(data))
	}
	hdr := make([]byte, 4*(len(dims)+1))
	hdr[2], hdr[3] = idxUint8, byte(len(dims))
	for i, d := range dims {
		binary.BigEndian.PutUint32(hdr[4*(i+1):], uint32(d))
	}
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("vision.WriteIDX: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("vision.WriteIDX: %w", err)
	}
	return nil
}
