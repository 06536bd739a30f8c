#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# persist-powerloop-nowc: persist-powerloop over disks that report no
# volatile write cache. qemu's virtio disks (cache=none) say "write back"
# in queue/write_cache; each boot switches all of them to "write through"
# (the virtio disk's cache_type: the device itself then has no volatile
# cache, qemu writes through to the image) before the targets are created,
# so the dm devices above them inherit "write through" and the block layer
# strips REQ_PREFLUSH and REQ_FUA on the way down; ssdcache must keep its
# durability promise anyway (CONTRACT.md: whether or not the devices
# underneath have a volatile write cache). Three cuts, not 20 as
# persist-powerloop: the loop itself is the same (the body is
# persist-powerloop.sh, sourced).
# disks: 16M 8M 2M 16M 8M 2M
# powercut: marker
# cycles: 3
# timeout: 240
for d in /sys/block/vd?; do
	n=${d##*/}
	before=$(cat "$d/queue/write_cache")
	# cache_type: the virtio device's own setting (the feature the dm
	# devices above inherit); queue/write_cache alone is not inherited on 6.12
	if [ -w "$d/cache_type" ]; then
		echo "write through" >"$d/cache_type" || { echo "FAIL: cannot set $n to write through" >&2; exit 1; }
	else
		echo "write through" >"$d/queue/write_cache" || { echo "FAIL: cannot set $n to write through" >&2; exit 1; }
	fi
	after=$(cat "$d/queue/write_cache")
	echo "$n: queue/write_cache '$before' -> '$after' (cache_type '$(cat "$d/cache_type" 2>/dev/null)')"
	[ "$after" = "write through" ] || { echo "FAIL: $n still says '$after'" >&2; exit 1; }
done
. /vm/scenarios/persist-powerloop.sh
