package nn_test

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/backend/cpu"
	"github.com/myelin-go/myelin/nn"
)

// A character-level language model: token indices in, the logits of the
// next token at every step out, with PyTorch's parameter names.
func ExampleGRU() {
	b := cpu.New()
	defer b.Close()
	const vocab, steps = 40, 16
	m, err := nn.NewSequential(b, []int{steps}, 1,
		&nn.Embedding{Vocab: vocab, Dim: 8},
		&nn.GRU{Hidden: 32, Sequence: true},
		&nn.TimeDense{Units: vocab})
	if err != nil {
		panic(err)
	}
	for _, p := range m.Params() {
		fmt.Println(p.Name, p.Value.Shape())
	}
	x := backend.AllocInt32(b, 2, steps) // a batch of 2 sequences of token indices
	backend.UploadInt32(b, x, make([]int32, 2*steps))
	fmt.Println("logits", m.Forward(x, false).Shape())
	// Output:
	// 0.weight [40 8]
	// 1.weight_ih_l0 [96 8]
	// 1.weight_hh_l0 [96 32]
	// 1.bias_ih_l0 [96]
	// 1.bias_hh_l0 [96]
	// 2.weight [40 32]
	// 2.bias [40]
	// logits [2 16 40]
}
