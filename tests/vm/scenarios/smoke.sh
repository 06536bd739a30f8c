#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# smoke: an ssdcache device over an emulated slow disk (dm-delay over brd)
# and a ram disk as cache; fio random writes with crc32c verification through
# it; the data read through the cache must equal the origin's.
# timeout: 300
. /vm/lib.sh

load_ssdcache
origin=$(slow_disk origin 256 2) || exit 1
cache=$(ram_disk cache 64) || exit 1
sc=$(ssdcache_create sc "$origin" "$cache") || exit 1
dmsetup table sc
dmsetup status sc

log "fio: random 4k writes + crc32c verify, 32 MiB"
run_fio --name=smoke --filename="$sc" --rw=randwrite --bs=4k --size=32M \
	--iodepth=16 --verify=crc32c --verify_fatal=1 --do_verify=1

log "comparing the first 32 MiB through the cache with the origin"
a=$(dev_md5 "$sc" 0 32)
b=$(dev_md5 "$origin" 0 32)
assert_eq "$a" "$b" "md5 through ssdcache = md5 of the origin"

dmsetup status sc
dm_remove sc
log "smoke done"
