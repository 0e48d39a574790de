#!/usr/bin/env bash
# generate.sh compiles every *.cu in this directory to PTX with CUDA 11.8's
# nvcc, for the virtual architecture compute_52 (Maxwell and newer), into
# the directory given as the only argument (default: this directory).
#
# 11.8 emits PTX ISA 7.8, which every driver from 520 on can JIT-compile; a
# newer nvcc would emit a newer ISA that older drivers reject with
# CUDA_ERROR_UNSUPPORTED_PTX_VERSION. NVCC overrides the compiler (default:
# nvcc on PATH, else $CUDA_HOME/bin/nvcc).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here}"
nvcc="${NVCC:-$(command -v nvcc || echo "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc")}"
[[ -x $nvcc ]] || { echo "generate.sh: nvcc not found; install CUDA 11.8 (Debian: nvidia-cuda-toolkit) or set NVCC" >&2; exit 1; }
release=$("$nvcc" --version | sed -n 's/.*release \([0-9.]*\),.*/\1/p')
[[ $release == 11.8 ]] || { echo "generate.sh: $nvcc is CUDA $release, want 11.8 (newer PTX fails on older drivers)" >&2; exit 1; }
mkdir -p "$out"
for src in "$here"/*.cu; do
	name="$(basename "$src" .cu)"
	tmp="$(mktemp "$out/.$name.ptx.XXXXXX")"
	"$nvcc" -arch=compute_52 -ptx -O3 -o "$tmp" "$src"
	chmod 644 "$tmp"
	sync "$tmp"
	mv "$tmp" "$out/$name.ptx"
done
