#!/usr/bin/env bash
# Tests: the README's command, then the race detector on the concurrent
# packages in short mode.
set -euo pipefail
source "$(dirname "$0")/env.sh"
go test ./...
CGO_ENABLED=1 go test -race -short ./backend/... ./nn/...
