// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest_warn: used only by the VM harness self-test (selftest-warning).
 * Loading it triggers a genuine WARN_ON(), which the harness must catch.
 */
#include <linux/module.h>
#include <linux/bug.h>

static int __init vmtest_warn_init(void)
{
	WARN(1, "vmtest_warn: deliberate warning for the harness self-test\n");
	return 0;
}

static void __exit vmtest_warn_exit(void)
{
}

module_init(vmtest_warn_init);
module_exit(vmtest_warn_exit);
MODULE_DESCRIPTION("dm-ssdcache VM harness self-test: emit a WARNING");
MODULE_LICENSE("GPL");
