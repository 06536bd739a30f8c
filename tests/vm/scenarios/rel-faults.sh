#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rel-faults: device faults under an ssdcache device (error, flakey and
# delay targets swapped in under it with table reloads):
#  cache-read-errors   cached reads fail: served from the origin, no error
#  cache-write-errors  writethrough writes to a failing cache succeed on the
#                      origin and invalidate the cached copy
#  cache-gone          every cache I/O fails: cache_state failed (logged
#                      once), clean I/O passes through, cache_ok (suspended)
#                      brings the cache back without stale blocks
#  origin-errors       origin errors reach the caller; the cached copy stays
#                      consistent with the origin
#  dirty-cache-errors  writeback data only the cache holds, then the cache
#                      fails: the read gets an error, never stale origin data
#  flaky-cache-fio     fio with crc32c verify over a cache that fails 1 s of
#                      every 2 s: no error reaches fio
#  slow-busy           dm-delay on both sides, a 16-block cache kept busy by
#                      32 queued I/Os plus suspend/resume: all I/O completes
# Prints "REL ..." lines for make reliability.
# timeout: 300
. /vm/lib.sh

load_ssdcache
load_modules dm-flakey dm-delay
echo "REL faults_planned=7"
VERIFIED=0	# MiB compared
OPS=0		# fio I/Os
T0=$(cut -d. -f1 /proc/uptime)

settle() { must dmsetup suspend "$1"; must dmsetup resume "$1"; }
# swap NAME TABLE: replace the table of a dm device under the cache
swap() {
	dmsetup reload "$1" --table "$2" || fail "reload $1 '$2'"
	dmsetup resume "$1" || fail "resume $1"
}
survived() { echo "REL fault=$1 survived"; log "== $1: survived"; }
md5r() { dd if="$1" bs=32k skip="$2" count="$3" iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1; }
fio_ops() { awk -F'[=,]' '/ (read|write): IOPS=/ { next } /issued rwts: total=/ { s += $2 + $3 } END { print s + 0 }' fio.out; }

ob=$(ram_disk obase 64) || exit 1
cb=$(ram_disk cbase 16) || exit 1
osz=$(sectors "$ob")
csz=$(sectors "$cb")
o=$(dm_create o "0 $osz linear $ob 0") || exit 1
c=$(dm_create c "0 $csz linear $cb 0") || exit 1
dd if=/dev/urandom of="$o" bs=1M count=8 oflag=direct 2>/dev/null || fail "prefill"

# ---------------------------------------------------------------- cache read errors
sc=$(ssdcache_create sc "$o" "$c" blocksize 64 writethrough reformat) || exit 1
want=$(md5r "$o" 0 16)
md5r "$sc" 0 16 >/dev/null
settle sc
assert_eq "$(md5r "$sc" 0 16)" "$want" "warm read"
[ "$(ssc_stat sc read_hits)" -ge 16 ] || fail "cache not warm: $(ssc_stat sc read_hits) hits"
swap c "0 $csz error"
got=$(md5r "$sc" 0 16) || fail "read with a failing cache"
assert_eq "$got" "$want" "reads of a failing cache served from the origin"
e=$(ssc_stat sc cache_errors)
[ "$e" -ge 16 ] || fail "expected >= 16 cache errors, got $e"
assert_eq "$(ssc_stat sc cancelled_bios)" 0 "no bio failed"
# the failed blocks were invalidated: the next read misses
h=$(ssc_stat sc read_hits)
md5r "$sc" 0 16 >/dev/null
assert_eq "$(ssc_stat sc read_hits)" "$h" "failed cached blocks invalidated"
VERIFIED=$((VERIFIED + 1))
survived cache-read-errors

# ---------------------------------------------------------------- cache gone
# by now 32 and more errors: the cache failed
assert_eq "$(ssc_stat sc cache_state)" failed "cache_state after many errors"
n=$(dmesg | grep -c 'cache failed, clean I/O goes to the origin')
assert_eq "$n" 1 "failure logged once"
# pass-through: reads and writes work, nothing touches the cache
b=$(ssc_stat sc bypassed)
dd if=/dev/urandom of=new.bin bs=32k count=16 2>/dev/null
dd if=new.bin of="$sc" bs=32k count=16 oflag=direct 2>/dev/null || fail "write in pass-through"
assert_eq "$(md5r "$sc" 0 16)" "$(md5sum <new.bin | cut -d' ' -f1)" "pass-through read after write"
[ "$(ssc_stat sc bypassed)" -gt "$b" ] || fail "bypassed did not move"
e=$(ssc_stat sc cache_errors)
md5r "$sc" 0 64 >/dev/null
assert_eq "$(ssc_stat sc cache_errors)" "$e" "no cache I/O while failed"
# cache_ok needs a suspended device
dmsetup message sc 0 cache_ok 2>/dev/null && fail "cache_ok accepted while active"
swap c "0 $csz linear $cb 0"
must dmsetup suspend sc
must dmsetup message sc 0 cache_ok
must dmsetup resume sc
assert_eq "$(ssc_stat sc cache_state)" ok "cache_state after cache_ok"
# no stale block survived: the data written during pass-through reads back
assert_eq "$(md5r "$sc" 0 16)" "$(md5sum <new.bin | cut -d' ' -f1)" "no stale cached data after cache_ok"
settle sc
h=$(ssc_stat sc read_hits)
assert_eq "$(md5r "$sc" 0 16)" "$(md5r "$o" 0 16)" "cache == origin"
[ "$(ssc_stat sc read_hits)" -gt "$h" ] || fail "cache not used after cache_ok"
VERIFIED=$((VERIFIED + 2))
dm_remove sc
survived cache-gone

# ---------------------------------------------------------------- cache write errors
sc=$(ssdcache_create sc "$o" "$c" blocksize 64 writethrough reformat) || exit 1
md5r "$sc" 0 16 >/dev/null
settle sc
swap c "0 $csz error"
dd if=/dev/urandom of=new.bin bs=32k count=8 2>/dev/null
dd if=new.bin of="$sc" bs=32k count=8 oflag=direct 2>/dev/null || fail "writethrough write with a failing cache"
w=$(md5sum <new.bin | cut -d' ' -f1)
assert_eq "$(md5r "$o" 0 8)" "$w" "the write reached the origin"
[ "$(ssc_stat sc write_invalid)" -ge 8 ] || fail "cached copies not invalidated ($(ssc_stat sc write_invalid))"
swap c "0 $csz linear $cb 0"
assert_eq "$(md5r "$sc" 0 8)" "$w" "no stale cached copy after the failed cache writes"
assert_eq "$(ssc_stat sc cancelled_bios)" 0 "no bio failed"
VERIFIED=$((VERIFIED + 1))
dm_remove sc
survived cache-write-errors

# ---------------------------------------------------------------- origin errors
sc=$(ssdcache_create sc "$o" "$c" blocksize 64 writethrough reformat) || exit 1
half=$((osz / 2))
md5r "$sc" $((half / 64)) 8 >/dev/null	# cache 8 blocks of the upper half
md5r "$sc" 0 8 >/dev/null
settle sc
before=$(md5r "$o" $((half / 64)) 8)
swap o "0 $half linear $ob 0
$half $((osz - half)) error"
dd if="$sc" of=/dev/null bs=32k skip=$((half / 64 + 100)) count=4 iflag=direct 2>/dev/null &&
	fail "read of a failing origin range succeeded"
dd if=/dev/urandom of="$sc" bs=32k seek=$((half / 64)) count=4 oflag=direct 2>/dev/null &&
	fail "write to a failing origin range succeeded"
[ "$(ssc_stat sc origin_errors)" -gt 0 ] || fail "origin_errors did not move"
assert_eq "$(md5r "$sc" 0 8)" "$(md5r "$o" 0 8)" "the working half reads through"
swap o "0 $osz linear $ob 0"
assert_eq "$(md5r "$sc" $((half / 64)) 8)" "$before" "cached copies consistent with the origin after failed writes"
assert_eq "$(md5r "$o" $((half / 64)) 8)" "$before" "origin unchanged"
VERIFIED=$((VERIFIED + 1))
dm_remove sc
survived origin-errors

# ---------------------------------------------------------------- dirty data, failing cache
sc=$(ssdcache_create sc "$o" "$c" blocksize 64 writeback reformat) || exit 1
dd if=/dev/urandom of="$sc" bs=32k count=8 oflag=direct 2>/dev/null || fail "write A"
settle sc
stale=$(md5r "$o" 0 8)
# the origin now fails writes (reads work): write-behinds fail, data stays dirty
swap o "0 $osz flakey $ob 0 0 3600 1 error_writes"
dd if=/dev/urandom of=new.bin bs=32k count=8 2>/dev/null
dd if=new.bin of="$sc" bs=32k count=8 oflag=direct 2>/dev/null || fail "writeback write B"
settle sc
[ "$(ssc_stat sc dirty)" -gt 0 ] || fail "no dirty blocks after failed write-behinds"
w=$(md5sum <new.bin | cut -d' ' -f1)
assert_eq "$(md5r "$sc" 0 8)" "$w" "dirty data read from the cache"
swap c "0 $csz error"
if got=$(dd if="$sc" bs=32k count=8 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1) &&
	dd if="$sc" of=/dev/null bs=32k count=8 iflag=direct 2>/dev/null; then
	[ "$got" != "$stale" ] || fail "stale origin data returned for dirty blocks"
	assert_eq "$got" "$w" "dirty blocks"
	log "read of dirty blocks succeeded with the right data"
else
	[ "$got" != "$stale" ] || fail "stale origin data returned for dirty blocks"
	log "read of dirty blocks on a failed cache: I/O error (expected)"
fi
[ "$(ssc_stat sc cache_state)" = ok ] || [ "$(ssc_stat sc dirty)" -gt 0 ] || fail "pass-through with dirty data"
swap c "0 $csz linear $cb 0"
swap o "0 $osz linear $ob 0"
dm_remove sc
survived dirty-cache-errors

# ---------------------------------------------------------------- flaky cache under fio
# (created on the healthy device: the constructor formats it; then the
# device turns flaky under the live cache)
sc=$(ssdcache_create sc "$o" "$c" blocksize 64 writethrough reformat) || exit 1
swap c "0 $csz flakey $cb 0 1 1"
run_fio --name=flaky --filename="$sc" --rw=randrw --bsrange=4k-64k --size=8M \
	--iodepth=16 --verify=crc32c --verify_fatal=1 --do_verify=1 \
	--time_based --runtime=12 --verify_backlog=32
OPS=$((OPS + $(fio_ops)))
dmsetup status sc
settle sc
swap c "0 $csz linear $cb 0"
assert_eq "$(md5r "$sc" 0 256)" "$(md5r "$o" 0 256)" "cache == origin after the flaky run"
VERIFIED=$((VERIFIED + 8 + 8))
log "cache_state $(ssc_stat sc cache_state), cache_errors $(ssc_stat sc cache_errors)"
dm_remove sc
survived flaky-cache-fio

# ---------------------------------------------------------------- slow devices, busy cache
swap o "0 $osz delay $ob 0 20"
swap c "0 $csz delay $cb 0 10"
dm_create small "0 160 linear $c 0" >/dev/null
sc=$(ssdcache_create sc "$o" /dev/mapper/small blocksize 8 assoc 1 writeback reformat) || exit 1
assert_eq "$(ssc_stat sc blocks)" 16 "a 16-block cache"
( i=0; while [ ! -f stop ]; do dmsetup suspend sc && dmsetup resume sc; i=$((i + 1)); sleep 1; done; echo $i >susp ) &
run_fio --name=busy --filename="$sc" --rw=randrw --bs=4k --size=8M --numjobs=2 \
	--offset_increment=8M --iodepth=32 --verify=crc32c --verify_fatal=1 \
	--do_verify=1 --time_based --runtime=15 --verify_backlog=64
touch stop
wait
OPS=$((OPS + $(fio_ops)))
dmsetup status sc
log "suspend/resume cycles during the run: $(cat susp)"
[ "$(ssc_stat sc bypassed)" -gt 0 ] || log "note: nothing bypassed"
must dmsetup message sc 0 flush	# write-back: dirty data to the origin
settle sc
assert_eq "$(md5r "$sc" 0 512)" "$(md5r "$o" 0 512)" "cache == origin after the busy run"
VERIFIED=$((VERIFIED + 16 + 16))
dm_remove sc
dm_remove small
survived slow-busy

T1=$(cut -d. -f1 /proc/uptime)
echo "REL stress_seconds=$((T1 - T0)) ops=$OPS verified_mb=$VERIFIED"
log "faults done"
