package cpu_test

import (
	"testing"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
)

// BenchmarkGRUCell times one fused GRU step, forward and backward, at
// cmd/charlm's sizes (N 64, H 256).
func BenchmarkGRUCell(bm *testing.B) {
	b := cpu.New()
	defer b.Close()
	const n, h = 64, 256
	gx, gh, bhh := b.Alloc(n, 3*h), b.Alloc(n, 3*h), b.Alloc(3*h)
	hp, hn, dhn, dh := b.Alloc(n, h), b.Alloc(n, h), b.Alloc(n, h), b.Alloc(n, h)
	dgx, dgh := b.Alloc(n, 3*h), b.Alloc(n, 3*h)
	bm.Run("forward", func(bm *testing.B) {
		for range bm.N {
			b.Fill(gx, 0.1)
			backend.GRUCell(b, gx, gh, bhh, hp, hn)
		}
	})
	bm.Run("backward", func(bm *testing.B) {
		for range bm.N {
			backend.GRUCellBackward(b, gx, gh, hp, dhn, dgx, dgh, dh)
		}
	})
}

// BenchmarkLSTMCell times one fused LSTM step, forward and backward, at
// cmd/charlm's sizes (N 64, H 256).
func BenchmarkLSTMCell(bm *testing.B) {
	b := cpu.New()
	defer b.Close()
	const n, h = 64, 256
	a, c, cn, hn, dhn, dc, da := b.Alloc(n, 4*h), b.Alloc(n, h), b.Alloc(n, h), b.Alloc(n, h), b.Alloc(n, h), b.Alloc(n, h), b.Alloc(n, 4*h)
	bm.Run("forward", func(bm *testing.B) {
		for range bm.N {
			b.Fill(a, 0.1)
			backend.LSTMCell(b, a, c, cn, hn)
		}
	})
	bm.Run("backward", func(bm *testing.B) {
		for range bm.N {
			backend.LSTMCellBackward(b, a, c, cn, dhn, dc, da)
		}
	})
}
