package nn

// MulAdds counts the multiply-adds of the products — matrix products and
// convolutions — that a layer (or a model) does per sample, for the input
// shape it was built for. Elementwise arithmetic is not counted: biases,
// activations, normalisation, pooling, the recurrent cells' gate
// arithmetic, the embedding lookup and its scatter-add, the loss and the
// optimizer. A product of an m×k and a k×n matrix is m·n·k multiply-adds
// and 2·m·n·k floating-point operations; a convolution counts as the
// product it is lowered to (im2col), the padding's zeros included.
//
// A model's training step runs Forward and then Backward, which skips the
// input gradient of its first layer with parameters: Forward + Params
// multiply-adds per sample, 2·(Forward + Params) FLOP.
type MulAdds struct {
	// Forward is the multiply-adds of Forward.
	Forward int64
	// Params is those of BackwardParams: the products the parameters'
	// gradients need (the weight gradients, and in a recurrent layer the
	// products that carry the gradient back through time; in a container,
	// everything its BackwardParams runs).
	Params int64
	// Input is those that only the input gradient ∂L/∂x needs: Backward
	// does Params + Input, BackwardParams skips Input.
	Input int64
}

// add returns the field-wise sum of a and o.
func (a MulAdds) add(o MulAdds) MulAdds {
	return MulAdds{Forward: a.Forward + o.Forward, Params: a.Params + o.Params, Input: a.Input + o.Input}
}

// MulAdder is implemented by the layers that do products (Dense, Conv2D,
// TimeDense, RNN, GRU, LSTM), by the containers (Residual, Concat), which
// sum the layers inside them, and by Sequential. A layer that is not a
// MulAdder counts as doing no products. A layer of one's own that does
// products implements it so that cmd/bench and anyone measuring a
// training step's rate count its work.
type MulAdder interface {
	// MulAdds returns the multiply-adds per sample, for the input shape of
	// the last Build (zero before Build).
	MulAdds() MulAdds
}

// mulAddsOf returns l's MulAdds, zero when l is not a MulAdder.
func mulAddsOf(l Layer) MulAdds {
	if c, ok := l.(MulAdder); ok {
		return c.MulAdds()
	}
	return MulAdds{}
}

// mulAdds returns the chain's multiply-adds as its backward and
// backwardParams run the layers: Params holds every layer's Params and
// Input from the first layer with parameters on, except that layer's
// Input when it is a ParamGrader (backwardParams calls its
// BackwardParams); Input holds what backward adds to that: the skipped
// Input and the layers before the first with parameters.
func (c *chain) mulAdds() MulAdds {
	var s MulAdds
	for i, l := range c.layers {
		a := mulAddsOf(l)
		s.Forward += a.Forward
		_, grader := l.(ParamGrader)
		switch {
		case i < c.first:
			s.Input += a.Params + a.Input
		case i == c.first && grader:
			s.Params += a.Params
			s.Input += a.Input
		default:
			s.Params += a.Params + a.Input
		}
	}
	return s
}

// MulAdds implements MulAdder: the sum over the layers, with Params what
// Backward runs (it stops at the first layer with parameters and skips
// that layer's input gradient where it can) and Input what BackwardInput
// adds. A training step does Forward + Params per sample.
func (m *Sequential) MulAdds() MulAdds { return m.chain.mulAdds() }

// MulAdds implements MulAdder: the sum of Body's and Proj's, each counted
// as a chain: Params is what BackwardParams runs in each path (from its
// first layer with parameters on, that layer's input gradient skipped
// where it is a ParamGrader), Input what Backward adds.
func (r *Residual) MulAdds() MulAdds { return r.body.mulAdds().add(r.proj.mulAdds()) }

// MulAdds implements MulAdder: the sum over the branches, each counted as
// a chain, as for Residual.
func (c *Concat) MulAdds() MulAdds {
	var s MulAdds
	for k := range c.chains {
		s = s.add(c.chains[k].mulAdds())
	}
	return s
}

// MulAdds implements MulAdder: with I input features and U units, U·I for
// each of the three products, Forward x·Wᵀ, Params dyᵀ·x and Input dy·W.
func (d *Dense) MulAdds() MulAdds {
	if d.weight == nil {
		return MulAdds{}
	}
	k := int64(d.Units) * int64(shapeLen(d.in))
	return MulAdds{Forward: k, Params: k, Input: k}
}

// MulAdds implements MulAdder: with weight [F, C, KH, KW] and output
// [F, OH, OW], F·C·KH·KW·OH·OW for each of Forward (Conv2D), Params
// (Conv2DBackwardFilter) and Input (Conv2DBackwardData).
func (c *Conv2D) MulAdds() MulAdds {
	if c.weight == nil {
		return MulAdds{}
	}
	g := c.geom
	k := int64(c.Filters) * int64(g.C*c.KH*c.KW) * int64(g.OutH()*g.OutW())
	return MulAdds{Forward: k, Params: k, Input: k}
}

// MulAdds implements MulAdder: with input [T, F] and U units, T·U·F for
// each of the three products, as for Dense on each of the T rows.
func (d *TimeDense) MulAdds() MulAdds {
	if d.weight == nil {
		return MulAdds{}
	}
	k := int64(d.in[0]) * int64(d.Units) * int64(d.in[1])
	return MulAdds{Forward: k, Params: k, Input: k}
}

// mulAdds returns the multiply-adds of a recurrent layer with G gate
// blocks (RNN 1, GRU 3, LSTM 4), hidden size H and input [T, F]:
//
//	Forward = T·G·H·(F + H)   x_t·W_ihᵀ and h_{t−1}·W_hhᵀ at every step
//	Params  = T·G·H·(F + 2H)  ∂L/∂W_ih, ∂L/∂W_hh, and the gradient through
//	                          W_hh at every step (back to ∂L/∂h_0)
//	Input   = T·G·H·F         ∂L/∂x_t through W_ih
func (r *recurrent) mulAdds() MulAdds {
	if r.wih == nil {
		return MulAdds{}
	}
	T, F, H := int64(r.in[0]), int64(r.in[1]), int64(r.hidden)
	gh := int64(r.kind.gates()) * H
	return MulAdds{Forward: T * gh * (F + H), Params: T * gh * (F + 2*H), Input: T * gh * F}
}

// MulAdds implements MulAdder: with G = 1 gate block, hidden size H and
// input [T, F], Forward T·H·(F + H), Params T·H·(F + 2H) (the weight
// gradients and backpropagation through time) and Input T·H·F.
func (l *RNN) MulAdds() MulAdds { return l.rec.mulAdds() }

// MulAdds implements MulAdder: with G = 3 gate blocks, hidden size H and
// input [T, F], Forward 3·T·H·(F + H), Params 3·T·H·(F + 2H) (the weight
// gradients and backpropagation through time) and Input 3·T·H·F.
func (l *GRU) MulAdds() MulAdds { return l.rec.mulAdds() }

// MulAdds implements MulAdder: with G = 4 gate blocks, hidden size H and
// input [T, F], Forward 4·T·H·(F + H), Params 4·T·H·(F + 2H) (the weight
// gradients and backpropagation through time) and Input 4·T·H·F.
func (l *LSTM) MulAdds() MulAdds { return l.rec.mulAdds() }
