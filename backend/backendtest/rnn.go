package backendtest

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// The recurrent cells (backend.Recurrent) are checked through the package
// functions backend.GRUCell & co.: on the backend itself ("native", its
// own implementation when it has one) and, when it is a backend.Viewer,
// once more with Recurrent hidden ("composed"), which runs the fallback
// composed of Viewer and core ops. Values are compared with a float64
// reference at the transcendental tolerance, relative and absolute on the
// unit scale of the inputs: cellTol·(1 + |want|); the backward ops are
// also compared with central differences of the float64 forward.

// cellTol is the tolerance of the cell checks relative to 1 + |want|: a
// handful of transcendental evaluations and roundings per element.
const cellTol = 2e-5

// cellCase is one shape of the cell checks: N rows, hidden size H.
type cellCase struct{ n, h int }

func (c cellCase) String() string { return fmt.Sprintf("N%d H%d", c.n, c.h) }

// cellCases has single elements, sizes that leave vector tails, and one
// large enough to run in parallel.
var cellCases = []cellCase{{1, 1}, {3, 5}, {2, 17}, {7, 33}, {64, 130}}

// composed hides every optional interface of a backend but Viewer, so that
// the recurrent dispatch runs its fallback.
type composed struct {
	backend.Backend
	backend.Viewer
}

// namedBackend is a backend the cell checks run on, with its subtest name.
type namedBackend struct {
	name string
	b    backend.Backend
}

// cellBackends returns the backends to run the cell checks on: b itself,
// and b with Recurrent hidden when b is a Viewer.
func cellBackends(b backend.Backend) []namedBackend {
	bs := []namedBackend{{"native", b}}
	if v, ok := b.(backend.Viewer); ok {
		bs = append(bs, namedBackend{"composed", composed{b, v}})
	}
	return bs
}

func sigmoidRef(x float64) float64 { return actRef(backend.Activation{Kind: backend.Sigmoid}, x) }

// gruRef returns the reference GRU step and its gates r, z, n and
// hn = gh_n + bhh_n, each [N, H].
func gruRef(c cellCase, gx, gh, bhh, h []float64) (hNew, r, z, n, hn []float64) {
	N, H := c.n, c.h
	hNew, r, z, n, hn = make([]float64, N*H), make([]float64, N*H), make([]float64, N*H), make([]float64, N*H), make([]float64, N*H)
	for i := range N {
		for j := range H {
			k, g := i*H+j, i*3*H+j
			r[k] = sigmoidRef(gx[g] + gh[g] + bhh[j])
			z[k] = sigmoidRef(gx[g+H] + gh[g+H] + bhh[j+H])
			hn[k] = gh[g+2*H] + bhh[j+2*H]
			n[k] = math.Tanh(gx[g+2*H] + r[k]*hn[k])
			hNew[k] = (1-z[k])*n[k] + z[k]*h[k]
		}
	}
	return
}

// gruBackwardRef returns the reference gradients of Σ dhNew∘h'.
func gruBackwardRef(c cellCase, gx, gh, bhh, h, dhNew []float64) (dgx, dgh, dh []float64) {
	N, H := c.n, c.h
	_, r, z, n, hn := gruRef(c, gx, gh, bhh, h)
	dgx, dgh, dh = make([]float64, N*3*H), make([]float64, N*3*H), make([]float64, N*H)
	for i := range N {
		for j := range H {
			k, g := i*H+j, i*3*H+j
			dn := dhNew[k] * (1 - z[k]) * (1 - n[k]*n[k])
			dr := dn * hn[k] * r[k] * (1 - r[k])
			dz := dhNew[k] * (h[k] - n[k]) * z[k] * (1 - z[k])
			dgx[g], dgx[g+H], dgx[g+2*H] = dr, dz, dn
			dgh[g], dgh[g+H], dgh[g+2*H] = dr, dz, dn*r[k]
			dh[k] = dhNew[k] * z[k]
		}
	}
	return
}

// lstmRef returns the reference LSTM step and the activated gates
// [N, 4H].
func lstmRef(cc cellCase, a, c []float64) (cNew, hNew, act []float64) {
	N, H := cc.n, cc.h
	cNew, hNew, act = make([]float64, N*H), make([]float64, N*H), make([]float64, N*4*H)
	for i := range N {
		for j := range H {
			k, g := i*H+j, i*4*H+j
			ig, fg, gg, og := sigmoidRef(a[g]), sigmoidRef(a[g+H]), math.Tanh(a[g+2*H]), sigmoidRef(a[g+3*H])
			act[g], act[g+H], act[g+2*H], act[g+3*H] = ig, fg, gg, og
			cNew[k] = fg*c[k] + ig*gg
			hNew[k] = og * math.Tanh(cNew[k])
		}
	}
	return
}

// lstmBackwardRef returns the reference gradients of Σ dhNew∘h' + dc∘c'
// with respect to the pre-activations and c.
func lstmBackwardRef(cc cellCase, a, c, dhNew, dc []float64) (da, dcPrev []float64) {
	N, H := cc.n, cc.h
	cNew, _, act := lstmRef(cc, a, c)
	da, dcPrev = make([]float64, N*4*H), make([]float64, N*H)
	for i := range N {
		for j := range H {
			k, g := i*H+j, i*4*H+j
			ig, fg, gg, og := act[g], act[g+H], act[g+2*H], act[g+3*H]
			t := math.Tanh(cNew[k])
			dct := dc[k] + dhNew[k]*og*(1-t*t)
			da[g] = dct * gg * ig * (1 - ig)
			da[g+H] = dct * c[k] * fg * (1 - fg)
			da[g+2*H] = dct * ig * (1 - gg*gg)
			da[g+3*H] = dhNew[k] * t * og * (1 - og)
			dcPrev[k] = dct * fg
		}
	}
	return
}

// cellBound returns cellTol·(1 + |want[i]|).
func cellBound(want []float64) []float64 {
	return relBounds(want, cellTol, constant(len(want), cellTol))
}

// gruInputs returns random gx, gh [N, 3H], bhh [3H] and h [N, H].
func gruInputs(rng *rand.Rand, c cellCase) (gx, gh, bhh, h []float32) {
	return uniform(rng, c.n*3*c.h, -2, 2), uniform(rng, c.n*3*c.h, -2, 2), uniform(rng, 3*c.h, -0.5, 0.5), uniform(rng, c.n*c.h, -1, 1)
}

// blocks returns the gate blocks [from, to) of the rows of x [N, G·H],
// row after row.
func blocks(x []float64, n, g, h, from, to int) []float64 {
	var out []float64
	for i := range n {
		out = append(out, x[i*g*h+from*h:i*g*h+to*h]...)
	}
	return out
}

func checkGRUCell(t *testing.T, b0 backend.Backend) {
	for _, nb := range cellBackends(b0) {
		b := nb.b
		t.Run(nb.name, func(t *testing.T) {
			rng := newRand(61)
			for _, c := range cellCases {
				t.Run(c.String(), func(t *testing.T) {
					gx, gh, bhh, h := gruInputs(rng, c)
					hNew, r, z, n, hn := gruRef(c, wide(gx), wide(gh), wide(bhh), wide(h))
					tgx, tgh := upload(t, b, gx, c.n, 3*c.h), upload(t, b, gh, c.n, 3*c.h)
					tb, th := upload(t, b, bhh, 3*c.h), upload(t, b, h, c.n, c.h)
					thn := poisoned(t, b, c.n, c.h)
					backend.GRUCell(b, tgx, tgh, tb, th, thn)
					expectClose(t, "h'", download(b, thn), hNew, cellBound(hNew))
					gates := append(append(append([]float64(nil), r...), z...), n...)
					got := wide(download(b, tgx))
					var gotGates []float64
					for k := range 3 {
						gotGates = append(gotGates, blocks(got, c.n, 3, c.h, k, k+1)...)
					}
					expectClose(t, "gx afterwards (r, z, n)", narrow(gotGates), gates, cellBound(gates))
					gotHN := blocks(wide(download(b, tgh)), c.n, 3, c.h, 2, 3)
					expectClose(t, "gh's last block afterwards (hn)", narrow(gotHN), hn, cellBound(hn))
					expectBits(t, "h afterwards", download(b, th), h)
					for _, x := range []backend.Tensor{tgx, tgh, tb, th, thn} {
						b.Free(x)
					}
				})
			}
		})
	}
}

func checkGRUCellBackward(t *testing.T, b0 backend.Backend) {
	for _, nb := range cellBackends(b0) {
		b := nb.b
		t.Run(nb.name, func(t *testing.T) {
			rng := newRand(62)
			for _, c := range cellCases {
				t.Run(c.String(), func(t *testing.T) {
					gx, gh, bhh, h := gruInputs(rng, c)
					dhNew := uniform(rng, c.n*c.h, -1, 1)
					wgx, wgh, wb, wh, wd := wide(gx), wide(gh), wide(bhh), wide(h), wide(dhNew)
					dgx, dgh, dh := gruBackwardRef(c, wgx, wgh, wb, wh, wd)

					tgx, tgh := upload(t, b, gx, c.n, 3*c.h), upload(t, b, gh, c.n, 3*c.h)
					tb, th := upload(t, b, bhh, 3*c.h), upload(t, b, h, c.n, c.h)
					thn, tdhn := poisoned(t, b, c.n, c.h), upload(t, b, dhNew, c.n, c.h)
					tdgx, tdgh, tdh := poisoned(t, b, c.n, 3*c.h), poisoned(t, b, c.n, 3*c.h), poisoned(t, b, c.n, c.h)
					backend.GRUCell(b, tgx, tgh, tb, th, thn)
					backend.GRUCellBackward(b, tgx, tgh, th, tdhn, tdgx, tdgh, tdh)
					gdgx, gdgh, gdh := download(b, tdgx), download(b, tdgh), download(b, tdh)
					expectClose(t, "dgx", gdgx, dgx, cellBound(dgx))
					expectClose(t, "dgh", gdgh, dgh, cellBound(dgh))
					expectClose(t, "dh", gdh, dh, cellBound(dh))
					expectBits(t, "dhNew afterwards", download(b, tdhn), dhNew)

					// loss reads the inputs that centralDiff perturbs in place.
					loss := func([]float64) float64 {
						hn, _, _, _, _ := gruRef(c, wgx, wgh, wb, wh)
						return dot(hn, wd)
					}
					for _, v := range []struct {
						name     string
						x        []float64
						got      []float32
						want     []float64
						elements int
					}{{"dgx", wgx, gdgx, dgx, len(wgx)}, {"dgh", wgh, gdgh, dgh, len(wgh)}, {"dh", wh, gdh, dh, len(wh)}} {
						idx := sample(rng, v.elements, fdSamples())
						fd := centralDiff(loss, v.x, idx)
						expectGradient(t, v.name, v.got, idx, fd, cellBound(v.want))
					}
					for _, x := range []backend.Tensor{tgx, tgh, tb, th, thn, tdhn, tdgx, tdgh, tdh} {
						b.Free(x)
					}
				})
			}
		})
	}
}

func checkLSTMCell(t *testing.T, b0 backend.Backend) {
	for _, nb := range cellBackends(b0) {
		b := nb.b
		t.Run(nb.name, func(t *testing.T) {
			rng := newRand(63)
			for _, cc := range cellCases {
				t.Run(cc.String(), func(t *testing.T) {
					a, c := uniform(rng, cc.n*4*cc.h, -3, 3), uniform(rng, cc.n*cc.h, -2, 2)
					cNew, hNew, act := lstmRef(cc, wide(a), wide(c))
					ta, tc := upload(t, b, a, cc.n, 4*cc.h), upload(t, b, c, cc.n, cc.h)
					tcn, thn := poisoned(t, b, cc.n, cc.h), poisoned(t, b, cc.n, cc.h)
					backend.LSTMCell(b, ta, tc, tcn, thn)
					expectClose(t, "c'", download(b, tcn), cNew, cellBound(cNew))
					expectClose(t, "h'", download(b, thn), hNew, cellBound(hNew))
					expectClose(t, "gates afterwards (i, f, g, o)", download(b, ta), act, cellBound(act))
					expectBits(t, "c afterwards", download(b, tc), c)
					for _, x := range []backend.Tensor{ta, tc, tcn, thn} {
						b.Free(x)
					}
				})
			}
		})
	}
}

func checkLSTMCellBackward(t *testing.T, b0 backend.Backend) {
	for _, nb := range cellBackends(b0) {
		b := nb.b
		t.Run(nb.name, func(t *testing.T) {
			rng := newRand(64)
			for _, cc := range cellCases {
				t.Run(cc.String(), func(t *testing.T) {
					a, c := uniform(rng, cc.n*4*cc.h, -3, 3), uniform(rng, cc.n*cc.h, -2, 2)
					dhNew, dc := uniform(rng, cc.n*cc.h, -1, 1), uniform(rng, cc.n*cc.h, -1, 1)
					wa, wc, wdh, wdc := wide(a), wide(c), wide(dhNew), wide(dc)
					da, dcPrev := lstmBackwardRef(cc, wa, wc, wdh, wdc)

					ta, tc := upload(t, b, a, cc.n, 4*cc.h), upload(t, b, c, cc.n, cc.h)
					tcn, thn := poisoned(t, b, cc.n, cc.h), poisoned(t, b, cc.n, cc.h)
					tdhn, tdc, tda := upload(t, b, dhNew, cc.n, cc.h), upload(t, b, dc, cc.n, cc.h), poisoned(t, b, cc.n, 4*cc.h)
					backend.LSTMCell(b, ta, tc, tcn, thn)
					backend.LSTMCellBackward(b, ta, tc, tcn, tdhn, tdc, tda)
					gda, gdc := download(b, tda), download(b, tdc)
					expectClose(t, "dgates", gda, da, cellBound(da))
					expectClose(t, "dc (∂L/∂c)", gdc, dcPrev, cellBound(dcPrev))
					expectBits(t, "dhNew afterwards", download(b, tdhn), dhNew)

					// loss reads the inputs that centralDiff perturbs in place.
					loss := func([]float64) float64 {
						cNew, hNew, _ := lstmRef(cc, wa, wc)
						return dot(hNew, wdh) + dot(cNew, wdc)
					}
					idx := sample(rng, len(wa), fdSamples())
					expectGradient(t, "dgates", gda, idx, centralDiff(loss, wa, idx), cellBound(da))
					idx = sample(rng, len(wc), fdSamples())
					expectGradient(t, "dc", gdc, idx, centralDiff(loss, wc, idx), cellBound(dcPrev))
					for _, x := range []backend.Tensor{ta, tc, tcn, thn, tdhn, tdc, tda} {
						b.Free(x)
					}
				})
			}
		})
	}
}
