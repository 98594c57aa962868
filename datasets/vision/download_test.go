package vision

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// mirror serves files at /<name> on 127.0.0.1 and counts the requests; serve can override a
// file's response.
type mirror struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	hits  map[string]int
	serve func(w http.ResponseWriter, name string) bool
}

func newMirror(t *testing.T, files map[string][]byte) *mirror {
	m := &mirror{files: files, hits: map[string]int{}}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		m.mu.Lock()
		m.hits[name]++
		m.mu.Unlock()
		if m.serve != nil && m.serve(w, name) {
			return
		}
		b, ok := m.files[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(m.Close)
	return m
}

func downloadOpts(root string, mirrors ...string) Options {
	o := FashionMNISTDefaults()
	o.Root, o.Download, o.Mirrors = root, true, mirrors
	return o
}

func TestDownload(t *testing.T) {
	files := synthFiles(t, 6, 2)
	src := sourceFor(files)
	m := newMirror(t, files)
	root := t.TempDir()
	d, err := load(src, downloadOpts(root, m.URL+"/"))
	if err != nil {
		t.Fatal(err)
	}
	imgs, lbls := synthSet(6)
	if !bytes.Equal(d.Images, imgs) || !bytes.Equal(d.Labels, lbls) {
		t.Errorf("downloaded data differ")
	}
	raw := filepath.Join(root, "FashionMNIST", "raw")
	noTemps(t, raw)
	for _, n := range []string{trainImages, trainLabels} {
		if b, err := os.ReadFile(filepath.Join(raw, n)); err != nil || !bytes.Equal(b, files[n]) {
			t.Errorf("%s not kept as served: %v", n, err)
		}
	}
	// Only the split's files are fetched, once: the next load is local.
	if _, err := load(src, downloadOpts(root, m.URL)); err != nil {
		t.Fatal(err)
	}
	if m.hits[trainImages] != 1 || m.hits[trainLabels] != 1 || m.hits[testImages] != 0 {
		t.Errorf("requests %v", m.hits)
	}
}

func TestDownloadMirrorFallback(t *testing.T) {
	files := synthFiles(t, 3, 2)
	dead := newMirror(t, nil) // 404 for everything
	good := newMirror(t, files)
	root := t.TempDir()
	o := downloadOpts(root, dead.URL, good.URL+"/")
	o.Split = Test
	d, err := load(sourceFor(files), o)
	if err != nil || d.Len() != 2 {
		t.Fatalf("%v", err)
	}
	if dead.hits[testImages] != 1 || good.hits[testImages] != 1 {
		t.Errorf("requests: dead %v, good %v", dead.hits, good.hits)
	}
}

func TestDownloadFailures(t *testing.T) {
	files := synthFiles(t, 3, 2)
	src := sourceFor(files)
	cases := map[string]struct {
		serve func(w http.ResponseWriter, name string) bool
		want  []string
	}{
		"wrong content": {func(w http.ResponseWriter, name string) bool {
			w.Write(append(bytes.Clone(files[name]), 0))
			return true
		}, []string{"MD5 ", "want the official " + src.md5[trainImages], "not kept"}},
		"cut short": {func(w http.ResponseWriter, name string) bool {
			w.Header().Set("Content-Length", "100000")
			w.Write(files[name][:10])
			return true
		}, []string{"unexpected EOF"}},
		"server error": {func(w http.ResponseWriter, name string) bool {
			http.Error(w, "no", http.StatusInternalServerError)
			return true
		}, []string{"HTTP status 500"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m := newMirror(t, files)
			m.serve = c.serve
			root := t.TempDir()
			_, err := load(src, downloadOpts(root, m.URL))
			raw := filepath.Join(root, "FashionMNIST", "raw")
			wantErr(t, err, append([]string{"vision.FashionMNIST: missing " + trainImages, "downloading failed: ",
				m.URL + "/" + trainImages, "Put them (gzipped or unzipped) into " + raw, "BPGO_DATA_DIR"}, c.want...)...)
			if got := listDir(t, raw); len(got) != 0 {
				t.Errorf("left in the data dir: %v", got)
			}
		})
	}
	// No network at all: a closed server.
	m := newMirror(t, files)
	m.Close()
	root := t.TempDir()
	_, err := load(src, downloadOpts(root, m.URL))
	wantErr(t, err, "downloading failed", "connect", "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz")
}
