#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hitratio.sh - the hit-ratio table: ssdcache's policies replayed by ssc-sim
# (the module's own engine) on block traces, against the reference policies
# of a public cache simulator where ../shared/traces/README.md lists them,
# and against ssc-sim's own fully associative LRU and Belady's OPT.
#
#   scripts/hitratio.sh [--traces DIR] [--out DIR] [TRACE...]
#
# Per trace and per cache size of 5, 10 and 20 % of the trace's distinct
# 4 KiB blocks (rounded to a multiple of 16 blocks, as the references):
#  - "4k": every access a read (-W), 4 KiB cache blocks, a cache device of
#    exactly that many 4 KiB blocks with the metadata taken out of it: the
#    references' conditions. Miss ratio = 4 KiB blocks fetched / touched.
#  - "4k-rw": 4 KiB blocks, writethrough, writes as writes (a write reads
#    nothing from the origin): sectors read from the origin per sector read.
#  - "default": the default table line (128 KiB blocks over 512-byte
#    sectors, writethrough; a write does not read the origin), same device
#    size: sectors read from the origin per sector read.
# Writes build/hitratio/hitratio.csv and hitratio.md. Exit status 0 also
# when no trace is found (the table then says so).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
TRACES=${SSC_TRACES:-$REPO/../shared/traces}
OUT=$BUILD/hitratio
SIM=$BUILD/bin/ssc-sim
POLICIES="lru lfu adaptive"

while [ $# -gt 0 ]; do
	case $1 in
	--traces) TRACES=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	-h|--help) sed -n '4,20p' "$0"; exit 0 ;;
	--) shift; break ;;
	-*) echo "hitratio: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
LIST=("$@")
if [ ${#LIST[@]} = 0 ]; then
	for f in "$TRACES"/cloudPhysicsIO.vscsi "$TRACES"/P3.lis.zst; do
		[ -f "$f" ] && LIST+=("$f")
	done
fi
[ -x "$SIM" ] || { echo "hitratio: $SIM missing (make tools)" >&2; exit 2; }
mkdir -p "$OUT"
CSV=$OUT/hitratio.csv
MD=$OUT/hitratio.md
README=$TRACES/README.md

# Reference row "| trace | cache (N) | LRU | LFU | ARC | LIRS | 2Q | S3-FIFO | SIEVE | OPT |"
refs_of() {	# refs_of NAME BLOCKS -> "lru lfu arc lirs 2q s3fifo sieve opt" or ""
	[ -f "$README" ] || return 0
	awk -F'|' -v n="$1" -v b="($2)" '
		{ for (i = 1; i <= NF; i++) gsub(/^ +| +$/, "", $i) }
		$2 == n && index($3, b) { print $4, $5, $6, $7, $8, $9, $10, $11; exit }' "$README"
}

echo "trace,cache_4k_blocks,share,geometry,policy,blocks,miss_ratio,ref_lru,ref_best,ref_best_name,ref_opt,gap_closed" >"$CSV"
{
	echo "# Hit ratio: ssdcache's policies against the references"
	echo
	echo "Miss ratios from \`ssc-sim\` (the module's engine), $(date -u +%Y-%m-%d). \"4k\": every access a read, 4 KiB"
	echo "blocks, the references' conditions; \"gap\" is the share of the LRU-to-OPT gap closed. References: libCacheSim"
	echo "figures from \`$README\` (fully associative, 4 KiB objects) where listed, else ssc-sim's own LRU and OPT."
	echo
	echo "| trace | cache (4 KiB blocks) | ssc lru | ssc lfu | ssc adaptive | best reference | LRU | OPT | adaptive: gap closed | writes as writes, origin reads per read, 4 KiB blocks: lfu / adaptive | the same, 128 KiB blocks (the default line) |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
} >"$MD"

[ ${#LIST[@]} = 0 ] && { echo "No trace found under $TRACES." >>"$MD"; cat "$MD"; exit 0; }

sum_gap=0
cells=0
for t in "${LIST[@]}"; do
	name=$(basename "$t"); name=${name%%.*}
	distinct=$("$SIM" -W -b 8 -l 4096 -R -c 1M "$t" | sed -n 's/.* \([0-9]*\) distinct blocks.*/\1/p')
	[ -n "$distinct" ] || { echo "hitratio: $t: no distinct-block count" >&2; continue; }
	sizes=()
	for pct in 5 10 20; do
		n=$(( (distinct * pct / 100 + 8) / 16 * 16 ))
		[ "$n" -lt 16 ] && n=16
		sizes+=("$n")
	done
	clist=$(for n in "${sizes[@]}"; do printf '%s,' $((n * 4096)); done); clist=${clist%,}
	declare -A M=() D=() F=()
	for p in $POLICIES; do
		i=0
		while IFS=, read -r _ blocks _ _ mr _ lr or; do
			M[$p,$i]=$mr; M[blocks,$i]=$blocks
			M[lru,ref,$i]=$lr; M[opt,ref,$i]=$or
			i=$((i + 1))
		done < <("$SIM" -W -b 8 -l 4096 -p "$p" -c "$clist" "$t" | grep -E '^[0-9]')
		i=0
		while IFS=, read -r _ _ _ _ _ bmr _ _; do
			D[$p,$i]=$bmr
			i=$((i + 1))
		done < <("$SIM" -R -p "$p" -c "$clist" "$t" | grep -E '^[0-9]')
		i=0
		while IFS=, read -r _ _ _ _ _ bmr _ _; do
			F[$p,$i]=$bmr
			i=$((i + 1))
		done < <("$SIM" -R -b 8 -l 4096 -p "$p" -c "$clist" "$t" | grep -E '^[0-9]')
	done
	for i in 0 1 2; do
		pct=$(echo "5 10 20" | cut -d' ' -f$((i + 1)))
		n=${sizes[$i]}
		ref=$(refs_of "$name" "$n")
		if [ -n "$ref" ]; then
			set -- $ref
			lru=$1 opt=$8
			best=$(printf '%s LRU\n%s LFU\n%s ARC\n%s LIRS\n%s 2Q\n%s S3-FIFO\n%s SIEVE\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" | sort -g | head -1)
			src=libCacheSim
		else
			lru=${M[lru,ref,$i]} opt=${M[opt,ref,$i]}
			best="$lru LRU"
			src=ssc-sim
		fi
		bestv=${best%% *} bestn=${best#* }
		for p in $POLICIES; do
			gap=$(awk -v l="$lru" -v o="$opt" -v x="${M[$p,$i]}" 'BEGIN { printf "%.3f", ((l - o) > 0 ? (l - x) / (l - o) : 0) }')
			echo "$name,$n,$pct,4k,$p,${M[blocks,$i]},${M[$p,$i]},$lru,$bestv,$bestn,$opt,$gap" >>"$CSV"
			echo "$name,$n,$pct,default,$p,,${D[$p,$i]},,,,," >>"$CSV"
			echo "$name,$n,$pct,4k-rw,$p,,${F[$p,$i]},,,,," >>"$CSV"
		done
		agap=$(awk -v l="$lru" -v o="$opt" -v x="${M[adaptive,$i]}" 'BEGIN { printf "%.0f", ((l - o) > 0 ? 100 * (l - x) / (l - o) : 0) }')
		sum_gap=$((sum_gap + agap)); cells=$((cells + 1))
		mark=$(awk -v a="${M[adaptive,$i]}" -v b="$bestv" 'BEGIN { print (a <= b) ? "**" : "" }')
		echo "| $name | $pct % ($n; ${M[blocks,$i]} after metadata) | ${M[lru,$i]} | ${M[lfu,$i]} | $mark${M[adaptive,$i]}$mark | $bestv ($bestn, $src) | $lru | $opt | $agap % | ${F[lfu,$i]} / ${F[adaptive,$i]} | ${D[lfu,$i]} / ${D[adaptive,$i]} |" >>"$MD"
	done
	unset M D F
done
{
	echo
	[ "$cells" -gt 0 ] && echo "Adaptive closes $((sum_gap / cells)) % of the LRU-to-OPT gap on average over $cells cells; bold: no worse than the best reference."
} >>"$MD"
cat "$MD"
echo "hitratio: $CSV, $MD"
