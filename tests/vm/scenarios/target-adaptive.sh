#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# target-adaptive: the adaptive policy in the module: its table keyword
# round-trips, a scan of the origin leaves a hot set in the cache (LRU
# loses it on the same devices), write misses are admitted into a cache
# full of clean data, and the sequential_cutoff message sends a stream
# around the cache; bad cutoffs are refused and change nothing.
# timeout: 600
. /vm/lib.sh

load_ssdcache
origin=$(slow_disk origin 64 0) || exit 1
cache=$(ram_disk cache 4) || exit 1

# 4 KiB blocks: 4 MiB of cache hold 992 blocks beside the metadata
rd4() {	# rd4 DEV FIRST COUNT: COUNT scattered 4 KiB reads from block FIRST
	_i=0
	while [ $_i -lt "$3" ]; do
		echo $(($2 + (_i * 7919) % $3))
		_i=$((_i + 1))
	done | while read -r _b; do
		dd if="$1" of=/dev/null bs=4k count=1 skip="$_b" iflag=direct 2>/dev/null || echo fail
	done | grep -q fail && fail "read failed"
	return 0
}
hits() { ssc_stat "$1" read_hits; }

for pol in adaptive lru; do
	dd if=/dev/zero of="$cache" bs=1M count=4 oflag=direct 2>/dev/null
	sc=$(ssdcache_create sc "$origin" "$cache" blocksize 8 options 1 $pol) || exit 1
	assert_eq "$(ssc_stat sc policy)" $pol "policy in the status"
	assert_eq "$(dmsetup table sc | awk '{ print $NF }')" $pol "policy in the table"
	rd4 "$sc" 0 256
	rd4 "$sc" 0 256
	rd4 "$sc" 0 256
	# a scan of 24 MiB, six times the cache
	dd if="$sc" of=/dev/null bs=64k count=384 skip=256 iflag=direct 2>/dev/null || fail "scan failed"
	h0=$(hits sc)
	rd4 "$sc" 0 256
	kept=$(($(hits sc) - h0))
	log "$pol: $kept of 256 hot blocks hit after the scan; $(dmsetup status sc | grep -o 'evictions [0-9]*')"
	eval "kept_$pol=$kept"
	dm_remove sc
done
[ "$kept_adaptive" -ge 230 ] || fail "adaptive kept only $kept_adaptive of 256 hot blocks"
[ "$kept_lru" -le 32 ] || fail "LRU kept $kept_lru hot blocks: the scan did not flush it, the test proves nothing"

# write misses into a cache full of clean data: admitted (lfu: not)
for pol in adaptive lfu; do
	dd if=/dev/zero of="$cache" bs=1M count=4 oflag=direct 2>/dev/null
	sc=$(ssdcache_create sc "$origin" "$cache" blocksize 8 writeback options 1 $pol) || exit 1
	dd if="$sc" of=/dev/null bs=64k count=128 iflag=direct 2>/dev/null || fail "fill read failed"
	must dmsetup message sc 0 reset_stats
	dd if=/dev/urandom of="$sc" bs=4k count=64 seek=4096 oflag=direct 2>/dev/null || fail "write failed"
	skip=$(ssc_stat sc write_skip)
	log "$pol: $skip of 64 write misses not cached"
	eval "skip_$pol=$skip"
	must dmsetup message sc 0 flush
	dm_remove sc
done
assert_eq "$skip_adaptive" 0 "adaptive admits write misses"
assert_eq "$skip_lfu" 64 "lfu takes free ways only"

# sequential_cutoff
dd if=/dev/zero of="$cache" bs=1M count=4 oflag=direct 2>/dev/null
sc=$(ssdcache_create sc "$origin" "$cache" blocksize 8 options 1 adaptive) || exit 1
assert_eq "$(ssc_stat sc sequential_cutoff)" 0 "off by default"
for bad in 1000 -1 abc 2199023256064; do
	dmsetup message sc 0 sequential_cutoff $bad 2>/dev/null && fail "sequential_cutoff $bad accepted"
done
dmsetup message sc 0 sequential_cutoff 2>/dev/null && fail "sequential_cutoff without a value accepted"
assert_eq "$(ssc_stat sc sequential_cutoff)" 0 "refused values change nothing"
must dmsetup message sc 0 sequential_cutoff 1048576
assert_eq "$(ssc_stat sc sequential_cutoff)" 1048576 "cutoff set"
dd if="$sc" of=/dev/null bs=64k count=64 skip=256 iflag=direct 2>/dev/null || fail "stream failed"
assert_eq "$(ssc_stat sc seq_bypassed)" 768 "4 MiB stream: all but its first 1 MiB (256 blocks) around the cache"
assert_eq "$(ssc_stat sc used)" 256 "its first 1 MiB cached"
must dmsetup message sc 0 sequential_cutoff 0
dd if="$sc" of=/dev/null bs=64k count=16 skip=512 iflag=direct 2>/dev/null || fail "second stream failed"
assert_eq "$(ssc_stat sc used)" 512 "off again: a stream fills"
dm_remove sc
log "target-adaptive done"
