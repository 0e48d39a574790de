package backendtest

import (
	"testing"

	"github.com/myelin-go/myelin/backend"
)

// need returns b as the optional interface T, or skips t, saying that the
// backend lacks iface (e.g. "backend.Viewer"), when b does not implement
// it: a family of optional ops is checked only on backends that have it.
func need[T any](t *testing.T, b backend.Backend, iface string) T {
	t.Helper()
	x, ok := b.(T)
	if !ok {
		t.Skipf("backend %s lacks %s", b.Name(), iface)
	}
	return x
}
