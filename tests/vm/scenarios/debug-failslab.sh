#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# debug-failslab: allocation failures on the I/O path (debug kernel only,
# make check-debug). Origin and cache are null_blk devices with 4 KiB
# logical blocks (memory backed), completing from an hrtimer, i.e. in
# interrupt context: the fills ssdcache starts from a read's completion
# copy 1 MiB blocks into 256 pages allocated GFP_ATOMIC there. For each
# mode, while fio runs mixed I/O through the target:
#  phase A  failslab and fail_page_alloc (min-order 0) fail 10 % of the
#           allocations that cannot sleep (ignore-gfp-wait: the default),
#           kernel-wide, task-filter off: GFP_ATOMIC / GFP_NOWAIT, and the
#           first, non-sleeping attempt of every mempool_alloc;
#  phase B  failslab fails 20 % of every allocation, sleeping ones too, but
#           only from the slab caches ssdcache allocates its bios, bio_vecs
#           and write-behinds from (bio-*, biovec-*, ssc_wb: cache-filter Y
#           and slub_debug=A), so biosets and mempools live on their
#           reserves.
# I/O errors are expected and fio ignores them; afterwards the device must
# work again (a verified fio pass), flush and go away. The harness fails
# the scenario on any kernel report (KASAN, lockdep, sleeping in atomic
# context, WARNING, hung task, kmemleak of dm_ssdcache).
# timeout: 900
# boot: own
# check: no
. /vm/lib.sh

need_debug_kernel
load_ssdcache
modprobe -r null_blk 2>/dev/null
modprobe null_blk nr_devices=2 bs=4096 gb=1 memory_backed=1 irqmode=2 \
	completion_nsec=20000 || fail "modprobe null_blk"
origin=/dev/nullb0
# a 48 MiB cache for 96 MiB of data: misses, fills and evictions
cache=$(dm_create fslc "0 98304 linear /dev/nullb1 0") || exit 1
PHASE_S=${PHASE_S:-12}

# fio_bg NAME DEV: mixed random I/O, errors ignored, in the background
# (FIO_PID) until killed
fio_bg() {
	fio --ioengine=libaio --direct=1 --randrepeat=1 --group_reporting \
		--name="$1" --filename="$2" --rw=randrw --rwmixread=50 \
		--bsrange=4k-256k --size=96M --numjobs=2 --iodepth=8 \
		--continue_on_error=all --time_based --runtime=1200 \
		>"fio-$1.out" 2>&1 &
	FIO_PID=$!
}

run_mode() {
	_line="$*"
	log "=== $_line"
	dd if=/dev/zero of="$cache" bs=1M count=4 oflag=direct 2>/dev/null
	sc=$(ssdcache_create fsl "$origin" "$cache" blocksize 2048 $_line) || exit 1
	fio_bg io "$sc"
	wait_io "$sc"
	fault_on failslab 10
	fault_on fail_page_alloc 10 min-order=0
	sleep "$PHASE_S"
	na=$(fault_off failslab)
	np=$(fault_off fail_page_alloc)
	log "phase A: $na slab and $np page allocations failed"
	log "phase B caches: $(failslab_caches)"
	fault_on failslab 20 ignore-gfp-wait=N cache-filter=Y
	sleep "$PHASE_S"
	nb=$(fault_off failslab)
	faults_reset
	log "phase B: $nb allocations failed (ssc_wb, bio, biovec caches)"
	kill $FIO_PID 2>/dev/null
	wait $FIO_PID || true
	grep -E 'err=|IOPS' fio-io.out | head -n 4
	echo "status: $(dmsetup status fsl)"
	log "cancelled_fills $(ssc_stat fsl cancelled_fills) cancelled_bios $(ssc_stat fsl cancelled_bios) fills $(ssc_stat fsl fills)"
	# no faults now: the device must work as before
	run_fio --name=v --filename="$sc" --rw=randwrite --bs=64k --size=32M \
		--iodepth=8 --verify=crc32c --verify_fatal=1 --do_verify=1
	case $_line in
	writeback*) must dmsetup message fsl 0 flush ;;
	esac
	dm_remove fsl
}

run_mode writethrough
run_mode writeback
run_mode writeback options 1 eager_writeback
run_mode readcache
log "failslab done"
