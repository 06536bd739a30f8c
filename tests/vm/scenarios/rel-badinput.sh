#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rel-badinput: hostile input through the kernel interfaces. 1200 random and
# mutated table lines (generated here with awk from a fixed seed: random
# token soup, valid lines with 1-3 mutations, valid lines) go through the
# constructor (all with tools/dm-tableload, every 24th again with "dmsetup
# create"); each is either refused (no device or table left behind) or
# accepted, its printed table is accepted again, it answers status, reads
# and is removed. Then messages with bad arguments through "dmsetup message": all
# refused, the device keeps working with the same data. The harness fails
# the scenario on any kernel warning.
# Prints "REL bad_inputs=N refused=N accepted=N" for make reliability.
# timeout: 300
. /vm/lib.sh

NLINES=${REL_LINES:-1200}
SEED=${REL_SEED:-5}
load_ssdcache
origin=$(ram_disk origin 64) || exit 1
cache=$(ram_disk cache 16) || exit 1
tiny=$(ram_disk tiny 1) || exit 1
osz=$(sectors "$origin")
omm=$(dmsetup info -c --noheadings -o major,minor origin | tr -d ' ')
cmm=$(dmsetup info -c --noheadings -o major,minor cache | tr -d ' ')
log "origin $origin ($omm, $osz sectors), cache $cache ($cmm)"

# ---------------------------------------------------------------- table lines
awk -v n="$NLINES" -v seed="$SEED" -v o="$origin" -v c="$cache" -v t="$tiny" \
	-v omm="$omm" -v cmm="$cmm" -v osz="$osz" '
function r(k) { return int(rand() * k) }
function pick(s,   a, m) { m = split(s, a, " "); return a[r(m) + 1] }
function garbage(   s, k, len, chars) {
	chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:/.%-+=,@#~^*!?"
	len = 1 + r(14)
	s = ""
	for (k = 0; k < len; k++)
		s = s substr(chars, 1 + r(length(chars)), 1)
	return s
}
function num() {
	return pick("0 1 2 3 4 5 7 8 9 15 16 17 31 32 63 64 65 100 127 128 255 256 257 512 1024 2048 4096 8192 16384 32768 65535 65536 65537 131072 1048576 2147483647 2147483648 4294967295 4294967296 9223372036854775807 18446744073709551615 18446744073709551616 99999999999999999999999 -1 -8 +8 0x10 010 1e3 8.0 8k")
}
function dev() {
	return pick(o " " o " " o " " c " " c " " t " " omm " " cmm " /dev/nonexistent /dev/null /dev/zero /proc/self 0:0 253:999 999:0 -")
}
function keyword() {
	return pick("blocksize assoc writethrough writeback readcache options lru lfu async_lookup queue_busy disable_writeback skip_write_insert evict_on_write cmd_preload BLOCKSIZE Assoc WRITEBACK Options LRU blocksiz writearound opts")
}
function token(   k) {
	k = r(10)
	if (k < 4) return keyword()
	if (k < 7) return num()
	if (k < 8) return dev()
	return garbage()
}
function valid(   s, m, k, nopt, opts, all) {
	s = o " " c
	if (r(2)) s = s " blocksize " pick("8 16 32 64 128 256 512 1024 2048")
	if (r(2)) s = s " assoc " (1 + r(64))
	if (r(2)) s = s " " pick("writethrough writeback readcache")
	if (r(2)) {
		all = "lru lfu async_lookup queue_busy disable_writeback skip_write_insert evict_on_write cmd_preload"
		nopt = r(5)
		opts = ""
		for (k = 0; k < nopt; k++) opts = opts " " pick(all)
		s = s " options " nopt opts
	}
	return s
}
function mutate(s,   a, m, k, i, j, x, out) {
	m = split(s, a, " ")
	k = r(9)
	if (k == 0 && m > 0) {			# delete a token
		i = 1 + r(m); for (j = i; j < m; j++) a[j] = a[j + 1]; m--
	} else if (k == 1 && m > 0) {		# duplicate a token
		i = 1 + r(m); for (j = m + 1; j > i; j--) a[j] = a[j - 1]; m++
	} else if (k == 2 && m > 1) {		# swap two tokens
		i = 1 + r(m); j = 1 + r(m); x = a[i]; a[i] = a[j]; a[j] = x
	} else if (k == 3 && m > 0) {		# a number for a token
		a[1 + r(m)] = num()
	} else if (k == 4 && m > 0) {		# garbage for a token
		a[1 + r(m)] = garbage()
	} else if (k == 5) {			# truncate
		m = r(m + 1)
	} else if (k == 6) {			# append junk
		a[++m] = token()
	} else if (k == 7 && m > 0) {		# a character inside a token
		i = 1 + r(m); j = 1 + r(length(a[i]) + 1)
		a[i] = substr(a[i], 1, j - 1) garbage() substr(a[i], j + 1)
	} else {				# a keyword anywhere
		a[1 + r(m + 1)] = keyword(); if (m == 0) m = 1
	}
	out = ""
	for (i = 1; i <= m; i++) out = out (i > 1 ? " " : "") a[i]
	return out
}
function length_arg(   k) {
	k = r(20)
	if (k == 0) return 1
	if (k == 1) return osz - 1
	if (k == 2) return osz + 1
	if (k == 3) return osz * 2
	if (k == 4) return 8
	return osz
}
BEGIN {
	srand(seed)
	for (i = 0; i < n; i++) {
		k = r(10)
		if (k < 3) {
			m = r(12); s = ""
			for (j = 0; j < m; j++) s = s (j ? " " : "") (j < 2 && r(2) ? dev() : token())
		} else if (k < 8) {
			s = valid(); m = 1 + r(3)
			for (j = 0; j < m; j++) s = mutate(s)
		} else {
			s = valid()
		}
		print length_arg() "\t" s
	}
}' >lines.txt
[ "$(wc -l <lines.txt)" -eq "$NLINES" ] || fail "generator wrote $(wc -l <lines.txt) lines"

# All lines go to the constructor through dm-tableload (tools/: raw DM
# ioctls in one process; each dmsetup process costs ~0.2 s under TCG),
# which loads each as the inactive table of an empty device, reloads the
# printed table of every accepted one and clears it again. Every 24th line
# also goes through a full "dmsetup create".
must dmsetup create bi0 --notable
# ~1000 refusals log 2 lines each: keep them off the (slow, synchronous)
# serial console; the ring buffer, which the harness checks, still has them
klevel=$(cut -f1 /proc/sys/kernel/printk)
dmesg -n 1
dm-tableload -v bi0 ssdcache <lines.txt >tl.out || { tail -n 20 tl.out; fail "dm-tableload failed"; }
tail -n 1 tl.out
read -r _ tried _ refused _ accepted <<EOT
$(tail -n 1 tl.out)
EOT
[ "$tried" = "$NLINES" ] || fail "dm-tableload tried $tried of $NLINES lines"
dmsetup table --inactive bi0 | grep -q . && fail "inactive table left behind"
dmsetup remove bi0 || fail "remove bi0"
log "dm-tableload: $tried lines, $refused refused, $accepted accepted"

created=0 crefused=0 caccepted=0 i=0
while IFS="$(printf '\t')" read -r len line; do
	i=$((i + 1))
	[ $((i % 24)) = 0 ] || continue
	created=$((created + 1))
	name=bi$i
	if ! dmsetup create "$name" --table "0 $len ssdcache $line" 2>/dev/null; then
		crefused=$((crefused + 1))
		continue
	fi
	caccepted=$((caccepted + 1))
	st=$(dmsetup status "$name") || fail "status of accepted '$line'"
	case $st in *" ssdcache blocks "*) ;; *) fail "odd status for '$line': $st" ;; esac
	[ -b "/dev/mapper/$name" ] || dmsetup mknodes "$name"
	dd if="/dev/mapper/$name" of=/dev/null bs=4k count=4 iflag=direct 2>/dev/null ||
		fail "read from accepted '$line' failed"
	dmsetup remove "$name" || fail "remove of accepted '$line'"
done <lines.txt
left=$(dmsetup ls | grep -c '^bi')
[ "$left" = 0 ] || { dmsetup ls; fail "$left devices left behind"; }
dmesg -n "$klevel"
log "dmsetup create: $created lines, $crefused refused, $caccepted accepted"
tried=$((tried + created)) refused=$((refused + crefused)) accepted=$((accepted + caccepted))
log "table lines: $tried tried, $refused refused, $accepted accepted"
[ "$refused" -gt $((tried / 2)) ] || fail "suspiciously few refusals ($refused of $tried)"
[ "$accepted" -gt 20 ] || fail "suspiciously few acceptances ($accepted of $tried)"
log "a sample of refused lines:"
grep '^refused' tl.out | awk 'NR % 97 == 1' | head -n 8
badlines=$tried

# ---------------------------------------------------------------- messages
sc=$(ssdcache_create sc "$origin" "$cache" blocksize 64 writeback reformat) || exit 1
dd if=/dev/urandom of="$sc" bs=64k count=64 oflag=direct 2>/dev/null || fail "write"
before=$(dev_md5 "$sc" 0 4)
long=$(awk 'BEGIN { for (i = 0; i < 600; i++) printf "x"; print "" }')
many=$(seq 1 200 | tr '\n' ' ')
mtried=0 mrefused=0
badmsg() {
	mtried=$((mtried + 1))
	# shellcheck disable=SC2068
	if dmsetup message sc 0 $@ 2>/dev/null; then
		fail "message accepted: $*"
	fi
	mrefused=$((mrefused + 1))
}
for m in bogus "reset_stats extra" "reset_stats 1 2 3" RESET_STATSX "reset_" \
	"$long" "$many" "-1" "0" "18446744073709551616" "% %s %n" "reset_stats reset_stats" \
	"cache_ok extra" "repair now" "cache_state" "flush 1" "invalidate -1" \
	"set_policy" "set_option blocksize 8" "ssdcache" "\\\\" "' '"; do
	badmsg "$m"
done
# random tokens as messages
i=0
while [ $i -lt 40 ]; do
	m=$(awk -v s=$((SEED + i)) 'BEGIN { srand(s); n = 1 + int(rand() * 5)
		for (k = 0; k < n; k++) printf "%s%d ", substr("abcxyz_-+", 1 + int(rand() * 9), 1 + int(rand() * 5)), int(rand() * 1e9) }')
	badmsg "$m"
	i=$((i + 1))
done
dmsetup message sc "$osz" reset_stats 2>/dev/null && fail "message to a sector past the target accepted"
mtried=$((mtried + 1)) mrefused=$((mrefused + 1))
must dmsetup message sc 0 reset_stats
must dmsetup message sc 0 RESET_STATS
dmsetup status sc
after=$(dev_md5 "$sc" 0 4)
assert_eq "$after" "$before" "data unchanged by the refused messages"
# write-back: dirty data reaches the origin on flush
must dmsetup message sc 0 flush
assert_eq "$(dev_md5 "$origin" 0 4)" "$before" "origin holds the data"
dm_remove sc
log "messages: $mtried tried, $mrefused refused"
echo "REL bad_inputs=$((badlines + mtried)) refused=$((refused + mrefused)) accepted=$accepted"
log "badinput done"
