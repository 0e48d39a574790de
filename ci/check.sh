#!/usr/bin/env bash
# Static checks: no hard-coded package registry, formatting, vet, and the
# pure-Go (no cgo) build.
set -euo pipefail
source "$(dirname "$0")/env.sh"
# Package registries are reached through their clients (go, npm, apt), which
# know their addresses; the repository names none. The patterns are
# escaped so that this file does not name them either.
registries='proxy\.golang\.org|sum\.golang\.org|registry\.npmjs\.org|registry\.yarnpkg\.com|deb\.debian\.org|security\.debian\.org|archive\.ubuntu\.com|pypi\.org|pythonhosted\.org|crates\.io|repo1\.maven\.org|rubygems\.org'
if git grep -nIE "$registries" -- . ':!ci/check.sh'; then
  echo "ci/check: the lines above hard-code a package registry's address; use its client instead" >&2
  exit 1
fi
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [[ -n $unformatted ]]; then
  echo "ci/check: gofmt would change:" $unformatted >&2
  exit 1
fi
go vet ./...
CGO_ENABLED=0 go build ./...
echo "ci/check: gofmt, vet, CGO_ENABLED=0 build ok"
