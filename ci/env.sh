# Sourced by CI scripts: puts the Go toolchain on PATH.
export PATH="/usr/local/go/bin:$PATH"
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
