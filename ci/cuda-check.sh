#!/usr/bin/env bash
# CUDA checks for a machine without a GPU: (a) with CUDA 11.8's nvcc, the
# committed PTX must be what kernels/generate.sh makes from the .cu
# sources; (b) with g++, the kernels of the optional op groups must pass
# their CPU emulation (ci/kernel-emu.sh); (c) with CUDA headers (fetched by ci/cuda-headers.sh when
# missing), the cuda build must vet and its tests must pass (the GPU tests
# skip, the loader and option tests run). Each part is skipped, with a
# message, when its tools cannot be had.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$(dirname "$0")/.."

nvcc="$(command -v nvcc || true)"
if [[ -n $nvcc && $("$nvcc" --version) == *"release 11.8,"* ]]; then
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	kernels/generate.sh "$tmp"
	for f in kernels/*.ptx; do
		diff -u "$f" "$tmp/$(basename "$f")" >/dev/null || {
			echo "ci/cuda-check: $f is stale; run go generate ./kernels and commit it" >&2
			exit 1
		}
	done
	[[ $(ls "$tmp" | wc -l) == $(ls kernels/*.ptx | wc -l) ]] || {
		echo "ci/cuda-check: kernels/*.ptx and kernels/*.cu do not match one to one" >&2
		exit 1
	}
	echo "ci/cuda-check: PTX fresh"
else
	echo "ci/cuda-check: no CUDA 11.8 nvcc; PTX freshness not checked"
fi

ci/kernel-emu.sh

if home="$(ci/cuda-headers.sh)"; then
	CUDA_HOME="$home" scripts/cuda.sh vet ./...
	CUDA_HOME="$home" scripts/cuda.sh test -short ./backend/cuda ./kernels
	echo "ci/cuda-check: cuda build vetted and tested against $home/include"
else
	echo "ci/cuda-check: WARNING: no CUDA headers and none could be fetched; cuda build not checked" >&2
fi
