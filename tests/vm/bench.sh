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
#
# Contenders: ssc-* (dm-ssdcache), dmc-* (dm-cache smq), wc (dm-writecache),
# bc-* (bcache), and wb, the out-of-tree dm-writeboost, when its module
# (scripts/fetch-writeboost.sh) was built for this kernel: it is added to
# every list below then, and reported as not measured otherwise.
#   fast    a raw brd disk (for "fast" and "linear")
#
# Output lines on stdout (the host collects them, scripts/bench.sh):
#   CFG,<contender>,<exact table line or make-bcache arguments>
#   CSV,<workload>,<contender>,<round>,<iops>,<p50_us>,<p99_us>,<hits>,
#       <misses>,<hit_ratio>,<origin_frac>,<extra>
# hits/misses/hit_ratio: the target's own read counters (ssdcache, dm-cache,
# dm-writeboost; "-" for others). origin_frac: sectors read from the origin divided by
# sectors the workload read (1 - origin_frac is a byte hit ratio that is
# measured the same way for every contender; promotions that read whole
# blocks can push it above 1). extra: workload-specific (drain seconds).
. /vm/lib.sh

: "${ORIGIN_MB:=640}" "${CACHE_MB:=64}" "${META_MB:=8}" "${HIT_MB:=32}"
: "${WR_MB:=48}" "${DELAY_MS:=2}" "${BLOCK_SECTORS:=128}"
: "${T_HIT:=3}" "${R_HIT:=1}" "${T_ZWARM:=6}" "${T_Z:=5}"
: "${T_SWARM:=8}" "${T_S:=6}" "${T_W:=6}" "${T_DRAIN:=15}"
: "${CONTENDERS:=ssc-wt-lru ssc-wt-lfu ssc-wt-adaptive ssc-wb-lru ssc-wb-lfu ssc-rc-lru ssc-rc-lfu dmc-wt dmc-wb bc-wt bc-wb}"
: "${SCAN_CONTENDERS:=ssc-wt-lru ssc-wt-lfu ssc-wt-adaptive dmc-wt bc-wt}"
: "${WRITE_CONTENDERS:=ssc-wt-lfu ssc-wb-lru ssc-wb-lfu dmc-wt dmc-wb wc bc-wt bc-wb}"

FIO="fio --ioengine=libaio --direct=1 --randrepeat=1 --randseed=42 --group_reporting --minimal"

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
	# dm-writeboost as a read+write cache: read_cache_threshold 127 (the
	# maximum: every 4 KiB read miss is staged into the log, except runs
	# of more than 127 consecutive blocks), writeback_threshold 70 (its
	# readme's example; the default 0 never writes back in the background)
	wb) echo "0 $OSECT writeboost $origin $CACHE 4 writeback_threshold 70 read_cache_threshold 127" ;;
	linear) echo "0 $((HIT_MB * 2048)) linear $FAST 0" ;;
	esac
}

c_create() {
	C=$1
	case $C in
	fast) DEV=$FAST ;;
	ram) DEV=/dev/mapper/origin-base ;;
	slow) DEV=$origin ;;
	linear|ssc-*|dmc-*|wc|wb)
		case $C in
		# every cache starts cold: ssdcache would load the previous
		# contender's clean cache from its superblock (or refuse one
		# formatted for another size, as simcmp leaves it)
		ssc-*) dd if=/dev/zero of="$CACHE" bs=1M count=1 oflag=direct 2>/dev/null ;;
		dmc-*) dd if=/dev/zero of="$META" bs=4096 count=1 oflag=direct 2>/dev/null ;;
		wc) dd if=/dev/zero of="$CACHE" bs=4096 count=1 oflag=direct 2>/dev/null ;;
		# a zeroed first sector makes dm-writeboost format its cache
		wb) dd if=/dev/zero of="$CACHE" bs=1M count=1 oflag=direct 2>/dev/null ;;
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
		if grep -q "no cache" "/sys/block/$BCDEV/bcache/state"; then
			log "bcache did not attach its cache (too small for bcache? see the kernel log)"
			echo "CFG,$C,make-bcache $_args; state $(cat "/sys/block/$BCDEV/bcache/state")"
			c_remove
			return 1
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
		dmsetup status "${DMNAME:-bench}" | tr ' ' '\n' | awk '
			p == "read_hits" { h = $0 } p == "read_misses" { m = $0 } { p = $0 }
			END { print h, m }' ;;
	dmc-*) dmsetup status bench | awk '{ print $8, $9 }' ;;
	# 16 counters from field 11: index write<<3 | hit<<2 | on_buffer<<1 |
	# fullsize (dm-writeboost.h); reads are indices 0-7
	wb) dmsetup status bench | awk '{ print $15 + $16 + $17 + $18, $11 + $12 + $13 + $14 }' ;;
	*) echo "- -" ;;
	esac
}

c_dirty() {
	case $C in
	ssc-*) dmsetup status bench | tr ' ' '\n' | awk 'p == "dirty" { print; exit } { p = $0 }' ;;
	dmc-*) dmsetup status bench | awk '{ print $14 }' ;;
	wc) dmsetup status bench | awk '{ print $5 - $6 }' ;;   # blocks - free
	wb) dmsetup status bench | awk '{ print $10 }' ;;       # nr_dirty_cache_blocks
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
	linear|ssc-*|dmc-*|wc|wb) dm_remove bench ;;
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
			# write everything back: ssdcache's lazy cleaner stops at
			# its low watermark, as bcache's at writeback_percent
			case $c in wc|ssc-wb-*) dmsetup message bench 0 flush ;; esac
			# dm-writeboost's readme: suspend/resume writes out the RAM
			# buffer, drop_caches returns when all is written back (in
			# the background here: it is interruptible, and is stopped
			# with the cap below like the cleaners that are polled)
			_wbp=
			if [ "$c" = wb ]; then
				dmsetup suspend bench && dmsetup resume bench
				dmsetup message bench 0 drop_caches &
				_wbp=$!
			fi
			[ "$c" = bc-wb ] && echo 0 >"/sys/block/$BCDEV/bcache/writeback_percent"
			while [ "$(c_dirty)" != 0 ]; do
				awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" -v m="$T_DRAIN" 'BEGIN { exit !(b - a > m) }' && break
				sleep 0.5
			done
			t1=$(cut -d' ' -f1 /proc/uptime)
			d=$(c_dirty)
			if [ -n "$_wbp" ]; then
				kill -0 "$_wbp" 2>/dev/null && kill "$_wbp"
				wait "$_wbp" 2>/dev/null
			fi
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
		# cold, as ssc-sim: not the cache the previous policy left
		dd if=/dev/zero of="$_sc" bs=1M count=1 oflag=direct 2>/dev/null
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

# ---------------------------------------------------------------- devices
# setup: the origin, cache, metadata and fast disks of every part but
# "scale" (which runs before, while the VM's memory is still free).
setup() {
	_r=$(_vm_ram_next) || exit 1
	FAST=$_r
	origin=$(slow_disk origin "$ORIGIN_MB" "$DELAY_MS") || exit 1
	CACHE=$(ram_disk cache "$CACHE_MB") || exit 1
	META=$(ram_disk meta "$META_MB") || exit 1
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
	echo "CFG,origin,$(dmsetup table origin) over $(dmsetup table origin-base)"
	echo "CFG,cache,${CACHE_MB} MiB brd via $(dmsetup table cache); dm-cache metadata ${META_MB} MiB"
}

# 6. Scale: ssdcache on null_blk without memory backing (no RAM for data),
# 4 KiB sectors, caches of SCALE_TIB TiB in SCALE_BLOCK-sector blocks over
# a null_blk origin twice the largest. Kernel memory of each target
# (/proc/meminfo deltas around dmsetup create, caches dropped) against its
# md_bytes_per_block; then 4 KiB random read hits over SCALE_SET blocks
# spread over the whole cache (one 4 KiB sub-block each, a stride apart
# that gives each its own home set), QD1 and QD32,
# rounds alternating the sizes and the raw null_blk (same offsets).
: "${SCALE_TIB:=1 2 4}" "${SCALE_BLOCK:=2048}" "${SCALE_SET:=32768}"
: "${T_SCALE:=3}" "${R_SCALE:=2}"

# nullb_make NAME SIZE_MB: a null_blk device without memory backing, 4 KiB
# sectors, made through configfs; prints its /dev path.
nullb_make() {
	_d=/sys/kernel/config/nullb/$1
	mkdir "$_d" || return 1
	echo 4096 >"$_d/blocksize"
	echo "$2" >"$_d/size"
	echo 0 >"$_d/memory_backed"
	echo 1 >"$_d/power" || return 1
	for _n in "/dev/$1" "/dev/nullb$(cat "$_d/index")"; do
		[ -b "$_n" ] && { echo "$_n"; return 0; }
	done
	log "null_blk $1 has no device node"
	return 1
}

nullb_remove() {
	echo 0 >"/sys/kernel/config/nullb/$1/power" 2>/dev/null
	rmdir "/sys/kernel/config/nullb/$1"
}

# mem_snap: "MemFree MemAvailable Slab SUnreclaim VmallocUsed Percpu" (KiB)
# after dropping the page cache.
mem_snap() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	awk '{ v[$1] = $2 } END { print v["MemFree:"], v["MemAvailable:"], v["Slab:"], v["SUnreclaim:"], v["VmallocUsed:"], v["Percpu:"] + 0 }' /proc/meminfo
}

# ssc_key NAME KEY: a value of ssdcache NAME's status line.
ssc_key() {
	dmsetup status "$1" | tr ' ' '\n' | awk -v k="$2" 'p == k { print; exit } { p = $0 }'
}

scale() {
	log "== scale (null_blk caches of $SCALE_TIB TiB, blocks of $SCALE_BLOCK sectors)"
	if ! modprobe null_blk nr_devices=0 || [ ! -d /sys/kernel/config/nullb ]; then
		echo "CSV,all,scale,0,-,-,-,-,-,-,-,not measured: no null_blk/configfs"
		return 0
	fi
	_max=0
	for t in $SCALE_TIB; do [ "$t" -gt $_max ] && _max=$t; done
	_od=$(nullb_make scorigin $((_max * 2 * 1024 * 1024))) || return 0
	_raw=$(nullb_make scraw $((_max * 1024 * 1024))) || return 0
	_osect=$(sectors "$_od")
	# the metadata each size needs (Documentation/ssdcache.rst, Memory), to
	# skip a size that cannot fit instead of running the VM out of memory
	_nsub=$((SCALE_BLOCK / 8))
	_bpb=$((24 + 24 * ((_nsub + 63) / 64)))
	_sizes=
	for t in $SCALE_TIB; do
		_cd=$(nullb_make scc$t $((t * 1024 * 1024))) || continue
		_blocks=$((t * 1024 * 1024 * 2048 / SCALE_BLOCK))
		set -- $(mem_snap)
		_need=$((_blocks * _bpb / 1024))
		if [ $((_need + _need / 4 + 262144)) -gt "$2" ]; then
			echo "CSV,scale-mem,ssc-${t}T,1,-,-,-,-,-,-,-,not measured: needs about $((_need / 1024)) MiB of metadata and the VM has $(($2 / 1024)) MiB available"
			nullb_remove scc$t
			continue
		fi
		_m0="$*"
		_t0=$(cut -d' ' -f1 /proc/uptime)
		_tab="0 $_osect ssdcache $_od $_cd blocksize $SCALE_BLOCK assoc 4 writethrough reformat"
		if ! dmsetup create "scale$t" --table "$_tab" >&2; then
			set -- $(mem_snap)
			echo "CSV,scale-mem,ssc-${t}T,1,-,-,-,-,-,-,-,not measured: dmsetup create failed (MemAvailable $(($2 / 1024)) MiB)"
			nullb_remove scc$t
			continue
		fi
		_t1=$(cut -d' ' -f1 /proc/uptime)
		echo "scale$t" >>"$_VM_CREATED"
		[ -b "/dev/mapper/scale$t" ] || dmsetup mknodes "scale$t" >&2
		echo "CFG,ssc-${t}T,$_tab (cache /dev/${_cd##*/}: null_blk ${t} TiB memory_backed=0 blocksize 4096; origin ${_od}: null_blk $((_max * 2)) TiB)"
		set -- $_m0 $(mem_snap)
		echo "CSV,scale-mem,ssc-${t}T,1,-,-,-,-,-,-,-,blocks=$(ssc_key "scale$t" blocks) md_bytes_per_block=$(ssc_key "scale$t" md_bytes_per_block) memfree_kib=$(($1 - $7)) slab_kib=$(($9 - $3)) sunreclaim_kib=$((${10} - $4)) vmalloc_kib=$((${11} - $5)) percpu_kib=$((${12} - $6)) create_s=$(awk -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.1f", b - a }')"
		_sizes="$_sizes $t"
	done
	# the set's stride, in cache blocks: about blocks / SCALE_SET, odd and
	# coprime with the number of sets, so that its blocks have distinct
	# home sets (set = block mod sets)
	for t in $_sizes; do
		eval "_st_$t=$(ssc_key "scale$t" sets | awk -v b=$((t * 1024 * 1024 * 2048 / SCALE_BLOCK)) -v n="$SCALE_SET" '
			function gcd(x, y,   z) { while (y) { z = x % y; x = y; y = z } return x }
			{ s = int(b / n); if (s % 2 == 0) s++; while (gcd(s, $1) != 1) s += 2; print s }')"
	done
	_hit() {
		# $1 = TiB: 4 KiB reads at every stride of the first $1 TiB
		eval "_st=\$_st_$1"
		echo "--bs=4k --ba=$((_st * SCALE_BLOCK / 2))k --size=$(($1 * 1024 * 1024))M"
	}
	for t in $_sizes; do
		eval "_st=\$_st_$t"
		# one read of every offset of the set: misses that fill the cache
		fio_run --name=scwarm --filename="/dev/mapper/scale$t" --rw=read:$((_st * SCALE_BLOCK / 2 - 4))k --bs=4k --size=$((t * 1024 * 1024))M --iodepth=32
		log "ssc-${t}T warmed: stride $_st blocks, $(cut -d' ' -f1 /tmp/fio.res) IOPS, used $(ssc_key "scale$t" used) blocks, sets $(ssc_key "scale$t" sets), sets_used $(ssc_key "scale$t" sets_used), read_misses $(ssc_key "scale$t" read_misses)"
	done
	_o=$origin
	origin=$_od
	r=1
	while [ $r -le "$R_SCALE" ]; do
		for qd in 1 32; do
			for t in $_sizes; do
				# the raw null_blk with the same offsets, then the cache
				C=null@ssc-${t}T DEV=$_raw
				measure "scale-qd$qd" "$r" --rw=randread $(_hit "$t") --iodepth=$qd --time_based --runtime="$T_SCALE"
				C=ssc-${t}T DEV=/dev/mapper/scale$t DMNAME=scale$t
				measure "scale-qd$qd" "$r" --rw=randread $(_hit "$t") --iodepth=$qd --time_based --runtime="$T_SCALE"
				DMNAME=
			done
		done
		r=$((r + 1))
	done
	origin=$_o C=
	for t in $_sizes; do
		set -- $(mem_snap)
		dm_remove "scale$t"
		_m0=$1
		set -- $(mem_snap)
		echo "CSV,scale-free,ssc-${t}T,1,-,-,-,-,-,-,-,memfree_kib=$(($1 - _m0))"
	done
	for t in $SCALE_TIB; do nullb_remove scc$t 2>/dev/null; done
	nullb_remove scraw
	nullb_remove scorigin
}

# 7. Warm-up: zipf 1.1 reads over the whole (slow) origin on a cold cache,
# T_WU seconds; every WU_SLICE seconds, the reads, hits and misses of the
# slice (c_create starts every cache cold). hit ratio: the target's read counters (bcache has none that are
# updated at once: its byte hit ratio, 1 - origin_frac, is used).
: "${T_WU:=30}" "${WU_SLICE:=1}" "${WU_CONTENDERS:=ssc-wt-lfu ssc-wt-lru ssc-wt-adaptive dmc-wt bc-wt}"

# dev_reads DEV: "reads_completed sectors_read" of block device DEV.
dev_reads() {
	_mm=$(stat -L -c '%t %T' "$1")
	set -- $_mm
	awk '{ print $1, $3 }' "/sys/dev/block/$((0x$1)):$((0x$2))/stat"
}

warmup() {
	log "== warm-up (zipf 1.1, ${T_WU}s in ${WU_SLICE}s slices, cold caches)"
	for c in $WU_CONTENDERS; do
		start "$c" || continue
		_dev=$DEV
		$FIO --name=wu --filename="$DEV" --rw=randread --bs=4k --iodepth=16 --random_distribution=zipf:1.1 \
			--size=${ORIGIN_MB}M --time_based --runtime="$T_WU" >/tmp/wu.terse 2>/tmp/wu.err &
		_pid=$!
		set -- $(cut -d' ' -f1 /proc/uptime) $(dev_reads "$_dev") $(dev_rsect "$origin") $(c_hits)
		_prev="$*" _start=$1 _cum=0 i=1
		while kill -0 $_pid 2>/dev/null; do
			sleep "$WU_SLICE"
			set -- $_prev $(cut -d' ' -f1 /proc/uptime) $(dev_reads "$_dev") $(dev_rsect "$origin") $(c_hits)
			_line=$(echo "$* $_start $_cum" | awk -v c="$c" -v i="$i" '
				{ dt = $7 - $1; n = $8 - $2; s = $9 - $3; o = $10 - $4
				  if ($5 == "-") { h = "-"; m = "-"; hr = "-" }
				  else { h = $11 - $5; m = $12 - $6; hr = (h + m) ? sprintf("%.4f", h / (h + m)) : "-" }
				  of = s > 0 ? sprintf("%.4f", o / s) : "-"
				  printf "CSV,warmup,%s,%d,%.0f,-,-,%s,%s,%s,%s,ios=%d t=%.1f\n", c, i, (dt > 0 ? n / dt : 0), h, m, hr, of, $14 + n, $7 - $13 }')
			echo "$_line"
			_cum=${_line##*ios=}
			_cum=${_cum%% *}
			shift 6
			_prev="$*"
			i=$((i + 1))
		done
		wait $_pid || cat /tmp/wu.err >&2
		c_remove
	done
}
# 8. A moving hot set: zipf 1.1 over the whole origin (T_SWARM s), then
# SHIFT_PASSES passes of 4 KiB random reads (QD16; fio's random map reads
# every block once per pass) over a new set of half the cache in the middle
# of the origin; dm-linear on the fast disk over a set of the same size, in
# the same boot, is the yardstick.
: "${SHIFT_PASSES:=4}" "${SHIFT_CONTENDERS:=ssc-wt-lfu ssc-wt-lru ssc-wt-adaptive dmc-wt bc-wt}"
hotshift() {
	_mb=$((CACHE_MB / 2))
	[ "$_mb" -gt "$HIT_MB" ] && _mb=$HIT_MB
	log "== moving hot set (${_mb} MiB at $((ORIGIN_MB / 2)) MiB, $SHIFT_PASSES passes, after zipf 1.1 for ${T_SWARM}s)"
	for c in linear $SHIFT_CONTENDERS; do
		start "$c" || continue
		_j="--rw=randread --bs=4k --iodepth=16 --size=${_mb}M"
		if [ "$c" = linear ]; then
			measure shift-p1 1 $_j
			c_remove
			continue
		fi
		fio_run --name=warm --filename="$DEV" --rw=randread --bs=4k --iodepth=16 --random_distribution=zipf:1.1 \
			--size=${ORIGIN_MB}M --time_based --runtime="$T_SWARM"
		p=1
		while [ $p -le "$SHIFT_PASSES" ]; do
			measure "shift-p$p" 1 $_j --offset=$((ORIGIN_MB / 2))M
			p=$((p + 1))
		done
		c_remove
	done
}

load_ssdcache
load_modules dm-delay dm-cache dm-cache-smq dm-writecache
modprobe bcache 2>/dev/null || log "bcache module missing"
if modprobe dm-writeboost 2>/dev/null && dmsetup targets | grep -q '^writeboost'; then
	CONTENDERS="$CONTENDERS wb" SCAN_CONTENDERS="$SCAN_CONTENDERS wb"
	WRITE_CONTENDERS="$WRITE_CONTENDERS wb" SHIFT_CONTENDERS="$SHIFT_CONTENDERS wb"
	WU_CONTENDERS="$WU_CONTENDERS wb"
	echo "CFG,wb-module,$(dmsetup targets | grep '^writeboost' | tr -s ' \t' ' ') (out of tree: scripts/fetch-writeboost.sh)"
else
	echo "CSV,all,wb,0,-,-,-,-,-,-,-,not measured: no dm-writeboost module for $(uname -r) (scripts/fetch-writeboost.sh: it does not build for every kernel)"
fi
OSECT=$((ORIGIN_MB * 2048))
PARTS=${BENCH_PARTS:-scale simcmp hit_path zipf scan hotshift writes warmup}
echo "CFG,kernel,$(uname -r)"
case " $PARTS " in *" scale "*) scale ;; esac
setup
for part in $PARTS; do
	[ "$part" = scale ] || $part
done
log "bench done"
