#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# explore.sh [--seconds S] [--mutant-seconds M]
# Run the interleaving explorer (tools/ssc-explore.c) on the engine for S
# seconds (default 60): it must find nothing. Then prove that it can fail:
# for each tests/explore/mutants/*.patch, a copy of core/ with that defect
# put back (the contract issue's defects 3 and 4, and the double failure
# the explorer itself found), built with the explorer under build/explore/;
# each must be caught within M seconds (default 30). tests/explore/tsan.c
# runs the engine under real threads and ThreadSanitizer: it must run
# clean, and catch the tsan-*.patch mutants.
# Prints a line per case and "explore: N passed, N failed"; with
# RESULTS=FILE also writes "N M" (passed, failed) there. Exit status 0 if
# nothing failed.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
SECONDS_MAIN=60
SECONDS_MUT=30
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECONDS_MAIN=$2; shift ;;
	--mutant-seconds) SECONDS_MUT=$2; shift ;;
	*) echo "explore: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
CC=${CC:-gcc}
CFLAGS="-O2 -g -Wall -Wextra -Wno-unused-parameter"
pass=0 fail=0
ok() { echo "  EXPLORE $1"; pass=$((pass + 1)); }
ko() { echo "  EXPLORE $1: FAILED"; fail=$((fail + 1)); }

build() {	# build DIR: ssc-explore from DIR/core and the tree's headers
	local d=$1
	$CC $CFLAGS -I"$d/include" -o "$d/ssc-explore" \
		"$d"/core/*.c "$REPO/tools/ssc-explore.c" 2>"$d/build.log"
}

build_tsan() {	# build_tsan DIR: the real-threads harness, ThreadSanitizer
	local d=$1
	$CC -O1 -g -fsanitize=thread -DSSC_ENV_PTHREAD -I"$d/include" \
		-o "$d/tsan" "$d"/core/*.c "$REPO/tests/explore/tsan.c" \
		-lpthread 2>"$d/build.log"
}

# run_tsan DIR: 0 when it ran clean (no report, exit 0)
run_tsan() {
	local out rc
	out=$(TSAN_OPTIONS=halt_on_error=0 timeout 300 "$1/tsan" 2>&1)
	rc=$?
	TSAN_OUT=$out
	[ "$rc" = 0 ] && ! grep -q 'WARNING: ThreadSanitizer' <<<"$out"
}

W=$BUILD/explore
rm -rf "$W"
mkdir -p "$W/engine"
cp -r "$REPO/core" "$REPO/include" "$W/engine/"
if ! build "$W/engine"; then
	cat "$W/engine/build.log"
	ko "build"
else
	out=$("$W/engine/ssc-explore" --seconds "$SECONDS_MAIN" 2>&1)
	rc=$?
	echo "$out" | head -60
	if [ "$rc" = 0 ]; then ok "engine: ${out##*ssc-explore: }"; else ko "engine"; fi
fi

# The engine's own locking, under real threads and ThreadSanitizer.
if ! build_tsan "$W/engine"; then
	cat "$W/engine/build.log"
	ko "threads (ThreadSanitizer): build"
elif run_tsan "$W/engine"; then
	ok "threads (ThreadSanitizer): $(grep -c 'requests done' <<<"$TSAN_OUT") configurations clean"
else
	echo "$TSAN_OUT" | head -80
	ko "threads (ThreadSanitizer)"
fi

for p in "$REPO"/tests/explore/mutants/*.patch; do
	[ -f "$p" ] || continue
	m=$(basename "$p" .patch)
	d=$W/$m
	mkdir -p "$d"
	cp -r "$REPO/core" "$REPO/include" "$d/"
	if [ "${m#tsan-}" != "$m" ]; then
		# a mutant for the threads harness: ThreadSanitizer must report
		if ! (cd "$d" && patch -s -p1 <"$p") || ! build_tsan "$d"; then
			ko "mutant $m (does not apply or build)"
		elif run_tsan "$d"; then
			ko "mutant $m not caught by ThreadSanitizer"
		else
			ok "mutant $m caught: $(grep -m1 'SUMMARY: ThreadSanitizer' <<<"$TSAN_OUT")"
		fi
		continue
	fi
	if ! (cd "$d" && patch -s -p1 <"$p") || ! build "$d"; then
		ko "mutant $m (does not apply or build)"
		continue
	fi
	out=$(timeout $((SECONDS_MUT + 30)) "$d/ssc-explore" --seconds "$SECONDS_MUT" 2>&1)
	rc=$?
	if [ "$rc" = 1 ]; then
		ok "mutant $m caught: $(grep -m1 'FAILED' <<<"$out" | sed 's/^ssc-explore: //')"
	else
		ko "mutant $m not caught (exit $rc): $(tail -1 <<<"$out")"
	fi
done

echo "explore: $pass passed, $fail failed"
[ -n "${RESULTS:-}" ] && echo "$pass $fail" >"$RESULTS"
[ "$fail" = 0 ]
