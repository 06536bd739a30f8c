#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-unit.sh BINARY...: run cmocka unit test binaries (built with ASan and
# UBSan) and count test cases. A binary that exits non-zero without cmocka
# reporting a failed case (crash, sanitizer report, timeout) counts as one
# failed case. Prints "unit: N passed, N failed"; with RESULTS=FILE also
# writes "N M" (passed, failed) to FILE. Exit status 0 if nothing failed.
set -uo pipefail

UNIT_TIMEOUT=${UNIT_TIMEOUT:-300}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
pass=0 fail=0
for b in "$@"; do
	out=$(timeout "$UNIT_TIMEOUT" "$b" 2>&1)
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | awk '{s += $1} END {print s + 0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | awk '{s += $1} END {print s + 0}')
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
	fi
	if [ "$rc" = 0 ] && [ "$p" = 0 ] && [ "$f" = 0 ]; then
		p=1     # not cmocka output, but a clean exit
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$f" = 0 ]; then
		echo "  UNIT    $(basename "$b"): $p passed"
	else
		echo "$out" | tail -n 60
		[ "$rc" = 124 ] && echo "  (timed out after ${UNIT_TIMEOUT}s)"
		echo "  UNIT    $(basename "$b"): $p passed, $f FAILED (exit status $rc)"
	fi
done
[ -n "${RESULTS:-}" ] && echo "$pass $fail" >"$RESULTS"
echo "unit: $pass passed, $fail failed"
[ "$fail" = 0 ]
