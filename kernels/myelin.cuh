// Shared definitions of Myelin's CUDA kernels. All kernels are extern "C",
// so their PTX names are the names the Go side launches.

#pragma once

typedef long long i64;

// THREADS is the block size every kernel is launched with.
#define THREADS 256

// WARPS is the number of warps in a block of THREADS.
#define WARPS (THREADS / 32)

// GRID_STRIDE loops i over [0, n) across the whole grid.
#define GRID_STRIDE(i, n) \
	for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)blockDim.x * gridDim.x)

// ROW_LOOP gives each warp of the grid one row r of rows at a time, and
// each lane the columns lane, lane+32, … of it.
#define ROW_LOOP(r, rows)                                                                                   \
	for (i64 r = ((i64)blockIdx.x * blockDim.x + threadIdx.x) / 32; r < (rows);                         \
	     r += (i64)gridDim.x * blockDim.x / 32)

// BY_INDEX evaluates call, an expression in idx, for every idx in [0, n)
// across the grid; idx is an unsigned 32-bit index when n fits in 31 bits,
// so that the divisions in call are 32-bit, and a 64-bit one otherwise.
#define BY_INDEX(idx, n, call)                                                                              \
	do {                                                                                                \
		i64 n_ = (n);                                                                               \
		if (n_ <= 0x7fffffff) {                                                                     \
			for (unsigned idx = blockIdx.x * blockDim.x + threadIdx.x; idx < (unsigned)n_;      \
			     idx += blockDim.x * gridDim.x)                                                 \
				call;                                                                       \
		} else {                                                                                    \
			GRID_STRIDE(idx, n_)                                                                \
			call;                                                                               \
		}                                                                                           \
	} while (0)

// warp_sum returns, in lane 0, the sum of v over the warp, added in a
// fixed order.
template <typename T> __device__ __forceinline__ T warp_sum(T v)
{
	for (int o = 16; o > 0; o >>= 1)
		v += __shfl_down_sync(0xffffffffu, v, o);
	return v;
}

// warp_all_sum returns in every lane the warp sum that warp_sum leaves in
// lane 0, so that all lanes see the same value.
template <typename T> __device__ __forceinline__ T warp_all_sum(T v)
{
	return __shfl_sync(0xffffffffu, warp_sum(v), 0);
}

// warp_all_max returns in every lane the maximum of v over the warp.
__device__ __forceinline__ float warp_all_max(float v)
{
	for (int o = 16; o > 0; o >>= 1)
		v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
	return v;
}

// block_sum returns, in thread 0, the sum of v over the block (of THREADS
// threads), added in a fixed order; every thread must call it.
__device__ __forceinline__ double block_sum(double v)
{
	__shared__ double part[WARPS];
	v = warp_sum(v);
	if (threadIdx.x % 32 == 0)
		part[threadIdx.x / 32] = v;
	__syncthreads();
	v = threadIdx.x < WARPS ? part[threadIdx.x] : 0.0;
	if (threadIdx.x < 32)
		v = warp_sum(v);
	__syncthreads();
	return v;
}

// nan_max returns the larger of m and v, or v if it is NaN, so that a NaN
// met anywhere in a running maximum stays (torch.amax's rule).
__device__ __forceinline__ float nan_max(float m, float v)
{
	return v > m || v != v ? v : m;
}

// sigmoid returns 1/(1+e^−x) without overflow.
__device__ __forceinline__ float sigmoid(float x)
{
	if (x >= 0)
		return 1 / (1 + expf(-x));
	float e = expf(x);
	return e / (1 + e);
}

// Index errors: the code of the op that met an index out of range, stored
// in err[0] (0 while there is none). The Go side names them in the same
// order (indexErrOps in backend/cuda/index.go).
enum { ERR_GATHER = 1, ERR_SCATTER_ADD, ERR_ONE_HOT, ERR_COUNT_CORRECT_LABELS };

// report_index records in err[0..2] that the op with the given code met
// index outside [0, bound), unless an error is recorded already: the first
// one wins, and it stays until the backend closes.
__device__ __forceinline__ void report_index(int *err, int code, int index, int bound)
{
	if (atomicCAS(err, 0, code) == 0) {
		err[1] = index;
		err[2] = bound;
	}
}
