// SPDX-License-Identifier: GPL-2.0
/*
 * dm-ssdcache: a device-mapper target that caches a slow origin device on a
 * fast cache device (writethrough, writeback or readcache).
 *
 * This file is the mechanism: bios, devices, locks, work queues. Placement,
 * lookup, replacement and per sub-block state live in the shared core
 * (core/, include/ssdcache/ssc_core.h), which has no kernel dependencies.
 *
 * Concurrency in one paragraph: every bio touches one cache block (the
 * target's max_io_len is the block size). Before it looks at the cache it
 * takes the lock of its origin block's stripe (struct ssc_stripe) in the mode
 * ssc_core.h describes: reads and fills SHARED, cache-updating writes EXCL,
 * writes that only cancel a clean cached copy BYPASS (one that finds dirty
 * data waits for EXCL instead), write-behind copies WB. A bio that cannot
 * get its lock waits on the stripe and is re-run from the deferred worker
 * when the lock is released. Set state (ways, bitmaps) is protected by one
 * spinlock per set. No lock is held across I/O; the only nesting is a
 * stripe's spinlock around set locks (installs, fill starts).
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/vmalloc.h>
#include <linux/mempool.h>
#include <linux/workqueue.h>
#include <linux/wait.h>
#include <linux/completion.h>
#include <linux/percpu.h>
#include <linux/log2.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/device-mapper.h>
#include <linux/dm-kcopyd.h>

#include "ssdcache/ssc_core.h"
#include "ssdcache/ssc_format.h"
#include "dm-ssdcache.h"

#define DM_MSG_PREFIX "ssdcache"

#define SSC_WB_POOL		64
#define SSC_FAIL_ERRORS		32	/* cache errors that fail the cache */

enum ssc_io_kind {
	IO_NONE = 0,		/* completed by us, nothing to do at end_io */
	IO_READ_HIT,
	IO_READ_MISS,
	IO_READ_RETRY,		/* cache read failed, re-sent to the origin */
	IO_ORIGIN,		/* remapped to the origin under a lock */
	IO_WRITE_BOTH,		/* origin half of a write to both devices */
	IO_FLUSH,
};

/* Per-bio data: the engine's request and what carrying it out needs. */
struct ssc_io {
	struct ssc_req r;
	struct ssc_ctx *sc;
	struct bio *bio;
	u8 kind;		/* enum ssc_io_kind: what end_io does */
	struct bio *clone;	/* async_lookup: the cache half, made at map */
	atomic_t pending;	/* halves of a write in flight */
	blk_status_t ostatus;
	blk_status_t cstatus;
	struct bvec_iter iter;
	struct work_struct work;
	struct ssc_wb *wb;	/* eager write-behind, allocated at map */
};

/* A write-behind: copy a dirty range from the cache to the origin. */
struct ssc_wb {
	struct ssc_ctx *sc;
	struct ssc_fill_ref ref;
	sector_t cache_sector;
	sector_t origin_sector;
	sector_t count;
	struct work_struct work;
};

/* A fill: data read from the origin, written to the cache. */
struct ssc_fill {
	struct ssc_ctx *sc;
	struct ssc_fill_ref ref;
	sector_t cache_sector;
	unsigned int bytes;
	unsigned int nr_pages;
	atomic_t pending;	/* bios in flight, +1 while sending */
	bool failed;		/* a cache write failed */
	bool dropped;		/* not all sent (no memory): by the sender */
	struct work_struct work;
	struct page *pages[];
};

static struct kmem_cache *ssc_wb_cache;

/*
 * Cache devices in use, so that two ssdcache devices never share one: only
 * the tables of one mapped device may (a reload: the live table, the new
 * one, and for a moment a replaced inactive one), each once. Two targets
 * of one table on one cache device would be two engines unaware of each
 * other writing the same blocks.
 */
#define SSC_CLAIM_TABLES 4

struct ssc_claim {
	struct list_head list;
	dev_t dev;
	struct mapped_device *md;
	struct dm_table *tables[SSC_CLAIM_TABLES];
	/*
	 * A table's final metadata commit failed: the metadata on the
	 * device is older than what the mapped device showed, and a reload
	 * must not load it. (Once no table is left, as after a remove, the
	 * device holds what a power loss would have left.)
	 */
	bool stale;
};

static LIST_HEAD(ssc_claims);
static DEFINE_MUTEX(ssc_claims_lock);

/*
 * 0: claimed, the first table to use @dev; 1: claimed by another table of
 * the same mapped device (a reload); -EBUSY: another mapped device uses
 * it; -EEXIST: another target of this table does.
 */
static int ssc_claim_cache(struct dm_target *ti, dev_t dev)
{
	struct mapped_device *md = dm_table_get_md(ti->table);
	struct ssc_claim *c;
	int r = 0, i, slot;

	mutex_lock(&ssc_claims_lock);
	list_for_each_entry(c, &ssc_claims, list) {
		if (c->dev != dev)
			continue;
		if (c->md != md) {
			r = -EBUSY;
			goto out;
		}
		slot = -1;
		for (i = 0; i < SSC_CLAIM_TABLES; i++) {
			if (c->tables[i] == ti->table) {
				r = -EEXIST;
				goto out;
			}
			if (!c->tables[i] && slot < 0)
				slot = i;
		}
		if (slot < 0) {
			r = -EBUSY;
			goto out;
		}
		c->tables[slot] = ti->table;
		r = 1;	/* a reload: the live table uses it */
		goto out;
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		r = -ENOMEM;
		goto out;
	}
	c->dev = dev;
	c->md = md;
	c->tables[0] = ti->table;
	list_add(&c->list, &ssc_claims);
out:
	mutex_unlock(&ssc_claims_lock);
	return r;
}

static void ssc_unclaim_cache(struct dm_target *ti, dev_t dev)
{
	struct ssc_claim *c;
	int i, used = 0;

	mutex_lock(&ssc_claims_lock);
	list_for_each_entry(c, &ssc_claims, list) {
		if (c->dev != dev)
			continue;
		for (i = 0; i < SSC_CLAIM_TABLES; i++) {
			if (c->tables[i] == ti->table)
				c->tables[i] = NULL;
			else if (c->tables[i])
				used++;
		}
		if (!used) {
			list_del(&c->list);
			kfree(c);
		}
		break;
	}
	mutex_unlock(&ssc_claims_lock);
}

static struct ssc_claim *ssc_claim_find(struct ssc_ctx *sc)
{
	struct ssc_claim *c;

	lockdep_assert_held(&ssc_claims_lock);
	list_for_each_entry(c, &ssc_claims, list)
		if (c->dev == sc->cdev->bdev->bd_dev)
			return c;
	return NULL;
}

/* Is the metadata on @sc's cache device older than what it showed? */
bool ssc_claim_stale(struct ssc_ctx *sc)
{
	struct ssc_claim *c;
	bool stale;

	mutex_lock(&ssc_claims_lock);
	c = ssc_claim_find(sc);
	stale = c && c->stale;
	mutex_unlock(&ssc_claims_lock);
	return stale;
}

void ssc_claim_set_stale(struct ssc_ctx *sc, bool stale)
{
	struct ssc_claim *c;

	mutex_lock(&ssc_claims_lock);
	c = ssc_claim_find(sc);
	if (c)
		c->stale = stale;
	mutex_unlock(&ssc_claims_lock);
}

/* Too many cache errors: the cache device is considered gone (logged once). */
static void ssc_cache_error(struct ssc_ctx *sc)
{
	if (atomic_inc_return(&sc->cache_errs) != SSC_FAIL_ERRORS)
		return;
	WRITE_ONCE(sc->e.cache_failed, true);
	DMERR("%s: %d cache device errors: cache failed, clean I/O goes to the origin until message cache_ok",
	      dm_table_device_name(sc->ti->table), SSC_FAIL_ERRORS);
}

static void ssc_stat(struct ssc_ctx *sc, enum ssc_stat s)
{
	this_cpu_inc(sc->stats->v[s]);
	if (s == SSC_ST_CACHE_ERRORS)
		ssc_cache_error(sc);
}

static struct ssc_io *bio_io(struct bio *bio)
{
	return dm_per_bio_data(bio, sizeof(struct ssc_io));
}

static const char *ssc_name(struct ssc_ctx *sc)
{
	return dm_table_device_name(sc->ti->table);
}

/* ---- Deferred bios and background accounting ---- */

static void ssc_defer(struct ssc_ctx *sc, struct bio_list *bios)
{
	unsigned long flags;

	if (bio_list_empty(bios))
		return;
	spin_lock_irqsave(&sc->defer_lock, flags);
	bio_list_merge(&sc->deferred, bios);
	spin_unlock_irqrestore(&sc->defer_lock, flags);
	queue_work(sc->wq, &sc->defer_work);
}

static void ssc_bg_get(struct ssc_ctx *sc)
{
	atomic_inc(&sc->nr_bg);
}

/*
 * The RCU read section keeps @sc alive through the wake-up: ssc_free()
 * waits for a grace period after it saw nr_bg reach 0.
 */
static void ssc_bg_put(struct ssc_ctx *sc)
{
	rcu_read_lock();
	if (atomic_dec_and_test(&sc->nr_bg))
		wake_up_all(&sc->bg_wait);
	rcu_read_unlock();
}

/* ---- The engine's environment (ssc_engine.h) ---- */

static struct ssc_ctx *eng_ctx(struct ssc_engine *e)
{
	return container_of(e, struct ssc_ctx, e);
}

void ssc_env_stat(struct ssc_engine *e, enum ssc_stat s)
{
	ssc_stat(eng_ctx(e), s);
}

void ssc_env_md_changed(struct ssc_engine *e, u64 way)
{
	ssc_md_changed(eng_ctx(e), way);
}

/* Woken bios go back to ssc_process() from the deferred worker. */
void ssc_env_requeue(struct ssc_engine *e, struct ssc_req *list)
{
	struct bio_list bios = BIO_EMPTY_LIST;
	struct ssc_req *r, *next;

	for (r = list; r; r = next) {
		next = r->next;
		r->next = NULL;
		bio_list_add(&bios, container_of(r, struct ssc_io, r)->bio);
	}
	ssc_defer(eng_ctx(e), &bios);
}

void ssc_env_cwrite_get(struct ssc_engine *e)
{
	atomic_inc(&eng_ctx(e)->nr_cwrites);
	smp_mb__after_atomic();	/* pairs with smp_mb() in ssc_detach */
}

/* A write that may put data in the cache is done with it (detach waits). */
void ssc_env_cwrite_put(struct ssc_engine *e)
{
	struct ssc_ctx *sc = eng_ctx(e);

	if (atomic_dec_and_test(&sc->nr_cwrites))
		wake_up_all(&sc->bg_wait);
}

/* ---- Remapping ---- */

static void remap_origin(struct ssc_ctx *sc, struct bio *bio)
{
	bio_set_dev(bio, sc->origin->bdev);
	bio->bi_iter.bi_sector = dm_target_offset(sc->ti, bio->bi_iter.bi_sector);
}

static sector_t cache_sector(struct ssc_ctx *sc, u64 way, sector_t tsector)
{
	return ssc_way_sector(&sc->e.c.g, way) +
	       (tsector & (sc->e.c.g.block_sectors - 1));
}

static void remap_cache(struct ssc_ctx *sc, struct bio *bio, u64 way)
{
	sector_t t = dm_target_offset(sc->ti, bio->bi_iter.bi_sector);

	bio_set_dev(bio, sc->cdev->bdev);
	bio->bi_iter.bi_sector = cache_sector(sc, way, t);
}

/* ---- Fills ---- */

static void ssc_fill_free(struct ssc_fill *f)
{
	unsigned int i;

	for (i = 0; i < f->nr_pages; i++)
		if (f->pages[i])
			__free_page(f->pages[i]);
	kfree(f);
}

/* The last bio of a fill is done (or none could be sent): finish it. */
static void ssc_fill_put(struct ssc_fill *f)
{
	struct ssc_ctx *sc = f->sc;
	bool ok;

	if (!atomic_dec_and_test(&f->pending))
		return;
	/* after the last put (a full barrier): every bio's failure is seen */
	ok = !READ_ONCE(f->failed) && !f->dropped;
	if (ok) {
		ssc_stat(sc, SSC_ST_FILLS);
	} else if (!READ_ONCE(f->failed)) {
		ssc_stat(sc, SSC_ST_CANCELLED_FILLS);	/* no memory: no error */
	} else {
		ssc_stat(sc, SSC_ST_CACHE_ERRORS);
		DMERR_LIMIT("%s: cache write failed during fill", ssc_name(sc));
	}
	ssc_eng_fill_end(&sc->e, &f->ref, ok);
	ssc_fill_free(f);
	ssc_bg_put(sc);
}

static void ssc_fill_endio(struct bio *bio)
{
	struct ssc_fill *f = bio->bi_private;

	if (bio->bi_status)
		WRITE_ONCE(f->failed, true);
	bio_put(bio);
	ssc_fill_put(f);
}

/*
 * Write the fill's pages to the cache: one bio per BIO_MAX_VECS pages (a
 * miss of a big request in a big block may bring more). Without memory
 * for a bio the fill is dropped, as it is without memory for its pages.
 */
static void ssc_fill_work(struct work_struct *ws)
{
	struct ssc_fill *f = container_of(ws, struct ssc_fill, work);
	struct ssc_ctx *sc = f->sc;
	unsigned int i = 0, left = f->bytes;
	sector_t sector = f->cache_sector;

	atomic_set(&f->pending, 1);	/* ours, until every bio is sent */
	while (i < f->nr_pages) {
		unsigned int n = min_t(unsigned int, f->nr_pages - i,
				       BIO_MAX_VECS);
		struct bio *bio;

		/* no reserves for a fill (the I/O path's clones need them) */
		bio = bio_alloc_bioset(sc->cdev->bdev, n, REQ_OP_WRITE,
				       GFP_NOWAIT | __GFP_NOWARN, &sc->bs);
		if (!bio) {
			f->dropped = true;
			break;
		}
		bio->bi_iter.bi_sector = sector;
		bio->bi_private = f;
		bio->bi_end_io = ssc_fill_endio;
		for (; n; n--, i++) {
			unsigned int len = min_t(unsigned int, left, PAGE_SIZE);

			if (bio_add_page(bio, f->pages[i], len, 0) != len) {
				f->dropped = true;
				bio_put(bio);
				goto out;
			}
			left -= len;
		}
		sector += bio_sectors(bio);
		atomic_inc(&f->pending);
		submit_bio_noacct(bio);
	}
out:
	ssc_fill_put(f);
}

/*
 * The origin read of a miss completed: copy its data and complete the
 * caller at once; the cache write runs from the worker. Called from the
 * bio's completion context, so no sleeping allocations.
 */
static bool ssc_start_fill(struct ssc_ctx *sc, struct ssc_io *io,
			   struct bio *bio, const struct ssc_fill_ref *ref)
{
	unsigned int bytes = io->iter.bi_size, nr, i, pos = 0;
	struct bvec_iter it;
	struct bio_vec bv;
	struct ssc_fill *f;

	nr = DIV_ROUND_UP(bytes, PAGE_SIZE);
	/* no emergency reserves for a fill: without memory it is just dropped */
	f = kzalloc(struct_size(f, pages, nr), GFP_NOWAIT | __GFP_NOWARN);
	if (!f)
		return false;
	f->nr_pages = nr;
	for (i = 0; i < nr; i++) {
		f->pages[i] = alloc_page(GFP_NOWAIT | __GFP_NOWARN);
		if (!f->pages[i]) {
			ssc_fill_free(f);
			return false;
		}
	}
	__bio_for_each_segment(bv, bio, it, io->iter) {
		char *src = bvec_kmap_local(&bv);
		unsigned int done = 0;

		while (done < bv.bv_len) {
			unsigned int off = pos & (PAGE_SIZE - 1);
			unsigned int len = min_t(unsigned int, bv.bv_len - done,
						 PAGE_SIZE - off);
			char *dst = kmap_local_page(f->pages[pos >> PAGE_SHIFT]);

			memcpy(dst + off, src + done, len);
			kunmap_local(dst);
			done += len;
			pos += len;
		}
		kunmap_local(src);
	}
	f->sc = sc;
	f->ref = *ref;
	f->bytes = bytes;
	f->cache_sector = cache_sector(sc, ref->way,
				       dm_target_offset(sc->ti, io->iter.bi_sector));
	INIT_WORK(&f->work, ssc_fill_work);
	ssc_bg_get(sc);
	queue_work(sc->wq, &f->work);
	return true;
}

/* ---- Write-back of dirty data: the cleaner ---- */

struct ssc_copy_wait {
	atomic_t pending;
	int error;
	struct completion done;
};

static void ssc_copy_wait_init(struct ssc_copy_wait *w)
{
	atomic_set(&w->pending, 1);
	w->error = 0;
	init_completion(&w->done);
}

static void ssc_copy_put(struct ssc_copy_wait *w)
{
	if (atomic_dec_and_test(&w->pending))
		complete(&w->done);
}

static void ssc_copy_done(int read_err, unsigned long write_err, void *ctx)
{
	struct ssc_copy_wait *w = ctx;

	if (read_err || write_err)
		w->error = -EIO;
	ssc_copy_put(w);
}

/* Copy the sub-blocks set in @dirty of @way (holding @oblock) to the origin. */
static void ssc_copy_runs(struct ssc_ctx *sc, u64 way, u64 oblock,
			  const u64 *dirty, struct ssc_copy_wait *w)
{
	const struct ssc_geom *g = &sc->e.c.g;
	u32 a = 0, b;

	while (a < g->nsub) {
		struct dm_io_region from, to;

		if (!(dirty[a / 64] & (1ull << (a % 64)))) {
			a++;
			continue;
		}
		for (b = a; b < g->nsub && (dirty[b / 64] & (1ull << (b % 64))); b++)
			;
		from.bdev = sc->cdev->bdev;
		from.sector = ssc_way_sector(g, way) + ((sector_t)a << g->sub_shift);
		from.count = (sector_t)(b - a) << g->sub_shift;
		to.bdev = sc->origin->bdev;
		to.sector = (oblock << g->block_shift) + ((sector_t)a << g->sub_shift);
		to.count = from.count;
		atomic_inc(&w->pending);
		dm_kcopyd_copy(sc->kc, &from, 1, &to, 0, ssc_copy_done, w);
		a = b;
	}
}

/*
 * Write back every dirty sub-block of @way now (process context; the
 * caller holds the block's lock so that nothing writes it meanwhile, and a
 * reference on the way).
 */
static int ssc_clean_way_sync(struct ssc_ctx *sc, u64 way)
{
	u64 snap[SSC_MAX_SUB / 64];
	struct ssc_copy_wait w;

	ssc_eng_dirty_snapshot(&sc->e, way, snap);
	ssc_copy_wait_init(&w);
	ssc_copy_runs(sc, way, READ_ONCE(sc->e.c.ways[way].oblock), snap, &w);
	ssc_copy_put(&w);
	wait_for_completion(&w.done);
	if (w.error) {
		ssc_stat(sc, SSC_ST_ORIGIN_ERRORS);
		return w.error;
	}
	ssc_eng_dirty_cleaned(&sc->e, way, snap);
	return 0;
}

static bool ssc_need_clean(struct ssc_ctx *sc)
{
	u64 dirty = ssc_counter_read(&sc->e.c.nr_dirty), total = sc->e.c.g.nr_ways;

	if (!dirty) {
		sc->cleaning = false;
		return false;
	}
	if (atomic_read(&sc->flush_all) || sc->cfg.mode != SSC_WRITEBACK)
		return true;
	if (sc->cleaning && dirty * 100 <= (u64)sc->low_wm * total)
		sc->cleaning = false;
	else if (!sc->cleaning && dirty * 100 >= (u64)sc->high_wm * total)
		sc->cleaning = true;
	return sc->cleaning;
}

static void ssc_kick_cleaner(struct ssc_ctx *sc)
{
	u64 dirty = ssc_counter_read(&sc->e.c.nr_dirty);

	if (!READ_ONCE(sc->stop_bg) &&
	    dirty * 100 >= (u64)sc->high_wm * sc->e.c.g.nr_ways)
		queue_work(sc->wq, &sc->clean_work);
}

#define SSC_CLEAN_BATCH 16

static void ssc_clean_work(struct work_struct *ws)
{
	struct ssc_ctx *sc = container_of(ws, struct ssc_ctx, clean_work);
	struct ssc_clean_item *items;
	struct ssc_copy_wait w;
	unsigned int n, i;

	items = kmalloc_array(SSC_CLEAN_BATCH, sizeof(*items), GFP_NOIO);
	if (!items)
		return;
	while (!READ_ONCE(sc->stop_bg) && ssc_need_clean(sc)) {
		n = ssc_eng_clean_pick(&sc->e, &sc->clean_cursor, items,
				       SSC_CLEAN_BATCH);
		if (!n)
			break;	/* all busy: the tick tries again */
		ssc_copy_wait_init(&w);
		for (i = 0; i < n; i++)
			ssc_copy_runs(sc, items[i].way, items[i].oblock,
				      items[i].snap, &w);
		ssc_copy_put(&w);
		wait_for_completion(&w.done);
		for (i = 0; i < n; i++)
			ssc_eng_clean_end(&sc->e, &items[i], !w.error);
		if (w.error) {
			ssc_stat(sc, SSC_ST_ORIGIN_ERRORS);
			sc->clean_error = w.error;
			DMERR_LIMIT("%s: write-back to the origin failed; will retry",
				    ssc_name(sc));
			break;
		}
		/* persist the clean state (the commit flushes the origin first) */
		ssc_md_commit(sc, false, false);
		wake_up_all(&sc->clean_wait);
	}
	kfree(items);
	wake_up_all(&sc->clean_wait);
}

/* Flushes in write-back mode wait for a metadata commit. */
static void ssc_commit_work(struct work_struct *ws)
{
	struct ssc_ctx *sc = container_of(ws, struct ssc_ctx, commit_work);
	struct bio_list bios;
	struct bio *bio;
	unsigned long flags;
	int r;

	spin_lock_irqsave(&sc->flush_lock, flags);
	bios = sc->commit_wait;
	bio_list_init(&sc->commit_wait);
	spin_unlock_irqrestore(&sc->flush_lock, flags);
	if (bio_list_empty(&bios))
		return;
	r = ssc_md_commit(sc, false, true);
	while ((bio = bio_list_pop(&bios))) {
		bio_io(bio)->kind = IO_NONE;
		if (r)
			bio->bi_status = BLK_STS_IOERR;
		bio_endio(bio);
	}
}

/* Once a second: commit pending changes in write-back mode, kick the cleaner. */
static void ssc_tick_work(struct work_struct *ws)
{
	struct ssc_ctx *sc = container_of(to_delayed_work(ws), struct ssc_ctx,
					  tick_work);

	if (READ_ONCE(sc->stop_bg))
		return;
	if (ssc_eng_flush_commits(&sc->e))
		ssc_md_commit(sc, false, false);
	if (ssc_counter_read(&sc->e.c.nr_dirty))
		queue_work(sc->wq, &sc->clean_work);
	queue_delayed_work(sc->wq, &sc->tick_work, HZ);
}

/* ---- Reads ---- */

static int ssc_exec(struct ssc_ctx *sc, struct ssc_io *io, struct bio *bio,
		    enum ssc_plan plan);

/*
 * A read under EXCL found dirty data next to data only the origin has:
 * write the block's dirty data back, then read.
 */
static void ssc_demand_clean_work(struct work_struct *ws)
{
	struct ssc_io *io = container_of(ws, struct ssc_io, work);
	struct ssc_ctx *sc = io->sc;
	struct bio *bio = io->bio;
	int r;

	r = ssc_clean_way_sync(sc, io->r.way);
	if (r)
		DMERR_LIMIT("%s: write-back of block %llu for a read failed",
			    ssc_name(sc), io->r.oblock);
	switch (ssc_exec(sc, io, bio,
			 ssc_eng_demand_clean_end(&sc->e, &io->r, r != 0))) {
	case DM_MAPIO_REMAPPED:
		submit_bio_noacct(bio);
		break;
	case DM_MAPIO_KILL:
		bio_io_error(bio);
		break;
	default:
		break;
	}
}

/* ---- Writes ---- */

static void ssc_write_complete(struct ssc_io *io);

/*
 * Complete @bio, a write, or queue it behind a metadata commit first when
 * it is FUA and the in-memory state dropped data the committed metadata
 * may still call dirty (a FUA write must survive a power loss once it
 * completed, and that dirty copy would shadow it).
 */
static void ssc_write_endio(struct ssc_ctx *sc, struct ssc_io *io,
			    struct bio *bio)
{
	unsigned long flags;

	io->kind = IO_NONE;
	if (io->r.need_commit && !bio->bi_status) {
		io->r.need_commit = false;
		spin_lock_irqsave(&sc->flush_lock, flags);
		bio_list_add(&sc->commit_wait, bio);
		spin_unlock_irqrestore(&sc->flush_lock, flags);
		queue_work(sc->wq, &sc->commit_work);
		return;
	}
	bio_endio(bio);
}

/* The cache half of a write completed. */
static void ssc_cache_endio(struct bio *clone)
{
	struct ssc_io *io = clone->bi_private;

	if (clone->bi_status)
		io->cstatus = clone->bi_status;
	bio_put(clone);
	if (atomic_dec_and_test(&io->pending))
		ssc_write_complete(io);
}

/* The origin half of a write, as a clone (write-back fallback). */
static void ssc_origin_endio(struct bio *clone)
{
	struct ssc_io *io = clone->bi_private;

	if (clone->bi_status)
		io->ostatus = clone->bi_status;
	bio_put(clone);
	if (atomic_dec_and_test(&io->pending))
		ssc_write_complete(io);
}

/* Our own I/O: never polled (only the bio dm gave us is). */
static struct bio *ssc_make_clone(struct ssc_ctx *sc, struct ssc_io *io,
				  bool to_cache)
{
	struct bio *clone;

	clone = bio_alloc_clone(to_cache ? sc->cdev->bdev : sc->origin->bdev,
				io->bio, GFP_NOIO, &sc->bs);
	bio_clear_polled(clone);
	return clone;
}

/*
 * Send a clone of the write to the cache or to the origin. Only one clone
 * per bio is ever allocated in map context: a write to both devices sends
 * the bio itself to the origin (IO_WRITE_BOTH), so the bio set's reserve
 * cannot be exhausted by clones that wait on the current bio list.
 */
static void ssc_submit_clone(struct ssc_ctx *sc, struct ssc_io *io,
			     bool to_cache)
{
	/*
	 * io->iter, not the bio: with async_lookup the bio went to the
	 * origin at map time, which remapped it and may have advanced it
	 * (a request-based origin's completion does) or split it.
	 */
	sector_t t = dm_target_offset(sc->ti, io->iter.bi_sector);
	struct bio *clone;

	clone = io->clone;
	io->clone = NULL;
	if (!clone)
		clone = ssc_make_clone(sc, io, to_cache);
	clone->bi_private = io;
	if (to_cache) {
		clone->bi_iter.bi_sector = cache_sector(sc, io->r.way, t);
		clone->bi_end_io = ssc_cache_endio;
	} else {
		clone->bi_iter.bi_sector = t;
		clone->bi_end_io = ssc_origin_endio;
	}
	submit_bio_noacct(clone);
}

static void ssc_wb_endio(int read_err, unsigned long write_err, void *context)
{
	struct ssc_wb *wb = context;
	struct ssc_ctx *sc = wb->sc;

	if (read_err)
		ssc_stat(sc, SSC_ST_CACHE_ERRORS);
	if (write_err)
		ssc_stat(sc, SSC_ST_ORIGIN_ERRORS);
	if (read_err || write_err)
		DMERR_LIMIT("%s: write-behind to the origin failed; block stays dirty",
			    ssc_name(sc));
	else
		ssc_stat(sc, SSC_ST_WRITEBACKS);
	ssc_eng_wb_end(&sc->e, &wb->ref, !read_err && !write_err);
	mempool_free(wb, sc->wb_pool);
	ssc_bg_put(sc);
}

static void ssc_wb_work(struct work_struct *ws)
{
	struct ssc_wb *wb = container_of(ws, struct ssc_wb, work);
	struct ssc_ctx *sc = wb->sc;
	struct dm_io_region from = {
		.bdev = sc->cdev->bdev,
		.sector = wb->cache_sector,
		.count = wb->count,
	};
	struct dm_io_region to = {
		.bdev = sc->origin->bdev,
		.sector = wb->origin_sector,
		.count = wb->count,
	};

	dm_kcopyd_copy(sc->kc, &from, 1, &to, 0, ssc_wb_endio, wb);
}

static void ssc_fallback_work(struct work_struct *ws)
{
	struct ssc_io *io = container_of(ws, struct ssc_io, work);

	/* the cache write of a write-back failed: write the origin instead */
	atomic_set(&io->pending, 1);
	ssc_submit_clone(io->sc, io, false);
}

/* Every half of a write is done: ask the engine what follows. */
static enum ssc_wend ssc_write_end(struct ssc_ctx *sc, struct ssc_io *io,
				   struct ssc_fill_ref *ref)
{
	enum ssc_wend w;

	io->r.cerr = io->cstatus != BLK_STS_OK;
	io->r.oerr = io->ostatus != BLK_STS_OK;
	if (io->r.cerr)
		DMERR_LIMIT("%s: cache write failed; block invalidated",
			    ssc_name(sc));
	w = ssc_eng_write_end(&sc->e, &io->r, ref);
	if (w == SSC_WEND_FALLBACK)
		io->cstatus = BLK_STS_OK;
	return w;
}

/*
 * The write's cache half (and origin clone, if any) is done. May run in
 * interrupt context.
 */
static void ssc_write_complete(struct ssc_io *io)
{
	struct ssc_ctx *sc = io->sc;
	struct bio *bio = io->bio;
	struct ssc_wb *wb = io->wb;
	struct ssc_fill_ref ref;

	switch (ssc_write_end(sc, io, &ref)) {
	case SSC_WEND_FALLBACK:
		/* the engine kept the lock and the way: write the origin */
		io->wb = NULL;
		if (wb)
			mempool_free(wb, sc->wb_pool);
		INIT_WORK(&io->work, ssc_fallback_work);
		queue_work(sc->wq, &io->work);
		return;
	case SSC_WEND_LAZY:
		/* lazy write-back: the cleaner copies it later */
		ssc_kick_cleaner(sc);
		ssc_write_endio(sc, io, bio);
		return;
	case SSC_WEND_BEHIND:
		io->wb = NULL;
		wb->sc = sc;
		wb->ref = ref;
		wb->origin_sector = dm_target_offset(sc->ti, io->iter.bi_sector);
		wb->cache_sector = cache_sector(sc, ref.way, wb->origin_sector);
		wb->count = io->iter.bi_size >> SECTOR_SHIFT;
		INIT_WORK(&wb->work, ssc_wb_work);
		ssc_bg_get(sc);
		queue_work(sc->wq, &wb->work);
		ssc_write_endio(sc, io, bio);
		return;
	case SSC_WEND_COMPLETE:
		break;
	}
	bio->bi_status = io->ostatus;
	ssc_write_endio(sc, io, bio);
}

/*
 * async_lookup: the cache half of a write whose bio went to the origin at
 * map time. The clone was made then too: by now the bio may be split or
 * completed by the origin.
 */
static void ssc_async_work(struct work_struct *ws)
{
	struct ssc_io *io = container_of(ws, struct ssc_io, work);

	if (ssc_eng_async_lookup(&io->sc->e, &io->r)) {
		ssc_submit_clone(io->sc, io, true);
		return;
	}
	bio_put(io->clone);
	io->clone = NULL;
	if (atomic_dec_and_test(&io->pending))
		ssc_write_complete(io);
}

/* ---- Carrying out the engine's plans ---- */

/*
 * Do what the engine planned for @bio, from map or from a worker. Returns
 * what map returns: DM_MAPIO_REMAPPED (the caller submits @bio),
 * DM_MAPIO_SUBMITTED (it is ours now) or DM_MAPIO_KILL.
 */
static int ssc_exec(struct ssc_ctx *sc, struct ssc_io *io, struct bio *bio,
		    enum ssc_plan plan)
{
	switch (plan) {
	case SSC_PLAN_QUEUED:
		return DM_MAPIO_SUBMITTED;
	case SSC_PLAN_READ_CACHE:
		io->kind = IO_READ_HIT;
		io->iter = bio->bi_iter;
		remap_cache(sc, bio, io->r.way);
		return DM_MAPIO_REMAPPED;
	case SSC_PLAN_READ_ORIGIN:
		io->kind = IO_READ_MISS;
		io->iter = bio->bi_iter;
		remap_origin(sc, bio);
		return DM_MAPIO_REMAPPED;
	case SSC_PLAN_DEMAND_CLEAN:
		io->kind = IO_NONE;
		INIT_WORK(&io->work, ssc_demand_clean_work);
		queue_work(sc->wq, &io->work);
		return DM_MAPIO_SUBMITTED;
	case SSC_PLAN_ORIGIN:
		io->kind = IO_ORIGIN;
		remap_origin(sc, bio);
		return DM_MAPIO_REMAPPED;
	case SSC_PLAN_WRITE_ASYNC:
		/* origin first, right now; the cache half from the worker */
		io->ostatus = BLK_STS_OK;
		io->cstatus = BLK_STS_OK;
		atomic_set(&io->pending, 2);
		io->kind = IO_WRITE_BOTH;
		io->iter = bio->bi_iter;	/* before remap_origin */
		io->clone = ssc_make_clone(sc, io, true);
		INIT_WORK(&io->work, ssc_async_work);
		queue_work(sc->wq, &io->work);
		remap_origin(sc, bio);
		return DM_MAPIO_REMAPPED;
	case SSC_PLAN_WRITE_CACHE:
		io->ostatus = BLK_STS_OK;
		io->cstatus = BLK_STS_OK;
		io->kind = IO_NONE;
		/*
		 * Eager write-behind objects come from a pool that this
		 * work queue refills: never wait for one here, fall back to
		 * the cleaner instead.
		 */
		if (sc->cfg.opts & SSC_OPT_EAGER_WRITEBACK)
			io->wb = mempool_alloc(sc->wb_pool,
					       GFP_NOWAIT | __GFP_NOWARN);
		io->r.eager = !!io->wb;
		atomic_set(&io->pending, 1);
		io->iter = bio->bi_iter;
		ssc_submit_clone(sc, io, true);
		return DM_MAPIO_SUBMITTED;
	case SSC_PLAN_WRITE_BOTH:
		/* both devices: the cache gets a clone, the origin the bio */
		io->ostatus = BLK_STS_OK;
		io->cstatus = BLK_STS_OK;
		atomic_set(&io->pending, 2);
		io->kind = IO_WRITE_BOTH;
		io->iter = bio->bi_iter;
		ssc_submit_clone(sc, io, true);
		remap_origin(sc, bio);
		return DM_MAPIO_REMAPPED;
	case SSC_PLAN_KILL:
		io->kind = IO_NONE;
		return DM_MAPIO_KILL;
	case SSC_PLAN_DONE:
	default:
		/* the engine never plans these for a request it maps */
		WARN_ON_ONCE(1);
		io->kind = IO_NONE;
		return DM_MAPIO_KILL;
	}
}

/* ---- Flushes and the map entry point ---- */

static int ssc_map_flush(struct ssc_ctx *sc, struct ssc_io *io,
			 struct bio *bio)
{
	unsigned long flags;

	io->kind = IO_FLUSH;
	if (dm_bio_get_target_bio_nr(bio) == 1) {
		bio_set_dev(bio, sc->cdev->bdev);
		return DM_MAPIO_REMAPPED;
	}
	ssc_stat(sc, SSC_ST_FLUSHES);
	if (ssc_eng_flush_commits(&sc->e)) {
		/*
		 * Completed writes may live only in the cache: commit the
		 * metadata (which flushes both devices first).
		 */
		spin_lock_irqsave(&sc->flush_lock, flags);
		bio_list_add(&sc->commit_wait, bio);
		spin_unlock_irqrestore(&sc->flush_lock, flags);
		queue_work(sc->wq, &sc->commit_work);
		return DM_MAPIO_SUBMITTED;
	}
	bio_set_dev(bio, sc->origin->bdev);
	return DM_MAPIO_REMAPPED;
}

static int ssc_process(struct ssc_ctx *sc, struct bio *bio)
{
	struct ssc_io *io = bio_io(bio);

	if (io->kind == IO_READ_RETRY) {
		remap_origin(sc, bio);
		return DM_MAPIO_REMAPPED;
	}
	return ssc_exec(sc, io, bio, ssc_eng_map(&sc->e, &io->r));
}

static void ssc_defer_work(struct work_struct *ws)
{
	struct ssc_ctx *sc = container_of(ws, struct ssc_ctx, defer_work);
	struct bio_list bios;
	struct bio *bio;
	unsigned long flags;

	spin_lock_irqsave(&sc->defer_lock, flags);
	bios = sc->deferred;
	bio_list_init(&sc->deferred);
	spin_unlock_irqrestore(&sc->defer_lock, flags);

	while ((bio = bio_list_pop(&bios))) {
		switch (ssc_process(sc, bio)) {
		case DM_MAPIO_REMAPPED:
			submit_bio_noacct(bio);
			break;
		case DM_MAPIO_KILL:
			bio_io_error(bio);
			break;
		default:
			break;
		}
	}
}

static int ssc_map(struct dm_target *ti, struct bio *bio)
{
	struct ssc_ctx *sc = ti->private;
	struct ssc_io *io = bio_io(bio);
	const struct ssc_geom *g = &sc->e.c.g;
	enum ssc_op op = SSC_OP_WRITE;
	sector_t t, off, len;

	memset(io, 0, sizeof(*io));
	io->sc = sc;
	io->bio = bio;
	io->r.way = SSC_NO_BLOCK;
	/* the block layer strips FUA from a bio it sends to a device without
	 * a volatile write cache: remember it for the completion
	 */
	io->r.fua = !!(bio->bi_opf & REQ_FUA);

	if (bio->bi_opf & REQ_PREFLUSH)
		return ssc_map_flush(sc, io, bio);

	t = dm_target_offset(ti, bio->bi_iter.bi_sector);
	off = t & (g->block_sectors - 1);
	len = bio_sectors(bio);
	if (!len) {
		remap_origin(sc, bio);
		return DM_MAPIO_REMAPPED;
	}
	if (off + len > g->block_sectors) {
		/* discards and write-zeroes are not split by max_io_len */
		dm_accept_partial_bio(bio, g->block_sectors - off);
		len = bio_sectors(bio);
	}
	if (bio_data_dir(bio) == READ) {
		op = SSC_OP_READ;
	} else if (bio_op(bio) != REQ_OP_WRITE) {
		op = SSC_OP_DISCARD;
		if (bio_op(bio) == REQ_OP_DISCARD ||
		    bio_op(bio) == REQ_OP_WRITE_ZEROES)
			ssc_stat(sc, SSC_ST_DISCARDS);
	}
	ssc_eng_req_init(&sc->e, &io->r, op, t, len, io->r.fua);
	return ssc_process(sc, bio);
}

static void ssc_retry_work(struct work_struct *ws)
{
	struct ssc_io *io = container_of(ws, struct ssc_io, work);
	struct bio_list one = BIO_EMPTY_LIST;

	bio_list_add(&one, io->bio);
	ssc_defer(io->sc, &one);
}

static int ssc_end_io(struct dm_target *ti, struct bio *bio,
		      blk_status_t *error)
{
	struct ssc_ctx *sc = ti->private;
	struct ssc_io *io = bio_io(bio);
	struct ssc_fill_ref f;

	switch (io->kind) {
	case IO_READ_HIT:
		switch (ssc_eng_read_hit_end(&sc->e, &io->r,
					     *error != BLK_STS_OK)) {
		case SSC_PLAN_KILL:
			DMERR_LIMIT("%s: cache read failed, and only the cache holds the data",
				    ssc_name(sc));
			io->kind = IO_NONE;
			return DM_ENDIO_DONE;
		case SSC_PLAN_READ_ORIGIN:
			/* serve it from the origin, which holds the same data */
			DMERR_LIMIT("%s: cache read failed; reading the origin",
				    ssc_name(sc));
			io->kind = IO_READ_RETRY;
			bio->bi_iter = io->iter;
			bio->bi_status = BLK_STS_OK;
			*error = BLK_STS_OK;
			INIT_WORK(&io->work, ssc_retry_work);
			queue_work(sc->wq, &io->work);
			return DM_ENDIO_INCOMPLETE;
		default:
			break;
		}
		break;
	case IO_READ_MISS:
		if (ssc_eng_read_miss_end(&sc->e, &io->r,
					  *error != BLK_STS_OK, &f) &&
		    !ssc_start_fill(sc, io, bio, &f)) {
			ssc_stat(sc, SSC_ST_CANCELLED_FILLS);
			ssc_eng_fill_end(&sc->e, &f, false);
		}
		break;
	case IO_FLUSH:
		if (*error && dm_bio_get_target_bio_nr(bio) == 1) {
			/* the cache's flush matters only for dirty data */
			ssc_stat(sc, SSC_ST_CACHE_ERRORS);
			if (!ssc_eng_dirty_state(&sc->e))
				*error = BLK_STS_OK;
		}
		break;
	case IO_READ_RETRY:
		if (*error)
			ssc_stat(sc, SSC_ST_ORIGIN_ERRORS);
		ssc_eng_retry_end(&sc->e, &io->r);
		break;
	case IO_ORIGIN:
		if (ssc_eng_origin_end(&sc->e, &io->r, *error != BLK_STS_OK)) {
			ssc_write_endio(sc, io, bio);
			return DM_ENDIO_INCOMPLETE;
		}
		break;
	case IO_WRITE_BOTH:
		/* the origin half; the cache half is a clone */
		io->ostatus = *error;
		if (!atomic_dec_and_test(&io->pending))
			return DM_ENDIO_INCOMPLETE;	/* the clone ends it */
		ssc_write_end(sc, io, &f);	/* not a write-back: complete */
		if (!*error && io->r.need_commit) {
			ssc_write_endio(sc, io, bio);
			return DM_ENDIO_INCOMPLETE;
		}
		io->kind = IO_NONE;
		return DM_ENDIO_DONE;
	default:
		break;
	}
	if (*error)
		ssc_stat(sc, SSC_ST_CANCELLED_BIOS);
	io->kind = IO_NONE;
	return DM_ENDIO_DONE;
}

/* ---- Constructor, destructor, suspend ---- */

static void *ssc_zalloc(size_t size, void *arg)
{
	return kvzalloc(size, GFP_KERNEL);
}

static void ssc_release(void *p, void *arg)
{
	kvfree(p);
}

static void ssc_wait_idle(struct ssc_ctx *sc)
{
	flush_workqueue(sc->wq);
	wait_event(sc->bg_wait, !atomic_read(&sc->nr_bg));
	flush_workqueue(sc->wq);
}

static void ssc_free(struct ssc_ctx *sc)
{
	WRITE_ONCE(sc->stop_bg, true);
	if (sc->wq) {
		cancel_delayed_work_sync(&sc->tick_work);
		ssc_wait_idle(sc);
		destroy_workqueue(sc->wq);
	}
	synchronize_rcu();	/* the last ssc_bg_put() is done with sc */
	ssc_md_exit(sc);
	if (sc->kc)
		dm_kcopyd_client_destroy(sc->kc);
	mempool_destroy(sc->wb_pool);
	bioset_exit(&sc->bs);
	free_percpu(sc->stats);
	ssc_eng_exit(&sc->e, ssc_release, NULL);
	if (sc->claimed)
		ssc_unclaim_cache(sc->ti, sc->cdev->bdev->bd_dev);
	if (sc->cdev)
		dm_put_device(sc->ti, sc->cdev);
	if (sc->origin)
		dm_put_device(sc->ti, sc->origin);
	kfree(sc);
}

static int ssc_get_devices(struct ssc_ctx *sc, struct dm_target *ti)
{
	unsigned int olbs, clbs;
	int r;

	r = dm_get_device(ti, sc->cfg.origin, dm_table_get_mode(ti->table),
			  &sc->origin);
	if (r) {
		ti->error = "Origin device lookup failed";
		return r;
	}
	r = dm_get_device(ti, sc->cfg.cache, dm_table_get_mode(ti->table),
			  &sc->cdev);
	if (r) {
		ti->error = "Cache device lookup failed";
		return r;
	}
	if (sc->origin->bdev == sc->cdev->bdev) {
		ti->error = "Origin and cache are the same device";
		return -EINVAL;
	}
	r = ssc_claim_cache(ti, sc->cdev->bdev->bd_dev);
	if (r == -EEXIST) {
		ti->error = "Cache device is used twice in this table";
		return -EBUSY;
	}
	if (r < 0) {
		ti->error = "Cache device is in use by another ssdcache device";
		return r;
	}
	sc->claimed = true;
	sc->reload = r == 1;
	olbs = bdev_logical_block_size(sc->origin->bdev);
	clbs = bdev_logical_block_size(sc->cdev->bdev);
	if (olbs != clbs) {
		ti->error = "Origin and cache have different logical block sizes";
		return -EINVAL;
	}
	if (ti->len > bdev_nr_sectors(sc->origin->bdev)) {
		ti->error = "Target length exceeds the origin device";
		return -EINVAL;
	}
	return 0;
}

static int ssc_alloc_runtime(struct ssc_ctx *sc, struct dm_target *ti,
			     const struct ssc_geom *g)
{
	int r;

	r = ssc_eng_init(&sc->e, g, sc->cfg.policy, sc->cfg.mode,
			 sc->cfg.opts, ssc_eng_nstripes(g), ssc_zalloc, NULL);
	if (r)
		goto nomem;

	sc->stats = alloc_percpu(struct ssc_stats);
	if (!sc->stats)
		goto nomem;
	r = bioset_init(&sc->bs, BIO_POOL_SIZE, 0, BIOSET_NEED_BVECS);
	if (r) {
		ti->error = "Cannot allocate bio set";
		return r;
	}
	sc->wb_pool = mempool_create_slab_pool(SSC_WB_POOL, ssc_wb_cache);
	if (!sc->wb_pool)
		goto nomem;
	sc->kc = dm_kcopyd_client_create(NULL);
	if (IS_ERR(sc->kc)) {
		r = PTR_ERR(sc->kc);
		sc->kc = NULL;
		ti->error = "Cannot create kcopyd client";
		return r;
	}
	sc->wq = alloc_workqueue("ssdcache", WQ_MEM_RECLAIM, 0);
	if (!sc->wq)
		goto nomem;
	return 0;
nomem:
	ti->error = "Cannot allocate cache metadata";
	return -ENOMEM;
}

/*
 * Construct: <origin> <cache> [blocksize <sectors>] [assoc <n>]
 *            [writethrough|writeback|readcache] [options <count> <opt>...]
 */
static int ssc_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct ssc_ctx *sc;
	const char *err = NULL;
	struct ssc_geom g;
	u64 md_blocks = 0;
	int r;

	sc = kzalloc(sizeof(*sc), GFP_KERNEL);
	if (!sc) {
		ti->error = "Cannot allocate ssdcache context";
		return -ENOMEM;
	}
	sc->ti = ti;
	spin_lock_init(&sc->defer_lock);
	spin_lock_init(&sc->flush_lock);
	bio_list_init(&sc->deferred);
	INIT_WORK(&sc->defer_work, ssc_defer_work);
	init_waitqueue_head(&sc->bg_wait);
	bio_list_init(&sc->commit_wait);
	INIT_WORK(&sc->commit_work, ssc_commit_work);
	INIT_WORK(&sc->clean_work, ssc_clean_work);
	INIT_DELAYED_WORK(&sc->tick_work, ssc_tick_work);
	init_waitqueue_head(&sc->clean_wait);
	atomic_set(&sc->flush_all, 0);
	sc->high_wm = 50;
	sc->low_wm = 25;
	sc->stop_bg = true;

	r = ssc_parse_table(argc, argv, &sc->cfg, &err);
	if (r) {
		ti->error = (char *)err;
		goto bad;
	}
	r = ssc_get_devices(sc, ti);
	if (r)
		goto bad;
	r = ssc_geom_init(&g, &sc->cfg, ti->len,
			  bdev_nr_sectors(sc->cdev->bdev),
			  bdev_logical_block_size(sc->origin->bdev), &err);
	if (!r)
		r = ssc_layout(&g, bdev_nr_sectors(sc->cdev->bdev), &md_blocks,
			       &err);
	if (r) {
		ti->error = (char *)err;
		goto bad;
	}
	r = ssc_alloc_runtime(sc, ti, &g);
	if (r)
		goto bad;
	r = ssc_md_init(sc, md_blocks);
	if (r) {
		ti->error = "Cannot allocate the metadata buffers";
		goto bad;
	}
	if (!sc->reload) {
		/* load (or format) now, so that a bad cache fails the table */
		r = ssc_md_open(sc, &err);
		if (r) {
			ti->error = (char *)err;
			goto bad;
		}
	} else if (sc->cfg.reformat) {
		ti->error = "reformat is not allowed in a reload of a live device";
		r = -EINVAL;
		goto bad;
	}

	r = dm_set_target_max_io_len(ti, g.block_sectors);
	if (r) {
		ti->error = "Cannot set the maximum I/O size";
		goto bad;
	}
	ti->num_flush_bios = 2;		/* 0: origin, 1: cache */
	/*
	 * The device has a volatile write cache of its own (write-back data
	 * and metadata in memory) whatever the devices under it have: without
	 * this the block layer strips REQ_PREFLUSH and REQ_FUA over devices
	 * without one.
	 */
	ti->flush_supported = true;
	ti->num_discard_bios = 1;
	/* discards only need the origin's support: the cache just invalidates */
	ti->discards_supported = bdev_max_discard_sectors(sc->origin->bdev) > 0;
	ti->num_write_zeroes_bios = 1;
	ti->per_io_data_size = sizeof(struct ssc_io);
	ti->private = sc;
	return 0;
bad:
	ssc_free(sc);
	return r;
}

static void ssc_dtr(struct dm_target *ti)
{
	ssc_free(ti->private);
}

static int ssc_preresume(struct dm_target *ti)
{
	struct ssc_ctx *sc = ti->private;
	const char *err = NULL;
	int r;

	r = ssc_md_open(sc, &err);	/* a reload loads what the old table left */
	if (r) {
		DMERR("%s: %s", ssc_name(sc), err ? err : "cannot open the cache");
		return r;
	}
	r = ssc_md_mark_live(sc);
	if (r) {
		DMERR("%s: cannot write the cache superblock", ssc_name(sc));
		return r;
	}
	return 0;
}

static void ssc_resume(struct dm_target *ti)
{
	struct ssc_ctx *sc = ti->private;

	WRITE_ONCE(sc->stop_bg, false);
	sc->resumed = true;
	queue_delayed_work(sc->wq, &sc->tick_work, HZ);
	if (ssc_counter_read(&sc->e.c.nr_dirty))
		queue_work(sc->wq, &sc->clean_work);
}

static void ssc_postsuspend(struct dm_target *ti)
{
	struct ssc_ctx *sc = ti->private;

	WRITE_ONCE(sc->stop_bg, true);
	wake_up_all(&sc->clean_wait);
	cancel_delayed_work_sync(&sc->tick_work);
	ssc_wait_idle(sc);
	/*
	 * A failed cache may hold clean copies that writes passed by: then
	 * the shutdown is not clean, and the next load keeps dirty data only.
	 */
	if (sc->resumed) {
		bool failed = ssc_md_commit(sc, !READ_ONCE(sc->e.cache_failed),
					    true);

		/* a reload's table refuses to load it */
		ssc_claim_set_stale(sc, failed);
		if (failed)
			DMERR("%s: could not save the cache metadata: a reload is refused; the next start finds what a power loss leaves",
			      ssc_name(sc));
	}
	sc->resumed = false;
}

/* ---- Status and messages ---- */

static void ssc_sum_stats(struct ssc_ctx *sc, u64 *v)
{
	int cpu, i;

	memset(v, 0, sizeof(u64) * SSC_NR_STATS);
	for_each_possible_cpu(cpu) {
		struct ssc_stats *s = per_cpu_ptr(sc->stats, cpu);

		for (i = 0; i < SSC_NR_STATS; i++)
			v[i] += READ_ONCE(s->v[i]);
	}
}

/*
 * Status (INFO), one line of <key> <value> pairs, in this order:
 *   blocks <n> used <n> dirty <n> blocksize <sectors> sets <n>
 *   sets_used <n> assoc <n> mode <m> policy <p> md_bytes_per_block <n>
 *   then every counter of enum ssc_stat by name.
 * New pairs are only ever appended.
 */
static void ssc_status(struct dm_target *ti, status_type_t type,
		       unsigned int status_flags, char *result,
		       unsigned int maxlen)
{
	struct ssc_ctx *sc = ti->private;
	unsigned int sz = 0;
	u64 v[SSC_NR_STATS];
	char buf[256];
	int i;

	switch (type) {
	case STATUSTYPE_INFO:
		ssc_sum_stats(sc, v);
		DMEMIT("blocks %llu used %llu dirty %llu blocksize %u sets %llu sets_used %llu assoc %u mode %s policy %s md_bytes_per_block %zu",
		       sc->e.c.g.nr_ways, ssc_counter_read(&sc->e.c.nr_used),
		       ssc_counter_read(&sc->e.c.nr_dirty), sc->e.c.g.block_sectors,
		       sc->e.c.g.nr_sets, ssc_counter_read(&sc->e.c.nr_sets_used),
		       sc->e.c.g.assoc,
		       ssc_mode_name(sc->cfg.mode),
		       ssc_policy_name(sc->cfg.policy),
		       ssc_cache_bytes_per_block(&sc->e.c));
		for (i = 0; i < SSC_NR_STATS; i++)
			DMEMIT(" %s %llu", ssc_stat_name(i), v[i]);
		DMEMIT(" state %s cleaner %s high_watermark %u low_watermark %u cleaning %d md_seq %llu commits %llu md_errors %llu",
		       READ_ONCE(sc->e.detached) ? "detached" : "active",
		       (sc->cfg.opts & SSC_OPT_EAGER_WRITEBACK) ? "eager" : "lazy",
		       sc->high_wm, sc->low_wm, READ_ONCE(sc->cleaning) ? 1 : 0,
		       sc->md.sb.seq, sc->md.commits, sc->md.errors);
		DMEMIT(" cache_state %s sequential_cutoff %llu",
		       READ_ONCE(sc->e.cache_failed) ? "failed" : "ok",
		       (unsigned long long)READ_ONCE(sc->e.seq_cutoff) << SECTOR_SHIFT);
		break;
	case STATUSTYPE_TABLE:
		ssc_format_table(&sc->cfg, buf, sizeof(buf));
		DMEMIT("%s %s %s", sc->origin->name, sc->cdev->name, buf);
		break;
	default:
		if (maxlen)
			result[0] = '\0';
		break;
	}
}

/* flush: write back everything dirty and wait (interruptible). */
static int ssc_flush_all(struct ssc_ctx *sc)
{
	int r;

	if (READ_ONCE(sc->stop_bg))
		return ssc_counter_read(&sc->e.c.nr_dirty) ? -EBUSY : 0;
	sc->clean_error = 0;
	atomic_inc(&sc->flush_all);
	/*
	 * The last dirty range may be cleaned by another path than the
	 * cleaner (a write-behind, a FUA write to both devices, a discard)
	 * after the cleaner found it busy and stopped: nothing wakes us
	 * then, so look again every second and kick the cleaner again.
	 */
	do {
		queue_work(sc->wq, &sc->clean_work);
		r = wait_event_interruptible_timeout(sc->clean_wait,
						     !ssc_counter_read(&sc->e.c.nr_dirty) ||
						     READ_ONCE(sc->clean_error) ||
						     READ_ONCE(sc->stop_bg), HZ);
	} while (!r);
	atomic_dec(&sc->flush_all);
	if (r < 0)
		return r;
	if (sc->clean_error)
		return sc->clean_error;
	if (ssc_counter_read(&sc->e.c.nr_dirty))
		return -EBUSY;
	return ssc_md_commit(sc, false, true);
}

/*
 * detach: no new data enters the cache; writes that decided otherwise
 * before they saw the flag are waited for (ssc_map_write counts them
 * before it reads it), then everything dirty is written back.
 */
static int ssc_detach(struct ssc_ctx *sc)
{
	int r;

	WRITE_ONCE(sc->e.detached, true);
	smp_mb();	/* pairs with ssc_map_write's count of nr_cwrites */
	DMINFO("%s: detaching: no new data enters the cache", ssc_name(sc));
	r = wait_event_interruptible(sc->bg_wait,
				     !atomic_read(&sc->nr_cwrites));
	if (r)
		return r;
	return ssc_flush_all(sc);
}

static int ssc_set_wm(struct ssc_ctx *sc, char *arg, bool high)
{
	unsigned int v;

	if (kstrtouint(arg, 10, &v) || v > 100)
		return -EINVAL;
	if ((high && v < sc->low_wm) || (!high && v > sc->high_wm))
		return -EINVAL;
	if (high)
		sc->high_wm = v;
	else
		sc->low_wm = v;
	ssc_kick_cleaner(sc);
	return 0;
}

/* sequential_cutoff <bytes>: a multiple of 512, at most 1 TiB; 0 is off. */
static int ssc_set_seq_cutoff(struct ssc_ctx *sc, char *arg)
{
	u64 v;

	if (kstrtou64(arg, 10, &v) || (v & 511) || v > (1ULL << 40)) {
		DMERR("%s: sequential_cutoff takes bytes, a multiple of 512 up to 1 TiB (0: off)",
		      ssc_name(sc));
		return -EINVAL;
	}
	ssc_eng_set_seq_cutoff(&sc->e, v >> SECTOR_SHIFT);
	return 0;
}

/*
 * Messages:
 *   reset_stats            zero the counters
 *   flush                  write back all dirty data, wait, commit
 *   detach                 stop caching new data, then flush: afterwards
 *                          the device can be removed and the origin used
 *                          alone
 *   attach                 cache new data again
 *   high_watermark <pct>   the cleaner starts above this share of dirty
 *                          blocks (write-back mode)
 *   low_watermark <pct>    ... and stops at this share
 *   sequential_cutoff <bytes>  misses of a stream that ran sequentially
 *                          this far go around the cache (0: off)
 */

/*
 * Message cache_ok (device suspended, so no I/O is in flight): the cache
 * device works again. Clean blocks are dropped, as writes that passed
 * through while the cache was failed did not update them.
 */
static int ssc_cache_ok(struct ssc_ctx *sc)
{
	unsigned long flags;
	u64 set, w;

	if (!dm_suspended(sc->ti)) {
		DMERR("%s: cache_ok needs a suspended device", ssc_name(sc));
		return -EBUSY;
	}
	for (set = 0; set < sc->e.c.g.nr_sets; set++) {
		spin_lock_irqsave(&sc->e.set_locks[set].l, flags);
		for (w = set * SSC_WAYS; w < (set + 1) * SSC_WAYS; w++)
			if (sc->e.c.ways[w].oblock != SSC_NO_BLOCK &&
			    ssc_way_reusable(&sc->e.c, w)) {
				ssc_way_evict(&sc->e.c, w);
				ssc_md_changed(sc, w);
			}
		spin_unlock_irqrestore(&sc->e.set_locks[set].l, flags);
		cond_resched();
	}
	atomic_set(&sc->cache_errs, 0);
	WRITE_ONCE(sc->e.cache_failed, false);
	DMINFO("%s: cache device in use again", ssc_name(sc));
	return 0;
}

static int ssc_message(struct dm_target *ti, unsigned int argc, char **argv,
		       char *result, unsigned int maxlen)
{
	struct ssc_ctx *sc = ti->private;
	int cpu;

	if (argc == 1 && !strcasecmp(argv[0], "reset_stats")) {
		for_each_possible_cpu(cpu)
			memset(per_cpu_ptr(sc->stats, cpu), 0,
			       sizeof(struct ssc_stats));
		return 0;
	}
	if (argc == 1 && !strcasecmp(argv[0], "flush"))
		return ssc_flush_all(sc);
	if (argc == 1 && !strcasecmp(argv[0], "detach"))
		return ssc_detach(sc);
	if (argc == 1 && !strcasecmp(argv[0], "attach")) {
		WRITE_ONCE(sc->e.detached, false);
		return 0;
	}
	if (argc == 2 && !strcasecmp(argv[0], "high_watermark"))
		return ssc_set_wm(sc, argv[1], true);
	if (argc == 2 && !strcasecmp(argv[0], "low_watermark"))
		return ssc_set_wm(sc, argv[1], false);
	if (argc == 1 && !strcasecmp(argv[0], "cache_ok"))
		return ssc_cache_ok(sc);
	if (argc == 2 && !strcasecmp(argv[0], "sequential_cutoff"))
		return ssc_set_seq_cutoff(sc, argv[1]);
	DMWARN("%s: unsupported message \"%s\" (%u arguments)", ssc_name(sc),
	       argc ? argv[0] : "", argc);
	return -EINVAL;
}

static int ssc_iterate_devices(struct dm_target *ti,
			       iterate_devices_callout_fn fn, void *data)
{
	struct ssc_ctx *sc = ti->private;
	int r;

	r = fn(ti, sc->origin, 0, ti->len, data);
	if (!r)
		r = fn(ti, sc->cdev, 0, bdev_nr_sectors(sc->cdev->bdev), data);
	return r;
}

/*
 * Discards go to the origin only (the cache just drops its copy): the
 * origin's discard granularity, not the coarser of both devices'.
 */
static void ssc_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct ssc_ctx *sc = ti->private;
	struct block_device *o = sc->origin->bdev;

	if (!ti->discards_supported)
		return;
	limits->discard_granularity = bdev_discard_granularity(o);
}

static struct target_type ssc_target = {
	.name = "ssdcache",
	.version = {1, 1, 0},
	.module = THIS_MODULE,
	.ctr = ssc_ctr,
	.dtr = ssc_dtr,
	.map = ssc_map,
	.end_io = ssc_end_io,
	.postsuspend = ssc_postsuspend,
	.preresume = ssc_preresume,
	.resume = ssc_resume,
	.status = ssc_status,
	.message = ssc_message,
	.iterate_devices = ssc_iterate_devices,
	.io_hints = ssc_io_hints,
};

static int __init ssc_init(void)
{
	int r;

	ssc_wb_cache = KMEM_CACHE(ssc_wb, 0);
	if (!ssc_wb_cache)
		return -ENOMEM;
	r = dm_register_target(&ssc_target);
	if (r < 0) {
		DMERR("register failed %d", r);
		kmem_cache_destroy(ssc_wb_cache);
	}
	return r;
}

static void __exit ssc_exit(void)
{
	dm_unregister_target(&ssc_target);
	kmem_cache_destroy(ssc_wb_cache);
}

module_init(ssc_init);
module_exit(ssc_exit);

MODULE_DESCRIPTION(DM_NAME " SSD cache target");
MODULE_AUTHOR("dm-ssdcache developers");
MODULE_LICENSE("GPL");
