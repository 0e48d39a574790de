package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/myelin-go/myelin/backend"
	"github.com/myelin-go/myelin/nn"
)

// optimizerNames lists the -optimizer values in the order -help shows them.
var optimizerNames = []string{"sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw", "adadelta"}

// defaultLR is each optimizer's learning rate when -lr is 0.
var defaultLR = map[string]float64{
	"sgd":      0.1,
	"momentum": 0.01,
	"nesterov": 0.01,
	"rmsprop":  0.001,
	"adam":     0.001,
	"adamw":    0.001,
	"adadelta": 1, // PyTorch's MNIST example
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

// baseLR returns -lr, or the optimizer's default when it is 0.
func baseLR(c config) float32 {
	if c.lr == 0 {
		return float32(defaultLR[c.optimizer])
	}
	return float32(c.lr)
}

// newOptimizer returns the optimizer c names with c's hyper-parameters.
func newOptimizer(b backend.Backend, c config) (nn.Optimizer, error) {
	lr := baseLR(c)
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
		return nn.NewAdam(b, adamParams(c, lr)), nil
	case "adamw":
		h := adamParams(c, lr)
		h.WeightDecay, h.Decoupled = 0.01, true
		return nn.NewAdam(b, h), nil
	case "adadelta":
		return nn.NewAdadelta(b, nn.DefaultAdadelta(lr)), nil
	}
	return nil, fmt.Errorf("-optimizer %q: want one of %s", c.optimizer, strings.Join(optimizerNames, ", "))
}

// scheduleHelp describes the -schedule values.
const scheduleHelp = "learning-rate schedule: exp (×-lr-decay after every epoch), step:N (×-lr-decay every N epochs), " +
	"cosine (to 0 over -epochs), onecycle (PyTorch's OneCycleLR to the peak -lr, stepped every batch), const"

// parseSchedule returns the schedule that -schedule s names, with factor
// gamma (-lr-decay) and epochs (-epochs) where it needs them; nil for
// "const".
func parseSchedule(s string, gamma float64, epochs int) (nn.Schedule, error) {
	switch {
	case s == "exp":
		return nn.Exponential{Gamma: float32(gamma)}, nil
	case s == "cosine":
		return nn.Cosine{T: max(epochs, 1)}, nil
	case s == "onecycle":
		return nn.OneCycle{}, nil
	case s == "const":
		return nil, nil
	case strings.HasPrefix(s, "step:"):
		n, err := strconv.Atoi(s[len("step:"):])
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-schedule %q: want step:N with N a whole number of epochs ≥ 1", s)
		}
		return nn.StepDecay{Every: n, Gamma: float32(gamma)}, nil
	}
	return nil, fmt.Errorf("-schedule %q: want exp, step:N, cosine, onecycle or const", s)
}
