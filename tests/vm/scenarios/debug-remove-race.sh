#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# debug-remove-race: does the target touch its context after it completed
# the last bio, i.e. after the device may already be gone? (debug kernel
# only, make check-debug: KASAN reports the use after free). A write-back
# write's completion (cache half done, lazy write-back) calls bio_endio()
# and then looks at the context again (ssc_kick_cleaner in
# ssc_write_complete). The helper module vmtest_endio_sleep
# (tests/vm/kmod) writes one 4 KiB bio to the target from a worker; its
# completion handler lets insmod return and sleeps 3 s (it runs in that
# worker, where sleeping is allowed: the cache is a brd-backed dm-linear,
# which completes synchronously). The device is removed meanwhile, as a
# remove racing a completion that got preempted right after bio_endio()
# would. The scenario itself passes; a KASAN report in the kernel log fails
# it.
# timeout: 300
# boot: own
# check: no
. /vm/lib.sh

need_debug_kernel
load_ssdcache
o=$(ram_disk rro 16) || exit 1
c=$(ram_disk rrc 8) || exit 1
for i in 1 2; do
	log "round $i"
	ssdcache_create rr "$o" "$c" writeback >/dev/null || exit 1
	must modprobe vmtest_endio_sleep path=/dev/mapper/rr sector=$((i * 64)) sleep_ms=3000
	dmesg | grep vmtest_endio_sleep | tail -n 1
	must dm_remove rr
	log "removed rr while the write's completion was still running"
	sleep 4
	dmesg | grep vmtest_endio_sleep | tail -n 1
	must rmmod vmtest_endio_sleep
done
log "remove race done"
