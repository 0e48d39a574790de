// cuda_shim.h emulates enough of CUDA to run Myelin's kernels on the CPU:
// one std::thread per CUDA thread, the blocks of a grid in sequence,
// __syncthreads as a barrier of the block's 256 threads, warp shuffles
// through a per-warp exchange between barriers (so every lane of a warp
// must reach each shuffle, as on the GPU with a full mask), atomics as
// GCC's __atomic builtins, __shared__ variables as statics (one block runs
// at a time). Kernels are called through launch(grid, f).
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>
#include <algorithm>
#include <type_traits>
#define __global__
#define __device__
#define __forceinline__
#define __shared__ static
struct dim { unsigned x; };
thread_local dim threadIdx, blockIdx;
dim blockDim{256}, gridDim{1};
static std::barrier<> *blockBar;
static std::vector<std::unique_ptr<std::barrier<>>> warpBar;
static uint64_t xchg[256];
__device__ void __syncthreads() { blockBar->arrive_and_wait(); }
template <typename T> T shfl_impl(T v, int src)
{
	int w = threadIdx.x / 32;
	uint64_t bits = 0;
	std::memcpy(&bits, &v, sizeof v);
	warpBar[w]->arrive_and_wait();
	xchg[threadIdx.x] = bits;
	warpBar[w]->arrive_and_wait();
	uint64_t o = xchg[w * 32 + (src & 31)];
	warpBar[w]->arrive_and_wait();
	T r;
	std::memcpy(&r, &o, sizeof r);
	return r;
}
template <typename T> T __shfl_xor_sync(unsigned, T v, int o) { return shfl_impl(v, (threadIdx.x % 32) ^ o); }
template <typename T> T __shfl_sync(unsigned, T v, int s) { return shfl_impl(v, s); }
template <typename T> T __shfl_down_sync(unsigned, T v, int o)
{
	int lane = threadIdx.x % 32;
	T r = shfl_impl(v, lane + o < 32 ? lane + o : lane);
	return lane + o < 32 ? r : v;
}
int atomicCAS(int *p, int cmp, int val) { __atomic_compare_exchange_n(p, &cmp, val, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); return cmp; }
int atomicAdd(int *p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
int atomicMax(int *p, int v) { int o = __atomic_load_n(p, __ATOMIC_SEQ_CST); while (o < v && !__atomic_compare_exchange_n(p, &o, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {} return o; }
template <typename A, typename B> auto min(A a, B b) { return a < b ? a : b; }
template <typename A, typename B> auto max(A a, B b) { return a > b ? a : b; }
using std::sqrt; using std::exp; using std::log; using std::log1p; using std::fabs; using std::fmax;
// launch runs f on grid blocks of 256 threads.
void launch(unsigned grid, std::function<void()> f)
{
	gridDim.x = grid;
	for (unsigned b = 0; b < grid; b++) {
		std::barrier<> bar(256);
		blockBar = &bar;
		warpBar.clear();
		for (int w = 0; w < 8; w++) warpBar.emplace_back(new std::barrier<>(32));
		std::vector<std::thread> ts;
		for (unsigned t = 0; t < 256; t++)
			ts.emplace_back([=] { threadIdx.x = t; blockIdx.x = b; f(); });
		for (auto &t : ts) t.join();
	}
}
float __fadd_rn(float a, float b) { return a + b; }
float __fmul_rn(float a, float b) { return a * b; }
