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
#include "ssdcache/ssc_format.h"

/* Per-cpu statistics, in the order STATUSTYPE_INFO prints them. */
enum ssc_stat {
	ST_READ_HITS,		/* reads served from the cache */
	ST_READ_MISSES,		/* reads sent to the origin */
	ST_WRITE_HITS,		/* writes to blocks in the cache */
	ST_WRITE_MISSES,	/* writes to blocks not in the cache */
	ST_READ_CLEAN,		/* RFC: read hit on valid data */
	ST_READ_BUSY,		/* RFC: read waited for a busy block */
	ST_READ_INVALID,	/* RFC: block cached, range not valid */
	ST_READ_MISS,		/* RFC: block not cached */
	ST_WRITE_BUSY,		/* RFC: write waited for a busy block */
	ST_WRITE_CANCEL,	/* RFC: write cancelled a cached copy or fill */
	ST_WRITE_INVALID,	/* RFC: write invalidated cached data */
	ST_WRITE_MISS,		/* RFC: write to a block not cached */
	ST_WRITE_DONE,		/* RFC: write stored in the cache */
	ST_WRITE_SKIP,		/* RFC: write miss that allocated nothing */
	ST_BYPASSED,		/* I/O the cache could not take */
	ST_EVICTIONS,
	ST_CANCELLED_FILLS,	/* fills dropped (raced a write, no memory) */
	ST_CANCELLED_BIOS,	/* bios completed with an error */
	ST_FILLS,		/* fills written to the cache */
	ST_WRITEBACKS,		/* write-behind copies to the origin */
	ST_CACHE_ERRORS,	/* failed cache device I/O */
	ST_ORIGIN_ERRORS,	/* failed origin device I/O */
	ST_DISCARDS,		/* discards and write-zeroes */
	ST_FLUSHES,
	ST_CLEANED,		/* dirty blocks written back by the cleaner */
	ST_DEMAND_CLEANS,	/* blocks written back for a read */
	SSC_NR_STATS
};


struct ssc_stats {
	u64 v[SSC_NR_STATS];
};

struct ssc_stripe {
	spinlock_t lock;
	struct ssc_lockst st;
	struct bio_list waiting;
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
	atomic64_t disk_dirty;		/* ways the committed metadata calls dirty */
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
	struct ssc_cache c;
	spinlock_t *set_locks;
	struct ssc_stripe *stripes;
	u32 stripe_mask;
	atomic64_t clock;
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
	bool cache_failed;		/* clean I/O passes through to the origin */

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
	bool detached;			/* no new data enters the cache */
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
int ssc_md_commit(struct ssc_ctx *sc, bool clean, bool flush);
int ssc_md_mark_live(struct ssc_ctx *sc);

static inline void ssc_md_changed(struct ssc_ctx *sc, u64 way)
{
	set_bit(way / sc->md.epm, sc->md.changed);
}

#endif /* DM_SSDCACHE_H */
