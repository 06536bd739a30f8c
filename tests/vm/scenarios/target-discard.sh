#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# target-discard: discards and write-zeroes go to the origin and invalidate
# the cached copies they cover, across cache block boundaries; flushes
# complete in every mode.
# timeout: 300
. /vm/lib.sh

load_ssdcache
origin=$(slow_disk origin 32 1) || exit 1
cache=$(ram_disk cache 8) || exit 1

for mode in writethrough writeback readcache; do
	sc=$(ssdcache_create sc "$origin" "$cache" blocksize 64 $mode) || exit 1
	dd if=/dev/urandom of="$sc" bs=1M count=4 oflag=direct 2>/dev/null || fail "fill"
	# read twice: the second read is served from the cache
	dev_md5 "$sc" 0 4 >/dev/null
	dmsetup suspend sc && dmsetup resume sc
	dev_md5 "$sc" 0 4 >/dev/null
	# zero 1 MiB + 3 sectors starting mid-block
	must /usr/sbin/blkdiscard -z -o $((512 * 1024 + 4096)) -l $((1024 * 1024 + 4096)) "$sc"
	a=$(dev_md5 "$sc" 0 4)
	# write-back mode keeps dirty data in the cache: write it back first
	must dmsetup message sc 0 flush
	b=$(dev_md5 "$origin" 0 4)
	assert_eq "$a" "$b" "$mode: write-zeroes seen through the cache"
	z=$(dd if="$sc" bs=4096 skip=129 count=256 iflag=direct 2>/dev/null | md5sum)
	zz=$(dd if=/dev/zero bs=4096 count=256 2>/dev/null | md5sum)
	assert_eq "$z" "$zz" "$mode: zeroed range reads back as zeroes"
	if /usr/sbin/blkdiscard -o 0 -l $((2 * 1024 * 1024)) "$sc" 2>/dev/null; then
		a=$(dev_md5 "$sc" 0 4)
		must dmsetup message sc 0 flush
		b=$(dev_md5 "$origin" 0 4)
		assert_eq "$a" "$b" "$mode: discard invalidated the cached copy"
	else
		log "$mode: discard not supported by the stack"
	fi
	# flush with and without data
	dd if=/dev/urandom of="$sc" bs=4k count=16 conv=fsync 2>/dev/null || fail "fsync write"
	must sync
	must blockdev --flushbufs "$sc"
	dmsetup status sc
	dm_remove sc
done
# an origin that really discards (loop over tmpfs punches holes), so the
# target sees REQ_OP_DISCARD; the cache device (brd) cannot discard
load_modules loop
truncate -s 32M origin.img
lo=$(losetup -f) || fail "no free loop device"
must losetup "$lo" origin.img
sc=$(ssdcache_create sc "$lo" "$cache" blocksize 64) || exit 1
dd if=/dev/urandom of="$sc" bs=1M count=4 oflag=direct 2>/dev/null || fail "fill"
dev_md5 "$sc" 0 4 >/dev/null
dmsetup suspend sc && dmsetup resume sc
dev_md5 "$sc" 0 4 >/dev/null
hits=$(ssc_stat sc read_hits)
[ "$hits" -gt 0 ] || fail "no read hits before the discard"
# 1 MiB + 4 KiB from mid-block: crosses 33 cache blocks
must /usr/sbin/blkdiscard -o $((512 * 1024 + 4096)) -l $((1024 * 1024 + 4096)) "$sc"
n=$(ssc_stat sc discards)
[ "$n" -ge 33 ] || fail "expected the discard split per cache block, saw $n"
a=$(dev_md5 "$sc" 0 4)
b=$(dev_md5 "$lo" 0 4)
assert_eq "$a" "$b" "discard invalidated the cached copies"
z=$(dd if="$sc" bs=4096 skip=129 count=257 iflag=direct 2>/dev/null | md5sum)
zz=$(dd if=/dev/zero bs=4096 count=257 2>/dev/null | md5sum)
assert_eq "$z" "$zz" "discarded range reads back as the origin's zeroes"
dmsetup status sc
dm_remove sc
losetup -d "$lo"
log "discard done"
