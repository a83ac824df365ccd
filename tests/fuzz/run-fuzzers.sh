#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Runs every libFuzzer harness of a fuzz build for a bounded time, each from its freshly generated
# seed corpus in a temporary directory (docs/fuzzing.md).
#
#   tests/fuzz/run-fuzzers.sh BUILD_DIR [SECONDS]
#
# SECONDS per harness, default 60; 0 only replays the seed corpus once (no fuzzing). Exit status:
# 0 when every harness ran clean, 1 when any crashed, leaked, timed out or hit an invariant, 77
# (skip) when BUILD_DIR has no fuzzers (not configured with -Dfuzzers=true and clang), 2 for bad
# usage. Crash inputs and each harness's log are kept in $FUZZ_ARTIFACTS (default
# BUILD_DIR/fuzz-artifacts); reproduce one with `BUILD_DIR/tests/fuzz/<harness> <crash file>`.
set -u

usage() {
	echo "usage: $0 BUILD_DIR [SECONDS]" >&2
	exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	usage
fi
build=$1
seconds=${2:-60}
case $seconds in
'' | *[!0-9]*) usage ;;
esac

fuzz_dir=$build/tests/fuzz
src_dir=$(dirname "$0")
# name:seed-kind; kind "none" starts from an empty corpus (the harness builds valid inputs itself).
harnesses="fuzz-dispatch:dispatch fuzz-ring:ring fuzz-cmdbuf:none"
for entry in $harnesses; do
	if [ ! -x "$fuzz_dir/${entry%%:*}" ]; then
		echo "run-fuzzers: no $fuzz_dir/${entry%%:*}" \
			"(configure with CC=clang -Dfuzzers=true)" >&2
		exit 77
	fi
done
if [ ! -x "$fuzz_dir/fuzz-seeds" ]; then
	echo "run-fuzzers: $fuzz_dir/fuzz-seeds missing" >&2
	exit 77
fi

artifacts=${FUZZ_ARTIFACTS:-$build/fuzz-artifacts}
mkdir -p "$artifacts" || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/opendxg-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

# Sanitizer findings are fatal and symbolized; user settings win.
: "${ASAN_OPTIONS:=abort_on_error=0:detect_leaks=1:symbolize=1}"
: "${UBSAN_OPTIONS:=halt_on_error=1:print_stacktrace=1}"
export ASAN_OPTIONS UBSAN_OPTIONS

if [ "$seconds" -eq 0 ]; then
	mode="-runs=0"
else
	mode="-max_total_time=$seconds"
fi

failed=0
for entry in $harnesses; do
	name=${entry%%:*}
	kind=${entry#*:}
	corpus=$work/$name
	log=$artifacts/$name.log
	mkdir -p "$corpus"
	if [ "$kind" != none ] && ! "$fuzz_dir/fuzz-seeds" "$kind" "$corpus" >/dev/null; then
		echo "run-fuzzers: $name: seed generation failed" >&2
		failed=1
		continue
	fi
	dict=
	if [ -f "$src_dir/$name.dict" ]; then
		dict=-dict=$src_dir/$name.dict
	fi
	echo "run-fuzzers: $name: $(find "$corpus" -type f | wc -l) seeds, $mode"
	# -timeout: one input running 10 s is a hang; -rss_limit_mb: a guest must not make the
	# worker grow without bound; the corpus directory gathers new inputs for this run only.
	"$fuzz_dir/$name" "$mode" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 ${dict:+"$dict"} \
		-artifact_prefix="$artifacts/$name-" "$corpus" >"$log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "run-fuzzers: $name FAILED (exit $rc); last lines of $log:" >&2
		tail -n 60 "$log" >&2
		failed=1
	else
		grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|DONE' \
			"$log" | sed "s/^/run-fuzzers: $name: /"
		echo "run-fuzzers: $name: corpus $(find "$corpus" -type f | wc -l) inputs at the end"
	fi
done
exit $failed
