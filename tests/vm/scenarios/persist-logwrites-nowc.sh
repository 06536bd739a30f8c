#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
# persist-logwrites-nowc: persist-logwrites' method over devices that
# report no volatile write cache. dm-log-writes advertises a write cache
# (it logs flushes), so its dm-linear slices say "write back"; here the
# origin and cache slices are set to "write through" (queue/write_cache)
# before the target is created: the block layer then strips REQ_PREFLUSH
# and REQ_FUA on the way to them, and each write the target sends is
# durable once it completed. dm-log-writes logs such plain writes in
# completion order at the next flush it sees.
#
# The flushes it sees come from the journal: ssc-crashtest's journal is a
# third slice of the same log device, left "write back", so each journal
# record (written after the workload's fdatasync returned) is followed by
# a logged flush that orders every write completed before it. Replaying
# the log up to flush K therefore rebuilds every device, the journal
# included, as a power loss at that instant would leave them: all writes
# completed by then, none after. (Cuts between flushes with writes
# dropped at random, as persist-logwrites makes, are not states of such
# devices: a completed write is never lost. contract-powerloss freezes
# between flushes instead.) On each state the target is created again
# and must hold every write the replayed journal records as flushed or
# FUA; after a "flush" message the origin alone must.
#
# On 6.1 the target stacked on the "write through" slices inherits "write
# through" itself; 6.12's dm stacking inherits the write-cache feature and
# not the sysfs setting, so there the target still advertises a write
# cache (printed) and this checks only durability over devices that drop
# flushes (contract-powerloss covers the target's own advertisement on
# both kernels, over brd).
#
# Runs: "hits" (6 MiB origin under an 8 MiB cache, cleaner off: the state
# hangs on the metadata commits alone) and "cleaner" (16 MiB origin,
# default watermarks). logwrites_cuts (default 4) cuts spread over each
# log, and one at random.
. /vm/lib.sh

load_ssdcache
load_modules dm-log-writes
CMB=8
CS=$((CMB * 2048))
JMB=1
JS=$((JMB * 2048))
ARGS="blocksize 64 writeback"
FLUSH_CUTS=$(vm_param logwrites_cuts 4)
logdev=$(_vm_ram_next) || exit 1
rep=$(ram_disk rep 25) || exit 1

dm_node() {	# dm_node NAME: dm-N
	echo "dm-$(dmsetup info -c --noheadings -o minor "$1" | tr -d ' ')"
}

write_through() {	# write_through NAME: its queue says no volatile cache
	_q=/sys/block/$(dm_node "$1")/queue/write_cache
	echo "write through" >"$_q" || fail "cannot set $1 to write through"
	[ "$(cat "$_q")" = "write through" ] || fail "$1 says '$(cat "$_q")'"
}

# cut_at K: rebuild the state at flush K, check it through the target and,
# after "flush", on the origin alone.
cut_at() {
	must dd if=/dev/zero of="$rep" bs=1M count=$((OMB + CMB + JMB)) oflag=direct 2>/dev/null
	ssc-logreplay replay "$logdev" "$rep" --flush "$1" >cut.out || fail "replay failed"
	ro=$(dm_create ro "0 $OS linear $rep 0") || exit 1
	rc=$(dm_create rc "0 $CS linear $rep $OS") || exit 1
	rj=$(dm_create rj "0 $JS linear $rep $((OS + CS))") || exit 1
	rsc=$(dm_create rsc "0 $OS ssdcache $ro $rc $ARGS") ||
		fail "$run: the target refused the state at $(cat cut.out)"
	d=$(ssc_stat rsc dirty)
	ssc-crashtest verify --dev "$rsc" --journal "$rj" >v.out 2>&1 || {
		cat v.out
		fail "$run: wrong data through the cache at $(cat cut.out)"
	}
	must dmsetup message rsc 0 flush
	dm_remove rsc
	ssc-crashtest verify --dev "$ro" --journal "$rj" >v2.out 2>&1 || {
		cat v2.out
		fail "$run: wrong data on the origin after flush at $(cat cut.out)"
	}
	dm_remove rj
	dm_remove ro
	dm_remove rc
	ncut=$((ncut + 1))
	log "ok: $run $(cat cut.out) recovered dirty $d, $(sed -n 's/.*units checked against \([0-9]* journal records\).*: \([0-9]* required by flushes\).*/\1, \2/p' v.out)"
}

# run_case NAME ORIGIN_MB HIGH_WATERMARK
NCASE=0
run_case() {
	NCASE=$((NCASE + 1))
	mine $((NCASE - 1)) || { log "case $NCASE ($1): another kernel's share"; return 0; }
	run=$1 OMB=$2
	OS=$((OMB * 2048))
	ncut=0
	must dd if=/dev/zero of="$logdev" bs=1M count=1 oflag=direct 2>/dev/null
	data=$(ram_disk lw-data $((OMB + CMB + JMB))) || exit 1
	must dd if=/dev/zero of="$data" bs=1M count=$((OMB + CMB + JMB)) oflag=direct 2>/dev/null
	lw=$(dm_create lw "0 $((OS + CS + JS)) log-writes $data $logdev") || exit 1
	o=$(dm_create lw-origin "0 $OS linear $lw 0") || exit 1
	c=$(dm_create lw-cache "0 $CS linear $lw $OS") || exit 1
	j=$(dm_create lw-journal "0 $JS linear $lw $((OS + CS))") || exit 1
	write_through lw-origin
	write_through lw-cache
	sc=$(dm_create sc "0 $OS ssdcache $o $c $ARGS") || exit 1
	log "$run: queue/write_cache: log-writes '$(cat /sys/block/$(dm_node lw)/queue/write_cache)'," \
		"origin and cache slices 'write through', journal slice" \
		"'$(cat /sys/block/$(dm_node lw-journal)/queue/write_cache)', ssdcache" \
		"'$(cat /sys/block/$(dm_node sc)/queue/write_cache)'"
	must dmsetup message sc 0 high_watermark "$3"
	# FUA writes are fine here: they reach the slices as plain writes,
	# logged in completion order like every other one.
	ssc-crashtest write --dev "$sc" --journal "$j" --cycle 1 --seconds 5 \
		--threads 4 --max-len 64 --flush-ms 300 --fua-every 16 --seed 11 >write.out 2>&1 ||
		{ cat write.out; fail "the workload failed"; }
	cat write.out
	nrec=$(sed -n 's/.*journal \([0-9]*\) records.*/\1/p' write.out)
	dmsetup status sc
	dm_remove sc
	dm_remove lw-origin
	dm_remove lw-cache
	dm_remove lw-journal
	dm_remove lw
	dm_remove lw-data
	ssc-logreplay list "$logdev" >log.txt || fail "cannot read the log"
	tail -n1 log.txt
	nf=$(tail -n1 log.txt | sed -n 's/.* flushes=\([0-9]*\) .*/\1/p')
	[ "${nf:-0}" -gt 5 ] || fail "too few flushes in the log: $nf"
	# flushes spread over the log, the first and the last included, and
	# one at random
	i=0
	while [ $i -lt "$FLUSH_CUTS" ]; do
		cut_at $((1 + i * (nf - 1) / (FLUSH_CUTS - 1)))
		i=$((i + 1))
	done
	cut_at $((1 + $(od -An -N4 -tu4 /dev/urandom) % nf))
	log "$run: $ncut cut points of $nf flushes ($nrec journal records): every flushed write recovered"
}

run_case hits 6 100
run_case cleaner 16 50
