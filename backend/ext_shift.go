package backend

// Shifter provides the translation of a batch of images by whole pixels,
// each image by its own offset: random-shift augmentation on the device.
type Shifter interface {
	// ShiftImages writes y [N, C, H, W] with every image of x [N, C, H, W]
	// translated by the offset (dy_n, dx_n) that row n of the int32 tensor
	// shifts [N, 2] holds:
	//
	//	y[n, c, h, w] = x[n, c, h − dy_n, w − dx_n]  when 0 ≤ h − dy_n < H and 0 ≤ w − dx_n < W
	//	y[n, c, h, w] = fill                          otherwise
	//
	// A positive dy moves the picture down, a positive dx to the right.
	// Every int32 offset is valid: one with |dy| ≥ H or |dx| ≥ W leaves
	// an image of fill. Values, NaN included, are moved unchanged. y must
	// not share memory with x.
	//
	// PyTorch has no single op for it. For one image it equals
	// torch.roll(x, shifts=(dy, dx), dims=(−2, −1)) with the rows and
	// columns that wrapped around set to fill, and, for |dy|, |dx| ≤ P,
	// F.pad(x, (P, P, P, P), value=fill)[..., P−dy : P−dy+H, P−dx : P−dx+W]
	// (the crop of torchvision's RandomCrop(size, padding=P, fill=fill)).
	ShiftImages(x, shifts, y Tensor, fill float32)
}

// ShiftImages calls b's Shifter.ShiftImages. Without Shifter, on a
// backend with Viewer and Indexer, it falls back to Fill, DownloadInt32
// of the shifts (which waits for the device) and one CopyRegion per image
// that stays partly in the frame.
func ShiftImages(b Backend, x, shifts, y Tensor, fill float32) {
	if s, ok := b.(Shifter); ok {
		s.ShiftImages(x, shifts, y, fill)
		return
	}
	v, okV := b.(Viewer)
	ix, okI := b.(Indexer)
	if !okV || !okI {
		panic(unimplemented(b, "ShiftImages", "Shifter"))
	}
	shiftImagesFallback(b, v, ix, x, shifts, y, fill)
}

// shiftImagesFallback is ShiftImages composed of Fill, DownloadInt32 and
// CopyRegion.
func shiftImagesFallback(b Backend, v Viewer, ix Indexer, x, shifts, y Tensor, fill float32) {
	n, c, h, w := Check(b.Name()).ShiftImages("ShiftImages", x.Shape(), shifts.Shape(), y.Shape())
	d := make([]int32, 2*n)
	ix.DownloadInt32(d, shifts)
	b.Fill(y, fill)
	plane, img := h*w, c*h*w
	for i := range n {
		// The rows and columns of y that read from inside x.
		dy, dx := int(d[2*i]), int(d[2*i+1])
		r0, r1 := inFrame(dy, h)
		c0, c1 := inFrame(dx, w)
		if r0 >= r1 || c0 >= c1 {
			continue
		}
		dst := Region{Offset: i*img + r0*w + c0, Strides: [4]int{0, plane, w, 1}}
		src := Region{Offset: i*img + (r0-dy)*w + c0 - dx, Strides: [4]int{0, plane, w, 1}}
		v.CopyRegion(y, dst, x, src, [4]int{1, c, r1 - r0, c1 - c0}, false)
	}
}

// inFrame returns the output positions [lo, hi) along an axis of size n
// whose source, shifted by d, lies inside [0, n).
func inFrame(d, n int) (lo, hi int) {
	return min(max(d, 0), n), max(min(n+d, n), 0)
}
