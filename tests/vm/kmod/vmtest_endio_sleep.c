// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest_endio_sleep: a test helper for the debug-kernel scenarios
 * (tests/vm/scenarios/debug-remove-race.sh). Loading it writes one 4 KiB
 * bio to the block device "path" at "sector" from a worker; the bio's
 * completion handler signals the loader and then sleeps "sleep_ms" before
 * it returns, if (and only if) it runs in a context that may sleep.
 * Meanwhile insmod has returned and the device is no longer open, so the
 * caller can remove it: whatever the driver below does after calling
 * bio_endio() then runs after the removal (the window a preemption at that
 * point opens on a preemptible kernel, made wide and deterministic).
 *
 * The result is logged: "vmtest_endio_sleep: slept N ms" or "... did not
 * sleep (atomic completion context)". Unloading waits for the handler.
 */
#include <linux/module.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>

static char *path;
module_param(path, charp, 0444);
MODULE_PARM_DESC(path, "block device to write to");
static ulong sector;
module_param(sector, ulong, 0444);
MODULE_PARM_DESC(sector, "512-byte sector of the write (default 0)");
static uint sleep_ms = 3000;
module_param(sleep_ms, uint, 0444);
MODULE_PARM_DESC(sleep_ms, "how long the completion handler sleeps");

static DECLARE_COMPLETION(ended);	/* bio_endio() reached us */
static DECLARE_COMPLETION(finished);	/* the handler returned */
static struct work_struct submit_work;
static struct page *page;
static struct bio *wbio;
static int status;
#ifdef VMTEST_BDEV_FILE
static struct file *bdev_file;
#endif

static void vmtest_endio(struct bio *bio)
{
	bool can_sleep = preemptible() && !in_interrupt() && !rcu_preempt_depth();

	status = blk_status_to_errno(bio->bi_status);
	complete(&ended);
	if (can_sleep) {
		msleep(sleep_ms);
		pr_info("vmtest_endio_sleep: slept %u ms after bio_endio (status %d)\n",
			sleep_ms, status);
	} else {
		pr_info("vmtest_endio_sleep: did not sleep (atomic completion context, status %d)\n",
			status);
	}
	bio_put(bio);
	complete(&finished);
}

static void vmtest_submit(struct work_struct *ws)
{
	submit_bio(wbio);
}

static int __init vmtest_endio_sleep_init(void)
{
	struct block_device *bdev;

	if (!path)
		return -EINVAL;
#ifdef VMTEST_BDEV_FILE
	bdev_file = bdev_file_open_by_path(path, BLK_OPEN_READ | BLK_OPEN_WRITE,
					   NULL, NULL);
	if (IS_ERR(bdev_file))
		return PTR_ERR(bdev_file);
	bdev = file_bdev(bdev_file);
#else
	bdev = blkdev_get_by_path(path, FMODE_READ | FMODE_WRITE, NULL);
	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
#endif
	page = alloc_page(GFP_KERNEL);
	if (!page)
		goto nomem;
	memset(page_address(page), 0x5a, PAGE_SIZE);
	wbio = bio_alloc(bdev, 1, REQ_OP_WRITE, GFP_KERNEL);
	if (!wbio)
		goto nomem;
	wbio->bi_iter.bi_sector = sector;
	__bio_add_page(wbio, page, PAGE_SIZE, 0);
	wbio->bi_end_io = vmtest_endio;
	/* submitted from a worker: the handler may run (and sleep) there */
	INIT_WORK(&submit_work, vmtest_submit);
	queue_work(system_unbound_wq, &submit_work);
	wait_for_completion(&ended);
	/* the write is complete for the block layer: let the device go */
#ifdef VMTEST_BDEV_FILE
	fput(bdev_file);
#else
	blkdev_put(bdev, FMODE_READ | FMODE_WRITE);
#endif
	pr_info("vmtest_endio_sleep: write to %s sector %lu completed (status %d); handler sleeping\n",
		path, sector, status);
	return 0;
nomem:
	if (page)
		__free_page(page);
#ifdef VMTEST_BDEV_FILE
	fput(bdev_file);
#else
	blkdev_put(bdev, FMODE_READ | FMODE_WRITE);
#endif
	return -ENOMEM;
}

static void __exit vmtest_endio_sleep_exit(void)
{
	wait_for_completion(&finished);
	flush_work(&submit_work);
	__free_page(page);
}

module_init(vmtest_endio_sleep_init);
module_exit(vmtest_endio_sleep_exit);
MODULE_DESCRIPTION("dm-ssdcache VM tests: a bio whose completion handler sleeps");
MODULE_LICENSE("GPL");
