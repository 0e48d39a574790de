package mnist

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestReadImages(t *testing.T) {
	const n, rows, cols = 7, 5, 3
	pix := randomImages(1, n, rows, cols)
	file := idxFile([]uint32{n, rows, cols}, pix)
	dir := t.TempDir()
	for _, p := range []string{
		writeFile(t, dir, "raw", file),
		writeFile(t, dir, "compressed", gz(t, file)),
		writeFile(t, dir, "misleading.gz", file), // the format is told by content
	} {
		got, gn, gr, gc, err := ReadImages(p)
		if err != nil {
			t.Fatalf("ReadImages(%s): %v", p, err)
		}
		if gn != n || gr != rows || gc != cols {
			t.Errorf("ReadImages(%s): dims %d×%d×%d, want %d×%d×%d", p, gn, gr, gc, n, rows, cols)
		}
		if !bytes.Equal(got, pix) {
			t.Errorf("ReadImages(%s): pixels differ from those written", p)
		}
	}
}

func TestReadLabels(t *testing.T) {
	labels := randomLabels(2, 50, 10)
	file := idxFile([]uint32{50}, labels)
	dir := t.TempDir()
	for _, p := range []string{writeFile(t, dir, "raw", file), writeFile(t, dir, "compressed", gz(t, file))} {
		got, err := ReadLabels(p, 10)
		if err != nil {
			t.Fatalf("ReadLabels(%s): %v", p, err)
		}
		if !bytes.Equal(got, labels) {
			t.Errorf("ReadLabels(%s) = %v, want %v", p, got, labels)
		}
	}
}

// TestReadErrors checks that each kind of malformed file gives an error
// naming the file and the problem.
func TestReadErrors(t *testing.T) {
	images := idxFile([]uint32{2, 3, 4}, randomImages(3, 2, 3, 4))
	labels := idxFile([]uint32{4}, []byte{1, 2, 3, 4})
	gzImages := gz(t, images)
	cut := gzImages[:len(gzImages)/2]
	badCRC := gz(t, images)
	badCRC[len(badCRC)-8] ^= 0xff // the CRC-32 in the gzip trailer
	for _, tc := range []struct {
		name   string
		data   []byte
		labels bool // read with ReadLabels, else ReadImages
		want   string
	}{
		{"empty", nil, false, "truncated IDX header"},
		{"short magic", []byte{0, 0, 8}, false, "truncated IDX header"},
		{"short dims", images[:10], false, "truncated IDX header"},
		{"labels as images", labels, false, "not an IDX image file: magic 0x00000801, want 0x00000803 (it is an IDX label file)"},
		{"images as labels", images, true, "not an IDX label file: magic 0x00000803, want 0x00000801 (it is an IDX image file)"},
		{"wrong type", append([]byte{0, 0, 0x0d, 3}, images[4:]...), false, "magic 0x00000d03"},
		{"short body", images[:len(images)-1], false, "truncated: header declares (2×3×4), 24 bytes of data, but only 23 follow"},
		{"trailing", append(images[:len(images):len(images)], 9), false, "trailing garbage: 1 bytes after the 24 bytes"},
		{"zero dim", idxFile([]uint32{2, 0, 4}, nil), false, "dimension 2 of 3 is zero (2×0×4)"},
		{"zero count", idxFile([]uint32{0}, nil), true, "dimension 1 of 1 is zero"},
		{"huge", idxFile([]uint32{1 << 31, 1 << 31, 1 << 31}, nil), false, "more than the 1073741824-byte limit"},
		{"gz short body", gz(t, images[:len(images)-1]), false, "truncated: header declares (2×3×4), 24 bytes of data, but the data ends after 23"},
		{"gz trailing", gz(t, append(images[:len(images):len(images)], 9)), false, "trailing garbage after the 24 bytes"},
		{"gz garbage after stream", append(gz(t, images), "not a gzip member"...), false, "trailing garbage after the gzip stream"},
		{"gz trailer cut", gzImages[:len(gzImages)-3], false, "truncated data"},
		{"gz cut", cut, false, "truncated"},
		{"gz bad crc", badCRC, false, "checksum"},
		{"gz header only", gz(t, nil)[:5], false, "truncated gzip header"},
		{"label out of range", idxFile([]uint32{3}, []byte{1, 12, 3}), true, "label 1 is 12, outside the 10 classes 0 to 9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "file", tc.data)
			var err error
			if tc.labels {
				_, err = ReadLabels(p, 10)
			} else {
				_, _, _, _, err = ReadImages(p)
			}
			if err == nil {
				t.Fatalf("no error, want one containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the file %s and the problem %q", err, p, tc.want)
			}
		})
	}
}

func TestReadLabelsClasses(t *testing.T) {
	p := writeFile(t, t.TempDir(), "labels", idxFile([]uint32{3}, []byte{0, 1, 2}))
	if _, err := ReadLabels(p, 2); err == nil || !strings.Contains(err.Error(), "label 2 is 2, outside the 2 classes 0 to 1") {
		t.Errorf("ReadLabels(_, 2) error = %v, want label 2 outside 2 classes", err)
	}
	for _, c := range []int{0, -1, 257} {
		if _, err := ReadLabels(p, c); err == nil {
			t.Errorf("ReadLabels(_, %d): no error", c)
		}
	}
	if got, err := ReadLabels(p, 3); err != nil || !bytes.Equal(got, []byte{0, 1, 2}) {
		t.Errorf("ReadLabels(_, 3) = %v, %v; want [0 1 2]", got, err)
	}
}

func TestReadMissing(t *testing.T) {
	dir := t.TempDir()
	if _, _, _, _, err := ReadImages(filepath.Join(dir, "absent")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadImages of a missing file: %v, want fs.ErrNotExist", err)
	}
	if _, _, _, _, err := ReadImages(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("ReadImages of a directory: %v, want not a regular file", err)
	}
}

// TestLyingHeader checks that a small gzip file whose header declares nearly
// the 1 GiB limit costs memory in proportion to its real data, not to the
// declared size.
func TestLyingHeader(t *testing.T) {
	file := gz(t, idxFile([]uint32{1 << 20, 32, 31}, randomImages(4, 10, 32, 31)))
	p := writeFile(t, t.TempDir(), "lying", file)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, _, _, err := ReadImages(p)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("error %v, want truncated", err)
	}
	const limit = 1 << 20
	if got := after.TotalAlloc - before.TotalAlloc; got > limit {
		t.Errorf("reading a 10-image file that declares 2^20 images allocated %d bytes, want at most %d", got, limit)
	}
}

func TestStandardFiles(t *testing.T) {
	a := StandardFiles()
	a[0].SHA256 = "changed"
	if b := StandardFiles(); b[0].SHA256 == "changed" {
		t.Error("StandardFiles returns shared memory")
	}
	want := []int64{47040016, 60008, 7840016, 10008} // the published lengths
	for i, f := range StandardFiles() {
		if f.Size != want[i] {
			t.Errorf("%s: size %d, want %d", f.Name, f.Size, want[i])
		}
	}
}

// TestSHA256SUMS checks the embedded sums against the values published
// with the data set, so that an edit of SHA256SUMS cannot go unnoticed.
func TestSHA256SUMS(t *testing.T) {
	want := []string{
		"ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
		"65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
		"0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
		"ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
	}
	for i, f := range StandardFiles() {
		if f.SHA256 != want[i] {
			t.Errorf("%s: SHA-256 %s, want %s", f.Name, f.SHA256, want[i])
		}
	}
}

// TestCorruptedGzip checks that damage anywhere in the compressed data of
// a gzip file is reported as a corrupted gzip stream, whether the damaged
// stream decompresses to too little, to too much or to wrong bytes.
func TestCorruptedGzip(t *testing.T) {
	// Images that compress to a mix of literals and matches.
	pix := make([]byte, 200*28*28)
	rng := randomImages(12, 200, 28, 28)
	for i := range pix {
		if rng[i] < 40 {
			pix[i] = rng[i]
		}
	}
	good := gz(t, idxFile([]uint32{200, 28, 28}, pix))
	dir := t.TempDir()
	for i, at := range []int{10, 11, 20, 100, 1000, len(good) / 2, len(good) - 100, len(good) - 9, len(good) - 8, len(good) - 3, len(good) - 1} {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			bad := bytes.Clone(good)
			bad[at] ^= flip
			p := writeFile(t, dir, fmt.Sprintf("bad%d-%02x.gz", i, flip), bad)
			_, _, _, _, err := ReadImages(p)
			if err == nil || !strings.Contains(err.Error(), "corrupted gzip stream") {
				t.Errorf("byte %d of %d xor 0x%02x: error %v, want a corrupted gzip stream", at, len(good), flip, err)
			}
		}
	}
	for _, cut := range []int{12, len(good) / 2, len(good) - 1} {
		p := writeFile(t, dir, fmt.Sprintf("cut%d.gz", cut), good[:cut])
		_, _, _, _, err := ReadImages(p)
		if err == nil || !strings.Contains(err.Error(), "corrupted gzip stream: truncated") {
			t.Errorf("cut after %d of %d bytes: error %v, want a truncated, corrupted gzip stream", cut, len(good), err)
		}
	}
}
