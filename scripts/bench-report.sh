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

rm -f "$DIR"/warmup*.dat "$DIR/warmup.names" "$DIR/scale.dat"
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
function kv(s, k,   n, i, a) {
	n = split(s, a, " ")
	for (i = 1; i <= n; i++) if (index(a[i], k "=") == 1) return substr(a[i], length(k) + 2)
	return ""
}
# rmed(W, C): median over rounds of IOPS(C) / IOPS(null_blk before it)
function rmed(w, c,   k, n, lv) {
	cnt["rt"] = 0; n = 0
	for (k = 1; k <= cnt[w SUBSEP c]; k++) {
		lv = nul[w, c, k]
		if (lv != "" && lv > 0) { n++; add("rt", val[w SUBSEP c, k] / lv) }
	}
	return n ? sprintf("%.2f", med("rt")) : "-"
}
function seen(c) { if (!(c in isc)) { isc[c] = 1; order[++nc] = c } }
{
	w = $1; c = $2; r = $3
	if (w == "all") { notm[c] = $11; seen(c); next }
	if (w == "drain") { drain[c] = $11; next }
	if (w == "simcmp") { simc[++nsim] = "| " c " | " $7 " | " $8 " | " $11 " |"; next }
	if (w == "scale-mem") { smem[c] = $11; sord[++nsz] = c; next }
	if (w == "scale-free") { sfree[c] = $11; next }
	if (w == "warmup") {
		if (!(c in wseen)) { wseen[c] = 1; word[++nwu] = c }
		# a slice without reads (fio starting or done) says nothing
		if ($4 == 0 || kv($11, "ios") == wio[c, wn[c]]) next
		k = ++wn[c]
		wio[c, k] = kv($11, "ios"); wt[c, k] = kv($11, "t"); wiops[c, k] = $4
		whr[c, k] = ($9 != "-") ? $9 : (($10 != "-") ? 1 - $10 : "")
		wmet[c] = ($9 != "-") ? "read counters" : "byte hit (origin)"
		next
	}
	if (c ~ /^null@/) { cc = substr(c, 6); nul[w, cc, r] = $4; next }
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
	if (cnt["shift-p1" SUBSEP "linear"]) {
		print "## 3b. A moving hot set: after zipf 1.1 over the origin, passes of 4 KiB random reads (QD16) over a new set of half the cache"
		print ""
		print "IOPS of each pass against dm-linear on the fast disk over a set of the same size (same boot); hit ratio: the target'"'"'s"
		print "read counters (bcache: -); byte hit: 1 - origin sectors read / sectors read."
		print ""
		print "| contender | pass 1 / dm-linear | pass 2 | pass 3 | pass 4 | hit ratio pass 1 | pass 2 | pass 3 | pass 4 | byte hit pass 2 | pass 4 |"
		print "|---|---|---|---|---|---|---|---|---|---|---|"
		for (i = 1; i <= nc; i++) {
			c = order[i]
			if (c == "linear" || !cnt["shift-p1" SUBSEP c]) continue
			l = "| " c
			for (p = 1; p <= 4; p++) l = l " | " ratio(med("shift-p" p SUBSEP c), med("shift-p1" SUBSEP "linear"))
			for (p = 1; p <= 4; p++) l = l " | " f(med("hr" SUBSEP "shift-p" p SUBSEP c), "%.3f")
			print l " | " f(med("of" SUBSEP "shift-p2" SUBSEP c), "%.3f") " | " f(med("of" SUBSEP "shift-p4" SUBSEP c), "%.3f") " |"
		}
		print ""
	}
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
	if (nsz) {
		print ""
		print "## 6. Scale: ssdcache on null_blk (memory_backed=0, 4 KiB sectors), caches of several TiB"
		print ""
		print "Kernel memory taken by dmsetup create (/proc/meminfo before and after, page cache dropped), per cache block, against the"
		print "md_bytes_per_block the target reports. marginal = (MemFree delta of the largest - of the smallest) / (blocks difference):"
		print "the cost of one more block, without the fixed part (workqueues, bio sets, kcopyd)."
		print ""
		print "| cache | blocks | md_bytes_per_block | MemFree delta MiB | bytes/block | slab KiB | vmalloc KiB | percpu KiB | create s | freed by remove MiB |"
		print "|---|---|---|---|---|---|---|---|---|---|"
		s0 = ""; s1 = ""
		for (i = 1; i <= nsz; i++) {
			c = sord[i]; x = smem[c]
			if (x ~ /^not measured/) { print "| " c " | " x " | | | | | | | | |"; continue }
			b = kv(x, "blocks"); mf = kv(x, "memfree_kib")
			if (s0 == "") s0 = c; s1 = c
			print "| " c " | " b " | " kv(x, "md_bytes_per_block") " | " sprintf("%.1f", mf / 1024) " | " sprintf("%.1f", mf * 1024 / b) " | " \
				kv(x, "slab_kib") " | " kv(x, "vmalloc_kib") " | " kv(x, "percpu_kib") " | " kv(x, "create_s") " | " \
				((c in sfree) ? sprintf("%.1f", kv(sfree[c], "memfree_kib") / 1024) : "-") " |"
		}
		if (s0 != "" && s1 != s0) {
			db = kv(smem[s1], "blocks") - kv(smem[s0], "blocks")
			print ""
			print "marginal kernel memory per cache block (" s0 " to " s1 "): " sprintf("%.1f", (kv(smem[s1], "memfree_kib") - kv(smem[s0], "memfree_kib")) * 1024 / db) \
				" bytes; md_bytes_per_block " kv(smem[s1], "md_bytes_per_block")
		}
		print ""
		print "4 KiB random read hits over the same number of blocks spread over the whole cache, rounds alternating the sizes."
		print "x null_blk = IOPS / IOPS of the raw null_blk with the same offsets, measured right before (median over rounds);"
		print "vs smallest = IOPS / IOPS of the smallest cache: the cost per I/O does not grow with the cache size when it stays near 1.0."
		print ""
		print "| cache | QD1 IOPS | x null_blk | vs smallest | QD1 p99 us | QD32 IOPS | x null_blk | vs smallest | QD32 p99 us | hit ratio |"
		print "|---|---|---|---|---|---|---|---|---|---|"
		sm = ""
		for (i = 1; i <= nsz; i++) {
			c = sord[i]
			if (!cnt["scale-qd1" SUBSEP c]) continue
			if (sm == "") sm = c
			line = "| " c
			for (q = 1; q <= 32; q += 31) {
				w = "scale-qd" q
				line = line " | " f(med(w SUBSEP c), "%.0f") " | " rmed(w, c) " | " ratio(med(w SUBSEP c), med(w SUBSEP sm)) " | " p99[w, c]
			}
			print line " | " f(med("hr" SUBSEP "scale-qd32" SUBSEP c), "%.3f") " |"
			print c, med("scale-qd1" SUBSEP c), med("scale-qd32" SUBSEP c) > (ENVIRON["PLOTDIR"] "/scale.dat")
		}
	}
	if (nwu) {
		print ""
		print "## 7. Warm-up: zipf 1.1 reads over the slow origin on a cold cache, hit ratio per slice"
		print ""
		print "steady = hit ratio over the last quarter of the slices (weighted by reads); warm-up = reads (and seconds) until the"
		print "first slice whose hit ratio reached 90 % of steady (slices without reads left out). hit ratio: the target'"'"'s read counters, for bcache the byte hit ratio"
		print "measured on the origin (1 - origin sectors read / sectors read)."
		print ""
		print "| contender | measured by | steady hit ratio | 90 % of it after reads | after s | reads in total | in s | last slice hit ratio |"
		print "|---|---|---|---|---|---|---|---|"
		for (i = 1; i <= nwu; i++) {
			c = word[i]; n = wn[c]
			q0 = n - int(n / 4) + 1; if (q0 > n) q0 = n
			sh = 0; sw = 0; pio = (q0 > 1) ? wio[c, q0 - 1] : 0
			for (k = q0; k <= n; k++) { d = wio[c, k] - ((k > 1) ? wio[c, k - 1] : 0); if (whr[c, k] != "") { sh += whr[c, k] * d; sw += d } }
			st = sw ? sh / sw : ""
			at = "-"; as = "-"
			if (st != "") for (k = 1; k <= n; k++) if (whr[c, k] != "" && whr[c, k] >= 0.9 * st) { at = wio[c, k]; as = wt[c, k]; break }
			print "| " c " | " wmet[c] " | " f(st, "%.3f") " | " at " | " as " | " wio[c, n] " | " wt[c, n] " | " f(whr[c, n], "%.3f") " |"
			fn = ENVIRON["PLOTDIR"] "/warmup-" i ".dat"
			printf "" > fn
			for (k = 1; k <= n; k++) if (whr[c, k] != "") print wio[c, k], whr[c, k] > fn
			print c > (ENVIRON["PLOTDIR"] "/warmup.names")
		}
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
	if [ -s scale.dat ]; then
		gnuplot <<EOG
set terminal png size 800,500
set output "scale.png"
set title "ssdcache read hits on null_blk caches of several TiB, kernel $KVER" noenhanced
set style data histograms
set style fill solid 0.8
set yrange [0:*]
set ylabel "IOPS"
plot "scale.dat" using 2:xtic(1) title "QD1", "" using 3 title "QD32"
EOG
	fi
	if [ -s warmup.names ]; then
		plot= i=1
		while read -r name; do
			[ -s warmup-$i.dat ] && plot="$plot${plot:+, }\"warmup-$i.dat\" using 1:2 with linespoints title \"$name\""
			i=$((i + 1))
		done <warmup.names
		gnuplot <<EOG
set terminal png size 1000,500
set output "warmup.png"
set title "warm-up: zipf 1.1 reads on a cold cache, hit ratio per slice, kernel $KVER"
set xlabel "reads since the start"
set ylabel "hit ratio"
set yrange [0:1]
set key bottom right noenhanced
plot $plot
EOG
	fi
	cd - >/dev/null
else
	echo "bench-report: gnuplot missing (scripts/install-bench-deps.sh): no plots" >&2
fi
cat "$DIR/table.md"
