#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz.sh [-t SECONDS] [--keep] BINARY...: run libFuzzer harnesses
# (build/fuzz/fuzz_NAME, from tests/fuzz/fuzz_NAME.c) for SECONDS each,
# starting from the committed seed corpus tests/fuzz/corpus/NAME/ (read
# only). New inputs go to build/fuzz/work/NAME/ (emptied first unless
# --keep, which the long run uses so that runs build on each other).
# A crash, a sanitizer report, a leak or a timeout fails the harness; the
# input is saved as build/fuzz/artifacts/NAME-crash-* and the log tail is
# printed. Prints "fuzz: N passed, N failed"; with RESULTS=FILE also writes
# "passed failed executions" to FILE, and per harness a line
# "NAME PASS|FAIL executions corpus_size seconds" to FILE.detail.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
SECS=12
KEEP=0
BINS=()
while [ $# -gt 0 ]; do
	case $1 in
	-t) SECS=$2; shift ;;
	--keep) KEEP=1 ;;
	-*) echo "fuzz: unknown option $1" >&2; exit 2 ;;
	*) BINS+=("$1") ;;
	esac
	shift
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$BUILD/fuzz/artifacts" "$BUILD/fuzz/logs"
[ -n "${RESULTS:-}" ] && : >"$RESULTS.detail"
pass=0 fail=0 total=0
for b in "${BINS[@]}"; do
	name=$(basename "$b")
	short=${name#fuzz_}
	seed=$REPO/tests/fuzz/corpus/$short
	work=$BUILD/fuzz/work/$short
	log=$BUILD/fuzz/logs/$name.log
	[ "$KEEP" = 1 ] || rm -rf "$work"
	rm -f "$BUILD/fuzz/artifacts/$name-"*
	mkdir -p "$work" "$seed"
	t0=$SECONDS
	timeout $((SECS + 120)) "$b" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
		-max_len=4096 -print_final_stats=1 -artifact_prefix="$BUILD/fuzz/artifacts/$name-" \
		"$work" "$seed" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	execs=${execs:-0}
	corpus=$(($(find "$work" -type f | wc -l) + $(find "$seed" -type f | wc -l)))
	total=$((total + execs))
	if [ "$rc" = 0 ]; then
		pass=$((pass + 1))
		st=PASS
		echo "  FUZZ    $name: ${execs} executions in $((SECONDS - t0))s, corpus $corpus, no crash"
	else
		fail=$((fail + 1))
		st=FAIL
		tail -n 40 "$log"
		echo "  FUZZ    $name: FAILED (exit status $rc) after ${execs} executions; log $log"
		ls "$BUILD/fuzz/artifacts/$name-"* 2>/dev/null | sed 's/^/          input: /'
	fi
	[ -n "${RESULTS:-}" ] && echo "$name $st $execs $corpus $((SECONDS - t0))" >>"$RESULTS.detail"
done
[ -n "${RESULTS:-}" ] && echo "$pass $fail $total" >"$RESULTS"
echo "fuzz: $pass passed, $fail failed"
[ "$fail" = 0 ]
