#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run VM scenarios (tests/vm/scenarios/NAME.sh) in QEMU on one of the fetched
# Debian kernels.
#
#   scripts/vm-run.sh [-k KVER] [-t SECONDS] [-o DIR] [-v] [SCENARIO...]
#   scripts/vm-run.sh [-k KVER] --shell      interactive shell in the VM
#   scripts/vm-run.sh [-k KVER] --demo       the demo (tests/vm/demo.sh)
#
#   -k KVER     6.1 (default), 6.12, 6.1-debug (scripts/build-debug-kernel.sh)
#               or a full version
#   -t SECONDS  default timeout per scenario (default 300; "# timeout:" wins)
#   -o DIR      write DIR/<kver>/<scenario>.result ("PASS 12s" or
#               "FAIL 12s <reason>"); default build/vm/results
#   -v          show the scenarios' output as they run
#   SCENARIO    default: every scenario without "# check: no"
#
# Scenario headers (comment lines near the top of the script):
#   # disks: 256M 64M     virtio disks (sparse files under build/), /dev/vda, ...
#   # timeout: 120        seconds, for this scenario
#   # powercut: marker    kill the VM when the scenario calls powercut_point
#   # powercut: after=20  kill the VM 20 s after the scenario started
#                         (then boot again on the same disks with PHASE=2)
#   # cycles: 20          with a power cut: cut the power in phases 1..20,
#                         the last boot (PHASE=21) ends the scenario; the
#                         guest sees CYCLES=20 (default 1)
#   # check: no           not run unless named explicitly
#   # boot: own           a boot of its own (also without disks)
# Environment: VM_PARAMS="KEY=VALUE ..." passes knobs to the scenarios (on the
# guest kernel command line as vmtest.KEY=VALUE; lib.sh: vm_param KEY DEFAULT).
# Scenarios without disks, power cuts and "boot: own" share one boot; the
# others get their own.
#
# A scenario fails on a non-zero exit status, a timeout, a VM that dies, or a
# kernel log line matching BUG:|WARNING:|Oops|general protection|blocked for
# more than|Call Trace (checked in the guest per scenario and again on the
# host in the console log). Exit status: 0 if everything passed.
#
# On a debug kernel (a KVER ending in -debug) the guest also gets
# "vmtest.debug=1 slab_nomerge kasan_multi_shot no5lvl acpi=noirq slub_debug=A,
# ssc_wb,bio-*,biovec-*" (see DEBUG_APPEND below): it mounts
# debugfs and, after the last scenario of a boot, runs a kmemleak scan; a
# suspect of dm_ssdcache fails that boot's scenario (a boot of one), or a
# result "kmemleak-<boot>" (others are reported in <run>/kmemleak.txt).
# VM_KMEMLEAK=scenario scans after every scenario instead. The log patterns
# then include KASAN, lockdep, RCU, debug-objects, kmemleak, soft lockup and
# RCU stall reports too.
#
# Environment: VM_TIMEOUT (default timeout), VM_TIMEOUT_SCALE (integer factor
# for every timeout, the boot's included; make check-debug uses 2),
# VM_BOOT_TIMEOUT, VM_KMEMLEAK (boot | scenario), VM_MODULE (a dm-ssdcache.ko
# to test instead of build/module/<version>/dm-ssdcache.ko, e.g. the one DKMS
# built: scripts/mkinitramfs.sh).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
SCEN_DIR=$REPO/tests/vm/scenarios
BAD_RE='BUG:|WARNING:|Oops|general protection|blocked for more than|Call Trace'
IGNORE_RE='module verification failed'
BOOT_TIMEOUT=${VM_BOOT_TIMEOUT:-180}
VM_APPEND=
for kv in ${VM_PARAMS:-}; do VM_APPEND+=" vmtest.$kv"; done
SCALE=${VM_TIMEOUT_SCALE:-1}
EARLY_STALL=${VM_EARLY_STALL:-90}
# Added on a debug kernel (keep in sync with tests/vm/guest-run.sh).
DEBUG_BAD_RE='KASAN|ODEBUG|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|sleeping function called from invalid context|soft lockup|rcu: INFO|detected stall'

KVER=${KVER:-6.1}
TIMEOUT=${VM_TIMEOUT:-300}
OUTDIR=$BUILD/vm/results
VERBOSE=0
MODE=run
SCENARIOS=()
while [ $# -gt 0 ]; do
	case $1 in
	-k) KVER=$2; shift ;;
	-t) TIMEOUT=$2; shift ;;
	-o) OUTDIR=$2; shift ;;
	-v) VERBOSE=1 ;;
	--shell) MODE=shell ;;
	--demo) MODE=demo ;;
	-h|--help) sed -n '3,33p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "vm-run: unknown option $1" >&2; exit 2 ;;
	*) SCENARIOS+=("$1") ;;
	esac
	shift
done

die() { echo "vm-run: error: $*" >&2; exit 1; }

VER=$("$REPO/scripts/kernels.sh" "$KVER" version)
LINE=$("$REPO/scripts/kernels.sh" | awk -v v="$VER" '$2 == v {print $1}')
VMLINUZ=$("$REPO/scripts/kernels.sh" "$VER" vmlinuz)
DEBUG_APPEND=
case $LINE in
*-debug)
	BAD_RE="$BAD_RE|$DEBUG_BAD_RE"
	# kasan_multi_shot: every report, not only the first of a boot;
	# no5lvl: KASAN of 6.1 reports a wild access in an early interrupt
	# when qemu's -cpu max offers 5-level paging; acpi=noirq: under TCG
	# the KASAN-instrumented AML interpreter runs _PRT into its 30 s
	# loop timeout at every boot. slub_debug=A: the caches failslab's
	# cache-filter applies to (6.1's sysfs flag is read-only).
	DEBUG_APPEND="vmtest.debug=1 vmtest.kmemleak=${VM_KMEMLEAK:-boot} slab_nomerge kasan_multi_shot no5lvl acpi=noirq slub_debug=A,ssc_wb,bio-*,biovec-*" ;;
esac
BOOT_TIMEOUT=$((BOOT_TIMEOUT * SCALE))
TIMEOUT=$((TIMEOUT * SCALE))
EARLY_STALL=$((EARLY_STALL * SCALE))
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run scripts/install-deps.sh"
"$REPO/scripts/mkinitramfs.sh" "$VER"
INITRD=$BUILD/vm/$VER/initramfs${VM_MODULE:+-alt}.cpio
USERLAND=$BUILD/vm/userland
TAG="[$LINE]"

# header FILE KEY: the value of "# KEY: value" in the first 30 lines.
header() {
	head -n 30 "$1" | sed -n "s/^# *$2: *//p" | head -n1
}

# qemu_cmd APPEND CONSOLE RESULT [DISK...]: fill QEMU[] with the command.
qemu_cmd() {
	local append=$1 console=$2 result=$3 d
	shift 3
	# One TCG thread for both vCPUs (VM_TCG_THREAD=multi to change it):
	# multi-threaded TCG races with the kernel's int3-based text patching
	# (static keys, alternatives at module load) and once oopsed a guest
	# with "Oops: int3" early in its boot. The guest still has two CPUs
	# and its threads still interleave; make check runs two VMs at once,
	# so the host's two cores stay busy.
	QEMU=(qemu-system-x86_64 -accel "tcg,thread=${VM_TCG_THREAD:-single}" -cpu max -smp 2 -m 2G
		-nographic -no-reboot -nic none
		-kernel "$VMLINUZ" -initrd "$INITRD"
		-append "console=ttyS0 panic=-1 oops=panic no_timer_check $DEBUG_APPEND $append$VM_APPEND"
		-virtfs "local,path=$USERLAND,mount_tag=userland,security_model=none,readonly=on")
	if [ "$console" = stdio ]; then
		QEMU+=(-serial mon:stdio -serial "file:$result")
	else
		QEMU+=(-monitor none -serial "file:$console" -serial "file:$result")
	fi
	for d in "$@"; do
		QEMU+=(-drive "file=$d,if=virtio,format=raw,cache=$DISK_CACHE,aio=threads")
	done
}

# Host page cache bypass for the disk images, if the file system allows it.
disk_cache_mode() {
	local f=$BUILD/vm/.odirect-test.$$
	mkdir -p "$BUILD/vm"
	if dd if=/dev/zero of="$f" bs=4096 count=1 oflag=direct 2>/dev/null; then
		DISK_CACHE=none
	else
		DISK_CACHE=writeback
		echo "vm-run: $BUILD does not support O_DIRECT; disks use cache=writeback" >&2
	fi
	rm -f "$f"
}
disk_cache_mode

if [ "$MODE" = shell ]; then
	mkdir -p "$BUILD/vm/$VER/shell"
	qemu_cmd "vmtest.mode=shell" stdio "$BUILD/vm/$VER/shell/result.log"
	echo "vm-run: booting $VER; in the guest: 'poweroff -f' (or exit) to leave, Ctrl-A X kills qemu" >&2
	exec "${QEMU[@]}"
fi
if [ "$MODE" = demo ]; then
	SCENARIOS=(demo)
	VERBOSE=2
	SCEN_DIR=$REPO/tests/vm
fi

if [ ${#SCENARIOS[@]} = 0 ]; then
	for f in "$SCEN_DIR"/*.sh; do
		[ "$(header "$f" check)" = no ] && continue
		SCENARIOS+=("$(basename "$f" .sh)")
	done
fi
for s in "${SCENARIOS[@]}"; do
	[ -f "$SCEN_DIR/$s.sh" ] || die "no scenario $SCEN_DIR/$s.sh"
done

RUNDIR=$BUILD/vm/$VER/runs${VM_MODULE:+-alt}
RESDIR=$OUTDIR/$LINE
mkdir -p "$RUNDIR" "$RESDIR"

declare -A RESULT        # scenario -> "PASS 12s" | "FAIL 12s reason"
NFAIL=0

record() {                # record NAME STATUS SECONDS REASON
	local line="$2 $3s${4:+ $4}"
	RESULT[$1]=$line
	echo "$line" >"$RESDIR/$1.result"
	echo "$TAG $1: $line"
}

# boot NAME PHASE POWERCUT TIMEOUTS SCENARIO... -- DISK...
# Boots once and runs the scenarios in order. Sets:
#   B_DONE[]     scenario -> result line reported by the guest (or our verdict)
#   B_STARTED    scenarios that started; B_CUT=1 if we cut the power
#   B_LOG        the run directory
declare -A B_DONE
B_LOG=
# On TERM/INT/HUP, take the running VM down with us.
on_signal() {
	if [ -n "$B_LOG" ] && [ -f "$B_LOG/qemu.pid" ]; then
		kill -9 "$(cat "$B_LOG/qemu.pid")" 2>/dev/null
	fi
	echo "$TAG interrupted" >&2
	exit 143
}
trap on_signal TERM INT HUP

# kill_vm SUBSHELL-PID PIDFILE: kill -9 the qemu process (a power cut).
kill_vm() {
	local i pid
	for i in 1 2 3 4 5 6 7 8 9 10; do
		pid=$(cat "$2" 2>/dev/null || true)
		[ -n "$pid" ] && break
		sleep 0.2
	done
	if [ -n "$pid" ]; then
		kill -9 "$pid" 2>/dev/null || true
	else
		kill -9 "$1" 2>/dev/null || true
	fi
}

# On a debug kernel, a VM that never reached the guest's BOOT line (boot
# timeout, or a console silent for EARLY_STALL seconds) is booted again, up
# to twice: the instrumented 6.1 kernel stops in early boot in about one boot
# in six under TCG (in synchronize_rcu_tasks() of PROVE_RCU's RCU-tasks
# self-test, before any scenario). The failed console logs are kept as
# <run>.noboot1, <run>.noboot2.
boot() {
	local try=1
	boot_once "$@"
	while [ "$B_NOBOOT" = 1 ] && [ -n "$DEBUG_APPEND" ] && [ $try -le 2 ]; do
		echo "$TAG $1 (phase $2): the VM did not boot ($B_VERDICT; console: $B_LOG.noboot$try/console.log); booting again"
		rm -rf "$B_LOG.noboot$try"
		mv "$B_LOG" "$B_LOG.noboot$try"
		try=$((try + 1))
		boot_once "$@"
	done
}

boot_once() {
	local name=$1 phase=$2 powercut=$3
	B_NOBOOT=0
	shift 3
	local scen=() disks=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do scen+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	disks=("$@")
	B_LOG=$RUNDIR/$name.phase$phase
	rm -rf "$B_LOG"
	mkdir -p "$B_LOG"
	local console=$B_LOG/console.log result=$B_LOG/result.log
	: >"$console"
	: >"$result"
	local list
	list=$(IFS=,; echo "${scen[*]}")
	qemu_cmd "vmtest.scenarios=$list vmtest.phase=$phase vmtest.cycles=${B_CYCLES:-1}" \
		"$console" "$result" "${disks[@]}"
	printf '%q ' "${QEMU[@]}" >"$B_LOG/qemu.cmd"
	B_DONE=()
	B_STARTED=()
	B_CUT=0
	local t_start=$SECONDS t_boot=-1 cur= cur_start=0 deadline=0 done_at=-1 n=0 verdict=
	local last_csize=-1 last_cgrow=$SECONDS csize
	# qemu runs in a subshell so that bash reports its SIGKILL there, not here;
	# it is killed by its own pid (-pidfile).
	rm -f "$B_LOG/qemu.pid"
	("${QEMU[@]}" -pidfile "$B_LOG/qemu.pid"; echo "qemu exit status $?") </dev/null >"$B_LOG/qemu.out" 2>&1 &
	local qpid=$!

	local lines l kind a b
	while :; do
		local alive=1
		kill -0 "$qpid" 2>/dev/null || alive=0
		# New complete lines on the result port.
		mapfile -t -s "$n" lines < <(tr -d '\r' <"$result")
		if [ ${#lines[@]} -gt 0 ] && [ -n "$(tail -c1 "$result")" ] && [ "$alive" = 1 ]; then
			unset 'lines[-1]'        # incomplete last line: next round
		fi
		n=$((n + ${#lines[@]}))
		for l in "${lines[@]}"; do
			read -r kind a b <<<"$l" || true
			case $kind in
			BOOT)
				t_boot=$((SECONDS - t_start))
				[ "$VERBOSE" = 0 ] || echo "$TAG booted $a $b in ${t_boot}s"
				echo "$t_boot" >"$B_LOG/boot-seconds" ;;
			START)
				cur=$a
				cur_start=$SECONDS
				deadline=$((SECONDS + ${TIMEOUTS[$a]:-$TIMEOUT}))
				B_STARTED+=("$a")
				[ "$VERBOSE" = 0 ] || echo "$TAG START $a (phase $phase)" ;;
			RESULT)
				B_DONE[$a]=$b
				cur= ;;
			KLOG)
				echo "$TAG $l" ;;
			KMEMLEAK)
				echo "$l" >>"$B_LOG/kmemleak.txt"
				echo "$TAG $l" ;;
			POWERCUT)
				echo "$l" >>"$B_LOG/events"
				if [ "$powercut" = marker ] && [ "$B_CUT" = 0 ]; then
					kill_vm "$qpid" "$B_LOG/qemu.pid"
					B_CUT=1
					[ "$VERBOSE" = 0 ] || echo "$TAG power cut at marker ($a)"
				fi ;;
			DONE)
				done_at=$SECONDS ;;
			*)
				if [ "$VERBOSE" = 2 ]; then
					echo "${l#\[*\] }"
				elif [ "$VERBOSE" = 1 ]; then
					echo "$TAG $l"
				fi ;;
			esac
		done
		[ "$alive" = 1 ] || break
		[ "$B_CUT" = 1 ] && continue
		if [ -n "$cur" ] && [ "$SECONDS" -ge "$deadline" ]; then
			kill_vm "$qpid" "$B_LOG/qemu.pid"
			B_DONE[$cur]="FAIL $((SECONDS - cur_start))s timeout after ${TIMEOUTS[$cur]:-$TIMEOUT}s"
			cur=
			verdict=timeout
			continue
		fi
		case $powercut in
		after=*)
			if [ -n "$cur" ] && [ $((SECONDS - cur_start)) -ge "${powercut#after=}" ]; then
				kill_vm "$qpid" "$B_LOG/qemu.pid"
				B_CUT=1
				[ "$VERBOSE" = 0 ] || echo "$TAG power cut after ${powercut#after=}s"
				continue
			fi ;;
		esac
		if [ "$t_boot" -lt 0 ] && [ $((SECONDS - t_start)) -ge "$BOOT_TIMEOUT" ]; then
			kill_vm "$qpid" "$B_LOG/qemu.pid"
			verdict="VM did not boot within ${BOOT_TIMEOUT}s"
			B_NOBOOT=1
			continue
		fi
		# debug kernel: a console silent for EARLY_STALL s before the
		# guest's BOOT line is a boot that stopped (see boot above)
		if [ -n "$DEBUG_APPEND" ] && [ "$t_boot" -lt 0 ]; then
			csize=$(stat -c %s "$console")
			if [ "$csize" != "$last_csize" ]; then
				last_csize=$csize
				last_cgrow=$SECONDS
			elif [ $((SECONDS - last_cgrow)) -ge "$EARLY_STALL" ]; then
				kill_vm "$qpid" "$B_LOG/qemu.pid"
				verdict="VM did not boot (console silent for ${EARLY_STALL}s)"
				B_NOBOOT=1
				continue
			fi
		fi
		if [ "$done_at" -ge 0 ] && [ $((SECONDS - done_at)) -ge 30 ]; then
			kill_vm "$qpid" "$B_LOG/qemu.pid"   # poweroff hangs
			continue
		fi
		sleep 0.3
	done
	# Let qemu's subshell go without "wait PID": under heavy load bash's
	# wait was seen twice blocking for good in waitpid(-1) on the tee that
	# outlives it (the caller's "> >(tee ...)" is our child too), once
	# even after a kill -0 check. Bash reaps the subshell itself; poll
	# until it is gone (at most 30 s, should its PID be reused).
	for _ in $(seq 150); do
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.2
	done
	B_VERDICT=$verdict
	# The scenario that was running when the VM died without us cutting it.
	if [ -n "$cur" ] && [ "$B_CUT" = 0 ]; then
		B_DONE[$cur]="FAIL $((SECONDS - cur_start))s VM died (panic?) with no result; see $console"
	fi
	if [ "$done_at" -lt 0 ] && [ "$B_CUT" = 0 ] && [ -z "$verdict" ]; then
		B_VERDICT="no DONE marker (VM died)"
	fi

	# Kernel log on the console, attributed to the scenario that was running
	# ("vmtest: START <name>" lines come from the guest via /dev/kmsg).
	tr -d '\r' <"$console" | awk -v bad="$BAD_RE" -v ign="$IGNORE_RE" '
		/vmtest: START / { for (i = 1; i <= NF; i++) if ($i == "START") cur = $(i + 1); next }
		$0 ~ bad && $0 !~ ign { print (cur == "" ? "boot" : cur) "\t" $0 }
	' >"$B_LOG/kernel-bad.txt"
	if [ -s "$B_LOG/kernel-bad.txt" ]; then
		echo "$TAG kernel log problems in $console:"
		sed "s/^/$TAG   /" "$B_LOG/kernel-bad.txt" | head -n 20
	fi
	# kmemleak suspects of dm_ssdcache in the scan after the last scenario
	B_LEAK=
	if [ -f "$B_LOG/kmemleak.txt" ]; then
		B_LEAK=$(grep -c '^KMEMLEAK end ssc ' "$B_LOG/kmemleak.txt" || true)
		[ "$B_LEAK" != 0 ] || B_LEAK=
		if [ -n "$B_LEAK" ] && [ ${#scen[@]} = 1 ] && [ -n "${B_DONE[${scen[0]}]:-}" ]; then
			case ${B_DONE[${scen[0]}]} in
			PASS*) B_DONE[${scen[0]}]="FAIL 0s kmemleak: $B_LEAK unreferenced object(s) of dm_ssdcache" ;;
			esac
			B_LEAK=
		elif [ -n "$B_LEAK" ]; then
			echo "FAIL 0s kmemleak: $B_LEAK unreferenced object(s) of dm_ssdcache after ${scen[*]}" \
				>"$RESDIR/kmemleak-$name.result"
			echo "$TAG kmemleak-$name: FAIL $B_LEAK unreferenced object(s) of dm_ssdcache (see $B_LOG/kmemleak.txt)"
			NFAIL=$((NFAIL + 1))
		fi
	fi
	local s first
	while IFS=$'\t' read -r s first; do
		if [ "$s" = boot ]; then
			B_BOOTBAD="${B_BOOTBAD:-$first}"
			continue
		fi
		case ${B_DONE[$s]:-} in
		FAIL*) ;;
		*) B_DONE[$s]="FAIL 0s kernel log: ${first:0:120}" ;;
		esac
	done <"$B_LOG/kernel-bad.txt"
}

# Print the guest output of a failed scenario.
show_failure() {
	local s=$1 log=$2
	echo "$TAG ---- $s output ($log/result.log) ----"
	tr -d '\r' <"$log/result.log" | grep -F "[$s] " | tail -n 40 | sed "s/^/$TAG /"
	case ${B_DONE[$s]:-} in
	*timeout*|*died*|*"no result"*)
		echo "$TAG ---- console tail ($log/console.log) ----"
		tr -d '\r' <"$log/console.log" | tail -n 25 | sed "s/^/$TAG /" ;;
	esac
}

# Verdict for one finished scenario from B_DONE (sets NFAIL, writes result).
finish() {
	local s=$1 r=${B_DONE[$1]:-} st secs reason
	read -r st secs reason <<<"$r"
	record "$s" "$st" "${secs%s}" "$reason"
	if [ "$st" != PASS ]; then
		NFAIL=$((NFAIL + 1))
		[ "$VERBOSE" = 2 ] || show_failure "$s" "$B_LOG"
	fi
}

declare -A TIMEOUTS
BATCH=()
SINGLE=()
for s in "${SCENARIOS[@]}"; do
	f=$SCEN_DIR/$s.sh
	t=$(header "$f" timeout)
	[ -n "$t" ] && TIMEOUTS[$s]=$((t * SCALE))
	if [ -n "$(header "$f" disks)$(header "$f" powercut)" ] || [ "$(header "$f" boot)" = own ]; then
		SINGLE+=("$s")
	else
		BATCH+=("$s")
	fi
done

B_BOOTBAD=
nboot=0
# Scenarios sharing a boot; after a VM death the rest go on in a new boot.
pending=("${BATCH[@]}")
while [ ${#pending[@]} -gt 0 ]; do
	nboot=$((nboot + 1))
	boot "batch$nboot" 1 none "${pending[@]}" --
	rest=()
	for s in "${pending[@]}"; do
		if [ -n "${B_DONE[$s]:-}" ]; then
			finish "$s"
		elif [ ${#B_STARTED[@]} = 0 ]; then
			B_DONE[$s]="FAIL 0s ${B_VERDICT:-VM failed before running it}"
			finish "$s"
		else
			rest+=("$s")
		fi
	done
	pending=("${rest[@]}")
done

for s in "${SINGLE[@]}"; do
	f=$SCEN_DIR/$s.sh
	pc=$(header "$f" powercut)
	pc=${pc:-none}
	ddir=$BUILD/vm/$VER/disks${VM_MODULE:+-alt}/$s
	rm -rf "$ddir"
	mkdir -p "$ddir"
	disks=()
	i=0
	for size in $(header "$f" disks); do
		i=$((i + 1))
		truncate -s "$size" "$ddir/disk$i.img"
		disks+=("$ddir/disk$i.img")
	done
	cycles=1
	[ "$pc" = none ] || cycles=$(header "$f" cycles)
	B_CYCLES=${cycles:-1}
	phase=1
	t_scen=$SECONDS
	while :; do
		boot "$s" "$phase" "$pc" "$s" -- "${disks[@]}"
		[ "$pc" != none ] || break
		r=${B_DONE[$s]:-}
		[ "${r%% *}" = FAIL ] && break
		if [ "$B_CUT" = 0 ]; then
			if [ "$pc" = marker ] || [ -z "$r" ]; then
				B_DONE[$s]="FAIL 0s phase $phase ended without the power cut (${r:-${B_VERDICT:-no result}})"
				break
			fi
		fi
		# Kernel problems before a power cut fail the scenario even if
		# the later phases pass.
		pbad=$(cut -f2 "$B_LOG/kernel-bad.txt" | head -n1)
		if [ -n "$pbad" ]; then
			B_DONE[$s]="FAIL 0s phase $phase kernel log: ${pbad:0:120}"
			break
		fi
		[ "$VERBOSE" = 0 ] || echo "$TAG $s: power cut $phase of $B_CYCLES after $((SECONDS - t_scen))s"
		phase=$((phase + 1))
		if [ "$phase" -gt "$B_CYCLES" ]; then
			boot "$s" "$phase" none "$s" -- "${disks[@]}"
			break
		fi
	done
	B_CYCLES=1
	# the whole scenario's time, over every boot
	case ${B_DONE[$s]:-} in
	PASS*) B_DONE[$s]="PASS $((SECONDS - t_scen))s" ;;
	esac
	[ -n "${B_DONE[$s]:-}" ] || B_DONE[$s]="FAIL 0s ${B_VERDICT:-no result}"
	finish "$s"
done

if [ -n "$B_BOOTBAD" ]; then
	echo "FAIL 0s kernel log outside any scenario: ${B_BOOTBAD:0:120}" >"$RESDIR/boot.result"
	echo "$TAG boot: FAIL kernel log outside any scenario: $B_BOOTBAD"
	NFAIL=$((NFAIL + 1))
fi
[ "$NFAIL" = 0 ]
