#!/usr/bin/env bash
# Static checks: formatting, vet, and the pure-Go (no cgo) build.
set -euo pipefail
source "$(dirname "$0")/env.sh"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [[ -n $unformatted ]]; then
  echo "ci/check: gofmt would change:" $unformatted >&2
  exit 1
fi
go vet ./...
CGO_ENABLED=0 go build ./...
echo "ci/check: gofmt, vet, CGO_ENABLED=0 build ok"
