package main

import (
	"testing"

	"github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/models"
	"github.com/myelin-go/myelin/nn"
)

// TestTrainFlops checks the step's flop count against the multiply-adds
// of a training step worked out by hand from each model's layer shapes:
// for a convolution or dense layer 2 products (forward and weight
// gradient) when it is the first layer with parameters, else 3 (and the
// input gradient); for a recurrent layer of G gate blocks, hidden size H
// over T steps of F features, first in its model, T·G·H·(F + H) forward
// and T·G·H·(F + 2H) for the weight gradients and backpropagation through
// time.
func TestTrainFlops(t *testing.T) {
	b := cpu.New()
	defer b.Close()
	// The recurrent models: GRU or LSTM 128 over 28 steps of 28 pixels,
	// then fc 128→10.
	rnn := func(gates int) int { return 28*gates*128*(28+128) + 28*gates*128*(28+2*128) + 3*10*128 }
	for _, tc := range []struct {
		model string
		macs  int // per sample
	}{
		// conv 3×3 32 on 26×26, conv 3×3 64 on 24×24, fc 9216→128, fc 128→10:
		// 35.8M multiply-adds, the 72 MFLOP per image.
		{"cnn", 2*32*9*26*26 + 3*(64*32*9*24*24+128*9216+10*128)},
		// conv 5×5 24 on 24×24, conv 3×3 32 on 10×10, fc 800→256, fc 256→10.
		{"fast", 2*24*25*24*24 + 3*(32*24*9*10*10+256*800+10*256)},
		{"logreg", 2 * 10 * 784},
		{"gru", rnn(3)},
		{"lstm", rnn(4)},
		// conv 3×3 16 on 28×28 (first); blocks of two 3×3 convolutions:
		// 16→16 twice on 28×28; 16→32 and 32→32 on 14×14 with a 1×1
		// projection 16→32; 32→64 and 64→64 on 7×7 with a projection
		// 32→64; fc 64→10.
		{"resnet", 2*16*9*28*28 + 3*(2*16*16*9*28*28+
			(32*16*9+32*32*9+32*16)*14*14+
			(64*32*9+64*64*9+64*32)*7*7+
			10*64)},
	} {
		layers, _ := models.ByName(tc.model)
		m, err := nn.NewSequential(b, models.InShape, 1, layers...)
		if err != nil {
			t.Fatal(err)
		}
		got, want := trainFlops(m, 3), float64(2*3*tc.macs)
		if got != want {
			t.Errorf("%s: %g flops for a batch of 3, want %g", tc.model, got, want)
		}
		t.Logf("%-6s %.2f MFLOP per image", tc.model, got/3/1e6)
	}
}
