package mnist

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// writeFakeMNIST writes small IDX files under the standard names into dir,
// the training files raw and the test files gzip-compressed, and returns the
// sets they hold.
func writeFakeMNIST(t *testing.T, dir string) (train, test *Set) {
	t.Helper()
	train = &Set{Images: randomImages(7, 12, 4, 3), Labels: randomLabels(7, 12, 10), N: 12, Rows: 4, Cols: 3}
	test = &Set{Images: randomImages(8, 5, 4, 3), Labels: randomLabels(8, 5, 10), N: 5, Rows: 4, Cols: 3}
	writeFile(t, dir, trainImagesName, idxFile([]uint32{12, 4, 3}, train.Images))
	writeFile(t, dir, trainLabelsName, idxFile([]uint32{12}, train.Labels))
	writeFile(t, dir, testImagesName+".gz", gz(t, idxFile([]uint32{5, 4, 3}, test.Images)))
	writeFile(t, dir, testLabelsName+".gz", gz(t, idxFile([]uint32{5}, test.Labels)))
	return train, test
}

func sameSet(a, b *Set) bool {
	return a.N == b.N && a.Rows == b.Rows && a.Cols == b.Cols &&
		bytes.Equal(a.Images, b.Images) && bytes.Equal(a.Labels, b.Labels)
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	wantTrain, wantTest := writeFakeMNIST(t, dir)
	train, test, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !sameSet(train, wantTrain) {
		t.Errorf("train = %+v, want %+v", train, wantTrain)
	}
	if !sameSet(test, wantTest) {
		t.Errorf("test = %+v, want %+v", test, wantTest)
	}
}

func TestLoadNotFound(t *testing.T) {
	dir := t.TempDir()
	writeFakeMNIST(t, dir)
	if err := os.Remove(filepath.Join(dir, testLabelsName+".gz")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, filepath.Join(dir, "absent")} {
		_, _, err := Load(d)
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("Load(%s) error = %v, want ErrNotFound", d, err)
		}
		if !strings.Contains(err.Error(), "scripts/get-mnist.sh") {
			t.Errorf("Load(%s) error %q does not say to run scripts/get-mnist.sh", d, err)
		}
	}
}

func TestLoadMalformed(t *testing.T) {
	dir := t.TempDir()
	writeFakeMNIST(t, dir)
	writeFile(t, dir, trainLabelsName, idxFile([]uint32{11}, randomLabels(9, 11, 10)))
	_, _, err := Load(dir)
	if err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "12 images but") || !strings.Contains(err.Error(), "11 labels") {
		t.Errorf("Load with 12 images and 11 labels: error %v, want a count mismatch", err)
	}
}

func TestFloat32(t *testing.T) {
	pix := make([]byte, 256*2)
	for i := range pix {
		pix[i] = byte(i)
	}
	s := &Set{Images: pix, Labels: make([]byte, 2), N: 2, Rows: 16, Cols: 16}
	for _, ms := range [][2]float32{{Mean, Std}, {0, 1}, {0.5, 0.5}} {
		x := s.Float32(ms[0], ms[1])
		if len(x) != len(pix) {
			t.Fatalf("Float32: %d values, want %d", len(x), len(pix))
		}
		for i, p := range pix {
			want := (float64(p)/255 - float64(ms[0])) / float64(ms[1])
			// float32 arithmetic: a few ulps of values below 4 in magnitude.
			if got := float64(x[i]); math.Abs(got-want) > 1e-6 {
				t.Fatalf("Float32(%v, %v)[%d] = %v, want %v (pixel %d)", ms[0], ms[1], i, got, want, p)
			}
		}
	}
}

func TestInts(t *testing.T) {
	s := &Set{Labels: []byte{3, 0, 9, 7}, N: 4}
	got := s.Ints()
	want := []int{3, 0, 9, 7}
	if len(got) != len(want) {
		t.Fatalf("Ints() = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Ints() = %v, want %v", got, want)
		}
	}
}

func TestHead(t *testing.T) {
	s := &Set{Images: randomImages(10, 4, 2, 3), Labels: []byte{1, 2, 3, 4}, N: 4, Rows: 2, Cols: 3}
	h := s.Head(3)
	if h.N != 3 || h.Rows != 2 || h.Cols != 3 || len(h.Images) != 18 || !bytes.Equal(h.Labels, []byte{1, 2, 3}) {
		t.Fatalf("Head(3) = %+v", h)
	}
	if !bytes.Equal(h.Images, s.Images[:18]) {
		t.Error("Head(3) images are not the first three")
	}
	h.Images[0]++
	if h.Images[0] != s.Images[0] {
		t.Error("Head does not share memory with the set")
	}
	if cap(h.Images) != 18 || cap(h.Labels) != 3 {
		t.Error("appending to Head's slices could overwrite the set")
	}
	if h := s.Head(10); h.N != 4 || len(h.Images) != 24 || len(h.Labels) != 4 {
		t.Errorf("Head(10) of 4 samples = %+v, want all 4", h)
	}
	if h := s.Head(0); h.N != 0 || len(h.Images) != 0 || len(h.Labels) != 0 {
		t.Errorf("Head(0) = %+v, want empty", h)
	}
	defer func() {
		if recover() == nil {
			t.Error("Head(-1) did not panic")
		}
	}()
	s.Head(-1)
}

// writeDropIn writes four files under MNIST's names and with MNIST's
// lengths but other pixels and labels, as Fashion-MNIST is published, the
// test files gzip-compressed, and returns the training labels.
func writeDropIn(t *testing.T, dir string) []byte {
	t.Helper()
	// Stripes shifted by a random amount in each image: as cheap to make
	// as blank images, not as easy to mistake for them.
	images := func(seed uint64, n int) []byte {
		shift := randomImages(seed, n, 1, 1)
		p := make([]byte, n*28*28)
		for i := range p {
			p[i] = byte(i%28) * 9 * (shift[i/(28*28)] >> 7)
		}
		return p
	}
	labels := randomLabels(13, 60000, 10)
	writeFile(t, dir, trainImagesName, idxFile([]uint32{60000, 28, 28}, images(13, 60000)))
	writeFile(t, dir, trainLabelsName, idxFile([]uint32{60000}, labels))
	writeFile(t, dir, testImagesName+".gz", gz(t, idxFile([]uint32{10000, 28, 28}, images(14, 10000))))
	writeFile(t, dir, testLabelsName+".gz", gz(t, idxFile([]uint32{10000}, randomLabels(14, 10000, 10))))
	return labels
}

// TestDropIn checks that a data set published under MNIST's file names and
// lengths loads as it is, with one note when notes are asked for, and that
// only Verify and LoadOptions.Verify insist on MNIST, without ever saying
// to delete the files.
func TestDropIn(t *testing.T) {
	dir := t.TempDir()
	labels := writeDropIn(t, dir)
	train, test, err := Load(dir)
	if err != nil {
		t.Fatalf("Load of a drop-in data set: %v", err)
	}
	if train.N != 60000 || test.N != 10000 || !bytes.Equal(train.Labels, labels) {
		t.Fatalf("Load gave %d and %d samples, want 60000 and 10000 with the labels written", train.N, test.N)
	}

	var notes bytes.Buffer
	if _, _, err := LoadWith(dir, LoadOptions{Notes: &notes}); err != nil {
		t.Fatal(err)
	}
	if want := "mnist: " + dir + ": not the published MNIST files; reading them as an IDX data set\n"; notes.String() != want {
		t.Errorf("notes %q, want %q", notes.String(), want)
	}

	for _, err := range []error{
		Verify(dir),
		func() error { _, _, err := LoadWith(dir, LoadOptions{Verify: true, Limit: 10}); return err }(),
	} {
		if !errors.Is(err, errNotPublished) || !strings.Contains(err.Error(), filepath.Join(dir, trainImagesName)) || strings.Contains(err.Error(), "delete") {
			t.Errorf("verifying a drop-in data set: error %v, want one naming %s as not the published file, without 'delete'", err, trainImagesName)
		}
	}
}

// TestChangedByte checks the real MNIST files, where scripts/get-mnist.sh
// puts them, and a copy with one byte changed: the copy still loads, with
// the note, and Verify tells the two apart.
func TestChangedByte(t *testing.T) {
	if err := Verify("."); err != nil {
		t.Skipf("the published MNIST files are not here (run scripts/get-mnist.sh): %v", err)
	}
	var notes bytes.Buffer
	if _, _, err := LoadWith(".", LoadOptions{Notes: &notes, Verify: true}); err != nil || notes.Len() != 0 {
		t.Fatalf("LoadWith of the published files: error %v, notes %q; want neither", err, notes.String())
	}
	dir := t.TempDir()
	for _, f := range StandardFiles() {
		data, err := os.ReadFile(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == trainImagesName {
			data[len(data)/2] ^= 1
		}
		writeFile(t, dir, f.Name, data)
	}
	train, _, err := LoadWith(dir, LoadOptions{Notes: &notes})
	if err != nil || train.N != 60000 {
		t.Fatalf("LoadWith of MNIST with a changed byte: %v", err)
	}
	if !strings.Contains(notes.String(), "not the published MNIST files; reading them as an IDX data set") {
		t.Errorf("notes %q, want the note that these are not the published files", notes.String())
	}
	if err := Verify(dir); !errors.Is(err, errNotPublished) {
		t.Errorf("Verify of MNIST with a changed byte: %v, want not the published file", err)
	}
}

// TestLoadLimit checks that LoadWith keeps the first Limit samples of each
// set and that a gzip file whose header declares 1.3 million images costs
// memory in proportion to the limit: the rest is never decompressed.
func TestLoadLimit(t *testing.T) {
	dir := t.TempDir()
	wantTrain, wantTest := writeFakeMNIST(t, dir)
	train, test, err := LoadWith(dir, LoadOptions{Limit: 5, TestLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !sameSet(train, wantTrain.Head(5)) || !sameSet(test, wantTest.Head(2)) {
		t.Errorf("LoadWith with limits 5 and 2 gave %d and %d samples, want the first 5 and 2", train.N, test.N)
	}
	if _, _, err := LoadWith(dir, LoadOptions{Limit: -1}); err == nil {
		t.Error("LoadWith with a negative limit: no error")
	}

	// 1.3 million blank images declared, 20000 really there (a gzip of
	// 16 kB); the whole stream would be 1 GB.
	const declared, present, limit = 1300000, 20000, 500
	writeFile(t, dir, trainImagesName+".gz", gz(t, idxFile([]uint32{declared, 28, 28}, make([]byte, present*28*28))))
	writeFile(t, dir, trainLabelsName+".gz", gz(t, idxFile([]uint32{declared}, make([]byte, present))))
	if err := os.Remove(filepath.Join(dir, trainImagesName)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, trainLabelsName)); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	train, _, err = LoadWith(dir, LoadOptions{Limit: limit})
	runtime.ReadMemStats(&after)
	if err != nil || train.N != limit || len(train.Images) != limit*28*28 {
		t.Fatalf("LoadWith limit %d of a file declaring %d images: %v", limit, declared, err)
	}
	// The kept images (392 kB) and the smaller buffers that grew to them
	// (less than as much again), and 80 kB for each file's reader and
	// decompressor.
	const bound = 2*limit*28*28 + 4*80<<10
	if got := after.TotalAlloc - before.TotalAlloc; got > bound {
		t.Errorf("reading %d images of a file declaring %d allocated %d bytes, want at most %d", limit, declared, got, bound)
	} else {
		t.Logf("reading %d images of a file declaring %d allocated %d bytes (bound %d)", limit, declared, got, bound)
	}
	// Asking for notes (as cmd/mnist does) must not make a limited read go
	// on to the end of the file.
	var notes strings.Builder
	if train, _, err = LoadWith(dir, LoadOptions{Limit: limit, Notes: &notes}); err != nil || train.N != limit {
		t.Errorf("LoadWith limit %d with notes of a file declaring %d images: %v", limit, declared, err)
	}
	if _, _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("Load of a file declaring %d images holding %d: error %v, want truncated", declared, present, err)
	}
}

func TestDataset(t *testing.T) {
	s := &Set{Images: randomImages(15, 3, 2, 4), Labels: []byte{2, 0, 9}, N: 3, Rows: 2, Cols: 4}
	d := s.Dataset()
	if err := d.Check(true); err != nil {
		t.Fatal(err)
	}
	if d.Len() != 3 || !slices.Equal(d.XShape, []int{1, 2, 4}) || !slices.Equal(d.YShape, []int{Classes}) {
		t.Fatalf("Dataset: %d samples of shape %v, targets %v; want 3 of [1 2 4], [10]", d.Len(), d.XShape, d.YShape)
	}
	if !slices.Equal(d.X, s.Float32(Mean, Std)) {
		t.Error("Dataset inputs differ from Float32(Mean, Std)")
	}
	for i, l := range s.Labels {
		for c := range Classes {
			want := float32(0)
			if c == int(l) {
				want = 1
			}
			if got := d.Y[i*Classes+c]; got != want {
				t.Fatalf("target %d, class %d: %v, want %v (label %d)", i, c, got, want, l)
			}
		}
	}
}
