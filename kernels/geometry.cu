// Convolution unfolding and pooling over NCHW images. Backward passes
// gather (each thread owns one input element and sums what reaches it in a
// fixed order) instead of scattering with atomics, so they are
// deterministic.

#include "myelin.cuh"

// Conv is a convolution geometry (backend.ConvGeom) with its output size.
struct Conv {
	int n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};

// im2col writes col [N, C·KH·KW, OH·OW] from x [N, C, H, W]: row (c·KH+i)·KW+j
// of image n holds x[n, c, oh·SH−PH+i·DH, ow·SW−PW+j·DW] for each (oh, ow),
// 0 in the padding.
extern "C" __global__ void im2col(const float *x, float *col, Conv g)
{
	i64 total = (i64)g.n * g.c * g.kh * g.kw * g.oh * g.ow;
	GRID_STRIDE(idx, total)
	{
		i64 r = idx;
		int ow = r % g.ow;
		r /= g.ow;
		int oh = r % g.oh;
		r /= g.oh;
		int j = r % g.kw;
		r /= g.kw;
		int i = r % g.kh;
		r /= g.kh; // r = n·C + c
		int h = oh * g.sh - g.ph + i * g.dh, w = ow * g.sw - g.pw + j * g.dw;
		col[idx] = h >= 0 && h < g.h && w >= 0 && w < g.w ? x[(r * g.h + h) * g.w + w] : 0.0f;
	}
}

// col2im overwrites x [N, C, H, W] with the sum of the col entries that
// im2col reads from each element, taken in the order of (i, j).
extern "C" __global__ void col2im(const float *col, float *x, Conv g)
{
	i64 total = (i64)g.n * g.c * g.h * g.w;
	GRID_STRIDE(idx, total)
	{
		int w = idx % g.w, h = (idx / g.w) % g.h;
		i64 nc = idx / ((i64)g.w * g.h);
		const float *base = col + nc * g.kh * g.kw * g.oh * g.ow;
		float s = 0;
		for (int i = 0; i < g.kh; i++) {
			int th = h + g.ph - i * g.dh;
			if (th < 0 || th % g.sh != 0 || th / g.sh >= g.oh)
				continue;
			int oh = th / g.sh;
			for (int j = 0; j < g.kw; j++) {
				int tw = w + g.pw - j * g.dw;
				if (tw < 0 || tw % g.sw != 0 || tw / g.sw >= g.ow)
					continue;
				s += base[((i64)(i * g.kw + j) * g.oh + oh) * g.ow + tw / g.sw];
			}
		}
		x[idx] = s;
	}
}

// Pool is a pooling geometry (backend.PoolGeom) with its output size; planes
// is N·C.
struct Pool {
	int planes, h, w, kh, kw, sh, sw, ph, pw, oh, ow;
};

// maxpool writes y with the maximum of each window of x and arg with the
// in-plane index h·W+w of the first element (row-major) that holds it.
extern "C" __global__ void maxpool(const float *x, float *y, float *arg, Pool g)
{
	i64 total = (i64)g.planes * g.oh * g.ow;
	GRID_STRIDE(idx, total)
	{
		int ow = idx % g.ow, oh = (idx / g.ow) % g.oh;
		const float *in = x + idx / ((i64)g.ow * g.oh) * g.h * g.w;
		int h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
		int h1 = min(h0 + g.kh, g.h), w1 = min(w0 + g.kw, g.w);
		h0 = max(h0, 0);
		w0 = max(w0, 0);
		int best = h0 * g.w + w0;
		float m = in[best];
		for (int h = h0; h < h1; h++)
			for (int w = w0; w < w1; w++)
				if (in[h * g.w + w] > m) {
					m = in[h * g.w + w];
					best = h * g.w + w;
				}
		y[idx] = m;
		arg[idx] = (float)best;
	}
}

// pool_windows sets [*o0, *o1) to the outputs along one axis whose windows
// (size k, stride s, padding p, o outputs) cover input position v.
__device__ __forceinline__ void pool_windows(int v, int k, int s, int p, int o, int *o0, int *o1)
{
	int hi = v + p; // window start ≤ v + p − 0, and > v + p − k
	*o0 = hi - k + 1 <= 0 ? 0 : (hi - k + s) / s;
	*o1 = min(hi / s + 1, o);
}

// maxpool_backward overwrites dx with, for each element, the sum of the dy
// whose arg names it, in the order of the outputs (row-major).
extern "C" __global__ void maxpool_backward(const float *dy, const float *arg, float *dx, Pool g)
{
	i64 total = (i64)g.planes * g.h * g.w;
	GRID_STRIDE(idx, total)
	{
		int w = idx % g.w, h = (idx / g.w) % g.h;
		i64 plane = idx / ((i64)g.w * g.h);
		const float *d = dy + plane * g.oh * g.ow, *a = arg + plane * g.oh * g.ow;
		float self = (float)(h * g.w + w);
		int oh0, oh1, ow0, ow1;
		pool_windows(h, g.kh, g.sh, g.ph, g.oh, &oh0, &oh1);
		pool_windows(w, g.kw, g.sw, g.pw, g.ow, &ow0, &ow1);
		float s = 0;
		for (int oh = oh0; oh < oh1; oh++)
			for (int ow = ow0; ow < ow1; ow++)
				if (a[oh * g.ow + ow] == self)
					s += d[oh * g.ow + ow];
		dx[idx] = s;
	}
}

// avgpool writes y with the sum of each window of x (row-major, padding
// left out) times inv = 1/(KH·KW).
extern "C" __global__ void avgpool(const float *x, float *y, Pool g, float inv)
{
	i64 total = (i64)g.planes * g.oh * g.ow;
	GRID_STRIDE(idx, total)
	{
		int ow = idx % g.ow, oh = (idx / g.ow) % g.oh;
		const float *in = x + idx / ((i64)g.ow * g.oh) * g.h * g.w;
		int h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
		int h1 = min(h0 + g.kh, g.h), w1 = min(w0 + g.kw, g.w);
		float s = 0;
		for (int h = max(h0, 0); h < h1; h++)
			for (int w = max(w0, 0); w < w1; w++)
				s += in[h * g.w + w];
		y[idx] = s * inv;
	}
}

// avgpool_backward overwrites dx with, for each element, the sum of
// dy·inv over the windows that cover it, in the order of the outputs.
extern "C" __global__ void avgpool_backward(const float *dy, float *dx, Pool g, float inv)
{
	i64 total = (i64)g.planes * g.h * g.w;
	GRID_STRIDE(idx, total)
	{
		int w = idx % g.w, h = (idx / g.w) % g.h;
		const float *d = dy + idx / ((i64)g.w * g.h) * g.oh * g.ow;
		int oh0, oh1, ow0, ow1;
		pool_windows(h, g.kh, g.sh, g.ph, g.oh, &oh0, &oh1);
		pool_windows(w, g.kw, g.sw, g.pw, g.ow, &ow0, &ow1);
		float s = 0;
		for (int oh = oh0; oh < oh1; oh++)
			for (int ow = ow0; ow < ow1; ow++)
				s += d[oh * g.ow + ow] * inv;
		dx[idx] = s;
	}
}
