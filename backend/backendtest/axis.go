package backendtest

import (
	"fmt"
	"math"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// axisShapes are the shapes the axis reductions are checked on, along every
// axis: 1-D to 4-D, odd sizes, dimensions of 1, a last axis longer than a
// few thousand and a leading axis under more than 2048 columns.
var axisShapes = [][]int{
	{37}, {1}, {5000}, {4, 7}, {7, 1}, {1, 9}, {3, 5, 7}, {2, 3, 1, 5}, {2, 3, 4, 5}, {3, 2500}, {2, 1, 3001},
}

// reduced returns shape without axis, or [1] if nothing is left.
func reduced(shape []int, axis int) []int {
	s := append(append([]int{}, shape[:axis]...), shape[axis+1:]...)
	if len(s) == 0 {
		s = []int{1}
	}
	return s
}

// axisPositions calls f(o, j, i, e) for every element e of shape split at
// axis into outer index o, index j along the axis and inner index i; the
// output position of e is o·inner + i.
func axisPositions(shape []int, axis int, f func(out, j, e int)) {
	outer, n, inner := 1, shape[axis], 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	for o := range outer {
		for j := range n {
			for i := range inner {
				f(o*inner+i, j, (o*n+j)*inner+i)
			}
		}
	}
}

// reduceRef returns torch.sum/mean/amax of x over axis in float64 (amax NaN
// where any element is), the sum of the terms' magnitudes per output, and
// the length of the axis.
func reduceRef(op backend.ReduceOp, x []float32, shape []int, axis int) (want, mag []float64, n int) {
	m := backend.Shape(reduced(shape, axis)).Len()
	want, mag = make([]float64, m), make([]float64, m)
	n = shape[axis]
	if op == backend.ReduceMax {
		for i := range want {
			want[i] = math.Inf(-1)
		}
	}
	axisPositions(shape, axis, func(out, _, e int) {
		v := float64(x[e])
		switch {
		case op != backend.ReduceMax:
			want[out] += v
			mag[out] += math.Abs(v)
		case math.IsNaN(v) || math.IsNaN(want[out]):
			want[out] = math.NaN()
		default:
			want[out] = math.Max(want[out], v)
		}
	})
	if op == backend.ReduceMean {
		for i := range want {
			want[i] /= float64(n)
			mag[i] /= float64(n)
		}
	}
	return want, mag, n
}

// checkReduce checks Reduce for every reduction along every axis of every
// shape of axisShapes, with y NaN-poisoned and beta 0 (the old y ignored)
// and with beta −1, ½ and 1 on a random y (the old y added), y given the
// reduced shape and, once, the shape with the axis kept as 1; Max also
// with NaNs among the inputs. Sums and means to γₙ₊₂ of the sum of
// magnitudes (the old y's term included); Max exactly, or to 2u once y is
// added. An axis out of range or a y of the wrong length must panic naming
// the op.
func checkReduce(t *testing.T, b backend.Backend) {
	r := need[backend.Reducer](t, b)
	rng := newRand(50)
	for op := backend.ReduceSum; op <= backend.ReduceMax; op++ {
		for _, shape := range axisShapes {
			for axis := range shape {
				t.Run(fmt.Sprintf("%v/%v/axis%d", op, shape, axis), func(t *testing.T) {
					n := backend.Shape(shape).Len()
					x := uniform(rng, n, -1, 3)
					if op == backend.ReduceMax && n > 3 {
						x[rng.Intn(n)] = float32(math.NaN())
					}
					want, mag, _ := reduceRef(op, x, shape, axis)
					yShape := reduced(shape, axis)
					if axis == len(shape)-1 && len(shape) > 1 {
						yShape = append(append([]int{}, shape[:axis]...), 1) // keepdim
					}
					tx := upload(t, b, x, shape...)
					for _, beta := range []float32{0, -1, 0.5, 1} {
						what := fmt.Sprintf("Reduce %v of %v along axis %d with beta %g", op, shape, axis, beta)
						m := len(want)
						var old []float32
						var ty backend.Tensor
						if beta == 0 {
							ty = poisoned(t, b, yShape...)
						} else {
							old = uniform(rng, m, -2, 2)
							ty = upload(t, b, old, yShape...)
						}
						w, bound := append([]float64(nil), want...), make([]float64, m)
						for i := range w {
							var extra float64
							if old != nil {
								extra = float64(beta) * float64(old[i])
								w[i] += extra
							}
							if op == backend.ReduceMax {
								bound[i] = elemTol * math.Abs(w[i])
								if old == nil {
									bound[i] = 0
								}
							} else {
								bound[i] = gamma(shape[axis]+2) * (mag[i] + math.Abs(extra))
							}
						}
						r.Reduce(op, tx, axis, ty, beta)
						expectWithSpecials(t, what, download(b, ty), w, bound)
					}
					expectBits(t, "Reduce's input afterwards", download(b, tx), x)
				})
			}
		}
	}
	t.Run("misuse", func(t *testing.T) {
		x := b.Alloc(2, 3)
		b.Fill(x, 1)
		expectPanic(t, "Reduce", "axis 2 of a 2-D x", func() { r.Reduce(backend.ReduceSum, x, 2, b.Alloc(2), 0) })
		expectPanic(t, "Reduce", "y of 3 elements for axis 1 of 2×3", func() { r.Reduce(backend.ReduceSum, x, 1, b.Alloc(3), 0) })
	})
}

// argMaxRef returns, per output position, the index along axis of the first
// maximum of x (the first NaN if there is one) and the maximum.
func argMaxRef(x []float32, shape []int, axis int) (idx []int32, val []float32) {
	m := backend.Shape(reduced(shape, axis)).Len()
	idx, val = make([]int32, m), make([]float32, m)
	seen := make([]bool, m)
	axisPositions(shape, axis, func(out, j, e int) {
		v, best := x[e], val[out]
		if !seen[out] || (best == best && (v != v || v > best)) {
			idx[out], val[out], seen[out] = int32(j), v, true
		}
	})
	return idx, val
}

// int32Tensors is the part of backend.Indexer that makes int32 tensors,
// all that ArgMax's check needs of it.
type int32Tensors interface {
	AllocInt32(shape ...int) backend.Tensor
	UploadInt32(dst backend.Tensor, src []int32)
	DownloadInt32(dst []int32, src backend.Tensor)
}

// checkArgMax checks ArgMax along every axis of every shape of axisShapes,
// exactly: with values and with values nil, on inputs drawn from four
// values (so that most maxima tie and the first must win) and with NaNs
// (which win, the first of them), into index tensors poisoned with −1 and
// NaN-poisoned values.
func checkArgMax(t *testing.T, b backend.Backend) {
	r := need[backend.Reducer](t, b)
	ix := need[int32Tensors](t, b)
	rng := newRand(51)
	for _, shape := range axisShapes {
		for axis := range shape {
			for _, withNaN := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v/axis%d/nan=%v", shape, axis, withNaN), func(t *testing.T) {
					n := backend.Shape(shape).Len()
					x := make([]float32, n)
					for i := range x {
						x[i] = float32(rng.Intn(4)) - 1.5
					}
					if withNaN {
						for range 1 + n/50 {
							x[rng.Intn(n)] = float32(math.NaN())
						}
					}
					wantIdx, wantVal := argMaxRef(x, shape, axis)
					yShape := reduced(shape, axis)
					m := len(wantIdx)
					poison := make([]int32, m)
					for i := range poison {
						poison[i] = -1
					}
					tx := upload(t, b, x, shape...)
					for _, withValues := range []bool{true, false} {
						what := fmt.Sprintf("ArgMax of %v along axis %d (values %v)", shape, axis, withValues)
						ti := ix.AllocInt32(yShape...)
						ix.UploadInt32(ti, poison)
						var tv backend.Tensor
						if withValues {
							tv = poisoned(t, b, yShape...)
						}
						r.ArgMax(tx, axis, tv, ti)
						got := make([]int32, m)
						ix.DownloadInt32(got, ti)
						for i := range got {
							if got[i] != wantIdx[i] {
								t.Errorf("%s: position %d: index %d, want %d", what, i, got[i], wantIdx[i])
								break
							}
						}
						if withValues {
							gv := download(b, tv)
							for i := range gv {
								if !(gv[i] == wantVal[i] || (gv[i] != gv[i] && wantVal[i] != wantVal[i])) {
									t.Errorf("%s: position %d: value %v, want %v", what, i, gv[i], wantVal[i])
									break
								}
							}
						}
						b.Free(ti)
					}
				})
			}
		}
	}
}

// checkBiasGradAdd checks BiasGradAdd on every shape of biasShapes with beta
// 0 on a NaN-poisoned db and with beta −1, ½ and 1 on a random db: the sum
// bound of BiasGrad with the old db's term added to the magnitudes. It
// also checks that BiasGrad still overwrites db.
func checkBiasGradAdd(t *testing.T, b backend.Backend) {
	r := need[backend.Reducer](t, b)
	rng := newRand(52)
	for _, shape := range biasShapes {
		s := backend.Shape(shape)
		c, inner := s[1], s.Len()/(s[0]*s[1])
		dy := uniform(rng, s.Len(), -2, 2)
		tdy := upload(t, b, dy, shape...)
		sum, mag := make([]float64, c), make([]float64, c)
		for i, v := range dy {
			sum[i/inner%c] += float64(v)
			mag[i/inner%c] += math.Abs(float64(v))
		}
		for _, beta := range []float32{0, -1, 0.5, 1} {
			var tdb backend.Tensor
			old := make([]float32, c)
			if beta == 0 {
				tdb = poisoned(t, b, c)
			} else {
				old = uniform(rng, c, -2, 2)
				tdb = upload(t, b, old, c)
			}
			want, m := make([]float64, c), make([]float64, c)
			for i := range want {
				want[i] = sum[i] + float64(beta)*float64(old[i])
				m[i] = mag[i] + math.Abs(float64(beta)*float64(old[i]))
			}
			r.BiasGradAdd(tdy, beta, tdb)
			expectClose(t, fmt.Sprintf("BiasGradAdd of %v with beta %g", s, beta), download(b, tdb), want, sumBounds(m, s[0]*inner))
		}
	}
}

// checkActivateBackwardAdd checks ActivateBackwardAdd for every activation
// with beta 0 on a NaN-poisoned dx and with beta −1, ½ and 1 on a random
// dx, against the reference derivative and by central differences of the
// reference activation (the old dx's term added to both), with the
// tolerance of ActivateBackward plus 2u of the old term. dx and dy are
// separate (dx may alias dy only for beta 0), and dx = dy is checked with
// beta 0.
func checkActivateBackwardAdd(t *testing.T, b backend.Backend) {
	r := need[backend.Reducer](t, b)
	rng := newRand(53)
	n := backend.Shape(actShape).Len()
	for _, a := range activations {
		t.Run(a.String(), func(t *testing.T) {
			x := actInputs(rng, a, n)
			dy := uniform(rng, n, -2, 2)
			tx, tdy := upload(t, b, x, actShape...), upload(t, b, dy, actShape...)
			ty := poisoned(t, b, actShape...)
			b.Activate(a, tx, ty)
			for _, beta := range []float32{0, -1, 0.5, 1} {
				what := fmt.Sprintf("ActivateBackwardAdd %v beta %g", a, beta)
				old := make([]float32, n)
				var tdx backend.Tensor
				if beta == 0 {
					tdx = poisoned(t, b, actShape...)
				} else {
					old = uniform(rng, n, -2, 2)
					tdx = upload(t, b, old, actShape...)
				}
				want, bound := make([]float64, n), make([]float64, n)
				for i, v := range x {
					g := float64(dy[i]) * actDerivRef(a, float64(v))
					o := float64(beta) * float64(old[i])
					want[i] = g + o
					bound[i] = transRelTol*math.Abs(g) + transAbsTol*math.Abs(float64(dy[i])) + 2*elemTol*(math.Abs(o)+math.Abs(want[i]))
				}
				r.ActivateBackwardAdd(a, tx, ty, tdy, beta, tdx)
				got := download(b, tdx)
				if expectClose(t, what, got, want, bound) {
					var idx []int
					var fd []float64
					for i, v := range x {
						if a.Kind == backend.ReLU && v == 0 {
							continue // f′(0) = 0 is a convention, not a limit
						}
						f := func(x []float64) float64 { return float64(dy[i]) * actRef(a, x[0]) }
						idx = append(idx, i)
						fd = append(fd, centralDiff(f, []float64{float64(v)}, []int{0})[0]+float64(beta)*float64(old[i]))
					}
					expectGradient(t, what, got, idx, fd, bound)
				}
			}
			tdx := upload(t, b, dy, actShape...)
			r.ActivateBackwardAdd(a, tx, ty, tdx, 0, tdx)
			want := make([]float64, n)
			for i, v := range x {
				want[i] = float64(dy[i]) * actDerivRef(a, float64(v))
			}
			expectClose(t, fmt.Sprintf("ActivateBackwardAdd %v in place (dx = dy, beta 0)", a), download(b, tdx), want,
				relBounds(want, transRelTol, scaled(transAbsTol, absAll(wide(dy)))))
		})
	}
}
