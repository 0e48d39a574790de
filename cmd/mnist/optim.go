package main

import (
	"fmt"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// optimizerNames lists the -optimizer values in the order -help shows them.
var optimizerNames = []string{"sgd", "momentum", "nesterov", "rmsprop", "adam"}

// defaultLR is each optimizer's learning rate when -lr is 0.
var defaultLR = map[string]float64{
	"sgd":      0.1,
	"momentum": 0.01,
	"nesterov": 0.01,
	"rmsprop":  0.001,
	"adam":     0.001,
}

func defaultLRs() string {
	s := ""
	for i, n := range optimizerNames {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %g", n, defaultLR[n])
	}
	return s
}

// newOptimizer returns the optimizer c names with c's hyper-parameters.
func newOptimizer(b backend.Backend, c config) (nn.Optimizer, error) {
	lr := float32(c.lr)
	if lr == 0 {
		lr = float32(defaultLR[c.optimizer])
	}
	switch c.optimizer {
	case "sgd":
		return nn.NewSGD(b, backend.SGD{LR: lr}), nil
	case "momentum":
		return nn.NewSGD(b, backend.SGD{LR: lr, Momentum: float32(c.momentum)}), nil
	case "nesterov":
		return nn.NewSGD(b, backend.SGD{LR: lr, Momentum: float32(c.momentum), Nesterov: true}), nil
	case "rmsprop":
		return nn.NewRMSprop(b, nn.DefaultRMSprop(lr)), nil
	case "adam":
		return nn.NewAdam(b, nn.DefaultAdam(lr)), nil
	}
	return nil, fmt.Errorf("-optimizer %q: want one of %v", c.optimizer, optimizerNames)
}
