package nn

import (
	"fmt"
	"math"
	"math/rand"
)

// Initializer fills a weight of the given shape, with fan-in and fan-out
// computed PyTorch's way (see Fans).
type Initializer interface {
	// Init fills w, the row-major values of a weight of the given shape
	// (len(w) must be the product of shape), drawing from rng.
	Init(w []float32, shape []int, rng *rand.Rand)
}

// The standard initialisers. Each draws independently for every element.
var (
	// XavierUniform (Glorot & Bengio, 2010) draws from U(−a, a) with
	// a = √(6/(fanIn+fanOut)), so that the variance is 2/(fanIn+fanOut).
	XavierUniform Initializer = xavierUniform{}
	// XavierNormal (Glorot & Bengio, 2010) draws from N(0, σ²) with
	// σ = √(2/(fanIn+fanOut)).
	XavierNormal Initializer = xavierNormal{}
	// HeUniform (He et al., 2015, "MSRA") draws from U(−a, a) with
	// a = √(6/fanIn), so that the variance is 2/fanIn.
	HeUniform Initializer = heUniform{}
	// HeNormal (He et al., 2015, "MSRA") draws from N(0, σ²) with
	// σ = √(2/fanIn), not truncated. It is the default for Dense and
	// Conv2D weights.
	HeNormal Initializer = heNormal{}
	// TorchDefault is PyTorch's default for nn.Linear and nn.Conv2d
	// weights, kaiming_uniform_(a=√5): U(−a, a) with a = 1/√fanIn, a
	// variance of 1/(3·fanIn). (PyTorch also draws the biases from
	// U(−a, a); Dense and Conv2D start theirs at zero.)
	TorchDefault Initializer = torchDefault{}
)

// Zeros sets every element to 0. Fine for biases; a weight initialised to
// zeros makes every unit of a layer compute the same thing forever.
var Zeros Initializer = constInit{0}

// Ones sets every element to 1, as normalisation layers start their gains.
var Ones Initializer = constInit{1}

// Constant returns an initialiser that sets every element to v.
func Constant(v float32) Initializer { return constInit{v} }

// Normal returns an initialiser that draws from N(0, std²), whatever the
// shape. It panics unless std ≥ 0.
func Normal(std float64) Initializer {
	if !(std >= 0) {
		panic(fmt.Sprintf("nn: Normal(%g): the standard deviation must be at least 0", std))
	}
	return normalInit{std}
}

// Uniform returns an initialiser that draws from U(−limit, limit), whose
// variance is limit²/3, whatever the shape. It panics unless limit ≥ 0.
func Uniform(limit float64) Initializer {
	if !(limit >= 0) {
		panic(fmt.Sprintf("nn: Uniform(%g): the limit must be at least 0", limit))
	}
	return uniformInit{limit}
}

// Fans returns the fan-in and fan-out of a weight of the given shape as
// PyTorch computes them: for [out, in, k...] (a Dense weight [out, in] or a
// convolution filter bank [F, C, KH, KW]) with receptive field
// r = Π k, fanIn = in·r and fanOut = out·r. A one-dimensional shape [n] has
// fanIn = fanOut = n.
func Fans(shape []int) (fanIn, fanOut int) {
	switch len(shape) {
	case 0:
		panic("nn: Fans of an empty shape")
	case 1:
		return shape[0], shape[0]
	}
	r := shapeLen(shape[2:])
	return shape[1] * r, shape[0] * r
}

// checkInit panics unless w holds exactly the elements of shape.
func checkInit(name string, w []float32, shape []int) {
	if len(w) != shapeLen(shape) {
		panic(fmt.Sprintf("nn: %s.Init: %d values for shape %v", name, len(w), shape))
	}
}

// fillUniform fills w from U(−a, a).
func fillUniform(w []float32, a float64, rng *rand.Rand) {
	for i := range w {
		w[i] = float32(a * (2*rng.Float64() - 1))
	}
}

// fillNormal fills w from N(0, σ²).
func fillNormal(w []float32, sigma float64, rng *rand.Rand) {
	for i := range w {
		w[i] = float32(sigma * rng.NormFloat64())
	}
}

type xavierUniform struct{}

func (xavierUniform) Init(w []float32, shape []int, rng *rand.Rand) {
	checkInit("XavierUniform", w, shape)
	in, out := Fans(shape)
	fillUniform(w, math.Sqrt(6/float64(in+out)), rng)
}

func (xavierUniform) String() string { return "XavierUniform" }

type xavierNormal struct{}

func (xavierNormal) Init(w []float32, shape []int, rng *rand.Rand) {
	checkInit("XavierNormal", w, shape)
	in, out := Fans(shape)
	fillNormal(w, math.Sqrt(2/float64(in+out)), rng)
}

func (xavierNormal) String() string { return "XavierNormal" }

type heUniform struct{}

func (heUniform) Init(w []float32, shape []int, rng *rand.Rand) {
	checkInit("HeUniform", w, shape)
	in, _ := Fans(shape)
	fillUniform(w, math.Sqrt(6/float64(in)), rng)
}

func (heUniform) String() string { return "HeUniform" }

type heNormal struct{}

func (heNormal) Init(w []float32, shape []int, rng *rand.Rand) {
	checkInit("HeNormal", w, shape)
	in, _ := Fans(shape)
	fillNormal(w, math.Sqrt(2/float64(in)), rng)
}

func (heNormal) String() string { return "HeNormal" }

type torchDefault struct{}

func (torchDefault) Init(w []float32, shape []int, rng *rand.Rand) {
	checkInit("TorchDefault", w, shape)
	in, _ := Fans(shape)
	fillUniform(w, 1/math.Sqrt(float64(in)), rng)
}

func (torchDefault) String() string { return "TorchDefault" }

type constInit struct{ v float32 }

func (c constInit) Init(w []float32, shape []int, _ *rand.Rand) {
	checkInit(c.String(), w, shape)
	for i := range w {
		w[i] = c.v
	}
}

func (c constInit) String() string {
	switch c.v {
	case 0:
		return "Zeros"
	case 1:
		return "Ones"
	}
	return fmt.Sprintf("Constant(%g)", c.v)
}

type normalInit struct{ std float64 }

func (n normalInit) Init(w []float32, shape []int, rng *rand.Rand) {
	checkInit("Normal", w, shape)
	fillNormal(w, n.std, rng)
}

func (n normalInit) String() string { return fmt.Sprintf("Normal(%g)", n.std) }

type uniformInit struct{ limit float64 }

func (u uniformInit) Init(w []float32, shape []int, rng *rand.Rand) {
	checkInit("Uniform", w, shape)
	fillUniform(w, u.limit, rng)
}

func (u uniformInit) String() string { return fmt.Sprintf("Uniform(%g)", u.limit) }
