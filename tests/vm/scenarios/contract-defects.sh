#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# contract-defects: the four data-integrity defects of issue 11, each
# reproduced the way it was first seen, as regression tests.
#  1. a writeback target over devices without a volatile write cache
#     advertises one, and fsync reaches it (flushes and commits counted);
#  2. clean entries dropped by a cold start do not come back at the next
#     clean start;
#  3. concurrent read misses of one block install it once (used blocks
#     never exceed the blocks read, and the cache loads again);
#  4. a write next to a reader of the same cache block never exposes the
#     origin's data from before the last completed write.
# The general checkers (contract-register, contract-powerloss,
# contract-restart) judge the device by the contract instead.
# timeout: 400
. /vm/lib.sh

load_ssdcache
load_modules dm-delay

# pattern FILE TEXT: 512 bytes of TEXT repeated.
pattern() {
	yes "$2" | tr -d '\n' | head -c 512 >"$1"
}

# sector_md5 DEV SECTOR (busybox dd falls back to buffered I/O when its
# buffer is not aligned for O_DIRECT: a 512-byte write through it becomes a
# read-modify-write of a page; ssc-dio does exactly the I/O asked for)
sector_md5() {
	ssc-dio read "$1" $(($2 * 512)) 512 | md5sum | cut -d' ' -f1
}

# sync_dev DEV: fsync (a flush) of the block device
sync_dev() {
	ssc-dio flush "$1"
}

dm_minor() {
	dmsetup info -c --noheadings -o minor "$1" | tr -d ' '
}

# stat_sum NAME KEY...: the sum of those status counters of NAME.
stat_sum() {
	_n=$1
	shift
	_s=0
	for _k in "$@"; do
		_s=$((_s + $(ssc_stat "$_n" "$_k")))
	done
	echo "$_s"
}

# wait_stat NAME OLD TRIES KEY...: wait (0.1 s steps) until the sum of the
# counters differs from OLD.
wait_stat() {
	_n=$1 _o=$2 _t=$3
	shift 3
	while [ "$_t" -gt 0 ]; do
		[ "$(stat_sum "$_n" "$@")" != "$_o" ] && return 0
		sleep 0.1
		_t=$((_t - 1))
	done
	return 1
}

# ---- 1: flushes reach a writeback target over devices without a write cache
part1() {
	log "1: flush_supported over brd"
	o=$(ram_disk d1-origin 32) || exit 1
	c=$(ram_disk d1-cache 16) || exit 1
	wc_o=$(cat "/sys/block/dm-$(dm_minor d1-origin)/queue/write_cache")
	log "origin (brd under dm-linear) queue/write_cache: $wc_o"
	sc=$(ssdcache_create d1 "$o" "$c" blocksize 8 writeback) || exit 1
	assert_eq "$(cat "/sys/block/dm-$(dm_minor d1)/queue/write_cache")" "write back" \
		"ssdcache over write-through devices advertises a write cache"
	run_fio --name=fsync --filename="$sc" --rw=randwrite --bs=4k --size=2M \
		--iodepth=1 --fsync=1 --number_ios=64
	f=$(ssc_stat d1 flushes)
	cm=$(ssc_stat d1 commits)
	log "after fio --fsync=1: flushes $f commits $cm"
	[ "$f" -ge 32 ] || fail "fsync did not reach the target: flushes $f"
	[ "$cm" -ge 1 ] || fail "no metadata commit for the flushes"
	dm_remove d1
}

# ---- 2: a cold start drops clean entries durably
part2() {
	log "2: cold start, then clean start"
	o=$(slow_disk d2-origin 32 1) || exit 1
	c=$(ram_disk d2-cache 16) || exit 1
	dd if=/dev/urandom of="$o" bs=1M count=8 oflag=direct 2>/dev/null || fail "fill origin"
	sc=$(ssdcache_create d2 "$o" "$c" blocksize 64 writethrough) || exit 1
	dev_md5 "$sc" 0 8 >/dev/null
	[ "$(ssc_stat d2 used)" -gt 0 ] || fail "nothing cached"
	dm_remove d2
	dd if=/dev/urandom of="$o" bs=1M count=8 oflag=direct 2>/dev/null || fail "rewrite origin"
	want=$(dev_md5 "$o" 0 8)
	sc=$(ssdcache_create d2 "$o" "$c" blocksize 64 writethrough) || exit 1
	assert_eq "$(ssc_stat d2 used)" 0 "changed origin: cold start"
	dm_remove d2
	sc=$(ssdcache_create d2 "$o" "$c" blocksize 64 writethrough) || exit 1
	assert_eq "$(ssc_stat d2 used)" 0 "clean start after the cold start holds nothing"
	assert_eq "$(dev_md5 "$sc" 0 8)" "$want" "reads return the origin's current data"
	dm_remove d2
}

# ---- 3: concurrent read misses of one block
part3() {
	log "3: eight concurrent readers of one range, 4 KiB blocks"
	o=$(slow_disk d3-origin 32 2) || exit 1
	c=$(ram_disk d3-cache 32) || exit 1
	dd if=/dev/urandom of="$o" bs=1M count=2 oflag=direct 2>/dev/null || fail "fill origin"
	# fio starts its eight jobs together: they miss on the same blocks
	for round in 1 2 3; do
		sc=$(ssdcache_create d3 "$o" "$c" blocksize 8 writethrough reformat) || exit 1
		run_fio --name=readers --filename="$sc" --rw=read --bs=4k --size=2M \
			--ioengine=psync --numjobs=8 >/dev/null
		used=$(ssc_stat d3 used)
		log "round $round: 2 MiB (512 blocks) read by 8 readers at once: $used blocks used"
		[ "$used" -le 512 ] || fail "$used blocks cached for 512 distinct blocks: a block was installed twice"
		[ "$round" = 3 ] || dm_remove d3
	done
	want=$(dev_md5 "$o" 0 2)
	dm_remove d3
	sc=$(ssdcache_create d3 "$o" "$c" blocksize 8 writethrough) ||
		fail "the cache does not load after concurrent misses"
	assert_eq "$(ssc_stat d3 used)" "$used" "warm restart keeps the blocks"
	assert_eq "$(dev_md5 "$sc" 0 2)" "$want" "data after the restart"
	dm_remove d3
}

# ---- 4: a write beside a reader of the same block, over dirty data
part4() {
	log "4: write next to a reader, reads 1500 ms, writes 3000 ms"
	b=$(ram_disk d4-base 32) || exit 1
	n=$(sectors "$b")
	o=$(dm_create d4-origin "0 $n delay $b 0 1500 $b 0 3000") || exit 1
	c=$(ram_disk d4-cache 16) || exit 1
	sc=$(ssdcache_create d4 "$o" "$c" blocksize 8 writeback) || exit 1
	pattern d1.bin D1-
	pattern d2.bin D2-
	d1=$(md5sum <d1.bin | cut -d' ' -f1)
	d2=$(md5sum <d2.bin | cut -d' ' -f1)
	# (blocks away from the ends: the partition scan has read those)
	for blk in 1000 1005 1009; do
		s=$((blk * 8))
		ssc-dio write "$sc" $((s * 512)) <d1.bin || fail "write D1"
		must sync_dev "$sc"
		assert_eq "$(sector_md5 "$sc" "$s")" "$d1" "D1 at sector $s"
		# a reader of another sector of the block, slow on the origin
		m=$(stat_sum d4 read_misses)
		ssc-dio read "$sc" $(((s + 4) * 512)) 512 >/dev/null &
		r=$!
		wait_stat d4 "$m" 50 read_misses || { dmsetup status d4; fail "the reader never started (read_misses $m)"; }
		sleep 0.2
		e=$(stat_sum d4 write_busy write_cancel)
		ssc-dio write "$sc" $((s * 512)) <d2.bin &
		w=$!
		# until D2 waited for the reader or cancelled the cached copy (a
		# few looks only: each status costs ~0.5 s under TCG, and a
		# write that did neither is judged below all the same)
		wait_stat d4 "$e" 6 write_busy write_cancel
		got=$(sector_md5 "$sc" "$s")
		[ "$got" = "$d1" ] || [ "$got" = "$d2" ] ||
			fail "sector $s read during the write of D2 returned neither D1 nor D2 (older origin data)"
		wait "$r"
		wait "$w" || fail "write D2"
		log "read_hits $(ssc_stat d4 read_hits) read_misses $(ssc_stat d4 read_misses) write_cancel $(ssc_stat d4 write_cancel) write_busy $(ssc_stat d4 write_busy)"
		assert_eq "$(sector_md5 "$sc" "$s")" "$d2" "D2 at sector $s once written"
	done
	dm_remove d4
}

# Each part runs in a subshell, so that one failure does not hide the others.
bad=
for p in 1 2 3 4; do
	(part$p) || bad="$bad $p"
done
[ -z "$bad" ] || fail "defects reproduced:$bad"
log "contract-defects done"
