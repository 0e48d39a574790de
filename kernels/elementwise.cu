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

// sigmoid returns 1/(1+e^−x) without overflow.
__device__ float sigmoid(float x)
{
	if (x >= 0)
		return 1 / (1 + expf(-x));
	float e = expf(x);
	return e / (1 + e);
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

// activate_backward writes dx = dy·f′(x), reading f′ from y = f(x) where
// that is cheaper: σ′ = y(1−y), tanh′ = 1−y², ELU′ = y+α for x ≤ 0.
extern "C" __global__ void activate_backward(int kind, float alpha, const float *x, const float *y,
					     const float *dy, float *dx, i64 n)
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
		dx[i] = d;
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
