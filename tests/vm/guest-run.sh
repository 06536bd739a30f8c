#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (started by /init). Reads from the kernel command
# line:
#   vmtest.scenarios=a,b,c   scenarios to run in order (tests/vm/scenarios/NAME.sh)
#   vmtest.phase=N           1 normally; 2 after a power cut (N+1 after N)
#   vmtest.cycles=N          power cuts the scenario asks for (default 1)
#   vmtest.mode=shell        interactive shell on the console instead
#   vmtest.debug=1           a debug kernel (make check-debug): debugfs is
#                            mounted, more kernel log patterns fail a
#                            scenario, and kmemleak is scanned once all
#                            scenarios ran (a suspect of dm_ssdcache fails
#                            the boot: the host reports it)
#   vmtest.kmemleak=scenario ... scanned after every scenario instead (the
#                            suspect fails the scenario; costs two scans,
#                            20-40 s under TCG, per scenario)
#
# Protocol on the result port (/dev/ttyS1), one item per line:
#   BOOT <kernel release> phase=<N>
#   START <name>
#   [<name>] <output line of the scenario>
#   KLOG <name> <kernel log line that matched a bad pattern>
#   POWERCUT <name>          (written by powercut_point in lib.sh)
#   KMEMLEAK <name> ssc|other|note <text>   (debug kernels: an unreferenced
#                            object and its first frames outside the
#                            allocator; <name> is the scenario, or "end"
#                            for the scan after the last one)
#   RESULT <name> PASS|FAIL <seconds>s [reason]
#   DONE <number of failed scenarios>
# Every scenario start is also written to the kernel log ("vmtest: START
# <name>"), so the host can attribute console messages to scenarios.

RES=/dev/ttyS1
# Kernel log lines that fail a scenario (the host checks the same).
BAD='BUG:|WARNING:|Oops|general protection|blocked for more than|Call Trace'
IGNORE='module verification failed'
# Added on a debug kernel (keep in sync with DEBUG_BAD_RE in scripts/vm-run.sh).
DEBUG_BAD='KASAN|ODEBUG|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|sleeping function called from invalid context|soft lockup|rcu: INFO|detected stall'
KML=/sys/kernel/debug/kmemleak

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
debug=$(param debug)
kml_mode=$(param kmemleak)
mkdir -p /tmp/run
if [ "$debug" = 1 ]; then
	BAD="$BAD|$DEBUG_BAD"
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
fi

# ssc_ranges: record where dm_ssdcache's code is, while it is loaded, so that
# kmemleak backtraces can be attributed after an unload (raw addresses).
ssc_ranges() {
	awk '$1 == "dm_ssdcache" { print $2, $6 }' /proc/modules 2>/dev/null |
		while read -r size addr; do
			printf '%016x %016x\n' $((addr)) $((addr + size))
		done >>/tmp/run/.ssc-ranges
}

# kmemleak_check NAME: scan twice (an object is reported once it stayed
# unreferenced and unchanged over two scans), report the suspects on the
# result port, clear them. Prints how many are dm_ssdcache's.
kmemleak_check() {
	if [ ! -w $KML ] || ! echo scan >$KML 2>/dev/null; then
		echo "KMEMLEAK $1 note kmemleak unavailable (disabled?): no leak check" >&3
		echo 0
		return
	fi
	sleep 1
	echo scan >$KML
	cat $KML >/tmp/run/$1.kmemleak 2>/dev/null
	echo clear >$KML
	[ -s /tmp/run/$1.kmemleak ] || { echo 0; return; }
	ssc_ranges
	awk -v ranges=/tmp/run/.ssc-ranges '
	BEGIN { while ((getline l <ranges) > 0) { split(l, r, " "); lo[++nr] = r[1]; hi[nr] = r[2] } }
	# An object allocated by one of the test helper modules (vmtest_*,
	# e.g. the leak selftest-kmemleak plants) is never dm_ssdcache'"'"'s:
	# its init code is freed after loading, and when dm_ssdcache is later
	# loaded at that address the return address into it resolves there.
	function flush() {
		if (obj == "") return
		if (helper) ssc = 0
		print (ssc ? "ssc" : "other"), obj, (frames == "" ? "?" : frames)
		obj = ""
	}
	/^unreferenced object/ { flush(); obj = $3 " " $4 " " $5; ssc = 0; helper = 0; frames = ""; nf = 0; next }
	/^ +\[<[0-9a-f]+>\]/ {
		a = $1; gsub(/[][<>]/, "", a)
		if ($0 ~ /\[dm_ssdcache\]/) ssc = 1
		for (i = 1; i <= nr; i++) if (a >= lo[i] && a < hi[i]) ssc = 1
		f = $2; if (NF >= 3) f = f " " $3
		# skip the allocator frames
		if (f ~ /^(kmemleak_|kmalloc|__kmalloc|kmem_cache_alloc|__kmem_cache_alloc|slab_post_alloc|kvmalloc|kvzalloc|__vmalloc|vmalloc|vzalloc|alloc_pages|__alloc_pages|mempool_|krealloc|kstrdup|kmemdup|__do_kmalloc|kzalloc|kcalloc|kvcalloc|__kvmalloc|pcpu_alloc|__alloc_percpu|alloc_percpu)/ && !(f ~ /dm_ssdcache/)) next
		if (nf == 0 && $0 ~ /\[vmtest_[a-z_]*\]/) helper = 1
		if (nf < 3) { frames = frames (nf ? " < " : "") f; nf++ }
		next
	}
	END { flush() }' /tmp/run/$1.kmemleak >/tmp/run/$1.leaks
	while IFS= read -r l; do echo "KMEMLEAK $1 $l"; done </tmp/run/$1.leaks >&3
	grep -c '^ssc ' /tmp/run/$1.leaks
}

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
	leaks=0
	[ "$debug" = 1 ] && [ "$kml_mode" = scenario ] && leaks=$(kmemleak_check "$s")
	# Kernel messages this scenario caused.
	dmesg -c >/tmp/run/$s.klog
	echo "vmtest: END $s rc=$rc" >/dev/kmsg
	reason=
	[ "$rc" = 0 ] || reason="exit status $rc"
	[ "$leaks" = 0 ] || reason="${reason:+$reason; }kmemleak: $leaks unreferenced object(s) of dm_ssdcache"
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
if [ "$debug" = 1 ] && [ "$kml_mode" != scenario ]; then
	# the host fails the boot on a suspect of dm_ssdcache
	kmemleak_check end >/dev/null
fi
sync
echo "DONE $failed" >&3
