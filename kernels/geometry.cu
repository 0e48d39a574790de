// Convolution unfolding and pooling over NCHW images. Backward passes
// gather (each thread owns one input element and sums what reaches it in a
// fixed order) instead of scattering with atomics, so they are
// deterministic.

#include "myelin.cuh"

// Conv is a convolution geometry (backend.ConvGeom) with its output size.
struct Conv {
	int n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};

// im2col gives each warp one row at a time and its lanes the row's
// elements, so that the divisions that locate a row are made once per row;
// the other kernels make them per element through BY_INDEX, in 32-bit
// arithmetic where the count allows (64-bit division is a long software
// routine on the GPU). Warps per row were slower for them: their rows are
// short (a row of x, not of col), which leaves lanes idle.

// im2col writes col [N, C·KH·KW, OH·OW] from x [N, C, H, W]: row (c·KH+i)·KW+j
// of image n holds x[n, c, oh·SH−PH+i·DH, ow·SW−PW+j·DW] for each (oh, ow),
// 0 in the padding. One warp per row of col; each lane steps through its
// columns 32 at a time, carrying (oh, ow) along without dividing.
extern "C" __global__ void im2col(const float *x, float *col, Conv g)
{
	int lane = threadIdx.x % 32, p = g.oh * g.ow;
	int doh = 32 / g.ow, dow = 32 - doh * g.ow; // a step of 32 columns
	ROW_LOOP(r, (i64)g.n * g.c * g.kh * g.kw)
	{
		i64 q = r / g.kw;
		int j = r - q * g.kw;
		i64 nc = q / g.kh;
		int i = q - nc * g.kh;
		const float *in = x + nc * g.h * g.w;
		float *out = col + r * p;
		int h0 = i * g.dh - g.ph, w0 = j * g.dw - g.pw;
		int oh = lane / g.ow, ow = lane - oh * g.ow;
#pragma unroll 4
		for (int t = lane; t < p; t += 32) {
			int h = oh * g.sh + h0, w = ow * g.sw + w0;
			out[t] = (unsigned)h < (unsigned)g.h && (unsigned)w < (unsigned)g.w ? in[h * g.w + w] : 0.0f;
			oh += doh;
			ow += dow;
			if (ow >= g.ow) {
				ow -= g.ow;
				oh++;
			}
		}
	}
}

// col2im_at writes x element idx (see col2im).
template <typename I>
__device__ __forceinline__ void col2im_at(I idx, const float *col, float *x, const float *mask, const Conv &g)
{
	if (mask && !(mask[idx] > 0)) {
		x[idx] = 0;
		return;
	}
	I r = idx / g.w;
	int w = idx - r * g.w;
	I nc = r / g.h;
	int h = r - nc * g.h;
	const float *base = col + (i64)nc * g.kh * g.kw * g.oh * g.ow;
	float s = 0;
	for (int i = 0; i < g.kh; i++) {
		int oh = h + g.ph - i * g.dh;
		if (g.sh != 1) { // no division where the stride is 1
			if (oh < 0 || oh % g.sh != 0)
				continue;
			oh /= g.sh;
		}
		if (oh < 0 || oh >= g.oh)
			continue;
		for (int j = 0; j < g.kw; j++) {
			int ow = w + g.pw - j * g.dw;
			if (g.sw != 1) {
				if (ow < 0 || ow % g.sw != 0)
					continue;
				ow /= g.sw;
			}
			if (ow >= 0 && ow < g.ow)
				s += base[((i64)(i * g.kw + j) * g.oh + oh) * g.ow + ow];
		}
	}
	x[idx] = s;
}

// col2im overwrites x [N, C, H, W] with the sum of the col entries that
// im2col reads from each element, taken in the order of (i, j). Unless
// mask is null, elements where mask (shaped like x) is not above 0 get 0
// instead: the backward pass of a ReLU whose output mask is, fused.
extern "C" __global__ void col2im(const float *col, float *x, const float *mask, Conv g)
{
	BY_INDEX(idx, (i64)g.n * g.c * g.h * g.w, col2im_at(idx, col, x, mask, g));
}

// Pool is a pooling geometry (backend.PoolGeom) with its output size; planes
// is N·C.
struct Pool {
	int planes, h, w, kh, kw, sh, sw, ph, pw, oh, ow;
};

// window_max returns the maximum of window (oh, ow) of the plane in and
// sets *best to the in-plane index h·W+w of the first element (row-major)
// that holds it; padding never wins.
__device__ __forceinline__ float window_max(const float *in, int oh, int ow, const Pool &g, int *best)
{
	int h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
	int h1 = min(h0 + g.kh, g.h), w1 = min(w0 + g.kw, g.w);
	h0 = max(h0, 0);
	w0 = max(w0, 0);
	int b = h0 * g.w + w0;
	float m = in[b];
	for (int h = h0; h < h1; h++)
		for (int w = w0; w < w1; w++)
			if (in[h * g.w + w] > m) {
				m = in[h * g.w + w];
				b = h * g.w + w;
			}
	*best = b;
	return m;
}

// maxpool_at writes y and arg element idx (see maxpool).
template <typename I> __device__ __forceinline__ void maxpool_at(I idx, const float *x, float *y, float *arg, const Pool &g)
{
	I r = idx / g.ow;
	int ow = idx - r * g.ow;
	I plane = r / g.oh;
	int oh = r - plane * g.oh;
	int best;
	y[idx] = window_max(x + (i64)plane * g.h * g.w, oh, ow, g, &best);
	arg[idx] = (float)best;
}

// maxpool writes y with the maximum of each window of x and arg with the
// in-plane index h·W+w of the first element (row-major) that holds it.
extern "C" __global__ void maxpool(const float *x, float *y, float *arg, Pool g)
{
	BY_INDEX(idx, (i64)g.planes * g.oh * g.ow, maxpool_at(idx, x, y, arg, g));
}

// pool_windows sets [*o0, *o1) to the outputs along one axis whose windows
// (size k, stride s, padding p, o outputs) cover input position v.
__device__ __forceinline__ void pool_windows(int v, int k, int s, int p, int o, int *o0, int *o1)
{
	int hi = v + p; // window start ≤ v + p − 0, and > v + p − k
	*o0 = hi - k + 1 <= 0 ? 0 : (hi - k + s) / s;
	*o1 = min(hi / s + 1, o);
}

// routed returns the gradient of element (h, w) of a plane that max
// pooling with geometry g reduced to the plane of outputs whose gradients
// are d and argmax a: the sum, in the order of the outputs (row-major), of
// the d whose a names the element and, unless pos is null, whose output
// pos is above 0 (a ReLU's mask on the output).
__device__ __forceinline__ float routed(int h, int w, const float *d, const float *a, const float *pos, const Pool &g)
{
	float self = (float)(h * g.w + w);
	int oh0, oh1, ow0, ow1;
	pool_windows(h, g.kh, g.sh, g.ph, g.oh, &oh0, &oh1);
	pool_windows(w, g.kw, g.sw, g.pw, g.ow, &ow0, &ow1);
	float s = 0;
	for (int oh = oh0; oh < oh1; oh++)
		for (int ow = ow0; ow < ow1; ow++) {
			int o = oh * g.ow + ow;
			if (a[o] == self && (!pos || pos[o] > 0))
				s += d[o];
		}
	return s;
}

// maxpool_backward_at writes dx element idx (see maxpool_backward).
template <typename I>
__device__ __forceinline__ void maxpool_backward_at(I idx, const float *dy, const float *arg, float *dx, const Pool &g)
{
	I r = idx / g.w;
	int w = idx - r * g.w;
	I plane = r / g.h;
	int h = r - plane * g.h;
	i64 po = (i64)plane * g.oh * g.ow;
	dx[idx] = routed(h, w, dy + po, arg + po, nullptr, g);
}

// maxpool_backward overwrites dx with, for each element, the sum of the dy
// whose arg names it, in the order of the outputs (row-major).
extern "C" __global__ void maxpool_backward(const float *dy, const float *arg, float *dx, Pool g)
{
	BY_INDEX(idx, (i64)g.planes * g.h * g.w, maxpool_backward_at(idx, dy, arg, dx, g));
}

// convpool_at writes y and arg element idx (see convpool).
template <typename I>
__device__ __forceinline__ void convpool_at(I idx, const float *conv, const float *bias, float *y, float *arg, const Pool &g,
					    int c, int relu)
{
	I r = idx / g.ow;
	int ow = idx - r * g.ow;
	I plane = r / g.oh;
	int oh = r - plane * g.oh;
	int best;
	float m = window_max(conv + (i64)plane * g.h * g.w, oh, ow, g, &best);
	if (bias)
		m += bias[plane % c];
	if (relu)
		m = m < 0 ? 0.0f : m;
	y[idx] = m;
	arg[idx] = (float)best;
}

// convpool writes y = act(MaxPool(conv) + bias[ch]) and arg as maxpool
// writes it, for conv [N, C, H, W] (a convolution's output, g.planes =
// N·C) and ch the channel of the element; no bias when bias is null; act
// is the ReLU of activate (v < 0 ? 0 : v) when relu is set, else the
// identity. One thread per element of y.
extern "C" __global__ void convpool(const float *conv, const float *bias, float *y, float *arg, Pool g, int c, int relu)
{
	BY_INDEX(idx, (i64)g.planes * g.oh * g.ow, convpool_at(idx, conv, bias, y, arg, g, c, relu));
}

// convpool_backward overwrites dconv [N, C, H, W] with the gradient of
// conv for convpool's outputs y and arg and dy = ∂L/∂y: each element gets
// the sum of the dy whose arg names it, in the order of the outputs, and,
// with relu, only of those whose y is above 0 (activate_backward's ReLU).
// Unless part is null, it also writes part[n·C + c] = Σ dy over the plane,
// masked as for dconv, in double, for bias_grad to add over n. One warp
// per (n, c) plane; its lanes take the plane's elements 32 apart.
extern "C" __global__ void convpool_backward(const float *dy, const float *y, const float *arg, float *dconv, double *part,
					     Pool g, int relu)
{
	int lane = threadIdx.x % 32, hw = g.h * g.w, ohw = g.oh * g.ow;
	ROW_LOOP(plane, (i64)g.planes)
	{
		i64 po = plane * ohw;
		const float *d = dy + po, *a = arg + po, *pos = relu ? y + po : nullptr;
		float *out = dconv + plane * hw;
		int h = lane / g.w, w = lane - h * g.w;
		int dh = 32 / g.w, dw = 32 - dh * g.w; // a step of 32 elements
		for (int e = lane; e < hw; e += 32) {
			out[e] = routed(h, w, d, a, pos, g);
			h += dh;
			w += dw;
			if (w >= g.w) {
				w -= g.w;
				h++;
			}
		}
		if (part) {
			double s = 0;
			for (int k = lane; k < ohw; k += 32)
				if (!pos || pos[k] > 0)
					s += d[k];
			s = warp_sum(s);
			if (lane == 0)
				part[plane] = s;
		}
	}
}

// avgpool_at writes y element idx (see avgpool).
template <typename I> __device__ __forceinline__ void avgpool_at(I idx, const float *x, float *y, const Pool &g, float inv)
{
	I r = idx / g.ow;
	int ow = idx - r * g.ow;
	I plane = r / g.oh;
	int oh = r - plane * g.oh;
	const float *in = x + (i64)plane * g.h * g.w;
	int h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
	int h1 = min(h0 + g.kh, g.h), w1 = min(w0 + g.kw, g.w);
	float s = 0;
	for (int h = max(h0, 0); h < h1; h++)
		for (int w = max(w0, 0); w < w1; w++)
			s += in[h * g.w + w];
	y[idx] = s * inv;
}

// avgpool writes y with the sum of each window of x (row-major, padding
// left out) times inv = 1/(KH·KW).
extern "C" __global__ void avgpool(const float *x, float *y, Pool g, float inv)
{
	BY_INDEX(idx, (i64)g.planes * g.oh * g.ow, avgpool_at(idx, x, y, g, inv));
}

// avgpool_backward_at writes dx element idx (see avgpool_backward).
template <typename I> __device__ __forceinline__ void avgpool_backward_at(I idx, const float *dy, float *dx, const Pool &g, float inv)
{
	I r = idx / g.w;
	int w = idx - r * g.w;
	I plane = r / g.h;
	int h = r - plane * g.h;
	const float *d = dy + (i64)plane * g.oh * g.ow;
	int oh0, oh1, ow0, ow1;
	pool_windows(h, g.kh, g.sh, g.ph, g.oh, &oh0, &oh1);
	pool_windows(w, g.kw, g.sw, g.pw, g.ow, &ow0, &ow1);
	float s = 0;
	for (int oh = oh0; oh < oh1; oh++)
		for (int ow = ow0; ow < ow1; ow++)
			s += d[oh * g.ow + ow] * inv;
	dx[idx] = s;
}

// avgpool_backward overwrites dx with, for each element, the sum of
// dy·inv over the windows that cover it, in the order of the outputs.
extern "C" __global__ void avgpool_backward(const float *dy, float *dx, Pool g, float inv)
{
	BY_INDEX(idx, (i64)g.planes * g.h * g.w, avgpool_backward_at(idx, dy, dx, g, inv));
}

// shift_at writes y element idx (see shift_images).
template <typename I>
__device__ __forceinline__ void shift_at(I idx, const float *x, const int *shifts, float *y, int c, int h, int w, float fill)
{
	I r = idx / w;
	int col = idx - r * w;
	I plane = r / h;
	int row = r - plane * h;
	I img = plane / c;
	// 64-bit: an offset may be any int32.
	i64 dy = shifts[2 * (i64)img], dx = shifts[2 * (i64)img + 1];
	i64 sr = row - dy, sc = col - dx;
	float v = fill;
	if (sr >= 0 && sr < h && sc >= 0 && sc < w)
		v = x[((i64)plane * h + sr) * w + sc];
	y[idx] = v;
}

// shift_images writes y [planes/c, c, h, w] with each image of x
// translated by its own offset (dy, dx) = (shifts[2i], shifts[2i+1]):
// y[i, ch, row, col] = x[i, ch, row − dy, col − dx] where that lies inside
// the image, fill elsewhere. One thread per element of y.
extern "C" __global__ void shift_images(const float *x, const int *shifts, float *y, i64 planes, int c, int h, int w,
					float fill)
{
	BY_INDEX(idx, planes * h * w, shift_at(idx, x, shifts, y, c, h, w, fill));
}
