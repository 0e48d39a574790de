#!/usr/bin/env bash
# cuda.sh runs the go command with the build tag cuda and cgo pointed at the
# CUDA headers, so that the cuda backend is compiled in.
#
#   scripts/cuda.sh test ./...                      # go test -tags cuda ./...
#   scripts/cuda.sh run ./cmd/mnist -backend cuda   # go run -tags cuda ...
#   scripts/cuda.sh build                           # go build -tags cuda ./...
#   scripts/cuda.sh vet                             # go vet -tags cuda ./...
#
# CUDA_HOME (default /usr/local/cuda; /usr where Debian's nvidia-cuda-dev
# put cuda.h there) must hold include/cuda.h and include/cublas_v2.h, from
# CUDA 11.8 or newer. Nothing is linked: the backend loads libcuda and
# libcublas at run time, so LD_LIBRARY_PATH gets $CUDA_HOME/lib64 added for
# the programs this runs.
set -euo pipefail
usage() {
	echo "usage: scripts/cuda.sh build|test|vet|run [go flags and arguments]" >&2
	exit 2
}
[[ $# -ge 1 ]] || usage
verb=$1
shift
case $verb in build | test | vet | run) ;; *) usage ;; esac

home="${CUDA_HOME:-/usr/local/cuda}"
if [[ ! -f $home/include/cuda.h && -z ${CUDA_HOME:-} && -f /usr/include/cuda.h ]]; then
	home=/usr
fi
for h in cuda.h cublas_v2.h; do
	[[ -f $home/include/$h ]] || {
		echo "cuda.sh: $home/include/$h not found; set CUDA_HOME to a CUDA 11.8+ toolkit (Debian: apt-get install nvidia-cuda-dev)" >&2
		exit 1
	}
done
export CGO_ENABLED=1
export CGO_CFLAGS="${CGO_CFLAGS:-} -I$home/include"
[[ -d $home/lib64 ]] && export LD_LIBRARY_PATH="$home/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export CUDA_HOME="$home"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ $verb != run && $# -eq 0 ]]; then
	set -- ./...
fi
exec go "$verb" -tags cuda "$@"
