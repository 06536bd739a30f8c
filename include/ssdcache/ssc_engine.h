/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ssc_engine.h - the dm-ssdcache I/O engine: every decision and every state
 * transition of an I/O, in plain C shared by the kernel target, ssc-sim and
 * the userspace interleaving explorer (tools/ssc-explore.c).
 *
 * The engine owns the cache state (struct ssc_cache), the block locks
 * (stripes of origin blocks, with their wait lists) and the set locks. Its
 * caller, the environment, owns the data: it turns an I/O into a struct
 * ssc_req, asks the engine for a plan (ssc_eng_map), carries the plan out
 * (sends the I/O to the cache or to the origin, copies data, runs work in
 * process context) and reports each completion back (ssc_eng_*_end), which
 * may return the next step. Nothing here blocks, allocates or sleeps; locks
 * are the environment's spinlocks (ssc_env.h), taken in one order: a
 * stripe's before a set's, never the other way round.
 *
 * The environment provides the hooks declared at the end of this file
 * (a link-time seam, as OCF's env: no indirect calls on the I/O path).
 *
 * The life of a request:
 *
 *   ssc_eng_req_init ─► ssc_eng_map ─┬─ QUEUED: waits on its block; given
 *                                    │    back by ssc_env_requeue(), then
 *                                    │    ssc_eng_map again
 *                                    ├─ READ_CACHE ─────► ssc_eng_read_hit_end
 *                                    ├─ READ_ORIGIN ────► ssc_eng_read_miss_end
 *                                    │     (req->fill: a fill follows,
 *                                    │      ended by ssc_eng_fill_end)
 *                                    ├─ DEMAND_CLEAN ───► (write back req->way)
 *                                    │                    ssc_eng_demand_clean_end
 *                                    ├─ ORIGIN ─────────► ssc_eng_origin_end
 *                                    ├─ WRITE_CACHE ────► ssc_eng_write_end
 *                                    ├─ WRITE_BOTH ─────► ssc_eng_write_end
 *                                    │     (once both halves are done)
 *                                    └─ WRITE_ASYNC: the origin half now,
 *                                          ssc_eng_async_lookup from process
 *                                          context, then ssc_eng_write_end
 */
#ifndef SSC_ENGINE_H
#define SSC_ENGINE_H

#include "ssc_core.h"

/* Statistics, in the order the target's status prints them. */
enum ssc_stat {
	SSC_ST_READ_HITS,	/* reads served from the cache */
	SSC_ST_READ_MISSES,	/* reads sent to the origin */
	SSC_ST_WRITE_HITS,	/* writes to blocks in the cache */
	SSC_ST_WRITE_MISSES,	/* writes to blocks not in the cache */
	SSC_ST_READ_CLEAN,	/* RFC: read hit on valid data */
	SSC_ST_READ_BUSY,	/* RFC: read waited for a busy block */
	SSC_ST_READ_INVALID,	/* RFC: block cached, range not valid */
	SSC_ST_READ_MISS,	/* RFC: block not cached */
	SSC_ST_WRITE_BUSY,	/* RFC: write waited for a busy block */
	SSC_ST_WRITE_CANCEL,	/* RFC: write cancelled a cached copy or fill */
	SSC_ST_WRITE_INVALID,	/* RFC: write invalidated cached data */
	SSC_ST_WRITE_MISS,	/* RFC: write to a block not cached */
	SSC_ST_WRITE_DONE,	/* RFC: write stored in the cache */
	SSC_ST_WRITE_SKIP,	/* RFC: write miss that allocated nothing */
	SSC_ST_BYPASSED,	/* I/O the cache could not take */
	SSC_ST_EVICTIONS,
	SSC_ST_CANCELLED_FILLS,	/* fills dropped (raced a write, no memory) */
	SSC_ST_CANCELLED_BIOS,	/* I/O completed with an error */
	SSC_ST_FILLS,		/* fills written to the cache */
	SSC_ST_WRITEBACKS,	/* write-behind copies to the origin */
	SSC_ST_CACHE_ERRORS,	/* failed cache device I/O */
	SSC_ST_ORIGIN_ERRORS,	/* failed origin device I/O */
	SSC_ST_DISCARDS,	/* discards and write-zeroes */
	SSC_ST_FLUSHES,
	SSC_ST_CLEANED,		/* dirty blocks written back by the cleaner */
	SSC_ST_DEMAND_CLEANS,	/* blocks written back for a read */
	SSC_ST_SEQ_BYPASSED,	/* misses of a sequential stream past the cutoff */
	SSC_NR_STATS
};

/* Name of a statistic as the status line prints it. */
const char *ssc_stat_name(enum ssc_stat s);

enum ssc_op {
	SSC_OP_READ = 0,
	SSC_OP_WRITE,
	SSC_OP_DISCARD,		/* discard or write-zeroes: origin only */
};

/* One I/O of at most one cache block, as the engine sees it. */
struct ssc_req {
	struct ssc_req *next;	/* on a wait list, or in a requeued batch */
	uint64_t oblock;
	uint64_t way;		/* the way it holds a reference on */
	uint32_t first;		/* sub-block range [first, first + n) */
	uint32_t n;
	uint32_t stripe;
	uint8_t op;		/* enum ssc_op */
	uint8_t mode;		/* enum ssc_lock_mode, while locked */
	bool locked;
	bool retry;		/* re-run after a wake-up */
	bool want_excl;		/* a read waiting for the block to go idle */
	bool fill;		/* a read miss that fills the cache */
	bool aligned;		/* whole sub-blocks */
	bool writeback;		/* a write to the cache only (write-back) */
	bool eager;		/* ... with a write-behind ready to start */
	bool fallback;		/* cache half failed, re-sent to the origin */
	bool no_bypass;		/* found dirty data: wait for EXCL */
	bool inval_end;		/* drop the cached range once the origin has it */
	bool need_commit;	/* FUA: commit the metadata before completing */
	bool fua;
	bool cwrite;		/* counted by ssc_env_cwrite_get() */
	bool touched;		/* its access is recorded for the policy */
	bool cerr;		/* the cache half failed */
	bool oerr;		/* the origin half failed */
};

/* A block lock: a stripe of origin blocks, and who waits for it. */
struct ssc_eng_stripe {
	struct ssc_spinlock lock;
	struct ssc_lockst st;
	struct ssc_req *wait_head;
	struct ssc_req *wait_tail;
};

/* A stream of misses: where its next I/O would start, how far it ran. */
#define SSC_SEQ_STREAMS		16
struct ssc_eng_stream {
	uint64_t next;
	uint64_t run;		/* sectors */
	uint64_t stamp;
};

struct ssc_engine {
	struct ssc_cache c;
	struct ssc_spinlock *set_locks;	/* one per set */
	struct ssc_eng_stripe *stripes;
	uint32_t stripe_mask;
	enum ssc_mode mode;
	uint32_t opts;			/* enum ssc_opt */
	struct ssc_counter clock;	/* LRU/LFU stamps */
	/* ways the committed metadata calls dirty (SSC_WF_DISK_DIRTY) */
	struct ssc_counter disk_dirty;
	/* sequential cutoff (sectors, 0: off) and the recent streams */
	uint64_t seq_cutoff;
	struct ssc_spinlock seq_lock;
	struct ssc_eng_stream streams[SSC_SEQ_STREAMS];
	uint64_t seq_clock;
	bool detached;			/* no new data enters the cache */
	bool cache_failed;		/* too many cache errors */
#ifndef __KERNEL__
	const struct ssc_env_ops *env;	/* userspace hooks, see below */
	void *env_arg;
#endif
};

/*
 * Set up @e for geometry @g: the cache arrays, @nstripes block locks (a
 * power of two) and the set locks, through the caller's allocator.
 * Returns 0 or -ENOMEM (then call ssc_eng_exit()).
 */
int ssc_eng_init(struct ssc_engine *e, const struct ssc_geom *g,
		 enum ssc_policy policy, enum ssc_mode mode, uint32_t opts,
		 uint32_t nstripes,
		 void *(*zalloc)(size_t size, void *arg), void *arg);
void ssc_eng_exit(struct ssc_engine *e,
		  void (*release)(void *p, void *arg), void *arg);

/*
 * Misses of a stream that has run sequentially (each I/O starting where one
 * of the last 16 missing streams ended) for @sectors or more go around the
 * cache: reads are not filled, writes not allocated. 0 (the default)
 * turns it off.
 */
void ssc_eng_set_seq_cutoff(struct ssc_engine *e, uint64_t sectors);

/* Stripes for a cache of @g: a power of two in [1024, 65536]. */
uint32_t ssc_eng_nstripes(const struct ssc_geom *g);

/*
 * Describe an I/O of @nsect sectors at @sector (relative to the target,
 * within one cache block). @fua as the I/O was submitted.
 */
void ssc_eng_req_init(struct ssc_engine *e, struct ssc_req *r,
		      enum ssc_op op, uint64_t sector, uint32_t nsect,
		      bool fua);

enum ssc_plan {
	SSC_PLAN_QUEUED,	/* waits; ssc_env_requeue() gives it back */
	SSC_PLAN_KILL,		/* complete it with an error, nothing held */
	SSC_PLAN_DONE,		/* complete it (status: its origin half's) */
	SSC_PLAN_READ_CACHE,	/* read it from req->way */
	SSC_PLAN_READ_ORIGIN,	/* read it from the origin (req->fill) */
	SSC_PLAN_DEMAND_CLEAN,	/* process context: write back req->way */
	SSC_PLAN_ORIGIN,	/* write it to the origin only */
	SSC_PLAN_WRITE_CACHE,	/* write it to req->way only (write-back) */
	SSC_PLAN_WRITE_BOTH,	/* write it to req->way and to the origin */
	SSC_PLAN_WRITE_ASYNC,	/* origin now; ssc_eng_async_lookup() later */
};

/* Decide what a request does now (first time, or after a requeue). */
enum ssc_plan ssc_eng_map(struct ssc_engine *e, struct ssc_req *r);

/*
 * A READ_CACHE read completed. Returns DONE, READ_ORIGIN (the cache read
 * failed: read the origin, which holds the same data; the lock is kept,
 * ssc_eng_retry_end() ends it) or KILL (failed, and only the cache held
 * the data).
 */
enum ssc_plan ssc_eng_read_hit_end(struct ssc_engine *e, struct ssc_req *r,
				   bool error);
void ssc_eng_retry_end(struct ssc_engine *e, struct ssc_req *r);

/*
 * A READ_ORIGIN read completed. Returns true when the environment must
 * now start the fill (copy the data read, write it to req->way): the fill
 * owns the request's way reference and lock from here, and
 * ssc_eng_fill_end() with the values of ssc_eng_fill_of() ends it, also
 * when the environment could not start it (ok false).
 */
struct ssc_fill_ref {
	uint64_t way;
	uint32_t first;
	uint32_t n;
	uint32_t stripe;
};

bool ssc_eng_read_miss_end(struct ssc_engine *e, struct ssc_req *r,
			   bool error, struct ssc_fill_ref *f);
void ssc_eng_fill_end(struct ssc_engine *e, const struct ssc_fill_ref *f,
		      bool ok);

/*
 * DEMAND_CLEAN: the environment wrote back every dirty sub-block of
 * req->way (ssc_eng_dirty_snapshot, copy, ssc_eng_dirty_cleaned), or
 * failed (@error). Returns the read's next plan.
 */
enum ssc_plan ssc_eng_demand_clean_end(struct ssc_engine *e,
				       struct ssc_req *r, bool error);

/* An ORIGIN write completed. Returns whether it waits for a commit. */
bool ssc_eng_origin_end(struct ssc_engine *e, struct ssc_req *r, bool error);

/* WRITE_ASYNC from process context: true when the cache half goes to req->way. */
bool ssc_eng_async_lookup(struct ssc_engine *e, struct ssc_req *r);

enum ssc_wend {
	SSC_WEND_COMPLETE,	/* complete it (req->oerr), nothing held */
	/* process context: write it to the origin, then ssc_eng_write_end() again */
	SSC_WEND_FALLBACK,
	SSC_WEND_LAZY,		/* complete it; dirty, the cleaner copies it */
	/* complete it; start the write-behind @wb, ended by ssc_eng_wb_end() */
	SSC_WEND_BEHIND,
};

/*
 * Every half of a WRITE_CACHE, WRITE_BOTH or WRITE_ASYNC write completed
 * (req->cerr, req->oerr say how). Then complete it, after a metadata
 * commit when req->need_commit.
 */
enum ssc_wend ssc_eng_write_end(struct ssc_engine *e, struct ssc_req *r,
				struct ssc_fill_ref *wb);
void ssc_eng_wb_end(struct ssc_engine *e, const struct ssc_fill_ref *wb,
		    bool ok);

/* ---- cleaning ---- */

struct ssc_clean_item {
	uint64_t way;
	uint64_t oblock;
	uint32_t stripe;
	uint64_t snap[SSC_MAX_SUB / 64];	/* the dirty sub-blocks copied */
};

/*
 * Pick up to @max dirty blocks from *cursor on, lock them (WB) and take a
 * reference; returns how many. ssc_eng_clean_end() releases each.
 */
unsigned int ssc_eng_clean_pick(struct ssc_engine *e, uint64_t *cursor,
				struct ssc_clean_item *items, unsigned int max);
void ssc_eng_clean_end(struct ssc_engine *e, struct ssc_clean_item *it,
		       bool ok);

/* The dirty bitmap of @way (caller holds its block lock and a reference). */
void ssc_eng_dirty_snapshot(struct ssc_engine *e, uint64_t way, uint64_t *snap);
/* The sub-blocks of @snap were written back. */
void ssc_eng_dirty_cleaned(struct ssc_engine *e, uint64_t way,
			   const uint64_t *snap);

/* ---- metadata commits ---- */

/*
 * A commit records ways [from, to) (within one set): under the set's lock,
 * @encode(c, from, to, arg) copies their state into the metadata being
 * written, and each way that holds dirty data is marked as recorded dirty
 * by it (and by the committed metadata from now on, which may be older:
 * such a way is not reused until a commit records it clean).
 */
void ssc_eng_md_encode(struct ssc_engine *e, uint64_t from, uint64_t to,
		       void (*encode)(const struct ssc_cache *c, uint64_t from,
				      uint64_t to, void *arg),
		       void *arg);
/* The metadata that recorded ways [from, to) is durable. */
void ssc_eng_md_committed(struct ssc_engine *e, uint64_t from, uint64_t to);

/* ---- flushes and state ---- */

/*
 * Whether the metadata may hold dirty state a flush has to bring up to
 * date: dirty data in memory, or ways the committed metadata still calls
 * dirty.
 */
bool ssc_eng_dirty_state(struct ssc_engine *e);
/* Whether a flush must commit the metadata (always in write-back). */
bool ssc_eng_flush_commits(struct ssc_engine *e);
/* Whether new data may enter the cache (attached and not failed). */
bool ssc_eng_caching(struct ssc_engine *e);

static inline uint32_t ssc_eng_stripe_of(const struct ssc_engine *e,
					 uint64_t oblock)
{
	return (uint32_t)(ssc_hash64(oblock) >> 32) & e->stripe_mask;
}

/* ---- provided by the environment ---- */

/* Count one event. */
void ssc_env_stat(struct ssc_engine *e, enum ssc_stat s);
/* @way's persistent state changed (its metadata block must be committed). */
void ssc_env_md_changed(struct ssc_engine *e, uint64_t way);
/*
 * Requests woken from a wait list, linked by ->next, their retry flag set;
 * called with no engine lock held. Each is given to ssc_eng_map() again.
 */
void ssc_env_requeue(struct ssc_engine *e, struct ssc_req *list);
/*
 * Writes that may still put data in the cache are counted (detach waits
 * for the count to drain): get is called before the engine reads
 * e->detached, and must order the two (a full barrier in the kernel).
 */
void ssc_env_cwrite_get(struct ssc_engine *e);
void ssc_env_cwrite_put(struct ssc_engine *e);

#ifndef __KERNEL__
/*
 * In userspace the hooks above call these, through e->env (each may be
 * NULL: stat, md_changed and the cwrite pair then do nothing; without
 * requeue no request may ever wait, and the program aborts if one does).
 */
struct ssc_env_ops {
	void (*stat)(struct ssc_engine *e, enum ssc_stat s);
	void (*md_changed)(struct ssc_engine *e, uint64_t way);
	void (*requeue)(struct ssc_engine *e, struct ssc_req *list);
	void (*cwrite_get)(struct ssc_engine *e);
	void (*cwrite_put)(struct ssc_engine *e);
};
#endif

#endif /* SSC_ENGINE_H */
