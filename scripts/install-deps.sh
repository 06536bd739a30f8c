#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian 12 packages needed to build dm-ssdcache, fetch the test
# kernels and run the QEMU test bed. Idempotent: installs only what is
# missing. Used by .ci/run and "make demo".
#
#   scripts/install-deps.sh [--update] [--print] [--debug-kernel]
#     --update   run apt-get update first, then apt-get install -y all of
#                them (CI does); without it only missing packages are
#                installed
#     --print    only print the package list
#     --debug-kernel  also what scripts/build-debug-kernel.sh needs to build
#                the debug kernel of make check-debug (linux-source-6.1,
#                ~140 MB, and the kernel's build tools)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)

# What we use directly.
PKGS=(
	make gcc libc6-dev          # userspace tools, unit tests
	libcmocka-dev               # unit tests
	clang libclang-rt-dev       # libFuzzer harnesses (tests/fuzz)
	libdevmapper-dev            # userspace tools
	kmod xz-utils zstd          # depmod/modprobe, compressed modules
	qemu-system-x86             # the test VM (TCG, no KVM needed)
	busybox-static dmsetup fio cpio   # the guest's userland
	blktrace                          # "ssdcache advise" records with it
	sparse perl                 # make sparse, make checkpatch
	dpkg-dev debhelper dh-dkms lintian   # make deb (debian/)
	debootstrap                 # make check-deb: the Debian 12 chroot
)
# The debug kernel (make check-debug, scripts/build-debug-kernel.sh).
DEBUG_PKGS=(
	linux-source-6.1            # the source tarball under /usr/src
	bc bison flex libelf-dev libssl-dev   # kernel build tools (no BTF: no pahole)
)

update=0 print=0
for a in "$@"; do
	case $a in
	--update) update=1 ;;
	--print) print=1 ;;
	--debug-kernel) PKGS+=("${DEBUG_PKGS[@]}") ;;
	*) echo "usage: $0 [--update] [--print] [--debug-kernel]" >&2; exit 2 ;;
	esac
done

export DEBIAN_FRONTEND=noninteractive
if [ "$update" = 1 ]; then
	apt-get update -q
fi

# Plus what Debian's kernel headers need to build modules (gcc-12, pahole,
# ...), resolved for the kernels we test against.
KDEPS_TXT=$("$REPO/scripts/fetch-kernels.sh" --build-deps) ||
	{ echo "install-deps: error: cannot resolve the kernel headers' build dependencies" >&2; exit 1; }
mapfile -t KDEPS <<<"$KDEPS_TXT"
mapfile -t ALL < <(printf '%s\n' "${PKGS[@]}" "${KDEPS[@]}" | sed 's/#.*//' | tr ' ' '\n' | grep . | sort -u)

if [ "$print" = 1 ]; then
	printf '%s\n' "${ALL[@]}"
	exit 0
fi

missing=()
if [ "$update" = 1 ]; then
	# CI: apt-get install -y of every package (idempotent; also brings
	# installed ones up to date with the metadata just fetched).
	echo "install-deps: apt-get install -y --no-install-recommends ${ALL[*]}"
	apt-get install -y -q --no-install-recommends "${ALL[@]}"
	exit 0
fi
for p in "${ALL[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} = 0 ]; then
	echo "install-deps: all ${#ALL[@]} packages installed"
	exit 0
fi
echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: error: not root; run: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
	exit 1
fi
if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
	[ "$update" = 1 ] && exit 1
	echo "install-deps: retrying after apt-get update" >&2
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
