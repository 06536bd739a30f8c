#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# persist-powerloop: 8 power cuts in a row under a write workload with
# flushes and FUA writes, on a write-back and a writethrough cache at once
# (file-backed virtio disks). Every boot re-creates both targets with the
# same table and checks, with ssc-crashtest's journal (on a disk of its
# own), that every write acknowledged before a completed flush, and every
# FUA write, is there, and that every sector holds a value really written
# to it; then it writes again and the host cuts the power at a random
# moment. The last boot also flushes the write-back cache and checks the
# origin alone.
# disks: 16M 8M 2M 16M 8M 2M
# powercut: marker
# cycles: 8
# timeout: 240
. /vm/lib.sh

load_ssdcache
MODES="writeback writethrough"
N=$CYCLES

# disks of a mode: origin, cache, journal
disks() {
	case $1 in
	writeback) echo "$(vdisk 1) $(vdisk 2) $(vdisk 3)" ;;
	writethrough) echo "$(vdisk 4) $(vdisk 5) $(vdisk 6)" ;;
	esac
}

for m in $MODES; do
	set -- $(disks $m)
	o=$1 c=$2
	extra=
	[ "$PHASE" = 1 ] && extra=" reformat"
	sc=$(dm_create "sc-$m" "0 $(sectors "$o") ssdcache $o $c blocksize 64 $m$extra") || exit 1
	if [ "$m" = writeback ]; then
		# a cleaner that runs all the time: cleaning races every cut
		must dmsetup message "sc-$m" 0 low_watermark 5
		must dmsetup message "sc-$m" 0 high_watermark 10
	fi
	if [ "$PHASE" -gt 1 ]; then
		log "$m after power cut $((PHASE - 1)): dirty $(ssc_stat "sc-$m" dirty), used $(ssc_stat "sc-$m" used), md_seq $(ssc_stat "sc-$m" md_seq)"
		ssc-crashtest verify --dev "$sc" --journal "$3" >verify.out 2>&1
		rc=$?
		cat verify.out
		[ $rc = 0 ] || fail "$m: data lost or wrong after power cut $((PHASE - 1))"
	fi
done

if [ "$PHASE" -gt "$N" ]; then
	# the end: write everything back, the origin alone holds the data
	set -- $(disks writeback)
	must dmsetup message sc-writeback 0 flush
	[ "$(ssc_stat sc-writeback dirty)" = 0 ] || fail "dirty blocks left after flush"
	dm_remove sc-writeback
	ssc-crashtest verify --dev "$1" --journal "$3" || fail "origin after flush"
	log "$N power cuts: no flushed write lost, no sector with a value never written"
	exit 0
fi

# seconds of writing before the cut: 1 to 4, different every cycle
t=$((1 + $(od -An -N2 -tu2 /dev/urandom) % 4))
pids=
for m in $MODES; do
	set -- $(disks $m)
	ssc-crashtest write --dev "/dev/mapper/sc-$m" --journal "$3" --cycle "$PHASE" \
		--seconds 600 --threads 4 --max-len 64 --flush-ms 300 --fua-every 32 \
		--seed 7 >"write-$m.out" 2>&1 &
	pids="$pids $!"
done
sleep "$t"
for m in $MODES; do
	dmsetup status "sc-$m"
done
for p in $pids; do
	kill -0 "$p" 2>/dev/null || { cat write-*.out; fail "a writer died"; }
done
log "cycle $PHASE: cutting the power after ${t}s of writes"
powercut_now
