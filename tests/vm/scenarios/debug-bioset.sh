#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# debug-bioset: do writes make progress when the slab allocator cannot give
# the target anything for a while, i.e. when every bio, bio_vec and
# write-behind allocation lives on its pool's reserve? (debug kernel only,
# make check-debug). failslab fails 100 % of the allocations from the bio-*,
# biovec-* and ssc_wb slab caches (sleeping ones too: ignore-gfp-wait N,
# cache-filter Y) for STALL_S * 2 seconds while fio writes through the
# target on both vCPUs; then the allocator works again.
#  writethrough   two clones per write from the target's bio_set (2
#                 reserved bios, no rescuer) in the submitter's context:
#                 two submitters holding one reserved bio each wait for
#                 the second one forever
#  eager          write-behinds from the ssc_wb mempool (64 reserved) in
#                 map context, returned by kcopyd completions
# A layer that keeps completing I/O on its reserves passes. If the target
# completes no I/O for STALL_S seconds, the blocked tasks are dumped (sysrq
# w: their stacks land in the kernel log, which fails the scenario too) and
# the scenario fails; the injection is then turned off and the writes must
# complete.
# timeout: 600
# boot: own
# check: no
. /vm/lib.sh

need_debug_kernel
load_ssdcache
STALL_S=${STALL_S:-20}
bad=

run_one() {
	_n=$1
	shift
	_line="$*"
	log "=== $_line"
	o=$(slow_disk "bso$_n" 64 1) || exit 1
	c=$(ram_disk "bsc$_n" 16) || exit 1
	sc=$(ssdcache_create "bs$_n" "$o" "$c" blocksize 64 $_line) || exit 1
	fio --ioengine=libaio --direct=1 --randrepeat=1 --group_reporting \
		--name=w --filename="$sc" --rw=randwrite --bs=4k --size=32M \
		--numjobs=4 --iodepth=16 --continue_on_error=all --time_based \
		--runtime=1200 >fio.out 2>&1 &
	fpid=$!
	wait_io "$sc"
	log "failing every allocation from: $(failslab_caches)"
	fault_on failslab 100 ignore-gfp-wait=N cache-filter=Y
	stalled=0
	watch_progress "$sc" $((STALL_S * 2)) "$STALL_S" || stalled=1
	n=$(fault_off failslab)
	faults_reset
	log "$n allocations failed; stalled=$stalled"
	# with the allocator back, the stuck allocations retry within 5 s
	if ! watch_progress "$sc" 30 20; then
		kill "$fpid" 2>/dev/null
		fail "'$_line': no progress even after the injection stopped"
	fi
	kill "$fpid" 2>/dev/null
	wait "$fpid" 2>/dev/null
	if [ "$stalled" = 0 ]; then
		log "ok: '$_line' kept completing I/O on its reserves"
	else
		log "FAILED: '$_line' stalled"
		bad="$bad '$_line'"
	fi
	dmsetup message "bs$_n" 0 flush 2>/dev/null
	dm_remove "bs$_n"
}

run_one 1 writethrough
run_one 2 writeback options 1 eager_writeback
[ -z "$bad" ] ||
	fail "writes stalled while bio/write-behind allocations failed (pool reserves deadlocked; stacks in the kernel log):$bad"
log "bioset done"
