#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# persist-restart: the cache survives remove/create (clean shutdown) warm;
# another geometry reformats a cache without dirty data and is refused
# while it holds dirty data; 'reformat' discards;
# an origin changed while the cache was away is never served stale.
# timeout: 300
. /vm/lib.sh

load_ssdcache
origin=$(slow_disk origin 64 1) || exit 1
cache=$(ram_disk cache 16) || exit 1
osz=$(sectors "$origin")

dd if=/dev/urandom of="$origin" bs=1M count=8 oflag=direct 2>/dev/null || fail "fill origin"
sc=$(ssdcache_create sc "$origin" "$cache" blocksize 64) || exit 1
dev_md5 "$sc" 0 8 >/dev/null
dmsetup suspend sc && dmsetup resume sc
used=$(ssc_stat sc used)
[ "$used" -gt 0 ] || fail "nothing cached"
want=$(dev_md5 "$sc" 0 8)
hits1=$(ssc_stat sc read_hits)
log "cached $used blocks, $hits1 hits on the second pass"
dm_remove sc

# warm restart: the same table finds the same blocks
sc=$(ssdcache_create sc "$origin" "$cache" blocksize 64) || exit 1
assert_eq "$(ssc_stat sc used)" "$used" "blocks still cached after remove/create"
assert_eq "$(dev_md5 "$sc" 0 8)" "$want" "data after the warm restart"
assert_eq "$(ssc_stat sc read_miss)" 0 "warm: no read misses"
[ "$(ssc_stat sc read_hits)" -gt 0 ] || fail "warm: no hits"
dm_remove sc

# another geometry over a cache that holds no dirty data: reformatted, with
# a log line (it held copies of the origin only); the data is intact
for g in "blocksize 128" "blocksize 128 assoc 2" "blocksize 64"; do
	sc=$(ssdcache_create sc "$origin" "$cache" $g) || exit 1
	dmesg | tail -n 3 | grep -q "holds no dirty data: reformatting" || fail "no log line for: $g"
	assert_eq "$(ssc_stat sc used)" 0 "$g: reformatted cold"
	assert_eq "$(dev_md5 "$sc" 0 8)" "$want" "data after the change to $g"
	dm_remove sc
done
# with dirty data it is refused, saying why, and nothing is lost: flushed
# under its own table, the new one is taken
sc=$(ssdcache_create sc "$origin" "$cache" blocksize 64 writeback options 1 disable_writeback) || exit 1
dd if=/dev/urandom of="$sc" bs=64k count=16 seek=8 oflag=direct 2>/dev/null || fail "write"
want=$(dev_md5 "$sc" 0 8)
[ "$(ssc_stat sc dirty)" -gt 0 ] || fail "nothing dirty"
dm_remove sc
for bad in "blocksize 128" "blocksize 64 assoc 2"; do
	dmsetup create bad --table "0 $osz ssdcache $origin $cache $bad" 2>/dev/null &&
		fail "a table of another geometry discarded dirty data: $bad"
	dmesg | tail -n 3 | grep -q "ssdcache: Cache was formatted with another .* and holds dirty data" ||
		fail "no clear error for: $bad"
done
dmsetup create bad --table "0 $((osz - 2048)) ssdcache $origin $cache blocksize 64" 2>/dev/null &&
	fail "table for another origin size accepted with dirty data"
sc=$(ssdcache_create sc "$origin" "$cache" blocksize 64 writeback) || exit 1
must dmsetup message sc 0 flush
dm_remove sc
sc=$(ssdcache_create sc "$origin" "$cache" blocksize 32) || exit 1
assert_eq "$(dev_md5 "$sc" 0 8)" "$want" "dirty data after flush and a geometry change"
dm_remove sc
# an unknown newer format version is refused even with the right table
dd if="$cache" of=sb.bin bs=4096 count=1 iflag=direct 2>/dev/null
# reformat discards (and accepts another geometry)
sc=$(ssdcache_create sc "$origin" "$cache" blocksize 128 reformat) || exit 1
assert_eq "$(ssc_stat sc used)" 0 "reformat starts cold"
dmsetup table sc | grep -q reformat && fail "reformat printed in the table"
dev_md5 "$sc" 0 8 >/dev/null
dm_remove sc

# the origin changes while the cache is away: the cache must not serve it
sc=$(ssdcache_create sc "$origin" "$cache" blocksize 128) || exit 1
dev_md5 "$sc" 0 8 >/dev/null
dmsetup suspend sc && dmsetup resume sc
dm_remove sc
dd if=/dev/urandom of="$origin" bs=1M count=8 oflag=direct 2>/dev/null || fail "rewrite origin"
sc=$(ssdcache_create sc "$origin" "$cache" blocksize 128) || exit 1
assert_eq "$(ssc_stat sc used)" 0 "changed origin: the cache starts cold"
assert_eq "$(dev_md5 "$sc" 0 8)" "$(dev_md5 "$origin" 0 8)" "changed origin read through the cache"
dm_remove sc

# a corrupt superblock is refused, not trusted; reformat recovers
printf 'garbage!' | dd of="$cache" bs=1 seek=200 conv=notrunc 2>/dev/null
dmsetup create bad --table "0 $osz ssdcache $origin $cache blocksize 128" 2>/dev/null &&
	fail "corrupt superblock accepted"
dmesg | tail -n 3 | grep -q "checksum" || fail "no checksum error logged"
sc=$(ssdcache_create sc "$origin" "$cache" blocksize 128 reformat) || exit 1
dm_remove sc
log "persist-restart done"
