// SPDX-License-Identifier: GPL-2.0
/*
 * ssc_engine.c - the I/O engine: block locks, lookup and allocation, and
 * what every kind of I/O does to the cache state, from its map to its last
 * completion. See ssc_engine.h for the life of a request.
 *
 * Locks: a stripe's lock protects its struct ssc_lockst and wait list; a
 * set's lock protects its ways and their bitmaps. Installs and fill starts
 * hold the stripe's lock around the set's; nothing takes them the other
 * way round, and no other lock is ever held with a set's.
 */
#include "ssdcache/ssc_engine.h"

static const char *const stat_names[SSC_NR_STATS] = {
	"read_hits", "read_misses", "write_hits", "write_misses",
	"read_clean", "read_busy", "read_invalid", "read_miss",
	"write_busy", "write_cancel", "write_invalid", "write_miss",
	"write_done", "write_skip", "bypassed", "evictions",
	"cancelled_fills", "cancelled_bios", "fills", "writebacks",
	"cache_errors", "origin_errors", "discards", "flushes",
	"cleaned", "demand_cleans", "seq_bypassed",
};

const char *ssc_stat_name(enum ssc_stat s)
{
	return (unsigned int)s < SSC_NR_STATS ? stat_names[s] : NULL;
}

/* ---- setup ---- */

uint32_t ssc_eng_nstripes(const struct ssc_geom *g)
{
	uint32_t n = 1024;

	while (n < 65536 && n < g->nr_ways)
		n <<= 1;
	return n;
}

int ssc_eng_init(struct ssc_engine *e, const struct ssc_geom *g,
		 enum ssc_policy policy, enum ssc_mode mode, uint32_t opts,
		 uint32_t nstripes,
		 void *(*zalloc)(size_t size, void *arg), void *arg)
{
	uint64_t i;
	int r;

	memset(e, 0, sizeof(*e));
	e->mode = mode;
	e->opts = opts;
	ssc_spin_init(&e->seq_lock);
	r = ssc_cache_init(&e->c, g, policy, zalloc, arg);
	if (r)
		return r;
	e->set_locks = zalloc(g->nr_sets * sizeof(*e->set_locks), arg);
	if (!e->set_locks)
		return -ENOMEM;
	for (i = 0; i < g->nr_sets; i++)
		ssc_spin_init(&e->set_locks[i]);
	if (!nstripes || (nstripes & (nstripes - 1)))
		return -EINVAL;
	e->stripes = zalloc(nstripes * sizeof(*e->stripes), arg);
	if (!e->stripes)
		return -ENOMEM;
	for (i = 0; i < nstripes; i++)
		ssc_spin_init(&e->stripes[i].lock);
	e->stripe_mask = nstripes - 1;
	return 0;
}

void ssc_eng_exit(struct ssc_engine *e,
		  void (*release)(void *p, void *arg), void *arg)
{
	if (e->stripes)
		release(e->stripes, arg);
	if (e->set_locks)
		release(e->set_locks, arg);
	e->stripes = NULL;
	e->set_locks = NULL;
	ssc_cache_exit(&e->c, release, arg);
}

void ssc_eng_req_init(struct ssc_engine *e, struct ssc_req *r,
		      enum ssc_op op, uint64_t sector, uint32_t nsect,
		      bool fua)
{
	const struct ssc_geom *g = &e->c.g;
	uint64_t off = sector & (g->block_sectors - 1);

	memset(r, 0, sizeof(*r));
	r->way = SSC_NO_BLOCK;
	r->op = (uint8_t)op;
	r->fua = fua;
	r->oblock = sector >> g->block_shift;
	r->first = (uint32_t)(off >> g->sub_shift);
	r->n = (uint32_t)((off + nsect - 1) >> g->sub_shift) - r->first + 1;
	r->aligned = !(off & (g->sub_sectors - 1)) &&
		     !(nsect & (g->sub_sectors - 1));
	r->stripe = ssc_eng_stripe_of(e, r->oblock);
}

static uint64_t eng_now(struct ssc_engine *e)
{
	return ssc_counter_inc_return(&e->clock);
}

bool ssc_eng_caching(struct ssc_engine *e)
{
	return !SSC_READ_ONCE(e->detached) && !SSC_READ_ONCE(e->cache_failed);
}

bool ssc_eng_dirty_state(struct ssc_engine *e)
{
	return ssc_counter_read(&e->c.nr_dirty) ||
	       ssc_counter_read(&e->disk_dirty);
}

bool ssc_eng_flush_commits(struct ssc_engine *e)
{
	return ssc_eng_dirty_state(e) ||
	       (e->mode == SSC_WRITEBACK && !SSC_READ_ONCE(e->cache_failed));
}

static void eng_cwrite_put(struct ssc_engine *e, struct ssc_req *r)
{
	if (!r->cwrite)
		return;
	r->cwrite = false;
	ssc_env_cwrite_put(e);
}

/* ---- block locks ---- */

static void eng_wait_on(struct ssc_eng_stripe *s, struct ssc_req *r)
{
	s->st.waiters++;
	r->next = NULL;
	if (s->wait_tail)
		s->wait_tail->next = r;
	else
		s->wait_head = r;
	s->wait_tail = r;
}

/* Unlock @s; with @wake, give every waiter back to the environment. */
static void eng_wake(struct ssc_engine *e, struct ssc_eng_stripe *s,
		     bool wake, unsigned long flags)
	SSC_RELEASES(&s->lock.l)
{
	struct ssc_req *list = NULL, *r;

	if (wake) {
		list = s->wait_head;
		s->wait_head = NULL;
		s->wait_tail = NULL;
		s->st.waiters = 0;
		for (r = list; r; r = r->next)
			r->retry = true;
	}
	ssc_spin_unlock(&s->lock, flags);
	if (list)
		ssc_env_requeue(e, list);
}

static bool eng_lock_get(struct ssc_engine *e, struct ssc_req *r,
			 enum ssc_lock_mode mode, bool *fill_ok)
{
	struct ssc_eng_stripe *s = &e->stripes[r->stripe];
	unsigned long flags = 0;
	bool ok;

	ssc_spin_lock(&s->lock, flags);
	ok = ssc_lock_try(&s->st, mode, r->retry);
	if (ok) {
		r->mode = (uint8_t)mode;
		r->locked = true;
		if (fill_ok)
			*fill_ok = ssc_lock_fill_allowed(&s->st);
	} else {
		eng_wait_on(s, r);
	}
	ssc_spin_unlock(&s->lock, flags);
	return ok;
}

/*
 * Lock for a write: EXCL when free; when only readers hold the block and
 * @may_bypass, BYPASS (the write cancels the cached copy instead of
 * waiting, as in the RFC). Returns false when the request was queued.
 */
static bool eng_lock_get_write(struct ssc_engine *e, struct ssc_req *r,
			       bool may_bypass)
{
	struct ssc_eng_stripe *s = &e->stripes[r->stripe];
	unsigned long flags = 0;
	bool ok;

	ssc_spin_lock(&s->lock, flags);
	ok = ssc_lock_try(&s->st, SSC_LK_EXCL, r->retry);
	if (ok) {
		r->mode = SSC_LK_EXCL;
	} else if (may_bypass && ssc_lock_try(&s->st, SSC_LK_BYPASS, r->retry)) {
		r->mode = SSC_LK_BYPASS;
		ok = true;
	} else {
		eng_wait_on(s, r);
	}
	r->locked = ok;
	ssc_spin_unlock(&s->lock, flags);
	return ok;
}

static void eng_unlock_stripe(struct ssc_engine *e, uint32_t stripe,
			      enum ssc_lock_mode mode)
{
	struct ssc_eng_stripe *s = &e->stripes[stripe];
	unsigned long flags = 0;

	ssc_spin_lock(&s->lock, flags);
	eng_wake(e, s, ssc_lock_release(&s->st, mode), flags);
}

static void eng_unlock(struct ssc_engine *e, struct ssc_req *r)
{
	if (!r->locked)
		return;
	r->locked = false;
	eng_unlock_stripe(e, r->stripe, (enum ssc_lock_mode)r->mode);
}

/* EXCL -> WB for a write-behind. */
static void eng_downgrade(struct ssc_engine *e, struct ssc_req *r)
{
	struct ssc_eng_stripe *s = &e->stripes[r->stripe];
	unsigned long flags = 0;

	ssc_spin_lock(&s->lock, flags);
	r->locked = false;
	eng_wake(e, s, ssc_lock_downgrade(&s->st), flags);
}

/* ---- sequential streams ---- */

void ssc_eng_set_seq_cutoff(struct ssc_engine *e, uint64_t sectors)
{
	SSC_WRITE_ONCE(e->seq_cutoff, sectors);
}

/*
 * A miss of @r: extend the stream it continues, or start one in place of
 * the least recently extended; true when the stream has reached the
 * cutoff. No other lock is held with seq_lock.
 */
static bool eng_sequential(struct ssc_engine *e, const struct ssc_req *r)
{
	const struct ssc_geom *g = &e->c.g;
	uint64_t cutoff = SSC_READ_ONCE(e->seq_cutoff);
	uint64_t start = (r->oblock << g->block_shift) +
			 ((uint64_t)r->first << g->sub_shift);
	uint64_t len = (uint64_t)r->n << g->sub_shift;
	struct ssc_eng_stream *s = NULL;
	unsigned long flags = 0;
	unsigned int i;
	bool seq;

	if (!cutoff)
		return false;
	ssc_spin_lock(&e->seq_lock, flags);
	for (i = 0; i < SSC_SEQ_STREAMS; i++) {
		if (e->streams[i].run && e->streams[i].next == start) {
			s = &e->streams[i];
			break;
		}
		if (!s || e->streams[i].stamp < s->stamp)
			s = &e->streams[i];
	}
	if (i == SSC_SEQ_STREAMS)
		s->run = 0;	/* a new stream, in the oldest slot */
	s->run += len;
	s->next = start + len;
	s->stamp = ++e->seq_clock;
	seq = s->run > cutoff;	/* the first @cutoff sectors are cached */
	ssc_spin_unlock(&e->seq_lock, flags);
	if (seq)
		ssc_env_stat(e, SSC_ST_SEQ_BYPASSED);
	return seq;
}

/* ---- sets ---- */

static struct ssc_spinlock *eng_way_lock(struct ssc_engine *e, uint64_t way)
{
	return &e->set_locks[way / SSC_WAYS];
}

/*
 * The request to record as an access, the first time it looks up its
 * block: a request that is retried (queued, or after a demand clean) is
 * one access.
 */
static const struct ssc_req *eng_touch_once(struct ssc_req *r)
{
	if (r->touched)
		return NULL;
	r->touched = true;
	return r;
}

/*
 * Look for @oblock in @set; when it is there take a reference, record the
 * access of @touch (NULL: none) for the policy and, when @kind is set,
 * classify a read of @touch's range, all under one hold of the set's lock.
 */
static uint64_t eng_lookup_set(struct ssc_engine *e, uint64_t set,
			       uint64_t oblock, const struct ssc_req *touch,
			       const struct ssc_req *rd,
			       enum ssc_read_kind *kind)
{
	struct ssc_spinlock *l = &e->set_locks[set];
	unsigned long flags = 0;
	uint64_t way;

	ssc_spin_lock(l, flags);
	way = ssc_set_find(&e->c, set, oblock);
	if (way != SSC_NO_BLOCK) {
		e->c.ways[way].busy++;
		if (touch)
			ssc_way_touch(&e->c, way, eng_now(e),
				      touch->first, touch->n);
		if (kind) {
			*kind = ssc_classify_read(&e->c, way, rd->first, rd->n);
			/* a failed cache serves only what the origin lacks */
			if (*kind == SSC_READ_HIT &&
			    SSC_READ_ONCE(e->cache_failed) &&
			    !ssc_range_any(&e->c, way, SSC_DIRTY, rd->first,
					   rd->n))
				*kind = SSC_READ_PARTIAL;
		}
	}
	ssc_spin_unlock(l, flags);
	return way;
}

/*
 * Find @oblock's way and take a reference; @touch (NULL: none) is the
 * request whose access the policy records.
 */
static uint64_t eng_lookup(struct ssc_engine *e, uint64_t oblock,
			   const uint64_t *sets, unsigned int nsets,
			   const struct ssc_req *touch)
{
	unsigned int i;
	uint64_t way;

	for (i = 0; i < nsets; i++) {
		way = eng_lookup_set(e, sets[i], oblock, touch, NULL, NULL);
		if (way != SSC_NO_BLOCK)
			return way;
	}
	return SSC_NO_BLOCK;
}

/*
 * eng_lookup() of @r's block over its probe sets, computed lazily: most
 * blocks are found in their home set, which costs one modulo, where the
 * whole sequence costs a hash and another. The sets are searched in the
 * same order as eng_lookup() searches them. When the block is not found,
 * @sets and *nsets hold the whole sequence (for an allocation over it);
 * when it is, only the sets up to its own. @kind (NULL: none) as for
 * eng_lookup_set(), for @r's range.
 */
static uint64_t eng_find(struct ssc_engine *e, const struct ssc_req *r,
			 uint64_t *sets, unsigned int *nsets,
			 const struct ssc_req *touch, enum ssc_read_kind *kind)
{
	unsigned int i, n;
	uint64_t way;

	sets[0] = ssc_home_set(&e->c.g, r->oblock);
	*nsets = 1;
	way = eng_lookup_set(e, sets[0], r->oblock, touch, r, kind);
	if (way != SSC_NO_BLOCK)
		return way;
	n = ssc_probe_sets(&e->c.g, r->oblock, sets);
	for (i = 1; i < n; i++) {
		*nsets = i + 1;
		way = eng_lookup_set(e, sets[i], r->oblock, touch, r, kind);
		if (way != SSC_NO_BLOCK)
			return way;
	}
	*nsets = n;
	return SSC_NO_BLOCK;
}

/* Each probed set's replacement candidate and its score, set by set. */
static void eng_scan(struct ssc_engine *e, const uint64_t *sets,
		     unsigned int nsets, bool may_evict, uint64_t *cand,
		     uint64_t *score)
{
	unsigned long flags = 0;
	unsigned int i;

	for (i = 0; i < nsets; i++) {
		ssc_spin_lock(&e->set_locks[sets[i]], flags);
		cand[i] = ssc_set_candidate(&e->c, sets[i], may_evict,
					    &score[i]);
		ssc_spin_unlock(&e->set_locks[sets[i]], flags);
		if (cand[i] != SSC_NO_BLOCK && !score[i])
			break;	/* a free way: nothing beats it */
	}
	for (i++; i < nsets; i++)
		cand[i] = SSC_NO_BLOCK;
}

/*
 * Allocate a way for @oblock; the caller holds its stripe's lock. The
 * candidates are scored with each set locked in turn; the best is taken
 * under its set's lock if it is still reusable, else (a race with another
 * allocation) all are scored again, once. A victim the policy reprieves
 * instead (SSC_ADAPTIVE) has only its own set scored again (all of them
 * if the reprieve changed which part victims come from), a bounded number
 * of times, after which the victim of the moment goes.
 */
static uint64_t eng_alloc_locked(struct ssc_engine *e, uint64_t oblock,
				 const uint64_t *sets, unsigned int nsets,
				 bool may_evict)
{
	uint64_t cand[SSC_MAX_ASSOC + 1], score[SSC_MAX_ASSOC + 1];
	bool adaptive = e->c.policy == SSC_ADAPTIVE;
	unsigned int i, b, tries = 0, reprieves = 0;
	unsigned long flags = 0;
	bool part;

	part = ssc_pol_from_small(&e->c);
	eng_scan(e, sets, nsets, may_evict, cand, score);
	while (tries < 2) {
		uint64_t best;

		b = nsets;
		for (i = 0; i < nsets; i++)
			if (cand[i] != SSC_NO_BLOCK &&
			    (b == nsets || score[i] < score[b]))
				b = i;
		if (b == nsets)
			return SSC_NO_BLOCK;
		best = cand[b];
		ssc_spin_lock(&e->set_locks[sets[b]], flags);
		if (ssc_way_reusable(&e->c, best) &&
		    (may_evict || e->c.ways[best].oblock == SSC_NO_BLOCK)) {
			if (adaptive && score[b] &&
			    reprieves < SSC_POL_REPRIEVES &&
			    ssc_pol_reprieve(&e->c, best, eng_now(e))) {
				reprieves++;
				cand[b] = ssc_set_candidate(&e->c, sets[b],
							    may_evict,
							    &score[b]);
				ssc_spin_unlock(&e->set_locks[sets[b]], flags);
				if (ssc_pol_from_small(&e->c) != part) {
					part = !part;
					eng_scan(e, sets, nsets, may_evict,
						 cand, score);
				}
				continue;
			}
			if (ssc_way_install(&e->c, best, oblock, eng_now(e)))
				ssc_env_stat(e, SSC_ST_EVICTIONS);
			ssc_env_md_changed(e, best);
			e->c.ways[best].busy++;
			ssc_spin_unlock(&e->set_locks[sets[b]], flags);
			return best;
		}
		ssc_spin_unlock(&e->set_locks[sets[b]], flags);
		tries++;	/* raced with another allocation: look again */
		part = ssc_pol_from_small(&e->c);
		eng_scan(e, sets, nsets, may_evict, cand, score);
	}
	return SSC_NO_BLOCK;
}

/*
 * Find or allocate the way of the request's block and take a reference.
 * Readers hold the block's lock SHARED, so two of them may both have
 * missed in their lookup: installs of a block are serialized by its
 * stripe's lock, under which the probe sets are searched again, so the
 * second one gets the way the first installed, never a second copy.
 */
static uint64_t eng_alloc(struct ssc_engine *e, struct ssc_req *r,
			  const uint64_t *sets, unsigned int nsets,
			  bool may_evict)
{
	struct ssc_eng_stripe *s = &e->stripes[r->stripe];
	unsigned long flags = 0;
	uint64_t way;

	ssc_spin_lock(&s->lock, flags);
	way = eng_lookup(e, r->oblock, sets, nsets, NULL);
	if (way == SSC_NO_BLOCK)
		way = eng_alloc_locked(e, r->oblock, sets, nsets, may_evict);
	ssc_spin_unlock(&s->lock, flags);
	return way;
}

static void eng_put_way(struct ssc_engine *e, uint64_t way)
{
	unsigned long flags = 0;

	if (way == SSC_NO_BLOCK)
		return;
	ssc_spin_lock(eng_way_lock(e, way), flags);
	if (e->c.ways[way].busy)
		e->c.ways[way].busy--;
	ssc_spin_unlock(eng_way_lock(e, way), flags);
}

static void eng_req_put_way(struct ssc_engine *e, struct ssc_req *r)
{
	eng_put_way(e, r->way);
	r->way = SSC_NO_BLOCK;
}

/* Drop the valid but clean sub-blocks of [first, first + n) of @way. */
static void eng_drop_clean(struct ssc_engine *e, uint64_t way, uint32_t first,
			   uint32_t n)
{
	uint32_t i;

	for (i = first; i < first + n; i++)
		if (!ssc_range_any(&e->c, way, SSC_DIRTY, i, 1))
			ssc_range_clear(&e->c, way, SSC_VALID, i, 1);
	ssc_env_md_changed(e, way);
}

/* ---- reads ---- */

/*
 * Start a fill of the read's range, unless a BYPASS writer holds the block:
 * the check and the inflight marking are atomic under the stripe lock, so a
 * write that cancels the cached copy either runs first (and no fill starts)
 * or finds the inflight bits and cancels them.
 */
static bool eng_try_fill_start(struct ssc_engine *e, struct ssc_req *r)
{
	struct ssc_eng_stripe *s = &e->stripes[r->stripe];
	unsigned long flags = 0, sflags = 0;
	bool ok = false;

	ssc_spin_lock(&s->lock, sflags);
	if (ssc_lock_fill_allowed(&s->st)) {
		ssc_spin_lock(eng_way_lock(e, r->way), flags);
		ok = ssc_fill_start(&e->c, r->way, r->first, r->n);
		ssc_spin_unlock(eng_way_lock(e, r->way), flags);
	}
	ssc_spin_unlock(&s->lock, sflags);
	return ok;
}

static enum ssc_plan eng_read_locked(struct ssc_engine *e, struct ssc_req *r,
				     bool fill_ok);

static enum ssc_plan eng_map_read(struct ssc_engine *e, struct ssc_req *r)
{
	enum ssc_lock_mode mode = r->want_excl ? SSC_LK_EXCL : SSC_LK_SHARED;
	bool fill_ok = false, first = !r->retry;

	/* once queued, @r is the waker's: read nothing of it after that */
	if (!eng_lock_get(e, r, mode, &fill_ok)) {
		if (first)
			ssc_env_stat(e, SSC_ST_READ_BUSY);
		return SSC_PLAN_QUEUED;
	}
	return eng_read_locked(e, r, fill_ok);
}

static enum ssc_plan eng_read_locked(struct ssc_engine *e, struct ssc_req *r,
				     bool fill_ok)
{
	enum ssc_lock_mode mode = (enum ssc_lock_mode)r->mode;
	enum ssc_read_kind kind = SSC_READ_PARTIAL;
	uint64_t sets[SSC_MAX_ASSOC + 1];
	unsigned int nsets;
	bool mapped;

	r->way = eng_find(e, r, sets, &nsets, eng_touch_once(r), &kind);
	mapped = r->way != SSC_NO_BLOCK;
	if (mapped && kind == SSC_READ_HIT) {
		ssc_env_stat(e, SSC_ST_READ_CLEAN);
		ssc_env_stat(e, SSC_ST_READ_HITS);
		return SSC_PLAN_READ_CACHE;
	}
	if (mapped && kind == SSC_READ_DIRTY_MIX && mode == SSC_LK_EXCL)
		return SSC_PLAN_DEMAND_CLEAN;	/* no writer can interfere now */
	if (mapped && kind == SSC_READ_DIRTY_MIX) {
		/*
		 * Part of the range is only on the origin while a write-behind
		 * still copies the rest there: wait until the block is idle,
		 * by then it is clean, or clean it then.
		 */
		eng_req_put_way(e, r);
		eng_unlock(e, r);
		r->want_excl = true;
		r->retry = false;
		ssc_env_stat(e, SSC_ST_READ_BUSY);
		return eng_map_read(e, r);
	}
	ssc_env_stat(e, SSC_ST_READ_MISSES);
	ssc_env_stat(e, mapped ? SSC_ST_READ_INVALID : SSC_ST_READ_MISS);

	if (fill_ok && mode == SSC_LK_SHARED && r->aligned &&
	    ssc_eng_caching(e) && !(e->opts & SSC_OPT_DISABLE_WRITEBACK)) {
		if (!mapped && !eng_sequential(e, r)) {
			r->way = eng_alloc(e, r, sets, nsets, true);
			if (r->way == SSC_NO_BLOCK)
				ssc_env_stat(e, SSC_ST_BYPASSED);
		}
		if (r->way != SSC_NO_BLOCK) {
			r->fill = eng_try_fill_start(e, r);
			if (!r->fill)
				ssc_env_stat(e, SSC_ST_CANCELLED_FILLS);
		}
	}
	if (!r->fill)
		eng_req_put_way(e, r);
	return SSC_PLAN_READ_ORIGIN;
}

enum ssc_plan ssc_eng_demand_clean_end(struct ssc_engine *e,
				       struct ssc_req *r, bool error)
{
	eng_req_put_way(e, r);
	if (error) {
		eng_unlock(e, r);
		return SSC_PLAN_KILL;
	}
	ssc_env_stat(e, SSC_ST_DEMAND_CLEANS);
	return eng_read_locked(e, r, false);
}

enum ssc_plan ssc_eng_read_hit_end(struct ssc_engine *e, struct ssc_req *r,
				   bool error)
{
	uint64_t sets[SSC_MAX_ASSOC + 1];
	unsigned long flags = 0;
	unsigned int nsets;
	bool dirty = false;
	uint64_t way;

	eng_req_put_way(e, r);
	if (!error || !r->locked) {
		eng_unlock(e, r);
		return SSC_PLAN_DONE;
	}
	ssc_env_stat(e, SSC_ST_CACHE_ERRORS);
	way = eng_find(e, r, sets, &nsets, NULL, NULL);
	if (way != SSC_NO_BLOCK) {
		ssc_spin_lock(eng_way_lock(e, way), flags);
		dirty = ssc_range_any(&e->c, way, SSC_DIRTY, r->first, r->n);
		/*
		 * The cache failed to read it: the clean part is read from
		 * the origin from now on (or every read would fail here
		 * again); a dirty part is the only copy and stays.
		 */
		eng_drop_clean(e, way, r->first, r->n);
		ssc_spin_unlock(eng_way_lock(e, way), flags);
		eng_put_way(e, way);
	}
	if (dirty) {
		/* only the cache has this data: the origin's is stale */
		eng_unlock(e, r);
		ssc_env_stat(e, SSC_ST_CANCELLED_BIOS);
		return SSC_PLAN_KILL;
	}
	return SSC_PLAN_READ_ORIGIN;
}

void ssc_eng_retry_end(struct ssc_engine *e, struct ssc_req *r)
{
	eng_unlock(e, r);
}

void ssc_eng_fill_end(struct ssc_engine *e, const struct ssc_fill_ref *f,
		      bool ok)
{
	unsigned long flags = 0;

	ssc_spin_lock(eng_way_lock(e, f->way), flags);
	if (!ssc_fill_done(&e->c, f->way, f->first, f->n, ok) && ok)
		ssc_env_stat(e, SSC_ST_CANCELLED_FILLS);
	ssc_env_md_changed(e, f->way);
	if (e->c.ways[f->way].busy)
		e->c.ways[f->way].busy--;
	ssc_spin_unlock(eng_way_lock(e, f->way), flags);
	eng_unlock_stripe(e, f->stripe, SSC_LK_SHARED);
}

bool ssc_eng_read_miss_end(struct ssc_engine *e, struct ssc_req *r,
			   bool error, struct ssc_fill_ref *f)
{
	if (error)
		ssc_env_stat(e, SSC_ST_ORIGIN_ERRORS);
	if (r->fill) {
		/* the fill owns the way reference and the lock from here */
		f->way = r->way;
		f->first = r->first;
		f->n = r->n;
		f->stripe = r->stripe;
		r->way = SSC_NO_BLOCK;
		r->locked = false;
		r->fill = false;
		if (!error)
			return true;
		ssc_eng_fill_end(e, f, false);
		return false;
	}
	eng_req_put_way(e, r);
	eng_unlock(e, r);
	return false;
}

/* ---- writes ---- */

/*
 * Drop the write's range from @way: the origin holds newer data. Caller
 * holds the way's set lock. A FUA write then needs a commit when the
 * committed metadata may still call that range (or the way) dirty.
 */
static void eng_write_drop(struct ssc_engine *e, struct ssc_req *r,
			   uint64_t way)
{
	struct ssc_way *x = &e->c.ways[way];

	if (r->fua &&
	    ((x->flags & SSC_WF_DISK_DIRTY) ||
	     ssc_range_any(&e->c, way, SSC_DIRTY, r->first, r->n)))
		r->need_commit = true;
	ssc_cancel(&e->c, way, r->first, r->n);
	ssc_env_md_changed(e, way);
}

/*
 * Every half of a write is done: record the result in the cache state.
 * Returns whether the cache now holds the write.
 *  - both succeeded: valid (and dirty for a write-back);
 *  - the origin failed where the cache has dirty data: the cache's copy,
 *    now the write's, stays dirty: reads keep returning one value, and the
 *    cleaner retries the origin;
 *  - the cache half of a write-back failed: nothing changes yet, the write
 *    goes to the origin (FALLBACK) and the range is dropped once the
 *    origin holds it, so no read or commit sees the origin's older data in
 *    between;
 *  - otherwise the range is dropped (the origin has the write, or the
 *    cached copy is no longer trustworthy).
 */
static bool eng_write_state(struct ssc_engine *e, struct ssc_req *r)
{
	unsigned long flags = 0;
	bool cached = false;

	eng_cwrite_put(e, r);
	if (r->oerr)
		ssc_env_stat(e, SSC_ST_ORIGIN_ERRORS);
	if (r->cerr)
		ssc_env_stat(e, SSC_ST_CACHE_ERRORS);
	if (r->way == SSC_NO_BLOCK)
		return false;
	ssc_spin_lock(eng_way_lock(e, r->way), flags);
	if (r->fallback) {
		/*
		 * The origin write of a failed write-back. If it failed too,
		 * either device may hold either version of the range: the
		 * clean cached copy must go, or a later eviction would show
		 * the origin's other version (the dirty sub-blocks are read
		 * and written back as the cache holds them).
		 */
		if (!r->oerr)
			eng_write_drop(e, r, r->way);
		else
			eng_drop_clean(e, r->way, r->first, r->n);
		ssc_spin_unlock(eng_way_lock(e, r->way), flags);
		return false;
	}
	if (!r->cerr && !r->oerr) {
		ssc_write_done(&e->c, r->way, r->first, r->n, r->writeback);
		cached = true;
	} else if (!r->cerr &&
		   ssc_range_any(&e->c, r->way, SSC_DIRTY, r->first, r->n)) {
		ssc_write_done(&e->c, r->way, r->first, r->n, true);
		cached = true;
	} else if (!(r->cerr && r->writeback)) {
		if (r->oerr &&
		    ssc_range_any(&e->c, r->way, SSC_DIRTY, r->first, r->n))
			/* both failed: keep the dirty data, as for a fallback */
			eng_drop_clean(e, r->way, r->first, r->n);
		else
			eng_write_drop(e, r, r->way);
	}
	ssc_env_md_changed(e, r->way);
	ssc_spin_unlock(eng_way_lock(e, r->way), flags);
	ssc_env_stat(e, cached ? SSC_ST_WRITE_DONE : SSC_ST_WRITE_INVALID);
	return cached;
}

enum ssc_wend ssc_eng_write_end(struct ssc_engine *e, struct ssc_req *r,
				struct ssc_fill_ref *wb)
{
	bool cached = eng_write_state(e, r);

	if (r->writeback) {
		bool eager = r->eager;

		r->writeback = false;
		r->eager = false;
		if (!cached) {
			/* keep the lock and the way; write the origin instead */
			r->cerr = false;
			r->fallback = true;
			return SSC_WEND_FALLBACK;
		}
		if (!eager) {
			eng_req_put_way(e, r);
			eng_unlock(e, r);
			return SSC_WEND_LAZY;
		}
		wb->way = r->way;
		wb->first = r->first;
		wb->n = r->n;
		wb->stripe = r->stripe;
		r->way = SSC_NO_BLOCK;	/* the reference moves to the write-behind */
		eng_downgrade(e, r);
		return SSC_WEND_BEHIND;
	}
	eng_req_put_way(e, r);
	eng_unlock(e, r);
	return SSC_WEND_COMPLETE;
}

void ssc_eng_wb_end(struct ssc_engine *e, const struct ssc_fill_ref *wb,
		    bool ok)
{
	unsigned long flags = 0;

	ssc_spin_lock(eng_way_lock(e, wb->way), flags);
	if (ok) {
		ssc_clean(&e->c, wb->way, wb->first, wb->n);
		ssc_env_md_changed(e, wb->way);
	}
	if (e->c.ways[wb->way].busy)
		e->c.ways[wb->way].busy--;
	ssc_spin_unlock(eng_way_lock(e, wb->way), flags);
	eng_unlock_stripe(e, wb->stripe, SSC_LK_WB);
}

/* Lookup and allocation of an EXCL write; returns whether it has a way. */
static bool eng_write_lookup(struct ssc_engine *e, struct ssc_req *r)
{
	uint64_t sets[SSC_MAX_ASSOC + 1];
	unsigned int nsets;

	r->way = eng_find(e, r, sets, &nsets, eng_touch_once(r), NULL);
	if (r->way != SSC_NO_BLOCK) {
		ssc_env_stat(e, SSC_ST_WRITE_HITS);
		return true;
	}
	ssc_env_stat(e, SSC_ST_WRITE_MISSES);
	ssc_env_stat(e, SSC_ST_WRITE_MISS);
	if ((e->opts & SSC_OPT_SKIP_WRITE_INSERT) || eng_sequential(e, r)) {
		ssc_env_stat(e, SSC_ST_WRITE_SKIP);
		return false;
	}
	/*
	 * The adaptive policy admits write misses as read misses: they
	 * enter probation, where they displace probation first.
	 */
	r->way = eng_alloc(e, r, sets, nsets,
			   (e->opts & SSC_OPT_EVICT_ON_WRITE) ||
			   e->c.policy == SSC_ADAPTIVE);
	if (r->way == SSC_NO_BLOCK) {
		ssc_env_stat(e, SSC_ST_WRITE_SKIP);
		return false;
	}
	return true;
}

bool ssc_eng_async_lookup(struct ssc_engine *e, struct ssc_req *r)
{
	return eng_write_lookup(e, r);
}

/*
 * A write that goes to the origin only (a BYPASS write, a discard or
 * write-zeroes, a write in readcache mode, after detach, on a failed cache
 * or with no way for it) and the cached copy of its range:
 *  - clean cached data is dropped now, before the origin write starts, so
 *    that no read issued after the write completes can hit it; fills in
 *    flight are cancelled (and none starts while a BYPASS writer runs);
 *  - dirty cached data is the only copy of the newest completed write
 *    until the origin holds this one: it stays, and is dropped when the
 *    origin write completed (eng_origin_done). The write must hold EXCL
 *    for that, so that no read sees the cached copy go stale: a BYPASS
 *    write returns false and waits for EXCL.
 */
static bool eng_origin_prepare(struct ssc_engine *e, struct ssc_req *r,
			       bool count_cancel)
{
	uint64_t sets[SSC_MAX_ASSOC + 1];
	unsigned long flags = 0;
	unsigned int nsets;
	bool had;
	uint64_t way;

	way = eng_find(e, r, sets, &nsets, NULL, NULL);
	if (way == SSC_NO_BLOCK)
		return true;
	ssc_spin_lock(eng_way_lock(e, way), flags);
	if (ssc_range_any(&e->c, way, SSC_DIRTY, r->first, r->n)) {
		if (r->mode == SSC_LK_BYPASS) {
			e->c.ways[way].busy--;
			ssc_spin_unlock(eng_way_lock(e, way), flags);
			return false;
		}
		/* keep the reference until the origin write is done */
		ssc_spin_unlock(eng_way_lock(e, way), flags);
		r->way = way;
		r->inval_end = true;
		return true;
	}
	had = ssc_range_any(&e->c, way, SSC_INFLIGHT, r->first, r->n) ||
	      ssc_range_any(&e->c, way, SSC_VALID, r->first, r->n);
	eng_write_drop(e, r, way);
	e->c.ways[way].busy--;
	ssc_spin_unlock(eng_way_lock(e, way), flags);
	if (had)
		ssc_env_stat(e, count_cancel ? SSC_ST_WRITE_CANCEL :
			     SSC_ST_WRITE_INVALID);
	return true;
}

bool ssc_eng_origin_end(struct ssc_engine *e, struct ssc_req *r, bool error)
{
	unsigned long flags = 0;

	if (error)
		ssc_env_stat(e, SSC_ST_ORIGIN_ERRORS);
	if (r->way != SSC_NO_BLOCK && r->inval_end) {
		ssc_spin_lock(eng_way_lock(e, r->way), flags);
		if (!error) {
			eng_write_drop(e, r, r->way);
		} else {
			/*
			 * The origin may hold part of the write: keep the
			 * dirty sub-blocks (the cleaner rewrites them), drop
			 * the clean ones, whose cached copy may now be older
			 * than the origin's.
			 */
			eng_drop_clean(e, r->way, r->first, r->n);
		}
		ssc_spin_unlock(eng_way_lock(e, r->way), flags);
		if (!error)
			ssc_env_stat(e, SSC_ST_WRITE_INVALID);
	}
	r->inval_end = false;
	eng_req_put_way(e, r);
	eng_unlock(e, r);
	return !error && r->need_commit;
}

static enum ssc_plan eng_map_write(struct ssc_engine *e, struct ssc_req *r);

static enum ssc_plan eng_origin_only(struct ssc_engine *e, struct ssc_req *r,
				     bool count_cancel)
{
	if (!eng_origin_prepare(e, r, count_cancel)) {
		/* dirty data in the range: start again, waiting for EXCL */
		eng_unlock(e, r);
		r->no_bypass = true;
		r->retry = false;
		ssc_env_stat(e, SSC_ST_WRITE_BUSY);
		return eng_map_write(e, r);
	}
	return SSC_PLAN_ORIGIN;
}

static enum ssc_plan eng_map_write(struct ssc_engine *e, struct ssc_req *r)
{
	uint32_t opts = e->opts;
	bool cache_writes, may_bypass, first;

	/*
	 * Counted before detached is read, so that detach, which sets it
	 * and then waits for the count to drain, never misses a write that
	 * still saw the cache attached.
	 */
	if (!r->cwrite) {
		r->cwrite = true;
		ssc_env_cwrite_get(e);
	}
	cache_writes = r->aligned && e->mode != SSC_READCACHE &&
		       ssc_eng_caching(e) && r->op == SSC_OP_WRITE;
	may_bypass = (!cache_writes || !(opts & SSC_OPT_QUEUE_BUSY)) &&
		     !r->no_bypass;
	if (!cache_writes)
		eng_cwrite_put(e, r);

	first = !r->retry;
	if (!eng_lock_get_write(e, r, may_bypass)) {
		if (first)
			ssc_env_stat(e, SSC_ST_WRITE_BUSY);
		return SSC_PLAN_QUEUED;
	}
	if (!cache_writes) {
		if (r->op == SSC_OP_WRITE)
			ssc_env_stat(e, SSC_ST_BYPASSED);
		return eng_origin_only(e, r, false);
	}
	if (r->mode == SSC_LK_BYPASS) {
		eng_cwrite_put(e, r);
		return eng_origin_only(e, r, true);
	}
	r->oerr = false;
	r->cerr = false;
	if (opts & SSC_OPT_ASYNC_LOOKUP) {
		/* origin first, right now; the cache half from process context */
		r->way = SSC_NO_BLOCK;
		return SSC_PLAN_WRITE_ASYNC;
	}
	if (!eng_write_lookup(e, r)) {
		eng_cwrite_put(e, r);
		return eng_origin_only(e, r, false);
	}
	if (e->mode == SSC_WRITEBACK && !r->fua) {
		r->writeback = true;
		return SSC_PLAN_WRITE_CACHE;
	}
	return SSC_PLAN_WRITE_BOTH;
}

enum ssc_plan ssc_eng_map(struct ssc_engine *e, struct ssc_req *r)
{
	if (r->op == SSC_OP_READ)
		return eng_map_read(e, r);
	return eng_map_write(e, r);
}

/* ---- metadata commits ---- */

void ssc_eng_md_encode(struct ssc_engine *e, uint64_t from, uint64_t to,
		       void (*encode)(const struct ssc_cache *c, uint64_t from,
				      uint64_t to, void *arg),
		       void *arg)
{
	unsigned long flags = 0;
	uint64_t w;

	ssc_spin_lock(eng_way_lock(e, from), flags);
	encode(&e->c, from, to, arg);
	for (w = from; w < to; w++) {
		struct ssc_way *x = &e->c.ways[w];

		x->flags &= ~SSC_WF_ENC_DIRTY;
		if (x->oblock != SSC_NO_BLOCK &&
		    ssc_way_any(&e->c, w, SSC_DIRTY)) {
			if (!(x->flags & SSC_WF_DISK_DIRTY))
				ssc_counter_add(&e->disk_dirty, 1);
			x->flags |= SSC_WF_ENC_DIRTY | SSC_WF_DISK_DIRTY;
		}
	}
	ssc_spin_unlock(eng_way_lock(e, from), flags);
}

void ssc_eng_md_committed(struct ssc_engine *e, uint64_t from, uint64_t to)
{
	unsigned long flags = 0;
	uint64_t w;

	for (w = from; w < to; w++) {
		struct ssc_way *x = &e->c.ways[w];

		ssc_spin_lock(eng_way_lock(e, w), flags);
		if (x->flags & SSC_WF_ENC_DIRTY) {
			x->flags |= SSC_WF_DISK_DIRTY;
		} else if (x->flags & SSC_WF_DISK_DIRTY) {
			x->flags &= ~SSC_WF_DISK_DIRTY;
			ssc_counter_add(&e->disk_dirty, -1);
		}
		x->flags &= ~SSC_WF_ENC_DIRTY;
		ssc_spin_unlock(eng_way_lock(e, w), flags);
	}
}

/* ---- cleaning ---- */

void ssc_eng_dirty_snapshot(struct ssc_engine *e, uint64_t way, uint64_t *snap)
{
	unsigned long flags = 0;

	ssc_spin_lock(eng_way_lock(e, way), flags);
	memcpy(snap, ssc_bits(&e->c, way, SSC_DIRTY),
	       e->c.g.words * sizeof(uint64_t));
	ssc_spin_unlock(eng_way_lock(e, way), flags);
}

void ssc_eng_dirty_cleaned(struct ssc_engine *e, uint64_t way,
			   const uint64_t *snap)
{
	unsigned long flags = 0;

	ssc_spin_lock(eng_way_lock(e, way), flags);
	ssc_clean_mask(&e->c, way, snap);
	ssc_env_md_changed(e, way);
	ssc_spin_unlock(eng_way_lock(e, way), flags);
}

unsigned int ssc_eng_clean_pick(struct ssc_engine *e, uint64_t *cursor,
				struct ssc_clean_item *items, unsigned int max)
{
	uint64_t scanned, w, ob, nr_ways = e->c.g.nr_ways;
	unsigned long flags = 0;
	unsigned int n = 0;

	for (scanned = 0; scanned < nr_ways && n < max; scanned++) {
		struct ssc_eng_stripe *s;
		bool ok;

		w = *cursor;
		*cursor = w + 1 < nr_ways ? w + 1 : 0;
		ssc_spin_lock(eng_way_lock(e, w), flags);
		ob = e->c.ways[w].oblock;
		ok = ob != SSC_NO_BLOCK && ssc_way_any(&e->c, w, SSC_DIRTY);
		if (ok)
			e->c.ways[w].busy++;
		ssc_spin_unlock(eng_way_lock(e, w), flags);
		if (!ok)
			continue;
		items[n].stripe = ssc_eng_stripe_of(e, ob);
		s = &e->stripes[items[n].stripe];
		ssc_spin_lock(&s->lock, flags);
		ok = ssc_lock_try(&s->st, SSC_LK_WB, false);
		ssc_spin_unlock(&s->lock, flags);
		if (!ok) {
			eng_put_way(e, w);
			continue;
		}
		items[n].way = w;
		items[n].oblock = ob;
		ssc_eng_dirty_snapshot(e, w, items[n].snap);
		n++;
	}
	return n;
}

void ssc_eng_clean_end(struct ssc_engine *e, struct ssc_clean_item *it,
		       bool ok)
{
	if (ok) {
		ssc_eng_dirty_cleaned(e, it->way, it->snap);
		ssc_env_stat(e, SSC_ST_CLEANED);
	}
	eng_put_way(e, it->way);
	eng_unlock_stripe(e, it->stripe, SSC_LK_WB);
}

#ifndef __KERNEL__
/* The hooks in userspace: through e->env (ssc_engine.h). */
void ssc_env_stat(struct ssc_engine *e, enum ssc_stat s)
{
	if (e->env && e->env->stat)
		e->env->stat(e, s);
}

void ssc_env_md_changed(struct ssc_engine *e, uint64_t way)
{
	if (e->env && e->env->md_changed)
		e->env->md_changed(e, way);
}

void ssc_env_requeue(struct ssc_engine *e, struct ssc_req *list)
{
	if (e->env && e->env->requeue) {
		e->env->requeue(e, list);
		return;
	}
	/*
	 * Without a requeue hook nothing may ever wait (ssc-sim: one
	 * request at a time): a plan mapped here would be lost with the
	 * lock and the way reference it holds.
	 */
	abort();
}

void ssc_env_cwrite_get(struct ssc_engine *e)
{
	if (e->env && e->env->cwrite_get)
		e->env->cwrite_get(e);
}

void ssc_env_cwrite_put(struct ssc_engine *e)
{
	if (e->env && e->env->cwrite_put)
		e->env->cwrite_put(e);
}

#ifndef SSC_ENV_PTHREAD
void (*ssc_env_lock_wait)(struct ssc_spinlock *l);

void ssc_env_lock_bug(struct ssc_spinlock *l)
{
	(void)l;
	abort();
}
#endif
#endif
