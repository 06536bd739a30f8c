#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kernelrelease.sh KDIR: the release (uname -r) a kernel build dir builds for.
# Debian's headers carry the upstream version in include/config/kernel.release
# (6.1.192) but the real one (6.1.0-56-amd64) in utsrelease.h: prefer that.
set -euo pipefail
kdir=${1:?usage: kernelrelease.sh KDIR}
h=$kdir/include/generated/utsrelease.h
if [ -f "$h" ]; then
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$h"
elif [ -f "$kdir/include/config/kernel.release" ]; then
	cat "$kdir/include/config/kernel.release"
else
	make -s -C "$kdir" kernelrelease
fi
