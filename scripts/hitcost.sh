#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hitcost.sh - the engine's cost per hit in instructions: ssc-hitcost (the
# module's I/O engine driven as the target drives it) under callgrind, with
# collection on its hit loop only, for 4 KiB read and write hits on a warm
# cache, per cache block size (4, 32, 128 KiB), policy (lru, lfu, adaptive)
# and mode (writethrough, writeback). Instruction counts are repeatable
# where timings are not: the same binary gives the same numbers.
#
#   scripts/hitcost.sh [--out DIR] [--hits N] [--baseline CSV]
#
# Writes DIR/hitcost.csv (block_kib,policy,mode,op,hits,instructions,
# per_hit) and DIR/hitcost.md (default DIR: build/bench). --baseline adds
# the per-hit figures of an earlier hitcost.csv beside the new ones.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
OUT=$BUILD/bench
HITS=${HITCOST_HITS:-20000}
BASE=
TOOL=$BUILD/bin/ssc-hitcost

while [ $# -gt 0 ]; do
	case $1 in
	--out) OUT=$2; shift 2 ;;
	--hits) HITS=$2; shift 2 ;;
	--baseline) BASE=$2; shift 2 ;;
	-h|--help) sed -n '4,16p' "$0"; exit 0 ;;
	*) echo "hitcost: unknown argument $1" >&2; exit 2 ;;
	esac
done
command -v valgrind >/dev/null ||
	{ echo "hitcost: valgrind is not installed (scripts/install-bench-deps.sh)" >&2; exit 2; }
[ -x "$TOOL" ] || { echo "hitcost: $TOOL missing (make tools)" >&2; exit 2; }
mkdir -p "$OUT"
CSV=$OUT/hitcost.csv
MD=$OUT/hitcost.md
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "block_kib,policy,mode,op,hits,instructions,per_hit" >"$CSV.tmp"
for bkib in 4 32 128; do
	for pol in lru lfu adaptive; do
		for mode in writethrough writeback; do
			for op in read write; do
				cg=$TMP/cg.out
				if ! valgrind --tool=callgrind --collect-atstart=no \
					--toggle-collect=hitcost_loop \
					--callgrind-out-file="$cg" \
					"$TOOL" -b $((bkib * 2)) -p $pol -m $mode \
					-o $op -n "$HITS" >"$TMP/log" 2>&1; then
					cat "$TMP/log" >&2
					echo "hitcost: $bkib KiB $pol $mode $op failed" >&2
					exit 1
				fi
				ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$cg")
				[ -n "$ir" ] || { echo "hitcost: no summary in $cg" >&2; exit 1; }
				per=$(awk -v i="$ir" -v n="$HITS" 'BEGIN { printf "%.1f", i / n }')
				echo "$bkib,$pol,$mode,$op,$HITS,$ir,$per" >>"$CSV.tmp"
				printf '  %4s KiB %-8s %-12s %-5s %8s instructions per hit\n' \
					"$bkib" "$pol" "$mode" "$op" "$per"
			done
		done
	done
done
mv "$CSV.tmp" "$CSV"

# The markdown table: one row per block size, policy and mode.
awk -F, -v base="$BASE" -v hits="$HITS" '
BEGIN {
	if (base != "") {
		while ((getline line < base) > 0) {
			split(line, f, ",")
			if (f[1] == "block_kib")
				continue
			b[f[1] "," f[2] "," f[3] "," f[4]] = f[7]
		}
	}
}
NR == 1 { next }
{
	k = $1 "," $2 "," $3
	if (!(k in seen)) {
		seen[k] = 1
		order[++n] = k
	}
	v[k "," $4] = $7
}
function cell(k, op) {
	if (base == "")
		return v[k "," op]
	if (!((k "," op) in b))
		return "n/a | " v[k "," op]
	return sprintf("%s | %s (%+.0f %%)", b[k "," op], v[k "," op],
		       (v[k "," op] / b[k "," op] - 1) * 100)
}
END {
	printf "Instructions per 4 KiB hit (callgrind, %d hits on a warm cache)\n\n", hits
	if (base == "") {
		print "| block | policy | mode | read hit | write hit |"
		print "|---|---|---|---:|---:|"
	} else {
		print "| block | policy | mode | read hit before | read hit after | write hit before | write hit after |"
		print "|---|---|---|---:|---:|---:|---:|"
	}
	for (i = 1; i <= n; i++) {
		split(order[i], f, ",")
		printf "| %s KiB | %s | %s | %s | %s |\n", f[1], f[2], f[3],
		       cell(order[i], "read"), cell(order[i], "write")
	}
}' "$CSV" >"$MD"
echo "hitcost: $CSV, $MD"
