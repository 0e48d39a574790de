package mnist

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
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

// TestDownloadStall checks that a mirror that answers and then stops
// sending is given up after the idle timeout, asked again as often as
// Retries says, and that the progress says what is being waited for.
func TestDownloadStall(t *testing.T) {
	files := fakeFiles()[:1]
	ms, urls, client := serve(t, files, "stall")
	dir := filepath.Join(t.TempDir(), "data")
	var progress bytes.Buffer
	const idle = 150 * time.Millisecond
	start := time.Now()
	err := Download(context.Background(), dir, DownloadOptions{
		Mirrors: urls, Files: table(files), Client: client, Progress: &progress,
		IdleTimeout: idle, Retries: 1, Backoff: time.Millisecond,
	})
	elapsed := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "no data for 150ms after 0.0 of") || !strings.Contains(err.Error(), "idle timeout") || !strings.Contains(err.Error(), "after 2 attempts") {
		t.Errorf("error %v, want no data for 150ms (the idle timeout) after 2 attempts", err)
	}
	if n := ms[0].requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2 (Retries 1)", n)
	}
	if elapsed < 2*idle || elapsed > 2*time.Second {
		t.Errorf("gave up after %v, want about 2 × %v", elapsed, idle)
	}
	for _, want := range []string{"asking " + urls[0], "waiting up to 150ms (the idle timeout)", "asking again in 1ms (retry 1 of 1)"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress %q does not say %q", progress.String(), want)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("failed Download left %s behind (%v)", dir, err)
	}
}

// TestDownloadNoAnswer checks that a mirror that never answers is given up
// after the answer timeout, without retries, for the next mirror.
func TestDownloadNoAnswer(t *testing.T) {
	files := fakeFiles()
	ms, urls, client := serve(t, files, "silent", "good")
	dir := t.TempDir()
	var progress bytes.Buffer
	start := time.Now()
	err := Download(context.Background(), dir, DownloadOptions{
		Mirrors: urls, Files: table(files), Client: client, Progress: &progress, AnswerTimeout: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkDir(t, dir, files)
	if n := ms[0].requests.Load(); n != 2 {
		t.Errorf("the silent mirror got %d requests, want one per file", n)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("took %v with an answer timeout of 100ms", elapsed)
	}
	if !strings.Contains(progress.String(), "(waiting up to 100ms for an answer)") {
		t.Errorf("progress %q does not say how long it waits for an answer", progress.String())
	}

	_, urls, client = serve(t, files[:1], "silent")
	err = Download(context.Background(), t.TempDir(), DownloadOptions{Mirrors: urls, Files: table(files[:1]), Client: client, AnswerTimeout: 50 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "no answer within 50ms (the answer timeout)") {
		t.Errorf("error %v, want no answer within 50ms", err)
	}
}

// TestDownloadRetries checks that a mirror that fails twice with 503 is
// asked again, after the backoff, and delivers on the third request.
func TestDownloadRetries(t *testing.T) {
	files := fakeFiles()
	ms, urls, client := serve(t, files, "flaky")
	dir := t.TempDir()
	var progress bytes.Buffer
	start := time.Now()
	opts := DownloadOptions{Mirrors: urls, Files: table(files), Client: client, Progress: &progress, Backoff: 20 * time.Millisecond}
	if err := Download(context.Background(), dir, opts); err != nil {
		t.Fatal(err)
	}
	checkDir(t, dir, files)
	if n := ms[0].requests.Load(); n != 6 {
		t.Errorf("%d requests, want 3 per file", n)
	}
	// Two files, each waiting 20 ms and then 40 ms.
	if elapsed := time.Since(start); elapsed < 120*time.Millisecond {
		t.Errorf("done in %v, want the backoff of 20 and 40 ms per file", elapsed)
	}
	for _, want := range []string{"503 Service Unavailable; asking again in 20ms (retry 1 of 2)", "asking again in 40ms (retry 2 of 2)"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress %q does not say %q", progress.String(), want)
		}
	}

	// With one retry the mirror is given up.
	ms, urls, client = serve(t, files, "flaky")
	opts = DownloadOptions{Mirrors: urls, Files: table(files), Client: client, Retries: 1, Backoff: time.Millisecond}
	err := Download(context.Background(), t.TempDir(), opts)
	if err == nil || !strings.Contains(err.Error(), "503 Service Unavailable (after 2 attempts)") {
		t.Errorf("error %v, want 503 after 2 attempts", err)
	}
	if n := ms[0].requests.Load(); n != 2 {
		t.Errorf("%d requests with Retries 1, want 2", n)
	}
}

// TestDownloadLeavesNoDirectory checks that a failed download removes the
// directories it created, and only those.
func TestDownloadLeavesNoDirectory(t *testing.T) {
	files := fakeFiles()
	_, urls, client := serve(t, files, "404")
	root := t.TempDir()
	opts := DownloadOptions{Mirrors: urls, Files: table(files), Client: client}
	if err := Download(context.Background(), filepath.Join(root, "a", "b", "c"), opts); err == nil {
		t.Fatal("no error")
	}
	if entries, err := os.ReadDir(root); err != nil || len(entries) != 0 {
		t.Errorf("failed Download left %v in %s (%v), want nothing", entries, root, err)
	}
	if err := os.Mkdir(filepath.Join(root, "kept"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Download(context.Background(), filepath.Join(root, "kept", "new"), opts); err == nil {
		t.Fatal("no error")
	}
	if entries, err := os.ReadDir(filepath.Join(root, "kept")); err != nil || len(entries) != 0 {
		t.Errorf("failed Download left %v in kept (%v); want kept, empty", entries, err)
	}
}
