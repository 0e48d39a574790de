#!/usr/bin/env bash
# GPU checks of the cuda backend, for a session that has a GPU machine
# with CUDA but no Go and no network. Three commands:
#
#   ci/gpu-check.sh kit       on the build machine: writes the offline kit
#                             .gpu/ (Go toolchain and vendored modules,
#                             and the CUDA headers the build includes)
#                             with shared/gpu/kit.sh (found as
#                             shared/gpu/kit.sh, ../shared/gpu/kit.sh or
#                             ../../shared/gpu/kit.sh, or at $KIT)
#   ci/gpu-check.sh run       on the GPU machine, from the repository root
#                             with .gpu/ carried along: the whole cuda test
#                             suite (conformance suite, the out-of-memory
#                             test, the op tests), the BatchMatMul, Index,
#                             Recurrent and ConvPool benchmarks, then a summary
#                             table, printed last
#   ci/gpu-check.sh summary L prints the table for the logs in directory L
#
# run writes its logs to $GPU_CHECK_LOGS (default $OUT when set, else
# /tmp/gpu-check) and exits non-zero when a test fails or no GPU is found.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# kitHeaders copies the CUDA headers the cuda build includes (cuda.h,
# cublas_v2.h and the CUDA headers they include; not the C library's)
# into .gpu/cuda/include, for a GPU machine whose CUDA_HOME has no headers
# (a driver without the toolkit).
kitHeaders() {
	local home
	home="$(ci/cuda-headers.sh)" || { echo "gpu-check: no CUDA headers to put in the kit" >&2; return 0; }
	rm -rf .gpu/cuda
	mkdir -p .gpu/cuda/include
	printf '#include <cuda.h>\n#include <cublas_v2.h>\n' |
		${CC:-gcc} -M -I"$home/include" -x c - |
		tr ' \\' '\n\n' | grep -F "$home/include/" | sort -u |
		grep -E '/include/(crt/|cuda|cublas|cuComplex|driver_types|vector_types|library_types|builtin_types|host_defines)' |
		while read -r h; do
			mkdir -p ".gpu/cuda/include/$(dirname "${h#"$home"/include/}")"
			cp "$h" ".gpu/cuda/include/${h#"$home"/include/}"
		done
	echo "gpu-check: $(find .gpu/cuda/include -type f | wc -l) CUDA headers from $home/include in .gpu/cuda/include"
}

kit() {
	local k="${KIT:-}"
	if [[ -z $k ]]; then
		for c in shared/gpu/kit.sh ../shared/gpu/kit.sh ../../shared/gpu/kit.sh; do
			[[ -f $c ]] && { k="$c"; break; }
		done
	fi
	[[ -n $k && -f $k ]] || { echo "gpu-check: kit.sh not found; set KIT to its path" >&2; exit 1; }
	k="$(cd "$(dirname "$k")" && pwd)/$(basename "$k")"
	if [[ -d .git ]]; then
		bash "$k"
		kitHeaders
		return
	fi
	# A git worktree has a .git file, where kit.sh cannot record .gpu/ in
	# .git/info/exclude (.gitignore has it already): build the kit in a
	# copy of the working tree that has a .git directory.
	local tmp
	tmp="$(mktemp -d)"
	git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$tmp"
	mkdir "$tmp/.git"
	[[ -d .gpu ]] && cp -r .gpu "$tmp/.gpu" # keeps the packed Go when it is current
	(cd "$tmp" && bash "$k")
	rm -rf .gpu
	mv "$tmp/.gpu" .gpu
	rm -rf "$tmp"
	kitHeaders
	du -sh .gpu
}

# summary prints the table of the test and benchmark logs in directory $1.
summary() {
	local logs="$1"
	echo
	echo "== gpu-check summary ($(cat "$logs/gpu.txt" 2>/dev/null || echo 'GPU unknown'))"
	printf '%-34s %s\n' "check" "result"
	for p in backend/cuda kernels; do
		local r
		r="$(grep -sE "^(ok|FAIL|---)[[:space:]].*myelin/$p([[:space:]]|$)" "$logs/test.log" | tail -1 | awk '{print $1}' || true)"
		printf '%-34s %s\n' "package $p" "${r:-no result}"
	done
	local t
	for t in TestConformance TestTryAllocOutOfMemory TestViews TestInt32Tensors TestCopyRegion TestBinaryBroadcast \
		TestUnaryAffineClamp TestReduceAxes TestArgMax TestGatherScatterAdd TestOneHotCountCorrectLabels \
		TestIndexOutOfRange TestBatchMatMul TestAccumulatingGradients TestSameLossAsCPU TestSteadyStateAllocs; do
		local r
		r="$(grep -sE "^--- (PASS|FAIL|SKIP): $t " "$logs/test.log" | sed -n 1p | awk '{print $2}' | tr -d : || true)"
		printf '%-34s %s\n' "$t" "${r:-not run}"
	done
	local f
	for f in Views CopyRegion Binary Unary Affine Clamp Reduce ArgMax BiasGradAdd ActivateBackwardAdd Gather ScatterAdd \
		OneHot CountCorrectLabels BatchMatMul TryAlloc GRUCell GRUCellBackward LSTMCell LSTMCellBackward ShiftImages \
		ConvPool ConvPoolBackward; do
		local r
		r="$(grep -sE "^[[:space:]]+--- (PASS|FAIL|SKIP): TestConformance/$f " "$logs/test.log" | sed -n 1p | awk '{print $2}' | tr -d : || true)"
		printf '%-34s %s\n' "  conformance $f" "${r:-not run}"
	done
	local failed
	failed="$(grep -scE '^[[:space:]]*--- FAIL' "$logs/test.log" || true)"
	printf '%-34s %s\n' "failed tests and subtests" "$failed"
	grep -sE 'allocated before out of memory' "$logs/test.log" | sed 's/^[[:space:]]*/  /' | sed -n 1p || true
	echo
	echo "BatchMatMul (GFLOP/s; target backend/cublas >= 0.90)"
	printf '%-10s %12s %12s %8s\n' "size" "backend" "cublas" "ratio"
	awk '/^BenchmarkBatchMatMul\// {
		split($1, p, "/"); size = p[2]; kind = p[3]; sub(/-[0-9]+$/, "", kind)
		for (i = 2; i < NF; i++) if ($(i+1) == "GFLOP/s") v = $i
		val[size "," kind] = v; if (!(size in seen)) { seen[size] = 1; order[++n] = size }
	}
	END {
		for (i = 1; i <= n; i++) {
			s = order[i]; b = val[s ",backend"]; c = val[s ",cublas"]
			r = (b != "" && c != "" && c > 0) ? sprintf("%.3f", b / c) : "-"
			printf "%-10s %12s %12s %8s\n", s, b, c, r
		}
	}' "$logs/bench.log" 2>/dev/null || echo "(no benchmark log)"
	echo
	grep -sE '^Benchmark(Index|Recurrent)/' "$logs/bench.log" | awk '{ for (i = 2; i < NF; i++) if ($(i+1) == "GB/s") print $1, $i, "GB/s;", $3, "ns/op" }' || true
	grep -sE '^BenchmarkConvPool/' "$logs/bench.log" | awk '{ for (i = 2; i < NF; i++) if ($(i+1) == "images/s") print $1, $i, "images/s;", $3, "ns/op" }' || true
}

run() {
	local logs="${GPU_CHECK_LOGS:-${OUT:-/tmp/gpu-check}}"
	mkdir -p "$logs"
	if [[ -f .gpu/env.sh ]]; then
		# env.sh is written for an interactive shell (its pipelines may
		# end early): source it without errexit and pipefail.
		set +eo pipefail
		# shellcheck disable=SC1091
		source .gpu/env.sh
		set -eo pipefail
	fi
	command -v go >/dev/null || { echo "gpu-check: no Go; run ci/gpu-check.sh kit and carry .gpu" >&2; exit 1; }
	local home="${CUDA_HOME:-/usr/local/cuda}"
	if [[ ! -f $home/include/cuda.h || ! -f $home/include/cublas_v2.h ]] && [[ -f .gpu/cuda/include/cuda.h ]]; then
		echo "gpu-check: no CUDA headers in $home/include; using the kit's"
		export CUDA_HOME="$PWD/.gpu/cuda"
	fi
	{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "nvidia-smi failed"; } | sed -n 1p >"$logs/gpu.txt"
	echo "gpu-check: $(cat "$logs/gpu.txt")"
	local rc=0
	scripts/cuda.sh test -count=1 -v -timeout 420s ./backend/cuda/... ./kernels >"$logs/test.log" 2>&1 || rc=$?
	grep -E '^[[:space:]]*--- FAIL|^(ok|FAIL)[[:space:]]|^panic' "$logs/test.log" | sed -n 1,60p || true
	if grep -q 'no usable GPU, skipping' "$logs/test.log"; then
		echo "gpu-check: the GPU tests skipped: $(grep -m1 'no usable GPU' "$logs/test.log")" >&2
		rc=1
	fi
	scripts/cuda.sh test -count=1 -run '^$' -bench '^Benchmark(BatchMatMul|Index|Recurrent|ConvPool)$' -benchtime 1s ./backend/cuda >"$logs/bench.log" 2>&1 || rc=$?
	summary "$logs"
	return "$rc"
}

case "${1:-}" in
kit) kit ;;
run) run ;;
summary) summary "${2:?usage: ci/gpu-check.sh summary LOGDIR}" ;;
*)
	echo "usage: ci/gpu-check.sh kit|run|summary LOGDIR" >&2
	exit 2
	;;
esac
