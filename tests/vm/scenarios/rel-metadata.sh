#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rel-metadata: cache device images crafted by ssc-mkimage (the core's own
# encoder, then damaged, checksums recomputed where the damage is not the
# checksum itself): every inconsistent one is refused with a clear reason
# in the kernel log, a torn metadata block falls back to its older copy, a
# truncated cache device holding dirty data is refused; after a crash a
# table of another geometry is refused by the target, and the tool reads
# the metadata to decide (reformat only without dirty entries); never an
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

# Another geometry after a crash: the target refuses (the superblock's
# count may lag: crashed-lagging counts 0 while 3 entries are dirty), and
# "ssdcache create" counts the metadata's dirty entries itself: it adds
# reformat only when there is none. With dirty data both refuse, and the
# cache still loads, dirty entries included, with its own table.
OTHER="0 $osz ssdcache $origin $cache blocksize 64 assoc 4"
for spec in "valid:dirty data" "crashed-lagging:not shut down cleanly" "crashed-clean:not shut down cleanly"; do
	kind=${spec%%:*}
	want=${spec#*:}
	put_image "$kind"
	if dmsetup create geo --table "$OTHER" 2>/dev/null; then
		dmsetup remove geo
		fail "$kind: a table of another geometry reformatted it"
	fi
	dmesg | tail -n 3 | grep -q "ssdcache: Cache was formatted with another .*$want" ||
		fail "$kind: refused without saying '$want'"
	if ssdcache create geo --origin "$origin" --cache "$cache" --block-size 32k >tool.out 2>&1; then
		[ "$kind" = crashed-clean ] || { dmsetup remove geo; fail "$kind: the tool discarded dirty data: $(cat tool.out)"; }
		assert_eq "$(ssc_stat geo used)" 0 "$kind: reformatted by the tool"
		dmsetup table geo | grep -q "blocksize 64" || fail "$kind: the tool's table: $(dmsetup table geo)"
		dmsetup remove geo
	else
		[ "$kind" != crashed-clean ] || fail "$kind: the tool refused a cache without dirty data: $(cat tool.out)"
		grep -q "holds 3 dirty blocks" tool.out || fail "$kind: the tool's refusal: $(cat tool.out)"
		sc=$(dm_create sc "$TABLE") || fail "$kind: refused with its own table"
		assert_eq "$(($(ssc_stat sc dirty) + $(ssc_stat sc cleaned)))" 3 "$kind: its dirty blocks"
		dm_remove sc
	fi
	log "ok: $kind under another geometry: the target says '$want', the tool $([ "$kind" = crashed-clean ] && echo reformats || echo refuses)"
done

# and reformat recovers every one of them
put_image md-both-slots
sc=$(dm_create sc "$TABLE reformat") || exit 1
assert_eq "$(ssc_stat sc used)" 0 "reformat of a damaged cache"
dm_remove sc
log "$n crafted images refused"
