//go:build cuda

package cuda

import (
	"math"

	"github.com/myelin-go/myelin/backend"
)

// args packs kernel parameters the way cuLaunchKernel reads them: each
// parameter starts on an 8-byte word, scalars fill the low bytes of one
// word (little-endian), and a struct of int32 fields spans as many words as
// it needs.
type args struct {
	words [48]uint64
	start [24]int32
	nw    int32 // words used
	na    int32 // parameters packed
}

func (a *args) word(v uint64) *args {
	a.start[a.na] = a.nw
	a.words[a.nw] = v
	a.nw++
	a.na++
	return a
}

// ptr adds tensor t's device address.
func (a *args) ptr(t *tensor) *args { return a.word(t.ptr) }

// addr adds a raw device address.
func (a *args) addr(p uint64) *args { return a.word(p) }

// i64 adds a C long long.
func (a *args) i64(v int) *args { return a.word(uint64(int64(v))) }

// i32 adds a C int.
func (a *args) i32(v int) *args { return a.word(uint64(uint32(int32(v)))) }

// flag adds a C int, 1 for true and 0 for false.
func (a *args) flag(v bool) *args {
	if v {
		return a.i32(1)
	}
	return a.i32(0)
}

// u64 adds a C unsigned long long.
func (a *args) u64(v uint64) *args { return a.word(v) }

// f32 adds a C float.
func (a *args) f32(v float32) *args { return a.word(uint64(math.Float32bits(v))) }

// f64 adds a C double.
func (a *args) f64(v float64) *args { return a.word(math.Float64bits(v)) }

// ints adds a struct of int32 fields, in order.
func (a *args) ints(vs ...int) *args {
	a.start[a.na] = a.nw
	a.na++
	for i := 0; i < len(vs); i += 2 {
		w := uint64(uint32(int32(vs[i])))
		if i+1 < len(vs) {
			w |= uint64(uint32(int32(vs[i+1]))) << 32
		}
		a.words[a.nw] = w
		a.nw++
	}
	return a
}

// longs adds a struct of int64 (C long long) fields, in order.
func (a *args) longs(vs ...int) *args {
	a.start[a.na] = a.nw
	a.na++
	for _, v := range vs {
		a.words[a.nw] = uint64(int64(v))
		a.nw++
	}
	return a
}

// conv adds the kernels' Conv struct for geometry g.
func (a *args) conv(g backend.ConvGeom) *args {
	return a.ints(g.N, g.C, g.H, g.W, g.KH, g.KW, g.StrideH, g.StrideW, g.PadH, g.PadW, g.DilH, g.DilW, g.OutH(), g.OutW())
}

// pool adds the kernels' Pool struct for geometry g.
func (a *args) pool(g backend.PoolGeom) *args {
	return a.ints(g.N*g.C, g.H, g.W, g.KH, g.KW, g.StrideH, g.StrideW, g.PadH, g.PadW, g.OutH(), g.OutW())
}
