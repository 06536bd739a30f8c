#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# bench-writeback: random 4 KiB write IOPS of the true (lazy) write-back
# against the RFC's immediate copy-behind (eager_writeback) and
# writethrough, on the same slow origin (dm-delay 2 ms) and ram-disk cache,
# in one boot, interleaved (A B C A B C); prints medians and ratios.
# Not part of make check (a measurement, not a test).
# check: no
# timeout: 900
. /vm/lib.sh

SECS=${BENCH_SECONDS:-15}
load_ssdcache
origin=$(slow_disk origin 256 2) || exit 1
cache=$(ram_disk cache 128) || exit 1
JOB="--rw=randwrite --bs=4k --iodepth=16 --size=64M --time_based --runtime=$SECS"

run() {
	sc=$(ssdcache_create sc "$origin" "$cache" reformat $1) || exit 1
	must dmsetup message sc 0 high_watermark 100 2>/dev/null || true
	# shellcheck disable=SC2086
	iops=$(fio_iops --name=w --filename="$sc" $JOB) || exit 1
	dm_remove sc
	echo "$iops"
}
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }

# shellcheck disable=SC2086
slow=$(fio_iops --name=s --filename="$origin" $JOB) || exit 1
lazy="" eager="" wt=""
for i in 1 2 3; do
	lazy="$lazy $(run writeback)"
	eager="$eager $(run "writeback options 1 eager_writeback")"
	wt="$wt $(run writethrough)"
done
# shellcheck disable=SC2086
L=$(median $lazy) E=$(median $eager) W=$(median $wt)
echo "BENCH slow_disk=$slow lazy=[$lazy] eager=[$eager] writethrough=[$wt]"
awk -v s="$slow" -v l="$L" -v e="$E" -v w="$W" 'BEGIN {
	printf "random 4k writes, IOPS (median of 3): slow disk %d, writeback lazy %d, writeback eager (RFC) %d, writethrough %d\n", s, l, e, w
	printf "lazy / eager = %.2fx, lazy / slow disk = %.2fx, eager / slow disk = %.2fx\n", l / e, l / s, e / s }'
