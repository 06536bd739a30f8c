#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make bench": every contender side by side (tests/vm/bench.sh); not part of
# make check. Sizes and durations: see the defaults in tests/vm/bench.sh.
# check: no
# timeout: 2400
. /vm/bench.sh
