/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-ssdcache.h - state shared by the target (dm-ssdcache-target.c) and
 * its metadata code (dm-ssdcache-metadata.c).
 */
#ifndef DM_SSDCACHE_H
#define DM_SSDCACHE_H

#include <linux/bio.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/wait.h>
#include <linux/mempool.h>
#include <linux/device-mapper.h>
#include <linux/dm-io.h>
#include <linux/dm-kcopyd.h>

#include "ssdcache/ssc_core.h"
#include "ssdcache/ssc_engine.h"
#include "ssdcache/ssc_format.h"

/* Per-cpu statistics (enum ssc_stat), in the order the status prints them. */
struct ssc_stats {
	u64 v[SSC_NR_STATS];
};

/* Persistent metadata state. */
struct ssc_md {
	struct dm_io_client *io;
	struct ssc_sb sb;
	u64 md_blocks;
	u32 epm;			/* ways per metadata block */
	u8 *slot;			/* current slot of each metadata block */
	unsigned long *changed;		/* blocks changed since the last commit */
	unsigned long *committing;	/* blocks of the commit in progress */
	void *buf;			/* SSC_MD_BATCH * 2 blocks */
	struct mutex lock;		/* one commit at a time */
	bool loaded;
	u64 commits;
	u64 errors;
};

#define SSC_MD_BATCH	64

struct ssc_ctx {
	struct dm_target *ti;
	struct dm_dev *origin;
	struct dm_dev *cdev;
	bool claimed;
	struct ssc_config cfg;
	struct ssc_engine e;		/* cache state, block locks (core/) */
	struct ssc_stats __percpu *stats;

	struct workqueue_struct *wq;
	struct bio_set bs;
	struct dm_kcopyd_client *kc;
	mempool_t *wb_pool;

	spinlock_t defer_lock;
	struct bio_list deferred;
	struct work_struct defer_work;

	atomic_t nr_bg;			/* fills and write-behinds in flight */
	atomic_t nr_cwrites;		/* writes that may put data in the cache */
	wait_queue_head_t bg_wait;	/* nr_bg or nr_cwrites reached 0 */

	spinlock_t flush_lock;		/* protects commit_wait */

	atomic_t cache_errs;		/* since the table load or cache_ok */

	/* persistent metadata (dm-ssdcache-metadata.c) */
	struct ssc_md md;
	bool reload;			/* built while another table is live */
	bool resumed;
	bool stop_bg;			/* suspending: background work stops */
	struct bio_list commit_wait;	/* flushes waiting for a commit */
	struct work_struct commit_work;
	struct delayed_work tick_work;	/* periodic commit and cleaner kick */

	/* cleaner */
	struct work_struct clean_work;
	wait_queue_head_t clean_wait;
	atomic_t flush_all;		/* flush/detach: clean everything */
	bool cleaning;
	int clean_error;
	u64 clean_cursor;
	unsigned int high_wm;		/* percent of blocks dirty */
	unsigned int low_wm;
};


/* dm-ssdcache-metadata.c */
int ssc_md_init(struct ssc_ctx *sc, u64 md_blocks);
void ssc_md_exit(struct ssc_ctx *sc);
int ssc_md_read_sb(struct ssc_ctx *sc, struct ssc_sb *sb, const char **err);
int ssc_md_open(struct ssc_ctx *sc, const char **err);
bool ssc_claim_stale(struct ssc_ctx *sc);
void ssc_claim_set_stale(struct ssc_ctx *sc, bool stale);
int ssc_md_commit(struct ssc_ctx *sc, bool clean, bool flush);
int ssc_md_mark_live(struct ssc_ctx *sc);

static inline void ssc_md_changed(struct ssc_ctx *sc, u64 way)
{
	set_bit(way / sc->md.epm, sc->md.changed);
}

#endif /* DM_SSDCACHE_H */
