package backend

import "fmt"

// ActKind names an elementwise activation function.
type ActKind int

// The activations every backend implements.
const (
	Identity  ActKind = iota // f(x) = x
	Sigmoid                  // f(x) = 1/(1+e^−x)
	Tanh                     // f(x) = tanh x
	ReLU                     // f(x) = max(0, x); f′(0) = 0
	LeakyReLU                // f(x) = x for x > 0, α·x otherwise; f′(0) = α
	ELU                      // f(x) = x for x > 0, α·(e^x − 1) otherwise; f′(0) = α
	Softplus                 // f(x) = log(1 + e^x), computed without overflow
)

var actNames = [...]string{"identity", "sigmoid", "tanh", "relu", "leakyrelu", "elu", "softplus"}

// String returns the activation's lower-case name, as ParseActKind reads it.
func (k ActKind) String() string {
	if k >= 0 && int(k) < len(actNames) {
		return actNames[k]
	}
	return fmt.Sprintf("ActKind(%d)", int(k))
}

// ParseActKind returns the activation named s (as String writes it).
func ParseActKind(s string) (ActKind, error) {
	for i, n := range actNames {
		if n == s {
			return ActKind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown activation %q (want one of %v)", s, actNames)
}

// Activation is an activation function with its parameter: Alpha is the
// negative-side slope of LeakyReLU and the saturation value of ELU, and is
// ignored by the others.
type Activation struct {
	Kind  ActKind
	Alpha float32
}

// String returns the activation's name, with α where it has one.
func (a Activation) String() string {
	if a.Kind == LeakyReLU || a.Kind == ELU {
		return fmt.Sprintf("%v(%g)", a.Kind, a.Alpha)
	}
	return a.Kind.String()
}
