#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# selftest-warning: loads a test module whose init does WARN(), i.e. a real
# kernel "WARNING: CPU: ..." with a call trace, while the scenario itself
# exits 0; the harness must fail it on the kernel log alone.
# check: no
. /vm/lib.sh
load_modules vmtest_warn
log "vmtest_warn loaded; the scenario itself succeeds"
