#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# persist-powercut: write-back cache on virtio disks; data written and
# flushed before a power cut is all there after it (from the cache's dirty
# blocks), while more writes ran when the power went; writethrough comes
# back cold and consistent.
# disks: 48M 24M
# powercut: marker
# timeout: 300
. /vm/lib.sh

load_ssdcache
odisk=$(vdisk 1) || exit 1
cdisk=$(vdisk 2) || exit 1
LEN=$((40 * 2048))          # cached region: 40 MiB; the md5 record lives at 44 MiB
RECORD=$((44 * 256))
TABLE="0 $LEN ssdcache $odisk $cdisk blocksize 64 writeback"

if [ "$PHASE" = 1 ]; then
	dd if=/dev/zero of="$odisk" bs=1M count=44 oflag=direct 2>/dev/null
	sc=$(dm_create sc "$TABLE reformat") || exit 1
	must dmsetup message sc 0 high_watermark 100
	# 16 MiB of whole-block random writes, then a flush
	run_fio --name=w --filename="$sc" --rw=randwrite --bs=32k --size=16M --io_size=12M \
		--iodepth=8 --end_fsync=1 >/dev/null
	dirty=$(ssc_stat sc dirty)
	[ "$dirty" -gt 0 ] || fail "nothing dirty before the power cut"
	sum=$(dev_md5 "$sc" 0 16)
	dmsetup status sc
	echo "$sum $dirty" | dd of="$odisk" bs=4096 seek=$RECORD conv=sync oflag=direct 2>/dev/null
	blockdev --flushbufs "$odisk"
	log "flushed data md5 $sum with $dirty dirty blocks; writing more and cutting power"
	(
		while :; do
			dd if=/dev/urandom of="$sc" bs=4k count=8 seek=$((4096 + RANDOM % 4000)) oflag=direct 2>/dev/null
		done
	) &
	sleep 2
	powercut_now
fi

set -- $(dd if="$odisk" bs=4096 skip=$RECORD count=1 2>/dev/null | tr -d '\0')
want=$1
[ ${#want} = 32 ] || fail "no md5 record"
sc=$(dm_create sc "$TABLE") || exit 1
dmsetup status sc
set -- $(dd if="$odisk" bs=4096 skip=$RECORD count=1 2>/dev/null | tr -d '\0')
# the cleaner may already be writing them back (default watermarks)
rec=$(($(ssc_stat sc dirty) + $(ssc_stat sc cleaned)))
log "recovered $rec dirty blocks; $2 were dirty at the flush"
[ "$rec" -ge "$2" ] || fail "dirty blocks lost: $rec < $2"
assert_eq "$(dev_md5 "$sc" 0 16)" "$want" "flushed data intact after the power cut"
must dmsetup message sc 0 flush
assert_eq "$(dev_md5 "$odisk" 0 16)" "$want" "and on the origin after flush"
[ "$(ssc_stat sc dirty)" = 0 ] || fail "dirty left after flush"
dm_remove sc
log "persist-powercut done"
