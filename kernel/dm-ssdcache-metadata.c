// SPDX-License-Identifier: GPL-2.0
/*
 * dm-ssdcache-metadata.c - metadata I/O of the ssdcache target: format,
 * load and commit, with dm-io on the cache device. The format itself
 * (encoding, checks) is core/ssc_format.c, shared with the tools.
 *
 * Commit protocol (see ssc_format.h for the layout):
 *   1. encode each changed metadata block from the in-memory state (under
 *      its sets' locks): every state it describes is for data whose write
 *      completed before this point;
 *   2. flush the cache device (that data is now durable) and the origin
 *      (so is every write-back the encoded "clean" states rely on);
 *   3. write each block to the slot not holding its current version;
 *   4. write the superblock with the new sequence number, PREFLUSH+FUA.
 * Only then do the blocks' current slots flip and the ways' committed
 * dirty flags follow what was written. A torn or unfinished commit leaves
 * the previous version of every block in place.
 */
#include <linux/module.h>
#include <linux/blkdev.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/random.h>
#include <linux/ioprio.h>

#include "dm-ssdcache.h"

#define DM_MSG_PREFIX "ssdcache"

static int ssc_mdio(struct ssc_ctx *sc, struct block_device *bdev,
		    blk_opf_t opf, sector_t sector, void *buf, sector_t count)
{
	struct dm_io_region where = {
		.bdev = bdev,
		.sector = sector,
		.count = count,
	};
	struct dm_io_request req = {
		.bi_opf = opf,
		.mem.type = DM_IO_VMA,
		.mem.ptr.vma = buf,
		.client = sc->md.io,
	};
	unsigned long error_bits = 0;
	int r;

#ifdef SSC_DM_IO_IOPRIO
	r = dm_io(&req, 1, &where, &error_bits, IOPRIO_DEFAULT);
#else
	r = dm_io(&req, 1, &where, &error_bits);
#endif
	if (!r && error_bits)
		r = -EIO;
	return r;
}

int ssc_md_init(struct ssc_ctx *sc, u64 md_blocks)
{
	struct ssc_md *md = &sc->md;

	mutex_init(&md->lock);
	md->md_blocks = md_blocks;
	md->epm = ssc_entries_per_md(sc->e.c.g.words);
	md->io = dm_io_client_create();
	if (IS_ERR(md->io)) {
		int r = PTR_ERR(md->io);

		md->io = NULL;
		return r;
	}
	md->slot = kvzalloc(md_blocks, GFP_KERNEL);
	md->changed = kvcalloc(BITS_TO_LONGS(md_blocks), sizeof(long),
			       GFP_KERNEL);
	md->committing = kvcalloc(BITS_TO_LONGS(md_blocks), sizeof(long),
				  GFP_KERNEL);
	md->buf = vmalloc(SSC_MD_BATCH * 2 * SSC_MD_BLOCK);
	if (!md->slot || !md->changed || !md->committing || !md->buf)
		return -ENOMEM;
	return 0;
}

void ssc_md_exit(struct ssc_ctx *sc)
{
	struct ssc_md *md = &sc->md;

	vfree(md->buf);
	kvfree(md->committing);
	kvfree(md->changed);
	kvfree(md->slot);
	if (md->io)
		dm_io_client_destroy(md->io);
}

int ssc_md_read_sb(struct ssc_ctx *sc, struct ssc_sb *sb, const char **err)
{
	int r;

	r = ssc_mdio(sc, sc->cdev->bdev, REQ_OP_READ, 0, sc->md.buf,
		     SSC_MD_SECTORS);
	if (r) {
		*err = "Cannot read the cache superblock";
		return r;
	}
	return ssc_sb_decode(sb, sc->md.buf, err);
}

/* crc32c of the origin's first 4 KiB (0 stands for "unknown"). */
static u32 ssc_origin_fp(struct ssc_ctx *sc)
{
	u32 fp;

	if (ssc_mdio(sc, sc->origin->bdev, REQ_OP_READ, 0, sc->md.buf,
		     SSC_MD_SECTORS))
		return 0;
	fp = ssc_crc32c(0, sc->md.buf, SSC_MD_BLOCK);
	return fp ? fp : 1;
}

static int ssc_write_sb(struct ssc_ctx *sc)
{
	ssc_sb_encode(&sc->md.sb, sc->md.buf);
	return ssc_mdio(sc, sc->cdev->bdev,
			REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA, 0,
			sc->md.buf, SSC_MD_SECTORS);
}

/* Write an empty metadata set and a new superblock. */
static int ssc_md_format(struct ssc_ctx *sc)
{
	struct ssc_md *md = &sc->md;
	struct ssc_sb *sb = &md->sb;
	const struct ssc_geom *g = &sc->e.c.g;
	u64 b, i, n;
	int r;

	memset(sb, 0, sizeof(*sb));
	sb->version = SSC_FORMAT_VERSION;
	get_random_bytes(sb->uuid, sizeof(sb->uuid));
	sb->block_sectors = g->block_sectors;
	sb->lbs = g->sub_sectors << 9;
	sb->assoc = g->assoc;
	sb->mode = sc->cfg.mode;
	sb->nr_sets = g->nr_sets;
	sb->md_blocks = md->md_blocks;
	sb->data_offset = g->data_offset;
	sb->cache_sectors = bdev_nr_sectors(sc->cdev->bdev);
	sb->origin_sectors = g->origin_sectors;

	/* first invalidate any old superblock, then the metadata */
	memset(md->buf, 0, SSC_MD_BLOCK);
	r = ssc_mdio(sc, sc->cdev->bdev, REQ_OP_WRITE | REQ_FUA, 0, md->buf,
		     SSC_MD_SECTORS);
	if (r)
		return r;
	for (b = 0; b < md->md_blocks; b += n) {
		n = min_t(u64, SSC_MD_BATCH, md->md_blocks - b);
		for (i = 0; i < n; i++) {
			u8 *slots = (u8 *)md->buf + 2 * i * SSC_MD_BLOCK;

			ssc_md_encode(&sc->e.c, b + i, 0, slots);
			memset(slots + SSC_MD_BLOCK, 0, SSC_MD_BLOCK);
		}
		r = ssc_mdio(sc, sc->cdev->bdev, REQ_OP_WRITE,
			     ssc_md_sector(b, 0), md->buf,
			     2 * n * SSC_MD_SECTORS);
		if (r)
			return r;
	}
	memset(md->slot, 0, md->md_blocks);
	r = ssc_write_sb(sc);
	if (r)
		return r;
	DMINFO("%s: formatted the cache: %llu blocks of %u sectors",
	       dm_table_device_name(sc->ti->table), g->nr_ways,
	       g->block_sectors);
	return 0;
}

/*
 * Check the superblock against the table: 0 when the geometry is the same.
 * Another geometry is refused only when the cache holds dirty data (the
 * caller reformats a clean one: it holds copies of the origin only).
 */
static int ssc_md_match(struct ssc_ctx *sc, const char **err)
{
	const struct ssc_sb *sb = &sc->md.sb;
	const struct ssc_geom *g = &sc->e.c.g;

	if (sb->block_sectors != g->block_sectors) {
		*err = "Cache was formatted with another blocksize and holds dirty data (load it with its old table and flush, or add 'reformat' to discard it)";
		return -EINVAL;
	}
	if (sb->lbs != g->sub_sectors << 9) {
		*err = "Cache was formatted for another logical block size and holds dirty data";
		return -EINVAL;
	}
	if (sb->assoc != g->assoc) {
		*err = "Cache was formatted with another assoc and holds dirty data (load it with its old table and flush, or add 'reformat' to discard it)";
		return -EINVAL;
	}
	if (sb->nr_sets != g->nr_sets || sb->md_blocks != sc->md.md_blocks) {
		*err = "Cache device size changed since it was formatted, and it holds dirty data";
		return -EINVAL;
	}
	if (sb->origin_sectors != g->origin_sectors) {
		*err = "Cache belongs to an origin of another size and holds dirty data (add 'reformat' to discard it)";
		return -EINVAL;
	}
	return 0;
}

static int ssc_md_load(struct ssc_ctx *sc, bool dirty_only, const char **err)
{
	struct ssc_md *md = &sc->md;
	u64 b, i, n;
	int r;

	for (b = 0; b < md->md_blocks; b += n) {
		n = min_t(u64, SSC_MD_BATCH, md->md_blocks - b);
		r = ssc_mdio(sc, sc->cdev->bdev, REQ_OP_READ,
			     ssc_md_sector(b, 0), md->buf,
			     2 * n * SSC_MD_SECTORS);
		if (r) {
			*err = "Cannot read the cache metadata";
			return r;
		}
		for (i = 0; i < n; i++) {
			u8 *a = (u8 *)md->buf + 2 * i * SSC_MD_BLOCK;
			int use = ssc_md_pick_slot(a, b + i, sc->e.c.g.words,
						   md->sb.seq);

			if (use < 0) {
				*err = "Cache metadata is corrupt (a block with no valid copy; add 'reformat' to discard)";
				return -EINVAL;
			}
			md->slot[b + i] = use;
			r = ssc_md_decode(&sc->e.c, a + use * SSC_MD_BLOCK, b + i,
					  dirty_only, err);
			if (r)
				return r;
		}
	}
	return 0;
}

/*
 * Format or load the cache (from the constructor, or from preresume when
 * the table was built while another one used the device).
 */
int ssc_md_open(struct ssc_ctx *sc, const char **err)
{
	struct ssc_md *md = &sc->md;
	bool crashed, dirty_only;
	int r;

	if (md->loaded)
		return 0;
	if (sc->cfg.reformat) {
		r = ssc_md_format(sc);
		if (!r)
			ssc_claim_set_stale(sc, false);
		goto out;
	}
	if (sc->reload && ssc_claim_stale(sc)) {
		/*
		 * What is on the cache device is older than what the old
		 * table showed (a completed write recorded in its memory
		 * only): loading it would serve the origin's older data.
		 */
		*err = "The live table could not save its metadata (cache device errors): what the cache device holds is out of date; check the cache device, then remove the device and create it again (what a power loss leaves: writes not flushed may be lost) or with 'reformat'";
		return -EIO;
	}
	r = ssc_md_read_sb(sc, &md->sb, err);
	if (r == -ENOENT) {
		r = ssc_md_format(sc);
		goto out;
	}
	if (r)
		return r;
	r = ssc_md_match(sc, err);
	if (r && (md->sb.flags & SSC_SB_CLEAN) && !md->sb.dirty_blocks) {
		/*
		 * Shut down cleanly with nothing dirty (the count is exact
		 * then: nothing ran while the last commit took it): every
		 * block the cache holds is a copy of the origin, and nothing
		 * is lost by starting over. Only a clean superblock says that
		 * no table uses the device (a live one clears the flag, and
		 * another path to the same device would not be in the claims).
		 * After a crash the count may lag the committed entries: the
		 * caller must say "reformat" (ssdcache create reads the
		 * metadata to decide).
		 */
		DMINFO("%s: the cache was formatted with another geometry (blocksize %u, assoc %u, %llu sets, lbs %u, origin %llu sectors; now %u, %u, %llu, %u, %llu) and holds no dirty data: reformatting",
		       dm_table_device_name(sc->ti->table), md->sb.block_sectors,
		       md->sb.assoc, md->sb.nr_sets, md->sb.lbs,
		       md->sb.origin_sectors, sc->e.c.g.block_sectors,
		       sc->e.c.g.assoc, sc->e.c.g.nr_sets,
		       sc->e.c.g.sub_sectors << 9, sc->e.c.g.origin_sectors);
		r = ssc_md_format(sc);
		goto out;
	}
	if (r && !md->sb.dirty_blocks)
		*err = "Cache was formatted with another geometry and was not shut down cleanly (or is in use through another path): load it once with its old table, or add 'reformat' if it holds no dirty data";
	if (r)
		return r;
	crashed = !(md->sb.flags & SSC_SB_CLEAN);
	dirty_only = crashed;
	if (!crashed && md->sb.origin_fp && ssc_origin_fp(sc) != md->sb.origin_fp) {
		if (md->sb.dirty_blocks) {
			*err = "Origin changed while the cache was away, and the cache holds dirty data for it";
			return -EINVAL;
		}
		DMWARN("%s: origin changed while the cache was away; starting cold",
		       dm_table_device_name(sc->ti->table));
		dirty_only = true;
	}
	r = ssc_md_load(sc, dirty_only, err);
	if (r)
		return r;
	/*
	 * Entries dropped by a cold load are gone in memory only: every
	 * metadata block must be written again, or the next clean shutdown
	 * would stamp CLEAN over the old entries and a later load serve them.
	 */
	if (dirty_only)
		bitmap_set(md->changed, 0, md->md_blocks);
	ssc_counter_set(&sc->e.disk_dirty, ssc_counter_read(&sc->e.c.nr_dirty));
	DMINFO("%s: loaded the cache after a %s shutdown: %llu blocks, %llu dirty",
	       dm_table_device_name(sc->ti->table),
	       crashed ? "crash or unclean" : "clean", ssc_counter_read(&sc->e.c.nr_used),
	       ssc_counter_read(&sc->e.c.nr_dirty));
out:
	if (r) {
		*err = "Cannot write the cache metadata";
		return r;
	}
	md->loaded = true;
	return 0;
}

/* Before the device goes live: a crash from now on must be noticed. */
int ssc_md_mark_live(struct ssc_ctx *sc)
{
	struct ssc_md *md = &sc->md;
	int r = 0;

	mutex_lock(&md->lock);
	if (md->sb.flags & SSC_SB_CLEAN) {
		md->sb.flags &= ~SSC_SB_CLEAN;
		md->sb.mode = sc->cfg.mode;
		r = ssc_write_sb(sc);
		if (r) {
			md->sb.flags |= SSC_SB_CLEAN;
			md->errors++;
		}
	}
	mutex_unlock(&md->lock);
	return r;
}

struct ssc_enc_arg {
	u64 b;
	u8 *buf;
};

static void ssc_encode_ways(const struct ssc_cache *c, u64 from, u64 to,
			    void *arg)
{
	struct ssc_enc_arg *a = arg;

	ssc_md_encode_ways(c, a->b, from, to, a->buf);
}

/* Encode metadata block @b into @buf, each set under its lock. */
static void ssc_encode_block(struct ssc_ctx *sc, u64 b, u64 seq, u8 *buf)
{
	u64 first = b * sc->md.epm, end, from, to;
	struct ssc_enc_arg a = { .b = b, .buf = buf };

	memset(buf, 0, SSC_MD_BLOCK);
	end = min_t(u64, first + sc->md.epm, sc->e.c.g.nr_ways);
	for (from = first; from < end; from = to) {
		to = min_t(u64, (from / SSC_WAYS + 1) * SSC_WAYS, end);
		ssc_eng_md_encode(&sc->e, from, to, ssc_encode_ways, &a);
	}
	ssc_md_seal(&sc->e.c, b, seq, buf);
}

/* The commit of block @b succeeded: its committed state is the encoded one. */
static void ssc_block_committed(struct ssc_ctx *sc, u64 b)
{
	u64 first = b * sc->md.epm;

	ssc_eng_md_committed(&sc->e, first,
			     min_t(u64, first + sc->md.epm, sc->e.c.g.nr_ways));
}

/*
 * Commit every changed metadata block; with @clean, mark the shutdown
 * clean (the caller guarantees no I/O runs). With nothing changed, only a
 * @flush (for a REQ_PREFLUSH) still flushes both devices, and a periodic
 * call costs no I/O. Returns 0 or an error, after which the changes stay
 * pending.
 */
int ssc_md_commit(struct ssc_ctx *sc, bool clean, bool flush)
{
	struct ssc_md *md = &sc->md;
	u64 seq, b = 0, ids[SSC_MD_BATCH];
	unsigned int n, i;
	int r = 0;

	if (!md->loaded)
		return 0;
	mutex_lock(&md->lock);
	if (!clean && bitmap_empty(md->changed, md->md_blocks)) {
		if (flush) {
			r = blkdev_issue_flush(sc->cdev->bdev);
			if (!r)
				r = blkdev_issue_flush(sc->origin->bdev);
		}
		mutex_unlock(&md->lock);
		return r;
	}
	seq = md->sb.seq + 1;
	bitmap_zero(md->committing, md->md_blocks);
	for (;;) {
		n = 0;
		while (n < SSC_MD_BATCH) {
			b = find_next_bit(md->changed, md->md_blocks, b);
			if (b >= md->md_blocks)
				break;
			clear_bit(b, md->changed);
			set_bit(b, md->committing);
			ssc_encode_block(sc, b, seq,
					 (u8 *)md->buf + n * SSC_MD_BLOCK);
			ids[n++] = b++;
		}
		if (!n)
			break;
		r = blkdev_issue_flush(sc->cdev->bdev);
		if (!r)
			r = blkdev_issue_flush(sc->origin->bdev);
		for (i = 0; i < n && !r; i++)
			r = ssc_mdio(sc, sc->cdev->bdev, REQ_OP_WRITE,
				     ssc_md_sector(ids[i], md->slot[ids[i]] ^ 1),
				     (u8 *)md->buf + i * SSC_MD_BLOCK,
				     SSC_MD_SECTORS);
		if (r)
			goto fail;
	}
	md->sb.seq = seq;
	md->sb.mode = sc->cfg.mode;
	md->sb.dirty_blocks = ssc_counter_read(&sc->e.c.nr_dirty);
	md->sb.used_blocks = ssc_counter_read(&sc->e.c.nr_used);
	if (clean) {
		md->sb.flags |= SSC_SB_CLEAN;
		md->sb.origin_fp = ssc_origin_fp(sc);
	}
	r = ssc_write_sb(sc);
	if (r) {
		md->sb.seq = seq - 1;
		md->sb.flags &= ~SSC_SB_CLEAN;
		goto fail;
	}
	for (b = find_first_bit(md->committing, md->md_blocks);
	     b < md->md_blocks;
	     b = find_next_bit(md->committing, md->md_blocks, b + 1)) {
		md->slot[b] ^= 1;
		ssc_block_committed(sc, b);
	}
	md->commits++;
	mutex_unlock(&md->lock);
	return 0;
fail:
	bitmap_or(md->changed, md->changed, md->committing, md->md_blocks);
	md->errors++;
	mutex_unlock(&md->lock);
	DMERR_LIMIT("%s: metadata commit failed: %d",
		    dm_table_device_name(sc->ti->table), r);
	return r;
}
