#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Query the kernels fetched by scripts/fetch-kernels.sh (fetching them first
# if cache/kernels/list does not exist yet).
#
#   scripts/kernels.sh                 "<line> <version>" for every kernel
#   scripts/kernels.sh lines           the lines: "6.1 6.12"
#   scripts/kernels.sh LINE [FIELD]    FIELD of one kernel; LINE is 6.1, 6.12
#                                      or a full version. FIELD is one of
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

if [ ! -f "$LIST" ]; then
	"$REPO/scripts/fetch-kernels.sh" >/dev/null
fi

if [ $# = 0 ]; then
	cat "$LIST"
	exit 0
fi
if [ "$1" = lines ]; then
	awk '{printf "%s%s", sep, $1; sep=" "} END {print ""}' "$LIST"
	exit 0
fi

ver=$(awk -v k="$1" '$1 == k || $2 == k {print $2}' "$LIST")
if [ -z "$ver" ]; then
	echo "kernels.sh: unknown kernel '$1' (known: $(awk '{print $1}' "$LIST" | xargs))" >&2
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
