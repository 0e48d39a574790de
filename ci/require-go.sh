#!/usr/bin/env bash
# Fails, naming the minimum version, unless the Go toolchain on PATH (or in
# /usr/local/go/bin) is at least go.mod's go version. It installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/env.sh
# The minimum is go.mod's go line; there is no other copy of it.
gomin=$(awk '$1 == "go" { print $2; exit }' go.mod)
if [[ -z $gomin ]]; then
  echo "ci/require-go: go.mod has no go line" >&2
  exit 1
fi
if ! command -v go >/dev/null; then
  echo "ci/require-go: no Go toolchain on PATH or in /usr/local/go/bin: install Go $gomin or newer and run again" >&2
  exit 1
fi
# GOTOOLCHAIN=local: the version of the Go installed here, not of a newer
# one that the go command would fetch for a newer go.mod.
gohave=$(GOTOOLCHAIN=local go env GOVERSION)
gohave=${gohave#go}
if [[ $(printf '%s\n%s\n' "$gomin" "$gohave" | sort -V | head -n1) != "$gomin" ]]; then
  echo "ci/require-go: $(command -v go) is Go $gohave; go.mod needs Go $gomin or newer: install it and run again" >&2
  exit 1
fi
