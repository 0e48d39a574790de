package jsonfloat

import (
	"encoding/json"
	"math"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0.1, `0.1`}, {-3, `-3`}, {1e300, `1e+300`}, {0, `0`},
		{math.NaN(), `"NaN"`}, {math.Inf(1), `"+Inf"`}, {math.Inf(-1), `"-Inf"`},
	} {
		b, err := json.Marshal(struct{ X Float }{Float(tc.v)})
		if err != nil {
			t.Fatalf("%v: %v", tc.v, err)
		}
		if got := string(b); got != `{"X":`+tc.want+`}` {
			t.Errorf("%v encodes as %s, want {\"X\":%s}", tc.v, got, tc.want)
		}
		var back struct{ X Float }
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if g := float64(back.X); g != tc.v && !(math.IsNaN(g) && math.IsNaN(tc.v)) {
			t.Errorf("%s decodes as %v, want %v", b, g, tc.v)
		}
	}
}

// TestSameAsFloat64 checks that finite values encode exactly as
// encoding/json encodes a float64, so documents written before a field
// became a Float read the same.
func TestSameAsFloat64(t *testing.T) {
	for _, v := range []float64{0.30000000000000004, 1e-7, 123456789, 1e21, 5e-324} {
		want, _ := json.Marshal(v)
		got, _ := json.Marshal(Float(v))
		if string(got) != string(want) {
			t.Errorf("%v: %s, encoding/json writes %s", v, got, want)
		}
	}
}

func TestRejects(t *testing.T) {
	for _, s := range []string{`"nan"`, `"Inf"`, `"1"`, `true`} {
		var f Float
		if err := json.Unmarshal([]byte(s), &f); err == nil {
			t.Errorf("%s decoded as %v, want an error", s, f)
		}
	}
}

func TestSlice(t *testing.T) {
	b, err := json.Marshal(Slice([]float32{1, float32(math.NaN())}))
	if err != nil || string(b) != `[1,"NaN"]` {
		t.Errorf("got %s, %v; want [1,\"NaN\"]", b, err)
	}
}
