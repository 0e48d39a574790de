package progress

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestBar(t *testing.T) {
	var out strings.Builder
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := &Bar{W: &out, Width: 10, Unit: "img", NoColor: true, Now: clock.now}

	b.Update("epoch 1/3", 250, 1000, 5*time.Second, "loss 0.5000")
	// 250 of 1000 in 5 s: 50 img/s, 750 left: 15 s.
	want := "\r\033[Kepoch 1/3 [==>       ] 250/1000  50 img/s  ETA 15s  loss 0.5000"
	if got := out.String(); got != want {
		t.Fatalf("first draw\n got %q\nwant %q", got, want)
	}

	out.Reset()
	clock.t = clock.t.Add(100 * time.Millisecond)
	b.Update("epoch 1/3", 300, 1000, 6*time.Second, "")
	if out.Len() != 0 {
		t.Errorf("redraw 100 ms after the last: %q, want nothing before the 200 ms interval", out.String())
	}

	clock.t = clock.t.Add(150 * time.Millisecond)
	b.Update("epoch 1/3", 500, 1000, 100*time.Second, "")
	if want := "\r\033[Kepoch 1/3 [=====>    ] 500/1000  5 img/s  ETA 1m40s"; out.String() != want {
		t.Errorf("second draw\n got %q\nwant %q", out.String(), want)
	}

	out.Reset()
	b.Update("epoch 1/3", 1000, 1000, 200*time.Second, "")
	if want := "\r\033[Kepoch 1/3 [==========] 1000/1000  5 img/s  ETA 0s"; out.String() != want {
		t.Errorf("last draw, at once although within the interval\n got %q\nwant %q", out.String(), want)
	}

	out.Reset()
	b.Clear()
	b.Clear()
	if out.String() != "\r\033[K" {
		t.Errorf("Clear twice wrote %q, want one erase", out.String())
	}
	out.Reset()
	b.Update("x", 0, 4, 0, "")
	if want := "\r\033[Kx [>         ] 0/4  ETA -"; out.String() != want {
		t.Errorf("draw at 0\n got %q\nwant %q", out.String(), want)
	}
}

func TestBarColor(t *testing.T) {
	var out strings.Builder
	b := &Bar{W: &out, Width: 4, Now: (&fakeClock{}).now}
	b.Update("c", 2, 4, time.Second, "")
	if want := "\r\033[Kc [\033[32m==\033[0m> ] 2/4  2 /s  ETA 1s"; out.String() != want {
		t.Errorf("coloured draw\n got %q\nwant %q", out.String(), want)
	}
	t.Setenv("NO_COLOR", "1")
	if !New(&out, "img").NoColor {
		t.Error("New ignores NO_COLOR")
	}
	t.Setenv("NO_COLOR", "")
	if New(&out, "img").NoColor {
		t.Error("New without NO_COLOR draws without colour")
	}
}

func TestIsTerminal(t *testing.T) {
	var sb strings.Builder
	if IsTerminal(&sb) {
		t.Error("a strings.Builder is a terminal")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file is a terminal")
	}
	// /dev/null is a character device like a terminal: what IsTerminal
	// checks (a false positive that costs nothing, the output is dropped).
	tty, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no %s: %v", os.DevNull, err)
	}
	defer tty.Close()
	t.Setenv("TERM", "xterm")
	if !IsTerminal(tty) {
		t.Errorf("%s, a character device, is not a terminal", os.DevNull)
	}
	t.Setenv("TERM", "dumb")
	if IsTerminal(tty) {
		t.Error("a terminal with TERM=dumb counts as one that redraws")
	}
}
