package backend

// SGD holds the hyper-parameters of one stochastic-gradient-descent step,
// in PyTorch's formulation except that the momentum buffer v starts at zero
// (PyTorch starts it at g, which differs only when τ ≠ 0). With λ = WeightDecay, μ = Momentum,
// τ = Dampening and learning rate η:
//
//	g ← g + λ·p
//	v ← μ·v + (1−τ)·g          (only when μ ≠ 0)
//	d ← g + μ·v if Nesterov, else v (or g when μ = 0)
//	p ← p − η·d
//
// Dampening τ = μ gives the exponential-average form v = μv + (1−μ)g;
// τ = 0 gives the classical v = μv + g.
type SGD struct {
	LR, Momentum, Dampening, WeightDecay float32
	Nesterov                             bool
}

// RMSprop holds the hyper-parameters of one RMSprop step. With
// λ = WeightDecay, ρ = Rho, ε = Eps and learning rate η:
//
//	g ← g + λ·p
//	s ← ρ·s + (1−ρ)·g²
//	p ← p − η·g/(√s + ε)
type RMSprop struct {
	LR, Rho, Eps, WeightDecay float32
}

// Adam holds the hyper-parameters of one Adam step. With β₁ = Beta1,
// β₂ = Beta2, ε = Eps, λ = WeightDecay, learning rate η and t = Step (the
// 1-based number of this step):
//
//	g ← g + λ·p                (Adam; AdamW instead decays p ← p − η·λ·p)
//	m ← β₁·m + (1−β₁)·g
//	v ← β₂·v + (1−β₂)·g²
//	p ← p − η·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)
//
// Decoupled selects AdamW's decoupled weight decay.
type Adam struct {
	LR, Beta1, Beta2, Eps, WeightDecay float32
	Step                               int
	Decoupled                          bool
}

// Adadelta holds the hyper-parameters of one Adadelta step (Zeiler 2012, as
// PyTorch computes it). With ρ = Rho, ε = Eps, λ = WeightDecay and learning
// rate η (1 in the paper):
//
//	g ← g + λ·p
//	s ← ρ·s + (1−ρ)·g²
//	d ← √(u + ε)/√(s + ε)·g
//	u ← ρ·u + (1−ρ)·d²
//	p ← p − η·d
type Adadelta struct {
	LR, Rho, Eps, WeightDecay float32
}
