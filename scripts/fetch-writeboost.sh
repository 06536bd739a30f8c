#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-writeboost.sh [KERNEL-LINE...]
# The out-of-tree peer dm-writeboost for "make bench": Debian's
# dm-writeboost-dkms sources, fetched with "apt-get download" + "dpkg -x"
# into cache/writeboost/ (nothing is installed system-wide, as
# scripts/fetch-kernels.sh does for the kernels), built against each
# kernel's extracted headers (cache/kernels/<version>/) into
#   build/writeboost/<version>/dm-writeboost.ko
# scripts/mkinitramfs.sh puts that file under extra/ when it exists and
# tests/vm/bench.sh benches it as the contender "wb" when the target loads.
#
# Done once: the unpacked sources are reused, and so is a module built (or
# a build that failed: build/writeboost/<version>/build.failed holds its
# log; 2.2.17 does not build for 6.12, which removed bd_inode and
# blk_limits_io_opt). A failure is a note, not an error: the bench then
# runs without "wb" on that kernel.
#
# Environment: SSDCACHE_CACHE (default <repo>/cache), BUILD (<repo>/build)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${SSDCACHE_CACHE:-$REPO/cache}
BUILD=${BUILD:-$REPO/build}
WCACHE=$CACHE/writeboost
PKG=dm-writeboost-dkms

note() { echo "fetch-writeboost: $*" >&2; }

# The sources: cache/writeboost/src/usr/src/dm-writeboost-<version>/.
fetch_src() {
	[ -f "$WCACHE/.complete" ] && return 0
	mkdir -p "$WCACHE"
	exec 9>"$WCACHE/.lock"
	flock 9
	[ -f "$WCACHE/.complete" ] && return 0
	rm -rf "$WCACHE/debs" "$WCACHE/src"
	mkdir -p "$WCACHE/debs"
	note "downloading $PKG"
	if ! (cd "$WCACHE/debs" && apt-get download -q -o APT::Sandbox::User=root "$PKG") >&2; then
		note "could not download $PKG (not in apt's metadata? try apt-get update): no dm-writeboost in the bench"
		return 1
	fi
	dpkg -x "$WCACHE"/debs/*.deb "$WCACHE/src" || return 1
	ls -d "$WCACHE"/src/usr/src/dm-writeboost-* >/dev/null 2>&1 || { note "$PKG has no /usr/src/dm-writeboost-*"; return 1; }
	touch "$WCACHE/.complete"
}

# build_one LINE: dm-writeboost.ko for one kernel.
build_one() {
	local ver kdir src out
	ver=$("$REPO/scripts/kernels.sh" "$1" version) || return 0
	kdir=$("$REPO/scripts/kernels.sh" "$1" kdir) || return 0
	out=$BUILD/writeboost/$ver
	[ -f "$out/dm-writeboost.ko" ] && return 0
	if [ -f "$out/build.failed" ]; then
		note "dm-writeboost does not build for $ver (see $out/build.failed): skipped there"
		return 0
	fi
	src=$(printf '%s\n' "$WCACHE"/src/usr/src/dm-writeboost-* | sort -V | tail -n1)
	rm -rf "$out"
	mkdir -p "$out"
	cp "$src"/*.c "$src"/*.h "$out/"
	# Kbuild only: the package's Makefile defaults KERNEL_TREE to the host's
	echo 'obj-m := dm-writeboost.o
dm-writeboost-objs := dm-writeboost-target.o dm-writeboost-metadata.o dm-writeboost-daemon.o' >"$out/Kbuild"
	echo "  WRITEBOOST $ver -> $out/dm-writeboost.ko ($(basename "$src"))" >&2
	if ! make -C "$kdir" M="$out" modules >"$out/build.log" 2>&1; then
		mv "$out/build.log" "$out/build.failed"
		note "dm-writeboost ($(basename "$src")) does not build for $ver: $(grep -m1 'error:' "$out/build.failed" | sed "s|$out/||")"
		note "skipped on $ver (full log: $out/build.failed)"
	fi
}

fetch_src || exit 0
# shellcheck disable=SC2046 # the lines are words
[ $# -gt 0 ] || set -- $("$REPO/scripts/kernels.sh" lines)
for k in "$@"; do
	case $k in *-debug) continue ;; esac
	build_one "$k"
done
