//go:build cuda

package cuda

import "github.com/myelin-go/myelin/backend"

// check is the shared shape checking of package backend, naming this
// backend in its panics.
const check = backend.Check("cuda")
