// Reductions: sums, per-channel sums, softmax rows, losses and batch
// normalisation. None uses floating-point atomics: every sum is taken in a
// fixed order that depends only on the sizes, so results repeat bit for bit
// from run to run.

#include "myelin.cuh"

// sum_chunk writes to part[b] the sum, in double, of x[b·chunk,
// min((b+1)·chunk, n)) for block b.
template <typename T> __device__ void sum_chunk(const T *x, i64 n, i64 chunk, double *part)
{
	i64 lo = (i64)blockIdx.x * chunk, hi = min(lo + chunk, n);
	double s = 0;
	for (i64 i = lo + threadIdx.x; i < hi; i += THREADS)
		s += x[i];
	s = block_sum(s);
	if (threadIdx.x == 0)
		part[blockIdx.x] = s;
}

// sum_partial is sum_chunk of float data, one block per chunk.
extern "C" __global__ void sum_partial(const float *x, i64 n, i64 chunk, double *part)
{
	sum_chunk(x, n, chunk, part);
}

// sum_partial_f64 is sum_chunk of double data, one block per chunk.
extern "C" __global__ void sum_partial_f64(const double *x, i64 n, i64 chunk, double *part)
{
	sum_chunk(x, n, chunk, part);
}

// sum_final reduces the parts partial sums with one block and writes
// dst[0] = scale·Σ part + beta·dst[0], in double and rounded once; with
// beta 0 dst's old value is not read.
extern "C" __global__ void sum_final(const double *part, int parts, double scale, float *dst, float beta)
{
	double s = 0;
	for (int i = threadIdx.x; i < parts; i += THREADS)
		s += part[i];
	s = block_sum(s);
	if (threadIdx.x == 0) {
		s *= scale;
		dst[0] = (float)(beta == 0 ? s : s + (double)beta * dst[0]);
	}
}

// bias_grad_part writes part[r] = Σ_s dy[r, s] in double for each row r
// = n·C + c of dy [batch·C, spatial], one warp per row.
extern "C" __global__ void bias_grad_part(const float *dy, double *part, i64 rows, i64 spatial)
{
	int lane = threadIdx.x % 32;
	ROW_LOOP(r, rows)
	{
		const float *p = dy + r * spatial;
		double s = 0;
		for (i64 k = lane; k < spatial; k += 32)
			s += p[k];
		s = warp_sum(s);
		if (lane == 0)
			part[r] = s;
	}
}

// bias_grad writes db[c] = Σ_n part[n·C + c] + beta·db[c], n in order, in
// double and rounded once, for part from bias_grad_part; with beta 0 db's
// old value is not read.
extern "C" __global__ void bias_grad(const double *part, float *db, int batch, int c, float beta)
{
	GRID_STRIDE(ch, c)
	{
		double s = 0;
		for (int n = 0; n < batch; n++)
			s += part[(i64)n * c + ch];
		db[ch] = (float)(beta == 0 ? s : s + (double)beta * db[ch]);
	}
}

// batch_sum writes out[i] = Σ_b part[b·len + i], b in order, for i < len.
extern "C" __global__ void batch_sum(const float *part, float *out, int batch, i64 len)
{
	GRID_STRIDE(i, len)
	{
		float s = 0;
		for (int b = 0; b < batch; b++)
			s += part[(i64)b * len + i];
		out[i] = s;
	}
}

// softmax writes each row of y [rows, cols] with the softmax of the row of
// x, the row maximum subtracted first. One warp per row.
extern "C" __global__ void softmax(const float *x, float *y, i64 rows, int cols)
{
	int lane = threadIdx.x % 32;
	ROW_LOOP(r, rows)
	{
		const float *in = x + r * cols;
		float *out = y + r * cols;
		float m = -INFINITY;
		for (int k = lane; k < cols; k += 32)
			m = fmaxf(m, in[k]);
		m = warp_all_max(m);
		float s = 0;
		for (int k = lane; k < cols; k += 32) {
			float e = expf(in[k] - m);
			out[k] = e;
			s += e;
		}
		float inv = 1 / warp_all_sum(s);
		for (int k = lane; k < cols; k += 32)
			out[k] *= inv;
	}
}

// softmax_backward writes dx = y∘(dy − rowsum(dy∘y)), the row sums taken in
// double. One warp per row.
extern "C" __global__ void softmax_backward(const float *y, const float *dy, float *dx, i64 rows, int cols)
{
	int lane = threadIdx.x % 32;
	ROW_LOOP(r, rows)
	{
		const float *s = y + r * cols, *g = dy + r * cols;
		double dot = 0;
		for (int k = lane; k < cols; k += 32)
			dot += (double)s[k] * g[k];
		float d = (float)warp_all_sum(dot);
		for (int k = lane; k < cols; k += 32)
			dx[r * cols + k] = s[k] * (g[k] - d);
	}
}

// softmax_xent writes grad = (softmax(x) − t)·invN for logits x and target t
// [rows, cols] and, for the loss, rowloss[r] = −Σ_k t·log softmax(x_r)_k
// (terms with t = 0 left out). One warp per row.
extern "C" __global__ void softmax_xent(const float *x, const float *t, float *grad, double *rowloss, i64 rows,
					int cols, float invN)
{
	int lane = threadIdx.x % 32;
	ROW_LOOP(r, rows)
	{
		const float *in = x + r * cols, *tr = t + r * cols;
		float m = -INFINITY;
		for (int k = lane; k < cols; k += 32)
			m = fmaxf(m, in[k]);
		m = warp_all_max(m);
		double s = 0;
		for (int k = lane; k < cols; k += 32)
			s += exp((double)in[k] - m);
		double lse = m + log(warp_all_sum(s));
		double l = 0;
		for (int k = lane; k < cols; k += 32) {
			float tk = tr[k];
			double logp = in[k] - lse;
			if (tk != 0)
				l -= tk * logp;
			grad[r * cols + k] = ((float)exp(logp) - tk) * invN;
		}
		l = warp_sum(l);
		if (lane == 0)
			rowloss[r] = l;
	}
}

// first_argmax returns, in every lane, the first column holding the row's
// maximum (NaN never wins).
__device__ int first_argmax(const float *row, int cols, int lane)
{
	int best = -1;
	float bv = 0;
	for (int k = lane; k < cols; k += 32)
		if (best < 0 || row[k] > bv) {
			best = k;
			bv = row[k];
		}
	for (int o = 16; o > 0; o >>= 1) {
		int ob = __shfl_xor_sync(0xffffffffu, best, o);
		float ov = __shfl_xor_sync(0xffffffffu, bv, o);
		if (ob >= 0 && (best < 0 || ov > bv || (ov == bv && ob < best))) {
			best = ob;
			bv = ov;
		}
	}
	return best;
}

// argmax_match writes hit[r] = 1 where rows r of pred and target [rows,
// cols] have their first maximum in the same column, else 0. One warp per
// row.
extern "C" __global__ void argmax_match(const float *pred, const float *target, double *hit, i64 rows, int cols)
{
	int lane = threadIdx.x % 32;
	ROW_LOOP(r, rows)
	{
		int a = first_argmax(pred + r * cols, cols, lane);
		int b = first_argmax(target + r * cols, cols, lane);
		if (lane == 0)
			hit[r] = a == b ? 1.0 : 0.0;
	}
}

// sigmoid_xent writes grad = (σ(z) − t)·invL and term[i] = max(z, 0) − z·t +
// log(1 + e^(−|z|)), in double, for the mean binary cross-entropy.
extern "C" __global__ void sigmoid_xent(const float *z, const float *t, float *grad, double *term, i64 n,
					float invL)
{
	GRID_STRIDE(i, n)
	{
		double zi = z[i], ti = t[i];
		term[i] = fmax(zi, 0.0) - zi * ti + log1p(exp(-fabs(zi)));
		grad[i] = ((float)(1 / (1 + exp(-zi))) - t[i]) * invL;
	}
}

// abs_error writes grad = sign(p − t)·invL (0 where equal) and term[i] =
// |p − t| for the mean absolute error.
extern "C" __global__ void abs_error(const float *p, const float *t, float *grad, double *term, i64 n, float invL)
{
	GRID_STRIDE(i, n)
	{
		float d = p[i] - t[i];
		term[i] = fabsf(d);
		grad[i] = d > 0 ? invL : d < 0 ? -invL : 0.0f;
	}
}

// bn_stats computes, one block per channel of x [batch, C, spatial], the
// mean μ and biased variance σ² (two passes, in double), writes mean[c] and
// invstd[c] = 1/√(σ² + eps) and updates the running statistics:
// runmean ← (1−m)·runmean + m·μ, runvar ← (1−m)·runvar + m·σ²·M/(M−1).
extern "C" __global__ void bn_stats(const float *x, float *mean, float *invstd, float *runmean, float *runvar,
				    int batch, int c, i64 spatial, float momentum, float eps)
{
	__shared__ double mu;
	int ch = blockIdx.x;
	double m = (double)batch * spatial;
	double s = 0;
	for (int n = 0; n < batch; n++) {
		const float *p = x + ((i64)n * c + ch) * spatial;
		for (i64 k = threadIdx.x; k < spatial; k += THREADS)
			s += p[k];
	}
	s = block_sum(s);
	if (threadIdx.x == 0)
		mu = s / m;
	__syncthreads();
	double ss = 0;
	for (int n = 0; n < batch; n++) {
		const float *p = x + ((i64)n * c + ch) * spatial;
		for (i64 k = threadIdx.x; k < spatial; k += THREADS) {
			double d = p[k] - mu;
			ss += d * d;
		}
	}
	ss = block_sum(ss);
	if (threadIdx.x == 0) {
		mean[ch] = (float)mu;
		invstd[ch] = (float)(1 / sqrt(ss / m + eps));
		runmean[ch] = (1 - momentum) * runmean[ch] + momentum * (float)mu;
		runvar[ch] = (1 - momentum) * runvar[ch] + momentum * (float)(ss / (m - 1));
	}
}

// bn_apply writes y = gamma[c]·(x − mean[c])·invstd[c] + beta[c] for x and
// y [N, C, spatial] of n elements. y may be x.
extern "C" __global__ void bn_apply(const float *x, float *y, const float *mean, const float *invstd,
				    const float *gamma, const float *beta, i64 n, int c, i64 spatial)
{
	GRID_STRIDE(i, n)
	{
		int ch = (i / spatial) % c;
		float sc = gamma[ch] * invstd[ch];
		y[i] = (x[i] - mean[ch]) * sc + beta[ch];
	}
}

// bn_infer writes y = gamma[c]·(x − runmean[c])/√(runvar[c] + eps) + beta[c].
extern "C" __global__ void bn_infer(const float *x, float *y, const float *gamma, const float *beta,
				    const float *runmean, const float *runvar, i64 n, int c, i64 spatial, float eps)
{
	GRID_STRIDE(i, n)
	{
		int ch = (i / spatial) % c;
		float sc = gamma[ch] / sqrtf(runvar[ch] + eps);
		y[i] = (x[i] - runmean[ch]) * sc + beta[ch];
	}
}

// bn_backward_sums writes, one block per channel, dbeta[c] = Σ dy and
// dgamma[c] = Σ dy·x̂ with x̂ = (x − mean[c])·invstd[c], summed in double.
extern "C" __global__ void bn_backward_sums(const float *x, const float *dy, const float *mean,
					    const float *invstd, float *dgamma, float *dbeta, int batch, int c,
					    i64 spatial)
{
	int ch = blockIdx.x;
	float mu = mean[ch], inv = invstd[ch];
	double sdy = 0, sdyx = 0;
	for (int n = 0; n < batch; n++) {
		i64 off = ((i64)n * c + ch) * spatial;
		for (i64 k = threadIdx.x; k < spatial; k += THREADS) {
			float d = dy[off + k];
			sdy += d;
			sdyx += (double)d * ((x[off + k] - mu) * inv);
		}
	}
	sdy = block_sum(sdy);
	sdyx = block_sum(sdyx);
	if (threadIdx.x == 0) {
		dbeta[ch] = (float)sdy;
		dgamma[ch] = (float)sdyx;
	}
}

// bn_backward_dx writes dx = gamma[c]·invstd[c]/M·(M·dy − dbeta[c] −
// x̂·dgamma[c]), M = N·spatial the count per channel. dx may be dy.
extern "C" __global__ void bn_backward_dx(const float *x, const float *dy, const float *gamma, const float *mean,
					  const float *invstd, const float *dgamma, const float *dbeta, float *dx,
					  i64 n, int c, i64 spatial, float m)
{
	GRID_STRIDE(i, n)
	{
		int ch = (i / spatial) % c;
		float inv = invstd[ch];
		float k = gamma[ch] * inv / m;
		dx[i] = k * (m * dy[i] - dbeta[ch] - (x[i] - mean[ch]) * inv * dgamma[ch]);
	}
}

// Reductions, in the order of backend.ReduceOp.
enum { R_SUM, R_MEAN, R_MAX };

// reduce_store writes y = v + beta·y, in double and rounded once; with
// beta 0 y's old value is not read.
__device__ __forceinline__ void reduce_store(float *y, double v, float beta)
{
	*y = (float)(beta == 0 ? v : v + (double)beta * *y);
}

// reduce_rows reduces x, read as [outer, n, inner], along its middle axis
// into y [outer, inner] = outputs elements, one warp per output: lane l
// takes the elements l, l+32, … of the axis, and the warp combines the
// lanes in a fixed order. Sums are taken in double; the mean is the sum
// over n; the maximum is NaN if any element is.
extern "C" __global__ void reduce_rows(int op, const float *x, float *y, i64 outputs, i64 n, i64 inner, float beta)
{
	int lane = threadIdx.x % 32;
	ROW_LOOP(r, outputs)
	{
		i64 o = r / inner, j = r - o * inner;
		const float *p = x + o * n * inner + j;
		double v;
		if (op == R_MAX) {
			float m = -INFINITY;
			for (i64 a = lane; a < n; a += 32)
				m = nan_max(m, p[a * inner]);
			for (int s = 16; s > 0; s >>= 1)
				m = nan_max(m, __shfl_xor_sync(0xffffffffu, m, s));
			v = m;
		} else {
			double s = 0;
			for (i64 a = lane; a < n; a += 32)
				s += p[a * inner];
			s = warp_sum(s);
			v = op == R_MEAN ? s / n : s;
		}
		if (lane == 0)
			reduce_store(y + r, v, beta);
	}
}

// reduce_cols is reduce_rows with one thread per output, which walks the
// axis in order: consecutive threads read consecutive elements when inner
// is large.
extern "C" __global__ void reduce_cols(int op, const float *x, float *y, i64 outputs, i64 n, i64 inner, float beta)
{
	GRID_STRIDE(r, outputs)
	{
		i64 o = r / inner, j = r - o * inner;
		const float *p = x + o * n * inner + j;
		double v;
		if (op == R_MAX) {
			float m = -INFINITY;
			for (i64 a = 0; a < n; a++)
				m = nan_max(m, p[a * inner]);
			v = m;
		} else {
			double s = 0;
			for (i64 a = 0; a < n; a++)
				s += p[a * inner];
			v = op == R_MEAN ? s / n : s;
		}
		reduce_store(y + r, v, beta);
	}
}

// arg_better reports whether candidate (v, i) beats the best (bv, bi)
// found so far in torch.max's order: NaN above every number, and the lower
// index on ties (between NaNs too). An index below 0 is no candidate.
__device__ __forceinline__ bool arg_better(float v, int i, float bv, int bi)
{
	if (i < 0)
		return false;
	if (bi < 0)
		return true;
	bool vn = v != v, bn = bv != bv;
	if (vn || bn)
		return vn && (!bn || i < bi);
	return v > bv || (v == bv && i < bi);
}

// argmax_rows writes, for x read as [outer, n, inner], idx[r] = the first
// index along the middle axis of the maximum of output r = o·inner + j
// (the first NaN if there is one) and, unless values is null, values[r] =
// that element. One warp per output; arg_better is a total order, so every
// lane ends with the same winner whatever the order of the combines.
extern "C" __global__ void argmax_rows(const float *x, float *values, int *idx, i64 outputs, int n, i64 inner)
{
	int lane = threadIdx.x % 32;
	ROW_LOOP(r, outputs)
	{
		i64 o = r / inner, j = r - o * inner;
		const float *p = x + o * n * inner + j;
		float bv = 0;
		int bi = -1;
		for (int a = lane; a < n; a += 32) {
			float v = p[a * inner];
			if (arg_better(v, a, bv, bi)) {
				bv = v;
				bi = a;
			}
		}
		for (int s = 16; s > 0; s >>= 1) {
			float ov = __shfl_xor_sync(0xffffffffu, bv, s);
			int oi = __shfl_xor_sync(0xffffffffu, bi, s);
			if (arg_better(ov, oi, bv, bi)) {
				bv = ov;
				bi = oi;
			}
		}
		if (lane == 0) {
			idx[r] = bi;
			if (values)
				values[r] = bv;
		}
	}
}

// argmax_cols is argmax_rows with one thread per output, walking the axis
// in order.
extern "C" __global__ void argmax_cols(const float *x, float *values, int *idx, i64 outputs, int n, i64 inner)
{
	GRID_STRIDE(r, outputs)
	{
		i64 o = r / inner, j = r - o * inner;
		const float *p = x + o * n * inner + j;
		float bv = p[0];
		int bi = 0;
		for (int a = 1; a < n; a++) {
			float v = p[a * inner];
			if (arg_better(v, a, bv, bi)) {
				bv = v;
				bi = a;
			}
		}
		idx[r] = bi;
		if (values)
			values[r] = bv;
	}
}

// argmax_label writes hit[r] = 1 where the first arg-max of row r of pred
// [rows, cols] (as CountCorrect finds it) is labels[r], else 0. A label
// outside [0, cols) is reported in err and is no hit. One warp per row.
extern "C" __global__ void argmax_label(const float *pred, const int *labels, double *hit, i64 rows, int cols,
					int *err)
{
	int lane = threadIdx.x % 32;
	ROW_LOOP(r, rows)
	{
		int a = first_argmax(pred + r * cols, cols, lane);
		if (lane == 0) {
			int l = labels[r];
			if (l < 0 || l >= cols)
				report_index(err, ERR_COUNT_CORRECT_LABELS, l, cols);
			hit[r] = a == l ? 1.0 : 0.0;
		}
	}
}
