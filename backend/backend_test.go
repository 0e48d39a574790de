package backend_test

import (
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

func TestShape(t *testing.T) {
	for _, c := range []struct {
		s               backend.Shape
		len, rows, cols int
		str             string
	}{
		{backend.Shape{2, 3, 4}, 24, 2, 12, "[2 3 4]"},
		{backend.Shape{7}, 7, 7, 1, "[7]"},
		{backend.Shape{5, 1}, 5, 5, 1, "[5 1]"},
		{backend.Shape{1, 28, 28}, 784, 1, 784, "[1 28 28]"},
		{backend.Shape{}, 1, 1, 1, "[]"},
	} {
		if got := c.s.Len(); got != c.len {
			t.Errorf("%v.Len() = %d, want %d", c.s, got, c.len)
		}
		if got := c.s.Rows(); got != c.rows {
			t.Errorf("%v.Rows() = %d, want %d", c.s, got, c.rows)
		}
		if got := c.s.Cols(); got != c.cols {
			t.Errorf("%v.Cols() = %d, want %d", c.s, got, c.cols)
		}
		if got := c.s.String(); got != c.str {
			t.Errorf("String() = %q, want %q", got, c.str)
		}
	}
}

func TestShapeEqual(t *testing.T) {
	for _, c := range []struct {
		s, u backend.Shape
		want bool
	}{
		{backend.Shape{2, 3}, backend.Shape{2, 3}, true},
		{backend.Shape{2, 3}, backend.Shape{3, 2}, false},
		{backend.Shape{6}, backend.Shape{2, 3}, false},
		{backend.Shape{2, 3}, backend.Shape{2, 3, 1}, false},
		{backend.Shape{}, nil, true},
	} {
		if got := c.s.Equal(c.u); got != c.want {
			t.Errorf("%v.Equal(%v) = %v, want %v", c.s, c.u, got, c.want)
		}
		if got := c.u.Equal(c.s); got != c.want {
			t.Errorf("%v.Equal(%v) = %v, want %v", c.u, c.s, got, c.want)
		}
	}
}

func TestConvGeomOut(t *testing.T) {
	// Expected sizes from PyTorch's Conv2d formula
	// ⌊(H + 2·pad − dil·(k−1) − 1)/stride⌋ + 1, worked by hand.
	for _, c := range []struct {
		g          backend.ConvGeom
		outH, outW int
	}{
		{geom(28, 28, 3, 3, 1, 1, 0, 0, 1, 1), 26, 26},     // MNIST's first convolution
		{geom(28, 28, 3, 3, 1, 1, 1, 1, 1, 1), 28, 28},     // "same" padding
		{geom(7, 7, 3, 3, 2, 2, 1, 1, 1, 1), 4, 4},         // ⌊6/2⌋+1
		{geom(8, 8, 3, 3, 2, 2, 1, 1, 1, 1), 4, 4},         // ⌊7/2⌋+1
		{geom(5, 5, 3, 3, 1, 1, 0, 0, 2, 2), 1, 1},         // dilated kernel spans 5
		{geom(10, 9, 3, 2, 3, 2, 1, 0, 2, 3), 3, 3},        // H: ⌊7/3⌋+1, W: ⌊5/2⌋+1
		{geom(224, 224, 7, 7, 2, 2, 3, 3, 1, 1), 112, 112}, // ResNet stem
		{geom(1, 1, 1, 1, 1, 1, 0, 0, 1, 1), 1, 1},
	} {
		if h, w := c.g.OutH(), c.g.OutW(); h != c.outH || w != c.outW {
			t.Errorf("%+v: OutH, OutW = %d, %d, want %d, %d", c.g, h, w, c.outH, c.outW)
		}
		if err := c.g.Check(); err != nil {
			t.Errorf("%+v: Check: %v", c.g, err)
		}
	}
}

// geom returns a ConvGeom with N = C = 1 and the given spatial fields.
func geom(h, w, kh, kw, sh, sw, ph, pw, dh, dw int) backend.ConvGeom {
	return backend.ConvGeom{N: 1, C: 1, H: h, W: w, KH: kh, KW: kw,
		StrideH: sh, StrideW: sw, PadH: ph, PadW: pw, DilH: dh, DilW: dw}
}

func TestConvGeomCheck(t *testing.T) {
	valid := geom(6, 6, 3, 3, 1, 1, 1, 1, 1, 1)
	for _, c := range []struct {
		name   string
		change func(*backend.ConvGeom)
		want   string
	}{
		{"N = 0", func(g *backend.ConvGeom) { g.N = 0 }, "invalid"},
		{"C = 0", func(g *backend.ConvGeom) { g.C = 0 }, "invalid"},
		{"H = 0", func(g *backend.ConvGeom) { g.H = 0 }, "invalid"},
		{"KW = 0", func(g *backend.ConvGeom) { g.KW = 0 }, "invalid"},
		{"StrideH = 0", func(g *backend.ConvGeom) { g.StrideH = 0 }, "invalid"},
		{"PadW = −1", func(g *backend.ConvGeom) { g.PadW = -1 }, "invalid"},
		{"DilH = 0", func(g *backend.ConvGeom) { g.DilH = 0 }, "invalid"},
		{"kernel larger than the padded input", func(g *backend.ConvGeom) { g.KH, g.PadH = 9, 1 }, "no output"},
		{"dilated kernel larger than the input", func(g *backend.ConvGeom) { g.DilW, g.PadW = 4, 0 }, "no output"},
	} {
		g := valid
		c.change(&g)
		err := g.Check()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Check() = %v, want an error saying %q", c.name, err, c.want)
		}
	}
	if err := valid.Check(); err != nil {
		t.Errorf("Check() of %+v: %v", valid, err)
	}
}

func TestPoolGeomOut(t *testing.T) {
	// Expected sizes from PyTorch's MaxPool2d formula
	// ⌊(H + 2·pad − k)/stride⌋ + 1, worked by hand.
	for _, c := range []struct {
		g          backend.PoolGeom
		outH, outW int
	}{
		{pgeom(28, 28, 2, 2, 2, 2, 0, 0), 14, 14},
		{pgeom(7, 7, 2, 2, 2, 2, 0, 0), 3, 3}, // the last row and column are dropped
		{pgeom(7, 7, 3, 3, 2, 2, 1, 1), 4, 4},
		{pgeom(5, 5, 3, 3, 1, 1, 1, 1), 5, 5},
		{pgeom(112, 112, 3, 3, 2, 2, 1, 1), 56, 56}, // ResNet's max pool
		{pgeom(6, 9, 2, 3, 1, 2, 1, 1), 7, 5},
		{pgeom(4, 4, 4, 4, 1, 1, 0, 0), 1, 1},
	} {
		if h, w := c.g.OutH(), c.g.OutW(); h != c.outH || w != c.outW {
			t.Errorf("%+v: OutH, OutW = %d, %d, want %d, %d", c.g, h, w, c.outH, c.outW)
		}
		if err := c.g.Check(); err != nil {
			t.Errorf("%+v: Check: %v", c.g, err)
		}
	}
}

// pgeom returns a PoolGeom with N = C = 1 and the given spatial fields.
func pgeom(h, w, kh, kw, sh, sw, ph, pw int) backend.PoolGeom {
	return backend.PoolGeom{N: 1, C: 1, H: h, W: w, KH: kh, KW: kw, StrideH: sh, StrideW: sw, PadH: ph, PadW: pw}
}

func TestPoolGeomCheck(t *testing.T) {
	valid := pgeom(6, 6, 3, 3, 2, 2, 1, 1)
	for _, c := range []struct {
		name   string
		change func(*backend.PoolGeom)
		want   string
	}{
		{"N = 0", func(g *backend.PoolGeom) { g.N = 0 }, "invalid"},
		{"W = 0", func(g *backend.PoolGeom) { g.W = 0 }, "invalid"},
		{"KH = 0", func(g *backend.PoolGeom) { g.KH = 0 }, "invalid"},
		{"StrideW = 0", func(g *backend.PoolGeom) { g.StrideW = 0 }, "invalid"},
		{"PadH = −1", func(g *backend.PoolGeom) { g.PadH = -1 }, "invalid"},
		{"padding as large as the window", func(g *backend.PoolGeom) { g.PadW = 3 }, "invalid"},
		{"window larger than the padded input", func(g *backend.PoolGeom) { g.KH, g.H = 5, 2 }, "no output"},
	} {
		g := valid
		c.change(&g)
		err := g.Check()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Check() = %v, want an error saying %q", c.name, err, c.want)
		}
	}
	if err := valid.Check(); err != nil {
		t.Errorf("Check() of %+v: %v", valid, err)
	}
}

func TestActKind(t *testing.T) {
	names := []string{"identity", "sigmoid", "tanh", "relu", "leakyrelu", "elu", "softplus"}
	kinds := []backend.ActKind{backend.Identity, backend.Sigmoid, backend.Tanh, backend.ReLU,
		backend.LeakyReLU, backend.ELU, backend.Softplus}
	for i, k := range kinds {
		if got := k.String(); got != names[i] {
			t.Errorf("ActKind(%d).String() = %q, want %q", int(k), got, names[i])
		}
		got, err := backend.ParseActKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseActKind(%q) = %v, %v; want %v", k.String(), got, err, k)
		}
	}
	if got := backend.ActKind(99).String(); got != "ActKind(99)" {
		t.Errorf("ActKind(99).String() = %q", got)
	}
	for _, bad := range []string{"swish", "ReLU", ""} {
		_, err := backend.ParseActKind(bad)
		if err == nil {
			t.Errorf("ParseActKind(%q) returned no error", bad)
			continue
		}
		for _, n := range names {
			if !strings.Contains(err.Error(), n) {
				t.Errorf("ParseActKind(%q) error %q does not list %q", bad, err, n)
			}
		}
	}
}

func TestActivationString(t *testing.T) {
	for _, c := range []struct {
		a    backend.Activation
		want string
	}{
		{backend.Activation{Kind: backend.ReLU}, "relu"},
		{backend.Activation{Kind: backend.Sigmoid, Alpha: 3}, "sigmoid"},
		{backend.Activation{Kind: backend.LeakyReLU, Alpha: 0.1}, "leakyrelu(0.1)"},
		{backend.Activation{Kind: backend.ELU, Alpha: 1.3}, "elu(1.3)"},
	} {
		if got := c.a.String(); got != c.want {
			t.Errorf("%#v.String() = %q, want %q", c.a, got, c.want)
		}
	}
}
