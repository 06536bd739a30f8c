#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch.sh [FILE...]: run the kernel's checkpatch.pl on the module's
# sources (default: kernel/, core/, include/, tests/vm/kmod/). checkpatch.pl,
# spelling.txt and const_structs.checkpatch are taken once from Debian's
# linux-source-6.1 package into cache/checkpatch/.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${SSDCACHE_CACHE:-$REPO/cache}
CP=$CACHE/checkpatch

die() { echo "checkpatch: error: $*" >&2; exit 1; }

if [ ! -f "$CP/checkpatch.pl" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	echo "checkpatch: fetching checkpatch.pl from Debian's linux-source-6.1 (~140 MB, once)"
	(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root linux-source-6.1 >/dev/null) ||
		die "could not download the Debian package 'linux-source-6.1' (try apt-get update)"
	mkdir -p "$CP.tmp"
	dpkg-deb --fsys-tarfile "$tmp"/linux-source-6.1_*.deb |
		tar -xO ./usr/src/linux-source-6.1.tar.xz |
		tar -xJ -C "$CP.tmp" --strip-components=2 \
			linux-source-6.1/scripts/checkpatch.pl \
			linux-source-6.1/scripts/spelling.txt \
			linux-source-6.1/scripts/const_structs.checkpatch ||
		die "extracting checkpatch.pl from linux-source-6.1 failed"
	rm -rf "$CP"
	mv "$CP.tmp" "$CP"
fi

cd "$REPO"
if [ $# = 0 ]; then
	mapfile -t files < <(find kernel core include tests/vm/kmod -name '*.[ch]' 2>/dev/null | sort)
else
	files=("$@")
fi
[ ${#files[@]} -gt 0 ] || { echo "checkpatch: no files"; exit 0; }
perl "$CP/checkpatch.pl" --no-tree --show-types --summary-file -f "${files[@]}"
