#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
# contract-powerloss: instant power loss under a write workload with
# flushes and FUA writes (CONTRACT.md, "Durability").
#
# Origin and cache are ram disks under dm-linear: no volatile write cache,
# so what has reached them is what a power loss keeps. While ssc-crashtest
# writes through the target (4 threads, fdatasync at random intervals, one
# write in 16 with RWF_DSYNC = REQ_FUA; its journal on tmpfs, never
# frozen), the scenario freezes both devices at random instants: suspend
# --noflush of the origin's linear layer, then of the cache's. Once the
# origin is frozen nothing more completes on it, so whatever the cache
# gets later can only depend on origin I/O completed before: the two
# frozen states are the devices after one power loss. While both are
# frozen, the journal is copied (every flush or FUA write it records
# completed before this point, and nothing completes on frozen devices:
# all of them must be in the frozen state) and both devices are copied to
# other ram disks; then they are resumed and the workload goes on.
#
# On the copies the target is created again with the same table, and
#   - ssc-crashtest verify passes with the journal copy: no write completed
#     before a completed flush, no FUA write, is missing; no sector holds
#     garbage, another sector's data or data older than its last flush;
#   - reading the device twice gives the same data (no flip-flop);
#   - after a clean remove and create it still holds the same data;
#   - after a "flush" message and remove, the origin copy alone holds the
#     same data and verifies.
# Cases: writeback with 4 KiB, 64 KiB (cleaner between 5 and 10 % dirty)
# and 128 KiB blocks; writethrough with 4 KiB and 128 KiB; readcache with
# 64 KiB. Also checked directly: a writeback target advertises a volatile
# write cache (queue/write_cache "write back", or the block layer strips
# REQ_PREFLUSH and REQ_FUA before the target sees them), and its "flushes"
# counter grows on an fsync.
#
# Knobs (VM_PARAMS="powerloss_instants=N ..."): powerloss_instants,
# instants per writeback case (default 4; the others get half, at least
# 2); powerloss_seed (workload seed, default random, printed).
. /vm/lib.sh

load_ssdcache
OMB=8
CMB=4
OS=$((OMB * 2048))
CS=$((CMB * 2048))
NI=$(vm_param powerloss_instants 4)
SEED=$(vm_param powerloss_seed "$(($(od -An -N2 -tu2 /dev/urandom) + 1))")
log "workload seed $SEED, $NI instants per writeback case"

po=$(ram_disk pl-o $OMB) || exit 1
pc=$(ram_disk pl-c $CMB) || exit 1
co=$(ram_disk pl-co $OMB) || exit 1
cc=$(ram_disk pl-cc $CMB) || exit 1
# the ram disks under the linear layers (read while those are frozen)
ram_of() {
	echo "/dev/ram$(dmsetup table "$1" | cut -d' ' -f4 | cut -d: -f2)"
}
po_ram=$(ram_of pl-o)
pc_ram=$(ram_of pl-c)
[ -b "$po_ram" ] && [ -b "$pc_ram" ] || fail "cannot find the ram disks under pl-o, pl-c"

dm_node() {	# dm_node NAME: dm-N
	echo "dm-$(dmsetup info -c --noheadings -o minor "$1" | tr -d ' ')"
}

NFAIL=0
FAILS=
bad() {
	echo "FAIL: $*" >&2
	NFAIL=$((NFAIL + 1))
	FAILS="$FAILS
  $*"
}

WPID=
stop_writer() {
	if [ -n "$WPID" ]; then
		kill -CONT "$WPID" 2>/dev/null
		kill "$WPID" 2>/dev/null
		wait "$WPID" 2>/dev/null
		WPID=
	fi
}

# check_state CASE INSTANT: the frozen copies, with the journal copy j.cut
check_state() {
	_w="$1 instant $2"
	NCHECKED=$((NCHECKED + 1))
	rsc=$(dm_create pl-r "0 $OS ssdcache $co $cc $ARGS") || {
		dmesg | tail -n 5
		bad "$_w: the target refused the state"
		return
	}
	_d=$(ssc_stat pl-r dirty)
	# read 1 into a file, verified there; reads 2 and 3 must equal it
	must dd if="$rsc" of=state.img bs=1M iflag=direct 2>/dev/null
	ssc-crashtest verify --dev state.img --journal "$PWD/j.cut" >v.out 2>&1 || {
		cat v.out
		bad "$_w: flushed or FUA writes lost, or wrong data, through the recovered cache"
	}
	_m1=$(md5sum <state.img | cut -d' ' -f1)
	_m2=$(dev_md5 "$rsc")
	[ "$_m1" = "$_m2" ] || bad "$_w: two reads of the recovered device differ (flip-flop)"
	dm_remove pl-r
	rsc=$(dm_create pl-r "0 $OS ssdcache $co $cc $ARGS") || {
		dmesg | tail -n 5
		bad "$_w: the target refused its own clean shutdown"
		return
	}
	_m3=$(dev_md5 "$rsc")
	[ "$_m3" = "$_m1" ] || bad "$_w: a clean remove and create changed the recovered device's data"
	dmsetup message pl-r 0 flush || bad "$_w: flush message failed"
	dm_remove pl-r
	_m4=$(dev_md5 "$co")
	[ "$_m4" = "$_m1" ] || bad "$_w: after flush and remove the origin differs from what the device showed"
	ssc-crashtest verify --dev "$co" --journal "$PWD/j.cut" >v2.out 2>&1 || {
		cat v2.out
		bad "$_w: the origin alone after flush"
	}
	log "  $_w: recovered dirty $_d; $(sed -n 's/.*records (cycles[^)]*): //p' v.out)"
}

# run_case MODE BLOCKSIZE INSTANTS [cleaner]
NCASE=0
run_case() {
	NCASE=$((NCASE + 1))
	mine $((NCASE - 1)) || { log "case $NCASE ($1): another kernel's share"; return 0; }
	_mode=$1
	ARGS="blocksize $2 $1"
	_case="$1/$(($2 / 2))k"
	log "case $_case: $3 instants"
	must dd if=/dev/zero of="$po" bs=1M count=$OMB oflag=direct 2>/dev/null
	must dd if=/dev/zero of="$pc" bs=1M count=$CMB oflag=direct 2>/dev/null
	sc=$(dm_create pl-sc "0 $OS ssdcache $po $pc $ARGS reformat") || exit 1
	if [ "${4:-}" = cleaner ]; then
		must dmsetup message pl-sc 0 low_watermark 5
		must dmsetup message pl-sc 0 high_watermark 10
	fi

	# the direct checks: a write cache advertised, flushes reach the target
	_wc=$(cat "/sys/block/$(dm_node pl-sc)/queue/write_cache")
	_f0=$(ssc_stat pl-sc flushes)
	must ssc-model sync "$sc"
	_f1=$(ssc_stat pl-sc flushes)
	log "  queue/write_cache '$_wc', flushes $_f0 -> $_f1 after an fsync"
	if [ "$_mode" = writeback ] && [ "$_wc" != "write back" ]; then
		bad "$_case: queue/write_cache of the target says '$_wc' (devices below without a write cache), not 'write back': REQ_PREFLUSH and REQ_FUA never reach it"
	fi
	if [ "$_wc" = "write back" ] && [ "$_f1" -le "$_f0" ]; then
		bad "$_case: the flushes counter did not grow after an fsync"
	fi
	if [ "$_mode" = writeback ] && [ "$_f1" -le "$_f0" ]; then
		bad "$_case: an fsync on a writeback target did not reach it (flushes stays $_f1)"
	fi

	rm -f j j.cut
	ssc-crashtest write --dev "$sc" --journal "$PWD/j" --cycle 1 --seconds 3600 \
		--threads 4 --max-len 64 --flush-ms 200 --fua-every 16 --seed "$SEED" >write.out 2>&1 &
	WPID=$!
	_i=1
	while [ $_i -le "$3" ]; do
		# 0.3 to 2 s of writing
		_t=$((300 + $(od -An -N2 -tu2 /dev/urandom) % 1700))
		sleep "$((_t / 1000)).$(printf %03d $((_t % 1000)))"
		kill -0 "$WPID" 2>/dev/null || { cat write.out; fail "$_case: the workload died"; }
		# the power goes: origin first, then cache
		must dmsetup suspend --noflush pl-o
		must dmsetup suspend --noflush pl-c
		must cp j j.cut
		must dd if="$po_ram" of="$co" bs=1M count=$OMB iflag=direct oflag=direct 2>/dev/null
		must dd if="$pc_ram" of="$cc" bs=1M count=$CMB iflag=direct oflag=direct 2>/dev/null
		kill -STOP "$WPID"
		must dmsetup resume pl-o
		must dmsetup resume pl-c
		check_state "$_case" "$_i"
		kill -CONT "$WPID"
		_i=$((_i + 1))
	done
	stop_writer
	log "  $_case: $(dmsetup status pl-sc | sed 's/.* dirty \([0-9]*\) .* flushes \([0-9]*\) .* commits \([0-9]*\) .*/dirty \1 flushes \2 commits \3/')"
	_wf=$(ssc_stat pl-sc flushes)
	if [ "$_mode" = writeback ] && [ "$_wf" -le "$_f1" ]; then
		bad "$_case: the workload's fdatasyncs never reached the target (flushes $_wf)"
	fi
	dm_remove pl-sc
}
trap 'stop_writer; _vm_cleanup' EXIT

NCHECKED=0
NH=$(((NI + 1) / 2))
[ $NH -ge 2 ] || NH=2
run_case writeback 8 "$NI"
run_case writeback 128 "$NI" cleaner
run_case writeback 256 "$NI"
run_case writethrough 8 "$NH"
run_case writethrough 256 "$NH"
run_case readcache 128 "$NH"

if [ "$NFAIL" -gt 0 ]; then
	echo "$NFAIL failures at $NCHECKED checked instants:$FAILS" >&2
	fail "the contract was broken ($NFAIL failures; workload seed $SEED)"
fi
log "$NCHECKED power-loss instants checked: every flushed and FUA write kept, no flip-flop, clean restarts and flushes exact"
