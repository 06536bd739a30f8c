#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sync-tree.sh SRC DST PATH...
# Mirror the files PATH... (relative to SRC; files or directories) into DST.
# A file is copied only when its content differs, so that its mtime moves
# forward and Kbuild rebuilds exactly what changed (rsync -a would carry the
# source mtime along, which can go backwards on a git checkout). Files under
# DST/PATH that no longer exist in SRC are removed; build products (*.o,
# .*.cmd, ...) are left alone.
set -euo pipefail
src=$1 dst=$2
shift 2
mkdir -p "$dst"
for p in "$@"; do
	if [ -d "$src/$p" ]; then
		(cd "$src" && find "$p" -type f ! -name '*.o' ! -name '.*.cmd' ! -name '*.ko' ! -name '*.mod*') |
		while read -r f; do
			if ! cmp -s "$src/$f" "$dst/$f"; then
				mkdir -p "$dst/$(dirname "$f")"
				cp "$src/$f" "$dst/$f"
			fi
		done
		# Remove sources that went away (and their objects).
		if [ -d "$dst/$p" ]; then
			(cd "$dst" && find "$p" -type f \( -name '*.c' -o -name '*.h' -o -name '*.S' -o -name Kbuild -o -name Makefile \)) |
			while read -r f; do
				if [ ! -e "$src/$f" ]; then
					rm -f "$dst/$f" "$dst/${f%.*}.o"
				fi
			done
		fi
	elif [ -e "$src/$p" ]; then
		if ! cmp -s "$src/$p" "$dst/$p"; then
			mkdir -p "$dst/$(dirname "$p")"
			cp "$src/$p" "$dst/$p"
		fi
	else
		rm -rf "${dst:?}/$p"
	fi
done
