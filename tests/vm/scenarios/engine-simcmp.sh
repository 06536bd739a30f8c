#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# engine-simcmp: the module and ssc-sim run the same I/O engine
# (core/ssc_engine.c): the same trace, issued one request at a time, gives
# the same status counters (read_hits, read_misses, write_hits,
# write_misses, write_skip, evictions) in every mode, both policies and
# with the write-allocation options. The trace is the bench's skewed 4 KiB
# reads (tests/vm/bench.sh, part 5) with writes mixed in. make check splits
# the configurations between its kernels (lib.sh: mine).
# timeout: 900
. /vm/lib.sh

load_ssdcache
BS=128			# 64 KiB blocks
CMB=4			# 4 MiB cache device: 48 blocks (3 sets) beside the metadata
origin=$(ram_disk origin 64) || exit 1
OSECT=$((64 * 2048))

# 300 requests over 96 blocks, skewed; 30 % writes
awk 'BEGIN { srand(7); for (i = 0; i < 300; i++) {
	b = int(96 * rand() * rand()); s = int(16 * rand())
	printf "%s,%d,4096\n", (rand() < 0.3 ? "W" : "R"), b * 65536 + s * 4096 } }' >/tmp/simcmp.trace
head -c 4096 /dev/urandom >/tmp/simcmp.blk

fields="read_hits read_misses write_hits write_misses write_skip evictions"
bad=0
NCFG=0
run() {		# run NAME "MODE [OPTIONS]" SIM-ARGS...
	name=$1 tbl=$2
	shift 2
	NCFG=$((NCFG + 1))
	mine $((NCFG - 1)) || { log "$name: another kernel's share"; return 0; }
	sc=$(ram_disk simcache $CMB) || exit 1
	dd if=/dev/zero of="$sc" bs=1M count=1 oflag=direct 2>/dev/null	# cold
	dev=$(dm_create cmp "0 $OSECT ssdcache $origin $sc blocksize $BS assoc 4 $tbl") || exit 1
	while IFS=, read -r op off sz; do
		if [ "$op" = W ]; then
			ssc-dio write "$dev" "$off" </tmp/simcmp.blk >/dev/null || fail "$name: write at $off failed"
		else
			ssc-dio read "$dev" "$off" "$sz" >/dev/null || fail "$name: read at $off failed"
		fi
	done </tmp/simcmp.trace
	vm=""
	for f in $fields; do
		vm="$vm $f $(ssc_stat cmp "$f")"
	done
	sim=$(ssc-sim -R -f csv -b $BS -a 4 -c ${CMB}M -l 512 "$@" /tmp/simcmp.trace |
		sed -n 's/^\(read_hits .*\)$/\1/p')
	sim=" $sim"
	log "$name: module$vm"
	log "$name: ssc-sim$sim"
	if [ "$vm" != "$sim" ]; then
		log "FAIL: $name: the module and ssc-sim disagree"
		bad=$((bad + 1))
	fi
	dm_remove cmp
	dm_remove simcache
}

run "writethrough lru" "writethrough options 1 lru" -p lru -m writethrough
run "writethrough lfu" "writethrough options 1 lfu" -p lfu -m writethrough
run "readcache lru" "readcache options 1 lru" -p lru -m readcache
run "writethrough evict_on_write" "writethrough options 2 lru evict_on_write" -p lru -m writethrough -o evict_on_write
run "writeback eager_writeback" "writeback options 2 lru eager_writeback" -p lru -m writeback
run "writethrough adaptive" "writethrough options 1 adaptive" -p adaptive -m writethrough
run "writethrough skip_write_insert" "writethrough options 2 lfu skip_write_insert" -p lfu -m writethrough -o skip_write_insert
[ "$bad" = 0 ] || fail "$bad configurations disagree"
log "engine-simcmp done"
