#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# selftest-kmemleak: loads a test module that leaks one object; on a debug
# kernel the kmemleak scan after the boot must report it (as "other": not
# dm_ssdcache's). make check-debug runs it and fails if the report is
# missing, i.e. if its leak check does not work.
# check: no
. /vm/lib.sh

load_modules vmtest_leak
log "leaked one 128-byte object (vmtest_leak_one)"
