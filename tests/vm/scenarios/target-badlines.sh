#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# target-badlines: every malformed table line is refused with a clear error
# and no kernel warning; every accepted line round-trips through
# "dmsetup table"; the RFC's lines are accepted verbatim.
# timeout: 300
. /vm/lib.sh

load_ssdcache
load_modules null_blk
origin=$(ram_disk origin 64) || exit 1
cache=$(ram_disk cache 16) || exit 1
tiny=$(ram_disk tiny 1) || exit 1
osz=$(sectors "$origin")
# two 4 KiB-sector devices
modprobe -r null_blk 2>/dev/null
modprobe null_blk nr_devices=2 bs=4096 gb=1 || fail "null_blk"
n0=/dev/nullb0
n1=/dev/nullb1
[ -b $n0 ] || fail "no $n0"

refused=0
refuse() {
	_len=$1
	shift
	if dmsetup create bad --table "0 $_len ssdcache $*" 2>err.txt; then
		dmsetup remove bad
		fail "accepted bad table: $*"
	fi
	# the kernel names the reason (ti->error) in its log
	dmesg | tail -n 4 | grep -q "ssdcache: " || fail "no error logged for: $*"
	refused=$((refused + 1))
}

refuse "$osz" ""
refuse "$osz" "$origin"
refuse "$osz" /dev/nonexistent "$cache"
refuse "$osz" "$origin" /dev/nonexistent
refuse "$osz" "$origin" "$origin"
refuse "$osz" "$origin" "$cache" blocksize
refuse "$osz" "$origin" "$cache" blocksize abc
refuse "$osz" "$origin" "$cache" blocksize 0
refuse "$osz" "$origin" "$cache" blocksize 48
refuse "$osz" "$origin" "$cache" blocksize -8
refuse "$osz" "$origin" "$cache" blocksize 16384
refuse "$osz" "$origin" "$cache" blocksize 99999999999
refuse "$osz" "$origin" "$cache" assoc
refuse "$osz" "$origin" "$cache" assoc 0
refuse "$osz" "$origin" "$cache" assoc 1000000
refuse "$osz" "$origin" "$cache" writearound
refuse "$osz" "$origin" "$cache" options
refuse "$osz" "$origin" "$cache" options 2 lru
refuse "$osz" "$origin" "$cache" options 1 lru lfu
refuse "$osz" "$origin" "$cache" options 1 nonsense
refuse "$osz" "$origin" "$cache" options -1
refuse "$osz" "$origin" "$tiny"
refuse $((osz + 8)) "$origin" "$cache"
refuse "$osz" "$origin" $n0
refuse 2048 $n0 $n1 blocksize 4
log "$refused bad lines refused"

# Big blocks: the RFC's blocksize 512 (256 KiB) and 2 MiB blocks (4096
# logical blocks of 512 bytes), in writeback under a verified random mix
# of sizes; the origin holds the same after a flush.
big=$(ram_disk big 40) || exit 1
for bs in 512 4096; do
	sc=$(ssdcache_create bb "$origin" "$big" blocksize $bs writeback) || exit 1
	assert_eq "$(ssc_stat bb blocksize)" $bs "blocksize $bs in the status"
	run_fio --name=big$bs --filename="$sc" --rw=randrw --bsrange=4k-512k --size=64M \
		--io_size=12M --iodepth=8 --verify=crc32c --verify_backlog=64 --randseed=$bs >/dev/null
	[ "$(ssc_stat bb used)" -gt 0 ] || fail "blocksize $bs: nothing cached"
	must dmsetup message bb 0 flush
	assert_eq "$(dev_md5 "$sc" 0 64)" "$(dev_md5 "$origin" 0 64)" "blocksize $bs: origin after flush"
	log "blocksize $bs: $(ssc_stat bb used) blocks used, $(ssc_stat bb read_hits) read hits, md_bytes_per_block $(ssc_stat bb md_bytes_per_block)"
	dm_remove bb
done

# every accepted configuration round-trips through the table
for line in "" "blocksize 8" "blocksize 256 assoc 1 writeback" "readcache options 1 lru" \
	"writeback options 7 lru async_lookup queue_busy disable_writeback skip_write_insert evict_on_write cmd_preload" \
	"options 5 lru async_lookup queue_busy disable_writeback skip_write_insert" \
	"assoc 64 blocksize 16 writethrough options 2 evict_on_write cmd_preload" \
	"BLOCKSIZE 32 Assoc 3 WriteBack OPTIONS 1 LRU"; do
	dmsetup create rt --table "0 $osz ssdcache $origin $cache reformat $line" || fail "refused good line '$line'"
	t1=$(dmsetup table rt)
	echo "$t1"
	must dmsetup reload rt --table "$t1"
	must dmsetup resume rt
	t2=$(dmsetup table rt)
	assert_eq "$t2" "$t1" "table round trip of '$line'"
	dmsetup remove rt
done
# a 4 KiB-sector pair works with an 8-sector block
dmsetup create ok4k --table "0 2048 ssdcache $n0 $n1 blocksize 8" || fail "4k devices refused"
dmsetup remove ok4k
log "badlines done"
