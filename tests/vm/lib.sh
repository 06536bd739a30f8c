# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers for VM scenarios (busybox sh). A scenario starts with
#   . /vm/lib.sh
# and fails by exiting non-zero (fail, assert_eq, must do that for you).
# Devices the helpers create are removed again when the scenario exits.
#
# Environment given by the harness: SCENARIO (name), PHASE (1, or 2 after a
# power cut, N+1 after the N-th), CYCLES (the power cuts "# cycles:" asked
# for, default 1). The scenario's working directory is a fresh dir on tmpfs.

export DM_DISABLE_UDEV=1
_VM_CREATED=/tmp/run/$SCENARIO.devices   # dm devices to remove at exit, in order
_VM_T0=$(cut -d' ' -f1 /proc/uptime)

# log MSG...: a line with the guest uptime.
log() {
	echo "$(cut -d' ' -f1 /proc/uptime) $*"
}

# fail MSG...: fail the scenario.
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# must CMD...: run CMD, fail the scenario if it fails.
must() {
	"$@" || fail "command failed ($?): $*"
}

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() {
	if [ "$1" != "$2" ]; then
		fail "${3:-values differ}: got '$1', expected '$2'"
	fi
	log "ok: ${3:-$1 = $2}"
}

# vm_param KEY DEFAULT: a scenario knob, vmtest.KEY=VALUE on the kernel
# command line (VM_PARAMS="KEY=VALUE ..." on the host), else DEFAULT.
vm_param() {
	_v=$(tr ' ' '\n' </proc/cmdline | sed -n "s/^vmtest\.$1=//p" | tail -n1)
	echo "${_v:-$2}"
}

# mine I: true if case I (0, 1, 2, ...) of a scenario's list belongs to this
# run. make check splits the long lists of cases between its kernels
# (VM_PARAMS="share=K/N" on the K-th of N kernels: cases with I % N == K),
# so that together the kernels run every case once; a run on its own
# (make vm-test) takes every case.
mine() {
	_sh=$(vm_param share 0/1)
	[ $(($1 % ${_sh#*/})) = "${_sh%/*}" ]
}

# share_of N: how many of N interchangeable cases (random seeds) this run
# takes: N split between the kernels of make check, at least 1.
share_of() {
	_sh=$(vm_param share 0/1)
	_n=$((($1 + ${_sh#*/} - 1) / ${_sh#*/}))
	[ "$_n" -ge 1 ] || _n=1
	echo "$_n"
}

# sectors DEV: size in 512-byte sectors.
sectors() {
	blockdev --getsz "$1"
}

# ---------------------------------------------------------------- device-mapper
# dm_create NAME TABLE: create a dm device (removed at exit); prints /dev/mapper/NAME.
dm_create() {
	dmsetup create "$1" --table "$2" >&2 || fail "dmsetup create $1 '$2' failed"
	[ -b "/dev/mapper/$1" ] || dmsetup mknodes "$1" >&2
	[ -b "/dev/mapper/$1" ] || fail "/dev/mapper/$1 did not appear"
	echo "$1" >>"$_VM_CREATED"
	echo "/dev/mapper/$1"
}

# ssc_stat NAME KEY: the value of KEY in the status line of dm device NAME
# (ssdcache's key/value pairs).
ssc_stat() {
	dmsetup status "$1" | awk -v k="$2" '{for (i = 4; i < NF; i++) if ($i == k) { print $(i + 1); exit }}'
}

# dm_remove NAME
dm_remove() {
	dmsetup remove "$1" || {
		sleep 1
		dmsetup remove "$1"
	} || fail "dmsetup remove $1 failed"
	if [ -f "$_VM_CREATED" ]; then
		grep -vx "$1" "$_VM_CREATED" >"$_VM_CREATED.new"
		mv "$_VM_CREATED.new" "$_VM_CREATED"
	fi
}

_VM_RAMS=/tmp/run/$SCENARIO.rams     # ram disks this scenario took

_vm_cleanup() {
	# no fault injection survives a scenario (debug kernels)
	[ ! -f "/tmp/run/$SCENARIO.faults" ] || faults_reset
	if [ -f "$_VM_CREATED" ]; then
		for d in $(sed '1!G;h;$!d' "$_VM_CREATED"); do
			dmsetup remove "$d" 2>/dev/null || dmsetup remove --force "$d" 2>/dev/null
		done
		rm -f "$_VM_CREATED"
	fi
	# give the ram disks back, wiped at the start (no stale superblocks)
	if [ -f "$_VM_RAMS" ]; then
		for r in $(cat "$_VM_RAMS"); do
			dd if=/dev/zero of="/dev/$r" bs=1M count=4 oflag=direct 2>/dev/null
			grep -vx "$r" /tmp/run/.ram-used >/tmp/run/.ram-used.new
			mv /tmp/run/.ram-used.new /tmp/run/.ram-used
		done
		rm -f "$_VM_RAMS"
	fi
}
trap _vm_cleanup EXIT

# ---------------------------------------------------------------- disks
# load_modules MOD...: modprobe each, fail if one cannot be loaded.
load_modules() {
	for m in "$@"; do
		modprobe "$m" || fail "modprobe $m failed"
	done
}

# load_ssdcache: load dm-ssdcache (and dm-mod).
load_ssdcache() {
	load_modules dm-mod dm-ssdcache
	dmsetup targets | grep -q '^ssdcache' || fail "ssdcache target not registered"
	# where its code is, for the debug kernel's kmemleak attribution
	awk '$1 == "dm_ssdcache" { print $2, $6 }' /proc/modules | while read -r _s _a; do
		printf '%016x %016x\n' $((_a)) $((_a + _s))
	done >>/tmp/run/.ssc-ranges
}

# Ram disks: brd with 16 disks of 1 GiB each, allocated lazily (only written
# pages use memory; the VM has 2 GiB).
_vm_ram_next() {
	if [ ! -b /dev/ram0 ]; then
		modprobe brd rd_nr=16 rd_size=$((1024 * 1024)) || fail "modprobe brd failed"
	fi
	for i in $(seq 0 15); do
		if ! grep -qx "ram$i" /tmp/run/.ram-used 2>/dev/null; then
			echo "ram$i" >>/tmp/run/.ram-used
			echo "ram$i" >>"$_VM_RAMS"
			echo "/dev/ram$i"
			return 0
		fi
	done
	fail "out of ram disks"
}

# ram_disk NAME SIZE_MB: a fast disk (brd, through dm-linear to get the
# exact size); prints /dev/mapper/NAME.
ram_disk() {
	_r=$(_vm_ram_next) || exit 1
	dm_create "$1" "0 $(($2 * 2048)) linear $_r 0"
}

# slow_disk NAME SIZE_MB [DELAY_MS]: an emulated slow disk, dm-delay (default
# 2 ms for reads and writes; ~8 ms effective under TCG) over a ram disk;
# prints /dev/mapper/NAME.
slow_disk() {
	load_modules dm-delay
	_b=$(ram_disk "$1-base" "$2") || exit 1
	dm_create "$1" "0 $(($2 * 2048)) delay $_b 0 ${3:-2}"
}

# ssdcache_create NAME ORIGIN CACHE [ARGS...]: an ssdcache device over ORIGIN
# with CACHE as the cache; prints /dev/mapper/NAME.
ssdcache_create() {
	_n=$1 _o=$2 _c=$3
	shift 3
	dm_create "$_n" "0 $(sectors "$_o") ssdcache $_o $_c${*:+ $*}"
}

# vdisk N: the N-th virtio disk declared by "# disks:" (1 = /dev/vda).
vdisk() {
	_l=$(echo abcdefghijklmnop | cut -c"$1")
	[ -b "/dev/vd$_l" ] || fail "/dev/vd$_l missing (declare it with '# disks:')"
	echo "/dev/vd$_l"
}

# dev_md5 DEV [OFFSET_MB LEN_MB]: md5 of a range of DEV (default: all),
# read with O_DIRECT.
dev_md5() {
	if [ $# -ge 3 ]; then
		dd if="$1" bs=1M skip="$2" count="$3" iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1
	else
		dd if="$1" bs=1M iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1
	fi
}

# dev_sha256 DEV [OFFSET_MB LEN_MB]
dev_sha256() {
	if [ $# -ge 3 ]; then
		dd if="$1" bs=1M skip="$2" count="$3" iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1
	else
		dd if="$1" bs=1M iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1
	fi
}

# ---------------------------------------------------------------- fio
# run_fio ARGS...: run fio (direct I/O, libaio unless ARGS say otherwise);
# fail on a non-zero exit, on verify errors and on I/O errors. The output
# is kept in ./fio.out and printed.
run_fio() {
	fio --ioengine=libaio --direct=1 --randrepeat=1 --group_reporting "$@" >fio.out 2>&1
	_rc=$?
	cat fio.out
	[ $_rc = 0 ] || fail "fio failed with status $_rc"
	if grep -Eiq 'verify: bad|bad magic|crc32c: verify failed|verify failed|err= *[1-9]' fio.out; then
		fail "fio reported errors"
	fi
}

# fio_iops ARGS...: run fio, print only the read+write IOPS (integer).
fio_iops() {
	fio --ioengine=libaio --direct=1 --randrepeat=1 --group_reporting --minimal "$@" >fio.terse 2>fio.err ||
		{ cat fio.err; fail "fio failed"; }
	# terse v3: field 8 = read IOPS, field 49 = write IOPS.
	awk -F';' '{ printf "%d\n", $8 + $49 }' fio.terse | tail -n1
}

# ---------------------------------------------------------------- power cuts
# powercut_point: tell the host to cut the power now (for "# powercut:
# marker"). The host kills the VM within about a second; until then the
# scenario may go on (e.g. keep a workload running).
powercut_point() {
	sync
	echo "POWERCUT $SCENARIO" >/dev/ttyS1
}

# powercut_now: powercut_point, then wait to be killed.
powercut_now() {
	powercut_point
	sleep 600
	fail "the host did not cut the power"
}

# ---------------------------------------------------------------- fault injection
# For the debug kernel's scenarios (tests/vm/scenarios/debug-*.sh, run by
# make check-debug); Documentation/fault-injection/fault-injection.rst of
# the kernel describes the knobs. Whatever a scenario turns on is turned off
# again when it exits.
FI=/sys/kernel/debug
_FI_TIMES=1000000

# need_debug_kernel: fail unless the kernel has fault injection (debugfs).
need_debug_kernel() {
	[ -d $FI/failslab ] || mount -t debugfs debugfs $FI 2>/dev/null
	[ -d $FI/failslab ] && [ -d $FI/fail_page_alloc ] && [ -d $FI/fail_make_request ] ||
		fail "needs the debug kernel (make check-debug): no fault injection in $FI"
}

# fault_on NAME PERCENT [ATTR=VALUE...]: inject failures at NAME (failslab,
# fail_page_alloc or fail_make_request) with PERCENT probability at every
# call (interval 1), in any task (task-filter N), quietly (verbose 0), at
# most 10^6 times. ATTRs: ignore-gfp-wait=N, cache-filter=Y, min-order=0, ...
fault_on() {
	_fn=$1 _fp=$2
	shift 2
	echo "$_fn" >>"/tmp/run/$SCENARIO.faults"
	echo 0 >$FI/$_fn/probability
	echo N >$FI/$_fn/task-filter
	echo 0 >$FI/$_fn/space
	echo 0 >$FI/$_fn/verbose
	echo 1 >$FI/$_fn/interval
	for _kv in "$@"; do
		echo "${_kv#*=}" >"$FI/$_fn/${_kv%%=*}" || fail "cannot set $FI/$_fn/${_kv%%=*}"
	done
	echo $_FI_TIMES >$FI/$_fn/times
	echo "$_fp" >$FI/$_fn/probability
}

# fault_off NAME: stop injecting at NAME; prints how many failures it injected.
fault_off() {
	echo 0 >$FI/$1/probability
	echo $((_FI_TIMES - $(cat $FI/$1/times)))
}

# failslab_caches: the slab caches failslab's cache-filter=Y injects into.
# 6.1 makes /sys/kernel/slab/*/failslab read-only: the flag comes from the
# boot parameter slub_debug=A,ssc_wb,bio-*,biovec-* that scripts/vm-run.sh
# gives a debug kernel (with slab_nomerge, so that they are caches of their
# own). Fails if none is flagged.
failslab_caches() {
	_fc=$(grep -l '^1' /sys/kernel/slab/*/failslab 2>/dev/null | sed 's|/sys/kernel/slab/||; s|/failslab||' | xargs)
	[ -n "$_fc" ] || fail "no slab cache has the failslab flag (boot parameter slub_debug=A,...)"
	echo "$_fc"
}

# blk_name DEV: the sysfs name of a block device (/dev/mapper/x -> dm-N).
blk_name() {
	case $1 in
	/dev/mapper/*) echo "dm-$(dmsetup info -c --noheadings -o minor "${1#/dev/mapper/}" | tr -d ' ')" ;;
	*) basename "$1" ;;
	esac
}

# make_it_fail DEV 0|1: fail_make_request on bios submitted to DEV.
make_it_fail() {
	_bn=$(blk_name "$1")
	echo "$2" >"/sys/block/$_bn/make-it-fail" || fail "cannot set make-it-fail of $_bn"
	[ "$2" = 0 ] || echo "disk:$_bn" >>"/tmp/run/$SCENARIO.faults"
}

# faults_reset: every injection off (also run at exit).
faults_reset() {
	for _f in failslab fail_page_alloc fail_make_request; do
		[ ! -w $FI/$_f/probability ] || echo 0 >$FI/$_f/probability
	done
	[ -f "/tmp/run/$SCENARIO.faults" ] || return 0
	for _f in $(sort -u "/tmp/run/$SCENARIO.faults"); do
		case $_f in
		disk:*) echo 0 >"/sys/block/${_f#disk:}/make-it-fail" 2>/dev/null ;;
		esac
	done
	rm -f "/tmp/run/$SCENARIO.faults"
}

# dev_ios DEV: I/Os DEV completed so far (reads + writes).
dev_ios() {
	read -r _r1 _ _ _ _w1 _ <"/sys/block/$(blk_name "$1")/stat"
	echo $((_r1 + _w1))
}

# wait_io DEV [SECONDS]: wait until DEV completes I/O (a workload started in
# the background is really running: fio's first start from the 9p share
# takes tens of seconds on a debug kernel); fails after SECONDS (120).
wait_io() {
	_w0=$(dev_ios "$1")
	_wt=$(( $(cut -d. -f1 /proc/uptime) + ${2:-120} ))
	while [ "$(dev_ios "$1")" = "$_w0" ]; do
		[ "$(cut -d. -f1 /proc/uptime)" -lt $_wt ] || fail "no I/O on $1 within ${2:-120} s"
		sleep 1
	done
}

# watch_progress DEV SECONDS STALL: for SECONDS (wall clock), check every
# second that DEV completes I/O; returns 1 (after dumping the blocked tasks'
# stacks to the kernel log with sysrq w) as soon as it completed none for
# STALL seconds.
watch_progress() {
	_wb=$(blk_name "$1")
	read -r _r1 _ _ _ _w1 _ <"/sys/block/$_wb/stat"
	_wl=$((_r1 + _w1))
	_t0=$(cut -d. -f1 /proc/uptime)
	_tl=$_t0
	while :; do
		sleep 1
		_now=$(cut -d. -f1 /proc/uptime)
		read -r _r1 _ _ _ _w1 _ <"/sys/block/$_wb/stat"
		if [ $((_r1 + _w1)) != "$_wl" ]; then
			_wl=$((_r1 + _w1))
			_tl=$_now
		fi
		if [ $((_now - _tl)) -ge "$3" ]; then
			log "no I/O completed on $1 for $((_now - _tl)) s: blocked tasks (sysrq w) in the kernel log"
			echo w >/proc/sysrq-trigger
			return 1
		fi
		[ $((_now - _t0)) -lt "$2" ] || return 0
	done
}
