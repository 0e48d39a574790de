// Kernels that index with int32 tensors: Gather, its adjoint ScatterAdd,
// one-hot rows. An index out of range is recorded in the error words err
// (see report_index) for Sync to report; its output is zeros.
//
// ScatterAdd is deterministic without floating-point atomics: a counting
// sort of the indices (integer atomics count the rows, then one block
// places the source rows in the order of their index i), then one thread
// per table element adds its rows' values in that order, in float32,
// starting from the table's value, exactly as a sequential loop over i
// would.

#include "myelin.cuh"

// gather_at writes element e of out for gather, with index type I.
template <typename I>
__device__ __forceinline__ void gather_at(I e, const unsigned *table, const int *idx, unsigned *out, I cols,
					  int rows, int *err)
{
	I i = e / cols, d = e - i * cols;
	int r = idx[i];
	unsigned v = 0;
	if (r >= 0 && r < rows)
		v = table[(i64)r * cols + d];
	else if (d == 0)
		report_index(err, ERR_GATHER, r, rows);
	out[e] = v;
}

// gather writes out[i, d] = table[idx[i], d] for out [n, cols] and table
// [rows, cols] of 32-bit elements (float32 or int32: the bits are moved);
// a row whose index is outside [0, rows) gets zeros.
extern "C" __global__ void gather(const unsigned *table, const int *idx, unsigned *out, i64 n, i64 cols,
				  int rows, int *err)
{
	BY_INDEX(e, n * cols, gather_at(e, table, idx, out, (decltype(e))cols, rows, err));
}

// scatter_count adds to count[r] the number of i < n with idx[i] = r
// (integer atomics: the counts do not depend on the order). Indices outside
// [0, rows) are reported and left out.
extern "C" __global__ void scatter_count(const int *idx, i64 n, int rows, int *count, int *err)
{
	GRID_STRIDE(i, n)
	{
		int r = idx[i];
		if (r >= 0 && r < rows)
			atomicAdd(count + r, 1);
		else
			report_index(err, ERR_SCATTER_ADD, r, rows);
	}
}

// scatter_scan writes start[r] = cursor[r] = Σ_{q<r} count[q] for r ≤ rows
// (start has rows+1 elements) with one block: each thread sums a run of
// counts, thread 0 scans the runs' sums, and each thread writes its run.
extern "C" __global__ void scatter_scan(const int *count, int *start, int *cursor, int rows)
{
	__shared__ int run[THREADS];
	i64 per = ((i64)rows + THREADS - 1) / THREADS;
	i64 lo = min((i64)threadIdx.x * per, (i64)rows), hi = min(lo + per, (i64)rows);
	int s = 0;
	for (i64 r = lo; r < hi; r++)
		s += count[r];
	run[threadIdx.x] = s;
	__syncthreads();
	if (threadIdx.x == 0) {
		int acc = 0;
		for (int t = 0; t < THREADS; t++) {
			int c = run[t];
			run[t] = acc;
			acc += c;
		}
		start[rows] = acc;
	}
	__syncthreads();
	s = run[threadIdx.x];
	for (i64 r = lo; r < hi; r++) {
		start[r] = s;
		cursor[r] = s;
		s += count[r];
	}
}

// scatter_place writes perm[start[r] + k] = the k-th i (in increasing
// order) with idx[i] = r, with one block that walks idx in chunks of
// THREADS: a thread's slot is its row's cursor plus the number of earlier
// threads of the chunk with the same row, and the row's cursor then moves
// past the chunk's last one (atomicMax of the slots + 1: the largest is
// the last's). Indices outside [0, rows) are skipped. Cost: about THREADS
// shared-memory compares per thread per chunk, n/THREADS chunks in
// sequence on one SM.
extern "C" __global__ void scatter_place(const int *idx, i64 n, int rows, int *cursor, int *perm)
{
	__shared__ int key[THREADS];
	for (i64 base = 0; base < n; base += THREADS) {
		i64 i = base + threadIdx.x;
		int r = i < n ? idx[i] : -1;
		if (r >= rows)
			r = -1;
		key[threadIdx.x] = r;
		__syncthreads();
		int pos = 0;
		if (r >= 0) {
			int rank = 0;
			for (int t = 0; t < threadIdx.x; t++)
				rank += key[t] == r;
			pos = cursor[r] + rank;
		}
		__syncthreads(); // every cursor is read before any moves
		if (r >= 0) {
			perm[pos] = (int)i;
			atomicMax(cursor + r, pos + 1);
		}
		__syncthreads(); // the cursors have moved and key may be rewritten
	}
}

// scatter_sum adds, for each element (r, d) of table [rows, cols], the
// values src[i, d] of the rows i that perm lists for r, in that order, one
// float32 addition at a time starting from the table's value.
extern "C" __global__ void scatter_sum(const float *src, const int *start, const int *perm, float *table, int rows,
				       i64 cols)
{
	GRID_STRIDE(e, (i64)rows * cols)
	{
		i64 r = e / cols, d = e - r * cols;
		int lo = start[r], hi = start[r + 1];
		if (lo == hi)
			continue;
		float t = table[e];
		for (int k = lo; k < hi; k++)
			t += src[(i64)perm[k] * cols + d];
		table[e] = t;
	}
}

// one_hot writes out[r, c] = 1 where c = labels[r], else 0, for out [rows,
// k]; a label outside [0, k) is reported and gets a row of zeros.
extern "C" __global__ void one_hot(const int *labels, float *out, i64 rows, int k, int *err)
{
	GRID_STRIDE(e, rows * k)
	{
		i64 r = e / k;
		int c = (int)(e - r * k);
		int l = labels[r];
		if (c == 0 && (l < 0 || l >= k))
			report_index(err, ERR_ONE_HOT, l, k);
		out[e] = l == c ? 1.0f : 0.0f;
	}
}
