// kernel_test runs the kernels of elementwise.cu, reduce.cu, index.cu,
// rnn.cu and geometry.cu's shift_images, convpool, convpool_backward and
// col2im that the optional op groups use on the CPU, through cuda_shim.h,
// and
// checks them against references: a check of the kernels' logic (index
// arithmetic, block and warp cooperation, NaN rules, determinism of
// ScatterAdd) on machines without a GPU. It does not check the GPU's own
// arithmetic (nvcc contracts a·b+c into FMAs, its expf is not glibc's).
// Build and run with ci/kernel-emu.sh; "kernel_test N" runs test N only.
#include "cuda_shim.h"
#include <cstdio>
#include <random>
#include "../elementwise.cu"
#include "../reduce.cu"
#include "../index.cu"
#include "../rnn.cu"
#include "../geometry.cu"

static int fails = 0;
#define CHECK(cond, ...) do { if (!(cond)) { fails++; if (fails < 30) { printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } } while (0)

std::mt19937 rng(1);
std::vector<float> rnd(size_t n, float lo = -1, float hi = 1) { std::uniform_real_distribution<float> d(lo, hi); std::vector<float> v(n); for (auto &x : v) x = d(rng); return v; }
bool same(float a, float b) { return (a != a && b != b) || std::memcmp(&a, &b, 4) == 0; }

float ref_bin(int op, float a, float b) {
	double x = a, y = b;
	switch (op) { case 0: return x + y; case 1: return x - y; case 2: return x * y; case 3: return x / y;
	case 4: return (a != a || b != b) ? NAN : std::max(x, y); default: return (a != a || b != b) ? NAN : std::min(x, y); }
}

void test_binary() {
	// c [3, 4, 5, 6] with a repeating over dims 1 and 3, b over dim 0 and 2.
	Bcast g{{3, 4, 5, 6}, {5 * 1, 0, 1, 0}, {0, 30, 0, 1}};
	// a is [3, 1, 5, 1] (strides 5,0,1,0); b is [1, 4, 1, 6]: strides 0, 6, 0, 1. Fix b's dim-1 stride.
	g.sb[1] = 6;
	auto a = rnd(15), b = rnd(24); a[3] = NAN; b[5] = 0;
	for (int op = 0; op < 6; op++) {
		std::vector<float> c(360, NAN), c2(360, NAN);
		launch(2, [&] { binary_bcast(op, a.data(), b.data(), c.data(), 360, g); });
		for (long long i = 0; i < 360; i++) binary_at<long long>(i, op, a.data(), b.data(), c2.data(), g);
		for (int i0 = 0; i0 < 3; i0++) for (int i1 = 0; i1 < 4; i1++) for (int i2 = 0; i2 < 5; i2++) for (int i3 = 0; i3 < 6; i3++) {
			int i = ((i0 * 4 + i1) * 5 + i2) * 6 + i3;
			float w = ref_bin(op, a[i0 * 5 + i2], b[i1 * 6 + i3]);
			CHECK(same(c[i], w) && same(c2[i], w), "binary op %d c[%d] = %g (i64 %g), want %g", op, i, c[i], c2[i], w);
		}
		std::vector<float> s(24, NAN);
		launch(1, [&] { binary_same(op, b.data(), b.data(), s.data(), 24); });
		for (int i = 0; i < 24; i++) CHECK(same(s[i], ref_bin(op, b[i], b[i])), "binary_same op %d", op);
	}
}

void test_unary_affine_clamp() {
	auto x = rnd(1000, -3, 3); x[0] = 0; x[1] = INFINITY; x[2] = NAN; x[3] = -0.0f;
	for (int op = 0; op < 8; op++) {
		std::vector<float> y(1000);
		launch(2, [&] { unary(op, x.data(), y.data(), 1000); });
		for (int i = 0; i < 1000; i++) {
			double v = x[i], w;
			switch (op) { case 0: w = std::exp(v); break; case 1: w = std::log(v); break; case 2: w = std::sqrt(v); break; case 3: w = 1 / std::sqrt(v); break;
			case 4: w = std::fabs(v); break; case 5: w = v * v; break; case 6: w = 1 / v; break; default: w = -v; }
			float wf = (float)w;
			CHECK(same(y[i], wf) || std::fabs(y[i] - w) <= 4e-7 * std::fabs(w), "unary %d x=%g: %g want %g", op, x[i], y[i], w);
		}
	}
	std::vector<float> y(1000);
	launch(1, [&] { affine(-1.5f, 0.25f, x.data(), y.data(), 1000); });
	for (int i = 0; i < 1000; i++) CHECK(same(y[i], std::fmaf(-1.5f, x[i], 0.25f)), "affine");
	launch(1, [&] { clamp(-1, 2, x.data(), y.data(), 1000); });
	for (int i = 0; i < 1000; i++) { float v = x[i], w = v != v ? v : v < -1 ? -1 : v > 2 ? 2 : v; CHECK(same(y[i], w), "clamp %g: %g want %g", v, y[i], w); }
}

void test_copy_region() {
	// transpose [3,4,5] -> [3,5,4], and reverse accumulate; int accumulate
	auto x = rnd(60);
	std::vector<float> y(60, NAN);
	Box g{{1, 3, 4, 5}, {0, 20, 1, 4}, {0, 20, 5, 1}, 0, 0};
	launch(2, [&] { copy_region(y.data(), x.data(), 60, g, BOX_COPY); });
	for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) for (int k = 0; k < 5; k++)
		CHECK(y[i * 20 + k * 4 + j] == x[i * 20 + j * 5 + k], "transpose");
	std::vector<float> z(20, 1);
	Box h{{1, 1, 4, 5}, {0, 0, -5, -1}, {0, 0, 0, 1}, 19, 5};
	launch(1, [&] { copy_region(z.data(), x.data(), 20, h, BOX_ADD_F32); });
	for (int j = 0; j < 4; j++) for (int k = 0; k < 5; k++) CHECK(z[19 - j * 5 - k] == 1 + x[5 + k], "accumulate");
	int p[6] = {1, 2, 3, 4, 5, 6}, q[3] = {10, -20, 30};
	Box ib{{1, 1, 1, 3}, {0, 0, 0, 2}, {0, 0, 0, 1}, 1, 0};
	launch(1, [&] { copy_region(p, q, 3, ib, BOX_ADD_I32); });
	int want[6] = {1, 12, 3, -16, 5, 36};
	for (int i = 0; i < 6; i++) CHECK(p[i] == want[i], "int accumulate");
	// the i64 path
	std::vector<float> y2(60, NAN);
	for (long long i = 0; i < 60; i++) box_at<long long>(i, y2.data(), x.data(), g, BOX_COPY);
	for (int i = 0; i < 60; i++) CHECK(y2[i] == y[i], "box_at i64");
}

void test_reduce() {
	int shapes[][3] = {{1, 100000, 1}, {5, 7, 3}, {3, 300, 2}, {64, 40, 1}, {1, 64, 40}, {2, 9, 64}, {33, 1, 1}, {1, 33, 1}, {4, 50, 40}};
	for (auto &s : shapes) {
		long long outer = s[0], n = s[1], inner = s[2], outputs = outer * inner;
		auto x = rnd(outer * n * inner);
		if (n > 3) x[(outer - 1) * n * inner + 2 * inner] = NAN; // NaN in the last outer row
		for (int op = 0; op < 3; op++) for (float beta : {0.0f, 0.5f}) for (int kern = 0; kern < 2; kern++) {
			if (outputs > 5000 && kern == 0 && n * inner > 100000) continue;
			auto y0 = rnd(outputs);
			std::vector<float> y = y0;
			if (beta == 0) std::fill(y.begin(), y.end(), NAN);
			if (kern == 0) launch(2, [&] { reduce_rows(op, x.data(), y.data(), outputs, n, inner, beta); });
			else launch(2, [&] { reduce_cols(op, x.data(), y.data(), outputs, n, inner, beta); });
			for (long long o = 0; o < outer; o++) for (long long j = 0; j < inner; j++) {
				long long r = o * inner + j;
				double sum = 0, m = -INFINITY, mag = 0;
				for (long long a = 0; a < n; a++) { double v = x[(o * n + a) * inner + j]; if (v == v) { sum += v; mag += std::fabs(v); } else sum = NAN; if (v != v) m = v; else if (v > m) m = v; }
				double w = op == 0 ? sum : op == 1 ? sum / n : m;
				if (beta != 0) w += beta * (double)y0[r];
				CHECK((w != w && y[r] != y[r]) || std::fabs(y[r] - w) <= 1.2e-7 * std::fabs(w) + 1e-12 * mag, "reduce kern %d op %d beta %g shape %lld,%lld,%lld r %lld: %g want %g", kern, op, beta, outer, n, inner, r, y[r], w);
			}
		}
	}
	// sum_final, beta
	double part[3] = {1, 2, 3.5};
	float d = 10;
	launch(1, [&] { sum_final(part, 3, 0.5, &d, 2); });
	CHECK(d == 23.25f, "sum_final beta: %g", d);
	d = NAN;
	launch(1, [&] { sum_final(part, 3, 1, &d, 0); });
	CHECK(d == 6.5f, "sum_final beta 0: %g", d);
}

void test_argmax() {
	int shapes[][3] = {{6, 100, 1}, {1, 6, 100}, {3, 40, 50}, {5, 3, 1}, {1, 5, 3}, {2, 7, 5}, {4, 40, 3}, {2, 1, 7}};
	for (auto &s : shapes) {
		long long outer = s[0], n = s[1], inner = s[2], outputs = outer * inner;
		auto x = rnd(outer * n * inner);
		for (auto &v : x) v = std::round(v * 3);
		x[x.size() / 2] = NAN;
		if (x.size() > 14) x[x.size() / 2 + 7] = NAN;
		for (int kern = 0; kern < 2; kern++) for (int withv = 0; withv < 2; withv++) {
			std::vector<float> vals(outputs, 12345);
			std::vector<int> idx(outputs, -7);
			float *vp = withv ? vals.data() : nullptr;
			if (kern == 0) launch(2, [&] { argmax_rows(x.data(), vp, idx.data(), outputs, n, inner); });
			else launch(2, [&] { argmax_cols(x.data(), vp, idx.data(), outputs, n, inner); });
			for (long long o = 0; o < outer; o++) for (long long j = 0; j < inner; j++) {
				long long r = o * inner + j;
				int best = 0;
				for (int a = 1; a < n; a++) { float v = x[(o * n + a) * inner + j], bv = x[(o * n + best) * inner + j]; if ((v != v && bv == bv) || v > bv) best = a; }
				float bv = x[(o * n + best) * inner + j];
				CHECK(idx[r] == best, "argmax kern %d shape %lld,%lld,%lld r %lld: %d want %d", kern, outer, n, inner, r, idx[r], best);
				CHECK(withv ? same(vals[r], bv) : vals[r] == 12345, "argmax values kern %d", kern);
			}
		}
	}
}

void test_index() {
	const int V = 7, D = 33, N = 3000;
	std::vector<int> idx(N);
	for (int i = 0; i < N; i++) idx[i] = i % 10 == 0 ? 3 : (int)(rng() % V);
	auto table = rnd(V * D);
	std::vector<float> out(N * D, NAN);
	int err[4] = {0, 0, 0, 0};
	launch(3, [&] { gather((const unsigned *)table.data(), idx.data(), (unsigned *)out.data(), N, D, V, err); });
	for (int i = 0; i < N; i++) for (int d = 0; d < D; d++) CHECK(out[i * D + d] == table[idx[i] * D + d], "gather");
	CHECK(err[0] == 0, "gather err");
	// an int32 table
	int labels[5] = {-3, 7, 2147483647, 0, 5}, got[4] = {9, 9, 9, 9}, pick[4] = {2, 0, 4, 2};
	launch(1, [&] { gather((const unsigned *)labels, pick, (unsigned *)got, 4, 1, 5, err); });
	for (int i = 0; i < 4; i++) CHECK(got[i] == labels[pick[i]], "gather int32");
	// scatter
	for (int trial = 0; trial < 3; trial++) {
		int v = trial == 2 ? 1000 : V, n = trial == 1 ? 300 : N;
		std::vector<int> ix(n);
		for (int i = 0; i < n; i++) ix[i] = (int)(rng() % v);
		if (trial == 1) { ix[5] = v; ix[17] = -1; }
		auto src = rnd((size_t)n * D), tb = rnd((size_t)v * D);
		auto want = tb;
		for (int i = 0; i < n; i++) if (ix[i] >= 0 && ix[i] < v) for (int d = 0; d < D; d++) want[ix[i] * D + d] += src[i * D + d];
		std::vector<int> scratch(3 * v + 1 + n, 0x55555555);
		int *count = scratch.data(), *start = count + v, *cursor = start + v + 1, *perm = start + 2 * v + 1;
		std::fill(count, count + v, 0);
		int e[4] = {0, 0, 0, 0};
		launch(2, [&] { scatter_count(ix.data(), n, v, count, e); });
		launch(1, [&] { scatter_scan(count, start, cursor, v); });
		launch(1, [&] { scatter_place(ix.data(), n, v, cursor, perm); });
		launch(3, [&] { scatter_sum(src.data(), start, perm, tb.data(), v, D); });
		for (int i = 0; i < v * D; i++) CHECK(same(tb[i], want[i]), "scatter trial %d [%d] = %.9g want %.9g", trial, i, tb[i], want[i]);
		// perm lists each row's i in increasing order
		for (int r = 0; r < v; r++) for (int k = start[r]; k < start[r + 1]; k++) { CHECK(ix[perm[k]] == r, "perm row"); if (k > start[r]) CHECK(perm[k] > perm[k - 1], "perm order"); }
		if (trial == 1) CHECK(e[0] == ERR_SCATTER_ADD && (e[1] == v || e[1] == -1) && e[2] == v, "scatter err %d %d %d", e[0], e[1], e[2]);
		else CHECK(e[0] == 0, "scatter no err");
	}
	// gather out of range
	int bad[3] = {1, 9, 0};
	std::vector<float> o2(12, NAN), t2(20, 1);
	int e2[4] = {0};
	launch(1, [&] { gather((const unsigned *)t2.data(), bad, (unsigned *)o2.data(), 3, 4, 5, e2); });
	for (int d = 0; d < 4; d++) CHECK(o2[4 + d] == 0 && o2[d] == 1, "gather zeros");
	CHECK(e2[0] == ERR_GATHER && e2[1] == 9 && e2[2] == 5, "gather err %d %d %d", e2[0], e2[1], e2[2]);
	// one hot
	std::vector<float> oh(15, NAN);
	int e3[4] = {0};
	launch(1, [&] { one_hot(bad, oh.data(), 3, 5, e3); });
	for (int r = 0; r < 3; r++) for (int c = 0; c < 5; c++) CHECK(oh[r * 5 + c] == (bad[r] == c ? 1.0f : 0.0f), "one_hot");
	CHECK(e3[0] == ERR_ONE_HOT && e3[1] == 9 && e3[2] == 5, "one_hot err");
	// argmax_label
	auto pred = rnd(50 * 13);
	std::vector<int> lab(50);
	for (int i = 0; i < 50; i++) { lab[i] = rng() % 13; if (i % 3 == 0) pred[i * 13 + lab[i]] = 2; }
	lab[49] = 13;
	std::vector<double> hit(50, -1);
	int e4[4] = {0};
	launch(1, [&] { argmax_label(pred.data(), lab.data(), hit.data(), 50, 13, e4); });
	for (int i = 0; i < 50; i++) { int best = 0; for (int c = 1; c < 13; c++) if (pred[i * 13 + c] > pred[i * 13 + best]) best = c; CHECK(hit[i] == (best == lab[i] ? 1 : 0), "argmax_label %d", i); }
	CHECK(e4[0] == ERR_COUNT_CORRECT_LABELS && e4[1] == 13 && e4[2] == 13, "label err");
}

void test_grad_beta() {
	auto x = rnd(600, -2, 2), y(x), dy = rnd(600), dx0 = rnd(600);
	for (auto &v : y) v = std::tanh(v);
	std::vector<float> plain(600), dx = dx0;
	launch(1, [&] { activate_backward(TANH, 0, x.data(), y.data(), dy.data(), plain.data(), 600, 0); });
	launch(1, [&] { activate_backward(TANH, 0, x.data(), y.data(), dy.data(), dx.data(), 600, -2); });
	for (int i = 0; i < 600; i++) CHECK(same(dx[i], std::fmaf(-2, dx0[i], plain[i])) && same(plain[i], dy[i] * (1 - y[i] * y[i])), "activate_backward beta");
	double part[6] = {1, 2, 3, 4, 5, 6}; // batch 2, c 3
	float db[3] = {1, 1, 1};
	launch(1, [&] { bias_grad(part, db, 2, 3, 0.5); });
	CHECK(db[0] == 5.5f && db[1] == 7.5f && db[2] == 9.5f, "bias_grad beta %g %g %g", db[0], db[1], db[2]);
}

// The recurrent cells, checked element by element against a float64
// reference of the step and, for the backward kernels, against central
// differences of that reference (each output element depends only on the
// same element's inputs, so each is differentiated on its own). The
// forward kernels run on the inputs, the backward ones on the gates the
// forward kernels left; outputs start as NaN. Sizes: single elements, odd
// hidden sizes and batches from 1 to 64; every 17th pre-activation is ±30.
//
// Tolerance: cellTol·(1 + |want|), for a handful of float32 roundings and
// glibc's expf and tanhf; the largest seen is 6·10⁻⁷ (r's rounding times
// hn = gh_n + bhh_n, up to 30, inside n's tanh).
static const double cellTol = 2e-6;
// The reference gradients (the interface's formulas, in float64) agree
// with central differences of the float64 step, of step fdStep, within
// fdTol·(1 + |want|): O(step²) and cancellation, far below a wrong term.
static const double fdStep = 1e-5, fdTol = 1e-8;

double sig(double x) { return 1 / (1 + std::exp(-x)); }

bool close(float got, double want, double tol) { return std::fabs(got - want) <= tol * (1 + std::fabs(want)); }

// gru_ref evaluates one GRU element from in = (gx_r, gx_z, gx_n, gh_r,
// gh_z, gh_n, h) and the biases b = (bhh_r, bhh_z, bhh_n); out gets r, z,
// n, hn, h'.
void gru_ref(const double in[7], const double b[3], double out[5])
{
	out[0] = sig(in[0] + in[3] + b[0]);
	out[1] = sig(in[1] + in[4] + b[1]);
	out[3] = in[5] + b[2];
	out[2] = std::tanh(in[2] + out[0] * out[3]);
	out[4] = (1 - out[1]) * out[2] + out[1] * in[6];
}

// lstm_ref evaluates one LSTM element from in = (a_i, a_f, a_g, a_o, c);
// out gets i, f, g, o, c', h'.
void lstm_ref(const double in[5], double out[6])
{
	out[0] = sig(in[0]);
	out[1] = sig(in[1]);
	out[2] = std::tanh(in[2]);
	out[3] = sig(in[3]);
	out[4] = out[1] * in[4] + out[0] * out[2];
	out[5] = out[3] * std::tanh(out[4]);
}

struct CellCase { int n, h; };
static const CellCase cellCases[] = {{1, 1}, {3, 5}, {2, 17}, {7, 33}, {1, 257}, {5, 100}, {64, 37}};

// cell_inputs returns n uniform values on [-lo, lo], with every 17th
// one far out (±30) so that σ and tanh saturate.
std::vector<float> cell_inputs(size_t n, float lo)
{
	auto v = rnd(n, -lo, lo);
	for (size_t i = 5; i < n; i += 17) v[i] = v[i] < 0 ? -30 : 30;
	return v;
}

void test_gru_cell() {
	for (auto cc : cellCases) {
		const int N = cc.n, H = cc.h;
		const long long n = (long long)N * H;
		auto gx = cell_inputs(3 * n, 2), gh = cell_inputs(3 * n, 2), bhh = rnd(3 * H, -0.5, 0.5), h = rnd(n), dhn = rnd(n);
		auto gx0 = gx, gh0 = gh, h0 = h, dhn0 = dhn, bhh0 = bhh;
		std::vector<float> hnew(n, NAN), dgx(3 * n, NAN), dgh(3 * n, NAN), dh(n, NAN);
		launch(2, [&] { gru_cell(gx.data(), gh.data(), bhh.data(), h.data(), hnew.data(), n, H); });
		// the 64-bit index path gives the same bits
		{
			auto gx2 = gx0, gh2 = gh0;
			std::vector<float> hnew2(n, NAN);
			for (long long e = 0; e < n; e++) gru_cell_at<long long>(e, gx2.data(), gh2.data(), bhh.data(), h.data(), hnew2.data(), H);
			for (long long e = 0; e < n; e++) CHECK(same(hnew2[e], hnew[e]), "gru_cell i64 N%d H%d e %lld", N, H, e);
			for (long long e = 0; e < 3 * n; e++) CHECK(same(gx2[e], gx[e]), "gru_cell i64 gates N%d H%d e %lld", N, H, e);
		}
		launch(3, [&] { gru_cell_backward(gx.data(), gh.data(), h.data(), dhn.data(), dgx.data(), dgh.data(), dh.data(), n, H); });
		{
			std::vector<float> dgx2(3 * n, NAN), dgh2(3 * n, NAN), dh2(n, NAN);
			for (long long e = 0; e < n; e++) gru_cell_backward_at<long long>(e, gx.data(), gh.data(), h.data(), dhn.data(), dgx2.data(), dgh2.data(), dh2.data(), H);
			for (long long e = 0; e < 3 * n; e++) CHECK(same(dgx2[e], dgx[e]) && same(dgh2[e], dgh[e]), "gru_cell_backward i64 N%d H%d", N, H);
			for (long long e = 0; e < n; e++) CHECK(same(dh2[e], dh[e]), "gru_cell_backward i64 dh N%d H%d", N, H);
		}
		for (int i = 0; i < N; i++) for (int j = 0; j < H; j++) {
			long long e = (long long)i * H + j, g = (long long)i * 3 * H + j;
			double in[7] = {gx0[g], gx0[g + H], gx0[g + 2 * H], gh0[g], gh0[g + H], gh0[g + 2 * H], h0[e]}, out[5];
			double b[3] = {bhh[j], bhh[j + H], bhh[j + 2 * H]};
			gru_ref(in, b, out);
			CHECK(close(hnew[e], out[4], cellTol), "gru_cell h' N%d H%d (%d,%d): %.9g want %.9g", N, H, i, j, hnew[e], out[4]);
			for (int k = 0; k < 3; k++) CHECK(close(gx[g + k * H], out[k], cellTol), "gru_cell gate %d N%d H%d (%d,%d): %.9g want %.9g", k, N, H, i, j, gx[g + k * H], out[k]);
			CHECK(close(gh[g + 2 * H], out[3], cellTol), "gru_cell hn N%d H%d (%d,%d)", N, H, i, j);
			// analytic float64 gradients (the interface's formulas) of dh'·h'
			double r = out[0], z = out[1], nn = out[2], hn = out[3], d = dhn0[e];
			double dn = d * (1 - z) * (1 - nn * nn), dr = dn * hn * r * (1 - r), dz = d * (h0[e] - nn) * z * (1 - z);
			double want[7] = {dr, dz, dn, dr, dz, dn * r, d * z};
			// central differences of dh'·h' in each raw input
			for (int k = 0; k < 7; k++) {
				double p[7], m[7], op[5], om[5];
				std::copy(in, in + 7, p); std::copy(in, in + 7, m);
				p[k] += fdStep; m[k] -= fdStep;
				gru_ref(p, b, op); gru_ref(m, b, om);
				double fd = d * (op[4] - om[4]) / (2 * fdStep);
				CHECK(std::fabs(fd - want[k]) <= fdTol * (1 + std::fabs(want[k])), "gru reference gradient %d N%d H%d (%d,%d): %.12g, central difference %.12g", k, N, H, i, j, want[k], fd);
			}
			float got[7] = {dgx[g], dgx[g + H], dgx[g + 2 * H], dgh[g], dgh[g + H], dgh[g + 2 * H], dh[e]};
			for (int k = 0; k < 7; k++) CHECK(close(got[k], want[k], cellTol), "gru_cell_backward output %d N%d H%d (%d,%d): %.9g want %.9g", k, N, H, i, j, got[k], want[k]);
		}
		for (long long e = 0; e < n; e++) CHECK(same(h[e], h0[e]) && same(dhn[e], dhn0[e]), "gru_cell: h or dh' changed");
		for (int j = 0; j < 3 * H; j++) CHECK(same(bhh[j], bhh0[j]), "gru_cell: bhh changed");
		// backward reads the gates without changing them
		auto gxb = gx, ghb = gh;
		launch(1, [&] { gru_cell_backward(gx.data(), gh.data(), h.data(), dhn.data(), dgx.data(), dgh.data(), dh.data(), n, H); });
		for (long long e = 0; e < 3 * n; e++) CHECK(same(gx[e], gxb[e]) && same(gh[e], ghb[e]), "gru_cell_backward changed its inputs");
	}
	// a NaN pre-activation gives NaN in its own element only
	std::vector<float> gx(6, 0.5f), gh(6, 0.25f), bhh(3, 0), h(2, 0.5f), hn(2, 0);
	gx[0] = NAN; // r of element 0 (H = 1, N = 2)
	launch(1, [&] { gru_cell(gx.data(), gh.data(), bhh.data(), h.data(), hn.data(), 2, 1); });
	CHECK(hn[0] != hn[0] && hn[1] == hn[1], "gru_cell NaN: %g %g", hn[0], hn[1]);
}

void test_lstm_cell() {
	for (auto cc : cellCases) {
		const int N = cc.n, H = cc.h;
		const long long n = (long long)N * H;
		auto a = cell_inputs(4 * n, 3), c = rnd(n, -2, 2), dhn = rnd(n), dc = rnd(n);
		auto a0 = a, c0 = c, dhn0 = dhn, dc0 = dc;
		std::vector<float> cnew(n, NAN), hnew(n, NAN), da(4 * n, NAN);
		launch(2, [&] { lstm_cell(a.data(), c.data(), cnew.data(), hnew.data(), n, H); });
		{
			auto a2 = a0;
			std::vector<float> cn2(n, NAN), hn2(n, NAN);
			for (long long e = 0; e < n; e++) lstm_cell_at<long long>(e, a2.data(), c.data(), cn2.data(), hn2.data(), H);
			for (long long e = 0; e < n; e++) CHECK(same(cn2[e], cnew[e]) && same(hn2[e], hnew[e]), "lstm_cell i64 N%d H%d e %lld", N, H, e);
			for (long long e = 0; e < 4 * n; e++) CHECK(same(a2[e], a[e]), "lstm_cell i64 gates N%d H%d", N, H);
			// and the backward, from the same gates
			auto dc2 = dc0;
			std::vector<float> da2(4 * n, NAN), da1(4 * n, NAN);
			auto dc1 = dc0;
			launch(1, [&] { lstm_cell_backward(a.data(), c.data(), cnew.data(), dhn.data(), dc1.data(), da1.data(), n, H); });
			for (long long e = 0; e < n; e++) lstm_cell_backward_at<long long>(e, a.data(), c.data(), cnew.data(), dhn.data(), dc2.data(), da2.data(), H);
			for (long long e = 0; e < 4 * n; e++) CHECK(same(da1[e], da2[e]), "lstm_cell_backward i64 N%d H%d", N, H);
			for (long long e = 0; e < n; e++) CHECK(same(dc1[e], dc2[e]), "lstm_cell_backward i64 dc N%d H%d", N, H);
		}
		launch(3, [&] { lstm_cell_backward(a.data(), c.data(), cnew.data(), dhn.data(), dc.data(), da.data(), n, H); });
		for (int i = 0; i < N; i++) for (int j = 0; j < H; j++) {
			long long e = (long long)i * H + j, g = (long long)i * 4 * H + j;
			double in[5] = {a0[g], a0[g + H], a0[g + 2 * H], a0[g + 3 * H], c0[e]}, out[6];
			lstm_ref(in, out);
			CHECK(close(cnew[e], out[4], cellTol), "lstm_cell c' N%d H%d (%d,%d): %.9g want %.9g", N, H, i, j, cnew[e], out[4]);
			CHECK(close(hnew[e], out[5], cellTol), "lstm_cell h' N%d H%d (%d,%d): %.9g want %.9g", N, H, i, j, hnew[e], out[5]);
			for (int k = 0; k < 4; k++) CHECK(close(a[g + k * H], out[k], cellTol), "lstm_cell gate %d N%d H%d (%d,%d): %.9g want %.9g", k, N, H, i, j, a[g + k * H], out[k]);
			double ig = out[0], fg = out[1], gg = out[2], og = out[3], t = std::tanh(out[4]), d = dhn0[e], dcn = dc0[e];
			double dct = dcn + d * og * (1 - t * t);
			double want[5] = {dct * gg * ig * (1 - ig), dct * c0[e] * fg * (1 - fg), dct * ig * (1 - gg * gg), d * t * og * (1 - og), dct * fg};
			for (int k = 0; k < 5; k++) {
				double p[5], m[5], op[6], om[6];
				std::copy(in, in + 5, p); std::copy(in, in + 5, m);
				p[k] += fdStep; m[k] -= fdStep;
				lstm_ref(p, op); lstm_ref(m, om);
				double fd = (d * (op[5] - om[5]) + dcn * (op[4] - om[4])) / (2 * fdStep);
				CHECK(std::fabs(fd - want[k]) <= fdTol * (1 + std::fabs(want[k])), "lstm reference gradient %d N%d H%d (%d,%d): %.12g, central difference %.12g", k, N, H, i, j, want[k], fd);
			}
			float got[5] = {da[g], da[g + H], da[g + 2 * H], da[g + 3 * H], dc[e]};
			for (int k = 0; k < 5; k++) CHECK(close(got[k], want[k], cellTol), "lstm_cell_backward output %d N%d H%d (%d,%d): %.9g want %.9g", k, N, H, i, j, got[k], want[k]);
		}
		for (long long e = 0; e < n; e++) CHECK(same(c[e], c0[e]) && same(dhn[e], dhn0[e]), "lstm_cell: c or dh' changed");
	}
	std::vector<float> a(8, 0.5f), c(2, 0.5f), cn(2, 0), hn(2, 0);
	a[5] = NAN; // f of element 1 (H = 1, N = 2)
	launch(1, [&] { lstm_cell(a.data(), c.data(), cn.data(), hn.data(), 2, 1); });
	CHECK(cn[1] != cn[1] && hn[1] != hn[1] && cn[0] == cn[0] && hn[0] == hn[0], "lstm_cell NaN: %g %g", cn[1], hn[1]);
}

// test_shift checks shift_images against a per-element reference in 64-bit
// integers: offsets zero, negative, beyond the image and at the int32
// extremes, C > 1, a NaN input moved unchanged, through the 32-bit path on
// several blocks and the 64-bit element index.
void test_shift() {
	const int N = 9, C = 3, H = 5, W = 7;
	int sh[N][2] = {{0, 0}, {1, 2}, {-2, 3}, {4, -6}, {5, 0}, {0, -7}, {-9, 11}, {INT32_MIN, 1}, {2, INT32_MAX}};
	auto x = rnd(N * C * H * W);
	x[3 * C * H * W + 2 * W + 1] = NAN; // image 3, channel 0, row 2, col 1: lands on row 6 — out of frame
	x[1 * C * H * W + H * W + 3 * W + 2] = NAN; // image 1, channel 1, row 3, col 2: lands on row 4, col 4
	const float fill = -0.4242f;
	auto ref = [&](long long e) {
		long long img = e / (C * H * W), r = e / W % H, col = e % W, plane = e / (H * W);
		long long sr = r - (long long)sh[img][0], sc = col - (long long)sh[img][1];
		return sr >= 0 && sr < H && sc >= 0 && sc < W ? x[(plane * H + sr) * W + sc] : fill;
	};
	std::vector<float> y(N * C * H * W, NAN), y2(N * C * H * W, NAN);
	launch(2, [&] { shift_images(x.data(), &sh[0][0], y.data(), N * C, C, H, W, fill); });
	for (long long e = 0; e < N * C * H * W; e++) shift_at<long long>(e, x.data(), &sh[0][0], y2.data(), C, H, W, fill);
	int kept = 0;
	for (int e = 0; e < N * C * H * W; e++) {
		CHECK(same(y[e], ref(e)) && same(y2[e], ref(e)), "shift_images y[%d] = %g (i64 %g), want %g", e, y[e], y2[e], ref(e));
		kept += y[e] != fill;
	}
	CHECK(y[1 * C * H * W + H * W + 4 * W + 4] != y[1 * C * H * W + H * W + 4 * W + 4], "shift_images NaN moved");
	CHECK(kept > 150, "shift_images kept only %d values", kept); // 204 in frame
}

// PoolCase is a max pooling of planes = n·c planes of h×w: window
// kh×kw, strides sh, sw, padding ph, pw.
struct PoolCase { int n, c, h, w, kh, kw, sh, sw, ph, pw; };

// Even and odd planes (the odd ones leave their last row and column
// unpooled), overlapping windows with padding, a 1×1 window, planes wider
// than a warp, more planes than the grid's warps (so that warps loop).
static const PoolCase poolCases[] = {
	{2, 3, 6, 6, 2, 2, 2, 2, 0, 0}, {1, 2, 9, 7, 2, 2, 2, 2, 0, 0}, {2, 2, 9, 8, 3, 3, 2, 2, 1, 1}, {1, 3, 5, 7, 3, 2, 1, 1, 1, 0},
	{1, 2, 4, 5, 1, 1, 1, 1, 0, 0}, {1, 2, 6, 37, 2, 2, 2, 2, 0, 0}, {3, 7, 8, 8, 2, 2, 2, 2, 0, 0}, {1, 1, 33, 3, 3, 3, 3, 1, 1, 1},
};

Pool pool_of(const PoolCase &p) {
	return Pool{p.n * p.c, p.h, p.w, p.kh, p.kw, p.sh, p.sw, p.ph, p.pw, (p.h + 2 * p.ph - p.kh) / p.sh + 1, (p.w + 2 * p.pw - p.kw) / p.sw + 1};
}

// pool_taps calls f(e, o) for every element e of a plane that window o
// covers, o in row-major order and, within a window, e in row-major order.
template <typename F> void pool_taps(const Pool &g, F f) {
	for (int oh = 0; oh < g.oh; oh++) for (int ow = 0; ow < g.ow; ow++)
		for (int i = 0; i < g.kh; i++) for (int j = 0; j < g.kw; j++) {
			int h = oh * g.sh - g.ph + i, w = ow * g.sw - g.pw + j;
			if (h >= 0 && h < g.h && w >= 0 && w < g.w) f(h * g.w + w, oh * g.ow + ow);
		}
}

// quarters returns n values on [-2, 2] in steps of 1/4, so that windows
// often tie.
std::vector<float> quarters(size_t n) {
	auto v = rnd(n, -2, 2);
	for (auto &x : v) x = std::round(x * 4) / 4;
	return v;
}

// test_convpool checks convpool against a reference in double: each
// window's first maximum (row-major, padding never wins, ties common), the
// bias of its channel, the ReLU as activate has it (v < 0 ? 0 : v, so a
// NaN would stay); outputs start as NaN. Without bias and ReLU it must
// give maxpool's bits; the 64-bit index path gives the same bits.
void test_convpool() {
	for (auto &pc : poolCases) {
		Pool g = pool_of(pc);
		const int hw = g.h * g.w, ohw = g.oh * g.ow;
		auto conv = quarters((size_t)g.planes * hw), bias = rnd(pc.c, -0.5, 0.5);
		for (int withBias = 0; withBias < 2; withBias++) for (int relu = 0; relu < 2; relu++) {
			const float *bp = withBias ? bias.data() : nullptr;
			size_t ny = (size_t)g.planes * ohw;
			std::vector<float> y(ny, NAN), arg(ny, NAN), y2(ny, NAN), arg2(ny, NAN);
			launch(2, [&] { convpool(conv.data(), bp, y.data(), arg.data(), g, pc.c, relu); });
			for (long long i = 0; i < (long long)ny; i++) convpool_at<long long>(i, conv.data(), bp, y2.data(), arg2.data(), g, pc.c, relu);
			for (int p = 0; p < g.planes; p++) {
				std::vector<double> m(ohw, -INFINITY);
				std::vector<int> best(ohw, -1);
				pool_taps(g, [&](int e, int o) { if (best[o] < 0 || conv[(size_t)p * hw + e] > m[o]) { m[o] = conv[(size_t)p * hw + e]; best[o] = e; } });
				for (int o = 0; o < ohw; o++) {
					double v = withBias ? m[o] + bias[p % pc.c] : m[o];
					if (relu) v = v < 0 ? 0 : v;
					size_t i = (size_t)p * ohw + o;
					CHECK(same(y[i], (float)v) && arg[i] == best[o], "convpool case %dx%d k%dx%d bias %d relu %d plane %d out %d: y %g arg %g, want %g at %d",
					      g.h, g.w, g.kh, g.kw, withBias, relu, p, o, y[i], arg[i], v, best[o]);
					CHECK(same(y2[i], y[i]) && same(arg2[i], arg[i]), "convpool i64 plane %d out %d", p, o);
				}
			}
			if (!withBias && !relu) {
				std::vector<float> my(ny, NAN), ma(ny, NAN);
				launch(1, [&] { maxpool(conv.data(), my.data(), ma.data(), g); });
				for (size_t i = 0; i < ny; i++) CHECK(same(my[i], y[i]) && same(ma[i], arg[i]), "convpool and maxpool differ at %zu", i);
			}
		}
	}
}

// test_convpool_backward checks convpool_backward, on the y and argmax
// convpool wrote, against a reference in double: each element of a plane
// gets the dy of the windows whose argmax names it and, with relu, whose y
// is above 0; part gets each plane's masked dy summed. dy has a NaN, which
// must reach only its own element, and only where the mask passes it.
// Sums of several terms (overlapping windows) are compared within their
// rounding; bias_grad then adds part over the batch. Outputs start as NaN;
// without relu dconv must be maxpool_backward's bits, and with part null
// it must be the same.
void test_convpool_backward() {
	int maskedAll = 0;
	for (auto &pc : poolCases) {
		Pool g = pool_of(pc);
		const int hw = g.h * g.w, ohw = g.oh * g.ow;
		const size_t ny = (size_t)g.planes * ohw, nc = (size_t)g.planes * hw;
		auto conv = quarters(nc), bias = rnd(pc.c, -0.5, 0.5), dy = rnd(ny);
		dy[ny / 3] = NAN;
		for (int relu = 0; relu < 2; relu++) {
			std::vector<float> y(ny), arg(ny);
			launch(1, [&] { convpool(conv.data(), bias.data(), y.data(), arg.data(), g, pc.c, relu); });
			int masked = 0;
			for (size_t i = 0; i < ny; i++) masked += relu && !(y[i] > 0);
			CHECK(masked < (int)ny, "convpool_backward case %dx%d: all %zu outputs masked", g.h, g.w, ny);
			maskedAll += masked;
			std::vector<float> dconv(nc, NAN), dconv2(nc, NAN);
			std::vector<double> part(g.planes, NAN);
			launch(2, [&] { convpool_backward(dy.data(), y.data(), arg.data(), dconv.data(), part.data(), g, relu); });
			launch(3, [&] { convpool_backward(dy.data(), y.data(), arg.data(), dconv2.data(), nullptr, g, relu); });
			for (int p = 0; p < g.planes; p++) {
				std::vector<double> want(hw, 0), mag(hw, 0);
				std::vector<int> terms(hw, 0);
				double ps = 0, pmag = 0;
				for (int o = 0; o < ohw; o++) {
					size_t i = (size_t)p * ohw + o;
					if (relu && !(y[i] > 0)) continue;
					ps += dy[i];
					pmag += std::fabs(dy[i]);
				}
				// every (element, window) pair, so that an argmax outside its
				// window would route nothing
				pool_taps(g, [&](int e, int o) {
					size_t i = (size_t)p * ohw + o;
					if (arg[i] == e && !(relu && !(y[i] > 0))) { want[e] += dy[i]; mag[e] += std::fabs(dy[i]); terms[e]++; }
				});
				for (int e = 0; e < hw; e++) {
					float got = dconv[(size_t)p * hw + e];
					bool ok = want[e] != want[e] ? got != got : std::fabs(got - want[e]) <= 1.2e-7 * std::max(terms[e] - 1, 0) * mag[e];
					CHECK(ok, "convpool_backward case %dx%d k%dx%d relu %d plane %d element %d: %.9g, want %.9g", g.h, g.w, g.kh, g.kw, relu, p, e, got, want[e]);
					CHECK(same(dconv2[(size_t)p * hw + e], got), "convpool_backward without part differs");
				}
				CHECK(ps != ps ? part[p] != part[p] : std::fabs(part[p] - ps) <= 1.2e-16 * ohw * pmag, "convpool_backward part case %dx%d relu %d plane %d: %.17g, want %.17g", g.h, g.w, relu, p, part[p], ps);
			}
			int nans = 0;
			for (float v : dconv) nans += v != v;
			CHECK(nans == (relu && !(y[ny / 3] > 0) ? 0 : 1), "convpool_backward case %dx%d relu %d: %d NaNs in dconv, want dy's one unless masked", g.h, g.w, relu, nans);
			if (!relu) {
				std::vector<float> mdx(nc, NAN);
				launch(1, [&] { maxpool_backward(dy.data(), arg.data(), mdx.data(), g); });
				for (size_t i = 0; i < nc; i++) CHECK(same(mdx[i], dconv[i]), "convpool_backward and maxpool_backward differ at %zu", i);
			}
			// the bias gradient, over the batch
			std::vector<float> db(pc.c, NAN);
			launch(1, [&] { bias_grad(part.data(), db.data(), pc.n, pc.c, 0); });
			for (int ch = 0; ch < pc.c; ch++) {
				double w = 0, mag = 0;
				for (int n = 0; n < pc.n; n++) for (int o = 0; o < ohw; o++) {
					size_t i = ((size_t)n * pc.c + ch) * ohw + o;
					if (relu && !(y[i] > 0)) continue;
					w += dy[i];
					mag += std::fabs(dy[i]);
				}
				CHECK(w != w ? db[ch] != db[ch] : std::fabs(db[ch] - w) <= 6e-8 * std::fabs(w) + 1.2e-16 * pc.n * ohw * mag, "convpool bias gradient case %dx%d relu %d channel %d: %.9g, want %.9g", g.h, g.w, relu, ch, db[ch], w);
			}
		}
	}
	CHECK(maskedAll > 50, "convpool_backward: only %d outputs masked by the ReLU", maskedAll);
}

// test_col2im checks col2im against the adjoint of im2col in double (the
// sum over every (i, j, oh, ow) that reads an element), with strides,
// padding and dilation, and with a mask: 0 where the mask is not above 0
// (zeros, negatives, a NaN), the unmasked bits elsewhere. Outputs start as
// NaN; the 64-bit index path gives the same bits.
void test_col2im() {
	struct { int n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw; } cases[] = {
		{2, 3, 7, 6, 3, 3, 1, 1, 0, 0, 1, 1}, {1, 2, 9, 9, 3, 3, 2, 2, 1, 1, 1, 1}, {2, 1, 8, 7, 3, 2, 1, 2, 1, 0, 2, 1}, {1, 4, 5, 5, 1, 1, 1, 1, 0, 0, 1, 1}};
	for (auto &k : cases) {
		Conv g{k.n, k.c, k.h, k.w, k.kh, k.kw, k.sh, k.sw, k.ph, k.pw, k.dh, k.dw,
		       (k.h + 2 * k.ph - k.dh * (k.kh - 1) - 1) / k.sh + 1, (k.w + 2 * k.pw - k.dw * (k.kw - 1) - 1) / k.sw + 1};
		const size_t nx = (size_t)g.n * g.c * g.h * g.w, p = (size_t)g.oh * g.ow, rows = (size_t)g.c * g.kh * g.kw;
		auto col = rnd(g.n * rows * p), mask = rnd(nx);
		for (size_t i = 0; i < nx; i += 5) mask[i] = 0;
		mask[nx / 2] = NAN;
		std::vector<double> want(nx, 0), mag(nx, 0);
		for (int n = 0; n < g.n; n++) for (int c = 0; c < g.c; c++) for (int i = 0; i < g.kh; i++) for (int j = 0; j < g.kw; j++)
			for (int oh = 0; oh < g.oh; oh++) for (int ow = 0; ow < g.ow; ow++) {
				int h = oh * g.sh - g.ph + i * g.dh, w = ow * g.sw - g.pw + j * g.dw;
				if (h < 0 || h >= g.h || w < 0 || w >= g.w) continue;
				size_t xi = (((size_t)n * g.c + c) * g.h + h) * g.w + w;
				double v = col[((size_t)n * rows + (c * g.kh + i) * g.kw + j) * p + oh * g.ow + ow];
				want[xi] += v;
				mag[xi] += std::fabs(v);
			}
		std::vector<float> x(nx, NAN), xm(nx, NAN), xm2(nx, NAN);
		launch(2, [&] { col2im(col.data(), x.data(), nullptr, g); });
		launch(2, [&] { col2im(col.data(), xm.data(), mask.data(), g); });
		for (long long i = 0; i < (long long)nx; i++) col2im_at<long long>(i, col.data(), xm2.data(), mask.data(), g);
		int zeroed = 0;
		for (size_t i = 0; i < nx; i++) {
			CHECK(std::fabs(x[i] - want[i]) <= 1.2e-7 * g.kh * g.kw * mag[i], "col2im %dx%d k%dx%d element %zu: %.9g, want %.9g", g.h, g.w, g.kh, g.kw, i, x[i], want[i]);
			bool pass = mask[i] > 0;
			zeroed += !pass;
			CHECK(pass ? same(xm[i], x[i]) : same(xm[i], 0.0f), "col2im with mask element %zu (mask %g): %g, want %g", i, mask[i], xm[i], pass ? x[i] : 0.0f);
			CHECK(same(xm2[i], xm[i]), "col2im i64 element %zu", i);
		}
		CHECK(zeroed > (int)nx / 5 && zeroed < (int)nx, "col2im mask zeroed %d of %zu", zeroed, nx);
	}
}

int main(int argc, char **argv)
{
	void (*tests[])() = {test_binary, test_unary_affine_clamp, test_copy_region, test_reduce,
			     test_argmax, test_index, test_grad_beta, test_gru_cell, test_lstm_cell, test_shift,
			     test_convpool, test_convpool_backward, test_col2im};
	if (argc > 1)
		tests[atoi(argv[1])]();
	else
		for (auto t : tests)
			t();
	printf("%s (%d failures)\n", fails ? "FAIL" : "PASS", fails);
	return fails != 0;
}
