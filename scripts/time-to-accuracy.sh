#!/usr/bin/env bash
# time-to-accuracy.sh measures cmd/mnist -fast, the one-epoch MNIST speed
# recipe, over several seeds, alternating with PyTorch's run of the same
# recipe (../shared/anchors/torch_fast_mnist.py) when that script is given:
#
#   scripts/time-to-accuracy.sh cpu DATA_DIR [SEEDS] [ANCHOR.py] [PYTHON]
#   scripts/time-to-accuracy.sh cuda DATA_DIR 5 torch_fast_mnist.py python3
#
# DATA_DIR holds the four uncompressed MNIST IDX files (scripts/get-mnist.sh
# DATA_DIR puts them there). For each seed s = 1..SEEDS (default 5) it runs
# mnist -fast -seed s -json and then, with an anchor, one PyTorch run (its
# seed 1, with 2 threads on the cpu); it prints every run and a summary:
# mean and minimum test accuracy and median training seconds of each, and
# the ratio of the medians. With cuda, mnist is built with -tags cuda
# (scripts/cuda.sh). Extra mnist flags can come in MNIST_FLAGS.
set -euo pipefail
[[ $# -ge 2 && $# -le 5 ]] || {
	echo "usage: scripts/time-to-accuracy.sh cpu|cuda DATA_DIR [SEEDS] [ANCHOR.py] [PYTHON]" >&2
	exit 2
}
backend=$1 data=$2 seeds=${3:-5} anchor=${4:-} python=${5:-python3}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$(mktemp -d)/mnist"
if [[ $backend == cuda ]]; then
	"$root/scripts/cuda.sh" build -o "$bin" ./cmd/mnist
else
	(cd "$root" && go build -o "$bin" ./cmd/mnist)
fi
field() { grep -o "\"$1\":[-0-9.e+]*" | head -1 | cut -d: -f2; }
ours_acc=() ours_s=() torch_acc=() torch_s=()
for s in $(seq 1 "$seeds"); do
	# shellcheck disable=SC2086 # MNIST_FLAGS is a list of flags
	out=$("$bin" -fast -backend "$backend" -data "$data" -download=false -seed "$s" -json ${MNIST_FLAGS:-})
	acc=$(field test_acc <<<"$out") secs=$(field train_seconds <<<"$out") wall=$(field wall_seconds <<<"$out")
	echo "myelin seed $s: test_acc $acc train_s $secs wall_s $wall"
	ours_acc+=("$acc") ours_s+=("$secs")
	if [[ -n $anchor ]]; then
		line=$("$python" "$anchor" "$data" "$backend" 2 1 2>/dev/null | grep '^seed 1:')
		echo "torch  $line"
		torch_acc+=("$(awk '{print $4}' <<<"$line")") torch_s+=("$(awk '{print $6}' <<<"$line")")
	fi
done
# median prints the median of its arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# summary prints the mean and the minimum of the accuracies given after
# the name, and the median training time given as the last argument.
summary() {
	local name=$1 med=${!#}
	printf '%s\n' "${@:2:$#-2}" | awk -v name="$name" -v med="$med" '
		{ sum += $1; n++; if (n == 1 || $1 < min) min = $1 }
		END { printf "%s: mean_acc %.4f min_acc %.4f median_train_s %.2f over %d runs\n", name, sum / n, min, med, n }'
}
ours_med=$(median "${ours_s[@]}")
summary myelin "${ours_acc[@]}" "$ours_med"
if [[ -n $anchor ]]; then
	torch_med=$(median "${torch_s[@]}")
	summary torch "${torch_acc[@]}" "$torch_med"
	awk -v a="$ours_med" -v b="$torch_med" 'BEGIN { printf "median training time, myelin/torch: %.2f\n", a / b }'
fi
