#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# contract-edges: what the other scenarios' devices never are. Each part
# runs in a subshell, so one failure does not hide the others; the last
# part may crash the kernel on a bad module, so it comes last.
#   1. layout: the ssdcache target starts at sector 8 of its table (after a
#      linear segment) and its origin is request-based (null_blk, memory
#      backed, completing inside submit: the block layer advances a bio as
#      it completes it). In every mode, with and without async_lookup (the
#      cache half of a write is sent after the bio went to the origin): a
#      4 KiB write over cached data, then a read of it, must return it;
#      after a flush the origin holds what the device shows.
#   2. flush and detach messages end when the last dirty block is cleaned
#      by an eager write-behind (origin writes take 3 s) while the cleaner
#      found it busy: they must not wait for a wake-up that never comes.
#   3. one table with two ssdcache targets on one cache device is refused
#      (two engines would write the same blocks).
#   4. a reload whose old table cannot save its metadata (the cache device
#      fails its writes at the suspend) must not load the older metadata
#      on the device: a write miss that completed, not flushed, is only in
#      the old table's memory, and the origin's older data would be read.
#      The new table is refused; once removed, a create loads what a
#      power loss leaves.
#   5. a read of 2 MiB into one bio (a huge-page buffer, devices taking
#      2 MiB requests) that misses in 2 MiB blocks: its fill needs more
#      pages than one bio holds.
# timeout: 600
. /vm/lib.sh

load_ssdcache
load_modules dm-delay

pat() {		# pat FILE SEED: 4 KiB of a pattern named by SEED
	awk -v s="$2" 'BEGIN { srand(s); for (i = 0; i < 1024; i++) printf "%c%c%c%c", 65 + int(rand() * 26), 97 + int(rand() * 26), 48 + int(rand() * 10), 10 }' >"$1"
}
md5f() { md5sum <"$1" | cut -d' ' -f1; }
rd5() { ssc-dio read "$1" "$2" "$3" | md5sum | cut -d' ' -f1; }

part1() {
	modprobe -r null_blk 2>/dev/null
	modprobe null_blk nr_devices=1 gb=1 bs=512 memory_backed=1 irqmode=0 ||
		fail "modprobe null_blk"
	nb=/dev/nullb0
	[ -b $nb ] || fail "no $nb"
	c=$(ram_disk e1-c 8) || exit 1
	head=$(ram_disk e1-head 1) || exit 1
	OS=$((32 * 2048))	# 32 MiB of the origin
	n=0
	for cfg in "writethrough" "writethrough options 1 async_lookup" \
		"writeback" "writeback options 1 async_lookup" \
		"readcache options 1 async_lookup"; do
		n=$((n + 1))
		dd if=/dev/urandom of=$nb bs=1M count=32 oflag=direct 2>/dev/null || fail "fill $nb"
		printf '0 8 linear %s 0\n8 %s ssdcache %s %s blocksize 64 %s reformat\n' \
			"$head" "$OS" "$nb" "$c" "$cfg" | dmsetup create e1 || fail "create '$cfg'"
		sc=/dev/mapper/e1
		# cache it: read 1 MiB twice (the second read hits)
		rd5 $sc 4096 1048576 >/dev/null || fail "read"
		rd5 $sc 4096 1048576 >/dev/null
		for k in 1 2 3 4 5 6; do
			off=$((4096 + (k * 37 % 31) * 32768 + (k % 8) * 4096))
			pat p.$k $((n * 10 + k))
			ssc-dio write $sc $off <p.$k || fail "'$cfg': write at $off"
			assert_eq "$(rd5 $sc $off 4096)" "$(md5f p.$k)" "'$cfg': read after write at $off"
		done
		assert_eq "$(rd5 $sc $off 4096)" "$(md5f p.6)" "'$cfg': read again"
		must dmsetup message e1 8 flush	# a sector of the ssdcache target
		a=$(rd5 $sc 4096 1048576)
		# the device's byte 4096 is the origin's byte 0
		b=$(rd5 $nb 0 1048576)
		assert_eq "$a" "$b" "'$cfg': origin == device after a flush"
		log "ok: $cfg: $(dmsetup status e1 | tail -n1 | sed 's/.* read_hits \([0-9]*\).*write_hits \([0-9]*\).*/read_hits \1 write_hits \2/')"
		dm_remove e1
		dd if=/dev/zero of="$c" bs=1M count=1 oflag=direct 2>/dev/null
	done
	modprobe -r null_blk 2>/dev/null
	true
}

part2() {
	ob=$(ram_disk e2-ob 16) || exit 1
	o=$(dm_create e2-o "0 $((16 * 2048)) delay $ob 0 0 $ob 0 3000") || exit 1
	c=$(ram_disk e2-c 8) || exit 1
	for msg in flush detach; do
		sc=$(ssdcache_create e2 "$o" "$c" blocksize 8 writeback options 1 eager_writeback reformat) || exit 1
		pat p2 7
		ssc-dio write "$sc" 8192 <p2 || fail "write"
		t0=$(date +%s)
		timeout 40 dmsetup message e2 0 $msg || fail "'$msg' message failed or hung (timeout 40 s)"
		log "ok: '$msg' while a write-behind runs: $(($(date +%s) - t0)) s"
		assert_eq "$(ssc_stat e2 dirty)" 0 "no dirty blocks after '$msg'"
		assert_eq "$(rd5 "$o" 8192 4096)" "$(md5f p2)" "origin holds the write after '$msg'"
		dm_remove e2
	done
}

part3() {
	o1=$(ram_disk e3-o1 8) || exit 1
	o2=$(ram_disk e3-o2 8) || exit 1
	c=$(ram_disk e3-c 8) || exit 1
	if printf '0 16384 ssdcache %s %s reformat\n16384 16384 ssdcache %s %s\n' \
		"$o1" "$c" "$o2" "$c" | dmsetup create e3 2>err3; then
		dm_remove e3
		fail "a table with two targets on one cache device was accepted"
	fi
	dmesg | tail -n 20 | grep -q 'used twice in this table' ||
		fail "no kernel message saying why: $(cat err3)"
	log "ok: two targets on one cache device refused"
	# one target alone still works on it afterwards
	sc=$(ssdcache_create e3 "$o1" "$c" reformat) || exit 1
	dm_remove e3
}

part4() {
	o=$(ram_disk e4-o 16) || exit 1
	cb=$(_vm_ram_next) || exit 1
	CS=$((8 * 2048))
	c=$(dm_create e4-c "0 $CS linear $cb 0") || exit 1
	pat old 12
	ssc-dio write "$o" 131072 <old || fail "write the origin"
	T="0 $(sectors "$o") ssdcache $o $c blocksize 8 writeback"
	sc=$(dm_create e4 "$T reformat") || exit 1
	pat p4 11
	ssc-dio write "$sc" 65536 <p4 || fail "write"
	ssc-dio flush "$sc" || fail "fsync"
	[ "$(ssc_stat e4 dirty)" -ge 1 ] || fail "the write is not dirty in the cache"
	# write-zeroes: the dirty copy is dropped, the origin zeroed
	must /usr/sbin/blkdiscard -z -o 65536 -l 4096 "$sc"
	z=$(head -c 4096 /dev/zero | md5sum | cut -d' ' -f1)
	assert_eq "$(rd5 "$sc" 65536 4096)" "$z" "zeroes after write-zeroes"
	must dmsetup reload e4 --table "$T"
	# from now on the metadata area of the cache device fails every
	# write (its data area works): no commit gets through
	DO=$(ssdcache inspect "$c" --json | sed -n 's/.*"data_offset": \([0-9]*\).*/\1/p')
	[ -n "$DO" ] || fail "no data_offset from ssdcache inspect"
	must dmsetup suspend e4-c
	printf '0 %s error\n%s %s linear %s %s\n' "$DO" "$DO" $((CS - DO)) "$cb" "$DO" |
		dmsetup reload e4-c || fail "reload e4-c"
	must dmsetup resume e4-c
	# a write miss: dirty in the cache, its place recorded in memory only
	pat new 13
	ssc-dio write "$sc" 131072 <new || fail "write"
	assert_eq "$(rd5 "$sc" 131072 4096)" "$(md5f new)" "read after write"
	sleep 2		# the periodic commits fail
	must dmsetup suspend e4		# and so does the last one
	must dmsetup suspend e4-c
	must dmsetup reload e4-c --table "0 $CS linear $cb 0"
	must dmsetup resume e4-c
	if dmsetup resume e4 2>/dev/null; then
		a=$(rd5 "$sc" 65536 4096) b=$(rd5 "$sc" 131072 4096)
		[ "$a" = "$z" ] || fail "stale data after the reload: the write-zeroes is undone"
		[ "$b" = "$(md5f new)" ] || fail "stale data after the reload: a completed write is undone ($([ "$b" = "$(md5f old)" ] && echo 'the older data of the origin'))"
		fail "the reload loaded metadata older than what the device showed"
	fi
	dmesg | tail -n 30 | grep -q 'could not save the cache metadata' ||
		fail "no kernel message about the failed save"
	log "ok: the new table is refused"
	dmsetup remove e4 || fail "remove of the refused device"
	# once removed, the cache device holds what a power loss leaves, and
	# a create loads it as it loads one after a crash: every write may
	# be there or not, as none was flushed
	sc=$(dm_create e4 "$T") || exit 1
	a=$(rd5 "$sc" 65536 4096) b=$(rd5 "$sc" 131072 4096)
	[ "$a" = "$z" ] || [ "$a" = "$(md5f p4)" ] || fail "sector 128 holds neither write"
	[ "$b" = "$(md5f new)" ] || [ "$b" = "$(md5f old)" ] || fail "sector 256 holds neither write"
	dm_remove e4
	log "ok: a create after the remove loads what a crash leaves"
}

part5() {
	echo 4 >/proc/sys/vm/nr_hugepages
	[ "$(cat /proc/sys/vm/nr_hugepages)" -ge 2 ] || fail "no huge pages"
	# devices that take 2 MiB requests (brd takes 127.5 KiB at most)
	modprobe -r null_blk 2>/dev/null
	modprobe null_blk nr_devices=2 gb=1 bs=512 memory_backed=1 irqmode=0 \
		max_sectors=4096 || fail "modprobe null_blk"
	o=/dev/nullb0 c=/dev/nullb1
	dd if=/dev/urandom of=$o bs=1M count=16 oflag=direct 2>/dev/null || fail "fill"
	sc=$(dm_create e5 "0 $((16 * 2048)) ssdcache $o $c blocksize 4096 assoc 4 writethrough reformat") || exit 1
	q=/sys/block/dm-$(dmsetup info -c --noheadings -o minor e5 | tr -d ' ')/queue
	echo 2048 >$q/max_sectors_kb || fail "max_sectors_kb 2048 (max_hw_sectors_kb $(cat $q/max_hw_sectors_kb))"
	a=$(SSC_DIO_HUGE=1 ssc-dio read "$sc" 2097152 2097152 | md5sum | cut -d' ' -f1)
	assert_eq "$a" "$(rd5 $o 2097152 2097152)" "2 MiB read (miss)"
	i=0	# the fill is written after the read completed
	while [ "$(ssc_stat e5 fills)" = 0 ] && [ $i -lt 20 ]; do sleep 0.5; i=$((i + 1)); done
	b=$(SSC_DIO_HUGE=1 ssc-dio read "$sc" 2097152 2097152 | md5sum | cut -d' ' -f1)
	assert_eq "$b" "$a" "2 MiB read again"
	st=$(dmsetup status e5)
	log "ok: 2 MiB read miss in 2 MiB blocks: $(echo "$st" | sed 's/.* read_hits \([0-9]*\) read_misses \([0-9]*\).*fills \([0-9]*\).*/read_hits \1 read_misses \2 fills \3/')"
	assert_eq "$(ssc_stat e5 read_hits)" 1 "the second read is one hit"
	dm_remove e5
	modprobe -r null_blk 2>/dev/null
	echo 0 >/proc/sys/vm/nr_hugepages
}

bad=
# VM_PARAMS="edges_parts=14": only parts 1 and 4
for p in $(vm_param edges_parts 12345 | sed 's/./& /g'); do
	log "== part $p"
	(part$p) || bad="$bad $p"
done
[ -z "$bad" ] || fail "parts failed:$bad"
log "contract-edges done"
