package mnist

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progressEvery is the shortest time between two progress lines of a file.
const progressEvery = 500 * time.Millisecond

// meter passes reads through from r, counting the bytes, and writes progress
// lines to w (when not nil) at most once per progressEvery. Its watchdog
// (watch) runs beside the reads.
type meter struct {
	r     io.Reader
	w     io.Writer
	name  string // what is being received
	total int64  // bytes expected, or -1 when unknown
	last  time.Time

	mu    sync.Mutex // guards the fields below, shared with the watchdog
	done  int64      // bytes received so far
	recvd time.Time  // when bytes last arrived (or the transfer began)
	err   error      // the first error of r other than io.EOF
}

// newMeter returns a meter of total bytes (-1: unknown) called name read
// from r, reporting to w when w is not nil.
func newMeter(r io.Reader, w io.Writer, name string, total int64) *meter {
	return &meter{r: r, w: w, name: name, total: total, recvd: time.Now()}
}

// Read reads from the underlying reader and reports progress when due.
func (m *meter) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.mu.Lock()
	m.done += int64(n)
	if n > 0 {
		m.recvd = time.Now()
	}
	if err != nil && err != io.EOF && m.err == nil {
		m.err = err
	}
	m.mu.Unlock()
	m.report(false)
	return n, err
}

// readErr returns the first error of the underlying reader other than
// io.EOF, or nil.
func (m *meter) readErr() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// amount describes the bytes received: "1.2 of 9.9 MB" or "1.2 MB".
func (m *meter) amount() string {
	m.mu.Lock()
	done := m.done
	m.mu.Unlock()
	const mb = 1e6
	if m.total > 0 {
		return fmt.Sprintf("%.1f of %.1f MB", float64(done)/mb, float64(m.total)/mb)
	}
	return fmt.Sprintf("%.1f MB", float64(done)/mb)
}

// report writes a progress line if one is due, or at once if final is set.
func (m *meter) report(final bool) {
	if m.w == nil {
		return
	}
	now := time.Now()
	if !final && now.Sub(m.last) < progressEvery {
		return
	}
	m.last = now
	m.mu.Lock()
	done := m.done
	m.mu.Unlock()
	if m.total > 0 {
		fmt.Fprintf(m.w, "mnist: %s: %s (%.0f%%)\n", m.name, m.amount(), 100*float64(done)/float64(m.total))
	} else {
		fmt.Fprintf(m.w, "mnist: %s: %s\n", m.name, m.amount())
	}
}

// watch starts a watchdog that calls expire once no bytes have arrived for
// timeout, and meanwhile says on the meter's writer, every third of
// timeout of silence, what it is waiting for. The returned function stops
// it and waits until it has stopped.
func (m *meter) watch(timeout time.Duration, expire func()) (stop func()) {
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(max(timeout/10, time.Millisecond))
		defer tick.Stop()
		notices := 0
		for {
			select {
			case <-quit:
				return
			case now := <-tick.C:
				m.mu.Lock()
				silent := now.Sub(m.recvd)
				m.mu.Unlock()
				if silent >= timeout {
					expire()
					return
				}
				if k := int(3 * silent / timeout); k == 0 {
					notices = 0
				} else if k > notices && m.w != nil {
					notices = k
					fmt.Fprintf(m.w, "mnist: %s: no data for %v after %s; waiting up to %v (the idle timeout)\n",
						m.name, silent.Round(time.Millisecond), m.amount(), timeout)
				}
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
	}
}
