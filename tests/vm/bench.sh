#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# "make bench" body, sourced by tests/vm/scenarios/bench*.sh (which set the
# sizes and durations below) in the test VM. Every contender runs on the
# same devices in the same boot:
#
#   origin  ORIGIN_MB of dm-delay (DELAY_MS) over dm-linear over brd,
#           pre-filled (brd allocates pages on first write)
#   cache   CACHE_MB of dm-linear over brd (reused by every cache contender,
#           one at a time; dm-cache also gets META_MB of metadata)
#   fast    a raw brd disk (for "fast" and "linear")
#
# Output lines on stdout (the host collects them, scripts/bench.sh):
#   CFG,<contender>,<exact table line or make-bcache arguments>
#   CSV,<workload>,<contender>,<round>,<iops>,<p50_us>,<p99_us>,<hits>,
#       <misses>,<hit_ratio>,<origin_frac>,<extra>
# hits/misses/hit_ratio: the target's own read counters (ssdcache, dm-cache;
# "-" for others). origin_frac: sectors read from the origin divided by
# sectors the workload read (1 - origin_frac is a byte hit ratio that is
# measured the same way for every contender; promotions that read whole
# blocks can push it above 1). extra: workload-specific (drain seconds).
. /vm/lib.sh

: "${ORIGIN_MB:=640}" "${CACHE_MB:=64}" "${META_MB:=8}" "${HIT_MB:=32}"
: "${WR_MB:=48}" "${DELAY_MS:=2}" "${BLOCK_SECTORS:=128}"
: "${T_HIT:=3}" "${R_HIT:=1}" "${T_ZWARM:=8}" "${T_Z:=6}"
: "${T_SWARM:=8}" "${T_S:=6}" "${T_W:=6}" "${T_DRAIN:=15}"
: "${CONTENDERS:=ssc-wt-lru ssc-wt-lfu ssc-wb-lru ssc-wb-lfu ssc-rc-lru ssc-rc-lfu dmc-wt dmc-wb bc-wt bc-wb}"
: "${SCAN_CONTENDERS:=ssc-wt-lru ssc-wt-lfu dmc-wt bc-wt}"
: "${WRITE_CONTENDERS:=ssc-wt-lfu ssc-wb-lru ssc-wb-lfu dmc-wt dmc-wb wc bc-wt bc-wb}"

FIO="fio --ioengine=libaio --direct=1 --randrepeat=1 --randseed=42 --group_reporting --minimal"

load_ssdcache
load_modules dm-delay dm-cache dm-cache-smq dm-writecache
modprobe bcache 2>/dev/null || log "bcache module missing"

_r=$(_vm_ram_next) || exit 1
FAST=$_r
origin=$(slow_disk origin "$ORIGIN_MB" "$DELAY_MS") || exit 1
CACHE=$(ram_disk cache "$CACHE_MB") || exit 1
META=$(ram_disk meta "$META_MB") || exit 1
OSECT=$((ORIGIN_MB * 2048))
log "pre-filling the origin (${ORIGIN_MB} MiB), the fast disk and the cache"
dd if=/dev/urandom of=/tmp/rand.1m bs=1M count=1 2>/dev/null
i=0
while [ $i -lt "$ORIGIN_MB" ]; do
	cat /tmp/rand.1m
	i=$((i + 1))
done | dd of=/dev/mapper/origin-base bs=1M oflag=direct 2>/dev/null
must dd if=/dev/zero of="$FAST" bs=1M count=$((WR_MB > HIT_MB ? WR_MB : HIT_MB)) oflag=direct 2>/dev/null
must dd if=/dev/zero of="$CACHE" bs=1M count="$CACHE_MB" oflag=direct 2>/dev/null
must dd if=/dev/zero of="$META" bs=1M count="$META_MB" oflag=direct 2>/dev/null

# ---------------------------------------------------------------- helpers
# dev_rsect DEV: sectors read so far from block device DEV.
dev_rsect() {
	_mm=$(stat -L -c '%t %T' "$1")
	set -- $_mm
	awk '{ print $3 }' "/sys/dev/block/$((0x$1)):$((0x$2))/stat"
}

# fio_run ARGS...: run fio; writes "iops p50_us p99_us read_sectors" to
# /tmp/fio.res (read latency if the job reads, else write latency).
fio_run() {
	# shellcheck disable=SC2086
	if ! $FIO "$@" >/tmp/fio.terse 2>/tmp/fio.err; then
		cat /tmp/fio.err >&2
		echo "0 - - 0" >/tmp/fio.res
		return 0
	fi
	tail -n1 /tmp/fio.terse | awk -F';' '
		function v(s) { sub(/.*=/, "", s); return s }
		{ r = $8; w = $49
		  if (r > 0) { p50 = v($24); p99 = v($30) } else { p50 = v($65); p99 = v($71) }
		  printf "%d %s %s %d\n", r + w, p50, p99, $6 * 2 }' >/tmp/fio.res
}

# ---------------------------------------------------------------- contenders
# c_create NAME: build contender NAME over the origin; sets DEV.
# c_hits: prints "hits misses" (target counters, cumulative) or "- -".
# c_dirty: dirty blocks (0 if none / not applicable).
# c_remove: tear it down.
BCDEV=
c_table() {
	case $1 in
	ssc-*)
		_m=writethrough
		case $1 in *-wb-*) _m=writeback ;; *-rc-*) _m=readcache ;; esac
		echo "0 $OSECT ssdcache $origin $CACHE blocksize $BLOCK_SECTORS assoc 4 $_m options 1 ${1##*-}" ;;
	dmc-wt) echo "0 $OSECT cache $META $CACHE $origin $BLOCK_SECTORS 1 writethrough smq 0" ;;
	dmc-wb) echo "0 $OSECT cache $META $CACHE $origin $BLOCK_SECTORS 1 writeback smq 0" ;;
	wc) echo "0 $OSECT writecache s $origin $CACHE 4096 0" ;;
	linear) echo "0 $((HIT_MB * 2048)) linear $FAST 0" ;;
	esac
}

c_create() {
	C=$1
	case $C in
	fast) DEV=$FAST ;;
	ram) DEV=/dev/mapper/origin-base ;;
	slow) DEV=$origin ;;
	linear|ssc-*|dmc-*|wc)
		case $C in
		dmc-*) dd if=/dev/zero of="$META" bs=4096 count=1 oflag=direct 2>/dev/null ;;
		wc) dd if=/dev/zero of="$CACHE" bs=4096 count=1 oflag=direct 2>/dev/null ;;
		esac
		DEV=$(dm_create bench "$(c_table "$C")") || return 1
		[ "$C" = linear ] || echo "CFG,$C,$(c_table "$C")" ;;
	bc-*)
		[ -x /usr/sbin/make-bcache ] || { log "no make-bcache"; return 1; }
		[ -d /sys/fs/bcache ] || { log "no bcache"; return 1; }
		_bk=$(dm_create bcback "0 $OSECT linear $origin 0") || return 1
		_mode=writethrough
		[ "$C" = bc-wb ] && _mode=writeback
		_args="--bucket 64k --block 4k --wipe-bcache -C $CACHE -B $_bk"
		[ "$C" = bc-wb ] && _args="$_args --writeback"
		dd if=/dev/zero of="$CACHE" bs=1M count=1 oflag=direct 2>/dev/null
		dd if=/dev/zero of="$_bk" bs=1M count=1 oflag=direct 2>/dev/null
		# shellcheck disable=SC2086
		/usr/sbin/make-bcache $_args >/tmp/mkbc.out 2>&1 || { cat /tmp/mkbc.out; return 1; }
		echo "$CACHE" >/sys/fs/bcache/register 2>/dev/null
		echo "$_bk" >/sys/fs/bcache/register 2>/dev/null
		BCDEV=
		for _i in 1 2 3 4 5 6 7 8 9 10; do
			for _b in /sys/block/bcache*; do
				[ -e "$_b" ] && BCDEV=${_b##*/}
			done
			[ -n "$BCDEV" ] && [ -b "/dev/$BCDEV" ] && break
			sleep 0.5
		done
		[ -n "$BCDEV" ] || { log "bcache device did not appear"; return 1; }
		# attach explicitly if registration did not
		if grep -q "no cache" "/sys/block/$BCDEV/bcache/state"; then
			for _u in /sys/fs/bcache/*-*-*-*-*; do
				[ -d "$_u" ] && echo "${_u##*/}" >"/sys/block/$BCDEV/bcache/attach"
			done
			sleep 1
		fi
		echo "$_mode" >"/sys/block/$BCDEV/bcache/cache_mode"
		# bcache.rst, "Troubleshooting performance": the congestion
		# bypass sends I/O to the backing device when the cache device's
		# latency exceeds 2 ms (20 ms writes), which emulation does
		for _u in /sys/fs/bcache/*-*-*-*-*; do
			[ -d "$_u" ] || continue
			echo 0 >"$_u/congested_read_threshold_us"
			echo 0 >"$_u/congested_write_threshold_us"
		done
		DEV=/dev/$BCDEV
		echo "CFG,$C,make-bcache $_args; cache_mode $_mode; sequential_cutoff $(cat /sys/block/$BCDEV/bcache/sequential_cutoff) (defaults otherwise); state $(cat /sys/block/$BCDEV/bcache/state); congested_read_threshold_us $(cat /sys/fs/bcache/*-*-*-*-*/congested_read_threshold_us 2>/dev/null | head -n1)" ;;
	*) return 1 ;;
	esac
}

c_hits() {
	case $C in
	ssc-*)
		dmsetup status bench | tr ' ' '\n' | awk '
			p == "read_hits" { h = $0 } p == "read_misses" { m = $0 } { p = $0 }
			END { print h, m }' ;;
	dmc-*) dmsetup status bench | awk '{ print $8, $9 }' ;;
	*) echo "- -" ;;
	esac
}

c_dirty() {
	case $C in
	ssc-*) dmsetup status bench | tr ' ' '\n' | awk 'p == "dirty" { print; exit } { p = $0 }' ;;
	dmc-*) dmsetup status bench | awk '{ print $14 }' ;;
	wc) dmsetup status bench | awk '{ print $5 - $6 }' ;;   # blocks - free
	bc-*) awk '{ print ($1 == "0.0k" || $1 == "0") ? 0 : 1 }' "/sys/block/$BCDEV/bcache/dirty_data" ;;
	*) echo 0 ;;
	esac
}

c_remove() {
	case $C in
	bc-*)
		[ -n "$BCDEV" ] && echo 1 >"/sys/block/$BCDEV/bcache/stop" 2>/dev/null
		for _u in /sys/fs/bcache/*-*-*-*-*; do
			[ -d "$_u" ] && echo 1 >"$_u/unregister" 2>/dev/null
		done
		for _i in $(seq 1 40); do
			ls -d /sys/fs/bcache/*-*-*-*-* >/dev/null 2>&1 || break
			[ -e "/sys/block/$BCDEV" ] || ls -d /sys/fs/bcache/*-*-*-*-* >/dev/null 2>&1 || break
			sleep 0.5
		done
		sleep 1
		dm_remove bcback ;;
	linear|ssc-*|dmc-*|wc) dm_remove bench ;;
	esac
	C=
}

# measure WORKLOAD ROUND FIO-ARGS...: run fio on $DEV and emit a CSV line
# with the counter deltas.
measure() {
	_wl=$1 _rd=$2
	shift 2
	_hm0=$(c_hits)
	_o0=$(dev_rsect "$origin")
	fio_run --name="$_wl" --filename="$DEV" "$@"
	_hm1=$(c_hits)
	_o1=$(dev_rsect "$origin")
	echo "$_hm0 $_hm1 $((_o1 - _o0)) $(cat /tmp/fio.res)" | awk -v w="$_wl" -v c="$C" -v r="$_rd" '
		{ if ($1 == "-") { h = "-"; m = "-"; hr = "-" }
		  else { h = $3 - $1; m = $4 - $2; hr = (h + m) ? sprintf("%.4f", h / (h + m)) : "-" }
		  of = ($9 > 0 && c != "fast" && c != "linear" && c != "ram") ? sprintf("%.4f", $5 / $9) : "-"
		  printf "CSV,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,\n", w, c, r, $6, $7, $8, h, m, hr, of }'
}

start() {
	c_create "$1" || { dmsetup remove bcback 2>/dev/null; echo "CSV,all,$1,0,-,-,-,-,-,-,-,not measured: setup failed"; C=; return 1; }
}

# ---------------------------------------------------------------- workloads
HITJOB="--rw=randread --bs=4k --size=${HIT_MB}M --time_based --runtime=$T_HIT"

# 1. Hit path: the set fits the cache; two passes of 4 KiB reads over it
# (fio's random map touches every block once per pass), then rounds of
# QD1 and QD32 alternating with dm-linear on the fast disk.
hit_path() {
	log "== hit path (${HIT_MB} MiB set, ${T_HIT}s per run, $R_HIT rounds)"
	for c in fast linear slow; do
		start $c || continue
		measure hit-qd1 1 $HITJOB --iodepth=1
		measure hit-qd32 1 $HITJOB --iodepth=32
		c_remove
	done
	for c in $CONTENDERS; do
		start "$c" || continue
		fio_run --name=warm --filename="$DEV" --rw=randread --bs=4k --size=${HIT_MB}M --loops=2 --iodepth=32
		_dev=$DEV _c=$C
		r=1
		while [ $r -le "$R_HIT" ]; do
			for qd in 1 32; do
				# dm-linear on the fast disk, side by side
				_keep=$C
				DEV=$(dm_create benchlin "$(c_table linear)") || exit 1
				C=linear
				fio_run --name=lin --filename="$DEV" $HITJOB --iodepth=$qd
				echo "CSV,hit-qd$qd,linear@$_c,$r,$(tr ' ' , </tmp/fio.res | cut -d, -f1-3),-,-,-,-,"
				dm_remove benchlin
				C=$_keep DEV=$_dev
				measure "hit-qd$qd" "$r" $HITJOB --iodepth=$qd
			done
			r=$((r + 1))
		done
		c_remove
	done
}

# 2. Skewed reads over the whole origin (10x the cache): zipf 1.1, then 0.9,
# each after a warm-up with the same distribution.
zipf() {
	log "== zipf (origin ${ORIGIN_MB} MiB, warm-up ${T_ZWARM}s, ${T_Z}s)"
	for c in slow ram $CONTENDERS; do
		start "$c" || continue
		for th in 1.1 0.9; do
			_z="--rw=randread --bs=4k --iodepth=16 --random_distribution=zipf:$th --size=${ORIGIN_MB}M --time_based"
			case $c in slow|ram) ;; *)
				fio_run --name=warm --filename="$DEV" $_z --runtime="$T_ZWARM" ;;
			esac
			measure "zipf$th" 1 $_z --runtime="$T_Z"
		done
		c_remove
	done
}

# 3. Scan resistance: zipf 1.1 hot set (before), one sequential read of the
# whole origin (during), zipf 1.1 again (after).
scan() {
	log "== scan resistance"
	_z="--rw=randread --bs=4k --iodepth=16 --random_distribution=zipf:1.1 --size=${ORIGIN_MB}M --time_based --runtime=$T_S"
	for c in $SCAN_CONTENDERS; do
		start "$c" || continue
		fio_run --name=warm --filename="$DEV" $_z --runtime="$T_SWARM"
		measure scan-before 1 $_z
		measure scan-during 1 --rw=read --bs=64k --iodepth=16 --size=${ORIGIN_MB}M
		measure scan-after 1 $_z
		c_remove
	done
}

# 4. Write bursts over a set that fits the cache: random 4 KiB writes, then
# 70/30 random read/write; then the seconds until nothing is dirty.
writes() {
	log "== writes (${WR_MB} MiB set, ${T_W}s each)"
	for c in fast linear slow $WRITE_CONTENDERS; do
		start "$c" || continue
		[ "$c" = linear ] && { c_remove; continue; }
		_j="--bs=4k --iodepth=16 --size=${WR_MB}M --time_based --runtime=$T_W"
		measure randwrite 1 --rw=randwrite $_j
		measure randrw70 1 --rw=randrw --rwmixread=70 $_j
		case $c in fast|slow) ;; *)
			t0=$(cut -d' ' -f1 /proc/uptime)
			[ "$c" = wc ] && dmsetup message bench 0 flush
			[ "$c" = bc-wb ] && echo 0 >"/sys/block/$BCDEV/bcache/writeback_percent"
			while [ "$(c_dirty)" != 0 ]; do
				awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" -v m="$T_DRAIN" 'BEGIN { exit !(b - a > m) }' && break
				sleep 0.5
			done
			t1=$(cut -d' ' -f1 /proc/uptime)
			d=$(c_dirty)
			echo "CSV,drain,$c,1,-,-,-,-,-,-,-,$(awk -v a="$t0" -v b="$t1" -v d="$d" 'BEGIN { if (d != 0) printf ">%.0fs (dirty %s)", b - a, d; else printf "%.1fs", b - a }')" ;;
		esac
		c_remove
	done
}

# 5. The simulator against the module: the same small deterministic trace
# (skewed 4 KiB reads, one at a time with dd) on ssdcache with a 2 MiB
# cache (32 blocks, 2 sets) and through ssc-sim; the counts must match.
simcmp() {
	log "== ssc-sim against the module"
	awk 'BEGIN { srand(7); for (i = 0; i < 300; i++) {
		b = int(128 * rand() * rand()); s = int(16 * rand())
		printf "R,%d,4096\n", b * 65536 + s * 4096 } }' >/tmp/sim.trace
	for p in lru lfu; do
		_sc=$(dm_create simcache "0 4096 linear $CACHE 0") || return 1
		DEV=$(dm_create bench "0 $OSECT ssdcache $origin $_sc blocksize $BLOCK_SECTORS assoc 4 writethrough options 1 $p") || return 1
		C=ssc-sim-$p
		while IFS=, read -r _op _off _sz; do
			dd if="$DEV" of=/dev/null bs=4096 skip=$((_off / 4096)) count=1 iflag=direct 2>/dev/null
		done </tmp/sim.trace
		_vm=$(dmsetup status bench | tr ' ' '\n' | awk 'p == "read_hits" { h = $0 } p == "read_misses" { m = $0 } { p = $0 } END { print h "," m }')
		_sim=$(ssc-sim -R -f csv -b "$BLOCK_SECTORS" -a 4 -p $p -c 2M -l 512 /tmp/sim.trace | sed -n 's|^read_hits \([0-9]*\) read_misses \([0-9]*\).*|\1/\2|p')
		echo "CSV,simcmp,$p,1,-,-,-,${_vm},-,-,sim hits/misses ${_sim}"
		dm_remove bench
		dm_remove simcache
	done
}

echo "CFG,origin,$(dmsetup table origin) over $(dmsetup table origin-base)"
echo "CFG,cache,${CACHE_MB} MiB brd via $(dmsetup table cache); dm-cache metadata ${META_MB} MiB"
echo "CFG,kernel,$(uname -r)"
for part in ${BENCH_PARTS:-simcmp hit_path zipf scan writes}; do
	$part
done
log "bench done"
