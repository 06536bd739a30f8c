#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rel-metadata: cache device images crafted by ssc-mkimage (the core's own
# encoder, then damaged, checksums recomputed where the damage is not the
# checksum itself): every inconsistent one is refused with a clear reason
# in the kernel log, a torn metadata block falls back to its older copy, a
# truncated cache device holding dirty data is refused; a table of another
# geometry reformats a cache that holds no dirty data (the metadata itself
# decides after an unclean shutdown) and refuses one that does; never an
# oops.
# timeout: 240
. /vm/lib.sh

load_ssdcache
origin=$(ram_disk origin 64) || exit 1
cache=$(ram_disk cache 16) || exit 1
osz=$(sectors "$origin")
csz=$(sectors "$cache")
put_image() {
	ssc-mkimage "$1" "$csz" "$osz" 32 >img || fail "ssc-mkimage $1"
	dd if=img of="$cache" bs=4096 conv=notrunc oflag=direct 2>/dev/null || fail "writing the image"
}
TABLE="0 $osz ssdcache $origin $cache blocksize 32 assoc 4"

put_image valid
sc=$(dm_create sc "$TABLE") || exit 1
used=$(ssc_stat sc used)
[ "$used" -gt 0 ] || fail "valid image: nothing loaded"
# (writethrough: the cleaner may already be writing them back)
assert_eq "$(($(ssc_stat sc dirty) + $(ssc_stat sc cleaned)))" 3 "valid image: its dirty blocks"
dm_remove sc

# a torn block: the older copy (empty) is used, nothing else changes
put_image md-bitflip
sc=$(dm_create sc "$TABLE") || exit 1
[ "$(ssc_stat sc used)" -lt "$used" ] || fail "md-bitflip: the damaged block was trusted"
dm_remove sc

n=0
for spec in \
	"sb-bitflip:checksum mismatch" \
	"sb-huge-sets:inconsistent layout" \
	"sb-newer:newer version" \
	"md-both-slots:no valid copy" \
	"entry-beyond-origin:beyond the origin" \
	"entry-wrong-set:cannot map to" \
	"entry-dirty-invalid:dirty data that is not valid" \
	"entry-tail-bits:bits beyond the block" \
	"entry-twice:same block twice"; do
	kind=${spec%%:*}
	want=${spec#*:}
	put_image "$kind"
	if dmsetup create bad --table "$TABLE" 2>/dev/null; then
		dmsetup remove bad
		fail "$kind: crafted metadata accepted"
	fi
	dmesg | tail -n 3 | grep -q "ssdcache: .*$want" || fail "$kind: no '$want' in the kernel log"
	log "ok: $kind refused ($want)"
	n=$((n + 1))
done

# a truncated cache device (valid image, device now shorter)
put_image valid
dm_create short "0 $((csz / 2)) linear $cache 0" >/dev/null
dmsetup create bad --table "0 $osz ssdcache $origin /dev/mapper/short blocksize 32" 2>/dev/null &&
	fail "truncated cache device accepted"
dmesg | tail -n 3 | grep -q "ssdcache: Cache device size changed" || fail "truncation: no clear error"
n=$((n + 1))
dm_remove short

# another geometry: reformatted only when no entry is dirty
OTHER="0 $osz ssdcache $origin $cache blocksize 64 assoc 4"
for spec in "valid:refused" "crashed-lagging:refused" "crashed-clean:reformatted"; do
	kind=${spec%%:*}
	want=${spec#*:}
	put_image "$kind"
	if dmsetup create geo --table "$OTHER" 2>/dev/null; then
		used=$(ssc_stat geo used)
		dmsetup remove geo
		[ "$want" = reformatted ] || fail "$kind: dirty data discarded by a table of another geometry"
		dmesg | tail -n 4 | grep -q "ssdcache: .*holds no dirty data: reformatting" ||
			fail "$kind: reformatted without a log line"
		assert_eq "$used" 0 "$kind: reformatted cold"
	else
		dmsetup remove geo 2>/dev/null
		[ "$want" = refused ] || fail "$kind: a cache without dirty data refused another geometry"
		dmesg | tail -n 3 | grep -q "ssdcache: Cache was formatted with another blocksize and holds dirty data" ||
			fail "$kind: refused without saying it holds dirty data"
	fi
	log "ok: $kind under another geometry: $want"
	# and with its own geometry it loads, dirty entries included
	if [ "$want" = refused ]; then
		sc=$(dm_create sc "$TABLE") || fail "$kind: refused with its own table"
		assert_eq "$(($(ssc_stat sc dirty) + $(ssc_stat sc cleaned)))" 3 "$kind: its dirty blocks"
		dm_remove sc
	fi
done

# and reformat recovers every one of them
put_image md-both-slots
sc=$(dm_create sc "$TABLE reformat") || exit 1
assert_eq "$(ssc_stat sc used)" 0 "reformat of a damaged cache"
dm_remove sc
log "$n crafted images refused"
