#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh [--scenarios "A B"] [--kernels "6.1 6.12"] [--jobs N]
# What "make check" runs: build everything, run the unit tests, a short
# fuzz run and the interleaving explorer, run the VM scenarios on every kernel, and end with exactly one
# line
#   N passed, N failed
# counting unit test cases, fuzz harnesses and each scenario x kernel (a
# build step that fails counts as one failure). Exit status 0 only if nothing failed.
#
# VM_JOBS kernels are tested in parallel (default 2 on a machine with 2 or
# more CPUs: two TCG guests share the cores well, ~1/3 less wall time).
#
# The Debian packages (make deb, then scripts/deb-test.sh: DKMS in a Debian
# 12 chroot, the DKMS-built module booted on each of --kernels, the chroot
# booted with root on an ssdcache device twice per kernel, purge) run
# in the background beside the unit tests, fuzzers, explorer and VM
# scenarios (one VM of theirs at a time: a third guest), and are waited
# for at the end. make deb counts as one case, each check of
# deb-test.sh as one. They run when no --scenarios subset is given, or with
# CHECK_DEB=1; CHECK_DEB=0 skips them.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
RES=$BUILD/results
SCEN=
KVERS="6.1 6.12"
JOBS=${VM_JOBS:-$([ "$(nproc)" -ge 2 ] && echo 2 || echo 1)}
while [ $# -gt 0 ]; do
	case $1 in
	--scenarios) SCEN=$2; shift ;;
	--kernels) KVERS=$2; shift ;;
	--jobs) JOBS=$2; shift ;;
	*) echo "check: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

t0=$SECONDS
rm -rf "$RES"
mkdir -p "$RES/vm"
failures=()
note() { echo "== check: $*"; }

running() {               # running PID...: how many are still alive (the
	local p n=0           # deb job is a background job too: not "jobs")
	for p; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done
	echo $n
}

step() {                  # step NAME CMD...: run a build step, record failure
	local name=$1
	shift
	note "$name"
	if ! "$@"; then
		failures+=("$name")
		return 1
	fi
}

step "Debian packages" "$REPO/scripts/install-deps.sh"
step "build userspace tools and unit tests" make -C "$REPO" --no-print-directory tools unit-build
ub=$?
step "build the module for $KVERS" make -C "$REPO" --no-print-directory KVERS="$KVERS" modules
mb=$?
CHECK_DEB=${CHECK_DEB:-$([ -z "$SCEN" ] && echo 1 || echo 0)}
DEBPID=
if [ "$CHECK_DEB" = 1 ]; then
	note "Debian packages: make deb, scripts/deb-test.sh (in the background, after the module build its VMs need; log: $RES/deb.log)"
	(
		if make -C "$REPO" --no-print-directory deb; then
			echo "1 0" >"$RES/deb.counts"
			DEB_TEST_KVERS="$KVERS" RESULTS=$RES/deb-test.counts "$REPO/scripts/deb-test.sh"
		else
			echo "0 1" >"$RES/deb.counts"
		fi
	) >"$RES/deb.log" 2>&1 </dev/null &
	DEBPID=$!
	trap 'kill -TERM "$DEBPID" 2>/dev/null; wait; exit 143' TERM INT HUP
fi

# The VM scenarios, one vm-run.sh per kernel, VM_JOBS at a time, in the
# background (vm_phase) while the host-side tests below run: those are
# short, and the VMs are the long part. vm-run.sh kills its qemu on TERM.
vm_phase() {
	local pids=() k share nk ki=0
	trap 'kill -TERM $(cat "$RES"/vm-*.pid 2>/dev/null) "${pids[@]}" 2>/dev/null; wait; exit 143' TERM
	# The long lists of cases (configurations, rounds, seeds) are split
	# between the kernels: the K-th of N kernels gets VM_PARAMS share=K/N
	# and takes every N-th case (tests/vm/lib.sh: mine, share_of), so
	# every scenario runs on every kernel and every case on one of them.
	# CHECK_SHARE=0: every kernel runs every case.
	nk=$(echo $KVERS | wc -w)
	for k in $KVERS; do
		share=
		[ "${CHECK_SHARE:-1}" = 0 ] || [ "$nk" -lt 2 ] || share="share=$ki/$nk"
		ki=$((ki + 1))
		note "VM scenarios on $k${SCEN:+: $SCEN}${share:+ ($share of the cases)}"
		# Lines carry a [kernel] prefix, so parallel output may interleave.
		# A pipe to tee, not "> >(tee ...)": a process substitution
		# makes the tee a child of vm-run.sh, and bash there was seen
		# (three times, under load) blocking for good in waitpid(-1) on
		# that tee after its qemu subshell had ended. $! is the tee,
		# which ends when vm-run.sh does; the pid file names vm-run.sh
		# for the TERM trap.
		# shellcheck disable=SC2086
		( echo "$BASHPID" >"$RES/vm-$k.pid"
		  VM_PARAMS="${VM_PARAMS:-}${share:+ $share}" \
			exec "$REPO/scripts/vm-run.sh" -k "$k" -o "$RES/vm" $SCEN ) 2>&1 |
			tee "$RES/vm-$k.log" &
		pids+=($!)
		while [ "$(running "${pids[@]}")" -ge "$JOBS" ]; do sleep 5; done
	done
	while [ "$(running "${pids[@]}")" -gt 0 ]; do sleep 5; done
	wait "${pids[@]}" 2>/dev/null
}

VMPID=
if [ "$mb" = 0 ]; then
	vm_phase &
	VMPID=$!
	trap 'kill -TERM $VMPID $DEBPID 2>/dev/null; wait; exit 143' TERM INT HUP
fi

if [ "$ub" = 0 ]; then
	note "unit tests"
	RESULTS=$RES/unit.counts make -C "$REPO" --no-print-directory -s unit || true
fi
# Short libFuzzer runs (FUZZ_SECONDS each, default 12); each harness counts
# as one case.
step "build the fuzzers" make -C "$REPO" --no-print-directory fuzz-build
fb=$?
if [ "$fb" = 0 ]; then
	note "fuzzers (short run)"
	RESULTS=$RES/fuzz.counts make -C "$REPO" --no-print-directory -s fuzz || true
fi
# The interleaving explorer on the engine (EXPLORE_SECONDS, default 60),
# and its mutants: each case counts.
note "interleaving explorer"
RESULTS=$RES/explore.counts "$REPO/scripts/explore.sh" --seconds "${EXPLORE_SECONDS:-60}" || true
if [ -n "$VMPID" ]; then
	while [ "$(running "$VMPID")" -gt 0 ]; do sleep 5; done
	wait "$VMPID" 2>/dev/null
	for k in $KVERS; do
		# A run that produced no result at all (e.g. the initramfs failed).
		if ! ls "$RES/vm/$k"/*.result >/dev/null 2>&1; then
			failures+=("VM run on $k (no results)")
		fi
	done
fi

# The Debian packages' job ran beside everything else (its VMs are
# short: a third guest for a minute or two).
if [ -n "$DEBPID" ]; then
	note "Debian packages: waiting for the test"
	while [ "$(running "$DEBPID")" -gt 0 ]; do sleep 5; done
	wait "$DEBPID" 2>/dev/null
	trap - TERM INT HUP
	sed 's/^/  /' "$RES/deb.log"
fi

# Count.
pass=0 fail=${#failures[@]}
if [ -f "$RES/unit.counts" ]; then
	read -r p f <"$RES/unit.counts"
	pass=$((pass + p))
	fail=$((fail + f))
	[ "$f" = 0 ] || failures+=("unit tests: $f failed")
elif [ "$ub" = 0 ]; then
	fail=$((fail + 1))
	failures+=("unit tests did not report")
fi
if [ -f "$RES/fuzz.counts" ]; then
	read -r p f _ <"$RES/fuzz.counts"
	pass=$((pass + p))
	fail=$((fail + f))
	[ "$f" = 0 ] || failures+=("fuzzers: $f failed")
elif [ "$fb" = 0 ]; then
	fail=$((fail + 1))
	failures+=("fuzzers did not report")
fi
if [ -f "$RES/explore.counts" ]; then
	read -r p f <"$RES/explore.counts"
	pass=$((pass + p))
	fail=$((fail + f))
	[ "$f" = 0 ] || failures+=("explorer: $f failed")
else
	fail=$((fail + 1))
	failures+=("explorer did not report")
fi
if [ "$CHECK_DEB" = 1 ]; then
	if [ "$(cut -d' ' -f2 "$RES/deb.counts" 2>/dev/null)" != 0 ]; then
		fail=$((fail + 1))
		failures+=("make deb (log: $RES/deb.log)")
	else
		pass=$((pass + 1))
		if [ -f "$RES/deb-test.counts" ]; then
			read -r p f <"$RES/deb-test.counts"
			pass=$((pass + p))
			fail=$((fail + f))
			[ "$f" = 0 ] || failures+=("Debian packages test: $f failed (log: $RES/deb.log)")
		else
			fail=$((fail + 1))
			failures+=("Debian packages test did not report (log: $RES/deb.log)")
		fi
	fi
fi
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

note "done in $((SECONDS - t0))s"
for f in "${failures[@]}"; do
	echo "FAILED: $f"
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
