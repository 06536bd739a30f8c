#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# target-counters: the status counters move as they should, and each
# option changes behaviour the way the target doc says.
# timeout: 300
. /vm/lib.sh

load_ssdcache
origin=$(slow_disk origin 64 1) || exit 1
cache=$(ram_disk cache 8) || exit 1

rd() { dd if="$1" of=/dev/null bs=4k count=1 skip="$2" iflag=direct 2>/dev/null || fail "read failed"; }
wr() { dd if=/dev/urandom of="$1" bs=4k count=1 seek="$2" oflag=direct 2>/dev/null || fail "write failed"; }
settle() { dmsetup suspend "$1" && dmsetup resume "$1"; }

sc=$(ssdcache_create sc "$origin" "$cache") || exit 1
dmsetup status sc
assert_eq "$(ssc_stat sc blocks)" 48 "8 MiB cache of 128 KiB blocks: 3 sets beside the metadata"
assert_eq "$(ssc_stat sc mode)" writethrough "default mode"
assert_eq "$(ssc_stat sc policy)" lfu "default policy"
assert_eq "$(ssc_stat sc assoc)" 4 "default assoc"
rd "$sc" 100
settle sc	# let the fill land
assert_eq "$(ssc_stat sc read_miss)" 1 "first read misses"
assert_eq "$(ssc_stat sc fills)" 1 "the miss filled the cache"
assert_eq "$(ssc_stat sc used)" 1 "one block in use"
rd "$sc" 100
assert_eq "$(ssc_stat sc read_hits)" 1 "second read of the same block hits"
assert_eq "$(ssc_stat sc read_clean)" 1 "RFC read clean counter"
rd "$sc" 101
assert_eq "$(ssc_stat sc read_invalid)" 1 "other 4k of the cached block: not valid yet"
# a write to a cached block updates it (write-through)
wr "$sc" 100
assert_eq "$(ssc_stat sc write_hits)" 1 "write to a cached block"
assert_eq "$(ssc_stat sc write_done)" 1 "write stored in the cache"
rd "$sc" 100
assert_eq "$(ssc_stat sc read_hits)" 2 "read after write hits"
a=$(dd if="$sc" bs=4k count=1 skip=100 iflag=direct 2>/dev/null | md5sum)
b=$(dd if="$origin" bs=4k count=1 skip=100 iflag=direct 2>/dev/null | md5sum)
assert_eq "$a" "$b" "written data on both devices"
# a write miss allocates (free ways exist)
wr "$sc" 5000
assert_eq "$(ssc_stat sc write_miss)" 1 "write miss"
rd "$sc" 5000
assert_eq "$(ssc_stat sc read_hits)" 4 "write miss was inserted (3 earlier hits)"
must dmsetup message sc 0 reset_stats
assert_eq "$(ssc_stat sc read_hits)" 0 "reset_stats"
dmsetup message sc 0 bogus 2>/dev/null && fail "bogus message accepted"
dmsetup message sc 0 reset_stats extra 2>/dev/null && fail "reset_stats with an argument accepted"
dm_remove sc
dd if=/dev/zero of="$cache" bs=1M count=8 oflag=direct 2>/dev/null

# skip_write_insert: a write miss allocates nothing
sc=$(ssdcache_create sc "$origin" "$cache" reformat options 1 skip_write_insert) || exit 1
wr "$sc" 7000
assert_eq "$(ssc_stat sc write_skip)" 1 "skip_write_insert counts a skip"
assert_eq "$(ssc_stat sc used)" 0 "and allocates nothing"
dm_remove sc

# disable_writeback: read misses do not fill
sc=$(ssdcache_create sc "$origin" "$cache" options 1 disable_writeback) || exit 1
rd "$sc" 300
rd "$sc" 300
settle sc
assert_eq "$(ssc_stat sc fills)" 0 "disable_writeback: no fills"
assert_eq "$(ssc_stat sc read_hits)" 0 "disable_writeback: no hits"
dm_remove sc

# readcache: writes go to the origin only and invalidate the cached copy
sc=$(ssdcache_create sc "$origin" "$cache" readcache) || exit 1
rd "$sc" 400
settle sc
rd "$sc" 400
assert_eq "$(ssc_stat sc read_hits)" 1 "readcache caches reads"
wr "$sc" 400
assert_eq "$(ssc_stat sc write_invalid)" 1 "readcache write invalidates"
rd "$sc" 400
assert_eq "$(ssc_stat sc read_hits)" 1 "no hit after the invalidating write"
a=$(dd if="$sc" bs=4k count=1 skip=400 iflag=direct 2>/dev/null | md5sum)
b=$(dd if="$origin" bs=4k count=1 skip=400 iflag=direct 2>/dev/null | md5sum)
assert_eq "$a" "$b" "readcache read after write returns the new data"
dm_remove sc

# writeback, eager (the RFC's): the write completes from the cache and is
# copied behind at once
sc=$(ssdcache_create sc "$origin" "$cache" writeback options 1 eager_writeback) || exit 1
wr "$sc" 800
settle sc
assert_eq "$(ssc_stat sc writebacks)" 1 "one write-behind"
assert_eq "$(ssc_stat sc dirty)" 0 "clean after the write-behind"
a=$(dd if="$sc" bs=4k count=1 skip=800 iflag=direct 2>/dev/null | md5sum)
b=$(dd if="$origin" bs=4k count=1 skip=800 iflag=direct 2>/dev/null | md5sum)
assert_eq "$a" "$b" "write-behind reached the origin"
dm_remove sc

# evictions: LRU over a 1-set cache (16 blocks), assoc 1, plus metadata
dm_create small "0 $((17 * 256 + 8)) linear $cache 0" >/dev/null
sc=$(ssdcache_create sc "$origin" /dev/mapper/small assoc 1 reformat options 1 lru) || exit 1
assert_eq "$(ssc_stat sc sets)" 1 "one set"
i=0
while [ $i -lt 20 ]; do
	rd "$sc" $((i * 32))
	i=$((i + 1))
done
settle sc
assert_eq "$(ssc_stat sc used)" 16 "the set is full"
assert_eq "$(ssc_stat sc evictions)" 4 "4 evictions for 20 blocks in 16 ways"
# the 4 oldest blocks were evicted (LRU): block 0 misses, block 19 hits
must dmsetup message sc 0 reset_stats
rd "$sc" $((19 * 32))
assert_eq "$(ssc_stat sc read_hits)" 1 "most recent block still cached"
rd "$sc" 0
assert_eq "$(ssc_stat sc read_hits)" 1 "oldest block was evicted"
dm_remove sc
dm_remove small
log "counters done"
