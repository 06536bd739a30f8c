#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# reliability.sh [-k KVER] [--fuzz-seconds N]: the reliability suite in one
# go: a short libFuzzer run of every harness (tests/fuzz), then the rel-*
# VM scenarios (tests/vm/scenarios/rel-*.sh) on one kernel, then a table:
# fuzzing, fault scenarios run/survived, bad inputs tried/refused, stress
# time and I/Os, data verified, kernel warnings. The scenarios report their
# figures on lines "REL key=value ...". Exit status 0 only if every fuzzer
# and scenario passed and no kernel warning was seen.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
KVER=6.1
FSECS=${FUZZ_SECONDS:-12}
while [ $# -gt 0 ]; do
	case $1 in
	-k) KVER=$2; shift ;;
	--fuzz-seconds) FSECS=$2; shift ;;
	*) echo "reliability: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
OUT=$BUILD/reliability
rm -rf "$OUT"
mkdir -p "$OUT"
t0=$SECONDS

echo "== reliability: fuzzers (${FSECS}s each)"
make -C "$REPO" --no-print-directory -s fuzz-build || echo "0 1 0" >"$OUT/fuzz.counts"
mapfile -t FBINS < <(find "$BUILD/fuzz" -maxdepth 1 -type f -name 'fuzz_*' ! -name '*.*' | sort)
[ -f "$OUT/fuzz.counts" ] || RESULTS=$OUT/fuzz.counts "$REPO/scripts/fuzz.sh" -t "$FSECS" "${FBINS[@]}"
read -r fpass ffail fexecs <"$OUT/fuzz.counts"

echo "== reliability: rel-* VM scenarios on $KVER"
make -C "$REPO" --no-print-directory -s tools KVERS="$KVER" modules >/dev/null || exit 1
mapfile -t SCEN < <(cd "$REPO/tests/vm/scenarios" && ls rel-*.sh | sed 's/\.sh$//')
"$REPO/scripts/vm-run.sh" -k "$KVER" -v -o "$OUT/vm" "${SCEN[@]}" >"$OUT/vm.log" 2>&1
vrc=$?
grep -vE '^\[[^]]*\] \[rel-[^]]*\] ' "$OUT/vm.log" | grep -v '^  ' || true
grep -E '^\[[^]]*\] \[rel-[^]]*\] (REL |FAIL|[0-9.]+ ok: )' "$OUT/vm.log" >"$OUT/rel.lines" || true

# REL figures, summed over the scenarios.
sum() { grep -o " $1=[0-9]*" "$OUT/vm.log" | cut -d= -f2 | awk '{s += $1} END {print s + 0}'; }
planned=$(sum faults_planned)
survived=$(grep -c ' REL fault=.* survived' "$OUT/vm.log")
bad=$(sum bad_inputs)
refused=$(sum refused)
ssecs=$(sum stress_seconds)
ops=$(sum ops)
vmb=$(sum verified_mb)
checks=$(grep -cE '\] [0-9.]+ ok: ' "$OUT/vm.log")
warn=$(grep -cE '^\[[^]]*\] KLOG |^\[[^]]*\]   ' "$OUT/vm.log")
spass=$(grep -l '^PASS' "$OUT"/vm/*/*.result 2>/dev/null | wc -l)
sfail=$(grep -L '^PASS' "$OUT"/vm/*/*.result 2>/dev/null | wc -l)
[ "$((spass + sfail))" -gt 0 ] || sfail=1
kernel=$(sed -n 's/^\[[^]]*\] booted \([^ ]*\) .*/\1/p' "$OUT/vm.log" | head -n1)

{
	echo
	echo "reliability report: kernel ${kernel:-?}, $(date -u +%Y-%m-%d), $((SECONDS - t0)) s"
	echo "  ---------------------------------------------------------------------------"
	printf '  %-18s %s\n' "fuzzing" "$((fpass + ffail)) harnesses, $fpass passed, $ffail failed; $fexecs executions"
	printf '  %-18s %s\n' "fault scenarios" "$planned run, $survived survived"
	printf '  %-18s %s\n' "bad inputs" "$bad tried, $refused refused, $((bad - refused)) accepted (valid lines)"
	printf '  %-18s %s\n' "stress" "$(awk -v s="$ssecs" 'BEGIN { printf "%.1f", s / 60 }') min under faults, $ops fio I/Os (crc32c-verified)"
	printf '  %-18s %s\n' "data verified" "$vmb MiB compared cache vs origin, $checks checks passed"
	printf '  %-18s %s\n' "kernel warnings" "$warn"
	printf '  %-18s %s\n' "VM scenarios" "$spass passed, $sfail failed (${SCEN[*]})"
	echo "  ---------------------------------------------------------------------------"
} | tee "$OUT/report.txt"
ok=1
[ "$ffail" = 0 ] || ok=0
[ "$sfail" = 0 ] && [ "$vrc" = 0 ] || ok=0
[ "$warn" = 0 ] || ok=0
[ "$survived" = "$planned" ] || ok=0
if [ "$ok" = 1 ]; then echo "reliability: PASS"; else echo "reliability: FAIL (see $OUT)"; exit 1; fi
