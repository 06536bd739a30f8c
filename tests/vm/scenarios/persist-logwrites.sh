#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# persist-logwrites: flush ordering, the fstests way. Origin and cache are
# two dm-linear slices of one dm-log-writes device, so every write and
# flush ssdcache sends to either lands in one ordered log. A write-back
# workload with flushes runs (ssc-crashtest, a dm-log-writes mark after
# every completed flush); then ssc-logreplay rebuilds the devices' state at
# cut points: right after a flush, and between two flushes with a random
# half of the unflushed writes dropped (what a disk with a volatile cache
# may hold after a power cut). On every state, the target is re-created
# with the same table and must hold every write its user saw flushed, and
# nothing never written; after a "flush" message the origin alone must.
# Two runs: "hits" (origin smaller than the cache, cleaner off: every write
# stays dirty in the cache, so the state hangs on the metadata commits
# alone; it catches a superblock write without REQ_PREFLUSH) and "cleaner"
# (origin twice the cache, default watermarks: cleaning, skipped writes
# and evictions race the commits). Origin and cache share one log, so a
# flush of either flushes both: a missing origin flush is not caught here.
# timeout: 900
. /vm/lib.sh

load_ssdcache
load_modules dm-log-writes
CMB=8
CS=$((CMB * 2048))
ARGS="blocksize 64 writeback"
MARK_CUTS=${MARK_CUTS:-4}
FLUSH_CUTS=${FLUSH_CUTS:-3}
BETWEEN_CUTS=${BETWEEN_CUTS:-2}
logdev=$(_vm_ram_next) || exit 1
rep=$(ram_disk rep 24) || exit 1

# cut_at KIND K [SEED KEEP%]: rebuild the state, re-create the target on
# it, check the data through it and, after "flush", on the origin alone.
cut_at() {
	must dd if=/dev/zero of="$rep" bs=1M count=$((OMB + CMB)) oflag=direct 2>/dev/null
	if [ "$1" = flush ]; then
		ssc-logreplay replay "$logdev" "$rep" --flush "$2" >cut.out || fail "replay failed"
	else
		ssc-logreplay replay "$logdev" "$rep" --between "$2" --seed "$3" --keep "$4" >cut.out ||
			fail "replay failed"
	fi
	mark=$(sed -n 's/.* mark=//p' cut.out)
	case $mark in
	scj*) recs=$((${mark#scj} + 1)) ;;
	dm-log-writes-end) recs=$nrec ;;
	*) recs=0 ;;
	esac
	ro=$(dm_create ro "0 $OS linear $rep 0") || exit 1
	rc=$(dm_create rc "0 $CS linear $rep $OS") || exit 1
	rsc=$(dm_create rsc "0 $OS ssdcache $ro $rc $ARGS") ||
		fail "$run: the target refused the state at $(cat cut.out)"
	d=$(ssc_stat rsc dirty)
	ssc-crashtest verify --dev "$rsc" --journal "$PWD/journal" --records "$recs" >v.out 2>&1 || {
		cat v.out
		fail "$run: wrong data through the cache at $(cat cut.out)"
	}
	must dmsetup message rsc 0 flush
	dm_remove rsc
	ssc-crashtest verify --dev "$ro" --journal "$PWD/journal" --records "$recs" >v2.out 2>&1 || {
		cat v2.out
		fail "$run: wrong data on the origin after flush at $(cat cut.out)"
	}
	dm_remove ro
	dm_remove rc
	ncut=$((ncut + 1))
	log "ok: $run $(cat cut.out) recovered dirty $d, $(sed -n 's/.*: \([0-9]* required by flushes\).*/\1/p' v.out)"
}

# run_case NAME ORIGIN_MB HIGH_WATERMARK
NCASE=0
run_case() {
	NCASE=$((NCASE + 1))
	mine $((NCASE - 1)) || { log "case $NCASE ($1): another kernel's share"; return 0; }
	run=$1 OMB=$2
	OS=$((OMB * 2048))
	ncut=0
	rm -f journal
	must dd if=/dev/zero of="$logdev" bs=1M count=1 oflag=direct 2>/dev/null
	data=$(ram_disk lw-data $((OMB + CMB))) || exit 1
	must dd if=/dev/zero of="$data" bs=1M count=$((OMB + CMB)) oflag=direct 2>/dev/null
	lw=$(dm_create lw "0 $((OS + CS)) log-writes $data $logdev") || exit 1
	o=$(dm_create lw-origin "0 $OS linear $lw 0") || exit 1
	c=$(dm_create lw-cache "0 $CS linear $lw $OS") || exit 1
	sc=$(dm_create sc "0 $OS ssdcache $o $c $ARGS") || exit 1
	must dmsetup message sc 0 high_watermark "$3"
	# No FUA writes here: dm-log-writes logs a FUA write when it completes
	# but an earlier plain write only at the next flush, so a replay would
	# put the older data last (persist-powerloop covers FUA).
	ssc-crashtest write --dev "$sc" --journal "$PWD/journal" --cycle 1 --seconds 5 \
		--threads 4 --max-len 64 --flush-ms 300 --fua-every 0 --mark lw --seed 11 >write.out 2>&1 ||
		{ cat write.out; fail "the workload failed"; }
	cat write.out
	nrec=$(sed -n 's/.*journal \([0-9]*\) records.*/\1/p' write.out)
	dmsetup status sc
	dm_remove sc
	dm_remove lw-origin
	dm_remove lw-cache
	dm_remove lw
	dm_remove lw-data
	ssc-logreplay list "$logdev" >log.txt || fail "cannot read the log"
	tail -n1 log.txt
	nf=$(tail -n1 log.txt | sed -n 's/.* flushes=\([0-9]*\) .*/\1/p')
	[ "${nf:-0}" -gt 5 ] || fail "too few flushes in the log: $nf"

	# Around the workload's flushes (the marks), where the contract
	# bites: just after each mark with none, and with half, of the plain
	# writes that followed the last flush (the mark's FUA writes kept),
	# and right after the next flush. At most MARK_CUTS marks, spread
	# over the run.
	for k in $(sed -n 's/^MARK scj[0-9]* after_flush=//p' log.txt | sort -un |
		awk -v n="$MARK_CUTS" '{ a[NR] = $0 } END { for (i = 0; i < n && i < NR; i++) print a[int(i * NR / n) + 1] }' |
		sort -un); do
		[ "$k" -lt "$nf" ] || continue
		cut_at between "$k" 1 0
		cut_at between "$k" $(od -An -N4 -tu4 /dev/urandom) 50
		cut_at flush $((k + 1))
	done
	# Right after flushes spread over the log (the first and last too).
	i=0
	while [ $i -lt "$FLUSH_CUTS" ]; do
		cut_at flush $((i * nf / (FLUSH_CUTS - 1)))
		i=$((i + 1))
	done
	# Between two random flushes.
	i=0
	while [ $i -lt "$BETWEEN_CUTS" ]; do
		k=$(($(od -An -N4 -tu4 /dev/urandom) % nf))
		cut_at between "$k" $(od -An -N4 -tu4 /dev/urandom) 50
		i=$((i + 1))
	done
	log "$run: $ncut cut points of $nf flushes ($nrec journal records): every flushed write recovered"
}

run_case hits 6 100
run_case cleaner 16 50
