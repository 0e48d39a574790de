#!/usr/bin/env bash
# Prints a CUDA_HOME whose include/ holds CUDA 11.8's cuda.h and
# cublas_v2.h, fetching them when the machine has none: the backend loads
# the driver at run time, so compiling and vetting `-tags cuda` needs only
# the headers. They come from Debian's non-free nvidia-cuda-dev package
# (a 740 MiB download), of which only usr/include is unpacked, into
# $CUDA_HEADERS (default /opt/cuda-11.8-headers). Prints nothing and
# exits 1 when they cannot be had (no apt, no network).
set -euo pipefail
for home in "${CUDA_HOME:-}" /usr/local/cuda /usr; do
	if [[ -n $home && -f $home/include/cuda.h && -f $home/include/cublas_v2.h ]]; then
		echo "$home"
		exit 0
	fi
done
dest="${CUDA_HEADERS:-/opt/cuda-11.8-headers}"
if [[ -f $dest/include/cuda.h ]]; then
	echo "$dest"
	exit 0
fi
command -v apt-get >/dev/null || exit 1
src=/etc/apt/sources.list.d/debian.sources
if [[ -f $src ]] && ! grep -q 'non-free' "$src"; then
	sed -i 's/^Components: main$/Components: main contrib non-free/' "$src" >&2
fi
{
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -qq nvidia-cuda-dev)
	mkdir -p "$tmp/x" "$dest"
	dpkg-deb --fsys-tarfile "$tmp"/nvidia-cuda-dev_*.deb | tar -x -C "$tmp/x" ./usr/include
	cp -r "$tmp/x/usr/include" "$dest/"
} >&2 || exit 1
[[ -f $dest/include/cuda.h ]] || exit 1
echo "$dest"
