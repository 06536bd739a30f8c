# SPDX-License-Identifier: GPL-2.0
#
# dm-ssdcache top-level Makefile. Everything built goes under build/,
# downloaded kernels under cache/ (both ignored by git).
#
#   make                      userspace tools, unit tests, module for both kernels
#   make module KDIR=<dir>    module for one kernel build dir (DKMS, distro headers)
#   make modules              module for every fetched Debian kernel (6.1, 6.12)
#   make unit                 build and run the cmocka unit tests (ASan + UBSan)
#   make check                everything: build, unit tests, VM scenarios on both
#                             kernels; ends with "N passed, N failed"
#   make check-debug          VM scenarios + fault injection on a KASAN/lockdep/
#                             kmemleak kernel built from linux-source-6.1
#                             (cached; first build ~10-25 min); "N passed, N failed"
#   make debug-kernel         only build (or find) that kernel
#   make vm-test KVER=6.1 SCENARIOS="smoke"   run some VM scenarios on one kernel
#   make vm-shell KVER=6.1    interactive shell in the test VM
#   make demo                 install deps, build, run the demo in a VM
#   make bench                benchmarks beside dm-cache, dm-writecache, bcache
#                             (one VM per kernel, BENCH_KVERS="6.1"; ~20 min
#                             each; BENCH_QUICK=1 for a short harness check);
#                             results in build/bench/<kver>/
#   make hitratio             the policies against reference policies on the traces
#   make hitcost              the engine's instructions per hit (callgrind):
#                             build/bench/hitcost.{csv,md}
#   make selftest             prove the VM harness fails on bad scenarios
#   make checkpatch | sparse  kernel coding style / static checks
#   make install [PREFIX=/usr/local DESTDIR=]  tool, man pages, docs, systemd unit
#   make dkms-install         module sources to /usr/src, dkms add + install
#   make deb                  Debian packages dm-ssdcache-dkms and ssdcache
#                             (dpkg-buildpackage, lintian) in build/deb/
#   make check-deb            make deb, then install them in a Debian 12
#                             chroot with the 6.1 and 6.12 headers (DKMS),
#                             smoke-test the DKMS-built module in the VM,
#                             boot the chroot with root on an ssdcache device
#                             (initramfs hook, twice: warm restart), purge,
#                             check nothing is left (part of make check)
#   make check-boot           make deb, then only the root-on-ssdcache boot
#                             test of check-deb (install, boot, purge)
#   make fuzz | fuzz-long     libFuzzer runs of the table parser and geometry
#   make explore              the interleaving explorer on the I/O engine
#   make reliability          fuzz + rel-* VM scenarios, one report table
#   make clean                remove build/ (keeps the kernel cache)

REPO    := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
BUILD   := $(REPO)/build
SHELL   := /bin/bash

CC      ?= gcc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wno-unused-parameter
KVERS   ?= 6.1 6.12
KVER    ?= 6.1
# Extra arguments for Kbuild, e.g. KBUILD_ARGS="W=1".
KBUILD_ARGS ?=

# The files that make up the kernel module (copied into the build dir).
MODULE_FILES := Kbuild kernel core include

CORE_SRCS  := $(sort $(wildcard core/*.c))
TOOL_SRCS  := $(sort $(wildcard tools/*.c))
# Shared by every tool (and #included by the unit tests that test them).
TOOLLIB_SRCS := $(sort $(wildcard tools/lib/*.c))
UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
HDRS       := $(shell find include -name '*.h' 2>/dev/null)

# Userspace tools: every tools/NAME.c is one program, linked with the core.
TOOLS_CFLAGS := $(CPPFLAGS) $(CFLAGS) $(WARN) -Iinclude -MMD -MP
TOOLS_LDLIBS ?=
TOOLS_LDLIBS += -ldevmapper
CORE_OBJS    := $(patsubst core/%.c,$(BUILD)/core/%.o,$(CORE_SRCS))
TOOLLIB_OBJS := $(patsubst tools/%.c,$(BUILD)/tools/%.o,$(TOOLLIB_SRCS))
TOOLS        := $(patsubst tools/%.c,$(BUILD)/bin/%,$(TOOL_SRCS))

# Unit tests: every tests/unit/test_*.c is linked with all of core/*.c.
SAN          := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_CFLAGS  := -O1 -g $(WARN) $(SAN) -Iinclude -Itests/unit -MMD -MP
UNIT_CORE    := $(patsubst core/%.c,$(BUILD)/unit/core/%.o,$(CORE_SRCS))
UNIT_BINS    := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))

.PHONY: all tools unit-build unit module modules kernels check vm-test vm-shell \
	demo selftest checkpatch sparse deps clean help install dkms-install bench \
	fuzz-build fuzz fuzz-long explore reliability check-debug check-debug-all debug-kernel hitratio \
	deb check-deb check-boot hitcost

all: tools unit-build modules

# Keep intermediate objects (incremental builds).
.SECONDARY:

help:
	@sed -n '3,37p' $(REPO)/Makefile | sed 's/^# \{0,1\}//'

# ---------------------------------------------------------------- userspace
tools: $(TOOLS)

$(BUILD)/core/%.o: core/%.c
	@mkdir -p $(dir $@)
	$(CC) $(TOOLS_CFLAGS) -c -o $@ $<

$(BUILD)/tools/%.o: tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(TOOLS_CFLAGS) -c -o $@ $<

$(BUILD)/bin/%: $(BUILD)/tools/%.o $(TOOLLIB_OBJS) $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(TOOLS_LDLIBS)

# ---------------------------------------------------------------- unit tests
unit-build: $(UNIT_BINS)

$(BUILD)/unit/core/%.o: core/%.c
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -c -o $@ $<

$(BUILD)/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -c -o $@ $<

$(BUILD)/unit/test_%: $(BUILD)/unit/test_%.o $(UNIT_CORE)
	$(CC) $(SAN) -o $@ $^ -lcmocka

unit: unit-build
	@$(REPO)/scripts/run-unit.sh $(UNIT_BINS)

-include $(CORE_OBJS:.o=.d) $(UNIT_CORE:.o=.d) $(UNIT_BINS:=.d) \
	$(patsubst tools/%.c,$(BUILD)/tools/%.d,$(TOOL_SRCS) $(TOOLLIB_SRCS))

# ---------------------------------------------------------------- fuzzers
# Every tests/fuzz/fuzz_NAME.c is a libFuzzer harness linked with all of
# core/*.c (clang, ASan + UBSan); its seed corpus is tests/fuzz/corpus/NAME/.
# The metadata decoder's harness (fuzz_metadata.c) drops in the same way.
FUZZ_CC     ?= clang
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g $(WARN) $(FUZZ_SAN) -Iinclude -MMD -MP
FUZZ_SRCS   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CORE   := $(patsubst core/%.c,$(BUILD)/fuzz/core/%.o,$(CORE_SRCS))
FUZZ_BINS   := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
# seconds per fuzzer: short run (make check, make fuzz) and make fuzz-long
FUZZ_SECONDS      ?= 12
FUZZ_LONG_SECONDS ?= 600

$(BUILD)/fuzz/core/%.o: core/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(BUILD)/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/fuzz_%.o $(FUZZ_CORE)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@$(REPO)/scripts/fuzz.sh -t $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-long: fuzz-build
	@$(REPO)/scripts/fuzz.sh -t $(FUZZ_LONG_SECONDS) --keep $(FUZZ_BINS)
	@$(REPO)/scripts/explore.sh --seconds $(EXPLORE_LONG_SECONDS)

# The interleaving explorer on the engine, and its mutants (scripts/explore.sh).
EXPLORE_SECONDS ?= 60
EXPLORE_LONG_SECONDS ?= 1800
explore:
	@$(REPO)/scripts/explore.sh --seconds $(EXPLORE_SECONDS)

-include $(FUZZ_CORE:.o=.d) $(FUZZ_BINS:=.d)

# Short fuzz run + the rel-* VM scenarios on KVER, and the report table.
reliability: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) $(REPO)/scripts/reliability.sh -k $(KVER)

# ---------------------------------------------------------------- kernel module
# make module KDIR=<kernel build dir>: the sources are mirrored into
# build/module/<kernel release>/ and built there with the standard Kbuild call,
# so the source tree stays clean and several kernels can be built side by side.
module:
	@test -n "$(KDIR)" || { echo "usage: make module KDIR=<kernel build dir>, e.g. KDIR=/lib/modules/\$$(uname -r)/build" >&2; exit 2; }
	@test -f "$(KDIR)/Makefile" || { echo "make module: $(KDIR) is not a kernel build dir (no Makefile)" >&2; exit 2; }
	@set -e; rel=$$($(REPO)/scripts/kernelrelease.sh "$(KDIR)"); \
	dir=$(BUILD)/module/$$rel; \
	$(REPO)/scripts/sync-tree.sh $(REPO) $$dir $(MODULE_FILES); \
	echo "  MODULE  $$rel -> $$dir/dm-ssdcache.ko"; \
	$(MAKE) -C "$(KDIR)" M=$$dir $(KBUILD_ARGS) modules

kernels:
	@$(REPO)/scripts/fetch-kernels.sh >/dev/null

# Module (plus the harness self-test module) for every fetched Debian kernel.
modules: kernels
	@set -e; for k in $(KVERS); do \
		kdir=$$($(REPO)/scripts/kernels.sh $$k kdir); \
		$(MAKE) --no-print-directory module KDIR=$$kdir; \
		rel=$$($(REPO)/scripts/kernelrelease.sh $$kdir); \
		$(REPO)/scripts/sync-tree.sh $(REPO)/tests/vm/kmod $(BUILD)/vmtest-kmod/$$rel Kbuild vmtest_warn.c vmtest_endio_sleep.c vmtest_leak.c; \
		$(MAKE) --no-print-directory -C $$kdir M=$(BUILD)/vmtest-kmod/$$rel modules >/dev/null; \
	done

# ---------------------------------------------------------------- tests
# SCENARIOS: VM scenarios to run (default: all but selftest-*); KVERS: kernels.
check:
	@$(REPO)/scripts/check.sh $(if $(SCENARIOS),--scenarios "$(SCENARIOS)") --kernels "$(KVERS)"

# The debug kernel (scripts/build-debug-kernel.sh) and the VM scenarios plus
# the fault-injection ones (debug-*) on it, one VM at a time.
check-debug:
	@$(REPO)/scripts/check-debug.sh $(if $(SCENARIOS),--scenarios "$(SCENARIOS)")

# Every scenario of make check and the debug-* ones (4 to 6 hours here).
check-debug-all:
	@$(REPO)/scripts/check-debug.sh --all

debug-kernel:
	@$(REPO)/scripts/build-debug-kernel.sh

vm-test: all
	@$(REPO)/scripts/vm-run.sh -k $(KVER) $(SCENARIOS)

vm-shell: tools modules
	@$(REPO)/scripts/vm-run.sh -k $(KVER) --shell

selftest:
	@$(REPO)/tests/vm/selftest --kernels "$(KVERS)"

demo:
	@$(REPO)/scripts/install-deps.sh
	@$(MAKE) --no-print-directory tools modules
	@$(REPO)/scripts/vm-run.sh -k $(KVER) --demo

deps:
	@$(REPO)/scripts/install-deps.sh

BENCH_KVERS ?= $(KVERS)
bench:
	@$(REPO)/scripts/install-deps.sh
	@$(REPO)/scripts/install-bench-deps.sh
	@$(MAKE) --no-print-directory tools modules KVERS="$(BENCH_KVERS)"
	@BUILD=$(BUILD) $(REPO)/scripts/fetch-writeboost.sh $(BENCH_KVERS)
	@$(REPO)/scripts/bench.sh --kernels "$(BENCH_KVERS)" $(if $(BENCH_QUICK),--quick)

# The hit-ratio table (ssc-sim on the traces in ../shared/traces, or
# HITRATIO_TRACES="file..."): build/hitratio/hitratio.{csv,md}.
hitratio: tools
	@$(REPO)/scripts/hitratio.sh $(HITRATIO_TRACES)

# The engine's cost per hit in instructions: ssc-hitcost under callgrind
# (scripts/hitcost.sh): build/bench/hitcost.{csv,md}. HITCOST_BASELINE=CSV
# puts an earlier hitcost.csv's figures beside the new ones.
hitcost: $(BUILD)/bin/ssc-hitcost
	@BUILD=$(BUILD) $(REPO)/scripts/hitcost.sh $(if $(HITCOST_BASELINE),--baseline $(HITCOST_BASELINE))

# ---------------------------------------------------------------- style
checkpatch:
	@$(REPO)/scripts/checkpatch.sh

# Sparse (C=2: check every file, also those that are up to date).
sparse: kernels
	@set -e; kdir=$${KDIR:-$$($(REPO)/scripts/kernels.sh $(KVER) kdir)}; \
	rel=$$($(REPO)/scripts/kernelrelease.sh "$$kdir"); \
	dir=$(BUILD)/sparse/$$rel; \
	$(REPO)/scripts/sync-tree.sh $(REPO) $$dir $(MODULE_FILES); \
	$(MAKE) -s -C "$$kdir" M=$$dir C=2 modules 2>&1 | sed "s|$$dir/||" | tee $$dir/sparse.log; \
	if grep -qE 'warning:|error:' $$dir/sparse.log; then exit 1; fi; echo "sparse ($$rel): no warnings"

# ---------------------------------------------------------------- install
PREFIX     ?= /usr/local
DESTDIR    ?=
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/dm-ssdcache
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
# systemd-shutdown and initramfs-tools only look there
SHUTDOWNDIR  ?= /usr/lib/systemd/system-shutdown
INITRAMFSDIR ?= /usr/share/initramfs-tools
DKMS_NAME    := dm-ssdcache
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(REPO)/dkms.conf)

install: $(BUILD)/bin/ssdcache
	install -D -m 0755 $(BUILD)/bin/ssdcache $(DESTDIR)$(SBINDIR)/ssdcache
	install -D -m 0644 man/ssdcache.8 $(DESTDIR)$(MANDIR)/man8/ssdcache.8
	install -D -m 0644 man/dm-ssdcache.4 $(DESTDIR)$(MANDIR)/man4/dm-ssdcache.4
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -D -m 0644 Documentation/ssdcache.rst $(DESTDIR)$(DOCDIR)/ssdcache.rst
	install -D -m 0644 Documentation/ssdcache-tool.rst $(DESTDIR)$(DOCDIR)/ssdcache-tool.rst
	install -D -m 0644 packaging/ssdcache.conf $(DESTDIR)$(DOCDIR)/ssdcache.conf.example
	@mkdir -p $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' packaging/ssdcache.service.in >$(DESTDIR)$(UNITDIR)/ssdcache.service
	@mkdir -p $(DESTDIR)$(SHUTDOWNDIR) $(DESTDIR)$(INITRAMFSDIR)/hooks
	sed 's|@SBINDIR@|$(SBINDIR)|g' packaging/ssdcache.shutdown.in >$(DESTDIR)$(SHUTDOWNDIR)/ssdcache.shutdown
	sed 's|@SBINDIR@|$(SBINDIR)|g' packaging/initramfs/hook.in >$(DESTDIR)$(INITRAMFSDIR)/hooks/ssdcache
	chmod 0755 $(DESTDIR)$(SHUTDOWNDIR)/ssdcache.shutdown $(DESTDIR)$(INITRAMFSDIR)/hooks/ssdcache
	install -D -m 0755 packaging/initramfs/local-top/ssdcache $(DESTDIR)$(INITRAMFSDIR)/scripts/local-top/ssdcache
	install -D -m 0755 packaging/initramfs/local-block/ssdcache $(DESTDIR)$(INITRAMFSDIR)/scripts/local-block/ssdcache
	@if [ ! -e $(DESTDIR)$(SYSCONFDIR)/ssdcache.conf ]; then \
		install -D -m 0644 packaging/ssdcache.conf $(DESTDIR)$(SYSCONFDIR)/ssdcache.conf; \
		echo "  INSTALL $(DESTDIR)$(SYSCONFDIR)/ssdcache.conf (all commented out)"; fi
	@echo "installed; boot-time assembly: systemctl enable ssdcache.service; root on a cache: update-initramfs -u"

# The module's sources into /usr/src/dm-ssdcache-VERSION, then DKMS builds
# and installs it for the running kernel (and later ones: AUTOINSTALL).
dkms-install:
	@test -n "$(DKMS_VERSION)" || { echo "dkms.conf has no PACKAGE_VERSION" >&2; exit 1; }
	@command -v dkms >/dev/null || { echo "dkms-install: dkms is not installed (apt-get install dkms)" >&2; exit 1; }
	rm -rf $(DESTDIR)/usr/src/$(DKMS_NAME)-$(DKMS_VERSION)
	$(REPO)/scripts/sync-tree.sh $(REPO) $(DESTDIR)/usr/src/$(DKMS_NAME)-$(DKMS_VERSION) $(MODULE_FILES) dkms.conf
	dkms remove -m $(DKMS_NAME) -v $(DKMS_VERSION) --all >/dev/null 2>&1 || true
	dkms add -m $(DKMS_NAME) -v $(DKMS_VERSION)
	dkms install -m $(DKMS_NAME) -v $(DKMS_VERSION)

# ---------------------------------------------------------------- Debian packages
# build/deb/dm-ssdcache-dkms_VERSION_all.deb and ssdcache_VERSION_amd64.deb
# (dpkg-buildpackage -us -uc -b on debian/, then lintian).
deb:
	@$(REPO)/scripts/mkdeb.sh

# make deb, then install both packages in a Debian 12 chroot with the 6.1
# and 6.12 headers (DKMS builds the module), boot the DKMS-built module in
# the VM (smoke), purge, check nothing is left (scripts/deb-test.sh).
check-deb: deb tools
	@$(REPO)/scripts/deb-test.sh

# make deb, then the root-on-ssdcache boot test alone (deb-test.sh's steps
# 1, 2, 4, 5: install, boot the chroot from a cache twice per kernel, purge).
check-boot: deb
	@$(REPO)/scripts/deb-test.sh --no-smoke

clean:
	rm -rf $(BUILD)
