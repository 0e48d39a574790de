package freelist

import "testing"

func TestGetPut(t *testing.T) {
	var l List[[4]int]
	a := l.Get()
	if *a != ([4]int{}) {
		t.Fatalf("Get on an empty list = %v, want a zero value", *a)
	}
	a[0] = 7
	l.Put(a)
	if b := l.Get(); b != a {
		t.Errorf("Get after Put returned a new value, want the recycled one")
	}
	if c := l.Get(); c == a {
		t.Errorf("Get on an emptied list returned the value still in use")
	}
	l.Put(a)
	if n := testing.AllocsPerRun(100, func() { l.Put(l.Get()) }); n != 0 {
		t.Errorf("Get and Put of a recycled value: %v allocations, want 0", n)
	}
}
