package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/myelin-go/myelin/nn"
)

// isTerminal reports whether w is a character device (a terminal), where a
// progress line that redraws itself makes sense.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressPrinter returns an nn.Trainer OnBatch callback that redraws one
// line on w, at most five times a second: epoch, a bar, samples, rate,
// running loss and the time left in the epoch. The line is cleared when the
// epoch ends, so the summary line takes its place.
func progressPrinter(w io.Writer, epochs int) func(nn.Progress) {
	var last time.Time
	return func(p nn.Progress) {
		done := p.Samples >= p.Total
		if !done && time.Since(last) < 200*time.Millisecond {
			return
		}
		last = time.Now()
		if done {
			fmt.Fprint(w, "\r\033[K")
			return
		}
		const width = 30
		filled := width * p.Samples / p.Total
		rate := float64(p.Samples) / p.Elapsed.Seconds()
		eta := time.Duration(float64(p.Total-p.Samples) / rate * float64(time.Second))
		fmt.Fprintf(w, "\r\033[Kepoch %d/%d [%s%s] %d/%d  %.0f img/s  loss %.4f  ETA %s",
			p.Epoch, epochs, strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
			p.Samples, p.Total, rate, p.Loss, eta.Round(time.Second))
	}
}
