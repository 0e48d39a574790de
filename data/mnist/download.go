package mnist

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/myelin-go/myelin/internal/atomicfile"
)

// DefaultMirrors returns the base URLs that Download tries, in order, when
// DownloadOptions.Mirrors is nil: the mirrors torchvision uses.
func DefaultMirrors() []string {
	return []string{
		"https://ossci-datasets.s3.amazonaws.com/mnist/",
		"http://yann.lecun.com/exdb/mnist/",
	}
}

// DownloadOptions configures Download. The zero value fetches the standard
// files from DefaultMirrors, quietly.
type DownloadOptions struct {
	// Mirrors are the base URLs to try, in order, for each file, which is
	// fetched from base + "/" + name + ".gz". Nil means DefaultMirrors().
	Mirrors []string
	// Files are the files to fetch, each checked against its Size and
	// SHA256 once decompressed. Nil means StandardFiles().
	Files []File
	// Client makes the requests. Nil means a client that honours the
	// proxy environment variables and gives up on a mirror that takes more
	// than 30 s to start answering.
	Client *http.Client
	// Progress, when not nil, receives lines of progress: the bytes of a
	// file received, of how many, in percent, at most twice a second.
	Progress io.Writer
}

// Download fetches each file of opts.Files (by default the four standard
// files) into dir, creating dir if needed. A file already in dir with the
// right length and SHA-256 is kept and not fetched. Any other is fetched
// gzip-compressed from the first mirror that delivers it whole and
// correct: the decompressed bytes must match the file's Size and SHA256.
// Each file is written to a temporary file in dir, synced and renamed to
// its raw name, so dir never holds a partial file. The context bounds the
// whole download.
func Download(ctx context.Context, dir string, opts DownloadOptions) error {
	mirrors, files, client := opts.Mirrors, opts.Files, opts.Client
	if mirrors == nil {
		mirrors = DefaultMirrors()
	}
	if files == nil {
		files = StandardFiles()
	}
	if client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = 30 * time.Second
		client = &http.Client{Transport: t}
	}
	if len(mirrors) == 0 {
		return errors.New("mnist: Download: no mirrors given")
	}
	for _, f := range files {
		if sum, err := hex.DecodeString(f.SHA256); err != nil || len(sum) != sha256.Size || f.Name == "" || f.Name != filepath.Base(f.Name) || f.Size <= 0 {
			return fmt.Errorf("mnist: Download: bad file entry %+v: want a plain name, a positive size and a hex SHA-256", f)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("mnist: %w", err)
	}

	for _, f := range files {
		ok, err := present(dir, f)
		if err != nil {
			return err
		}
		if ok {
			if opts.Progress != nil {
				fmt.Fprintf(opts.Progress, "mnist: %s: present and verified\n", f.Name)
			}
			continue
		}
		if err := fetchAny(ctx, client, mirrors, dir, f, opts.Progress); err != nil {
			return err
		}
	}
	return nil
}

// fetchAny fetches f into dir from the first of mirrors that delivers it.
func fetchAny(ctx context.Context, client *http.Client, mirrors []string, dir string, f File, progress io.Writer) error {
	var causes []error
	for _, base := range mirrors {
		err := fetch(ctx, client, base, dir, f, progress)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("mnist: download of %s stopped: %w", f.Name, ctx.Err())
		}
		causes = append(causes, err)
	}
	return fmt.Errorf("mnist: could not download %s from any mirror; "+
		"run scripts/get-mnist.sh, or pass -data DIR naming a directory with the four IDX files:\n%w",
		f.Name, errors.Join(causes...))
}

// present reports whether dir holds f with the right length and SHA-256.
func present(dir string, f File) (bool, error) {
	r, err := os.Open(filepath.Join(dir, f.Name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mnist: %w", err)
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(r, f.Size+1))
	if err != nil {
		return false, fmt.Errorf("mnist: reading %s: %w", r.Name(), err)
	}
	return n == f.Size && strings.EqualFold(hex.EncodeToString(h.Sum(nil)), f.SHA256), nil
}

// fetch downloads f from the mirror base into dir, atomically
// (atomicfile.Write): the file appears only when every check passes.
func fetch(ctx context.Context, client *http.Client, base, dir string, f File, progress io.Writer) error {
	url := strings.TrimSuffix(base, "/") + "/" + f.Name + ".gz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}

	meter := &meter{r: resp.Body, w: progress, name: f.Name + ".gz", total: resp.ContentLength}
	br := bufio.NewReader(meter)
	var src io.Reader = br
	if p, _ := br.Peek(2); len(p) == 2 && p[0] == 0x1f && p[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("GET %s: %w", url, err)
		}
		src = zr
	}

	return atomicfile.Write(filepath.Join(dir, f.Name), func(w io.Writer) error {
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(src, f.Size+1))
		if err != nil {
			return fmt.Errorf("GET %s: failed after %d bytes received: %w", url, meter.done, err)
		}
		meter.report(true)
		if n != f.Size {
			return fmt.Errorf("GET %s: decompressed to %d bytes, want %d", url, n, f.Size)
		}
		if sum := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(sum, f.SHA256) {
			return fmt.Errorf("GET %s: SHA-256 of the decompressed data is %s, want %s", url, sum, f.SHA256)
		}
		return nil
	})
}
