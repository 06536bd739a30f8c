#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# selftest-panic: crashes the guest kernel (sysrq c); the VM dies without a
# result and the harness must fail the scenario.
# check: no
. /vm/lib.sh
log "crashing the kernel"
echo c >/proc/sysrq-trigger
sleep 10
