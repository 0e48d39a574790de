// Recurrent cells: the gate arithmetic of one GRU or LSTM step
// (backend.Recurrent), fused into one kernel per op. One thread computes
// one element (row, j) of the state [N, H] from its row's gates at
// columns j, H + j, … of the gate tensors [N, G·H] (PyTorch's order: GRU
// r, z, n; LSTM i, f, g, o), reading all its inputs before it writes: a
// warp reads 32 consecutive columns of each gate block. No scratch, no
// atomics: every output element is written by one thread, in one fixed
// sequence of float32 operations (those of the CPU backend's row pass).
//
// Each kernel takes n = N·H and the hidden size H; the offsets into the
// gate tensors are 64-bit, the division of the element index by H is
// 32-bit when n fits in 31 bits.

#include "myelin.cuh"

// gru_cell_at computes element e of gru_cell.
template <typename I>
__device__ __forceinline__ void gru_cell_at(I e, float *gx, float *gh, const float *bhh, const float *h,
					    float *hnew, I hidden)
{
	I row = e / hidden, j = e - row * hidden;
	i64 H = hidden, g = (i64)row * 3 * H + j;
	float r = sigmoid(gx[g] + gh[g] + bhh[j]);
	float z = sigmoid(gx[g + H] + gh[g + H] + bhh[j + H]);
	float hn = gh[g + 2 * H] + bhh[j + 2 * H];
	float n = tanhf(gx[g + 2 * H] + r * hn);
	float hp = h[e];
	gx[g] = r;
	gx[g + H] = z;
	gx[g + 2 * H] = n;
	gh[g + 2 * H] = hn;
	hnew[e] = (hp - n) * z + n;
}

// gru_cell is backend.Recurrent's GRUCell for gx, gh [N, 3H], bhh [3H],
// h and hnew [N, H], n = N·H:
//
//	r = σ(gx_r + gh_r + bhh_r), z = σ(gx_z + gh_z + bhh_z)
//	hn = gh_n + bhh_n, n = tanh(gx_n + r·hn), h' = (h − n)·z + n
//
// leaving r, z, n in gx's blocks and hn in gh's last block.
extern "C" __global__ void gru_cell(float *gx, float *gh, const float *bhh, const float *h, float *hnew, i64 n,
				    int hidden)
{
	BY_INDEX(e, n, gru_cell_at(e, gx, gh, bhh, h, hnew, (decltype(e))hidden));
}

// gru_cell_backward_at computes element e of gru_cell_backward.
template <typename I>
__device__ __forceinline__ void gru_cell_backward_at(I e, const float *gx, const float *gh, const float *h,
						     const float *dhnew, float *dgx, float *dgh, float *dh, I hidden)
{
	I row = e / hidden, j = e - row * hidden;
	i64 H = hidden, g = (i64)row * 3 * H + j;
	float r = gx[g], z = gx[g + H], n = gx[g + 2 * H], hn = gh[g + 2 * H];
	float d = dhnew[e], hp = h[e];
	float dz = d * z; // ∂L/∂h through z∘h, before it serves as dh
	float dn = (d - dz) * (1 - n * n);
	float dr = dn * hn * r * (1 - r);
	dh[e] = dz;
	dz = (hp - n) * d * z * (1 - z);
	dgx[g] = dr;
	dgx[g + H] = dz;
	dgx[g + 2 * H] = dn;
	dgh[g] = dr;
	dgh[g + H] = dz;
	dgh[g + 2 * H] = dn * r;
}

// gru_cell_backward is backend.Recurrent's GRUCellBackward: from gx and gh
// as gru_cell left them, h and dhnew [N, H], it writes dgx, dgh [N, 3H]
// and dh [N, H]:
//
//	dn = (dh' − dh'·z)·(1 − n²), dr = dn·hn·r·(1 − r)
//	dz = (h − n)·dh'·z·(1 − z), dh = dh'·z
//	dgx = (dr, dz, dn), dgh = (dr, dz, dn·r)
extern "C" __global__ void gru_cell_backward(const float *gx, const float *gh, const float *h, const float *dhnew,
					     float *dgx, float *dgh, float *dh, i64 n, int hidden)
{
	BY_INDEX(e, n, gru_cell_backward_at(e, gx, gh, h, dhnew, dgx, dgh, dh, (decltype(e))hidden));
}

// lstm_cell_at computes element e of lstm_cell.
template <typename I>
__device__ __forceinline__ void lstm_cell_at(I e, float *gates, const float *c, float *cnew, float *hnew, I hidden)
{
	I row = e / hidden, j = e - row * hidden;
	i64 H = hidden, a = (i64)row * 4 * H + j;
	float i = sigmoid(gates[a]), f = sigmoid(gates[a + H]);
	float g = tanhf(gates[a + 2 * H]), o = sigmoid(gates[a + 3 * H]);
	float cn = f * c[e] + i * g;
	gates[a] = i;
	gates[a + H] = f;
	gates[a + 2 * H] = g;
	gates[a + 3 * H] = o;
	cnew[e] = cn;
	hnew[e] = tanhf(cn) * o;
}

// lstm_cell is backend.Recurrent's LSTMCell for the pre-activations gates
// [N, 4H] and c, cnew, hnew [N, H], n = N·H:
//
//	i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o)
//	c' = f·c + i·g, h' = tanh(c')·o
//
// leaving i, f, g, o in gates.
extern "C" __global__ void lstm_cell(float *gates, const float *c, float *cnew, float *hnew, i64 n, int hidden)
{
	BY_INDEX(e, n, lstm_cell_at(e, gates, c, cnew, hnew, (decltype(e))hidden));
}

// lstm_cell_backward_at computes element e of lstm_cell_backward.
template <typename I>
__device__ __forceinline__ void lstm_cell_backward_at(I e, const float *gates, const float *c, const float *cnew,
						      const float *dhnew, float *dc, float *dgates, I hidden)
{
	I row = e / hidden, j = e - row * hidden;
	i64 H = hidden, a = (i64)row * 4 * H + j;
	float i = gates[a], f = gates[a + H], g = gates[a + 2 * H], o = gates[a + 3 * H];
	float d = dhnew[e], t = tanhf(cnew[e]);
	float dct = d * o * (1 - t * t) + dc[e];
	dgates[a] = dct * g * i * (1 - i);
	dgates[a + H] = dct * c[e] * f * (1 - f);
	dgates[a + 2 * H] = dct * i * (1 - g * g);
	dgates[a + 3 * H] = t * d * o * (1 - o);
	dc[e] = dct * f;
}

// lstm_cell_backward is backend.Recurrent's LSTMCellBackward: from gates
// as lstm_cell left them, c, cnew, dhnew and dc [N, H] (∂L/∂c'), it writes
// dgates [N, 4H] and, in place of dc, ∂L/∂c. With t = tanh(c') and
// dĉ = dh'·o·(1 − t²) + dc:
//
//	da_i = dĉ·g·i·(1 − i), da_f = dĉ·c·f·(1 − f)
//	da_g = dĉ·i·(1 − g²),  da_o = t·dh'·o·(1 − o), dc ← dĉ·f
extern "C" __global__ void lstm_cell_backward(const float *gates, const float *c, const float *cnew,
					      const float *dhnew, float *dc, float *dgates, i64 n, int hidden)
{
	BY_INDEX(e, n, lstm_cell_backward_at(e, gates, c, cnew, dhnew, dc, dgates, (decltype(e))hidden));
}
