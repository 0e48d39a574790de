package nn_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/myelin-go/myelin/nn"
)

func TestFans(t *testing.T) {
	for _, tc := range []struct {
		shape       []int
		fanIn, fanO int
	}{
		{[]int{128, 9216}, 9216, 128},
		{[]int{64, 32, 3, 3}, 288, 576},
		{[]int{10, 4, 5}, 20, 50},
		{[]int{7}, 7, 7},
	} {
		if in, out := nn.Fans(tc.shape); in != tc.fanIn || out != tc.fanO {
			t.Errorf("Fans(%v) = %d, %d, want %d, %d", tc.shape, in, out, tc.fanIn, tc.fanO)
		}
	}
}

// TestInitializers checks the distribution of each initialiser's values:
// the mean within 5 standard errors of 0, the variance within 3% of the
// formula's (its standard error with 60 000 draws is below 1%), and the
// bounds of the uniform ones.
func TestInitializers(t *testing.T) {
	for _, shape := range [][]int{{200, 300}, {40, 30, 7, 7}} {
		fanIn, fanOut := nn.Fans(shape)
		for _, tc := range []struct {
			init     nn.Initializer
			variance float64
			bound    float64 // 0 for a normal distribution
		}{
			{nn.XavierUniform, 2 / float64(fanIn+fanOut), math.Sqrt(6 / float64(fanIn+fanOut))},
			{nn.XavierNormal, 2 / float64(fanIn+fanOut), 0},
			{nn.HeUniform, 2 / float64(fanIn), math.Sqrt(6 / float64(fanIn))},
			{nn.HeNormal, 2 / float64(fanIn), 0},
			{nn.TorchDefault, 1 / (3 * float64(fanIn)), 1 / math.Sqrt(float64(fanIn))},
			{nn.Normal(0.05), 0.05 * 0.05, 0},
			{nn.Uniform(0.1), 0.1 * 0.1 / 3, 0.1},
		} {
			name := fmt.Sprintf("%v%v", tc.init, shape)
			w := make([]float32, shapeLen(shape))
			tc.init.Init(w, shape, rand.New(rand.NewSource(41)))
			var sum, sq, mx float64
			for _, v := range w {
				sum += float64(v)
				sq += float64(v) * float64(v)
				mx = math.Max(mx, math.Abs(float64(v)))
			}
			n := float64(len(w))
			mean, variance := sum/n, sq/n-(sum/n)*(sum/n)
			if se := math.Sqrt(tc.variance / n); math.Abs(mean) > 5*se {
				t.Errorf("%s: mean %g, want 0 ± %g", name, mean, 5*se)
			}
			if math.Abs(variance/tc.variance-1) > 0.03 {
				t.Errorf("%s: variance %g, want %g", name, variance, tc.variance)
			}
			if tc.bound != 0 && (mx > tc.bound || mx < 0.99*tc.bound) {
				t.Errorf("%s: largest magnitude %g, want just below %g", name, mx, tc.bound)
			}
			again := make([]float32, len(w))
			tc.init.Init(again, shape, rand.New(rand.NewSource(41)))
			for i := range w {
				if w[i] != again[i] {
					t.Fatalf("%s: not reproducible from the same seed at %d", name, i)
				}
			}
		}
	}
	w := []float32{1, 2, 3, 4, 5, 6}
	nn.Zeros.Init(w, []int{2, 3}, nil)
	for i, v := range w {
		if v != 0 {
			t.Fatalf("Zeros: element %d = %v", i, v)
		}
	}
	for _, c := range []struct {
		init fmt.Stringer
		want string
	}{{nn.Zeros.(fmt.Stringer), "Zeros"}, {nn.Normal(0.01).(fmt.Stringer), "Normal(0.01)"}, {nn.Uniform(0.5).(fmt.Stringer), "Uniform(0.5)"}} {
		if got := c.init.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
	mustPanic(t, "Normal(-1)", func() { nn.Normal(-1) })
	mustPanic(t, "Uniform(NaN)", func() { nn.Uniform(math.NaN()) })
	mustPanic(t, "HeNormal.Init: 5 values for shape [2 3]", func() {
		nn.HeNormal.Init(make([]float32, 5), []int{2, 3}, rand.New(rand.NewSource(1)))
	})
}
