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

# sim_row ARGS...: the CSV row of one cache size (empty if ssc-sim refuses
# the size, e.g. smaller than one set of the geometry).
sim_row() {
	local a=() x
	for x in "$@"; do a+=("$x"); done
	# a trailing comma makes ssc-sim print CSV for the single size
	for ((x = 0; x < ${#a[@]}; x++)); do
		[ "${a[x]}" = -c ] && a[x + 1]="${a[x + 1]},"
	done
	"$SIM" "${a[@]}" 2>/dev/null | grep -E '^[0-9]' | head -1 || true
}

# gap_of LRU OPT X SCALE: (LRU - X) / (LRU - OPT) * SCALE, or - (rounded
# to an integer when SCALE is 100)
gap_of() {
	awk -v l="$1" -v o="$2" -v x="$3" -v k="$4" 'BEGIN {
		if (l == "-" || o == "-" || x == "-" || l == "" || o == "" || x == "" || l - o <= 0) { print "-"; exit }
		printf (k == 100 ? "%.0f\n" : "%.3f\n"), k * (l - x) / (l - o) }'
}

sum_gap=0
cells=0
for t in "${LIST[@]}"; do
	name=$(basename "$t"); name=${name%%.*}
	distinct=$("$SIM" -W -b 8 -l 4096 -R -c 1M "$t" 2>/dev/null |
		sed -n 's/.* \([0-9]*\) distinct blocks.*/\1/p') || true
	[ -n "$distinct" ] || { echo "hitratio: $t: not read (ssc-sim $SIM failed on it); left out" >&2; continue; }
	sizes=()
	for pct in 5 10 20; do
		n=$(( (distinct * pct / 100 + 8) / 16 * 16 ))
		[ "$n" -lt 16 ] && n=16
		sizes+=("$n")
	done
	declare -A M=() D=() F=()
	for p in $POLICIES; do
		for i in 0 1 2; do
			c=$((sizes[i] * 4096))
			# cache_bytes,blocks,hits,misses,miss_ratio,byte_miss_ratio[,lru,opt]
			row=$(sim_row -W -b 8 -l 4096 -p "$p" -c "$c" "$t")
			IFS=, read -r _ blocks _ _ mr _ lr or <<<"${row:-,-,,,-,-,-,-}"
			M[$p,$i]=$mr; M[blocks,$i]=$blocks
			M[lru,ref,$i]=$lr; M[opt,ref,$i]=$or
			row=$(sim_row -R -b 8 -l 4096 -p "$p" -c "$c" "$t")
			IFS=, read -r _ _ _ _ _ F[$p,$i] <<<"${row:-,,,,,-}"
			# the default line needs 16 blocks of 128 KiB at least
			row=$(sim_row -R -p "$p" -c "$c" "$t")
			IFS=, read -r _ _ _ _ _ D[$p,$i] <<<"${row:-,,,,,-}"
		done
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
			gap=$(gap_of "$lru" "$opt" "${M[$p,$i]}" 1)
			echo "$name,$n,$pct,4k,$p,${M[blocks,$i]},${M[$p,$i]},$lru,$bestv,$bestn,$opt,$gap" >>"$CSV"
			echo "$name,$n,$pct,default,$p,,${D[$p,$i]},,,,," >>"$CSV"
			echo "$name,$n,$pct,4k-rw,$p,,${F[$p,$i]},,,,," >>"$CSV"
		done
		agap=$(gap_of "$lru" "$opt" "${M[adaptive,$i]}" 100)
		if [ "$agap" != - ]; then
			sum_gap=$((sum_gap + agap)); cells=$((cells + 1))
		fi
		mark=$(awk -v a="${M[adaptive,$i]}" -v b="$bestv" 'BEGIN { print (a != "-" && b != "-" && a + 0 <= b + 0) ? "**" : "" }')
		echo "| $name | $pct % ($n; ${M[blocks,$i]} after metadata) | ${M[lru,$i]} | ${M[lfu,$i]} | $mark${M[adaptive,$i]}$mark | $bestv ($bestn, $src) | $lru | $opt | $agap % | ${F[lfu,$i]} / ${F[adaptive,$i]} | ${D[lfu,$i]} / ${D[adaptive,$i]} |" >>"$MD"
	done
	unset M D F
done
echo >>"$MD"
if [ "$cells" -gt 0 ]; then
	echo "Adaptive closes $((sum_gap / cells)) % of the LRU-to-OPT gap on average over $cells cells; bold: no worse than the best reference." >>"$MD"
else
	echo "No trace could be replayed." >>"$MD"
fi
cat "$MD"
echo "hitratio: $CSV, $MD"
