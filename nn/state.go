package nn

import (
	"fmt"
	"reflect"
	"strconv"
)

// Counter is an integer of a layer's state outside its tensors: a count
// (BatchNorm's num_batches_tracked) or the position or seed of a random
// stream (Dropout's step and seed). Checkpoints save it, GradCheck rewinds
// it before every forward pass, and restoring a snapshot or resuming a run
// sets it back.
type Counter struct {
	// Name is the layer's name for it ("num_batches_tracked", "step");
	// a model's Counters prefix the layer's path, as for Params.
	Name string
	// Get returns the current value and Set replaces it.
	Get func() int64
	Set func(int64)
	// Stream marks a random stream's state: any 64-bit pattern, saved in
	// training checkpoints only, as "rng.<name>", since PyTorch's
	// state_dict has no place for it. Otherwise the counter is a count
	// ≥ 0, saved with the weights under its name like PyTorch's
	// num_batches_tracked (an int64 scalar).
	Stream bool
}

// Counted is implemented by layers that keep integer state (see Counter).
// A model finds every Counted layer at any depth through Container, so a
// layer of one's own needs only this method for its counters to be saved,
// rewound and restored.
type Counted interface {
	// Counters returns the layer's counters. A container returns only its
	// own, not those of the layers inside it.
	Counters() []Counter
}

// Container is implemented by layers made of other layers (Residual,
// Concat, or one's own). A model walks Children to name the parameters,
// buffers and counters of the layers inside, to find Counted layers and
// to refuse a layer value used twice. Params and Buffers (Stateful) of a
// container return those of its children too; the model prefixes each
// child's names with the child's name, so that parameter "weight" of child
// "body.0" of the layer at index 3 of a Sequential is "3.body.0.weight",
// as PyTorch names the state_dict entries of nested modules.
type Container interface {
	Layer
	// Children returns the layers inside, in a fixed order, with their
	// names relative to the container ("body.0"). It returns the same
	// layers before and after Build.
	Children() []Child
}

// Child is a layer inside a Container and its name there.
type Child struct {
	Name  string
	Layer Layer
}

// checkTree returns an error when a layer is nil or appears twice among
// the layers inside the top-level layers (named by their index), naming
// both places.
func checkTree(layers []Layer) error {
	seen := map[Layer]string{}
	var visit func(path string, l Layer) error
	visit = func(path string, l Layer) error {
		if v := reflect.ValueOf(l); l == nil || v.Kind() == reflect.Pointer && v.IsNil() {
			return fmt.Errorf("layer %s is nil", path)
		}
		if reflect.TypeOf(l).Comparable() {
			if first, ok := seen[l]; ok {
				return fmt.Errorf("the same %v is at %s and at %s: a layer value serves one place in a model; make a new one for each place", l, first, path)
			}
			seen[l] = path
		}
		if c, ok := l.(Container); ok {
			for _, ch := range c.Children() {
				if err := visit(path+"."+ch.Name, ch.Layer); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for i, l := range layers {
		if err := visit(strconv.Itoa(i), l); err != nil {
			return err
		}
	}
	return nil
}

// nameTree prefixes path to the names of the parameters and buffers of l
// and of the layers inside it, each with its own path, and returns the
// counters of the Counted layers among them with their names prefixed
// likewise.
func nameTree(path string, l Layer) []Counter {
	var counters []Counter
	inner := map[*Param]bool{}
	if c, ok := l.(Container); ok {
		for _, ch := range c.Children() {
			counters = append(counters, nameTree(path+"."+ch.Name, ch.Layer)...)
			for _, p := range tensorsOf(ch.Layer) {
				inner[p] = true
			}
		}
	}
	for _, p := range tensorsOf(l) {
		if !inner[p] {
			p.Name = path + "." + p.Name
		}
	}
	if c, ok := l.(Counted); ok {
		for _, k := range c.Counters() {
			k.Name = path + "." + k.Name
			counters = append(counters, k)
		}
	}
	return counters
}

// tensorsOf returns l's parameters and buffers.
func tensorsOf(l Layer) []*Param {
	ps := l.Params()
	if s, ok := l.(Stateful); ok {
		ps = append(append([]*Param(nil), ps...), s.Buffers()...)
	}
	return ps
}
