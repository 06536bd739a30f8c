#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian's kernel image, modules and headers for the two supported
# kernel lines (6.1 and 6.12) into cache/kernels/<version>/ with
# "apt-get download" + "dpkg -x" (nothing is installed system-wide).
#
# The versions are resolved from apt's metadata at run time:
#   6.1 : what linux-image-amd64 depends on
#   6.12: the newest linux-image-6.12.*+deb12-amd64
# A version that is already unpacked is reused. The resolved versions are
# written to cache/kernels/list ("<line> <version>" per line), which
# scripts/kernels.sh reads.
#
# With --build-deps, download nothing and print the Debian packages that the
# kernels' headers need to build modules (gcc-12, pahole, ...), for
# scripts/install-deps.sh.
#
# Environment: SSDCACHE_CACHE (default <repo>/cache)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${SSDCACHE_CACHE:-$REPO/cache}
KCACHE=$CACHE/kernels
LIST=$KCACHE/list

die() { echo "fetch-kernels: error: $*" >&2; exit 1; }
note() { echo "fetch-kernels: $*" >&2; }

command -v apt-cache >/dev/null || die "apt-cache not found (this needs Debian 12)"
command -v dpkg >/dev/null || die "dpkg not found (this needs Debian 12)"
PATH=$PATH:/usr/sbin:/sbin
if [ "${1:-}" != --build-deps ]; then
	command -v depmod >/dev/null || die "depmod not found: install the Debian package 'kmod'"
fi

mkdir -p "$KCACHE"
exec 9>"$KCACHE/.lock"
flock 9

resolve_61() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\(6\.1\.[0-9]*-[0-9]*-amd64\)$/\1/p' |
		sort -V | tail -n1
}

resolve_612() {
	apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' 2>/dev/null |
		awk '{print $1}' | sed 's/^linux-image-//' | sort -V | tail -n1
}

updated=0
apt_update() {
	[ "$updated" = 1 ] && return 1
	if [ "$(id -u)" != 0 ]; then
		note "apt metadata is missing or stale and we are not root: run 'apt-get update' as root"
		return 1
	fi
	note "running apt-get update"
	apt-get update -q >&2 || die "apt-get update failed (network? see messages above)"
	updated=1
}

resolve() {
	V61=$(resolve_61)
	V612=$(resolve_612)
	if [ -z "$V61" ] || [ -z "$V612" ]; then
		apt_update || true
		V61=$(resolve_61)
		V612=$(resolve_612)
	fi
}

complete() { [ -f "$KCACHE/$1/.complete" ]; }

# Download the .deb files for version $1 and unpack them.
fetch_one() {
	local ver=$1 root=$KCACHE/$1 dl=$KCACHE/debs.$1 pkgs common kbuild out
	complete "$ver" && return 0

	common=$(apt-cache depends "linux-headers-$ver" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-headers-[^ ]*-common[^ ]*\)$/\1/p' | head -n1)
	kbuild=$(apt-cache depends "linux-headers-$ver" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-kbuild-[^ ]*\)$/\1/p' | head -n1)
	[ -n "$common" ] || die "cannot find the package linux-headers-<common> that linux-headers-$ver depends on (is linux-headers-$ver in apt's metadata? try apt-get update)"
	[ -n "$kbuild" ] || die "cannot find the package linux-kbuild-* that linux-headers-$ver depends on"
	pkgs="linux-image-$ver linux-headers-$ver $common $kbuild"

	rm -rf "$dl" "$root.tmp"
	mkdir -p "$dl" "$root.tmp"
	note "downloading $pkgs"
	local p
	for p in $pkgs; do
		if ! out=$(cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$p" 2>&1); then
			if apt_update; then
				out=$(cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$p" 2>&1) && continue
			fi
			echo "$out" >&2
			die "could not download Debian package '$p' (not in the archive any more, or no network)"
		fi
	done
	note "unpacking into $root"
	local deb
	for deb in "$dl"/*.deb; do
		dpkg -x "$deb" "$root.tmp" || die "dpkg -x $deb failed"
	done

	local hdr=$root.tmp/usr/src/linux-headers-$ver
	[ -f "$root.tmp/boot/vmlinuz-$ver" ] || die "linux-image-$ver has no /boot/vmlinuz-$ver"
	[ -d "$root.tmp/lib/modules/$ver/kernel" ] || die "linux-image-$ver has no modules"
	[ -f "$hdr/Makefile" ] || die "linux-headers-$ver has no Makefile"
	# The headers' Makefile includes the common headers by absolute path.
	sed -i "s|include /usr/src/|include $root/usr/src/|" "$hdr/Makefile"
	# Ditto the "build" link in the module tree.
	ln -sfn "$root/usr/src/linux-headers-$ver" "$root.tmp/lib/modules/$ver/build"
	# Debian generates modules.dep at install time: do it here.
	depmod -b "$root.tmp" "$ver" || die "depmod failed for $ver"
	rm -rf "$dl" "$root"
	mv "$root.tmp" "$root"
	touch "$root/.complete"
	note "kernel $ver ready"
}

# Non-kernel packages that linux-headers-$1 and its dependencies need.
build_deps() {
	local ver=$1 pkgs p
	pkgs="linux-headers-$ver $(apt-cache depends "linux-headers-$ver" 2>/dev/null |
		sed -n 's/^ *|\{0,1\}Depends: \(linux-\(headers\|kbuild\)-[^ <>]*\)$/\1/p')"
	for p in $pkgs; do
		apt-cache depends "$p" 2>/dev/null |
			sed -n 's/^ *Depends: \([^ <>]*\)$/\1/p' |
			grep -Ev '^linux-|^lib' || true
	done | sort -u
}

resolve
if [ "${1:-}" = --build-deps ]; then
	[ -n "$V61" ] && [ -n "$V612" ] || die "apt metadata lacks the kernel packages (run apt-get update)"
	build_deps "$V61"
	build_deps "$V612"
	exit 0
fi
if [ -z "$V61" ] || [ -z "$V612" ]; then
	missing=
	[ -n "$V61" ] || missing="linux-image-amd64 (for 6.1)"
	[ -n "$V612" ] || missing="$missing${missing:+, }linux-image-6.12.*+deb12-amd64"
	if [ -f "$LIST" ] && while read -r _ v; do complete "$v" || exit 1; done <"$LIST"; then
		note "warning: apt metadata lacks $missing; reusing cached kernels from $LIST"
		cat "$LIST"
		exit 0
	fi
	die "apt metadata lacks $missing (is this Debian 12 with the bookworm and bookworm-security archives, after 'apt-get update'?)"
fi

fetch_one "$V61"
fetch_one "$V612"
printf '6.1 %s\n6.12 %s\n' "$V61" "$V612" >"$LIST.tmp"
mv "$LIST.tmp" "$LIST"
cat "$LIST"
