#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# debug-failrequest: I/O errors from the devices under the target
# (fail_make_request: /sys/block/<dev>/make-it-fail on the cache's, then the
# origin's disk, 10 % of their bios failed) while fio runs mixed I/O through
# it, in every mode (debug kernel only, make check-debug). I/O errors are
# expected (fio ignores them); the target must count them, fail the cache
# after too many, and afterwards take cache_ok, work (a verified fio pass),
# flush and go away, with no kernel report (KASAN, lockdep, WARNING, ...).
# timeout: 900
# boot: own
# check: no
. /vm/lib.sh

need_debug_kernel
load_ssdcache
PHASE_S=${PHASE_S:-8}
n=0

run_mode() {
	_line="$*"
	n=$((n + 1))
	log "=== $_line"
	o=$(slow_disk "fro$n" 128 1) || exit 1
	c=$(ram_disk "frc$n" 32) || exit 1
	sc=$(ssdcache_create "fr$n" "$o" "$c" blocksize 128 $_line) || exit 1
	fio --ioengine=libaio --direct=1 --randrepeat=1 --group_reporting \
		--name=io --filename="$sc" --rw=randrw --rwmixread=50 \
		--bsrange=4k-64k --size=64M --numjobs=2 --iodepth=8 \
		--continue_on_error=all --time_based --runtime=1200 \
		>fio.out 2>&1 &
	fpid=$!
	wait_io "$sc"
	fault_on fail_make_request 10
	make_it_fail "$c" 1
	sleep "$PHASE_S"
	make_it_fail "$c" 0
	make_it_fail "$o-base" 1
	sleep "$PHASE_S"
	make_it_fail "$o-base" 0
	nf=$(fault_off fail_make_request)
	faults_reset
	kill "$fpid" 2>/dev/null
	wait "$fpid" || true
	log "$nf bios failed; cache_errors $(ssc_stat "fr$n" cache_errors) origin_errors $(ssc_stat "fr$n" origin_errors) cache_state $(ssc_stat "fr$n" cache_state) md_errors $(ssc_stat "fr$n" md_errors)"
	grep -E 'err=' fio.out | head -n 2
	# the devices work again: bring the cache back, then verified I/O
	must dmsetup suspend "fr$n"
	must dmsetup message "fr$n" 0 cache_ok
	must dmsetup resume "fr$n"
	run_fio --name=v --filename="$sc" --rw=randwrite --bs=16k --size=16M \
		--iodepth=8 --verify=crc32c --verify_fatal=1 --do_verify=1
	case $_line in
	writeback*) must dmsetup message "fr$n" 0 flush ;;
	esac
	echo "status: $(dmsetup status "fr$n")"
	dm_remove "fr$n"
}

run_mode writethrough
run_mode writeback
run_mode writeback options 1 eager_writeback
run_mode readcache
log "failrequest done"
