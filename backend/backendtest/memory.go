package backendtest

import (
	"math"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// checkInfo checks that Name and Device describe the backend.
func checkInfo(t *testing.T, b backend.Backend) {
	if b.Name() == "" {
		t.Error("Name returned an empty string")
	}
	d := b.Device()
	if d == "" {
		t.Error("Device returned an empty string")
	}
	if strings.ContainsAny(d, "\r\n") {
		t.Errorf("Device %q is not one line", d)
	}
}

// checkMemory checks Alloc, Upload, Download, Fill, Copy, Free and Sync.
func checkMemory(t *testing.T, b backend.Backend) {
	rng := newRand(1)

	t.Run("Alloc", func(t *testing.T) {
		for _, shape := range [][]int{{1}, {7}, {3, 4}, {2, 3, 4, 5}, {1, 1, 1, 1, 1, 2}} {
			s := append([]int(nil), shape...)
			x := b.Alloc(s...)
			s[0] = 99 // the tensor must not keep the caller's slice
			if !x.Shape().Equal(shape) {
				t.Errorf("Alloc(%v): tensor has shape %v", shape, x.Shape())
			}
			if n := x.Shape().Len(); n != backend.Shape(shape).Len() {
				t.Errorf("Alloc(%v): tensor has %d elements", shape, n)
			}
		}
	})

	t.Run("RoundTrip", func(t *testing.T) {
		special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, math.MaxFloat32, -math.MaxFloat32,
			math.SmallestNonzeroFloat32, 0x1p-126, float32(math.Inf(1)), float32(math.Inf(-1)),
			float32(math.NaN()), 3.1415927, -2.7182817}
		for _, n := range []int{1, len(special), 100003} {
			src := uniform(rng, n, -1e3, 1e3)
			copy(src, special)
			want := append([]float32(nil), src...)
			x := b.Alloc(n)
			b.Upload(x, src)
			for i := range src {
				src[i] = -7 // Upload's source may be reused as soon as it returns
			}
			expectBits(t, "Download(Upload(x))", download(b, x), want)
			expectBits(t, "second Download", download(b, x), want)
		}
	})

	t.Run("Fill", func(t *testing.T) {
		for _, v := range []float32{3.25, 0, -1e-20} {
			x := poisoned(t, b, 4, 33)
			b.Fill(x, v)
			want := make([]float32, 4*33)
			for i := range want {
				want[i] = v
			}
			expectBits(t, "Fill", download(b, x), want)
		}
	})

	t.Run("Copy", func(t *testing.T) {
		for _, c := range []struct{ src, dst []int }{
			{[]int{5, 7}, []int{5, 7}},
			{[]int{2, 3, 4}, []int{24}},
			{[]int{24}, []int{2, 3, 4}},
			{[]int{6, 4}, []int{4, 6}},
			{[]int{1}, []int{1}},
		} {
			data := uniform(rng, backend.Shape(c.src).Len(), -1, 1)
			src := upload(t, b, data, c.src...)
			dst := poisoned(t, b, c.dst...)
			b.Copy(dst, src)
			expectBits(t, "Copy "+backend.Shape(c.src).String()+" to "+backend.Shape(c.dst).String(), download(b, dst), data)
			expectBits(t, "Copy's source afterwards", download(b, src), data)
		}
	})

	t.Run("Free", func(t *testing.T) {
		b.Free(nil)
		for range 3 {
			data := uniform(rng, 1000, -1, 1)
			x := upload(t, b, data, 10, 100)
			expectBits(t, "tensor before Free", download(b, x), data)
			b.Free(x)
		}
		data := uniform(rng, 1000, -1, 1)
		x := upload(t, b, data, 1000)
		expectBits(t, "tensor allocated after Free", download(b, x), data)
	})

	if err := b.Sync(); err != nil {
		t.Errorf("Sync after ordinary work: %v", err)
	}
	if err := b.Sync(); err != nil {
		t.Errorf("second Sync: %v", err)
	}
}
