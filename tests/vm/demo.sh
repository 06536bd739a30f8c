#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# demo ("make demo"): an ssdcache device over an emulated slow disk (dm-delay,
# 2 ms nominal, ~8 ms under emulation) with a ram disk as the fast device;
# the same fio random-read workload (4 KiB, zipf 1.1, queue depth 16) against
# the raw slow disk and against the cached device, then the cache's status
# and the speed-up.
# timeout: 600
. /vm/lib.sh

ORIGIN_MB=${DEMO_ORIGIN_MB:-256}
CACHE_MB=${DEMO_CACHE_MB:-64}
SECS=${DEMO_SECONDS:-15}
WARM=${DEMO_WARMUP:-20}
JOB="--rw=randread --bs=4k --iodepth=16 --random_distribution=zipf:1.1 --time_based --size=${ORIGIN_MB}M"

load_ssdcache
origin=$(slow_disk origin "$ORIGIN_MB" 2) || exit 1
cache=$(ram_disk cache "$CACHE_MB") || exit 1
log "pre-filling the ${ORIGIN_MB} MiB origin (ram disk pages are allocated on first write)"
must dd if=/dev/zero of=/dev/mapper/origin-base bs=1M count="$ORIGIN_MB" oflag=direct 2>/dev/null

log "slow disk alone: ${SECS}s of 4 KiB zipf random reads, QD16"
# shellcheck disable=SC2086
slow=$(fio_iops --name=slow --filename="$origin" $JOB --runtime="$SECS") || exit 1
log "slow disk: $slow IOPS"

sc=$(ssdcache create demo --origin "$origin" --cache "$cache") || fail "ssdcache create failed"
echo demo >>"$_VM_CREATED"
echo "table:  $(dmsetup table demo)"
log "cached device: warming up for ${WARM}s"
# shellcheck disable=SC2086
warm=$(fio_iops --name=warm --filename="$sc" $JOB --runtime="$WARM") || exit 1
log "cached device (warm-up): $warm IOPS; now measuring for ${SECS}s"
# shellcheck disable=SC2086
cached=$(fio_iops --name=cached --filename="$sc" $JOB --runtime="$SECS") || exit 1

echo
echo "=== dm-ssdcache demo ($(uname -r)) ==="
echo "origin: ${ORIGIN_MB} MiB dm-delay (2 ms) over brd; cache: ${CACHE_MB} MiB brd"
ssdcache status demo
echo "slow disk alone:  $slow IOPS"
echo "through ssdcache: $cached IOPS"
awk -v a="$cached" -v b="$slow" 'BEGIN { if (b > 0) printf "speed-up:         %.2fx\n", a / b }'
ssdcache remove demo || fail "ssdcache remove failed"
grep -vx demo "$_VM_CREATED" >"$_VM_CREATED.new"
mv "$_VM_CREATED.new" "$_VM_CREATED"
