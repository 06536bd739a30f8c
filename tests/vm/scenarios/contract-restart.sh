#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
# contract-restart: random, seeded sequences of create, I/O, clean remove,
# crash, origin rewrites behind the cache, reformat, and table reloads
# (with mode switches), across modes, options and block sizes, checked
# against a model after every step that can change what the device shows
# (CONTRACT.md, "Restarts and the origin", and "Durability" for crashes).
#
# Origin and cache are ram disks under dm-linear (no volatile write cache:
# what reached them is what a power loss keeps). A crash freezes both
# linear layers (suspend --noflush, the origin first), swaps them to
# "error" so that nothing queued reaches the ram disks, removes the target
# and puts the linear tables back: the devices then hold exactly what had
# reached them at the freeze.
#
# The model (file ./model, one line per 512-byte sector of the 8 MiB
# origin) holds three sets of write ids per sector ("3" or "3,7"; 0 is the
# origin's initial zeros), kept by the awk program below:
#   dev  what a read may return now (one id once a read returned it)
#   dur  what a read may return after a crash: the last write made durable
#        (a completed fsync after it, FUA, a clean shutdown) and every
#        write after it
#   org  what the origin may hold (for reformat and origin rewrites): in
#        writeback every write since the last "flush" message, as the
#        cleaner may have copied any of them (after a crash, also whatever
#        the recovered cache may hold dirty)
# Every sector written holds a header naming (sector, id), so a read tells
# which write it saw (tools/ssc-model.c). After every create and reload
# the whole device is read and must match dev; then dev becomes what was
# read (a register keeps returning what it returned).
#
# Rules tested: a clean remove + create shows exactly what the device
# showed; a crash keeps every durable write and shows, per sector, one of
# dur; an origin rewritten (first 4 KiB included, the fingerprint the
# target promises to check) while the target was away after a clean
# shutdown is shown as rewritten, then and after later restarts (clean
# copies dropped durably); if the cache then holds dirty data the table is
# refused with a message saying why; reformat shows the origin; another
# block size reformats a cache without dirty data and shows what the device
# showed, or is refused saying it holds dirty data (which it must not say
# when nothing was written in writeback since the last flush); reformat in a
# reload of a live device is refused.
# Rewrites after a crash are not generated: the target cannot tell them
# (ssdcache.rst: only a clean shutdown records the fingerprint).
#
# Sequence 1 is fixed (the known "clean copies dropped in memory only"
# case); then restart_seqs (4) random ones of restart_steps (20) steps, sequence k
# with seed restart_seed+k (printed; restart_seed defaults to a random
# value). Replay one: VM_PARAMS="restart_seed=S restart_seqs=1 restart_fixed=0".
. /vm/lib.sh

load_ssdcache
OMB=8
OS=$((OMB * 2048))
NSEQ=$(share_of "$(vm_param restart_seqs 4)")	# split between make check's kernels
NSTEP=$(vm_param restart_steps 20)
FIXED=$(vm_param restart_fixed 1)
SEED0=$(vm_param restart_seed "$(($(od -An -N2 -tu2 /dev/urandom) + 1))")

o=$(ram_disk rs-o $OMB) || exit 1
c=$(ram_disk rs-c 12) || exit 1
OT=$(dmsetup table rs-o)
CDEV=$(dmsetup table rs-c | cut -d' ' -f4)
SC=/dev/mapper/rs

cat >model.awk <<'EOF'
function has(set, x,   n, i, t) {
	n = split(set, t, ",")
	for (i = 1; i <= n; i++)
		if (t[i] == x)
			return 1
	return 0
}
function add(set, x) { return has(set, x) ? set : set "," x }
BEGIN {
	# write: w = "start:count:id:fua:wb ..." applied in order
	nw = split(w, ws, " ")
	for (i = 1; i <= nw; i++) {
		split(ws[i], f, ":")
		for (k = f[1]; k < f[1] + f[2]; k++)
			hit[k] = hit[k] " " i
		wid[i] = f[3]; wfua[i] = f[4]; wwb[i] = f[5]
	}
}
{
	s = NR - 1; dev = $1; dur = $2; org = $3
	if (op == "write") {
		if (s in hit) {
			n = split(hit[s], hs, " ")
			for (j = 1; j <= n; j++) {
				i = hs[j]
				dev = wid[i]
				dur = wfua[i] ? wid[i] : add(dur, wid[i])
				org = wwb[i] ? add(org, wid[i]) : wid[i]
			}
		}
	} else if (op == "durable") {		# fsync, clean shutdown
		dur = dev
	} else if (op == "crash") {
		# any of them may come back as dirty data and be cleaned
		dev = dur
		n = split(dur, t, ",")
		for (i = 1; i <= n; i++)
			org = add(org, t[i])
	} else if (op == "reformat") {		# the cache is gone: the origin shows
		dev = org; dur = org
	} else if (op == "clean") {		# "flush" message: nothing dirty
		org = dev
	} else if (op == "rewrite") {		# written on the origin, durably
		if (s >= a && s < b) { dev = id; dur = id; org = id }
	}
	print dev, dur, org
}
EOF

# mop OP [awk -v assignments...]
mop() {
	_op=$1
	shift
	awk -v op="$_op" "$@" -f model.awk model >model.new || fail "model update failed"
	mv model.new model
}

# ---------------------------------------------------------------- random
# xorshift32, seeded; rnd N sets RN to 0..N-1
rnd() {
	R=$((R ^ ((R << 13) & 0xffffffff)))
	R=$((R ^ (R >> 17)))
	R=$((R ^ ((R << 5) & 0xffffffff)))
	RN=$((R % $1))
}

# pick WORD...: one of the words, into PK
pick() {
	rnd $#
	shift $RN
	PK=$1
}

# ---------------------------------------------------------------- steps
# Each returns non-zero with the reason in WHY when the contract is broken.
say() {
	log "seq $SEQ step $STEP: $*"
}

table() {	# table BS MODE OPTS [reformat]
	echo "0 $OS ssdcache $o $c blocksize $1 $2${3:+ $3}${4:+ $4}"
}

dmesg_has() {
	dmesg | tail -n 8 | grep -q "$1"
}

# check_dev WHAT [exact]: read the whole device, compare with dev, and
# collapse dev (with exact: all three sets) to what was read.
check_dev() {
	_u=--update
	[ -n "${2:-}" ] && _u=--update-all
	ssc-model check --seed "$SEED" $_u --what "$1" "$SC" model 2>&1 ||
		{ WHY="$1: the device differs from the model"; return 1; }
}

# try_create TABLE EXPECT: EXPECT is "ok" or the refusal message expected.
try_create() {
	if dmsetup create rs --table "$1" 2>create.err; then
		[ -b $SC ] || dmsetup mknodes rs
		echo rs >>"$_VM_CREATED"
		if [ "$2" != ok ]; then
			WHY="table accepted, but it should be refused ('$2'): $1"
			return 1
		fi
		return 0
	fi
	dmsetup remove rs 2>/dev/null
	if [ "$2" = ok ]; then
		dmesg | tail -n 5
		WHY="table refused, but nothing forbids it: $1"
		return 1
	fi
	dmesg_has "$2" || {
		dmesg | tail -n 5
		WHY="refused without the message '$2'"
		return 1
	}
	log "refused as expected: $2"
	return 2
}

forget_rs() {
	grep -vx rs "$_VM_CREATED" >"$_VM_CREATED.new"
	mv "$_VM_CREATED.new" "$_VM_CREATED"
}

random_opts() {
	pick - - - lru disable_writeback disable_writeback eager_writeback skip_write_insert \
		queue_busy evict_on_write async_lookup
	case $PK in
	-) OPTS= ;;
	*) OPTS="options 1 $PK" ;;
	esac
}

set_watermarks() {	# a cleaner that runs, sometimes
	if [ "$MODE" = writeback ]; then
		rnd 3
		if [ $RN = 0 ]; then
			dmsetup message rs 0 low_watermark 5 && dmsetup message rs 0 high_watermark 10 ||
				{ WHY="watermark messages refused"; return 1; }
		fi
	fi
	return 0
}

# create [BS MODE OPTS]: a table with the cache's block size
step_create() {
	MODE=${2:-}
	OPTS=${3:-}
	_cold=0
	[ "$LAST" = crash ] || [ "$CHANGED" = 1 ] && _cold=1
	if [ -z "$MODE" ]; then
		pick writeback writeback writethrough readcache
		MODE=$PK
		random_opts
		if [ $_cold = 1 ]; then
			# a cold start that reads nothing half of the time: the
			# check's reads do not refill what the load dropped
			rnd 2
			[ $RN = 0 ] && OPTS="options 1 disable_writeback"
		fi
	fi
	_exp=ok
	if [ -z "$FBS" ]; then
		FBS=${1:-256}		# an unformatted cache: formatted now
		mop reformat
	elif [ "$CHANGED" = 1 ]; then
		_d=$(ssdcache inspect --json "$c" | sed -n 's/.*"dirty_blocks": \([0-9]*\).*/\1/p')
		if [ "${_d:-0}" -gt 0 ]; then
			_exp="Origin changed while the cache was away, and the cache holds dirty data"
			[ "$MAYBE_DIRTY" = 1 ] ||
				{ WHY="the cache records $_d dirty blocks, yet nothing was written in writeback since the last flush"; return 1; }
		fi
	fi
	say "create $MODE blocksize $FBS${OPTS:+ $OPTS}$([ "$_exp" = ok ] || echo " (expect: refused)")"
	try_create "$(table "$FBS" "$MODE" "$OPTS")" "$_exp"
	case $? in
	0) ;;
	2) return 0 ;;
	*) return 1 ;;
	esac
	PRESENT=1
	CHANGED=0
	COLD=$_cold
	set_watermarks || return 1
	check_dev "after create" || return 1
	log "  used $(ssc_stat rs used) dirty $(ssc_stat rs dirty) md_seq $(ssc_stat rs md_seq)"
}

# reformat [BS MODE OPTS]
step_reformat() {
	if [ -n "${1:-}" ]; then
		FBS=$1 MODE=$2 OPTS=${3:-}
	else
		pick 8 128 256
		FBS=$PK
		pick writeback writethrough readcache
		MODE=$PK
		random_opts
	fi
	say "create $MODE blocksize $FBS${OPTS:+ $OPTS} reformat"
	try_create "$(table "$FBS" "$MODE" "$OPTS" reformat)" ok || return 1
	PRESENT=1
	CHANGED=0
	MAYBE_DIRTY=0
	mop reformat
	set_watermarks || return 1
	check_dev "after reformat" exact
}

# wrongbs: a table of another block size. A cache shut down cleanly that
# holds no dirty data is reformatted (it held copies of the origin only:
# the device shows what it showed, nothing lost); one that may hold dirty
# data may be refused instead, saying why, and after a crash it is refused
# as not shut down cleanly. After a clean shutdown with nothing that can
# be dirty it must be taken.
step_wrongbs() {
	for _b in 256 128 8; do
		[ "$_b" = "$FBS" ] || break
	done
	say "create blocksize $_b writethrough over a cache of blocksize $FBS (dirty data possible: $MAYBE_DIRTY)"
	if dmsetup create rs --table "$(table "$_b" writethrough "")" 2>create.err; then
		[ -b $SC ] || dmsetup mknodes rs
		echo rs >>"$_VM_CREATED"
		PRESENT=1
		dmesg_has "holds no dirty data: reformatting" ||
			{ dmesg | tail -n 5; WHY="another block size taken without the reformat log line"; return 1; }
		FBS=$_b MODE=writethrough OPTS= CHANGED=0 MAYBE_DIRTY=0 COLD=1
		check_dev "after a block size change"
		return
	fi
	dmsetup remove rs 2>/dev/null
	if dmesg_has "another geometry and was not shut down cleanly"; then
		# after a crash the target leaves the decision to "reformat"
		[ "$LAST" = crash ] ||
			{ WHY="refused as not shut down cleanly after a clean shutdown"; return 1; }
		log "refused as expected: not shut down cleanly"
		return 0
	fi
	[ "$MAYBE_DIRTY" = 1 ] ||
		{ dmesg | tail -n 5; WHY="another block size refused, yet nothing can be dirty"; return 1; }
	dmesg_has "Cache was formatted with another blocksize and holds dirty data" ||
		{ dmesg | tail -n 5; WHY="another block size refused without saying it holds dirty data"; return 1; }
	log "refused as expected: it holds dirty data"
}

# rewrite [START COUNT]: write the origin behind the cache, the first 4 KiB included
step_rewrite() {
	if [ -n "${1:-}" ]; then
		_s=$1 _n=$2
	else
		rnd $((OS / 8))
		_n=$((8 + RN * 8))
		_s=0
	fi
	_id=$NEXT
	NEXT=$((NEXT + 1))
	say "rewrite the origin behind the cache: sectors $_s-$((_s + _n - 1)) id $_id"
	_w=
	_k=$_s
	while [ $_k -lt $((_s + _n)) ]; do	# at most 4 MiB per write
		_m=$((_s + _n - _k))
		[ $_m -le 8192 ] || _m=8192
		_w="$_w $_k:$_m:$_id"
		_k=$((_k + _m))
	done
	ssc-model write --seed "$SEED" --fsync "$o" $_w || { WHY="origin write failed"; return 1; }
	mop rewrite -v a="$_s" -v b=$((_s + _n)) -v id="$_id"
	CHANGED=1
}

# io [noread]: writes of known content (some FUA), maybe an fsync, then
# a read of some range (unless noread)
step_io() {
	rnd 6
	_n=$((RN + 1))
	_w=
	_m=
	_wb=0
	[ "$MODE" = writeback ] && _wb=1
	while [ $_n -gt 0 ]; do
		rnd 2
		if [ $RN = 0 ]; then		# whole 4 KiB units
			rnd $((OS / 8 - 16))
			_s=$((RN * 8))
			rnd 16
			_len=$((8 + RN * 8))
		else				# any sectors
			rnd $((OS - 64))
			_s=$RN
			rnd 64
			_len=$((RN + 1))
		fi
		rnd 8
		_f=
		[ $RN = 0 ] && _f=fua
		_w="$_w $_s:$_len:$NEXT${_f:+:fua}"
		_m="$_m $_s:$_len:$NEXT:$([ -n "$_f" ] && echo 1 || echo 0):$_wb"
		NEXT=$((NEXT + 1))
		_n=$((_n - 1))
	done
	rnd 3
	_sync=
	[ $RN = 0 ] && _sync=--fsync
	say "write$_w${_sync:+ then fsync}"
	ssc-model write --seed "$SEED" $_sync "$SC" $_w || { WHY="write failed"; return 1; }
	mop write -v w="${_m# }"
	[ -n "$_sync" ] && mop durable
	[ $_wb = 1 ] && MAYBE_DIRTY=1
	[ "${1:-}" = noread ] && return 0
	# read some back (and fill the cache)
	rnd 4
	if [ $RN = 0 ]; then
		_s=0 _len=$OS
	else
		rnd $((OS - 512))
		_s=$RN
		rnd 512
		_len=$((RN + 1))
	fi
	ssc-model check --seed "$SEED" --start $_s --count $_len --update --what "read $_s+$_len" "$SC" model 2>&1 ||
		{ WHY="a read differs from the model"; return 1; }
}

step_remove() {
	say "remove (clean shutdown)"
	dm_remove rs
	PRESENT=0
	LAST=clean
	mop durable
}

step_crash() {
	say "crash (freeze origin, then cache; drop everything queued)"
	must dmsetup suspend --noflush rs-o
	must dmsetup suspend --noflush rs-c
	must dmsetup load rs-o --table "0 $OS error"
	must dmsetup load rs-c --table "0 $CS error"
	must dmsetup resume rs-o
	must dmsetup resume rs-c
	dmsetup remove rs 2>/dev/null || dmsetup remove --force rs || fail "cannot remove the crashed target"
	forget_rs
	must dmsetup load rs-o --table "$OT"
	must dmsetup load rs-c --table "$CT"
	must dmsetup resume rs-o
	must dmsetup resume rs-c
	PRESENT=0
	LAST=crash
	mop crash
}

# the power goes right after writes (before the next periodic commit)
step_writecrash() {
	step_io noread || return 1
	STEP=$((STEP + 1))
	step_crash
}

step_reload() {
	pick writeback writethrough readcache
	MODE=$PK
	random_opts
	say "reload: $MODE${OPTS:+ $OPTS}"
	dmsetup reload rs --table "$(table "$FBS" "$MODE" "$OPTS")" ||
		{ dmesg | tail -n 5; WHY="reload refused"; return 1; }
	dmsetup resume rs || { dmesg | tail -n 5; WHY="resume after reload failed"; return 1; }
	set_watermarks || return 1
	check_dev "after reload"
}

step_badreload() {
	say "reload with reformat (expect: refused, the live table goes on)"
	if dmsetup reload rs --table "$(table "$FBS" "$MODE" "$OPTS" reformat)" 2>/dev/null; then
		WHY="reformat accepted in a reload of a live device"
		return 1
	fi
	dmesg_has "reformat is not allowed in a reload" || { WHY="no clear message for reformat in a reload"; return 1; }
	rnd $((OS - 256))
	ssc-model check --seed "$SEED" --start $RN --count 256 --update --what "after the refused reload" "$SC" model 2>&1 ||
		{ WHY="the device changed after a refused reload"; return 1; }
}

step_flush() {
	say "flush message"
	dmsetup message rs 0 flush || { WHY="flush message failed"; return 1; }
	_d=$(ssc_stat rs dirty)
	[ "$_d" = 0 ] || { WHY="$_d dirty blocks after the flush message"; return 1; }
	mop clean
	MAYBE_DIRTY=0
}

# ---------------------------------------------------------------- sequences
# new_sequence [CACHE_MB]: zeroed devices, a cache of 12 MiB (holds the
# whole origin) or 3 MiB (evictions), an empty model
new_sequence() {
	R=$SEED
	rnd 2
	CMB=${1:-}
	if [ -z "$CMB" ]; then
		pick 12 12 3
		CMB=$PK
	fi
	CS=$((CMB * 2048))
	CT="0 $CS linear $CDEV 0"
	must dmsetup suspend rs-c
	must dmsetup load rs-c --table "$CT"
	must dmsetup resume rs-c
	must dd if=/dev/zero of="$o" bs=1M count=$OMB oflag=direct 2>/dev/null
	must dd if=/dev/zero of="$c" bs=1M count=$CMB oflag=direct 2>/dev/null
	awk -v n=$OS 'BEGIN { for (i = 0; i < n; i++) print "0 0 0" }' >model
	log "seq $SEQ: origin $OMB MiB, cache $CMB MiB"
	NEXT=1 PRESENT=0 FBS= MODE= OPTS= LAST=none CHANGED=0 MAYBE_DIRTY=0 STEP=0 COLD=0
}

end_sequence() {
	if [ "$PRESENT" = 1 ]; then
		dmsetup remove rs 2>/dev/null || dmsetup remove --force rs
		forget_rs
	fi
}

# a last clean shutdown and restart; removes the target
finish_sequence() {
	if [ "$PRESENT" = 0 ]; then
		STEP=$((STEP + 1))
		step_create "" "$MODE" "$OPTS" || return 1
		if [ "$PRESENT" = 0 ]; then	# refused: dirty data, origin changed
			STEP=$((STEP + 1))
			step_reformat "$FBS" writethrough || return 1
		fi
	fi
	STEP=$((STEP + 1))
	step_remove
	STEP=$((STEP + 1))
	step_create "" writethrough "" || return 1
	[ "$PRESENT" = 1 ] || { WHY="refused after a clean shutdown"; return 1; }
	end_sequence
}

NFAIL=0
FAILED=
seq_failed() {
	echo "FAIL: seq $SEQ (seed $SEED) step $STEP: $WHY" >&2
	NFAIL=$((NFAIL + 1))
	FAILED="$FAILED $SEQ"
	end_sequence
}

# Sequence 1: clean copies dropped at a cold start must stay dropped.
NSEQS=0
if [ "$FIXED" = 1 ]; then
	SEQ=1 SEED=1
	log "seq 1: fixed: writethrough cached, origin rewritten, cold start without reading, restart"
	new_sequence 12
	for s in "create 256 writethrough" "remove" "rewrite 0 $OS" \
		"create 256 writethrough disable_writeback" "remove" "create 256 writethrough" "remove"; do
		STEP=$((STEP + 1))
		set -- $s
		_f=$1
		shift
		case $_f in
		create) step_create "$1" "$2" "${3:+options 1 $3}" ;;
		*) "step_$_f" "$@" ;;
		esac || { seq_failed; break; }
	done
	[ "$STEP" = 7 ] && [ "$PRESENT" = 0 ] && log "seq 1: passed"
	NSEQS=1
fi

i=1
while [ $i -le "$NSEQ" ]; do
	SEQ=$((i + 1)) SEED=$((SEED0 + i))
	log "seq $SEQ: seed $SEED, $NSTEP steps"
	new_sequence
	ok=1
	while [ $STEP -lt "$NSTEP" ]; do
		STEP=$((STEP + 1))
		if [ "$PRESENT" = 0 ]; then
			set -- create create create create create create reformat
			[ -n "$FBS" ] && set -- "$@" wrongbs
			[ "$LAST" != crash ] && set -- "$@" rewrite rewrite
		else
			set -- io io io io io io crash writecrash writecrash remove remove remove \
				reload reload flush badreload
			# after a cold start, often straight to a clean shutdown
			[ "$COLD" = 1 ] && set -- "$@" remove remove remove remove
		fi
		COLD=0
		pick "$@"
		"step_$PK" || { seq_failed; ok=0; break; }
	done
	if [ $ok = 1 ]; then
		# the end: a clean restart shows the same
		finish_sequence || { seq_failed; ok=0; }
	fi
	[ $ok = 1 ] && log "seq $SEQ: passed"
	NSEQS=$((NSEQS + 1))
	i=$((i + 1))
done

[ "$NFAIL" = 0 ] || fail "$NFAIL of $NSEQS restart sequences broke the contract (sequences:$FAILED; base seed $SEED0)"
log "$NSEQS restart sequences (base seed $SEED0): the device always matched the model"
