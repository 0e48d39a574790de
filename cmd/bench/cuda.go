//go:build cuda

package main

// Built with -tags cuda, the command can open the GPU backend
// (-backend cuda, or auto).
import _ "github.com/myelin-go/myelin/backend/cuda"
