#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make bench BENCH_QUICK=1": tests/vm/bench.sh with small sizes and 2 s
# runs, to check the harness (the figures mean little). Not part of make check.
# check: no
# timeout: 900
ORIGIN_MB=160 CACHE_MB=16 HIT_MB=8 WR_MB=12 META_MB=4
T_HIT=2 R_HIT=1 T_ZWARM=2 T_Z=2 T_SWARM=2 T_S=2 T_W=2 T_DRAIN=5
SCALE_SET=2048 T_SCALE=1 R_SCALE=1 T_WU=8
export ORIGIN_MB CACHE_MB HIT_MB WR_MB META_MB T_HIT R_HIT T_ZWARM T_Z T_SWARM T_S T_W T_DRAIN
export SCALE_SET T_SCALE R_SCALE T_WU
. /vm/bench.sh
