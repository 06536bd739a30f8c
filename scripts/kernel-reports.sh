#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel-reports.sh [--ko MODULE.ko] CONSOLE.log...
# Summarise the kernel reports in VM console logs (make check-debug): every
# KASAN, lockdep, RCU, debug-objects, "BUG:", "WARNING:", hung-task, soft
# lockup, oops and blocked-task dump (sysrq w), one block per report:
#
#   == <scenario>: <title>                         [xN if seen N times]
#      <section>: fn < fn < fn ...      (stack frames, innermost first;
#                                        dm_ssdcache's marked with *)
#      dm_ssdcache: fn+off (file:line) ...
#
# Sections: the trace, and for KASAN the "Allocated by" and "Freed by"
# stacks. With --ko (the module built with -g), dm_ssdcache frames get
# file:line from the kernel's scripts/faddr2line (the tree is found from
# the module's vermagic via scripts/kernels.sh). Exit status 0; prints
# nothing if there is no report.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
KO=
if [ "${1:-}" = --ko ]; then
	KO=$2
	shift 2
fi
[ $# -gt 0 ] || { echo "usage: $0 [--ko MODULE.ko] CONSOLE.log..." >&2; exit 2; }

FADDR=
if [ -n "$KO" ] && [ -f "$KO" ]; then
	rel=$(modinfo -F vermagic "$KO" 2>/dev/null | awk '{print $1}')
	kdir=$("$REPO/scripts/kernels.sh" "$rel" kdir 2>/dev/null || true)
	[ -x "$kdir/scripts/faddr2line" ] && FADDR=$kdir/scripts/faddr2line
fi

for log in "$@"; do
	tr -d '\r' <"$log" | sed 's/^\[ *[0-9.]*\] //' | awk -v src="$log" '
	function start(t) { flush(); title = t; sect = "trace"; nsec = 0; nfr = 0; inrep = 1; lines = 0 }
	function flush(   i, out) {
		if (!inrep) return
		inrep = 0
		out = "== " cur ": " title
		for (i = 1; i <= nsec; i++) out = out "\n   " secname[i] ": " secfr[i]
		if (ssc != "") out = out "\n   dm_ssdcache: " ssc
		print out
		print "\x1e"
		ssc = ""
	}
	function frame(l,   f, m) {
		# " ssc_write_complete+0x1a3/0x400 [dm_ssdcache]" or " ? foo+0x1/0x2"
		if (l ~ /^ *\? /) return
		if (!match(l, /[A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+\/0x[0-9a-f]+/)) return
		f = substr(l, RSTART, RLENGTH)
		m = (l ~ /\[dm_ssdcache\]/)
		if (sect != cursect) { nsec++; secname[nsec] = sect; secfr[nsec] = ""; cursect = sect; nfr = 0 }
		if (nfr < 12) {
			secfr[nsec] = secfr[nsec] (nfr ? " < " : "") (m ? "*" : "") substr(f, 1, index(f, "+") - 1)
			nfr++
		}
		if (m && index(ssc, f) == 0) ssc = ssc (ssc == "" ? "" : " ") f
	}
	BEGIN { cur = "boot"; inrep = 0; cursect = "" }
	/vmtest: START / { flush(); for (i = 1; i <= NF; i++) if ($i == "START") cur = $(i + 1); next }
	/vmtest: END / { flush(); next }
	/module verification failed/ { next }
	/^(BUG: |WARNING: |INFO: task .* blocked for more than|Oops|general protection fault|ODEBUG: |rcu: INFO: |watchdog: BUG: soft lockup|Kernel panic)/ {
		# lockdep and KASAN print "WARNING:"/"BUG:" inside a ==== box
		start($0); cursect = ""; next
	}
	/^task:[^ ]+ +state:D/ && blocked { start("blocked task (sysrq w): " $1); cursect = ""; next }
	/^sysrq: Show Blocked State/ { flush(); blocked = 1; next }
	!inrep { next }
	/^Allocated by task/ { sect = "allocated"; next }
	/^Freed by task/ { sect = "freed"; next }
	/^Last potentially related work creation/ { sect = "work queued"; next }
	/^Second to last potentially related work creation/ { sect = "work queued (2nd)"; next }
	/^(other info that might help|the existing dependency chain)/ { sect = "chain"; next }
	/^-> #[0-9]/ { sect = "chain " $2; next }
	/^(-+\[ end trace|={20,}$)/ { if (nsec) flush(); next }
	{ frame($0); if (++lines > 400) flush() }
	END { flush() }'
done | awk 'BEGIN { RS = "\x1e\n" } NF { n[$0]++; if (n[$0] == 1) order[++k] = $0 }
	END { for (i = 1; i <= k; i++) { r = order[i]; if (n[r] > 1) sub(/\n|$/, "   [x" n[r] "]&", r); print r } }' |
while IFS= read -r line; do
	if [ -n "$FADDR" ] && [[ $line == "   dm_ssdcache: "* ]]; then
		out="   dm_ssdcache:"
		for f in ${line#   dm_ssdcache: }; do
			# "fn at file:line", then "(inlined by) caller at file:line"
			# (the module's own files only: kernel headers are noise)
			loc=$("$FADDR" "$KO" "$f" 2>/dev/null | sed -n 's/^\((inlined by) \)\{0,1\}\([^ ]*\) at \(.*\)$/\2 \3/p' |
				grep '/build/module/' | sed 's|[^ ]*/build/module/[^/]*/||' | paste -sd'<' | sed 's/</ < /g')
			out="$out
      $f${loc:+: $loc}"
		done
		echo "$out"
	else
		echo "$line"
	fi
done
