package backendtest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// expectPanic fails t unless f panics with a message that names op
// (compared case-insensitively).
func expectPanic(t *testing.T, op, misuse string, f func()) {
	t.Helper()
	msg, panicked := func() (msg string, panicked bool) {
		defer func() {
			if r := recover(); r != nil {
				msg, panicked = fmt.Sprint(r), true
			}
		}()
		f()
		return "", false
	}()
	switch {
	case !panicked:
		t.Errorf("%s with %s did not panic", op, misuse)
	case !strings.Contains(strings.ToLower(msg), strings.ToLower(op)):
		t.Errorf("%s with %s panicked with %q, which does not name the op", op, misuse, msg)
	}
}

// checkMisuse checks that a few representative ops panic, naming the op,
// when given shapes that do not fit.
func checkMisuse(t *testing.T, b backend.Backend) {
	a, c := b.Alloc(2, 3), b.Alloc(2, 5)
	b.Fill(a, 1)
	b.Fill(c, 1)
	expectPanic(t, "MatMul", "A 2×3 and B 4×5", func() {
		b.MatMul(false, false, 1, a, b.Alloc(4, 5), 0, c)
	})
	expectPanic(t, "MatMul", "C of the wrong shape", func() {
		b.MatMul(false, false, 1, a, b.Alloc(3, 5), 0, b.Alloc(5, 2))
	})
	expectPanic(t, "Add", "lengths 6, 5 and 6", func() {
		b.Add(a, b.Alloc(5), b.Alloc(6))
	})
	expectPanic(t, "Copy", "lengths 10 and 6", func() {
		b.Copy(c, a)
	})
	expectPanic(t, "Upload", "5 values for 6 elements", func() {
		b.Upload(a, make([]float32, 5))
	})
	g := conv(1, 2, 5, 5, 3, 3, 1, 1, 0, 0, 1, 1)
	expectPanic(t, "Conv2D", "an input of 3 channels where the geometry has 2", func() {
		b.Conv2D(b.Alloc(1, 3, 5, 5), b.Alloc(4, 2, 3, 3), b.Alloc(1, 4, 3, 3), g)
	})
}
