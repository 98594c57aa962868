package vision

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// ManifestName is the checksum file that ImportFashionMNISTNPM writes next to the .gz files it
// builds, in md5sum's format ("<md5>  <file name>" per line).
//
// A .gz file is accepted if its MD5 is the official one (the only check for downloaded files,
// made before the file is kept) or, for files already in the raw directory, the one listed for
// it in this manifest. Re-encoded files (built from another copy of the data) cannot have the
// official MD5, so the manifest is what lets them through; it guards against corruption and
// truncation, not against substitution: whoever writes into the raw directory is trusted.
// Unzipped IDX files are not checksummed (as in BrainPy, their presence is enough), only their
// structure is checked when they are read.
const ManifestName = "bpgo-built.md5"

// maxDownload bounds a download; the largest official file (Fashion-MNIST train images) is 26 MB.
const maxDownload = 64 << 20

// fetcher finds, checks, unzips and downloads the files of one data set in one raw directory.
type fetcher struct {
	fn   string // error prefix
	src  source
	raw  string
	opts Options
}

func (f *fetcher) path(name string) string { return filepath.Join(f.raw, name) }

// present reports whether the .gz file name or its unzipped form is in the raw directory.
func (f *fetcher) present(name string) (bool, error) {
	for _, p := range []string{f.path(strings.TrimSuffix(name, ".gz")), f.path(name)} {
		ok, err := exists(p)
		if err != nil {
			return false, fmt.Errorf("%s: %w", f.fn, err)
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// idx reads the array of the .gz file name: from its unzipped form if present, else from the
// checked .gz, whose unzipped form it then stores if it can (written to a temporary file,
// renamed when complete) so that the next load skips the decompression.
func (f *fetcher) idx(name string) (*IDX, error) {
	unz := f.path(strings.TrimSuffix(name, ".gz"))
	if ok, err := exists(unz); err != nil {
		return nil, fmt.Errorf("%s: %w", f.fn, err)
	} else if ok {
		fh, err := os.Open(unz)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.fn, err)
		}
		defer fh.Close()
		a, err := ReadIDX(fh)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w (delete the file to rebuild it from %s)", f.fn, unz, err, name)
		}
		return a, nil
	}
	gz := f.path(name)
	if err := f.checkMD5(name); err != nil {
		return nil, err
	}
	data, err := gunzip(gz)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w (delete it; Options.Download fetches it again)", f.fn, gz, err)
	}
	a, err := ReadIDX(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", f.fn, gz, err)
	}
	// Storing is only a cache: a read-only data directory (say, pre-filled in a container
	// image) still loads, unzipping each time.
	_ = storeUnzipped(unz, data)
	return a, nil
}

// gunzip decompresses a whole file; the gzip trailer's CRC and length are checked at the end.
func gunzip(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	zr, err := gzip.NewReader(bufio.NewReader(fh))
	if err != nil {
		return nil, fmt.Errorf("not a gzip file: %w", truncated(err))
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, zr); err != nil {
		return nil, fmt.Errorf("corrupt or truncated gzip data: %w", truncated(err))
	}
	return buf.Bytes(), nil
}

// checkMD5 accepts the .gz file name if its MD5 is the official one or the manifest's.
func (f *fetcher) checkMD5(name string) error {
	p := f.path(name)
	got, err := md5File(p)
	if err != nil {
		return fmt.Errorf("%s: %w", f.fn, err)
	}
	want := f.src.md5[name]
	if got == want {
		return nil
	}
	listed, err := readManifest(filepath.Join(f.raw, ManifestName))
	if err != nil {
		return fmt.Errorf("%s: %w", f.fn, err)
	}
	if m, ok := listed[name]; ok {
		if got == m {
			return nil
		}
		return fmt.Errorf("%s: %s: MD5 %s matches neither the official %s nor %s's %s: the file is corrupt "+
			"(delete it and rebuild or re-download it)", f.fn, p, got, want, ManifestName, m)
	}
	return fmt.Errorf("%s: %s: MD5 %s, want the official %s: the file is corrupt or not the official release "+
		"(delete it; Options.Download fetches it again)", f.fn, p, got, want)
}

func md5File(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := md5.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readManifest parses md5sum lines; a missing manifest lists nothing.
func readManifest(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for i, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		sum, name, ok := strings.Cut(line, "  ")
		if _, herr := hex.DecodeString(sum); !ok || len(sum) != 32 || herr != nil || name == "" {
			return nil, fmt.Errorf("%s line %d: want \"<32 hex digits>  <file name>\", got %q", path, i+1, line)
		}
		m[name] = strings.ToLower(sum)
	}
	return m, nil
}

// writeManifest records the MD5 of the named files of dir in dir/ManifestName.
func writeManifest(dir string, names []string) error {
	var b strings.Builder
	for _, n := range names {
		sum, err := md5File(filepath.Join(dir, n))
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, n)
	}
	return writeAtomic(filepath.Join(dir, ManifestName), []byte(b.String()))
}

// storeUnzipped is writeAtomic; tests replace it to simulate a read-only directory.
var storeUnzipped = writeAtomic

// writeAtomic writes data to a temporary file in path's directory and renames it into place,
// so that path never holds a partial file.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o644) // CreateTemp makes 0600; the data files are not secret
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// download fetches the .gz file name from the first mirror that serves it with the official
// MD5; the file is written to a temporary name and renamed only after the check.
func (f *fetcher) download(name string) error {
	var errs []error
	for _, base := range f.opts.Mirrors {
		url := strings.TrimSuffix(base, "/") + "/" + name
		err := f.downloadFrom(url, name)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", url, err))
	}
	return errors.Join(errs...)
}

func (f *fetcher) downloadFrom(url, name string) error {
	resp, err := f.opts.Client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP status %s", resp.Status)
	}
	tmp, err := os.CreateTemp(f.raw, "."+name+".*.part")
	if err != nil {
		return err
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return fmt.Errorf("after %d bytes: %w", n, err)
	}
	if n > maxDownload {
		return fmt.Errorf("larger than %d bytes; not the expected file", maxDownload)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return fmt.Errorf("got %d of %d bytes", n, resp.ContentLength)
	}
	if got, want := hex.EncodeToString(h.Sum(nil)), f.src.md5[name]; got != want {
		return fmt.Errorf("MD5 %s, want the official %s (%d bytes received); not kept", got, want, n)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), f.path(name)); err != nil {
		return err
	}
	keep = true
	return nil
}
