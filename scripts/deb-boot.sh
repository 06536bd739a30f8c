# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# deb-boot.sh: step 4 of scripts/deb-test.sh (sourced by it, with the
# chroot $ROOT in which both packages are installed, systemd and both
# kernels' images too): the root file system on an ssdcache device.
#
#  a. the chroot is made bootable from a cache: /etc/ssdcache.conf holds
#     "root ORIGIN CACHE --mode writeback" (the disks by their serial
#     numbers: /dev/disk/by-id/virtio-ssc-origin, virtio-ssc-cache), /etc/fstab
#     mounts / from /dev/mapper/root, and tests/vm/boot/'s unit reports
#     and powers off once the system is up
#  b. systemd-analyze verify is clean on ssdcache.service (a case)
#  c. for each kernel: Debian's mkinitramfs (in the chroot, with our hook)
#     makes the initramfs, which must hold the tool, the module, the
#     config and the scripts (a case); the chroot becomes an ext4 image,
#     the origin disk (the cached device has the origin's layout); the
#     cache disk is blank
#  d. two boots of qemu on them with root=/dev/mapper/root (a case each):
#     the first boot's initramfs formats the cache (writeback) and mounts
#     root through it; the second is a warm restart: the kernel loads the
#     cache "after a clean shutdown" and the cache serves read hits. After
#     each power-off the host reads the boot's marker file from the origin
#     disk (there only if the shutdown flushed the cache) and e2fsck -fn
#     finds the origin's file system clean.
# Every file (a) adds to the chroot is removed again before the purge check.

BOOT_TIMEOUT=${BOOT_TIMEOUT:-900}
BOOT_WORK=$WORK/boot
BOOT_ADDED=(/usr/local/sbin/ssdcache-boot-test /etc/systemd/system/ssdcache-boot-test.service
	/etc/systemd/system/multi-user.target.wants/ssdcache-boot-test.service)
# kernel log lines that fail a boot (the taint of an unsigned module is not one)
BOOT_BAD_RE='BUG:|WARNING:|Oops|general protection|blocked for more than|Call Trace|Kernel panic'

rm -rf --one-file-system "$BOOT_WORK"
mkdir -p "$BOOT_WORK"

# ---------------------------------------------------------------- a. the system
cp "$ROOT/etc/fstab" "$BOOT_WORK/fstab.orig"
cat >"$ROOT/etc/ssdcache.conf" <<'EOF'
# the boot test's (scripts/deb-boot.sh): the root file system's cache
root  /dev/disk/by-id/virtio-ssc-origin  /dev/disk/by-id/virtio-ssc-cache  --mode writeback
EOF
# (no fsck at boot: saves a minute under emulation; e2fsck runs on the host)
echo '/dev/mapper/root  /  ext4  defaults  0  0' >"$ROOT/etc/fstab"
install -D -m 0755 "$REPO/tests/vm/boot/ssdcache-boot-test" "$ROOT/usr/local/sbin/ssdcache-boot-test"
install -D -m 0644 "$REPO/tests/vm/boot/ssdcache-boot-test.service" \
	"$ROOT/etc/systemd/system/ssdcache-boot-test.service"
[ -d "$ROOT/etc/systemd/system/multi-user.target.wants" ] ||
	BOOT_ADDED+=(/etc/systemd/system/multi-user.target.wants)
mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants"
ln -sf ../ssdcache-boot-test.service "$ROOT/etc/systemd/system/multi-user.target.wants/"
# a persistent journal: the second boot reads what the first one's
# ssdcache.service said when it stopped
if [ ! -d "$ROOT/var/log/journal" ]; then
	mkdir "$ROOT/var/log/journal"
	BOOT_ADDED+=(/var/log/journal)
fi

# ---------------------------------------------------------------- b. verify
# (--man=no: the minbase chroot has no man-db, so verify cannot run "man";
# instead each page Documentation= names must be installed)
rc=0
in_root systemd-analyze verify --man=no /lib/systemd/system/ssdcache.service >"$BOOT_WORK/verify.log" 2>&1 || rc=$?
# (verify leaves a stamp there: not a file of the packages')
rm -f "$ROOT/run/systemd/systemd-units-load"
for m in $(sed -n 's/^Documentation=//p' "$ROOT/lib/systemd/system/ssdcache.service"); do
	case $m in
	man:*) p=${m#man:} sec=${p##*(} sec=${sec%)} p=${p%(*}
		ls "$ROOT/usr/share/man/man$sec/$p.$sec"* >/dev/null 2>&1 ||
			echo "Documentation=$m: no /usr/share/man/man$sec/$p.$sec*" >>"$BOOT_WORK/verify.log" ;;
	esac
done
if [ -s "$BOOT_WORK/verify.log" ]; then
	sed 's/^/  verify: /' "$BOOT_WORK/verify.log"
	rc=1
fi
case_result "systemd-analyze verify ssdcache.service" "$rc"

# ---------------------------------------------------------------- c, d. per kernel
# boot_check K N: the verdict of boot N on kernel K (0 or 1, reasons printed)
boot_check() {
	local k=$1 n=$2 d=$BOOT_WORK/$1 why=() r c marker hits
	r=$d/result-$n.log c=$d/console-$n.log
	touch "$d/result-$n.raw" "$d/console-$n.raw"
	tr -d '\r' <"$d/result-$n.raw" >"$r"
	tr -d '\r' <"$d/console-$n.raw" >"$c"
	sed 's/^/    | /' "$r"
	grep -qx "BOOT-TEST-DONE $n" "$r" || why+=("no report from the guest (timeout, panic or no root; console: $c)")
	grep -Eq '^root: /dev/mapper/root +ext4 +rw' "$r" || why+=("/ is not /dev/mapper/root mounted rw")
	grep -qx 'ssdcache.service: active' "$r" || why+=("ssdcache.service is not active")
	grep -q 'ssdcache: assembled /dev/mapper/root' "$c" || why+=("the initramfs did not assemble /dev/mapper/root")
	if [ "$n" = 2 ]; then
		grep -q 'loaded the cache after a clean shutdown' "$r" ||
			why+=("no warm restart: the kernel did not load the cache after a clean shutdown")
		# (the status line: "START LEN ssdcache KEY VALUE ...")
		hits=$(sed -n 's/^dmsetup status: //p' "$r" | tr ' ' '\n' | awk 'p == "read_hits" {print; exit} {p = $0}')
		[ "${hits:-0}" -gt 0 ] 2>/dev/null || why+=("no read hits after the warm restart")
		grep -q '^previous boot: root: in use (open count [0-9]*): flushed, left active' "$r" ||
			why+=("the first boot's ssdcache.service did not flush root when it stopped")
	fi
	if grep -v 'module verification failed' "$c" | grep -Eq "$BOOT_BAD_RE"; then
		grep -v 'module verification failed' "$c" | grep -E "$BOOT_BAD_RE" | head -n 5 | sed 's/^/    console: /'
		why+=("kernel warnings on the console")
	fi
	grep -q 'root: in use: flushed and suspended' "$c" ||
		why+=("the systemd-shutdown hook did not flush and suspend root")
	# the marker reached the origin: the shutdown wrote the cache back
	marker=$(sed -n 's/^marker: //p' "$r")
	if [ -z "$marker" ] ||
		[ "$(debugfs -R "cat /var/lib/ssdcache-boot-test/marker-$n" "$d/origin.img" 2>/dev/null)" != "$marker" ]; then
		why+=("the origin disk lacks the boot's marker (the cache was not flushed)")
	fi
	if ! e2fsck -fn "$d/origin.img" >"$d/e2fsck-$n.log" 2>&1; then
		why+=("e2fsck -fn: the origin's file system is not clean (log: $d/e2fsck-$n.log)")
	fi
	[ ${#why[@]} = 0 ] && return 0
	printf '    %s\n' "${why[@]}"
	return 1
}

# boot_run K N: boot N of the VM on kernel K's files in $BOOT_WORK/K
boot_run() {
	local k=$1 n=$2 d=$BOOT_WORK/$1 rc=0
	rm -f "$d/console-$n.raw" "$d/result-$n.raw"
	# (the disks' serial numbers name them in /etc/ssdcache.conf)
	timeout -k 10 "$BOOT_TIMEOUT" qemu-system-x86_64 \
		-accel tcg,thread=single -cpu max -smp 2 -m 1G -nographic -no-reboot \
		-monitor none -serial "file:$d/console-$n.raw" -serial "file:$d/result-$n.raw" \
		-kernel "$d/vmlinuz" -initrd "$d/initrd.img" \
		-append "console=ttyS0 root=/dev/mapper/root panic=-1 oops=panic no_timer_check" \
		-drive "file=$d/origin.img,if=none,id=origin,format=raw,cache=none,aio=threads" \
		-device virtio-blk-pci,drive=origin,serial=ssc-origin \
		-drive "file=$d/cache.img,if=none,id=cache,format=raw,cache=none,aio=threads" \
		-device virtio-blk-pci,drive=cache,serial=ssc-cache \
		</dev/null >"$d/qemu-$n.log" 2>&1 || rc=$?
	[ "$rc" = 0 ] || echo "    qemu exited with $rc$([ "$rc" = 124 ] && echo " (timeout after ${BOOT_TIMEOUT}s)")"
}

for k in ${DEB_TEST_KVERS:-6.1 6.12}; do
	v=$("$REPO/scripts/kernels.sh" "$k" version)
	d=$BOOT_WORK/$k
	mkdir -p "$d"
	tk=$SECONDS
	note "root on ssdcache, $k ($v): mkinitramfs with the hook"
	rc=0
	in_root mkinitramfs -o "/tmp/initrd.img-$v" "$v" >"$d/mkinitramfs.log" 2>&1 || rc=$?
	sed 's/^/  | /' "$d/mkinitramfs.log"
	missing=()
	if [ "$rc" = 0 ]; then
		in_root lsinitramfs "/tmp/initrd.img-$v" >"$d/initrd.list" 2>&1 || rc=$?
		mv "$ROOT/tmp/initrd.img-$v" "$d/initrd.img"
		cp "$ROOT/boot/vmlinuz-$v" "$d/vmlinuz"
		for f in usr/sbin/ssdcache sbin/dmsetup etc/ssdcache.conf scripts/local-top/ssdcache \
			scripts/local-block/ssdcache 'dm-ssdcache\.ko' 95-dm-notify.rules; do
			grep -q "$f" "$d/initrd.list" || missing+=("$f")
		done
		[ ${#missing[@]} = 0 ] || rc=1
	fi
	case_result "initramfs for $k (mkinitramfs, our hook)" "$rc" \
		"${missing[*]:+missing: ${missing[*]}; }log: $d/mkinitramfs.log"
	if [ "$rc" != 0 ]; then
		case_result "root on ssdcache, $k, boot 1" 1 "no initramfs"
		case_result "root on ssdcache, $k, boot 2 (warm restart)" 1 "no initramfs"
		continue
	fi
	# The root file system: the chroot, without /proc's mount (made once,
	# copied for each kernel).
	if [ ! -f "$BOOT_WORK/root.img" ]; then
		umount "$ROOT/proc"
		mb=$(du -sxm "$ROOT" | cut -f1)
		rc=0
		mke2fs -q -F -t ext4 -L sscroot -d "$ROOT" "$BOOT_WORK/root.img" "$((mb * 5 / 4 + 256))M" ||
			rc=$?
		mount -t proc proc "$ROOT/proc"
		[ "$rc" = 0 ] || die "mke2fs -d $ROOT failed"
	fi
	rm -f "$d/origin.img" "$d/cache.img"
	cp --sparse=always "$BOOT_WORK/root.img" "$d/origin.img"
	truncate -s 256M "$d/cache.img"
	note "  origin $(du -h "$d/origin.img" | cut -f1) (ext4 of the chroot), cache 256M (blank), initramfs $(du -h "$d/initrd.img" | cut -f1)"
	for n in 1 2; do
		name="root on ssdcache, $k, boot $n"
		[ "$n" = 1 ] || name="$name (warm restart)"
		tb=$SECONDS
		note "  boot $n"
		boot_run "$k" "$n"
		rc=0
		boot_check "$k" "$n" || rc=$?
		note "  boot $n: $((SECONDS - tb)) s"
		case_result "$name" "$rc" "console: $d/console-$n.log"
	done
	note "root on ssdcache, $k: $((SECONDS - tk)) s"
	# the images are large; the logs stay
	[ "$KEEP" = 1 ] || rm -f "$d/origin.img" "$d/cache.img"
done

[ "$KEEP" = 1 ] || rm -f "$BOOT_WORK/root.img"

# ---------------------------------------------------------------- undo (a)
for f in "${BOOT_ADDED[@]}"; do
	if [ -d "$ROOT$f" ]; then rmdir "$ROOT$f"; else rm -f "$ROOT$f"; fi
done
cp "$BOOT_WORK/fstab.orig" "$ROOT/etc/fstab"
