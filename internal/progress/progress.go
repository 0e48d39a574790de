// Package progress draws a one-line progress bar with a rate and an
// estimated time left on a terminal.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// IsTerminal reports whether w is a terminal on which a line can redraw
// itself: an *os.File that is a character device, with $TERM not "dumb".
// (Character devices also include /dev/null, where drawing is harmless.)
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Bar redraws one line on W, at most once every Interval:
//
//	epoch 1/3 [=========>          ] 19200/60000  312 img/s  ETA 2m11s  loss 0.2960
//
// with the label, the bar, the count, the rate (done/elapsed), the time
// left at that rate ((total − done)/rate) and a caller's suffix. The
// filled part is green unless NoColor is set (New sets it from $NO_COLOR,
// https://no-color.org). A Bar is for one goroutine.
type Bar struct {
	W        io.Writer
	Width    int              // cells of the bar; 0 means 30
	Unit     string           // what is counted, for the rate ("img" gives "img/s"); empty: "/s" alone
	Interval time.Duration    // least time between redraws; 0 means 200 ms
	NoColor  bool             // draw without colour
	Now      func() time.Time // the clock; nil means time.Now

	last  time.Time
	drawn bool
}

// New returns a bar on w counting unit, coloured unless $NO_COLOR is set
// to a non-empty value.
func New(w io.Writer, unit string) *Bar {
	return &Bar{W: w, Unit: unit, NoColor: os.Getenv("NO_COLOR") != ""}
}

// Update redraws the line for done of total units after elapsed time, with
// label before the bar and suffix after, unless the last redraw is less
// than Interval ago. The first call and the one with done == total always
// draw.
func (b *Bar) Update(label string, done, total int, elapsed time.Duration, suffix string) {
	now := b.now()
	interval := b.Interval
	if interval == 0 {
		interval = 200 * time.Millisecond
	}
	if b.drawn && done < total && now.Sub(b.last) < interval {
		return
	}
	b.last, b.drawn = now, true
	width := b.Width
	if width == 0 {
		width = 30
	}
	filled := 0
	if total > 0 {
		filled = width * min(max(done, 0), total) / total
	}
	bar := strings.Repeat("=", filled)
	if filled < width {
		bar += ">" + strings.Repeat(" ", width-filled-1)
	}
	if !b.NoColor {
		bar = "\033[32m" + bar[:filled] + "\033[0m" + bar[filled:]
	}
	rate, eta := "", "ETA -"
	if s := elapsed.Seconds(); s > 0 && done > 0 {
		r := float64(done) / s
		rate = fmt.Sprintf("  %.0f %s/s", r, b.Unit)
		eta = "ETA " + (time.Duration(float64(total-done) / r * float64(time.Second))).Round(time.Second).String()
	}
	fmt.Fprintf(b.W, "\r\033[K%s [%s] %d/%d%s  %s", label, bar, done, total, rate, eta)
	if suffix != "" {
		fmt.Fprintf(b.W, "  %s", suffix)
	}
}

// Clear erases the line if the bar drew it, so that a summary can take its
// place, and makes the next Update draw.
func (b *Bar) Clear() {
	if b.drawn {
		fmt.Fprint(b.W, "\r\033[K")
		b.drawn = false
	}
}

func (b *Bar) now() time.Time {
	if b.Now == nil {
		return time.Now()
	}
	return b.Now()
}
