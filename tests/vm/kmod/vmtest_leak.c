// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest_leak: leaks one 128-byte object when loaded, so that make
 * check-debug can prove its kmemleak scan reports leaks (selftest-kmemleak).
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

static void *vmtest_leak_sink;

/* not __init: the backtrace kmemleak prints must still name it */
static noinline void vmtest_leak_one(void)
{
	WRITE_ONCE(vmtest_leak_sink, kmalloc(128, GFP_KERNEL));
	if (vmtest_leak_sink)
		memset(vmtest_leak_sink, 0x6b, 128);
	WRITE_ONCE(vmtest_leak_sink, NULL);	/* the only reference: gone */
}

static int __init vmtest_leak_init(void)
{
	vmtest_leak_one();
	return 0;
}

static void __exit vmtest_leak_exit(void)
{
}

module_init(vmtest_leak_init);
module_exit(vmtest_leak_exit);
MODULE_DESCRIPTION("dm-ssdcache VM harness self-test: leak one object");
MODULE_LICENSE("GPL");
