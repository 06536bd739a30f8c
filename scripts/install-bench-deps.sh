#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian 12 packages "make bench" and "make hitcost" need on top
# of scripts/install-deps.sh: gnuplot (PNG plots), bcache-tools (make-bcache,
# copied into the guest's userland share) and valgrind (callgrind, for
# "make hitcost"). Idempotent: installs only what is missing; needs root
# for that.
#
#   scripts/install-bench-deps.sh [--print]
set -euo pipefail

PKGS=(gnuplot-nox bcache-tools valgrind)

if [ "${1:-}" = --print ]; then
	printf '%s\n' "${PKGS[@]}"
	exit 0
fi
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-bench-deps: missing ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "install-bench-deps: apt-get install -y --no-install-recommends ${missing[*]}"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
