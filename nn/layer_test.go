package nn_test

import (
	"math"
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// forwardTwice runs m on x, fills the output with NaN and runs m again, so
// that an element the second run leaves unwritten shows up as NaN.
func forwardTwice(b backend.Backend, m *nn.Sequential, x backend.Tensor) []float32 {
	b.Fill(m.Forward(x, false), float32(math.NaN()))
	return download(b, m.Forward(x, false))
}

// setRandom uploads random values in [−1, 1) into every parameter of m, so
// that biases are not zero, and returns them.
func setRandom(b backend.Backend, m *nn.Sequential, rng *rand.Rand) [][]float32 {
	var vals [][]float32
	for _, p := range m.Params() {
		v := randSlice(rng, p.Value.Shape().Len(), -1, 1)
		b.Upload(p.Value, v)
		vals = append(vals, v)
	}
	return vals
}

func TestDenseForward(t *testing.T) {
	b := newCPU(t)
	rng := rand.New(rand.NewSource(1))
	const n, units = 3, 5
	in := []int{2, 3, 2} // read flattened: 12 features
	m, err := nn.NewSequential(b, in, 7, &nn.Dense{Units: units})
	if err != nil {
		t.Fatal(err)
	}
	params := setRandom(b, m, rng)
	w, bias := params[0], params[1]
	xs := randSlice(rng, n*12, -1, 1)
	got := forwardTwice(b, m, upload(b, xs, n, 2, 3, 2))
	want := make([]float64, n*units)
	for i := range n {
		for u := range units {
			s := float64(bias[u])
			for k := range 12 {
				s += float64(xs[i*12+k]) * float64(w[u*12+k])
			}
			want[i*units+u] = s
		}
	}
	// 13 float32 products of values below 1: rounding stays near 1e-6.
	assertClose(t, "Dense output", got, want, 1e-5, 1e-5)
}

func TestDenseNoBias(t *testing.T) {
	b := newCPU(t)
	m, err := nn.NewSequential(b, []int{4}, 1, &nn.Dense{Units: 3, NoBias: true})
	if err != nil {
		t.Fatal(err)
	}
	ps := m.Params()
	if len(ps) != 1 || ps[0].Name != "0.weight" || !ps[0].Value.Shape().Equal(backend.Shape{3, 4}) {
		t.Fatalf("params %v, want only 0.weight [3 4]", ps)
	}
	rng := rand.New(rand.NewSource(2))
	w := setRandom(b, m, rng)[0]
	xs := randSlice(rng, 4, -1, 1)
	got := forwardTwice(b, m, upload(b, xs, 1, 4))
	want := make([]float64, 3)
	for u := range 3 {
		for k := range 4 {
			want[u] += float64(xs[k]) * float64(w[u*4+k])
		}
	}
	assertClose(t, "Dense output", got, want, 1e-6, 1e-5)
}

// convRef is a plain float64 convolution (cross-correlation) with zero
// padding and bias, for x [n, c, h, w] and weight [f, c, kh, kw].
func convRef(x, w, bias []float32, n, c, h, wd, f, kh, kw, stride, pad int) ([]float64, int, int) {
	oh := (h+2*pad-kh)/stride + 1
	ow := (wd+2*pad-kw)/stride + 1
	y := make([]float64, n*f*oh*ow)
	for in := range n {
		for fi := range f {
			for i := range oh {
				for j := range ow {
					s := float64(bias[fi])
					for ci := range c {
						for a := range kh {
							for bb := range kw {
								r, q := i*stride-pad+a, j*stride-pad+bb
								if r < 0 || r >= h || q < 0 || q >= wd {
									continue
								}
								s += float64(w[((fi*c+ci)*kh+a)*kw+bb]) * float64(x[((in*c+ci)*h+r)*wd+q])
							}
						}
					}
					y[((in*f+fi)*oh+i)*ow+j] = s
				}
			}
		}
	}
	return y, oh, ow
}

func TestConv2DForward(t *testing.T) {
	cases := []struct {
		n, c, h, w, f, kh, kw, stride, pad int
	}{
		{2, 3, 7, 6, 4, 3, 2, 2, 1},
		{1, 1, 5, 5, 2, 3, 3, 1, 0},
		{3, 2, 4, 5, 3, 1, 1, 1, 2},
		{2, 2, 6, 6, 5, 5, 4, 3, 2},
	}
	for _, tc := range cases {
		b := newCPU(t)
		rng := rand.New(rand.NewSource(int64(tc.h*100 + tc.kh)))
		layer := &nn.Conv2D{Filters: tc.f, KH: tc.kh, KW: tc.kw, Stride: tc.stride, Pad: tc.pad}
		m, err := nn.NewSequential(b, []int{tc.c, tc.h, tc.w}, 3, layer)
		if err != nil {
			t.Fatal(err)
		}
		params := setRandom(b, m, rng)
		xs := randSlice(rng, tc.n*tc.c*tc.h*tc.w, -1, 1)
		want, oh, ow := convRef(xs, params[0], params[1], tc.n, tc.c, tc.h, tc.w, tc.f, tc.kh, tc.kw, tc.stride, tc.pad)
		if out := m.OutShape(); !backend.Shape(out).Equal(backend.Shape{tc.f, oh, ow}) {
			t.Fatalf("%v: OutShape %v, want [%d %d %d]", layer, out, tc.f, oh, ow)
		}
		got := forwardTwice(b, m, upload(b, xs, tc.n, tc.c, tc.h, tc.w))
		// At most 2·5·4 + 1 = 41 float32 terms below 1 in magnitude.
		assertClose(t, layer.String(), got, want, 1e-5, 1e-5)
	}
}

func TestPoolForward(t *testing.T) {
	b := newCPU(t)
	rng := rand.New(rand.NewSource(4))
	const n, c, h, w = 2, 3, 5, 6
	const size, stride, pad = 3, 2, 1
	xs := randSlice(rng, n*c*h*w, -1, 1)
	x := upload(b, xs, n, c, h, w)
	oh, ow := (h+2*pad-size)/stride+1, (w+2*pad-size)/stride+1
	wantMax := make([]float64, n*c*oh*ow)
	wantAvg := make([]float64, n*c*oh*ow)
	for p := range n * c {
		for i := range oh {
			for j := range ow {
				mx, sum := math.Inf(-1), 0.0
				for a := range size {
					for bb := range size {
						r, q := i*stride-pad+a, j*stride-pad+bb
						if r < 0 || r >= h || q < 0 || q >= w {
							continue
						}
						v := float64(xs[(p*h+r)*w+q])
						mx = math.Max(mx, v)
						sum += v
					}
				}
				wantMax[(p*oh+i)*ow+j] = mx
				wantAvg[(p*oh+i)*ow+j] = sum / (size * size) // padding counts as zeros
			}
		}
	}
	for _, tc := range []struct {
		layer nn.Layer
		want  []float64
	}{
		{&nn.MaxPool2D{Size: size, Stride: stride, Pad: pad}, wantMax},
		{&nn.AvgPool2D{Size: size, Stride: stride, Pad: pad}, wantAvg},
	} {
		m, err := nn.NewSequential(b, []int{c, h, w}, 1, tc.layer)
		if err != nil {
			t.Fatal(err)
		}
		if out := m.OutShape(); !backend.Shape(out).Equal(backend.Shape{c, oh, ow}) {
			t.Fatalf("%v: OutShape %v, want [%d %d %d]", tc.layer, out, c, oh, ow)
		}
		assertClose(t, tc.layer.String(), forwardTwice(b, m, x), tc.want, 1e-6, 1e-6)
	}
}

func TestFlattenActivationSoftmaxForward(t *testing.T) {
	b := newCPU(t)
	rng := rand.New(rand.NewSource(5))
	xs := randSlice(rng, 2*3*2*2, -2, 2)
	x := upload(b, xs, 2, 3, 2, 2)
	acts := []struct {
		layer *nn.Activation
		f     func(float64) float64
	}{
		{nn.Identity(), func(v float64) float64 { return v }},
		{nn.ReLU(), func(v float64) float64 { return math.Max(0, v) }},
		{nn.Sigmoid(), func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }},
		{nn.Tanh(), math.Tanh},
		{nn.LeakyReLU(0.1), func(v float64) float64 {
			if v > 0 {
				return v
			}
			return 0.1 * v
		}},
		{nn.ELU(0.5), func(v float64) float64 {
			if v > 0 {
				return v
			}
			return 0.5 * math.Expm1(v)
		}},
		{nn.Softplus(), func(v float64) float64 { return math.Log1p(math.Exp(v)) }},
	}
	for _, a := range acts {
		m, err := nn.NewSequential(b, []int{3, 2, 2}, 1, &nn.Flatten{}, a.layer)
		if err != nil {
			t.Fatal(err)
		}
		if out := m.OutShape(); !backend.Shape(out).Equal(backend.Shape{12}) {
			t.Fatalf("Flatten, %v: OutShape %v, want [12]", a.layer, out)
		}
		want := make([]float64, len(xs))
		for i, v := range xs {
			want[i] = a.f(float64(v))
		}
		assertClose(t, a.layer.String(), forwardTwice(b, m, x), want, 1e-6, 1e-6)
	}

	m, err := nn.NewSequential(b, []int{3, 2, 2}, 1, &nn.Softmax{})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float64, len(xs))
	for r := range 2 {
		row := xs[r*12 : (r+1)*12]
		sum := 0.0
		for _, v := range row {
			sum += math.Exp(float64(v))
		}
		for k, v := range row {
			want[r*12+k] = math.Exp(float64(v)) / sum
		}
	}
	assertClose(t, "Softmax", forwardTwice(b, m, x), want, 1e-7, 1e-5)
}

func TestLayerMisusePanics(t *testing.T) {
	b := newCPU(t)
	d := &nn.Dense{Units: 2}
	mustPanic(t, "Dense(2): Forward before Build", func() { d.Forward(b.Alloc(1, 3), false) })
	m, err := nn.NewSequential(b, []int{3}, 1, d)
	if err != nil {
		t.Fatal(err)
	}
	mustPanic(t, "Dense(2): Backward before Forward", func() { d.Backward(b.Alloc(1, 2)) })
	mustPanic(t, "Sequential.Forward: input shape [2 4], want [N 3]", func() { m.Forward(b.Alloc(2, 4), false) })
	mustPanic(t, "Dense(2): Forward input shape [2 4], want [N 3]", func() { d.Forward(b.Alloc(2, 4), false) })
	m.Forward(b.Alloc(2, 3), true)
	mustPanic(t, "Dense(2): Backward gradient shape [3 2], want the output shape [2 2]", func() { m.Backward(b.Alloc(3, 2)) })
}
