#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Query the kernels fetched by scripts/fetch-kernels.sh (fetching them first
# if cache/kernels/list does not exist yet), and the debug kernels built by
# scripts/build-debug-kernel.sh (cache/kernels/list.debug).
#
#   scripts/kernels.sh                 "<line> <version>" for every kernel
#   scripts/kernels.sh lines           the lines: "6.1 6.12" (+ debug ones built)
#   scripts/kernels.sh LINE [FIELD]    FIELD of one kernel; LINE is 6.1, 6.12,
#                                      6.1-debug or a full version. A -debug
#                                      line is built first if its current
#                                      config is not cached (~10 min).
#                                      FIELD is one of
#     version (default)  e.g. 6.1.0-56-amd64
#     root               the unpacked packages
#     kdir               the kernel build dir (for make -C)
#     vmlinuz            the kernel image
#     modules            /lib/modules/<version> inside root
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${SSDCACHE_CACHE:-$REPO/cache}
KCACHE=$CACHE/kernels
LIST=$KCACHE/list
DLIST=$KCACHE/list.debug

if [ ! -f "$LIST" ]; then
	"$REPO/scripts/fetch-kernels.sh" >/dev/null
fi
lists() {
	cat "$LIST"
	[ ! -f "$DLIST" ] || cat "$DLIST"
}

if [ $# = 0 ]; then
	lists
	exit 0
fi
if [ "$1" = lines ]; then
	lists | awk '{printf "%s%s", sep, $1; sep=" "} END {print ""}'
	exit 0
fi

case $1 in
*-debug)
	# the version the current config fragment gives (built if missing)
	ver=$("$REPO/scripts/build-debug-kernel.sh" "$1") || exit 1 ;;
*)
	ver=$(lists | awk -v k="$1" '$1 == k || $2 == k {print $2; exit}') ;;
esac
if [ -z "$ver" ]; then
	echo "kernels.sh: unknown kernel '$1' (known: $({ lists | awk '{print $1}'; echo 6.1-debug; } | awk '!seen[$0]++' | xargs))" >&2
	exit 1
fi
root=$KCACHE/$ver
case ${2:-version} in
version) echo "$ver" ;;
root) echo "$root" ;;
kdir) echo "$root/usr/src/linux-headers-$ver" ;;
vmlinuz) echo "$root/boot/vmlinuz-$ver" ;;
modules) echo "$root/lib/modules/$ver" ;;
*) echo "kernels.sh: unknown field '$2'" >&2; exit 1 ;;
esac
