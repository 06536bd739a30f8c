#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# persist-powerloop-nowc: persist-powerloop over disks that report no
# volatile write cache. qemu's virtio disks (cache=none) say "write back"
# in queue/write_cache; each boot sets all of them to "write through"
# before the targets are created, so the block layer strips REQ_PREFLUSH
# and REQ_FUA before they reach the virtio disks, and ssdcache must keep
# its durability promise without them (CONTRACT.md: whether or not the
# devices underneath have a volatile write cache). A kill -9 of qemu keeps
# every write qemu completed, so "write through" is what these disks are
# for a power cut. Two cuts, not 20 as persist-powerloop: the loop itself is
# the same (the body is persist-powerloop.sh, sourced).
# disks: 16M 8M 2M 16M 8M 2M
# powercut: marker
# cycles: 2
# timeout: 240
for q in /sys/block/vd?/queue; do
	d=${q%/queue}
	before=$(cat "$q/write_cache")
	echo "write through" >"$q/write_cache" || { echo "FAIL: cannot set ${d##*/} to write through" >&2; exit 1; }
	after=$(cat "$q/write_cache")
	echo "${d##*/}: queue/write_cache '$before' -> '$after'"
	[ "$after" = "write through" ] || { echo "FAIL: ${d##*/} still says '$after'" >&2; exit 1; }
done
. /vm/scenarios/persist-powerloop.sh
