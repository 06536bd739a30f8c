#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# target-matrix: data integrity for every mode x policy x option. For each
# configuration an ssdcache device is built over a slow origin (dm-delay)
# with a cache much smaller than the data, so hits, misses, fills,
# evictions, cancels and write-behinds all happen, while fio runs several
# jobs with crc32c verification: random mixed read/write with block sizes
# from 512 B to 192 KiB (partial blocks, I/O crossing cache blocks) plus a
# reader hammering the same range to race fills against writes. Afterwards
# the data read through the cache must equal the origin's, byte for byte.
# make check splits the configurations between its kernels (lib.sh: mine).
# timeout: 1500
. /vm/lib.sh

load_ssdcache
origin=$(slow_disk origin 64 1) || exit 1
cache=$(ram_disk cache 4) || exit 1
osz=$(sectors "$origin")

NCFG=0
run_one() {
	_mode=$1
	shift
	_line="$_mode${*:+ options $# $*}"
	NCFG=$((NCFG + 1))
	mine $((NCFG - 1)) || { log "=== config: $_line: another kernel's share"; return 0; }
	log "=== config: $_line"
	sc=$(ssdcache_create sc "$origin" "$cache" blocksize 64 assoc 2 $_line) || exit 1
	# writers: 3 jobs on disjoint 2 MiB regions, mixed sizes; reader over
	# all of them at once (no verify) to race fills with the writes
	fio --ioengine=libaio --direct=1 --randrepeat=1 --group_reporting \
		--name=w --filename="$sc" --rw=randrw --rwmixread=40 \
		--bsrange=512-192k --size=2M --offset_increment=2M --numjobs=3 \
		--iodepth=8 --verify=crc32c --verify_fatal=1 --do_verify=1 \
		--name=r --filename="$sc" --rw=randread --bs=4k --size=6M \
		--iodepth=4 --time_based --runtime=4 >fio.out 2>&1 || {
		cat fio.out
		fail "fio failed for '$_line'"
	}
	grep -Eiq 'verify: bad|bad magic|verify failed|err= *[1-9]' fio.out && {
		cat fio.out
		fail "fio verify errors for '$_line'"
	}
	# a second verification pass, read back through the (now warm) cache
	fio --ioengine=libaio --direct=1 --randrepeat=1 --group_reporting \
		--name=w --filename="$sc" --rw=randrw --rwmixread=40 \
		--bsrange=512-192k --size=2M --offset_increment=2M --numjobs=3 \
		--iodepth=8 --verify=crc32c --verify_fatal=1 --verify_only=1 \
		>fio2.out 2>&1 || { cat fio2.out; fail "re-verify failed for '$_line'"; }
	st=$(dmsetup status sc)
	echo "$st"
	# write everything back (lazy write-back keeps dirty data), then compare
	must dmsetup message sc 0 flush
	must dmsetup suspend sc
	must dmsetup resume sc
	a=$(dev_md5 "$sc" 0 8)
	b=$(dev_md5 "$origin" 0 8)
	assert_eq "$a" "$b" "cache == origin for '$_line'"
	dirty=$(dmsetup status sc | awk '{for (i = 1; i < NF; i++) if ($i == "dirty") print $(i + 1)}')
	assert_eq "$dirty" 0 "no dirty blocks left for '$_line'"
	dm_remove sc
	# scrub the cache so the next configuration starts cold (reformat)
	dd if=/dev/zero of="$cache" bs=1M count=4 oflag=direct 2>/dev/null
}

for mode in writethrough writeback readcache; do
	run_one "$mode"
	run_one "$mode" lru
	[ "$mode" = writeback ] && run_one "$mode" eager_writeback
	for opt in async_lookup queue_busy disable_writeback skip_write_insert evict_on_write cmd_preload; do
		run_one "$mode" "$opt"
	done
done
run_one writeback lru async_lookup queue_busy skip_write_insert evict_on_write cmd_preload eager_writeback
run_one writethrough lfu queue_busy evict_on_write
log "matrix done"
