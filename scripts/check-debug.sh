#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-debug.sh [--scenarios "A B" | --all] [--kernel 6.1-debug] [--no-debug-scenarios]
# What "make check-debug" runs: build the debug kernel if it is not cached
# (scripts/build-debug-kernel.sh: KASAN, lockdep, kmemleak, debug objects,
# fault injection), build the module against it (with -g, for file:line in
# the reports), then run on it in one VM at a time
#   - the default set below (DEFAULT_SET: the contract under concurrency,
#     the fault-injection scenarios tests/vm/scenarios/debug-*.sh and the
#     I/O paths under stress and device errors), or with --all every
#     scenario of make check (every one without "# check: no") and every
#     debug-* scenario, or the --scenarios given, and
#   - selftest-kmemleak, a module that leaks one object: its leak must be
#     reported, or check-debug fails (the leak check does not work),
# with every timeout scaled by VM_TIMEOUT_SCALE (default 4: KASAN and
# lockdep slow the scenarios down five to seven times under TCG). A scenario fails on any kernel report
# in the console log (vm-run.sh's patterns plus KASAN, lockdep, RCU,
# debug-objects, soft lockups) and on a kmemleak suspect of dm_ssdcache
# (scanned after every scenario). Writes build/results-debug/:
#   vm/<line>/*.result       per scenario
#   kernel-reports.txt       every report, summarised (scripts/kernel-reports.sh)
#   kmemleak.txt             every kmemleak suspect (dm_ssdcache's and others')
#   times.txt                kernel build, module build, VM run, total
# and ends with exactly one line "N passed, N failed". Exit status 0 only if
# nothing failed.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
RES=$BUILD/results-debug
KLINE=6.1-debug
SCEN=
DEBUG_SCEN=1
ALL=0
# The default set: about an hour and a half on two idle cores under TCG
# (an estimate: the instrumented kernel runs the scenarios 5 to 7 times
# slower than Debian's, contract-defects 732 s, contract-powerloss 1086 s;
# all of make check's would take 4 to 6 hours; on a loaded host, with
# other VMs, contract-register and engine-simcmp overran even twice their
# timeouts): the block-device contract under concurrency,
# the engine against the simulator, the fault-injection scenarios and the
# I/O paths under stress and device errors. --all runs every scenario.
DEFAULT_SET="contract-register debug-remove-race debug-failslab debug-bioset debug-failrequest engine-simcmp smoke rel-faults target-stress"
while [ $# -gt 0 ]; do
	case $1 in
	--scenarios) SCEN=$2; shift ;;
	--all) ALL=1 ;;
	--kernel) KLINE=$2; shift ;;
	--no-debug-scenarios) DEBUG_SCEN=0 ;;
	*) echo "check-debug: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
export VM_TIMEOUT_SCALE=${VM_TIMEOUT_SCALE:-4}

t0=$SECONDS
rm -rf "$RES"
mkdir -p "$RES/vm"
failures=()
note() { echo "== check-debug: $*"; }
step() {
	local name=$1
	shift
	note "$name"
	if ! "$@"; then
		failures+=("$name")
		return 1
	fi
}

step "Debian packages (with the debug kernel's build dependencies)" \
	"$REPO/scripts/install-deps.sh" --debug-kernel

note "debug kernel $KLINE"
tk=$SECONDS
KCACHE=${SSDCACHE_CACHE:-$REPO/cache}/kernels
cached=
v=$("$REPO/scripts/build-debug-kernel.sh" --version "$KLINE" 2>/dev/null) &&
	[ -f "$KCACHE/$v/.complete" ] && cached="(cached)"
if ver=$("$REPO/scripts/build-debug-kernel.sh" "$KLINE"); then
	kroot=$("$REPO/scripts/kernels.sh" "$ver" root)
	kbuild_s=$((SECONDS - tk))
	echo "kernel $ver: ${kbuild_s}s $cached (make bzImage modules took $(cat "$kroot/build-seconds" 2>/dev/null || echo ?)s when it was built)" |
		tee -a "$RES/times.txt"
else
	failures+=("build the debug kernel")
	ver=
fi

mb=1
if [ -n "$ver" ]; then
	tm=$SECONDS
	step "build the tools and the module for $KLINE" \
		make -C "$REPO" --no-print-directory tools modules KVERS="$KLINE" KBUILD_ARGS="KCFLAGS=-g" &&
		mb=0
	echo "tools + module: $((SECONDS - tm))s" | tee -a "$RES/times.txt"
fi

if [ "$mb" = 0 ]; then
	# selftest-kmemleak leaks one object (tests/vm/kmod/vmtest_leak.c): the
	# proof that the kmemleak scans work
	list=(selftest-kmemleak)
	[ -n "$SCEN" ] || [ "$ALL" = 1 ] || SCEN=$DEFAULT_SET
	if [ -n "$SCEN" ]; then
		read -ra more <<<"$SCEN"
		list+=("${more[@]}")
	else
		for f in "$REPO"/tests/vm/scenarios/*.sh; do
			s=$(basename "$f" .sh)
			case $s in
			debug-*) [ "$DEBUG_SCEN" = 1 ] && list+=("$s") ;;
			*) head -n 30 "$f" | grep -q '^# *check: *no' || list+=("$s") ;;
			esac
		done
	fi
	note "VM scenarios on $KLINE (timeouts x$VM_TIMEOUT_SCALE): ${list[*]}"
	rm -rf "$BUILD/vm/$ver/runs"
	tv=$SECONDS
	"$REPO/scripts/vm-run.sh" -k "$KLINE" -o "$RES/vm" "${list[@]}" 2>&1 | tee "$RES/vm.log"
	echo "VM scenarios: $((SECONDS - tv))s" | tee -a "$RES/times.txt"
	ls "$RES/vm/$KLINE"/*.result >/dev/null 2>&1 || failures+=("VM run on $KLINE (no results)")

	# Every report, summarised, and every kmemleak suspect.
	"$REPO/scripts/kernel-reports.sh" --ko "$BUILD/module/$ver/dm-ssdcache.ko" \
		"$BUILD/vm/$ver"/runs/*/console.log >"$RES/kernel-reports.txt" 2>/dev/null
	cat "$BUILD/vm/$ver"/runs/*/kmemleak.txt >"$RES/kmemleak.txt" 2>/dev/null
	if ! grep -q '^KMEMLEAK [^ ]* other .*vmtest_leak_one' "$RES/kmemleak.txt"; then
		failures+=("kmemleak self-check: the leak of selftest-kmemleak was not reported (is kmemleak working?)")
	fi
	nrep=$(grep -c '^== ' "$RES/kernel-reports.txt")
	nssc=$(grep -c '^KMEMLEAK [^ ]* ssc ' "$RES/kmemleak.txt")
	noth=$(grep -c '^KMEMLEAK [^ ]* other ' "$RES/kmemleak.txt")
	note "kernel reports: $nrep (build/results-debug/kernel-reports.txt)"
	[ "$nrep" = 0 ] || cat "$RES/kernel-reports.txt"
	note "kmemleak: $nssc suspect(s) of dm_ssdcache, $noth elsewhere (build/results-debug/kmemleak.txt)"
	[ "$nssc$noth" = 00 ] || sed 's/^/   /' "$RES/kmemleak.txt" | head -n 40
fi

pass=0 fail=${#failures[@]}
for r in "$RES"/vm/*/*.result; do
	[ -f "$r" ] || continue
	k=$(basename "$(dirname "$r")")
	s=$(basename "$r" .result)
	if [ "$(cut -d' ' -f1 "$r")" = PASS ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failures+=("$s on $k: $(cut -d' ' -f2- "$r")")
	fi
done

echo "total: $((SECONDS - t0))s" >>"$RES/times.txt"
note "done in $((SECONDS - t0))s"
for f in "${failures[@]}"; do
	echo "FAILED: $f"
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
