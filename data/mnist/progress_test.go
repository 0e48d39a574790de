package mnist

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// TestMeter checks that the meter passes the data through unchanged and
// writes at most one progress line per progressEvery, plus a final one.
func TestMeter(t *testing.T) {
	data := randomImages(30, 1, 1<<10, 1<<8)
	var out bytes.Buffer
	m := &meter{r: iotest.OneByteReader(bytes.NewReader(data)), w: &out, name: "f.gz", total: int64(len(data))}
	start := time.Now()
	got, err := io.ReadAll(m)
	m.report(true)
	elapsed := time.Since(start)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("meter changed the data (err %v)", err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if most := 2 + int(elapsed/progressEvery); len(lines) > most {
		t.Errorf("%d progress lines in %v, want at most %d", len(lines), elapsed, most)
	}
	if want := "mnist: f.gz: 0.3 of 0.3 MB (100%)"; lines[len(lines)-1] != want {
		t.Errorf("last progress line %q, want %q", lines[len(lines)-1], want)
	}

	out.Reset()
	m = &meter{r: bytes.NewReader(data), w: &out, name: "g.gz", total: -1}
	if _, err := io.ReadAll(m); err != nil {
		t.Fatal(err)
	}
	m.report(true)
	if !strings.HasSuffix(out.String(), "mnist: g.gz: 0.3 MB\n") {
		t.Errorf("progress of unknown length %q, want it to end with 0.3 MB", out.String())
	}
}
