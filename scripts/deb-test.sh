#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deb-test.sh: the end-to-end test of the Debian packages (make check-deb;
# make check runs it too). Needs build/deb/*.deb (make deb) and build/bin
# (make tools, for the test VM's userland).
#
#  1. a Debian 12 (bookworm) minbase chroot made by debootstrap from the
#     host's apt mirror, with the linux-headers of the two test kernels
#     (cache/kernels/list) installed; cached as
#     cache/deb-chroot/bookworm-<6.1 version>-<6.12 version>-<sources hash>.tar.zst,
#     made on the first run (~4 min, ~200 MB download), unpacked into
#     build/deb-test/base (~40 s, once); each run works in an overlay on it.
#     With CI=true no tarball is written (a CI run starts from a fresh
#     clone, it would never be read): the new tree becomes the base directly
#  2. apt-get install ./*.deb in it: DKMS builds dm-ssdcache.ko for both
#     kernels; both .ko files must be there, with the kernel's vermagic
#  3. that module, not the one "make" built, boots in the test VM on each
#     kernel (VM_MODULE=..., scripts/vm-run.sh) and runs the smoke scenario
#  4. root on ssdcache (make check-boot runs steps 1, 2, 4, 5): the chroot
#     (with systemd and the 6.1 kernel's image added before the install,
#     their .debs cached as cache/deb-chroot/boot-pkgs-<hash>.tar) gets an
#     /etc/ssdcache.conf line "root ORIGIN CACHE --mode writeback" and an
#     fstab with / on /dev/mapper/root; systemd-analyze verify must be
#     clean on ssdcache.service; for each kernel Debian's mkinitramfs
#     makes the initramfs with our hook, the chroot becomes an ext4 image
#     (the origin disk: the origin's layout is the cached device's), and
#     the VM boots it twice from a blank cache disk: the first boot's
#     initramfs formats the cache and mounts root from /dev/mapper/root,
#     the second is a warm restart (the kernel loads the cache "after a
#     clean shutdown" and serves read hits). Each boot writes a marker on
#     root and powers off cleanly; the host then finds the marker on the
#     origin disk (the shutdown flushed the cache) and e2fsck finds the
#     file system clean. tests/vm/boot/ holds the guest's side.
#  5. apt-get purge of both packages: no file of dpkg -L is left, nor
#     /usr/src/dm-ssdcache-*, /var/lib/dkms/dm-ssdcache,
#     /lib/modules/*/updates/dkms/dm-ssdcache.ko*, and every path made since
#     the install is owned by a package (what dkms pulled in stays)
#
# Each numbered check is a case: "deb: NAME: PASS|FAIL" lines, and with
# RESULTS=FILE "P F" (passed, failed) is written to FILE for check.sh.
# Exit status 0 only if every case passed.
#
#   scripts/deb-test.sh [--keep] [--no-vm] [--no-smoke] [--no-boot]
#     --keep      leave the chroot in build/deb-test/root (still mounted: an
#                 overlay on build/deb-test/base; the next run unmounts it)
#     --no-vm     skip steps 3 and 4
#     --no-smoke  skip step 3
#     --no-boot   skip step 4
# Environment: BUILD, SSDCACHE_CACHE (default <repo>/cache),
# DEB_TEST_KVERS (default "6.1 6.12": the kernels that boot in steps 3
# and 4), BOOT_TIMEOUT (seconds per boot of step 4, default 900).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
CACHE=${SSDCACHE_CACHE:-$REPO/cache}
# Resolved paths (cache/ may be a symlink): the mount checks compare them
# with /proc/mounts.
mkdir -p "$CACHE/deb-chroot" "$BUILD/deb-test"
CCACHE=$(readlink -f "$CACHE/deb-chroot")
WORK=$(readlink -f "$BUILD/deb-test")
BASE=$WORK/base            # the cached chroot, unpacked (read-only: lower layer)
ROOT=$WORK/root            # this run's chroot: an overlay on BASE
UPPER=$WORK/upper
KEEP=0 VM=1 BOOT=1
PATH=$PATH:/usr/sbin:/sbin
for a in "$@"; do
	case $a in
	--keep) KEEP=1 ;;
	--no-vm) VM=0 BOOT=0 ;;
	--no-smoke) VM=0 ;;
	--no-boot) BOOT=0 ;;
	*) echo "usage: $0 [--keep] [--no-vm] [--no-smoke] [--no-boot]" >&2; exit 2 ;;
	esac
done

t0=$SECONDS
die() { echo "deb-test: error: $*" >&2; exit 1; }
note() { echo "deb-test: [$((SECONDS - t0))s] $*"; }
PASS=0 FAIL=0
case_result() {            # case_result NAME 0|1 [why]
	if [ "$2" = 0 ]; then
		PASS=$((PASS + 1)); echo "deb: $1: PASS"
	else
		FAIL=$((FAIL + 1)); echo "deb: $1: FAIL${3:+ ($3)}"
	fi
}
report() {
	[ -z "${RESULTS:-}" ] || echo "$PASS $FAIL" >"$RESULTS"
	note "done: $PASS passed, $FAIL failed"
}

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot)"
for t in debootstrap chroot zstd sha256sum; do
	command -v "$t" >/dev/null || die "$t is missing: run scripts/install-deps.sh"
done
if [ "$BOOT" = 1 ]; then
	for t in qemu-system-x86_64 mke2fs debugfs e2fsck timeout; do
		command -v "$t" >/dev/null || die "$t is missing: run scripts/install-deps.sh"
	done
fi
shopt -s nullglob
DEBS=("$BUILD"/deb/*.deb)
shopt -u nullglob
[ ${#DEBS[@]} = 2 ] || die "expected the 2 packages in $BUILD/deb (make deb), found ${#DEBS[@]}"

V61=$("$REPO/scripts/kernels.sh" 6.1 version)
V612=$("$REPO/scripts/kernels.sh" 6.12 version)
KVS="$V61 $V612"

# ---------------------------------------------------------------- mounts
# Only /proc is mounted in the chroot (debootstrap made its /dev nodes);
# everything that deletes the chroot checks first that nothing is mounted
# under it and stays on its file system.
mounted_under() { awk -v r="$1" '$2 == r || index($2, r "/") == 1 {print $2}' /proc/mounts; }
umount_all() {
	local r=$1 m
	for m in $(mounted_under "$r" | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" || true
	done
}
remove_root() {
	local r=$1
	[ -e "$r" ] || return 0
	umount_all "$r"
	[ -z "$(mounted_under "$r")" ] || die "still mounted under $r: $(mounted_under "$r" | xargs)"
	rm -rf --one-file-system "$r"
}
in_root() {                # in_root CMD...: run a command in the chroot
	chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
cleanup() {
	umount_all "$CCACHE/root.tmp" 2>/dev/null || true
	if [ "$KEEP" = 1 ]; then
		umount_all "$ROOT/proc"
		return
	fi
	remove_root "$ROOT"
	rm -rf --one-file-system "$UPPER" "$WORK/ovl-work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

# ---------------------------------------------------------------- apt sources
# The host's Debian entries (deb822 .sources stanzas and one-line .list
# entries, "deb" type, signed by Debian's archive keyring or by no key),
# as one-line entries for the chroot; the mirror of the "bookworm" suite is
# the one debootstrap uses.
host_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed 's/#.*//' "$f" | awk '$1 == "deb" {
			if ($0 ~ /signed-by=/ && $0 !~ /signed-by=\/usr\/share\/keyrings\/debian-archive-keyring.gpg/) next
			sub(/\[[^]]*\] */, ""); print }'
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'function flush() {
			if (types ~ /(^| )deb( |$)/ && enabled != "no" &&
			    (signed == "" || signed == "/usr/share/keyrings/debian-archive-keyring.gpg"))
				for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print "deb " u[i] " " s[j] " " comps
			types = ""; enabled = ""; signed = ""; comps = ""; nu = 0; ns = 0
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		{
			k = tolower($1); sub(/:$/, "", k); $1 = ""; sub(/^ +/, "")
			if (k == "types") types = $0
			else if (k == "enabled") enabled = tolower($0)
			else if (k == "signed-by") signed = $0
			else if (k == "components") comps = $0
			else if (k == "uris") nu = split($0, u, " ")
			else if (k == "suites") ns = split($0, s, " ")
		}
		END { flush() }' "$f"
	done
}
SOURCES=$(host_sources | awk '!seen[$0]++')
MIRROR=$(echo "$SOURCES" | awk '$3 == "bookworm" {print $2; exit}')
[ -n "$MIRROR" ] || die "no Debian 12 (bookworm) mirror in /etc/apt/sources.list*"
echo "$SOURCES" | grep -q ' bookworm-security ' ||
	note "warning: no bookworm-security entry on the host; the kernel headers may be missing"

# ---------------------------------------------------------------- 1. the chroot
# The recipe's revision: bump it when make_base changes.
RECIPE=2
KEY=$(printf '%s\n' "$RECIPE" "$SOURCES" | sha256sum | cut -c1-12)
TARBALL=$CCACHE/bookworm-$V61-$V612-$KEY.tar.zst

make_base() {
	local r=$CCACHE/root.tmp
	note "making the Debian 12 chroot (debootstrap from $MIRROR; once, then cached)"
	remove_root "$r"
	debootstrap --variant=minbase bookworm "$r" "$MIRROR" >"$CCACHE/debootstrap.log" 2>&1 || {
		tail -n 20 "$CCACHE/debootstrap.log" >&2
		die "debootstrap failed (log: $CCACHE/debootstrap.log)"
	}
	echo "$SOURCES" >"$r/etc/apt/sources.list"
	# nothing starts services in the chroot
	printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
	chmod 755 "$r/usr/sbin/policy-rc.d"
	# linux-headers-6.12.* depends on its linux-image: no initrd for it
	# (nothing boots this chroot; saves time and space)
	mkdir -p "$r/etc/initramfs-tools"
	echo update_initramfs=no >"$r/etc/initramfs-tools/update-initramfs.conf"
	mount -t proc proc "$r/proc"
	local ROOT=$r
	in_root apt-get update -q >"$CCACHE/apt.log" 2>&1 &&
	in_root apt-get dist-upgrade -y -q >>"$CCACHE/apt.log" 2>&1 &&
	# (--force-confold: keep that update-initramfs.conf)
	in_root apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold \
		"linux-headers-$V61" "linux-headers-$V612" >>"$CCACHE/apt.log" 2>&1 &&
	in_root apt-get clean &&
	# what dm-ssdcache-dkms will pull in (dkms, ...): downloaded now, so
	# the test installs it from the chroot's apt cache
	in_root apt-get install -y -q --no-install-recommends --download-only dkms libdevmapper1.02.1 >>"$CCACHE/apt.log" 2>&1 || {
		umount_all "$r"
		tail -n 20 "$CCACHE/apt.log" >&2
		die "installing the kernel headers in the chroot failed (log: $CCACHE/apt.log)"
	}
	umount_all "$r"
	[ -z "$(mounted_under "$r")" ] || die "still mounted under $r"
	rm -f "$CCACHE"/bookworm-*.tar.zst
	# CI runs in a fresh clone: a tarball there would never be read again
	if [ "${CI:-}" != true ]; then
		tar -C "$r" --numeric-owner --xattrs --exclude='./proc/*' -I 'zstd -T0 -3' -cf "$TARBALL.tmp" .
		mv "$TARBALL.tmp" "$TARBALL"
		note "cached $TARBALL ($(du -h "$TARBALL" | cut -f1))"
	fi
	# this run uses the new tree itself
	remove_root "$BASE"
	mv "$r" "$BASE"
	echo "$TARBALL" >"$BASE.stamp"
}

mkdir -p "$CCACHE" "$WORK"
remove_root "$ROOT"
rm -rf --one-file-system "$UPPER" "$WORK/ovl-work"
exec 9>"$CCACHE/.lock"
flock 9
if [ -d "$BASE" ] && [ "$(cat "$BASE.stamp" 2>/dev/null)" = "$TARBALL" ] &&
	{ [ "${CI:-}" = true ] || [ -f "$TARBALL" ]; }; then
	:                      # unpacked already
elif [ -f "$TARBALL" ]; then
	note "unpacking $TARBALL"
	remove_root "$BASE"
	rm -f "$BASE.stamp"
	mkdir -p "$BASE"
	tar -C "$BASE" --numeric-owner --xattrs -I zstd -xf "$TARBALL"
	echo "$TARBALL" >"$BASE.stamp"
else
	make_base
fi
flock -u 9
# A writable layer over BASE (resetting the chroot = dropping the layer);
# a full copy where overlayfs cannot be mounted.
mkdir -p "$ROOT" "$UPPER" "$WORK/ovl-work"
if ! mount -t overlay deb-test -o "lowerdir=$BASE,upperdir=$UPPER,workdir=$WORK/ovl-work" "$ROOT" 2>/dev/null; then
	note "overlayfs unavailable: copying $BASE"
	cp -a "$BASE/." "$ROOT/"
fi
mount -t proc proc "$ROOT/proc"
for v in $KVS; do
	# (the build link is absolute: follow it inside the chroot)
	in_root test -e "/lib/modules/$v/build/include" || die "the chroot lacks the headers of $v"
done
note "chroot ready: $ROOT (headers $V61, $V612)"

# ---------------------------------------------------------------- boot packages
# Step 4 boots the chroot: it also needs systemd as init and the 6.1
# kernel's image (6.12's is there: its headers depend on it). Installed
# before the snapshot, so the purge check does not count them. Their .debs
# are cached as cache/deb-chroot/boot-pkgs-<hash>.tar, the hash of the
# recipe, the chroot tarball's name (the same apt lists) and the package
# list; the next run installs them from there without the network.
# The recipe's revision: bump it when install_boot_pkgs changes.
BOOT_RECIPE=1
BOOT_PKGS="systemd systemd-sysv linux-image-$V61"
install_boot_pkgs() {
	local key tarball arch=$ROOT/var/cache/apt/archives new
	key=$(printf '%s\n' "$BOOT_RECIPE" "${TARBALL##*/}" "$BOOT_PKGS" | sha256sum | cut -c1-12)
	tarball=$CCACHE/boot-pkgs-$key.tar
	[ ! -f "$tarball" ] || tar -C "$arch" -xf "$tarball"
	(cd "$arch" && ls) | LC_ALL=C sort >"$WORK/archives.before"
	note "installing $BOOT_PKGS (for step 4; dpkg --force-unsafe-io: a throw-away tree)"
	# INITRD=No: linux-image's postinst.d hook would run mkinitramfs (~2 min),
	# update_initramfs=no does not stop it; step 4 makes its own
	# shellcheck disable=SC2086 # a list of package names
	in_root env INITRD=No apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold \
		-o Dpkg::Options::=--force-unsafe-io $BOOT_PKGS >"$WORK/boot-pkgs.log" 2>&1 || {
		tail -n 20 "$WORK/boot-pkgs.log" >&2
		die "installing $BOOT_PKGS failed (log: $WORK/boot-pkgs.log)"
	}
	[ ! -f "$tarball" ] && [ "${CI:-}" != true ] || return 0
	new=$( (cd "$arch" && ls) | LC_ALL=C sort | LC_ALL=C comm -13 "$WORK/archives.before" - | grep '\.deb$' || true)
	[ -n "$new" ] || return 0
	flock 9
	rm -f "$CCACHE"/boot-pkgs-*.tar
	# shellcheck disable=SC2086 # file names without blanks (Debian's)
	tar -C "$arch" -cf "$tarball.tmp" $new
	mv "$tarball.tmp" "$tarball"
	flock -u 9
	note "cached $tarball ($(du -h "$tarball" | cut -f1))"
}
[ "$BOOT" = 0 ] || install_boot_pkgs

# The chroot's files, without the package manager's own state and logs.
snapshot() {
	(cd "$ROOT" && find . -xdev \( -path ./proc -o -path ./tmp -o -path ./var/cache/apt \
		-o -path ./var/lib/apt -o -path ./var/lib/dpkg -o -path ./var/log \
		-o -path ./var/cache/debconf -o -path ./var/cache/ldconfig -o -path ./etc/ld.so.cache \) -prune \
		-o -print) | LC_ALL=C sort
}
snapshot >"$WORK/files.before"

# ---------------------------------------------------------------- 2. install
mkdir -p "$ROOT/tmp/debs"
cp "${DEBS[@]}" "$ROOT/tmp/debs/"
note "apt-get install ./*.deb (DKMS builds the module for $V61 and $V612)"
# --no-install-recommends: dkms recommends linux-headers-amd64, another kernel
rc=0
(cd "$ROOT/tmp/debs" && in_root sh -c 'cd /tmp/debs && apt-get install -y -q --no-install-recommends ./*.deb') \
	>"$WORK/install.log" 2>&1 || rc=$?
sed -n '/^Setting up dm-ssdcache-dkms/,/^Setting up\|^Processing/p' "$WORK/install.log" | sed 's/^/  | /'
case_result "apt-get install ./*.deb" "$rc" "log: $WORK/install.log"
in_root dkms status 2>&1 | sed 's/^/  dkms status: /' || true

declare -A KO
for v in $KVS; do
	ko=
	for f in "$ROOT/lib/modules/$v/updates/dkms/dm-ssdcache.ko" "$ROOT/lib/modules/$v/updates/dkms/dm-ssdcache.ko".{xz,zst,gz}; do
		[ -f "$f" ] && ko=$f && break
	done
	if [ -z "$ko" ]; then
		case_result "DKMS module for $v" 1 "no /lib/modules/$v/updates/dkms/dm-ssdcache.ko"
		continue
	fi
	out=$WORK/dm-ssdcache-$v.ko
	case $ko in
	*.xz) xz -dc "$ko" >"$out" ;;
	*.zst) zstd -qdc "$ko" >"$out" ;;
	*.gz) gzip -dc "$ko" >"$out" ;;
	*) cp "$ko" "$out" ;;
	esac
	magic=$(modinfo -F vermagic "$out" 2>/dev/null | awk '{print $1}')
	if [ "$magic" = "$v" ]; then
		KO[$v]=$out
		case_result "DKMS module for $v" 0
		note "  ${ko#"$ROOT"} (vermagic $magic)"
	else
		case_result "DKMS module for $v" 1 "vermagic '$magic'"
	fi
done

# ---------------------------------------------------------------- 3. boot it
if [ "$VM" = 1 ]; then
	for k in ${DEB_TEST_KVERS:-6.1 6.12}; do
		v=$("$REPO/scripts/kernels.sh" "$k" version)
		if [ -z "${KO[$v]:-}" ]; then
			case_result "smoke on $k with the DKMS module" 1 "no module"
			continue
		fi
		note "booting $k with the DKMS-built module: smoke"
		rc=0
		VM_MODULE=${KO[$v]} "$REPO/scripts/vm-run.sh" -k "$k" -o "$WORK/vm" smoke 2>&1 |
			sed 's/^/  /' || rc=$?
		# the image that booted holds that module (not build/module/'s)
		img=$BUILD/vm/$v/initramfs-alt.cpio
		if [ "$rc" = 0 ] && [ "$(cat "$img.ko-sum" 2>/dev/null)" != "$(sha256sum <"${KO[$v]}")" ]; then
			rc=1
			echo "  $img does not hold the DKMS module"
		fi
		case_result "smoke on $k with the DKMS module" "$rc"
	done
fi

# ---------------------------------------------------------------- 4. boot
[ "$BOOT" = 0 ] || . "$REPO/scripts/deb-boot.sh"

# ---------------------------------------------------------------- 5. purge
# What the packages own, before the purge.
in_root dpkg -L dm-ssdcache-dkms ssdcache >"$WORK/owned.txt" 2>/dev/null || true
note "apt-get purge dm-ssdcache-dkms ssdcache ($(wc -l <"$WORK/owned.txt") paths in dpkg -L)"
rc=0
in_root apt-get purge -y -q dm-ssdcache-dkms ssdcache >"$WORK/purge.log" 2>&1 || rc=$?
left=()
[ "$rc" = 0 ] || left+=("apt-get purge failed (exit $rc; log: $WORK/purge.log)")
if in_root dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' dm-ssdcache-dkms ssdcache 2>/dev/null | grep -q '^.[^n]'; then
	left+=("dpkg still knows the packages: $(in_root dpkg-query -W -f='${Package}:${db:Status-Abbrev} ' dm-ssdcache-dkms ssdcache 2>&1)")
fi
# Every path of dpkg -L is gone, but for directories that are still there
# for other packages (owned by one, or a merged-/usr alias such as /lib).
while read -r p; do
	[ -n "$p" ] && [ "$p" != /. ] || continue
	[ -e "$ROOT$p" ] || [ -L "$ROOT$p" ] || continue
	if [ -d "$ROOT$p" ] && { [ -L "$ROOT$p" ] || in_root dpkg-query -S "$p" >/dev/null 2>&1 </dev/null; }; then
		continue
	fi
	left+=("$p (dpkg -L)")
done <"$WORK/owned.txt"
for p in "$ROOT"/usr/src/dm-ssdcache-* "$ROOT"/var/lib/dkms/dm-ssdcache \
	"$ROOT"/lib/modules/*/updates/dkms/dm-ssdcache.ko* \
	"$ROOT"/etc/ssdcache.conf "$ROOT"/etc/systemd/system/*.wants/ssdcache.service; do
	if [ -e "$p" ] || [ -L "$p" ]; then left+=("${p#"$ROOT"}"); fi
done
# Nor anything the install made that no package owns (what maintainer
# scripts create: DKMS's build tree, the unit's enable link, ...), but for
# the module indexes depmod rewrites (modules.dep, ... of the headers-only
# /lib/modules/<version>/) and the alternatives links of what dkms pulled
# in (xz-utils, ...), which stay installed, and the links to them.
snapshot >"$WORK/files.after"
# every path owned by an installed package, with merged-/usr aliases
cat "$ROOT"/var/lib/dpkg/info/*.list | sed -E 's@^/(bin|sbin|lib|lib32|lib64|libx32)/@/usr/\1/@; s@^@.@' |
	LC_ALL=C sort -u >"$WORK/files.owned"
while read -r p; do
	case $p in
	./usr/lib/modules/*/modules.*|./lib/modules/*/modules.*|./etc/alternatives/*) continue ;;
	esac
	# an update-alternatives link (/usr/bin/lzma -> /etc/alternatives/lzma)
	if [ -L "$ROOT/$p" ]; then
		case $(readlink "$ROOT/$p") in /etc/alternatives/*) continue ;; esac
	fi
	left+=("${p#.} (made since the install, owned by no package)")
done < <(LC_ALL=C comm -13 "$WORK/files.before" "$WORK/files.after" | LC_ALL=C comm -23 - "$WORK/files.owned")
if [ ${#left[@]} = 0 ]; then
	case_result "purge leaves no file behind" 0
else
	printf '  left behind: %s\n' "${left[@]}" | head -n 50
	case_result "purge leaves no file behind" 1 "${#left[@]} paths"
fi

report
[ "$FAIL" = 0 ]
