#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# persist-writeback: true write-back. Writes stay dirty in the cache (the
# origin is not written), survive remove/create, are served from the cache,
# and reach the origin on 'flush'; 'detach' stops caching; the cleaner
# honours the watermarks; eager_writeback copies right behind.
# timeout: 400
. /vm/lib.sh

load_ssdcache
origin=$(slow_disk origin 64 1) || exit 1
cache=$(ram_disk cache 16) || exit 1

dd if=/dev/zero of="$origin" bs=1M count=8 oflag=direct 2>/dev/null
before=$(dev_md5 "$origin" 0 8)
sc=$(ssdcache_create sc "$origin" "$cache" blocksize 64 writeback) || exit 1
assert_eq "$(ssc_stat sc cleaner)" lazy "lazy cleaner by default"
# raise the watermarks so nothing is cleaned yet
must dmsetup message sc 0 high_watermark 100
dmsetup message sc 0 low_watermark 101 2>/dev/null && fail "low_watermark 101 accepted"
dmsetup message sc 0 high_watermark x 2>/dev/null && fail "high_watermark x accepted"
# whole-block writes: dirty, fully valid blocks
run_fio --name=w --filename="$sc" --rw=randwrite --bs=32k --size=4M --io_size=2M \
	--iodepth=8 --verify=crc32c --do_verify=1 --verify_fatal=1
dirty=$(ssc_stat sc dirty)
[ "$dirty" -gt 0 ] || fail "no dirty blocks after write-back writes"
assert_eq "$(dev_md5 "$origin" 0 8)" "$before" "the origin was not written yet"
want=$(dev_md5 "$sc" 0 8)
assert_eq "$(ssc_stat sc dirty)" "$dirty" "reading fully valid dirty blocks writes nothing back"
sync
dm_remove sc

# dirty data survives a clean remove/create
sc=$(ssdcache_create sc "$origin" "$cache" blocksize 64 writeback) || exit 1
assert_eq "$(ssc_stat sc dirty)" "$dirty" "dirty blocks kept over remove/create"
assert_eq "$(dev_md5 "$sc" 0 8)" "$want" "dirty data served after the restart"
# 4 KiB writes into other blocks: partially valid dirty blocks; 1 MiB reads
# over them need the origin too: the block is written back first
# (blocks the cache has not seen yet, beyond the first 8 MiB)
run_fio --name=p --filename="$sc" --offset=16M --rw=randwrite --bs=4k --size=2M --io_size=512k \
	--iodepth=8 --verify=crc32c --do_verify=1 --verify_fatal=1
dev_md5 "$sc" 16 2 >/dev/null
[ "$(ssc_stat sc demand_cleans)" -gt 0 ] || fail "no write-back on demand for mixed reads"
log "dirty: $(ssc_stat sc dirty) blocks, demand cleans: $(ssc_stat sc demand_cleans)"
# flush writes everything back
must dmsetup message sc 0 flush
assert_eq "$(ssc_stat sc dirty)" 0 "flush leaves nothing dirty"
assert_eq "$(dev_md5 "$origin" 0 8)" "$want" "flush wrote the data to the origin"
[ "$(ssc_stat sc cleaned)" -gt 0 ] || fail "cleaner counted nothing"

# the cleaner's watermarks: at or above high it cleans down to low (high 0:
# whenever anything is dirty; with high 1 % a cleaning round that ends
# before the writes do rightly leaves the last few blocks dirty)
must dmsetup message sc 0 low_watermark 0
must dmsetup message sc 0 high_watermark 0
dd if=/dev/urandom of="$sc" bs=32k count=64 oflag=direct 2>/dev/null
i=0
while [ "$(ssc_stat sc dirty)" != 0 ] && [ $i -lt 60 ]; do
	sleep 0.5
	i=$((i + 1))
done
assert_eq "$(ssc_stat sc dirty)" 0 "cleaner cleaned down to the low watermark"
assert_eq "$(dev_md5 "$origin" 0 8)" "$(dev_md5 "$sc" 0 8)" "origin == cache after cleaning"
# hysteresis: below the high watermark nothing is cleaned
must dmsetup message sc 0 high_watermark 50
c0=$(ssc_stat sc cleaned)
dd if=/dev/urandom of="$sc" bs=32k count=8 oflag=direct 2>/dev/null
sleep 2
assert_eq "$(ssc_stat sc cleaned)" "$c0" "below the high watermark the cleaner waits"
[ "$(ssc_stat sc dirty)" -gt 0 ] || fail "dirty data below the high watermark was cleaned"

# detach: new writes bypass the cache; everything is written back
must dmsetup message sc 0 high_watermark 100
dd if=/dev/urandom of="$sc" bs=4k count=64 seek=100 oflag=direct 2>/dev/null
must dmsetup message sc 0 detach
assert_eq "$(ssc_stat sc state)" detached "state after detach"
assert_eq "$(ssc_stat sc dirty)" 0 "nothing dirty after detach"
used=$(ssc_stat sc used)
dd if=/dev/urandom of="$sc" bs=4k count=64 seek=300 oflag=direct 2>/dev/null
assert_eq "$(ssc_stat sc dirty)" 0 "detached: writes do not enter the cache"
final=$(dev_md5 "$sc" 0 8)
dm_remove sc
assert_eq "$(dev_md5 "$origin" 0 8)" "$final" "after detach + remove the origin alone is complete"

# eager write-back (the RFC's copy-behind)
sc=$(ssdcache_create sc "$origin" "$cache" blocksize 64 writeback options 1 eager_writeback) || exit 1
assert_eq "$(ssc_stat sc cleaner)" eager "eager cleaner"
dd if=/dev/urandom of="$sc" bs=4k count=32 oflag=direct 2>/dev/null
dmsetup suspend sc && dmsetup resume sc
assert_eq "$(ssc_stat sc dirty)" 0 "eager: clean once the copies finished"
assert_eq "$(dev_md5 "$origin" 0 8)" "$(dev_md5 "$sc" 0 8)" "eager: origin == cache"
dm_remove sc
log "persist-writeback done"
