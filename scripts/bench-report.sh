#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-report.sh DIR KVER [SECONDS]
# Turn DIR/raw.csv (the guest's CSV lines, tests/vm/bench.sh) into
# DIR/results.csv (with a header), DIR/table.md (ratios) and DIR/*.png
# (gnuplot, if installed), and print the table.
set -euo pipefail

DIR=$1 KVER=$2 SECS=${3:-?}
HDR="workload,contender,round,iops,p50_us,p99_us,read_hits,read_misses,hit_ratio,origin_frac,extra"
{ echo "$HDR"; cat "$DIR/raw.csv"; } >"$DIR/results.csv"

PLOTDIR=$DIR awk -F, -v kver="$KVER" -v secs="$SECS" -v cfg="$DIR/config.txt" '
function med(key,   n, i, j, t, a) {
	n = cnt[key]
	if (!n) return ""
	for (i = 1; i <= n; i++) a[i] = val[key, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(key, v) { cnt[key]++; val[key, cnt[key]] = v }
function f(x, fmt) { return (x == "" || x == "-") ? "-" : sprintf(fmt, x) }
function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "-" : sprintf("%.2f", a / b) }
function seen(c) { if (!(c in isc)) { isc[c] = 1; order[++nc] = c } }
{
	w = $1; c = $2; r = $3
	if (w == "all") { notm[c] = $11; seen(c); next }
	if (w == "drain") { drain[c] = $11; next }
	if (w == "simcmp") { simc[++nsim] = "| " c " | " $7 " | " $8 " | " $11 " |"; next }
	if (c ~ /^linear@/) { cc = substr(c, 8); lin[w, cc, r] = $4; add(w SUBSEP "linear*", $4); next }
	seen(c)
	add(w SUBSEP c, $4)
	p99[w, c] = $6
	if ($9 != "-") add("hr" SUBSEP w SUBSEP c, $9)
	if ($10 != "-") add("of" SUBSEP w SUBSEP c, 1 - $10)
	if (c == "linear") add(w SUBSEP "linear*", $4)
	rounds[w, c] = r > rounds[w, c] ? r : rounds[w, c]
	if (r in rr) ; else rr[r] = 1
}
END {
	print "# make bench, kernel " kver
	print ""
	print "Every figure below was measured in one VM boot (" secs " s), QEMU TCG, 2 vCPUs. Ratios are"
	print "taken within this boot. Configurations: see config.txt (table lines and make-bcache arguments)."
	print ""
	for (i = 1; i <= nc; i++) if (order[i] in notm) print "- " order[i] ": " notm[order[i]]
	print ""
	print "## 1. Hit path: 4 KiB random reads over a set that fits the cache"
	print ""
	print "Ratio = IOPS / IOPS of dm-linear on the fast disk, measured right before it (median over rounds; 1.0 is the limit)."
	print ""
	print "| contender | QD1 IOPS | QD1 ratio | QD1 p99 us | QD32 IOPS | QD32 ratio | QD32 p99 us | hit ratio |"
	print "|---|---|---|---|---|---|---|---|"
	for (i = 1; i <= nc; i++) {
		c = order[i]
		if (!cnt["hit-qd1" SUBSEP c]) continue
		line = "| " c
		for (q = 1; q <= 32; q += 31) {
			w = "hit-qd" q
			# per-round ratio against the adjacent dm-linear run
			delete tmp; n = 0
			for (k = 1; k <= cnt[w SUBSEP c]; k++) {
				lv = lin[w, c, k]
				if (lv != "" && lv > 0) { n++; tmpv[n] = val[w SUBSEP c, k] / lv }
			}
			if (n) { cnt["rt"] = 0; for (k = 1; k <= n; k++) add("rt", tmpv[k]); rt = sprintf("%.2f", med("rt")) }
			else rt = ratio(med(w SUBSEP c), med(w SUBSEP "linear*"))
			line = line " | " f(med(w SUBSEP c), "%.0f") " | " rt " | " p99[w, c]
		}
		line = line " | " f(med("hr" SUBSEP "hit-qd32" SUBSEP c), "%.3f") " |"
		print line
	}
	print ""
	print "## 2. Skewed reads over an origin 10x the cache (zipf, QD16, after a warm-up)"
	print ""
	print "x slow = IOPS / IOPS of the slow disk alone. hit ratio = the target'"'"'s read counters; byte hit = 1 - origin sectors read / sectors read (same method for all; negative when promotions read more than the misses)."
	print "vs dm-cache / vs bcache: IOPS ratio to the peer in the same mode (readcache compares with writethrough)."
	print ""
	print "| contender | theta | IOPS | x slow | hit ratio | byte hit | p99 us | vs dm-cache | vs bcache |"
	print "|---|---|---|---|---|---|---|---|---|"
	for (t = 1; t <= 2; t++) {
		th = (t == 1) ? "1.1" : "0.9"; w = "zipf" th
		for (i = 1; i <= nc; i++) {
			c = order[i]
			if (!cnt[w SUBSEP c]) continue
			m = (c ~ /-wb/) ? "wb" : "wt"
			vd = (c ~ /^ssc-/) ? ratio(med(w SUBSEP c), med(w SUBSEP "dmc-" m)) : "-"
			vb = (c ~ /^ssc-/) ? ratio(med(w SUBSEP c), med(w SUBSEP "bc-" m)) : "-"
			print "| " c " | " th " | " f(med(w SUBSEP c), "%.0f") " | " ratio(med(w SUBSEP c), med(w SUBSEP "slow")) " | " \
				f(med("hr" SUBSEP w SUBSEP c), "%.3f") " | " f(med("of" SUBSEP w SUBSEP c), "%.3f") " | " p99[w, c] " | " vd " | " vb " |"
		}
	}
	print ""
	print "## 3. Scan resistance: zipf 1.1 hot set, a sequential read of the whole origin, the hot set again"
	print ""
	print "| contender | hit before | hit during scan | hit after | byte hit before | during | after | IOPS before | IOPS after |"
	print "|---|---|---|---|---|---|---|---|---|"
	for (i = 1; i <= nc; i++) {
		c = order[i]
		if (!cnt["scan-before" SUBSEP c]) continue
		print "| " c " | " f(med("hr" SUBSEP "scan-before" SUBSEP c), "%.3f") " | " f(med("hr" SUBSEP "scan-during" SUBSEP c), "%.3f") " | " \
			f(med("hr" SUBSEP "scan-after" SUBSEP c), "%.3f") " | " f(med("of" SUBSEP "scan-before" SUBSEP c), "%.3f") " | " \
			f(med("of" SUBSEP "scan-during" SUBSEP c), "%.3f") " | " f(med("of" SUBSEP "scan-after" SUBSEP c), "%.3f") " | " \
			f(med("scan-before" SUBSEP c), "%.0f") " | " f(med("scan-after" SUBSEP c), "%.0f") " |"
	}
	print ""
	print "## 4. Writes: 4 KiB random writes, then 70/30 random read/write, over a set that fits the cache (QD16)"
	print ""
	print "| contender | randwrite IOPS | x slow | p99 us | randrw70 IOPS | x slow | time to clean |"
	print "|---|---|---|---|---|---|---|"
	for (i = 1; i <= nc; i++) {
		c = order[i]
		if (!cnt["randwrite" SUBSEP c]) continue
		print "| " c " | " f(med("randwrite" SUBSEP c), "%.0f") " | " ratio(med("randwrite" SUBSEP c), med("randwrite" SUBSEP "slow")) " | " p99["randwrite", c] " | " \
			f(med("randrw70" SUBSEP c), "%.0f") " | " ratio(med("randrw70" SUBSEP c), med("randrw70" SUBSEP "slow")) " | " (c in drain ? drain[c] : "-") " |"
	}
	if (nsim) {
		print ""
		print "## 5. ssc-sim against the module: the same 300 skewed 4 KiB reads, one at a time, 2 MiB cache"
		print ""
		print "| policy | module read_hits | module read_misses | ssc-sim hits,misses |"
		print "|---|---|---|---|"
		for (k = 1; k <= nsim; k++) print simc[k]
	}
	# data files for the plots
	for (t = 1; t <= 2; t++) {
		th = (t == 1) ? "1.1" : "0.9"; w = "zipf" th
		for (i = 1; i <= nc; i++) { c = order[i]; if (cnt[w SUBSEP c]) {
			h = med("hr" SUBSEP w SUBSEP c); if (h == "") h = med("of" SUBSEP w SUBSEP c); if (h == "") h = 0
			print c, med(w SUBSEP c), h > (ENVIRON["PLOTDIR"] "/zipf" th ".dat") } }
	}
	for (i = 1; i <= nc; i++) { c = order[i]; if (cnt["hit-qd32" SUBSEP c])
		print c, ratio(med("hit-qd1" SUBSEP c), med("hit-qd1" SUBSEP "linear*")), ratio(med("hit-qd32" SUBSEP c), med("hit-qd32" SUBSEP "linear*")) > (ENVIRON["PLOTDIR"] "/hit.dat") }
	for (i = 1; i <= nc; i++) { c = order[i]; if (cnt["randwrite" SUBSEP c])
		print c, med("randwrite" SUBSEP c), med("randrw70" SUBSEP c) > (ENVIRON["PLOTDIR"] "/write.dat") }
}' "$DIR/raw.csv" >"$DIR/table.md"

if command -v gnuplot >/dev/null; then
	cd "$DIR"
	for th in 1.1 0.9; do
		[ -s zipf$th.dat ] || continue
		gnuplot <<EOG
set terminal png size 1000,500
set output "zipf$th.png"
set title "zipf $th reads over an origin 10x the cache, kernel $KVER"
set style data histograms
set style fill solid 0.8
set xtics rotate by -30
set logscale y
set ylabel "IOPS (log)"
set y2label "hit ratio"
set y2range [0:1]
set y2tics
set key top left
plot "zipf$th.dat" using 2:xtic(1) title "IOPS", "" using 0:3 axes x1y2 with points pt 7 ps 1.5 title "hit ratio"
EOG
	done
	if [ -s hit.dat ]; then
		gnuplot <<EOG
set terminal png size 1000,500
set output "hit.png"
set title "hit path: IOPS / dm-linear on the fast disk, kernel $KVER"
set style data histograms
set style fill solid 0.8
set xtics rotate by -30
set yrange [0:*]
plot "hit.dat" using 2:xtic(1) title "QD1", "" using 3 title "QD32"
EOG
	fi
	if [ -s write.dat ]; then
		gnuplot <<EOG
set terminal png size 1000,500
set output "write.png"
set title "4 KiB random writes and 70/30 read/write, kernel $KVER"
set style data histograms
set style fill solid 0.8
set xtics rotate by -30
set logscale y
plot "write.dat" using 2:xtic(1) title "randwrite IOPS", "" using 3 title "randrw70 IOPS"
EOG
	fi
	cd - >/dev/null
else
	echo "bench-report: gnuplot missing (scripts/install-bench-deps.sh): no plots" >&2
fi
cat "$DIR/table.md"
