#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# contract-register: the register check (tools/ssc-regcheck.c). Every
# 512-byte sector of a 16 MiB hot region is a register; 8 threads read and
# write it with O_DIRECT (single logical blocks up to several cache blocks,
# aligned or not, many threads on the same cache blocks at once, herds of
# sequential readers), and every read is judged against the timed history
# of the writes by the contract (../shared/CONTRACT.md): never older than
# the last write completed before it was issued, never garbage or another
# sector's data, never older than what an earlier read returned. The
# device is ssdcache over a slow origin (dm-delay over a RAM disk) with a
# cache smaller than the region, so evictions and refills happen.
#
# Rounds cover mode x policy x block size x origin delays x background
# event x device fault (a covering table, below), each event running
# concurrently with the I/O: the cleaner always on (watermarks 0/1), flush
# messages, detach/attach, suspend/resume, table reloads that switch the
# mode; dm-flakey errors on the origin or the cache (I/O errors are allowed
# then, stale or garbage data is not; messages may fail). After every round
# the target is removed and created again (a refused create fails the
# round) and the device must hold exactly what the final reads saw; the
# next round starts from that content. A new block size needs a reformat:
# the cache is flushed first, so nothing may be lost.
#
# REGCHECK_ROUNDS (default 12: the table once), REGCHECK_SECONDS (I/O per
# round, default 6), REGCHECK_SEED, REGCHECK_REPORTS (violations printed per
# round); contract-register-long runs 48 rounds of 20 s. make check splits
# the rounds between its kernels (lib.sh: mine).
# timeout: 480
. /vm/lib.sh

ROUNDS=${REGCHECK_ROUNDS:-12}
SECS=${REGCHECK_SECONDS:-6}
SEED=${REGCHECK_SEED:-1}
REPORTS=${REGCHECK_REPORTS:-4}

load_ssdcache
load_modules dm-delay dm-flakey
# Full kernel preemption while this runs, and one real-time thread per CPU in
# the tool (--rt-herd): I/O paths then interleave on one CPU too (the
# emulated CPUs seldom run at the same time on a loaded host).
PREEMPT=/sys/kernel/debug/sched/preempt
[ -f $PREEMPT ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
if [ -f $PREEMPT ]; then
	PREEMPT_WAS=$(sed 's/.*(\([a-z]*\)).*/\1/' $PREEMPT)
	echo full >$PREEMPT || fail "cannot switch to full preemption"
	trap 'echo "$PREEMPT_WAS" >$PREEMPT; _vm_cleanup' EXIT
	log "kernel preemption: $(cat $PREEMPT)"
else
	log "no $PREEMPT (no dynamic preemption): races on one CPU are less likely"
fi
ob=$(ram_disk rc_obase 64) || exit 1
cb=$(ram_disk rc_cbase 8) || exit 1
OSZ=$(sectors "$ob")
CSZ=$(sectors "$cb")
od=$(dm_create rc_od "0 $OSZ delay $ob 0 1 $ob 0 1") || exit 1
O=$(dm_create rc_o "0 $OSZ linear $od 0") || exit 1
C=$(dm_create rc_c "0 $CSZ linear $cb 0") || exit 1
SC=/dev/mapper/rc_sc

# The covering table: one line per round, grouped by block size (a new
# block size needs a reformat, so the first round of each group starts with
# a cold cache). Every value of every axis appears at least twice; mode x
# (delay, fault, block size, policy) and block size x (mode, delay, fault,
# policy) are all covered. Delays: sym = reads and writes the same, rfast =
# reads 0-1 ms and writes 20-50 ms, wfast = the reverse. Events that resume
# the target (suspend, reload: the resume loads the metadata again) run
# without faults. herd: percent of the workload's phases in which all
# threads read the same blocks at once (round 1: sequential readers on a
# cold cache over a slow origin, with table reloads).
#      bs  mode         policy delay ctl     fault  herd
TABLE="8   readcache    lfu    wfast reload  none   80
8   writeback    lru    rfast cleaner cache  20
8   writethrough lfu    sym   detach  origin 20
8   writeback    adaptive wfast suspend none 20
64  writethrough lru    rfast reload  none   20
64  writeback    lru    wfast detach  origin 20
64  readcache    adaptive sym  flush   cache  20
64  writeback    lfu    rfast suspend none   20
256 readcache    lfu    rfast detach  origin 20
256 writeback    adaptive sym  cleaner cache  20
256 writethrough lfu    wfast flush   cache  20
256 writeback    lfu    rfast reload  none   20"

# round_cfg I: sets BS MODE POL DELAY CTL FAULT HERD RD WD for round I (1-based).
# Beyond the table, cycle k repeats it with the block-size groups and the
# rows of each group rotated by k and the policies rotated by k.
round_cfg() {
	_k=$((($1 - 1) / 12))
	_r=$((($1 - 1) % 12))
	_row=$(((_r / 4 + _k) % 3 * 4 + (_r % 4 + _k) % 4 + 1))
	set -- $(echo "$TABLE" | sed -n "${_row}p")
	BS=$1 MODE=$2 POL=$3 DELAY=$4 CTL=$5 FAULT=$6 HERD=$7
	# later cycles rotate the policies: lfu -> lru -> adaptive -> lfu
	_i=0
	while [ $_i -lt $((_k % 3)) ]; do
		case $POL in
		lfu) POL=lru ;;
		lru) POL=adaptive ;;
		*) POL=lfu ;;
		esac
		_i=$((_i + 1))
	done
	_slow=$((20 + (ROUND * 7 + SEED) % 31))
	case $DELAY in
	sym) RD=$((1 + ROUND % 3)) WD=$RD ;;
	rfast) RD=$((ROUND % 2)) WD=$_slow ;;
	wfast) RD=$_slow WD=$((ROUND % 2)) ;;
	esac
}

table() {	# table MODE [reformat]
	echo "0 $OSZ ssdcache $O $C blocksize $BS $1 options 1 $POL${2:+ $2}"
}

msg() {		# a message that may fail (counted, not judged)
	dmsetup message rc_sc 0 "$@" 2>/dev/null || echo "$*" >>"$EV/msgfail"
}

is_suspended() {
	dmsetup info rc_sc 2>/dev/null | grep -q SUSPENDED
}

resume_sc() {	# resume (once more after a failure)
	dmsetup resume rc_sc 2>/dev/null || { sleep 0.5; dmsetup resume rc_sc; }
}

fault_on() {
	case $1 in
	origin) dmsetup reload rc_o --table "0 $OSZ flakey $od 0 1 1" && dmsetup resume rc_o ;;
	cache) dmsetup reload rc_c --table "0 $CSZ flakey $cb 0 2 1" && dmsetup resume rc_c ;;
	esac
}

fault_off() {
	dmsetup reload rc_o --table "0 $OSZ linear $od 0" && dmsetup resume rc_o &&
		dmsetup reload rc_c --table "0 $CSZ linear $cb 0" && dmsetup resume rc_c
}

# nap N: sleep N tenths of a second, less once the workload is done
nap() {
	_t=0
	while [ $_t -lt "$1" ] && [ ! -f "$EV/done" ] && [ ! -f "$EV/exit" ]; do
		sleep 0.1
		_t=$((_t + 1))
	done
}

# events CTL FAULT: run in the background while the tool runs (sync dir $EV)
events() {
	while [ ! -f "$EV/ready" ]; do
		[ -f "$EV/exit" ] && return 0
		sleep 0.1
	done
	fault_on "$2" || echo "fault $2" >>"$EV/evfail"
	_n=0
	_modes="writeback writethrough readcache"
	while [ ! -f "$EV/done" ] && [ ! -f "$EV/exit" ]; do
		case $1 in
		cleaner)
			if [ $_n = 0 ]; then
				msg low_watermark 0
				msg high_watermark 1
			fi
			nap 5 ;;
		flush) msg flush; nap 3 ;;
		detach) msg detach; nap 3; msg attach; nap 5 ;;
		suspend)
			dmsetup suspend rc_sc || echo suspend >>"$EV/evfail"
			sleep 0.2
			resume_sc || echo resume >>"$EV/evfail"
			nap 5 ;;
		reload)
			_m=$(echo "$_modes" | cut -d' ' -f$((_n % 3 + 1)))
			if ! dmsetup reload rc_sc --table "$(table "$_m")"; then
				echo "reload $_m" >>"$EV/evfail"
			elif ! resume_sc; then
				# the new table cannot load what the old one saved: the
				# round fails; an error table lets the I/O end
				echo "reload to $_m refused: $(dmesg | grep -E 'ssdcache|device-mapper' | tail -n 2 | tr '\n' ' ')" >"$EV/broken"
				dmsetup reload rc_sc --table "0 $OSZ error" && dmsetup resume rc_sc
				break
			fi
			nap 8 ;;
		esac
		_n=$((_n + 1))
	done
	fault_off || echo "fault off" >>"$EV/evfail"
	is_suspended && { resume_sc || echo "final resume" >>"$EV/evfail"; }
	[ "$1" = detach ] && msg attach
	echo "$_n" >"$EV/count"
	touch "$EV/quiet"
}

# create_sc [reformat]: fails (returns 1) when the table is refused
create_sc() {
	if ! dmsetup create rc_sc --table "$(table "$MODE" "$1")"; then
		echo "create refused: $(dmesg | grep -E 'ssdcache|device-mapper' | tail -n 3 | tr '\n' ' ')"
		return 1
	fi
	[ -b "$SC" ] || dmsetup mknodes rc_sc
	echo rc_sc >>"$_VM_CREATED"
}

# drop the target after a failed round; the next one starts afresh
recover() {
	if dmsetup info rc_sc >/dev/null 2>&1; then
		is_suspended && dmsetup resume rc_sc
		dmsetup remove rc_sc || dmsetup remove --force rc_sc
	fi
	fault_off
	FRESH=1
	STATE=
}

FAILED=
NFAIL=0
TOTAL_OPS=0
TOTAL_READS=0
TOTAL_SECT=0
STATE=		# the state file of the last good round
FRESH=1		# the next create reformats and the tool writes generation 0
PREV_BS=
ROUND=1
NRUN=0
while [ $ROUND -le "$ROUNDS" ]; do
	# make check splits the rounds between its kernels; a round starts
	# from whatever the last round run here left
	if ! mine $((ROUND - 1)); then
		ROUND=$((ROUND + 1))
		continue
	fi
	NRUN=$((NRUN + 1))
	round_cfg $ROUND
	EV=$PWD/ev.$ROUND
	mkdir -p "$EV"
	what="round $ROUND/$ROUNDS: $MODE $POL blocksize $BS delay $DELAY (read ${RD} ms, write ${WD} ms) ctl=$CTL fault=$FAULT"
	log "=== $what"
	why=
	must dmsetup reload rc_od --table "0 $OSZ delay $ob 0 $RD $ob 0 $WD"
	must dmsetup resume rc_od
	# the target for this round: a new one after a block size change (the
	# cache was flushed), else a reload of the warm one
	if [ "$BS" != "$PREV_BS" ] || [ "$FRESH" = 1 ]; then
		if dmsetup info rc_sc >/dev/null 2>&1; then
			dmsetup message rc_sc 0 flush || why="flush before the reformat failed"
			dm_remove rc_sc
		fi
		[ -n "$why" ] || create_sc reformat || why="create with reformat refused"
	else
		if ! dmsetup reload rc_sc --table "$(table "$MODE")" || ! resume_sc; then
			why="reload for the round refused: $(dmesg | tail -n 2 | tr '\n' ' ')"
		fi
	fi
	if [ -z "$why" ]; then
		events "$CTL" "$FAULT" &
		evpid=$!
		ssc-regcheck run --dev "$SC" --offset-mb 8 --region-mb 16 --threads 8 \
			--seconds "$SECS" --seed "$SEED" --round "$ROUND" --block-bytes $((BS * 512)) \
			--read-pct $((50 + ROUND * 17 % 30)) --herd-pct "$HERD" --rt-herd \
			--reports "$REPORTS" --sync-dir "$EV" \
			${STATE:+--state-in "$STATE"} --state-out "state.$ROUND" >"out.$ROUND" 2>&1
		rc=$?
		touch "$EV/exit"
		wait $evpid
		# the whole output when the round failed, else the summary
		if [ $rc = 0 ] && [ ! -f "$EV/broken" ]; then
			grep '^regcheck:' "out.$ROUND"
		else
			cat "out.$ROUND"
		fi
		sed -n 's/^regcheck: \([0-9]*\) ops .*; \([0-9]*\) reads checked, \([0-9]*\) sector reads checked.*/\1 \2 \3/p' \
			"out.$ROUND" >counts
		if read -r a b c <counts; then
			TOTAL_OPS=$((TOTAL_OPS + a))
			TOTAL_READS=$((TOTAL_READS + b))
			TOTAL_SECT=$((TOTAL_SECT + c))
		fi
		log "events: $(cat "$EV/count" 2>/dev/null || echo 0) rounds of $CTL;" \
			"messages that failed: $(cat "$EV/msgfail" 2>/dev/null | wc -l);" \
			"status: $(dmsetup status rc_sc | awk '{ for (i = 4; i < NF; i += 2) if ($i ~ /^(used|dirty|read_hits|read_misses|evictions|fills|bypassed|write_cancel|cleaned|cache_errors|origin_errors|md_errors|cache_state)$/) printf "%s %s ", $i, $(i + 1) }')"
		[ -s "$EV/evfail" ] && log "event steps that failed: $(tr '\n' ',' <"$EV/evfail")"
		case $rc in
		0) ;;
		1) why="contract violations (ssc-regcheck)" ;;
		*) why="ssc-regcheck failed (exit $rc)" ;;
		esac
		[ -f "$EV/broken" ] && why="$(cat "$EV/broken")${why:+; $why}" rc=2
		is_suspended && dmsetup resume rc_sc
		# warm restart, also after violations: remove, create with the
		# same table, and the device must hold the state the tool settled
		# (the last completed writes; what the final reads saw where a
		# failed write came last)
		if [ "$rc" -le 1 ]; then
			dm_remove rc_sc
			if ! create_sc; then
				why="${why:+$why; }create after remove (warm restart) refused"
			elif ! ssc-regcheck verify --dev "$SC" --state "state.$ROUND"; then
				why="${why:+$why; }after remove and create the device does not return what it returned before"
			fi
		fi
	fi
	if [ -n "$why" ]; then
		log "ROUND FAILED: $what: $why"
		FAILED="$FAILED
  $what: $why"
		NFAIL=$((NFAIL + 1))
		recover
	else
		log "round $ROUND passed"
		STATE=state.$ROUND
		FRESH=0
	fi
	PREV_BS=$BS
	ROUND=$((ROUND + 1))
done
log "register check: $NRUN of $ROUNDS rounds, $TOTAL_OPS ops, $TOTAL_READS reads checked ($TOTAL_SECT sector reads); $NFAIL rounds failed"
[ "$NFAIL" = 0 ] || fail "$NFAIL of $NRUN rounds failed:$FAILED"
