package mnist

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
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
