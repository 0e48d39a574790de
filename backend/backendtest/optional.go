package backendtest

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// need returns b as the optional op group T (backend.Math, backend.Reducer,
// …), or skips t with a message naming the backend and the group: this is
// how Run reports the optional ops a backend lacks instead of failing.
func need[T any](t *testing.T, b backend.Backend) T {
	t.Helper()
	g, ok := b.(T)
	if !ok {
		t.Skip(needMessage[T](b))
	}
	return g
}

// needMessage is need's skip message: "backend NAME lacks backend.Math".
func needMessage[T any](b backend.Backend) string {
	return fmt.Sprintf("backend %s lacks %v", b.Name(), reflect.TypeFor[T]())
}
