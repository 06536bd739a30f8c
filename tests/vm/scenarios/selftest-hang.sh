#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# selftest-hang: a hung guest. A buffered write is fsync'ed to a suspended
# dm device, so dd waits for writeback in D state forever; the kernel's
# hung-task detector (lowered to 20 s here) reports it ("blocked for more
# than 20 seconds") and the scenario never ends. The harness must kill the
# VM at the timeout and fail the scenario.
# timeout: 60
# check: no
. /vm/lib.sh
echo 20 >/proc/sys/kernel/hung_task_timeout_secs
load_modules dm-mod
d=$(ram_disk hang 16) || exit 1
must dmsetup suspend hang
log "fsync'ing a write to a suspended device: this blocks"
dd if=/dev/zero of="$d" bs=4k count=1 conv=fsync &
sleep 100000
