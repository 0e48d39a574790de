// Elementwise kernels: arithmetic, bias, activations, dropout masks and the
// fused optimizer steps. Every kernel walks its n elements with a
// grid-stride loop, so any grid size is correct.

#include "myelin.cuh"

extern "C" __global__ void add(const float *a, const float *b, float *c, i64 n)
{
	GRID_STRIDE(i, n) c[i] = a[i] + b[i];
}

extern "C" __global__ void mul(const float *a, const float *b, float *c, i64 n)
{
	GRID_STRIDE(i, n) c[i] = a[i] * b[i];
}

extern "C" __global__ void scale(float alpha, float *x, i64 n)
{
	GRID_STRIDE(i, n) x[i] *= alpha;
}

// axpy rounds alpha·x before the addition, as the CPU backend does (no
// fused multiply-add), so that the two agree bit for bit.
extern "C" __global__ void axpy(float alpha, const float *x, float *y, i64 n)
{
	GRID_STRIDE(i, n) y[i] = __fadd_rn(y[i], __fmul_rn(alpha, x[i]));
}

// add_bias adds b[c] to every element of y [N, C, spatial], n = N·C·spatial.
extern "C" __global__ void add_bias(float *y, const float *b, i64 n, int c, i64 spatial)
{
	GRID_STRIDE(i, n) y[i] += b[(i / spatial) % c];
}

// Activation kinds, in the order of backend.ActKind.
enum { IDENTITY, SIGMOID, TANH, RELU, LEAKY_RELU, ELU, SOFTPLUS };

// activate writes y = f(x) for the activation kind with parameter alpha.
// NaN inputs give NaN outputs for every kind.
extern "C" __global__ void activate(int kind, float alpha, const float *x, float *y, i64 n)
{
	GRID_STRIDE(i, n)
	{
		float v = x[i];
		switch (kind) {
		case SIGMOID:
			v = sigmoid(v);
			break;
		case TANH:
			v = tanhf(v);
			break;
		case RELU:
			v = v < 0 ? 0.0f : v;
			break;
		case LEAKY_RELU:
			v = v > 0 ? v : alpha * v;
			break;
		case ELU:
			v = v > 0 ? v : alpha * expm1f(v);
			break;
		case SOFTPLUS:
			v = fmaxf(v, 0.0f) + log1pf(expf(-fabsf(v)));
			break;
		}
		y[i] = v;
	}
}

// activate_backward writes dx = dy·f′(x) + beta·dx, reading f′ from
// y = f(x) where that is cheaper: σ′ = y(1−y), tanh′ = 1−y², ELU′ = y+α for
// x ≤ 0. With beta 0 dx's old contents are not read (dx may be dy); else
// dy·f′(x) is rounded, then beta·dx added with one rounding (fmaf).
extern "C" __global__ void activate_backward(int kind, float alpha, const float *x, const float *y,
					     const float *dy, float *dx, i64 n, float beta)
{
	GRID_STRIDE(i, n)
	{
		float d = dy[i], v = x[i];
		switch (kind) {
		case SIGMOID:
			d *= y[i] * (1 - y[i]);
			break;
		case TANH:
			d *= 1 - y[i] * y[i];
			break;
		case RELU:
			d = v > 0 ? d : 0.0f;
			break;
		case LEAKY_RELU:
			d *= v > 0 ? 1.0f : alpha;
			break;
		case ELU:
			d *= v > 0 ? 1.0f : y[i] + alpha;
			break;
		case SOFTPLUS:
			d *= sigmoid(v);
			break;
		}
		dx[i] = beta == 0 ? d : fmaf(beta, dx[i], d);
	}
}

// dropout_mask writes keep where the uniform draw of element i is at least
// p, and 0 elsewhere. The draw is backend.DropoutUniform: the top 24 bits
// of the SplitMix64 finaliser of seed + (i+1)·0x9E3779B97F4A7C15, over 2²⁴.
extern "C" __global__ void dropout_mask(float *mask, i64 n, float p, float keep, unsigned long long seed)
{
	GRID_STRIDE(i, n)
	{
		unsigned long long z = seed + (unsigned long long)(i + 1) * 0x9E3779B97F4A7C15ull;
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		z ^= z >> 31;
		float u = (float)(z >> 40) / 16777216.0f;
		mask[i] = u >= p ? keep : 0.0f;
	}
}

// sgd applies backend.SGD to p with gradient g and momentum buffer v (unused
// when mom is 0).
extern "C" __global__ void sgd(float *p, const float *g, float *v, i64 n, float lr, float mom, float damp,
			       float wd, int nesterov)
{
	GRID_STRIDE(i, n)
	{
		float pi = p[i];
		float gi = g[i] + wd * pi;
		if (mom != 0) {
			float vi = mom * v[i] + (1 - damp) * gi;
			v[i] = vi;
			gi = nesterov ? gi + mom * vi : vi;
		}
		p[i] = pi - lr * gi;
	}
}

// rmsprop applies backend.RMSprop to p with gradient g and mean-square s.
extern "C" __global__ void rmsprop(float *p, const float *g, float *s, i64 n, float lr, float rho, float eps,
				   float wd)
{
	GRID_STRIDE(i, n)
	{
		float pi = p[i];
		float gi = g[i] + wd * pi;
		float si = rho * s[i] + (1 - rho) * gi * gi;
		s[i] = si;
		p[i] = pi - lr * gi / (sqrtf(si) + eps);
	}
}

// adam applies backend.Adam to p with gradient g and moments m and v:
// coupled is the weight decay added to the gradient (0 for AdamW), decay
// the factor p is first multiplied by (1 − η·λ for AdamW, else 1), and bc1,
// bc2 the bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ.
extern "C" __global__ void adam(float *p, const float *g, float *m, float *v, i64 n, float lr, float b1,
				float b2, float eps, float coupled, float decay, float bc1, float bc2)
{
	GRID_STRIDE(i, n)
	{
		float pi = p[i];
		float gi = g[i] + coupled * pi;
		float mi = b1 * m[i] + (1 - b1) * gi;
		float vi = b2 * v[i] + (1 - b2) * gi * gi;
		m[i] = mi;
		v[i] = vi;
		p[i] = decay * pi - lr * (mi / bc1) / (sqrtf(vi / bc2) + eps);
	}
}

// adadelta applies backend.Adadelta to p with gradient g, squared-gradient
// average s and squared-update average u.
extern "C" __global__ void adadelta(float *p, const float *g, float *s, float *u, i64 n, float lr, float rho,
				    float eps, float wd)
{
	GRID_STRIDE(i, n)
	{
		float pi = p[i];
		float gi = g[i] + wd * pi;
		float si = rho * s[i] + (1 - rho) * gi * gi;
		float d = sqrtf(u[i] + eps) / sqrtf(si + eps) * gi;
		s[i] = si;
		u[i] = rho * u[i] + (1 - rho) * d * d;
		p[i] = pi - lr * d;
	}
}

// Binary operations, in the order of backend.BinaryOp.
enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MAX, OP_MIN };

// binary_op returns a op b. max and min give NaN when either operand is
// NaN (torch.maximum, torch.minimum); fmaxf and fminf would drop it.
__device__ __forceinline__ float binary_op(int op, float a, float b)
{
	switch (op) {
	case OP_ADD:
		return a + b;
	case OP_SUB:
		return a - b;
	case OP_MUL:
		return a * b;
	case OP_DIV:
		return a / b;
	case OP_MAX:
		return a != a || b != b ? a + b : fmaxf(a, b);
	default:
		return a != a || b != b ? a + b : fminf(a, b);
	}
}

// binary_same writes c = a op b for a, b and c of n elements each. c may
// be a or b.
extern "C" __global__ void binary_same(int op, const float *a, const float *b, float *c, i64 n)
{
	GRID_STRIDE(i, n) c[i] = binary_op(op, a[i], b[i]);
}

// Bcast describes a broadcast over four dimensions of c, innermost last:
// their sizes, and each operand's strides in elements (0 along a
// dimension the operand repeats over).
struct Bcast {
	i64 dim[4], sa[4], sb[4];
};

// binary_at writes element i of c for binary_bcast, with index type I.
template <typename I>
__device__ __forceinline__ void binary_at(I i, int op, const float *a, const float *b, float *c, const Bcast &g)
{
	I t = i;
	I i3 = t % (I)g.dim[3];
	t /= (I)g.dim[3];
	I i2 = t % (I)g.dim[2];
	t /= (I)g.dim[2];
	I i1 = t % (I)g.dim[1];
	I i0 = t / (I)g.dim[1];
	I ia = i0 * (I)g.sa[0] + i1 * (I)g.sa[1] + i2 * (I)g.sa[2] + i3 * (I)g.sa[3];
	I ib = i0 * (I)g.sb[0] + i1 * (I)g.sb[1] + i2 * (I)g.sb[2] + i3 * (I)g.sb[3];
	c[i] = binary_op(op, a[ia], b[ib]);
}

// binary_bcast writes c = a op b over c's n = Π g.dim elements, reading
// each operand through its strides in g. c may be an operand that has
// c's shape (that operand is read at c's own index).
extern "C" __global__ void binary_bcast(int op, const float *a, const float *b, float *c, i64 n, Bcast g)
{
	BY_INDEX(i, n, binary_at(i, op, a, b, c, g));
}

// Unary functions, in the order of backend.UnaryOp.
enum { U_EXP, U_LOG, U_SQRT, U_RSQRT, U_ABS, U_SQUARE, U_RECIPROCAL, U_NEG };

// unary writes y = f(x) for the function op; y may be x. sqrt and the
// divisions are correctly rounded (nvcc's default -prec-sqrt and
// -prec-div), rsqrt is computed in double and rounded once, exp and log
// err by at most 2 ulp.
extern "C" __global__ void unary(int op, const float *x, float *y, i64 n)
{
	GRID_STRIDE(i, n)
	{
		float v = x[i];
		switch (op) {
		case U_EXP:
			v = expf(v);
			break;
		case U_LOG:
			v = logf(v);
			break;
		case U_SQRT:
			v = sqrtf(v);
			break;
		case U_RSQRT:
			v = (float)(1.0 / sqrt((double)v));
			break;
		case U_ABS:
			v = fabsf(v);
			break;
		case U_SQUARE:
			v = v * v;
			break;
		case U_RECIPROCAL:
			v = 1.0f / v;
			break;
		case U_NEG:
			v = -v;
			break;
		}
		y[i] = v;
	}
}

// affine writes y = alpha·x + beta with one rounding (fmaf); y may be x.
extern "C" __global__ void affine(float alpha, float beta, const float *x, float *y, i64 n)
{
	GRID_STRIDE(i, n) y[i] = fmaf(alpha, x[i], beta);
}

// clamp writes y = min(max(x, lo), hi), NaN staying NaN (torch.clamp); y
// may be x.
extern "C" __global__ void clamp(float lo, float hi, const float *x, float *y, i64 n)
{
	GRID_STRIDE(i, n)
	{
		float v = x[i];
		y[i] = v != v ? v : fminf(fmaxf(v, lo), hi);
	}
}

// Box describes a copy_region box of four dimensions, innermost last: its
// sizes, and the strides and offsets of dst and src in elements (strides
// may be negative).
struct Box {
	i64 size[4], ds[4], ss[4], doff, soff;
};

// The modes of copy_region: copy 32-bit elements, or add float32 or int32
// elements to dst's.
enum { BOX_COPY, BOX_ADD_F32, BOX_ADD_I32 };

// box_at moves element i of the box for copy_region, with index type I
// for the box index (the element offsets are signed 64-bit).
template <typename I> __device__ __forceinline__ void box_at(I i, void *dst, const void *src, const Box &g, int mode)
{
	I t = i;
	i64 k3 = t % (I)g.size[3];
	t /= (I)g.size[3];
	i64 k2 = t % (I)g.size[2];
	t /= (I)g.size[2];
	i64 k1 = t % (I)g.size[1];
	i64 k0 = t / (I)g.size[1];
	i64 d = g.doff + k0 * g.ds[0] + k1 * g.ds[1] + k2 * g.ds[2] + k3 * g.ds[3];
	i64 s = g.soff + k0 * g.ss[0] + k1 * g.ss[1] + k2 * g.ss[2] + k3 * g.ss[3];
	switch (mode) {
	case BOX_COPY:
		((unsigned *)dst)[d] = ((const unsigned *)src)[s];
		break;
	case BOX_ADD_F32:
		((float *)dst)[d] += ((const float *)src)[s];
		break;
	case BOX_ADD_I32:
		((int *)dst)[d] += ((const int *)src)[s];
		break;
	}
}

// copy_region moves the n = Π g.size elements of the box from src to dst
// in the given mode. dst must not overlap src, and no two box elements
// may land on the same element of dst.
extern "C" __global__ void copy_region(void *dst, const void *src, i64 n, Box g, int mode)
{
	BY_INDEX(i, n, box_at(i, dst, src, g, mode));
}
