#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# powercut-example: proves the power-cut mechanism. Phase 1 writes a pattern
# through dm-linear onto a virtio disk, flushes it, records its md5 on the
# disk, asks for the power cut and keeps writing elsewhere until the VM is
# killed. Phase 2 (a new boot on the same disk image) checks the pattern
# with fio --verify_only and the md5.
# disks: 64M
# powercut: marker
# timeout: 180
. /vm/lib.sh

load_modules dm-mod
disk=$(vdisk 1) || exit 1
# 62 MiB of data area; the last MiB of the disk holds the md5 record.
lin=$(dm_create data "0 $((62 * 2048)) linear $disk 0") || exit 1
FIO="--name=pattern --filename=$lin --rw=write --bs=64k --size=32M --verify=crc32c"
RECORD=$((63 * 256))        # 4 KiB block number of the md5 record

if [ "$PHASE" = 1 ]; then
	log "phase 1: writing a 32 MiB pattern"
	# shellcheck disable=SC2086
	run_fio $FIO --iodepth=8 --do_verify=0 --end_fsync=1 >/dev/null
	sum=$(dev_md5 "$lin" 0 32)
	echo "$sum" | dd of="$disk" bs=4096 seek=$RECORD conv=sync oflag=direct 2>/dev/null ||
		fail "writing the md5 record failed"
	blockdev --flushbufs "$disk"
	log "pattern md5 $sum recorded and flushed; writing noise and cutting power"
	(
		i=0
		while :; do
			dd if=/dev/urandom of="$lin" bs=64k seek=$((512 + i % 400)) count=1 oflag=direct 2>/dev/null
			i=$((i + 1))
		done
	) &
	sleep 1
	powercut_now
fi

log "phase 2: checking the pattern after the power cut"
want=$(dd if="$disk" bs=4096 skip=$RECORD count=1 2>/dev/null | head -c 32)
[ ${#want} = 32 ] || fail "no md5 record on the disk: the phase 1 writes were lost"
# shellcheck disable=SC2086
run_fio $FIO --iodepth=8 --verify_only --verify_fatal=1 >/dev/null
assert_eq "$(dev_md5 "$lin" 0 32)" "$want" "pattern md5 after the power cut"
