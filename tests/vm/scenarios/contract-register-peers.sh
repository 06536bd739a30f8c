#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# contract-register-peers: the register check (ssc-regcheck, as in
# contract-register) on devices that keep the contract: a RAM disk, dm-delay
# with asymmetric delays both ways, dm-flakey failing all I/O one second in
# two, dm-cache (writeback, smq) and dm-writecache over a slow origin. Every
# one must pass: the checker must not see violations where there are none
# (I/O errors, reordering by latency, torn sectors during a write on brd).
# Not part of make check (about 80 s):
#   scripts/vm-run.sh -k 6.1 -v contract-register-peers
# check: no
# timeout: 600
. /vm/lib.sh

load_modules dm-mod dm-delay dm-flakey dm-cache dm-cache-smq dm-writecache
PREEMPT=/sys/kernel/debug/sched/preempt
[ -f $PREEMPT ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
if [ -f $PREEMPT ]; then
	PREEMPT_WAS=$(sed 's/.*(\([a-z]*\)).*/\1/' $PREEMPT)
	echo full >$PREEMPT
	trap 'echo "$PREEMPT_WAS" >$PREEMPT; _vm_cleanup' EXIT
fi
ob=$(ram_disk pr_obase 64) || exit 1
cb=$(ram_disk pr_cbase 8) || exit 1
mb=$(ram_disk pr_mbase 8) || exit 1
OSZ=$(sectors "$ob")
od=$(dm_create pr_od "0 $OSZ delay $ob 0 0 $ob 0 30") || exit 1
N=0
NFAIL=0

check() {	# WHAT DEV [ssc-regcheck options]
	_what=$1 _dev=$2
	shift 2
	N=$((N + 1))
	ssc-regcheck run --dev "$_dev" --offset-mb 8 --region-mb 16 --threads 8 --seconds 8 \
		--round "$N" --block-bytes 4096 --rt-herd --reports 3 "$@" >out.$N 2>&1
	_rc=$?
	if [ $_rc = 0 ]; then
		grep '^regcheck:' out.$N
		log "$_what: passed"
	else
		cat out.$N
		log "$_what: FAILED (exit $_rc)"
		NFAIL=$((NFAIL + 1))
	fi
}

check "brd" "$ob" --herd-pct 50
check "dm-delay, reads 0 ms, writes 30 ms" "$od" --herd-pct 50
dmsetup reload pr_od --table "0 $OSZ delay $ob 0 30 $ob 0 0" && dmsetup resume pr_od || fail "reload pr_od"
check "dm-delay, reads 30 ms, writes 0 ms" "$od"

f=$(dm_create pr_f "0 $OSZ linear $ob 0") || exit 1
mkdir sync
(	# errors once the initial content is written, healthy again before the end
	while [ ! -f sync/ready ]; do sleep 0.1; done
	dmsetup reload pr_f --table "0 $OSZ flakey $ob 0 1 1" && dmsetup resume pr_f
	sleep 8
	dmsetup reload pr_f --table "0 $OSZ linear $ob 0" && dmsetup resume pr_f
	while [ ! -f sync/done ]; do sleep 0.1; done
	touch sync/quiet
) &
check "dm-flakey, all I/O failing 1 s in 2" "$f" --seconds 12 --sync-dir sync
wait

dmsetup reload pr_od --table "0 $OSZ delay $ob 0 0 $ob 0 30" && dmsetup resume pr_od || fail "reload pr_od"
dd if=/dev/zero of="$mb" bs=4096 count=1 oflag=direct 2>/dev/null
dc=$(dm_create pr_dc "0 $OSZ cache $mb $cb $od 64 1 writeback smq 0") || exit 1
check "dm-cache writeback smq, 32 KiB blocks" "$dc" --block-bytes 32768
dm_remove pr_dc
dd if=/dev/zero of="$cb" bs=4096 count=1 oflag=direct 2>/dev/null
wc=$(dm_create pr_wc "0 $OSZ writecache s $od $cb 4096 0") || exit 1
check "dm-writecache" "$wc"
dm_remove pr_wc

[ $NFAIL = 0 ] || fail "the register check failed on $NFAIL of $N devices that keep the contract"
log "the register check passed on all $N devices"
