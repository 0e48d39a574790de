package cpu

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
)

// AllocInt32 returns a new zero-filled int32 tensor of the given shape. It
// panics as Alloc does.
func (b *Backend) AllocInt32(shape ...int) backend.Tensor {
	return b.mustAlloc("AllocInt32", backend.Int32, shape)
}

// UploadInt32 copies src into the int32 tensor dst.
func (b *Backend) UploadInt32(dst backend.Tensor, src []int32) {
	d := b.int32Tensor("UploadInt32", dst)
	if len(src) != len(d.ints) {
		panic(fmt.Sprintf("cpu: UploadInt32: %d values into tensor of shape %v (%d elements)", len(src), d.shape, len(d.ints)))
	}
	copy(d.ints, src)
}

// DownloadInt32 copies the int32 tensor src into dst.
func (b *Backend) DownloadInt32(dst []int32, src backend.Tensor) {
	s := b.int32Tensor("DownloadInt32", src)
	if len(dst) != len(s.ints) {
		panic(fmt.Sprintf("cpu: DownloadInt32: tensor of shape %v (%d elements) into %d values", s.shape, len(s.ints), len(dst)))
	}
	copy(dst, s.ints)
}
