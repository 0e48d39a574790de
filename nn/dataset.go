package nn

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
)

// Dataset is an in-memory set of samples and targets.
//
// Samples are float32 values (X) or int32 token indices (Tokens) for a
// model that starts with an Embedding: sequences of T tokens have XShape
// [T]. Sequences of T steps of F features have XShape [T, F]. Targets
// are per sample, e.g. YShape [K] for a class of a whole sequence, or per
// step, e.g. YShape [T, K] with one one-hot row per step for a model
// that ends in TimeDense and a PerStep loss.
type Dataset struct {
	X      []float32 // Len()·prod(XShape) values, sample after sample (nil with Tokens)
	XShape []int     // one sample's shape, e.g. [1, 28, 28]
	Y      []float32 // Len()·prod(YShape) values; one-hot rows for classification
	YShape []int     // one target's shape, e.g. [10]
	// Tokens, when not nil, holds the samples instead of X:
	// Len()·prod(XShape) token indices, uploaded as int32 tensors.
	Tokens []int32
}

// Len returns the number of samples, len(X)/prod(XShape), or
// len(Tokens)/prod(XShape) with Tokens (0 when XShape is empty or has a
// dimension below 1). Check reports whether the lengths are consistent.
func (d Dataset) Len() int {
	n := sampleLen(d.XShape)
	if n == 0 {
		return 0
	}
	return d.xLen() / n
}

// xLen returns the number of sample values: len(Tokens) with Tokens,
// len(X) otherwise.
func (d Dataset) xLen() int {
	if d.Tokens != nil {
		return len(d.Tokens)
	}
	return len(d.X)
}

// Slice returns samples i to j−1, sharing memory with d. A dataset without
// targets (Y nil) gives slices without targets. It panics if the range is
// outside 0 ≤ i ≤ j ≤ Len(), like slicing.
func (d Dataset) Slice(i, j int) Dataset {
	if i < 0 || i > j || j > d.Len() {
		panic(fmt.Sprintf("nn: Dataset.Slice(%d, %d) out of range for %d samples", i, j, d.Len()))
	}
	xn := sampleLen(d.XShape)
	s := Dataset{XShape: d.XShape, YShape: d.YShape}
	if d.Tokens != nil {
		s.Tokens = d.Tokens[i*xn : j*xn]
	} else {
		s.X = d.X[i*xn : j*xn]
	}
	if d.Y != nil {
		yn := sampleLen(d.YShape)
		s.Y = d.Y[i*yn : j*yn]
	}
	return s
}

// Check returns an error unless d holds at least one sample, every
// dimension of XShape is positive, len(X) (or len(Tokens)) is a whole
// number of samples and, when withY is set, YShape is valid and Y holds
// one target per sample.
func (d Dataset) Check(withY bool) error {
	xn := sampleLen(d.XShape)
	name := "X"
	if d.Tokens != nil {
		name = "Tokens"
	}
	switch {
	case d.Tokens != nil && d.X != nil:
		return errors.New("both X and Tokens are set: a dataset holds float samples or tokens, not both")
	case xn == 0:
		return fmt.Errorf("XShape %v must have at least one dimension, all of them positive", d.XShape)
	case d.xLen()%xn != 0:
		return fmt.Errorf("len(%s) = %d is not a multiple of the sample size %d (XShape %v)", name, d.xLen(), xn, d.XShape)
	case d.xLen() == 0:
		return fmt.Errorf("no samples (%s is empty)", name)
	}
	if !withY {
		return nil
	}
	yn := sampleLen(d.YShape)
	switch {
	case yn == 0:
		return fmt.Errorf("YShape %v must have at least one dimension, all of them positive", d.YShape)
	case len(d.Y) != d.Len()*yn:
		return fmt.Errorf("len(Y) = %d, want %d (%d samples × YShape %v)", len(d.Y), d.Len()*yn, d.Len(), d.YShape)
	}
	return nil
}

// sampleLen returns the product of the dimensions of s, or 0 when s is
// empty or has a dimension below 1.
func sampleLen(s []int) int {
	if CheckShape(s) != nil {
		return 0
	}
	return shapeLen(s)
}

// OneHot returns len(labels) rows of classes values each, with row i all
// zero except for a 1 at column labels[i]. It panics when a label is
// outside [0, classes).
func OneHot(labels []int, classes int) []float32 {
	y := make([]float32, len(labels)*classes)
	for i, l := range labels {
		if l < 0 || l >= classes {
			panic(fmt.Sprintf("nn: OneHot: label %d at index %d is outside [0, %d)", l, i, classes))
		}
		y[i*classes+l] = 1
	}
	return y
}

// DefaultValFraction is the share of a training set that Split sets aside
// for validation by default: one sample in five, a 4:1 split.
const DefaultValFraction = 0.2

// Split divides d into a training and a validation set, with
// round(frac·Len) samples in the latter, chosen by a shuffle drawn from
// rand.New(rand.NewSource(seed)): the same seed gives the same split. Both
// sets keep the order the samples have in d and are copies (d is not
// changed or shared). Split returns an error unless d passes Check (with
// targets when d has them) and both sets get at least one sample.
func (d Dataset) Split(frac float64, seed int64) (train, val Dataset, err error) {
	if err := d.Check(d.Y != nil); err != nil {
		return train, val, fmt.Errorf("nn: Split: %w", err)
	}
	n := d.Len()
	nVal := int(math.Round(frac * float64(n)))
	if !(frac > 0 && frac < 1) || nVal < 1 || nVal >= n {
		return train, val, fmt.Errorf("nn: Split: validation fraction %g of %d samples leaves an empty set; want a fraction in (0, 1) of at least one sample each", frac, n)
	}
	inVal := make([]bool, n)
	for _, i := range rand.New(rand.NewSource(seed)).Perm(n)[:nVal] {
		inVal[i] = true
	}
	train, val = d.subset(inVal, false, n-nVal), d.subset(inVal, true, nVal)
	return train, val, nil
}

// subset returns a copy of the count samples i of d with pick[i] == want,
// in order.
func (d Dataset) subset(pick []bool, want bool, count int) Dataset {
	xn, yn := shapeLen(d.XShape), shapeLen(d.YShape)
	s := Dataset{
		XShape: append([]int(nil), d.XShape...),
		YShape: append([]int(nil), d.YShape...),
	}
	if d.Tokens != nil {
		s.Tokens = make([]int32, 0, count*xn)
	} else {
		s.X = make([]float32, 0, count*xn)
	}
	if d.Y != nil {
		s.Y = make([]float32, 0, count*yn)
	}
	for i, p := range pick {
		if p != want {
			continue
		}
		if d.Tokens != nil {
			s.Tokens = append(s.Tokens, d.Tokens[i*xn:(i+1)*xn]...)
		} else {
			s.X = append(s.X, d.X[i*xn:(i+1)*xn]...)
		}
		if d.Y != nil {
			s.Y = append(s.Y, d.Y[i*yn:(i+1)*yn]...)
		}
	}
	return s
}
