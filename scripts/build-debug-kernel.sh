#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-debug-kernel.sh [--version] [--jobs N] [LINE]
# Build a small debug kernel (KASAN, lockdep, kmemleak, debug objects, fault
# injection, ...) from Debian's linux-source-LINE package (the tarball under
# /usr/src; LINE defaults to 6.1) and cache it under cache/kernels/ like the
# Debian kernels of fetch-kernels.sh:
#
#   cache/kernels/VERSION/boot/vmlinuz-VERSION        the image
#   cache/kernels/VERSION/lib/modules/VERSION/        modules tree (depmod'ed;
#                                                     "build" links to the tree)
#   cache/kernels/VERSION/usr/src/linux-headers-VERSION/
#                                 the built tree: make -C it M=DIR modules
#   cache/kernels/list.debug      "LINE-debug VERSION" (read by kernels.sh)
#
# VERSION (the kernel release, uname -r) is UPSTREAM-sscdbg-HASH, HASH being
# a hash of the source package's version, scripts/debug-kernel.config (the
# config fragment over x86_64_defconfig) and this script's config steps: a
# second run with the same inputs is instant; an interrupted build resumes.
# Prints VERSION on stdout (messages go to stderr).
#
#   --version   only print the VERSION the current inputs give (no build)
#   --jobs N    make -jN (default: the number of CPUs)
#
# Environment: SSDCACHE_CACHE (default <repo>/cache)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${SSDCACHE_CACHE:-$REPO/cache}
KCACHE=$CACHE/kernels
FRAGMENT=$REPO/scripts/debug-kernel.config
# Bump when the way the config is made changes (part of the cache key).
RECIPE=1
PATH=$PATH:/usr/sbin:/sbin

die() { echo "build-debug-kernel: error: $*" >&2; exit 1; }
note() { echo "build-debug-kernel: $*" >&2; }

LINE=6.1 ONLY_VERSION=0 JOBS=$(nproc)
while [ $# -gt 0 ]; do
	case $1 in
	--version) ONLY_VERSION=1 ;;
	--jobs) JOBS=$2; shift ;;
	-h|--help) sed -n '3,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) LINE=${1%-debug} ;;
	esac
	shift
done

PKG=linux-source-$LINE
TARBALL=/usr/src/$PKG.tar.xz
PKGVER=$(dpkg-query -W -f='${db:Status-Status} ${Version}' "$PKG" 2>/dev/null |
	sed -n 's/^installed //p')
[ -n "$PKGVER" ] && [ -f "$TARBALL" ] ||
	die "$PKG is not installed (as root: scripts/install-deps.sh --debug-kernel, or apt-get install $PKG)"
UPSTREAM=${PKGVER%%-*}
HASH=$({ echo "$PKG $PKGVER recipe $RECIPE"; cat "$FRAGMENT"; } | sha256sum | cut -c1-8)
VER=$UPSTREAM-sscdbg-$HASH
if [ "$ONLY_VERSION" = 1 ]; then
	echo "$VER"
	exit 0
fi

ROOT=$KCACHE/$VER
TREE=$ROOT/usr/src/linux-headers-$VER
LIST=$KCACHE/list.debug

mkdir -p "$KCACHE"
exec 9>"$KCACHE/.debug.lock"
flock 9

record() {
	# "LINE-debug VERSION", one line per line (the newest build wins).
	{ grep -v "^$LINE-debug " "$LIST" 2>/dev/null || true; echo "$LINE-debug $VER"; } >"$LIST.tmp"
	mv "$LIST.tmp" "$LIST"
}

if [ -f "$ROOT/.complete" ]; then
	record
	echo "$VER"
	exit 0
fi

for t in gcc make flex bison bc perl; do
	command -v $t >/dev/null || die "$t is missing (as root: scripts/install-deps.sh --debug-kernel)"
done
[ -f /usr/include/libelf.h ] || die "libelf-dev is missing (as root: scripts/install-deps.sh --debug-kernel)"
[ -f /usr/include/openssl/ssl.h ] || die "libssl-dev is missing (as root: scripts/install-deps.sh --debug-kernel)"

t0=$SECONDS
if [ ! -f "$TREE/Makefile" ]; then
	note "unpacking $TARBALL ($PKG $PKGVER)"
	rm -rf "$ROOT"
	mkdir -p "$ROOT/usr/src"
	tar -xf "$TARBALL" -C "$ROOT/usr/src"
	mv "$ROOT/usr/src/$PKG" "$TREE"
fi
cd "$TREE"
MAKE=(make -s LOCALVERSION= -j"$JOBS")

if [ ! -f .config.ssc ]; then
	note "configuring: x86_64_defconfig + $FRAGMENT"
	"${MAKE[@]}" x86_64_defconfig >&2
	{ cat "$FRAGMENT"; echo "CONFIG_LOCALVERSION=\"-sscdbg-$HASH\""; } >.fragment.ssc
	KCONFIG_CONFIG=.config scripts/kconfig/merge_config.sh -m -O . .config .fragment.ssc >/dev/null
	"${MAKE[@]}" olddefconfig >&2
	# Every option of the fragment must have the value asked for.
	bad=
	while IFS= read -r l; do
		case $l in
		CONFIG_*=*) opt=${l%%=*} want=${l#*=} ;;
		"# CONFIG_"*" is not set") opt=${l#\# }; opt=${opt%% *}; want=n ;;
		*) continue ;;
		esac
		got=$(sed -n "s/^$opt=//p" .config)
		[ -n "$got" ] || got=n
		[ "$got" = "$want" ] || bad="$bad $opt=$got(want $want)"
	done <.fragment.ssc
	[ -z "$bad" ] || die "the config does not have:$bad"
	"${MAKE[@]}" syncconfig >&2
	rel=$("${MAKE[@]}" kernelrelease)
	[ "$rel" = "$VER" ] || die "kernel release is '$rel', expected '$VER'"
	cp .config .config.ssc
fi

note "building $VER (make -j$JOBS bzImage modules; about 8-10 min on 2 cores)"
tb=$SECONDS
"${MAKE[@]}" bzImage modules >&2 || die "kernel build failed (in $TREE)"
build_s=$((SECONDS - tb))
note "built in ${build_s}s"

rm -rf "$ROOT/lib" "$ROOT/boot"
mkdir -p "$ROOT/boot"
"${MAKE[@]}" INSTALL_MOD_PATH="$ROOT" DEPMOD=/bin/true modules_install >&2
cp arch/x86/boot/bzImage "$ROOT/boot/vmlinuz-$VER"
cp System.map "$ROOT/boot/System.map-$VER"
cp .config "$ROOT/boot/config-$VER"
ln -sfn "$TREE" "$ROOT/lib/modules/$VER/build"
rm -f "$ROOT/lib/modules/$VER/source"
depmod -b "$ROOT" "$VER" || die "depmod failed"
# The tree stays a full build tree (make -C TREE M=DIR modules); drop the
# objects only the image and modules needed (vmlinux stays, for
# scripts/faddr2line and decode_stacktrace.sh).
find . -name '*.o' ! -path './scripts/*' ! -path './tools/*' -delete
find . -name '*.ko' ! -path './scripts/*' -delete
echo "$build_s" >"$ROOT/build-seconds"
touch "$ROOT/.complete"
record
note "kernel $VER ready in $((SECONDS - t0))s ($(du -sh "$ROOT" | cut -f1))"
echo "$VER"
