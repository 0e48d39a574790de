package mnist

import (
	"fmt"
	"io"
	"time"
)

// progressEvery is the shortest time between two progress lines of a file.
const progressEvery = 500 * time.Millisecond

// meter passes reads through from r, counting the bytes, and writes progress
// lines to w (when not nil) at most once per progressEvery.
type meter struct {
	r     io.Reader
	w     io.Writer
	name  string // what is being received
	total int64  // bytes expected, or -1 when unknown
	done  int64  // bytes received so far
	last  time.Time
}

// Read reads from the underlying reader and reports progress when due.
func (m *meter) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.done += int64(n)
	m.report(false)
	return n, err
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
	const mb = 1e6
	if m.total > 0 {
		fmt.Fprintf(m.w, "mnist: %s: %.1f of %.1f MB (%.0f%%)\n",
			m.name, float64(m.done)/mb, float64(m.total)/mb, 100*float64(m.done)/float64(m.total))
	} else {
		fmt.Fprintf(m.w, "mnist: %s: %.1f MB\n", m.name, float64(m.done)/mb)
	}
}
