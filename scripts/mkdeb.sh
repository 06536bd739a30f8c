#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkdeb.sh: what "make deb" runs. Builds the two binary packages with
# dpkg-buildpackage -us -uc -b from debian/ in a copy of the tree
# (build/deb/dm-ssdcache-VERSION: dpkg-buildpackage writes its results
# into the parent directory and "debian/rules clean" must not touch the
# work tree's build/), then runs lintian on them (errors and warnings fail).
#   build/deb/dm-ssdcache-dkms_VERSION_all.deb
#   build/deb/ssdcache_VERSION_amd64.deb
# Environment: BUILD (default <repo>/build), LINTIAN=0 to skip lintian.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
OUT=$BUILD/deb
die() { echo "mkdeb: error: $*" >&2; exit 1; }

for t in dpkg-buildpackage dh dh_dkms lintian; do
	command -v "$t" >/dev/null || die "$t is missing: run scripts/install-deps.sh"
done
ver=$(dpkg-parsechangelog -l "$REPO/debian/changelog" -S Version)
src=$OUT/dm-ssdcache-$ver

rm -rf "$OUT"
mkdir -p "$src"
# The tree as it is (committed or not), without what git ignores.
if git -C "$REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done; exit 0' sh |
		tar --null -T - -cf -) | tar -xf - -C "$src"
else
	(cd "$REPO" && tar --exclude=./build --exclude=./cache -cf - .) | tar -xf - -C "$src"
fi

echo "  DEB     $OUT (dpkg-buildpackage -us -uc -b)"
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$OUT/build.log" 2>&1 || {
	tail -n 40 "$OUT/build.log" >&2
	die "dpkg-buildpackage failed (log: $OUT/build.log)"
}
rm -rf "$src"
ls "$OUT"/*.deb >/dev/null 2>&1 || die "no .deb in $OUT"
if [ "${LINTIAN:-1}" != 0 ]; then
	echo "  LINTIAN $OUT/*.changes"
	# Default level (errors and warnings); --fail-on makes warnings fatal too.
	lintian --fail-on error,warning "$OUT"/*.changes | tee "$OUT/lintian.log" ||
		die "lintian found errors or warnings (above; $OUT/lintian.log)"
fi
ls -1 "$OUT"/*.deb
