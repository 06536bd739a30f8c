#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# selftest-fail: a deliberately broken scenario; the harness must report it
# as failed (see tests/vm/selftest).
# check: no
. /vm/lib.sh
log "this scenario fails on purpose"
assert_eq "$((1 + 1))" 3 "deliberately wrong arithmetic"
