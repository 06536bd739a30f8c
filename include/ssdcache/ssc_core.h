/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ssc_core.h - the dm-ssdcache cache core: configuration parsing, geometry,
 * hashed set-associative placement, lookup, replacement (LRU, LFU and the
 * adaptive policy of ssc_policy.c), per
 * sub-block state and the block lock state machine.
 *
 * The core knows nothing of bios, devices, locks or time. Its callers (the
 * kernel target, the unit tests, the tools) own locking: every function that
 * takes a set index must be called with that set protected, and every
 * function on a struct ssc_lockst with that lock state protected. No core
 * function blocks or allocates, except ssc_cache_alloc()/ssc_cache_free()
 * which take the allocator from the caller.
 */
#ifndef SSC_CORE_H
#define SSC_CORE_H

#include "ssc_env.h"

#define SSC_WAYS		16	/* cache blocks per set */
#define SSC_MAX_SUB		4096	/* max sub-blocks (logical blocks) per cache block */
#define SSC_MAX_ASSOC		64	/* max further sets probed by double hashing */
#define SSC_DEFAULT_BLOCK	256	/* sectors (128 KiB) */
#define SSC_DEFAULT_ASSOC	4
#define SSC_NO_BLOCK		(~(uint64_t)0)

enum ssc_mode {
	SSC_WRITETHROUGH = 0,
	SSC_WRITEBACK,
	SSC_READCACHE,
};

enum ssc_policy {
	SSC_LFU = 0,
	SSC_LRU,
	SSC_ADAPTIVE,	/* probation, main part with extra rounds, ghosts */
};

/* Option bits, in the order the table line prints them. */
enum ssc_opt {
	SSC_OPT_ASYNC_LOOKUP		= 1u << 0,
	SSC_OPT_QUEUE_BUSY		= 1u << 1,
	SSC_OPT_DISABLE_WRITEBACK	= 1u << 2,
	SSC_OPT_SKIP_WRITE_INSERT	= 1u << 3,
	SSC_OPT_EVICT_ON_WRITE		= 1u << 4,
	SSC_OPT_CMD_PRELOAD		= 1u << 5,
	SSC_OPT_EAGER_WRITEBACK		= 1u << 6,
};
#define SSC_NR_OPTS 7

/* A parsed table line (after the two device arguments). */
struct ssc_config {
	const char *origin;	/* points into the caller's argv */
	const char *cache;
	uint32_t block_sectors;
	uint32_t assoc;
	enum ssc_mode mode;
	enum ssc_policy policy;
	uint32_t opts;		/* enum ssc_opt bits */
	bool reformat;		/* discard what the cache device holds */
};

/*
 * Parse a table line: <origin> <cache> [blocksize <sectors>] [assoc <n>]
 * [writethrough|writeback|readcache] [options <count> <opt>...].
 * Keywords are case-insensitive, as in the RFC; a repeated keyword wins
 * over an earlier one. Only the syntax and the ranges that need no device
 * are checked here; ssc_geom_init() checks the rest.
 * Returns 0, or -EINVAL with *err set to a static message.
 */
int ssc_parse_table(unsigned int argc, char **argv, struct ssc_config *cfg,
		    const char **err);

/*
 * Print everything after the device names of a table line that
 * ssc_parse_table() reads back as @cfg. Returns the length it would
 * have written (like snprintf).
 */
int ssc_format_table(const struct ssc_config *cfg, char *buf, size_t len);

const char *ssc_mode_name(enum ssc_mode mode);
/* Name of the option bit @bit (one enum ssc_opt value), or NULL. */
const char *ssc_opt_name(uint32_t bit);
const char *ssc_policy_name(enum ssc_policy policy);

/* Cache geometry, fixed at construction. */
struct ssc_geom {
	uint64_t origin_sectors;	/* length of the cached region */
	uint64_t origin_blocks;
	uint64_t nr_sets;
	uint64_t nr_ways;		/* nr_sets * SSC_WAYS */
	uint32_t block_sectors;
	uint32_t block_shift;		/* log2(block_sectors) */
	uint32_t sub_sectors;		/* sectors per sub-block (logical block) */
	uint32_t sub_shift;
	uint32_t nsub;			/* sub-blocks per cache block */
	uint32_t words;			/* 64-bit words per sub-block bitmap */
	uint32_t assoc;
	uint64_t data_offset;		/* first data sector on the cache device */
};

/*
 * Derive the geometry. @lbs is the logical block size in bytes shared by
 * both devices. Returns 0 or -EINVAL with *err set.
 */
int ssc_geom_init(struct ssc_geom *g, const struct ssc_config *cfg,
		  uint64_t origin_sectors, uint64_t cache_sectors,
		  uint32_t lbs, const char **err);

/* Placement. Inline: every I/O hashes its block for its stripe. */
static inline uint64_t ssc_hash64(uint64_t v)
{
	v *= 0x61C8864680B583EBull;	/* 2^64 / the golden ratio */
	return v ^ (v >> 29);
}

/* An origin block's home set: the first of ssc_probe_sets(). */
static inline uint64_t ssc_home_set(const struct ssc_geom *g, uint64_t oblock)
{
	return oblock % g->nr_sets;
}

/*
 * Fill @sets (room for g->assoc + 1 entries) with the sets an origin block
 * may live in: its home set followed by the double-hashing probe sequence.
 * Returns the number of distinct sets written (at least 1).
 */
unsigned int ssc_probe_sets(const struct ssc_geom *g, uint64_t oblock,
			    uint64_t *sets);

static inline uint64_t ssc_way_sector(const struct ssc_geom *g, uint64_t way)
{
	return g->data_offset + (way << g->block_shift);
}

/*
 * Per cache-block state. For the adaptive policy, atime is the stamp of
 * the block's entry or last hit in the main part, and count holds its
 * reuses (2 bits) and SSC_POL_MAIN.
 */
struct ssc_way {
	uint64_t oblock;	/* SSC_NO_BLOCK when free */
	uint64_t atime;		/* LRU stamp (caller's clock) */
	uint32_t count;		/* LFU access count (saturating) */
	uint16_t busy;		/* I/O holding a reference to this block */
	uint8_t fills;		/* fills whose cache write is in flight */
	uint8_t flags;		/* enum ssc_way_flags */
};

enum ssc_way_flags {
	/* the committed metadata may say this block is dirty here */
	SSC_WF_DISK_DIRTY	= 1u << 0,
	/* dirty in the metadata of the commit in progress */
	SSC_WF_ENC_DIRTY	= 1u << 1,
};

/*
 * Sub-block bitmaps of one way: valid (the cache holds the data), dirty
 * (the origin does not) and inflight (a fill is writing it to the cache).
 */
enum ssc_bits {
	SSC_VALID = 0,
	SSC_DIRTY,
	SSC_INFLIGHT,
	SSC_NR_BITS,
};

struct ssc_cache {
	struct ssc_geom g;
	enum ssc_policy policy;
	struct ssc_way *ways;
	uint64_t *bits;		/* nr_ways * SSC_NR_BITS * words */
	struct ssc_counter nr_used;	/* ways holding an origin block */
	struct ssc_counter nr_dirty;	/* ways with dirty sub-blocks */
	struct ssc_counter nr_sets_used;	/* sets with a way in use */
	/* SSC_ADAPTIVE (ssc_policy.c) */
	struct ssc_counter nr_small;	/* ways on probation */
	uint64_t small_target;		/* probation's share of the ways */
	uint64_t *ghosts;		/* buckets of four 16-bit fingerprints */
	uint64_t nr_ghost_buckets;
};

/* Bytes of in-memory metadata per cache block for geometry @g. */
size_t ssc_bytes_per_block(const struct ssc_geom *g);
/* The same for a cache, its policy's share included (rounded up). */
size_t ssc_cache_bytes_per_block(const struct ssc_cache *c);

/*
 * Allocate/free the way and bitmap arrays through caller-supplied zeroing
 * allocator (kvzalloc in the kernel, calloc in userspace).
 */
int ssc_cache_init(struct ssc_cache *c, const struct ssc_geom *g,
		   enum ssc_policy policy,
		   void *(*zalloc)(size_t size, void *arg),
		   void *arg);
void ssc_cache_exit(struct ssc_cache *c, void (*release)(void *p, void *arg),
		    void *arg);

static inline uint64_t *ssc_bits(const struct ssc_cache *c, uint64_t way,
				 enum ssc_bits which)
{
	return c->bits + (way * SSC_NR_BITS + which) * c->g.words;
}

/* Range predicates and updates on one bitmap, sub-blocks [first, first+n). */
bool ssc_range_all(const struct ssc_cache *c, uint64_t way,
		   enum ssc_bits which, uint32_t first, uint32_t n);
bool ssc_range_any(const struct ssc_cache *c, uint64_t way,
		   enum ssc_bits which, uint32_t first, uint32_t n);
void ssc_range_set(struct ssc_cache *c, uint64_t way, enum ssc_bits which,
		   uint32_t first, uint32_t n);
void ssc_range_clear(struct ssc_cache *c, uint64_t way, enum ssc_bits which,
		     uint32_t first, uint32_t n);
bool ssc_way_any(const struct ssc_cache *c, uint64_t way, enum ssc_bits which);
uint32_t ssc_way_weight(const struct ssc_cache *c, uint64_t way,
			enum ssc_bits which);

/* ---- Set operations: the caller holds the set's lock. ---- */

/*
 * Way index (global) of @oblock in @set, or SSC_NO_BLOCK. Inline: the
 * lookup of every I/O runs it.
 */
static inline uint64_t ssc_set_find(const struct ssc_cache *c, uint64_t set,
				    uint64_t oblock)
{
	const struct ssc_way *x = &c->ways[set * SSC_WAYS];
	unsigned int i;

	for (i = 0; i < SSC_WAYS; i++)
		if (x[i].oblock == oblock)
			return set * SSC_WAYS + i;
	return SSC_NO_BLOCK;
}

/*
 * Replacement candidate in @set: a free way if there is one, else (when
 * @may_evict) the clean, idle way the policy likes least. *score orders
 * candidates across sets (lower is a better victim; free ways score 0).
 * Returns the global way index or SSC_NO_BLOCK.
 */
uint64_t ssc_set_candidate(const struct ssc_cache *c, uint64_t set,
			   bool may_evict, uint64_t *score);

/* Whether @way may be (re)used now: free, or clean and idle. */
bool ssc_way_reusable(const struct ssc_cache *c, uint64_t way);

/*
 * Install @oblock in @way (evicting its old block, which must be clean and
 * idle) at time @now. Returns true when an old block was evicted.
 */
bool ssc_way_install(struct ssc_cache *c, uint64_t way, uint64_t oblock,
		     uint64_t now);

/*
 * Install @oblock, found in the metadata at start-up, in the free @way:
 * stamped 0 (older than any access), in the adaptive policy's main part.
 */
void ssc_way_load(struct ssc_cache *c, uint64_t way, uint64_t oblock);

/* Drop the block held by @way (must be clean); the way becomes free. */
void ssc_way_evict(struct ssc_cache *c, uint64_t way);

/*
 * Record an access to sub-blocks [first, first + n) of @way for the
 * replacement policy (LRU and LFU count every access to the block).
 */
void ssc_way_touch(struct ssc_cache *c, uint64_t way, uint64_t now,
		   uint32_t first, uint32_t n);

/*
 * The adaptive policy (ssc_policy.c), called by the functions above. A
 * block enters on probation, or straight into the main part when a ghost
 * of it (the fingerprint an eviction from probation leaves) is found.
 * Victims come from probation while it holds more than its share, else
 * from the main part, least recently used first; a victim that was hit
 * is reprieved instead: off probation after two hits, or one more round
 * in the main part for each hit counted (up to two).
 */
#define SSC_POL_REPRIEVES	64	/* reprieves per allocation, at most */
#define SSC_POL_MAIN		0x4u	/* ssc_way.count: in the main part */
int ssc_pol_init(struct ssc_cache *c,
		 void *(*zalloc)(size_t size, void *arg), void *arg);
void ssc_pol_exit(struct ssc_cache *c, void (*release)(void *p, void *arg),
		  void *arg);
/* Whether victims come from probation now (false for other policies). */
bool ssc_pol_from_small(const struct ssc_cache *c);
/* Victim score of a block in use (lower goes first, never 0). */
uint64_t ssc_pol_score(const struct ssc_cache *c, const struct ssc_way *x);
/*
 * The allocator chose @way (in use, clean and idle) as its victim: reprieve
 * it if it earned that, and say so; the allocator then looks again. False
 * for the other policies.
 */
bool ssc_pol_reprieve(struct ssc_cache *c, uint64_t way, uint64_t now);
/* An access; @reuse: of data the block holds (else a first touch). */
void ssc_pol_touch(struct ssc_cache *c, struct ssc_way *x, uint64_t now,
		   bool reuse);
/* @x now holds @oblock (@loaded: from the metadata at start-up). */
void ssc_pol_install(struct ssc_cache *c, struct ssc_way *x, uint64_t oblock,
		     bool loaded);
/* @x's block is being replaced by another. */
void ssc_pol_replaced(struct ssc_cache *c, const struct ssc_way *x);
/* @x's block leaves the cache, for whatever reason. */
void ssc_pol_evict(struct ssc_cache *c, const struct ssc_way *x);

/*
 * Sub-block state transitions. All take the sub-block range of the I/O.
 *
 *   invalid --fill_start--> inflight --fill_done--> valid
 *   inflight --cancel--> invalid            (a write overtook the fill)
 *   any --write_done(dirty=false)--> valid, clean (written through)
 *   any --write_done(dirty=true)--> valid+dirty
 *   valid+dirty --clean--> valid            (written back to the origin)
 *   any clean --invalidate--> invalid
 *
 * Each keeps c->nr_dirty in step. Only one fill may be in flight per way
 * (a cancelled fill still occupies the cache until its write lands), so
 * fill_start returns false when another fill is in flight; fill_done ends
 * it and returns the number of sub-blocks it made valid (0 if cancelled).
 */
bool ssc_fill_start(struct ssc_cache *c, uint64_t way, uint32_t first,
		    uint32_t n);
uint32_t ssc_fill_done(struct ssc_cache *c, uint64_t way, uint32_t first,
		       uint32_t n, bool ok);
bool ssc_cancel(struct ssc_cache *c, uint64_t way, uint32_t first, uint32_t n);
void ssc_write_done(struct ssc_cache *c, uint64_t way, uint32_t first,
		    uint32_t n, bool dirty);
void ssc_clean(struct ssc_cache *c, uint64_t way, uint32_t first, uint32_t n);
/* Clear the dirty sub-blocks in @mask (words of the way's bitmap). */
void ssc_clean_mask(struct ssc_cache *c, uint64_t way, const uint64_t *mask);
void ssc_invalidate(struct ssc_cache *c, uint64_t way, uint32_t first,
		    uint32_t n);

/* What a read of [first, first+n) in a mapped way can do. */
enum ssc_read_kind {
	SSC_READ_HIT,		/* all valid: serve from the cache */
	SSC_READ_PARTIAL,	/* some not valid, none of the range dirty */
	SSC_READ_DIRTY_MIX,	/* some not valid, some dirty: no copy is whole */
};
enum ssc_read_kind ssc_classify_read(const struct ssc_cache *c, uint64_t way,
				     uint32_t first, uint32_t n);

/* ---- Block lock state (a stripe of origin blocks). ---- */

/*
 * Modes:
 *  SHARED    reads and fills; compatible with SHARED, BYPASS and WB.
 *  EXCL      writes that update the cache; compatible with nothing.
 *  BYPASS    a write that cancelled the cached copy and goes to the origin
 *            only; compatible with SHARED and BYPASS. While one is held no
 *            fill may start.
 *  WB        a write-behind copy (cache -> origin): after an EXCL write by
 *            ssc_lock_downgrade(), or taken by the cleaner; compatible
 *            with SHARED.
 */
enum ssc_lock_mode {
	SSC_LK_SHARED = 0,
	SSC_LK_EXCL,
	SSC_LK_BYPASS,
	SSC_LK_WB,
};

struct ssc_lockst {
	uint32_t readers;
	uint32_t bypass;
	uint32_t waiters;	/* I/O queued on this lock */
	uint8_t excl;
	uint8_t wb;
};

/*
 * Try to take @mode. A new request (@retry false) queues behind existing
 * waiters so that writers are not starved; a request being retried after a
 * wake-up competes normally. Returns true when granted.
 */
bool ssc_lock_try(struct ssc_lockst *l, enum ssc_lock_mode mode, bool retry);

/* Whether @mode would be compatible with the current holders. */
bool ssc_lock_compatible(const struct ssc_lockst *l, enum ssc_lock_mode mode);

/* Release @mode. Returns true when waiters should be woken. */
bool ssc_lock_release(struct ssc_lockst *l, enum ssc_lock_mode mode);

/* EXCL -> WB. Returns true when waiters should be woken. */
bool ssc_lock_downgrade(struct ssc_lockst *l);

/* Whether fills may start (no BYPASS writer active). */
static inline bool ssc_lock_fill_allowed(const struct ssc_lockst *l)
{
	return l->bypass == 0;
}

static inline bool ssc_lock_idle(const struct ssc_lockst *l)
{
	return !l->readers && !l->bypass && !l->excl && !l->wb && !l->waiters;
}

#endif /* SSC_CORE_H */
