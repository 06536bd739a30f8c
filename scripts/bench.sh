#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [--quick] [--kernels "6.1 6.12"]
# "make bench": one VM boot per kernel runs tests/vm/bench.sh (every
# contender on the same devices), then scripts/bench-report.sh turns the
# guest's CSV lines into build/bench/<kver>/{results.csv,config.txt,
# table.md,*.png} and prints the table.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
KVERS="6.1 6.12"
SCEN=bench
while [ $# -gt 0 ]; do
	case $1 in
	--quick) SCEN=bench-quick ;;
	--kernels) KVERS=$2; shift ;;
	*) echo "usage: $0 [--quick] [--kernels \"6.1 6.12\"]" >&2; exit 2 ;;
	esac
	shift
done

rc=0
for k in $KVERS; do
	out=$BUILD/bench/$k
	mkdir -p "$out"
	echo "== bench: kernel $k ($SCEN), output in $out"
	t0=$SECONDS
	# One boot, one scenario; the figures are on the result port.
	"$REPO/scripts/vm-run.sh" -k "$k" -t 2400 -o "$BUILD/bench/results" -v "$SCEN" | tee "$out/vm.log" |
		grep -E '\] (== |FAIL|[0-9.]+ ==)|\] bench:|FAIL|kernel log' || true
	st=${PIPESTATUS[0]}
	echo "== bench: kernel $k took $((SECONDS - t0)) s (vm-run status $st)"
	sed -n "s/^.*\[$SCEN\] \(CSV,.*\)$/\1/p" "$out/vm.log" | sed 's/^CSV,//' >"$out/raw.csv"
	sed -n "s/^.*\[$SCEN\] CFG,\(.*\)$/\1/p" "$out/vm.log" >"$out/config.txt"
	if [ ! -s "$out/raw.csv" ]; then
		echo "bench: no results for $k (see $out/vm.log)" >&2
		rc=1
		continue
	fi
	"$REPO/scripts/bench-report.sh" "$out" "$k" "$((SECONDS - t0))"
	[ "$st" = 0 ] || rc=1
done
exit $rc
