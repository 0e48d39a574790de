#!/usr/bin/env bash
# Runs kernels/emu/kernel_test.cpp: the CUDA kernels of the optional op
# groups executed on the CPU through kernels/emu/cuda_shim.h and checked
# against references. Needs g++ with C++20 (std::barrier); skipped with a
# message when there is none. Arguments go to the test (a test number).
set -euo pipefail
cd "$(dirname "$0")/.."
cxx="${CXX:-g++}"
command -v "$cxx" >/dev/null || { echo "ci/kernel-emu: no $cxx; kernel emulation not run"; exit 0; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$cxx" -std=c++20 -O2 -pthread -ffp-contract=off -x c++ kernels/emu/kernel_test.cpp -o "$tmp/kernel_test"
"$tmp/kernel_test" "$@"
