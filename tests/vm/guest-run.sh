#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (started by /init). Reads from the kernel command
# line:
#   vmtest.scenarios=a,b,c   scenarios to run in order (tests/vm/scenarios/NAME.sh)
#   vmtest.phase=N           1 normally; 2 after a power cut (N+1 after N)
#   vmtest.cycles=N          power cuts the scenario asks for (default 1)
#   vmtest.mode=shell        interactive shell on the console instead
#
# Protocol on the result port (/dev/ttyS1), one item per line:
#   BOOT <kernel release> phase=<N>
#   START <name>
#   [<name>] <output line of the scenario>
#   KLOG <name> <kernel log line that matched a bad pattern>
#   POWERCUT <name>          (written by powercut_point in lib.sh)
#   RESULT <name> PASS|FAIL <seconds>s [reason]
#   DONE <number of failed scenarios>
# Every scenario start is also written to the kernel log ("vmtest: START
# <name>"), so the host can attribute console messages to scenarios.

RES=/dev/ttyS1
# Kernel log lines that fail a scenario (the host checks the same).
BAD='BUG:|WARNING:|Oops|general protection|blocked for more than|Call Trace'
IGNORE='module verification failed'

param() {
	tr ' ' '\n' </proc/cmdline | sed -n "s/^vmtest\.$1=//p" | tail -n1
}

stty -F $RES raw -echo 2>/dev/null
exec 3>$RES

phase=$(param phase)
[ -n "$phase" ] || phase=1
cycles=$(param cycles)
[ -n "$cycles" ] || cycles=1
mode=$(param mode)
scenarios=$(param scenarios | tr , ' ')

if [ "$mode" = shell ]; then
	echo "vmtest shell: scenarios are in /vm/scenarios, helpers in /vm/lib.sh; exit or ^D powers off"
	echo "(run one: sh /vm/scenarios/smoke.sh)"
	setsid cttyhack sh -l
	exit 0
fi

echo "BOOT $(uname -r) phase=$phase" >&3
failed=0
for s in $scenarios; do
	f=/vm/scenarios/$s.sh
	[ -f "$f" ] || f=/vm/$s.sh
	echo "START $s" >&3
	echo "vmtest: START $s phase=$phase" >/dev/kmsg
	dmesg -c >/dev/null
	t0=$(cut -d. -f1 /proc/uptime)
	mkdir -p /tmp/run/$s
	if [ ! -f "$f" ]; then
		echo "no such scenario: $f" >/tmp/run/$s.out
		echo 127 >/tmp/run/$s.rc
	else
		# Line-prefix the scenario's output on the result port; keep its status.
		{
			(cd /tmp/run/$s && PHASE=$phase CYCLES=$cycles SCENARIO=$s exec sh "$f")
			echo $? >/tmp/run/$s.rc
		} 2>&1 | while IFS= read -r l; do printf '[%s] %s\n' "$s" "$l"; done >&3
	fi
	rc=$(cat /tmp/run/$s.rc 2>/dev/null || echo 255)
	t1=$(cut -d. -f1 /proc/uptime)
	# Kernel messages this scenario caused.
	dmesg -c >/tmp/run/$s.klog
	echo "vmtest: END $s rc=$rc" >/dev/kmsg
	reason=
	[ "$rc" = 0 ] || reason="exit status $rc"
	if grep -E "$BAD" /tmp/run/$s.klog | grep -v "$IGNORE" >/tmp/run/$s.bad; then
		while IFS= read -r l; do echo "KLOG $s $l"; done </tmp/run/$s.bad >&3
		reason="${reason:+$reason; }kernel log: $(head -n1 /tmp/run/$s.bad | cut -c1-120)"
	fi
	if [ -z "$reason" ]; then
		echo "RESULT $s PASS $((t1 - t0))s" >&3
	else
		echo "RESULT $s FAIL $((t1 - t0))s $reason" >&3
		failed=$((failed + 1))
	fi
done
sync
echo "DONE $failed" >&3
