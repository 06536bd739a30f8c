#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# contract-register-long: contract-register with 48 rounds of 20 s (the
# covering table four times, rotated; REGCHECK_ROUNDS, REGCHECK_SECONDS and
# REGCHECK_SEED as there). Not part of make check: run it with
#   scripts/vm-run.sh -k 6.1 -v contract-register-long
# check: no
# timeout: 3600
REGCHECK_ROUNDS=${REGCHECK_ROUNDS:-48}
REGCHECK_SECONDS=${REGCHECK_SECONDS:-20}
. /vm/scenarios/contract-register.sh
