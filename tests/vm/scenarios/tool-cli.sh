#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# tool-cli: the ssdcache command-line tool drives every command and every
# error path; what it creates and reports is compared with dmsetup's view.
# flush, detach and remove --flush need the kernel's "flush"/"detach"
# messages: when the loaded module refuses them (dmsetup message fails),
# the tool must fail with one clean line and leave the device alone.
# set (mode and policy by a table reload, flushing first when leaving
# writeback), detach/attach, the state (ok, degraded, detached, failed) and
# status --format prometheus are checked with a pattern read back
# byte-exact across every change; so is resize, after the origin and then
# the cache device grow under a writeback cache holding dirty data.
# timeout: 300
. /vm/lib.sh

T=ssdcache
command -v $T >/dev/null || fail "ssdcache tool not in the initramfs (make tools)"
load_ssdcache
origin=$(ram_disk origin 64) || exit 1
cache=$(ram_disk cache 16) || exit 1
other=$(ram_disk other 16) || exit 1
fsdev=$(ram_disk fsdev 8) || exit 1
tiny=$(ram_disk tiny 1) || exit 1
osz=$(sectors "$origin")

# devices the tool creates: removed at exit by lib.sh
track() {
	echo "$1" >>"$_VM_CREATED"
}

majmin() {
	dmsetup info -c --noheadings -o major,minor --separator : "${1#/dev/mapper/}"
}

# expect_err PATTERN CMD...: CMD fails (non-zero), prints exactly one line
# on stderr, matching PATTERN.
nerr=0
expect_err() {
	_pat=$1
	shift
	if "$@" >out.txt 2>err.txt; then
		fail "succeeded, expected an error: $*"
	fi
	[ "$(wc -l <err.txt)" = 1 ] || { cat err.txt; fail "not one error line: $*"; }
	grep -q -- "$_pat" err.txt || fail "error for '$*' is '$(cat err.txt)', expected '$_pat'"
	log "ok (error): $* -> $(cat err.txt)"
	nerr=$((nerr + 1))
}

# ---- help: every command, the same text by "help CMD" and "CMD --help"
must $T --help >/dev/null
must $T --version >/dev/null
for c in create remove flush detach attach set resize list status stats inspect assemble shutdown advise; do
	$T $c --help >h1.txt || fail "$c --help failed"
	$T help $c >h2.txt || fail "help $c failed"
	head -n1 h1.txt | grep -q "^Usage: ssdcache $c" || fail "$c --help: $(head -n1 h1.txt)"
	cmp -s h1.txt h2.txt || fail "help $c differs from $c --help"
done
log "ok: --help of every command"

# ---- usage and argument errors
expect_err "unknown command 'frobnicate'" $T frobnicate
expect_err "help: unknown command" $T help frobnicate
expect_err "missing NAME" $T create --origin "$origin" --cache "$cache"
expect_err "missing --cache DEV" $T create c1 --origin "$origin"
expect_err "missing --origin DEV" $T create c1 --cache "$cache"
expect_err "invalid block size '12q'" $T create c1 --origin "$origin" --cache "$cache" --block-size 12q
expect_err "invalid block size '-4k'" $T create c1 --origin "$origin" --cache "$cache" --block-size -4k
expect_err "invalid block size 1000: a power of two" $T create c1 --origin "$origin" --cache "$cache" --block-size 1000
expect_err "invalid block size 68719476736: a power of two" $T create c1 --origin "$origin" --cache "$cache" --block-size 64G
expect_err "invalid block size '1.5M'" $T create c1 --origin "$origin" --cache "$cache" --block-size 1.5M
expect_err "invalid mode 'writearound'" $T create c1 --origin "$origin" --cache "$cache" --mode writearound
expect_err "invalid policy 'mru'" $T create c1 --origin "$origin" --cache "$cache" --policy mru
expect_err "invalid assoc '65'" $T create c1 --origin "$origin" --cache "$cache" --assoc 65
expect_err "unknown option 'nonsense'" $T create c1 --origin "$origin" --cache "$cache" --option nonsense
expect_err "unknown argument '--frob'" $T create c1 --origin "$origin" --cache "$cache" --frob
expect_err "missing NAME" $T status
expect_err "unexpected argument" $T status a b
expect_err "missing NAME" $T remove
expect_err "missing NAME" $T flush
expect_err "missing NAME" $T detach
expect_err "invalid --interval" $T stats x --interval 0
expect_err "missing DEV" $T inspect

# ---- device errors
expect_err "/dev/nonexistent: no such device (origin device)" $T create c1 --origin /dev/nonexistent --cache "$cache"
expect_err "/dev/nonexistent: no such device (cache device)" $T create c1 --origin "$origin" --cache /dev/nonexistent
expect_err "/vm/lib.sh: not a block device (origin device)" $T create c1 --origin /vm/lib.sh --cache "$cache"
expect_err "origin and cache are the same device" $T create c1 --origin "$origin" --cache "$origin"
expect_err "$cache: blocksize too large: at most 4096 logical blocks" $T create c1 --origin "$origin" --cache "$cache" --block-size 4M
expect_err "$tiny: Cache device is smaller than one set" $T create c1 --origin "$origin" --cache "$tiny"
must dm_create hold "0 1024 linear $other 0" >/dev/null
expect_err "$other: in use by /dev/mapper/hold (cache device)" $T create c1 --origin "$origin" --cache "$other"
dm_remove hold
modprobe ext4 2>/dev/null
mkdir -p /mnt/tool
if mke2fs -q "$fsdev" && mount -t ext2 "$fsdev" /mnt/tool; then
	expect_err "$fsdev: mounted on /mnt/tool (origin device)" $T create c1 --origin "$fsdev" --cache "$cache"
	expect_err "$fsdev: mounted on /mnt/tool (cache device)" $T create c1 --origin "$origin" --cache "$fsdev"
	must umount /mnt/tool
else
	fail "cannot mount an ext2 file system for the mounted-device check"
fi
must mkswap "$fsdev" >/dev/null
must swapon "$fsdev"
expect_err "$fsdev: used as swap (cache device)" $T create c1 --origin "$origin" --cache "$fsdev"
must swapoff "$fsdev"
expect_err "nosuch: no such device" $T status nosuch
expect_err "nosuch: no such device" $T remove nosuch
expect_err "nosuch: no such device" $T flush nosuch
expect_err "nosuch: no such device" $T detach nosuch
expect_err "nosuch: no such device" $T stats nosuch
expect_err "origin: not an ssdcache device (target linear)" $T status origin
expect_err "/dev/nonexistent: no such device" $T inspect /dev/nonexistent
must dd if=/dev/zero of="$cache" bs=4k count=1 conv=notrunc 2>/dev/null
expect_err "$cache: no ssdcache superblock" $T inspect "$cache"

# ---- create, compared with dmsetup
args="--origin $origin --cache $cache --mode writeback --block-size 64k --policy lru --assoc 2 --option queue_busy"
# shellcheck disable=SC2086
dry=$($T create c1 $args --dry-run) || fail "dry run failed"
assert_eq "$dry" "0 $osz ssdcache $origin $cache blocksize 128 assoc 2 writeback options 2 lru queue_busy" "dry-run table"
dmsetup info c1 >/dev/null 2>&1 && fail "dry run created c1"
# shellcheck disable=SC2086
out=$($T create c1 $args) || fail "create failed"
track c1
assert_eq "$out" "/dev/mapper/c1" "create prints the device"
[ -b /dev/mapper/c1 ] || fail "/dev/mapper/c1 missing"
assert_eq "$(dmsetup table c1)" "0 $osz ssdcache $(majmin "$origin") $(majmin "$cache") blocksize 128 assoc 2 writeback options 2 lru queue_busy" "dmsetup table of the tool's device"
# shellcheck disable=SC2086
expect_err "c1: a device-mapper device of that name exists" $T create c1 $args
expect_err "$cache: in use by /dev/mapper/c1 (cache device)" $T create c2 --origin "$other" --cache "$cache"

# some I/O: reads (misses, then hits) and writes
must dd if=/dev/urandom of=/dev/mapper/c1 bs=64k count=32 oflag=direct 2>/dev/null
must dd if=/dev/mapper/c1 of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null
must dd if=/dev/mapper/c1 of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null
sleep 1

# status vs dmsetup status
st=$(dmsetup status c1 | cut -d' ' -f4-)
val() {
	echo "$st" | tr ' ' '\n' | sed -n "/^$1\$/{n;p;q}"
}
$T status c1 >status.txt || fail "status failed"
cat status.txt
grep -q "^mode: *writeback, policy lru, block size 64.0 KiB, assoc 2" status.txt || fail "status: mode line"
grep -q "^used: .*($(val used) of $(val blocks) blocks" status.txt || fail "status: used != dmsetup's $(val used)/$(val blocks)"
grep -q "^dirty: .*($(val dirty) blocks)" status.txt || fail "status: dirty != dmsetup's $(val dirty)"
grep -q "^read hits: .*($(val read_hits) hits, $(val read_misses) misses)" status.txt || fail "status: read hits"
grep -q "^errors: *cache $(val cache_errors), origin $(val origin_errors)" status.txt || fail "status: errors"
grep -q "^state: " status.txt || fail "status: no state"
grep -q "^origin: *$origin" status.txt || fail "status: origin"
grep -q "^cache: *$cache" status.txt || fail "status: cache"
log "ok: status matches dmsetup status"

# --json: every dmsetup status pair, same value
$T status c1 --json >status.json || fail "status --json failed"
cat status.json
set -- $st
while [ $# -ge 2 ]; do
	case $1 in
	# moved on since $st was taken: background commits and cleaning
	md_seq | commits | cleaning | cleaned | dirty | used | sets_used)
		shift 2
		continue
		;;
	esac
	case $2 in
	*[!0-9]*) grep -q "\"$1\": \"$2\"" status.json || fail "json: $1 $2 missing" ;;
	*) grep -q "\"$1\": $2[,}]" status.json || fail "json: $1 $2 missing" ;;
	esac
	shift 2
done
grep -q '"name": "c1"' status.json || fail "json: name"
grep -q "\"table\": \"$(dmsetup table c1)\"" status.json || fail "json: table"
log "ok: status --json matches dmsetup status"

# stats: the same pairs as dmsetup status, one per line
$T stats c1 | awk '{print $1, $2}' >stats.txt || fail "stats failed"
dmsetup status c1 | cut -d' ' -f4- | tr ' ' '\n' | paste -d' ' - - >dm.txt
cmp -s stats.txt dm.txt || { diff stats.txt dm.txt; fail "stats differs from dmsetup status"; }
out=$($T stats c1 --watch --interval 0.2 --count 3) || fail "stats --watch failed"
assert_eq "$(echo "$out" | grep -c 'every 0.2 s')" 3 "stats --watch refreshes"
echo "$out" | grep -q "read_hits .*/s" || fail "stats --watch shows no rates"

# list
$T list >list.txt || fail "list failed"
cat list.txt
grep -q "^c1 .*$origin .*$cache .*writeback" list.txt || fail "list: no c1 line"
grep -q "^origin " list.txt && fail "list shows a linear device"

# flush / detach / remove --flush: depend on the kernel's messages
if dmsetup message c1 0 flush 2>/dev/null; then
	log "kernel supports flush"
	must $T flush c1 --no-progress
	assert_eq "$(dmsetup status c1 | tr ' ' '\n' | sed -n '/^dirty$/{n;p;q}')" 0 "dirty after flush"
else
	expect_err "c1: the kernel refused 'flush' (Invalid argument): the loaded dm-ssdcache module does not support it" $T flush c1
	expect_err "c1: the kernel refused 'flush'" $T remove c1 --flush
	dmsetup info c1 >/dev/null || fail "remove --flush removed c1 after a failed flush"
fi

# remove: refused while open, then done
exec 3</dev/mapper/c1
expect_err "c1: in use (open count 1)" $T remove c1
exec 3<&-
must $T remove c1
dmsetup info c1 >/dev/null 2>&1 && fail "c1 still exists after remove"

# detach on a fresh device
must $T create c3 --origin "$origin" --cache "$cache" --mode writeback >/dev/null
track c3
if dmsetup message c3 0 detach 2>/dev/null; then
	log "kernel supports detach"
	must $T detach c3 --no-progress
else
	expect_err "c3: the kernel refused 'detach' (Invalid argument)" $T detach c3
fi
must $T remove c3

# ---- set, detach/attach, state, prometheus: data verified across each change
# st DEV KEY...: the values of KEYs in DEV's status line (one dmsetup call)
st() {
	_d=$1
	shift
	_keys=$*
	# shellcheck disable=SC2046
	set -- $(dmsetup status "$_d")
	_out=
	for _k in $_keys; do
		_v=- _p=
		for _w in "$@"; do
			[ "$_p" = "$_k" ] && { _v=$_w; break; }
			_p=$_w
		done
		_out="$_out${_out:+ }$_v"
	done
	echo "$_out"
}
# the dirty count the last table load found (the target logs it)
loaded_dirty() {
	dmesg | sed -n 's/.*loaded the cache after .* \([0-9]*\) dirty$/\1/p' | tail -n1
}
must $T create c5 --origin "$origin" --cache "$cache" --mode writeback --block-size 64k >/dev/null 2>&1
track c5
expect_err "nosuch: no such device" $T set nosuch --mode writethrough
expect_err "origin: not an ssdcache device" $T set origin --mode writethrough
expect_err "nothing to change" $T set c5
expect_err "invalid mode 'bogus'" $T set c5 --mode bogus
expect_err "invalid sequential cutoff '1000'" $T set c5 --sequential-cutoff 1000
expect_err "low watermark 60% above the high watermark 50%" $T set c5 --high-watermark 50 --low-watermark 60
# keep the cleaner off: the written pattern stays dirty until the mode change
must $T set c5 --high-watermark 100 --low-watermark 90 >/dev/null
must dd if=/dev/urandom of=pa.bin bs=64k count=16 2>/dev/null
must dd if=/dev/urandom of=pb.bin bs=64k count=16 2>/dev/null
pa=$(md5sum <pa.bin | cut -d' ' -f1)
pb=$(md5sum <pb.bin | cut -d' ' -f1)
must dd if=pa.bin of=/dev/mapper/c5 bs=64k oflag=direct 2>/dev/null
assert_eq "$(st c5 high_watermark low_watermark dirty)" "100 90 16" "watermarks set, pattern dirty"
tbl0=$(dmsetup table c5)
# leaving writeback: flushed before the new table, which loads 0 dirty
out=$($T set c5 --mode writethrough --no-progress) || fail "set --mode writethrough failed"
log "$out"
echo "$out" | grep -q "reloaded: mode writeback -> writethrough, policy lfu -> lfu (dirty data written back first)" || fail "set: '$out'"
assert_eq "$(loaded_dirty)" 0 "dirty blocks the new table found"
assert_eq "$(st c5 dirty high_watermark low_watermark)" "0 100 90" "dirty after leaving writeback, watermarks kept"
assert_eq "$(dmsetup table c5)" "$(echo "$tbl0" | sed 's/ writeback / writethrough /')" "only the mode changed in the table"
assert_eq "$(dev_md5 "$origin" 0 1)" "$pa" "origin holds the pattern after leaving writeback"
# a policy change keeps the cached data: the re-read hits, no miss
must $T set c5 --policy adaptive --sequential-cutoff 1M >/dev/null
assert_eq "$(dmsetup table c5)" "$(echo "$tbl0" | sed 's/ writeback / writethrough /; s/ lfu/ adaptive/')" "policy in the table"
assert_eq "$(dev_md5 /dev/mapper/c5 0 1)" "$pa" "pattern after the mode and policy changes"
assert_eq "$(st c5 sequential_cutoff read_hits read_misses)" "1048576 16 0" "cutoff set, cached data kept across the reloads"
out=$($T set c5 --mode writethrough) || fail "set to the same mode failed"
echo "$out" | grep -q "nothing to do" || fail "set to the same mode: '$out'"
must $T set c5 --mode writeback --no-progress >/dev/null
assert_eq "$(st c5 mode sequential_cutoff)" "writeback 1048576" "back to writeback, cutoff kept"
log "ok: set (mode, policy, watermarks, cutoff) keeps the data"

# detach, write, reload while detached, attach: no stale copy is served
must dd if=pa.bin of=/dev/mapper/c5 bs=64k oflag=direct 2>/dev/null
must $T detach c5 --no-progress >/dev/null
$T status c5 >status.txt || fail "status failed"
grep -q "^state: *detached (detached: no new data enters the cache" status.txt || fail "status: $(grep state: status.txt)"
$T list | grep -q "^c5 .* detached *detached: no new data" || fail "list: $($T list | grep '^c5')"
must dd if=pb.bin of=/dev/mapper/c5 bs=64k oflag=direct 2>/dev/null
must $T set c5 --mode writethrough --sequential-cutoff 0 --no-progress >/dev/null
assert_eq "$(st c5 dirty state)" "0 detached" "no dirty data while detached, still detached after a reload"
out=$($T attach c5) || fail "attach failed"
assert_eq "$out" "c5: attached: new data is cached again" "attach"
assert_eq "$(dev_md5 /dev/mapper/c5 0 1)" "$pb" "data written while detached, read after attach"
assert_eq "$(dev_md5 "$origin" 0 1)" "$pb" "origin after detach, write, attach"
out=$($T attach c5) || fail "second attach failed"
echo "$out" | grep -q "not detached (state active)" || fail "second attach: '$out'"
$T status c5 | grep -q "^state: *ok$" || fail "status after attach: $($T status c5 | grep state:)"
log "ok: detach, write, attach reads the new data"

# prometheus: one TYPE per metric, samples under it, values of the status line
# shellcheck disable=SC2046
set -- $(st c5 read_hits read_misses dirty)
cat >want.txt <<EOT
# TYPE ssdcache_read_hits_total counter
ssdcache_read_hits_total{name="c5"} $1
ssdcache_read_misses_total{name="c5"} $2
# TYPE ssdcache_dirty_blocks gauge
ssdcache_dirty_blocks{name="c5"} $3
ssdcache_state{name="c5",state="ok"} 1
ssdcache_state{name="c5",state="failed"} 0
ssdcache_info{name="c5",mode="writethrough",policy="adaptive"} 1
EOT
$T status c5 --format prometheus >prom.txt || fail "status --format prometheus failed"
[ "$(grep -cxF -f want.txt prom.txt)" = "$(wc -l <want.txt)" ] || fail "prometheus: no '$(grep -vxF -f prom.txt want.txt | head -n1)'"
bad=$(grep -v '^#' prom.txt | grep -vE '^ssdcache_[a-z_]+\{name="c5"(,[a-z]+="[a-z]+")*\} ([0-9.]+|NaN)$')
[ -z "$bad" ] || fail "prometheus: bad sample line: $bad"
[ -z "$(grep '^# TYPE' prom.txt | sort | uniq -d)" ] || fail "prometheus: a metric typed twice"
$T status --format prometheus | grep -q '^ssdcache_state{name="c5",state="ok"} 1$' || fail "prometheus without NAME"
expect_err "invalid --format" $T status c5 --format xml

# degraded, then failed: the cache device starts failing reads
csz=$(sectors "$cache")
cmm=$(dmsetup table cache | cut -d' ' -f4-)
must dmsetup suspend cache
must dmsetup load cache --table "0 $csz error"
must dmsetup resume cache
dd if=/dev/mapper/c5 of=/dev/null bs=64k count=1 iflag=direct 2>/dev/null
$T status c5 | grep -q "^state: *degraded ([0-9]* cache device errors since the table was loaded)" || fail "degraded: $($T status c5 | grep state:)"
for _ in 1 2 3 4 5 6; do
	dd if=/dev/mapper/c5 of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null
	[ "$(st c5 cache_state)" = failed ] && break
done
$T status c5 | grep -q "^state: *failed (the cache device failed" || fail "failed: $($T status c5 | grep state:) $(st c5 cache_errors)"
$T list | grep -q "^c5 .* failed " || fail "list: failed"
$T status c5 --format prometheus | grep -q '^ssdcache_state{name="c5",state="failed"} 1$' || fail "prometheus: failed"
expect_err "c5: the cache device failed" $T set c5 --mode writeback
assert_eq "$(dev_md5 /dev/mapper/c5 0 1)" "$pb" "a failed cache reads the origin"
must $T remove c5
must dmsetup suspend cache
must dmsetup load cache --table "0 $csz linear $cmm"
must dmsetup resume cache
log "ok: state ok, degraded, detached, failed in status, list and prometheus"

# ---- resize: a grown origin, then a grown cache device, dirty data in
# writeback across each (flushed first: the target reformats a cache whose
# geometry changed only when it holds no dirty data, and refuses otherwise)
rorg=$(ram_disk rorg 8) || exit 1
rcac=$(ram_disk rcac 4) || exit 1
# grow LINEAR MB: reload the ram disk's dm-linear with a new length
grow() {
	_t=$(dmsetup table "$1")
	must dmsetup suspend "$1"
	must dmsetup load "$1" --table "0 $(($2 * 2048)) linear ${_t##* linear }"
	must dmsetup resume "$1"
}
must $T create r1 --origin "$rorg" --cache "$rcac" --mode writeback --block-size 64k >/dev/null 2>&1
track r1
tbl0=$(dmsetup table r1)
out=$($T resize r1) || fail "resize (nothing changed) failed"
assert_eq "$out" "r1: origin 8.0 MiB, cache device 4.0 MiB: the sizes the table has; nothing to do" "resize, nothing changed"
assert_eq "$(dmsetup table r1)" "$tbl0" "table after a resize with nothing to do"
must $T set r1 --high-watermark 100 --low-watermark 90 --sequential-cutoff 2M >/dev/null
must dd if=pa.bin of=/dev/mapper/r1 bs=64k oflag=direct 2>/dev/null
grow rorg 12
must dd if=pb.bin of="$rorg" bs=64k seek=128 oflag=direct 2>/dev/null
assert_eq "$(st r1 dirty)" 16 "the pattern is dirty before the resize"
# resize_check WHAT: the kernel logged a reformat and no refusal since $k0
resize_check() {
	dmesg | tail -n +$((k0 + 1)) >k.txt
	grep -q "formatted with another geometry .* no dirty data: reformatting" k.txt || { cat k.txt; fail "$1: no reformat line in the kernel log"; }
	grep -q "holds dirty data" k.txt && { cat k.txt; fail "$1: the kernel refused the table"; }
	assert_eq "$(st r1 mode dirty high_watermark low_watermark sequential_cutoff)" "writeback 0 100 90 2097152" "$1: mode and settings kept, nothing dirty"
	assert_eq "$(dev_md5 /dev/mapper/r1 0 1)" "$pa" "$1: the pattern written before"
	assert_eq "$(dev_md5 /dev/mapper/r1 8 1)" "$pb" "$1: the new region holds what the origin holds"
	assert_eq "$(dev_md5 "$rorg" 0 1)" "$pa" "$1: the dirty pattern reached the origin"
}
k0=$(dmesg | wc -l)
out=$($T resize r1 --no-progress) || fail "resize after growing the origin failed"
log "$out"
echo "$out" | grep -q "^r1: resized: origin 8.0 MiB -> 12.0 MiB; the cache was reformatted and starts cold (dirty data written back first, nothing lost), mode writeback$" || fail "resize: '$out'"
assert_eq "$(sectors /dev/mapper/r1)" $((12 * 2048)) "ssdcache device size after growing the origin"
assert_eq "$(dmsetup table r1)" "$(echo "$tbl0" | sed "s/^0 [0-9]* /0 $((12 * 2048)) /")" "only the length changed in the table"
resize_check "grown origin"
# the cache device: more sets
sets0=$(st r1 sets)
must dd if=pa.bin of=/dev/mapper/r1 bs=64k oflag=direct 2>/dev/null
assert_eq "$(st r1 dirty)" 16 "dirty again before the cache device grows"
grow rcac 8
k0=$(dmesg | wc -l)
out=$($T resize r1 --no-progress) || fail "resize after growing the cache device failed"
log "$out"
echo "$out" | grep -q "^r1: resized: cache device 4.0 MiB -> 8.0 MiB ($sets0 -> [0-9]* sets); the cache was reformatted and starts cold" || fail "resize: '$out'"
[ "$(st r1 sets)" -gt "$sets0" ] || fail "sets after growing the cache device: $(st r1 sets), were $sets0"
resize_check "grown cache device"
# a shrunk origin is refused, the table is left alone
grow rorg 10
expect_err "r1: the origin shrank from 12.0 MiB to 10.0 MiB" $T resize r1
assert_eq "$(sectors /dev/mapper/r1)" $((12 * 2048)) "a refused resize keeps the size"
must $T remove r1
log "ok: resize follows a grown origin and cache device, data kept"

# ---- superblock: inspect, and the dirty-data guard of create
grep -v '^#' /vm/fixtures/sb-dirty-wb.hex | xxd -r -p >sb.bin
must dd if=sb.bin of="$cache" bs=4096 count=1 conv=sync,notrunc 2>/dev/null
$T inspect "$cache" >insp.txt || fail "inspect failed"
cat insp.txt
grep -q "^dirty: *3 blocks (384.0 KiB)" insp.txt || fail "inspect: dirty"
grep -q "^mode: *writeback" insp.txt || fail "inspect: mode"
grep -q "^geometry: *7 sets, 112 blocks" insp.txt || fail "inspect: geometry"
$T inspect "$cache" --json | grep -q '"dirty_blocks": 3}' || fail "inspect --json"
# same geometry: loaded as is (no reformat)
dry=$($T create c4 --origin "$origin" --cache "$cache" --mode writeback --dry-run 2>err.txt) || fail "dry run (load) failed: $(cat err.txt)"
assert_eq "$dry" "0 $osz ssdcache $origin $cache blocksize 256 assoc 4 writeback options 1 lfu" "load keeps the content"
grep -q "existing cache (5 blocks used, 3 dirty) is loaded" err.txt || fail "no load note: $(cat err.txt)"
# other geometry or --reformat: refused because of the dirty data
expect_err "$cache: holds 3 dirty blocks (384.0 KiB) not yet on the origin and block size 256 -> 128 sectors would discard them" \
	$T create c4 --origin "$origin" --cache "$cache" --block-size 64k
expect_err "$cache: holds 3 dirty blocks .* --reformat would discard them" \
	$T create c4 --origin "$origin" --cache "$cache" --reformat
dmsetup info c4 >/dev/null 2>&1 && fail "refused create made c4"
# --force: reformat
dry=$($T create c4 --origin "$origin" --cache "$cache" --block-size 64k --force --dry-run 2>/dev/null) || fail "forced dry run failed"
assert_eq "$dry" "0 $osz ssdcache $origin $cache blocksize 128 assoc 4 writethrough options 1 lfu reformat" "--force adds reformat"
must $T create c4 --origin "$origin" --cache "$cache" --block-size 64k --force >/dev/null
track c4
assert_eq "$(dmsetup table c4)" "0 $osz ssdcache $(majmin "$origin") $(majmin "$cache") blocksize 128 assoc 4 writethrough options 1 lfu" "reformat is not in the table"
must $T remove c4

# ---- assemble
cat >conf <<EOF
# test config
a1 $origin $cache --mode readcache --policy lru   # the cache
EOF
must $T assemble --config conf
track a1
assert_eq "$(dmsetup table a1)" "0 $osz ssdcache $(majmin "$origin") $(majmin "$cache") blocksize 256 assoc 4 readcache options 1 lru" "assembled table"
out=$($T assemble --config conf) || fail "second assemble failed"
assert_eq "$out" "a1: already active" "assemble is idempotent"
printf 'a2 %s\n' "$other" >bad.conf
expect_err "bad.conf:1: expected NAME ORIGIN CACHE" $T assemble --config bad.conf
printf 'a2 %s /dev/nonexistent\n' "$other" >missing.conf
expect_err "a2: /dev/nonexistent: no such device (waited 1 s)" $T assemble --config missing.conf --wait 1
printf 'a2 %s %s --mode bogus\n' "$other" "$fsdev" >opt.conf
expect_err "opt.conf:1: invalid mode 'bogus'" $T assemble --config opt.conf
expect_err "nofile.conf: No such file" $T assemble --config nofile.conf
must $T remove a1

# ---- shutdown: each configured cache flushed, then removed; one in use is
# flushed and left active, or with --suspend-busy suspended (marked clean)
printf 's1 %s %s --mode writeback --block-size 64k\n' "$origin" "$cache" >sd.conf
must $T assemble --config sd.conf >/dev/null 2>&1
track s1
# the cleaner off: the pattern stays dirty until shutdown writes it back
must $T set s1 --high-watermark 100 --low-watermark 90 >/dev/null
must dd if=/dev/urandom of=pc.bin bs=64k count=16 2>/dev/null
pc=$(md5sum <pc.bin | cut -d' ' -f1)
must dd if=pc.bin of=/dev/mapper/s1 bs=64k oflag=direct 2>/dev/null
assert_eq "$(st s1 dirty)" 16 "pattern dirty before shutdown"
exec 7</dev/mapper/s1
out=$($T shutdown --config sd.conf) || fail "shutdown of a cache in use failed"
log "$out"
echo "$out" | grep -qx "s1: in use (open count 1): flushed, left active" || fail "shutdown in use: '$out'"
assert_eq "$(st s1 dirty)" 0 "shutdown flushed the cache in use"
assert_eq "$(dev_md5 "$origin" 0 1)" "$pc" "origin holds the pattern after shutdown's flush"
out=$($T shutdown --all --suspend-busy) || fail "shutdown --all --suspend-busy failed"
echo "$out" | grep -qx "s1: in use: flushed and suspended (shut down cleanly)" || fail "shutdown --suspend-busy: '$out'"
dmsetup info s1 | grep -q SUSPENDED || fail "--suspend-busy did not suspend s1"
$T inspect "$cache" --json | grep -q '"clean": true' || fail "the suspended cache is not marked clean"
must dmsetup resume s1
exec 7<&-
out=$($T shutdown --config sd.conf) || fail "shutdown failed"
echo "$out" | grep -qx "s1: removed" || fail "shutdown: '$out'"
dmsetup info s1 >/dev/null 2>&1 && fail "shutdown left s1"
out=$($T shutdown --config sd.conf) || fail "shutdown with nothing active failed"
assert_eq "$out" "" "shutdown skips caches that are not active"
expect_err "unexpected argument" $T shutdown --bogus
log "ok: shutdown"
log "tool-cli: $nerr error paths checked"
