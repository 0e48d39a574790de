package mnist

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeFile is a small IDX file with its table entry.
type fakeFile struct {
	File
	data []byte
}

// fakeFiles returns a small image file and label file.
func fakeFiles() []fakeFile {
	var fs []fakeFile
	for _, d := range []struct {
		name string
		data []byte
	}{
		{"fake-images-idx3-ubyte", idxFile([]uint32{3, 4, 5}, randomImages(20, 3, 4, 5))},
		{"fake-labels-idx1-ubyte", idxFile([]uint32{3}, []byte{4, 0, 7})},
	} {
		sum := sha256.Sum256(d.data)
		fs = append(fs, fakeFile{File{d.name, int64(len(d.data)), hex.EncodeToString(sum[:])}, d.data})
	}
	return fs
}

func table(fs []fakeFile) []File {
	var t []File
	for _, f := range fs {
		t = append(t, f.File)
	}
	return t
}

// mirror serves each fake file as name.gz under /prefix/, as a given
// behaviour says, and counts the requests it gets.
type mirror struct {
	files    []fakeFile
	behave   string // see ServeHTTP
	requests atomic.Int64
	t        *testing.T

	mu    sync.Mutex
	tries map[string]int // requests per file
}

// ServeHTTP serves a file as m.behave says: "good"; "404"; "short"
// (Content-Length too large); "cut" (gzip cut); "corrupt" (wrong content);
// "flaky" (503 for the first two requests of each file, then good);
// "stall" (headers and 100 bytes, then nothing until the client leaves);
// "silent" (nothing at all until the client leaves).
func (m *mirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.requests.Add(1)
	for _, f := range m.files {
		if filepath.Base(r.URL.Path) != f.Name+".gz" {
			continue
		}
		m.mu.Lock()
		if m.tries == nil {
			m.tries = make(map[string]int)
		}
		m.tries[f.Name]++
		try := m.tries[f.Name]
		m.mu.Unlock()
		body := gz(m.t, f.data)
		switch m.behave {
		case "404":
			http.NotFound(w, r)
			return
		case "short":
			w.Header().Set("Content-Length", strconv.Itoa(len(body)+100))
		case "cut":
			body = body[:len(body)/2]
		case "corrupt":
			data := bytes.Clone(f.data)
			data[len(data)-1] ^= 1
			body = gz(m.t, data)
		case "flaky":
			if try <= 2 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
		case "stall":
			w.Header().Set("Content-Length", strconv.Itoa(len(body)+1000))
			w.Write(body[:min(100, len(body))])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		case "silent":
			<-r.Context().Done()
			return
		}
		w.Write(body)
		return
	}
	http.NotFound(w, r)
}

// serve starts a server with one mirror per behaviour, under /0/, /1/, …,
// and returns the mirrors and their base URLs.
func serve(t *testing.T, files []fakeFile, behaviours ...string) ([]*mirror, []string, *http.Client) {
	mux := http.NewServeMux()
	var ms []*mirror
	var urls []string
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for i, b := range behaviours {
		m := &mirror{files: files, behave: b, t: t}
		prefix := "/" + strconv.Itoa(i) + "/"
		mux.Handle(prefix, m)
		ms = append(ms, m)
		urls = append(urls, srv.URL+prefix)
	}
	return ms, urls, srv.Client()
}

// checkDir checks that dir holds exactly the given files, with their data.
func checkDir(t *testing.T, dir string, files []fakeFile) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != len(files) {
		t.Fatalf("dir holds %v, want %d files", names, len(files))
	}
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, f.data) {
			t.Errorf("%s: content differs from the served file", f.Name)
		}
	}
}

func TestDownload(t *testing.T) {
	files := fakeFiles()
	ms, urls, client := serve(t, files, "good")
	dir := filepath.Join(t.TempDir(), "new")
	var progress bytes.Buffer
	opts := DownloadOptions{Mirrors: urls, Files: table(files), Client: client, Progress: &progress}
	if err := Download(context.Background(), dir, opts); err != nil {
		t.Fatal(err)
	}
	checkDir(t, dir, files)
	if n := ms[0].requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if _, _, _, _, err := ReadImages(filepath.Join(dir, files[0].Name)); err != nil {
		t.Errorf("downloaded file does not read back: %v", err)
	}
	for _, f := range files {
		if !strings.Contains(progress.String(), f.Name+".gz: ") || !strings.Contains(progress.String(), "(100%)") {
			t.Errorf("progress %q does not report %s at 100%%", progress.String(), f.Name)
		}
	}

	// A second call finds the files and makes no request.
	progress.Reset()
	if err := Download(context.Background(), dir, opts); err != nil {
		t.Fatal(err)
	}
	if n := ms[0].requests.Load(); n != 2 {
		t.Errorf("second Download made %d requests, want none", n-2)
	}
	if !strings.Contains(progress.String(), "present and verified") {
		t.Errorf("second Download progress %q, want present and verified", progress.String())
	}
	checkDir(t, dir, files)
}

// TestDownloadKeepsOthers checks that a file present under one of the
// names but with other contents (another data set under MNIST's names) is
// neither replaced nor joined by downloaded files, and that the error says
// so without asking to delete anything.
func TestDownloadKeepsOthers(t *testing.T) {
	files := fakeFiles()
	ms, urls, client := serve(t, files, "good")
	for _, name := range []string{files[1].Name, files[1].Name + ".gz"} {
		dir := t.TempDir()
		other := gz(t, files[0].data)
		writeFile(t, dir, name, other)
		err := Download(context.Background(), dir, DownloadOptions{Mirrors: urls, Files: table(files), Client: client})
		if err == nil || !strings.Contains(err.Error(), "does not replace them") || !strings.Contains(err.Error(), filepath.Join(dir, name)) || strings.Contains(err.Error(), "delete") {
			t.Errorf("Download into a directory holding another %s: error %v, want one naming it and saying it is not replaced", name, err)
		}
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !bytes.Equal(got, other) {
			t.Errorf("Download changed %s (%v)", name, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("Download left %d entries, want the 1 file that was there", len(entries))
		}
	}
	if n := ms[0].requests.Load(); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}

func TestDownloadFailure(t *testing.T) {
	for _, b := range []string{"404", "short", "cut", "corrupt"} {
		t.Run(b, func(t *testing.T) {
			files := fakeFiles()[:1]
			_, urls, client := serve(t, files, b, b)
			dir := t.TempDir()
			err := Download(context.Background(), dir, DownloadOptions{Mirrors: urls, Files: table(files), Client: client, Backoff: time.Millisecond})
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range []string{"could not download " + files[0].Name, "scripts/get-mnist.sh", "-data DIR", urls[0], urls[1]} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			checkDir(t, dir, nil)
		})
	}
}

func TestDownloadFallback(t *testing.T) {
	for _, b := range []string{"404", "short", "cut", "corrupt"} {
		t.Run(b, func(t *testing.T) {
			files := fakeFiles()
			ms, urls, client := serve(t, files, b, "good")
			dir := t.TempDir()
			if err := Download(context.Background(), dir, DownloadOptions{Mirrors: urls, Files: table(files), Client: client, Backoff: time.Millisecond}); err != nil {
				t.Fatal(err)
			}
			checkDir(t, dir, files)
			// A body cut short by the connection is asked for again.
			want := int64(2)
			if b == "short" {
				want *= 1 + DefaultRetries
			}
			if n := ms[0].requests.Load(); n != want {
				t.Errorf("first mirror got %d requests, want %d", n, want)
			}
		})
	}
}

func TestDownloadCanceled(t *testing.T) {
	files := fakeFiles()
	ms, urls, client := serve(t, files, "good", "good")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	err := Download(ctx, dir, DownloadOptions{Mirrors: urls, Files: table(files), Client: client})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if n := ms[1].requests.Load(); n != 0 {
		t.Errorf("second mirror got %d requests after cancellation, want 0", n)
	}
	checkDir(t, dir, nil)
}

func TestDownloadBadOptions(t *testing.T) {
	good := table(fakeFiles())
	for _, opts := range []DownloadOptions{
		{Mirrors: []string{}, Files: good},
		{Mirrors: []string{"http://127.0.0.1:1/"}, Files: []File{{Name: "../x", Size: 1, SHA256: good[0].SHA256}}},
		{Mirrors: []string{"http://127.0.0.1:1/"}, Files: []File{{Name: "x", Size: 0, SHA256: good[0].SHA256}}},
		{Mirrors: []string{"http://127.0.0.1:1/"}, Files: []File{{Name: "x", Size: 1, SHA256: "abc"}}},
	} {
		dir := filepath.Join(t.TempDir(), "d")
		if err := Download(context.Background(), dir, opts); err == nil {
			t.Errorf("Download with %+v: no error", opts)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Download with bad options created %s", dir)
		}
	}
}
