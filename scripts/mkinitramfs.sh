#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh VERSION
# Build the test VM's initramfs for one fetched kernel:
#   build/vm/VERSION/initramfs.cpio
# and the kernel-independent userland share (fio and its ~80 MB of shared
# libraries, mounted over 9p in the guest):
#   build/vm/userland/
# Both are rebuilt only when one of their inputs changed.
#
# The initramfs holds busybox-static, kmod (as /sbin/modprobe etc.),
# dmsetup, the project's tools (build/bin/*), tests/vm/ as /vm, and the
# modules of tests/vm/modules.list with their dependencies, decompressed,
# plus dm-ssdcache.ko, the harness helper modules (tests/vm/kmod) and, when
# scripts/fetch-writeboost.sh built it, dm-writeboost.ko under extra/.
#
# Environment: VM_MODULE=PATH packs that dm-ssdcache.ko (e.g. one DKMS built,
# scripts/deb-test.sh) instead of build/module/VERSION/dm-ssdcache.ko, into
# build/vm/VERSION/initramfs-alt.cpio (vm-run.sh boots that one then), so
# the usual image stays as it is.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
VER=${1:?usage: mkinitramfs.sh KERNEL-VERSION}
KROOT=$("$REPO/scripts/kernels.sh" "$VER" root)
OUT=$BUILD/vm/$VER
IMG=$OUT/initramfs${VM_MODULE:+-alt}.cpio
USERLAND=$BUILD/vm/userland
PATH=$PATH:/usr/sbin:/sbin

die() { echo "mkinitramfs: error: $*" >&2; exit 1; }

# Host binaries for the guest besides busybox and kmod (with their libraries):
# blkdiscard from util-linux because busybox's has no -z (write zeroes).
# blktrace and blkparse for "ssdcache advise" (tool-advise).
GUEST_BINS=(/sbin/dmsetup /usr/sbin/blkdiscard /usr/sbin/blktrace /usr/bin/blkparse)

SSDCACHE_KO=${VM_MODULE:-$BUILD/module/$VER/dm-ssdcache.ko}
# The harness's helper modules (tests/vm/kmod: vmtest_warn, ...).
HELPER_KOS=("$BUILD"/vmtest-kmod/"$VER"/*.ko)
[ -f "${HELPER_KOS[0]}" ] || HELPER_KOS=()
# The out-of-tree peer for make bench (scripts/fetch-writeboost.sh), if built.
PEER_KOS=("$BUILD"/writeboost/"$VER"/dm-writeboost.ko)
[ -f "${PEER_KOS[0]}" ] || PEER_KOS=()
[ -f "$SSDCACHE_KO" ] || die "$SSDCACHE_KO is missing${VM_MODULE:+ (VM_MODULE)}: run 'make modules' first"

for t in /bin/busybox /bin/kmod /usr/bin/fio "${GUEST_BINS[@]}"; do
	[ -x "$t" ] || die "$t is missing: run scripts/install-deps.sh"
done
ldd /bin/busybox >/dev/null 2>&1 && die "/bin/busybox is not static: install busybox-static"

# Copy the shared libraries a binary needs ($1) to the same paths under $2.
copy_libs() {
	local lib
	for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$2$lib" ] && continue
		mkdir -p "$2$(dirname "$lib")"
		cp -L "$lib" "$2$lib"
	done
}

# add_bin SRC [DEST]: copy a host binary into the initramfs (at DEST, default
# the same path), with its shared libraries.
add_bin() {
	local dest=$root${2:-$1}
	mkdir -p "$(dirname "$dest")"
	rm -f "$dest"
	cp -L "$1" "$dest"
	copy_libs "$1" "$root"
}

# ---------------------------------------------------------------- userland share
build_userland() {
	# Shared by every kernel: serialize (make check may run kernels in parallel).
	exec 8>"$BUILD/vm/.userland.lock"
	flock 8
	[ -f "$USERLAND/.stamp" ] && [ "$USERLAND/.stamp" -nt /usr/bin/fio ] && return 0
	echo "  USERLAND $USERLAND"
	rm -rf "$USERLAND"
	mkdir -p "$USERLAND/bin" "$USERLAND/lib"
	cp -L /usr/bin/fio "$USERLAND/bin/fio"
	local lib
	for lib in $(ldd /usr/bin/fio | grep -o '/[^ ]*'); do
		cp -L "$lib" "$USERLAND/lib/"
	done
	# fio loads some engines as plugins.
	if [ -d /usr/lib/x86_64-linux-gnu/fio ]; then
		cp -rL /usr/lib/x86_64-linux-gnu/fio "$USERLAND/lib/fio"
	fi
	touch "$USERLAND/.stamp"
}

# ---------------------------------------------------------------- initramfs
inputs_changed() {
	[ -f "$IMG" ] || return 0
	# another dm-ssdcache.ko than the one packed (VM_MODULE may name any file)
	[ "$(cat "$IMG.ko-sum" 2>/dev/null)" = "$(sha256sum <"$SSDCACHE_KO")" ] || return 0
	local newer
	newer=$(find "$REPO/tests/vm" "$REPO/scripts/mkinitramfs.sh" "$SSDCACHE_KO" \
		"${HELPER_KOS[@]}" "${PEER_KOS[@]}" \
		$( [ -d "$BUILD/bin" ] && echo "$BUILD/bin") \
		/bin/busybox /bin/kmod "${GUEST_BINS[@]}" \
		-newer "$IMG" -print -quit 2>/dev/null)
	[ -n "$newer" ]
}

build_initramfs() {
	inputs_changed || return 0
	echo "  INITRAMFS $IMG"
	local root=$OUT/root
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run,root,mnt/userland}

	# busybox applets, except the module tools (kmod provides them). The
	# links are relative: nothing written through them can reach the host.
	cp /bin/busybox "$root/bin/busybox"
	local a up
	for a in $(/bin/busybox --list-full); do
		case ${a##*/} in
		busybox|modprobe|insmod|rmmod|lsmod|modinfo|depmod) continue ;;
		esac
		up=$(echo "$a" | sed 's|[^/]*/|../|g; s|[^/]*$||')
		[ -e "$root/$a" ] || ln -s "${up}bin/busybox" "$root/$a"
	done
	add_bin /bin/kmod /sbin/kmod
	for a in modprobe insmod rmmod lsmod modinfo depmod; do
		ln -sf kmod "$root/sbin/$a"
	done
	# Real binaries next to busybox's applets. Note that busybox sh runs its
	# own applet of the same name unless called by full path.
	for a in "${GUEST_BINS[@]}"; do
		add_bin "$a"
	done
	# make-bcache for "make bench" (scripts/install-bench-deps.sh), if present
	if [ -x /usr/sbin/make-bcache ]; then
		add_bin /usr/sbin/make-bcache
	fi
	# The project's tools.
	if [ -d "$BUILD/bin" ]; then
		mkdir -p "$root/usr/local/bin"
		local t
		for t in "$BUILD"/bin/*; do
			[ -x "$t" ] || continue
			add_bin "$t" "/usr/local/bin/$(basename "$t")"
		done
	fi
	# fio runs from the 9p share with its own libraries.
	cat >"$root/usr/bin/fio" <<'EOS'
#!/bin/sh
exec /mnt/userland/lib/ld-linux-x86-64.so.2 --library-path /mnt/userland/lib /mnt/userland/bin/fio "$@"
EOS
	chmod +x "$root/usr/bin/fio"
	echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
	echo "root:x:0:" >"$root/etc/group"

	# Kernel modules.
	local mods=$root/lib/modules/$VER m line path rel
	mkdir -p "$mods/extra"
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		cp "$KROOT/lib/modules/$VER/$f" "$mods/"
	done
	for m in $(sed 's/#.*//' "$REPO/tests/vm/modules.list"); do
		modprobe -d "$KROOT" -S "$VER" --show-depends "$m" >"$OUT/deps.txt" 2>&1 ||
			die "module $m not found for $VER: $(cat "$OUT/deps.txt")"
		while read -r line; do
			case $line in
			insmod\ *) ;;
			*) continue ;;
			esac
			path=${line#insmod }
			path=${path%% *}
			rel=${path#"$KROOT/lib/modules/$VER/"}
			[ -e "$mods/${rel%.*z*}" ] && continue
			mkdir -p "$mods/$(dirname "$rel")"
			case $rel in
			*.ko.xz) xz -dc "$path" >"$mods/${rel%.xz}" ;;
			*.ko.zst) zstd -qdc "$path" >"$mods/${rel%.zst}" ;;
			*.ko.gz) gzip -dc "$path" >"$mods/${rel%.gz}" ;;
			*) cp "$path" "$mods/$rel" ;;
			esac
		done <"$OUT/deps.txt"
	done
	cp "$SSDCACHE_KO" "$mods/extra/dm-ssdcache.ko"
	[ ${#HELPER_KOS[@]} = 0 ] || cp "${HELPER_KOS[@]}" "$mods/extra/"
	[ ${#PEER_KOS[@]} = 0 ] || cp "${PEER_KOS[@]}" "$mods/extra/"
	depmod -b "$root" "$VER"

	# The harness and the scenarios.
	cp -r "$REPO/tests/vm" "$root/vm"
	rm -rf "$root/vm/kmod"
	cp "$REPO/tests/vm/init" "$root/init"
	chmod +x "$root/init"

	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$IMG.tmp"
	mv "$IMG.tmp" "$IMG"
	# the checksum of the dm-ssdcache.ko inside (scripts/deb-test.sh checks it)
	sha256sum <"$SSDCACHE_KO" >"$IMG.ko-sum"
}

mkdir -p "$OUT" "$BUILD/vm"
exec 9>"$OUT/.lock"
flock 9
build_userland
build_initramfs
