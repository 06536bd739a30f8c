// SPDX-License-Identifier: GPL-2.0
/*
 * ssc_cache.c - cache blocks: lookup in a set, replacement (LRU/LFU) and
 * the per sub-block valid/dirty/inflight state transitions.
 *
 * Locking is the caller's (see ssc_core.h): nothing here blocks.
 */
#include "ssdcache/ssc_core.h"

/*
 * Victim scores are one 64-bit number, lower evicted first. LRU: the access
 * stamp itself (a 64-bit clock never wraps). LFU: the access count (capped
 * at 16 bits) above the stamp's low 48 bits, which wrap after 2^48 accesses
 * (nine years at a million a second); within one count, the older block
 * goes first.
 */
#define LFU_COUNT_MAX	0xffffu
#define LFU_SHIFT	48
#define ATIME_MASK	((1ull << LFU_SHIFT) - 1)

size_t ssc_bytes_per_block(const struct ssc_geom *g)
{
	return sizeof(struct ssc_way) +
	       (size_t)SSC_NR_BITS * g->words * sizeof(uint64_t);
}

size_t ssc_cache_bytes_per_block(const struct ssc_cache *c)
{
	/* ghosts: 8-byte buckets of 4 for 5/4 of the ways, 2.5 bytes a way */
	return ssc_bytes_per_block(&c->g) + (c->ghosts ? 3 : 0);
}

int ssc_cache_init(struct ssc_cache *c, const struct ssc_geom *g,
		   enum ssc_policy policy,
		   void *(*zalloc)(size_t size, void *arg), void *arg)
{
	struct ssc_geom geom = *g;	/* @g may point into @c */
	uint64_t w;

	memset(c, 0, sizeof(*c));
	c->g = geom;
	c->policy = policy;
	c->ways = zalloc(g->nr_ways * sizeof(*c->ways), arg);
	if (!c->ways)
		return -ENOMEM;
	c->bits = zalloc(g->nr_ways * SSC_NR_BITS * g->words *
			 sizeof(uint64_t), arg);
	if (!c->bits)
		return -ENOMEM;	/* caller runs ssc_cache_exit() */
	for (w = 0; w < g->nr_ways; w++)
		c->ways[w].oblock = SSC_NO_BLOCK;
	return ssc_pol_init(c, zalloc, arg);
}

void ssc_cache_exit(struct ssc_cache *c, void (*release)(void *p, void *arg),
		    void *arg)
{
	if (c->ways)
		release(c->ways, arg);
	if (c->bits)
		release(c->bits, arg);
	ssc_pol_exit(c, release, arg);
	c->ways = NULL;
	c->bits = NULL;
}

/* ---- bitmaps ---- */

static uint64_t word_mask(uint32_t first, uint32_t n, uint32_t word)
{
	uint32_t lo = word * 64, hi = lo + 64, a, b;
	uint64_t m;

	a = first > lo ? first : lo;
	b = first + n < hi ? first + n : hi;
	if (a >= b)
		return 0;
	m = (b - a == 64) ? ~0ull : ((1ull << (b - a)) - 1);
	return m << (a - lo);
}

/*
 * The mask of [first, first + n) in the word that holds all of it, or
 * false when the range spans several words (or none: n is 0, or the range
 * starts past the bitmap). Most I/O is smaller than 64 sub-blocks and
 * aligned to its size, so one word serves it: the fast path of the range
 * helpers below, which give the same results as their word loops.
 */
static inline bool one_word(const struct ssc_cache *c, uint32_t first,
			    uint32_t n, uint32_t *word, uint64_t *m)
{
	uint32_t lo = first % 64;

	if (!n || lo + n > 64 || first / 64 >= c->g.words)
		return false;
	*word = first / 64;
	*m = (n == 64 ? ~0ull : ((1ull << n) - 1)) << lo;
	return true;
}

bool ssc_range_all(const struct ssc_cache *c, uint64_t way,
		   enum ssc_bits which, uint32_t first, uint32_t n)
{
	const uint64_t *b = ssc_bits(c, way, which);
	uint32_t i;
	uint64_t m;

	if (one_word(c, first, n, &i, &m))
		return (b[i] & m) == m;
	for (i = first / 64; i < c->g.words && i * 64 < first + n; i++) {
		m = word_mask(first, n, i);
		if ((b[i] & m) != m)
			return false;
	}
	return true;
}

bool ssc_range_any(const struct ssc_cache *c, uint64_t way,
		   enum ssc_bits which, uint32_t first, uint32_t n)
{
	const uint64_t *b = ssc_bits(c, way, which);
	uint32_t i;
	uint64_t m;

	if (one_word(c, first, n, &i, &m))
		return b[i] & m;
	for (i = first / 64; i < c->g.words && i * 64 < first + n; i++)
		if (b[i] & word_mask(first, n, i))
			return true;
	return false;
}

void ssc_range_set(struct ssc_cache *c, uint64_t way, enum ssc_bits which,
		   uint32_t first, uint32_t n)
{
	uint64_t *b = ssc_bits(c, way, which);
	uint32_t i;
	uint64_t m;

	if (one_word(c, first, n, &i, &m)) {
		b[i] |= m;
		return;
	}
	for (i = first / 64; i < c->g.words && i * 64 < first + n; i++)
		b[i] |= word_mask(first, n, i);
}

void ssc_range_clear(struct ssc_cache *c, uint64_t way, enum ssc_bits which,
		     uint32_t first, uint32_t n)
{
	uint64_t *b = ssc_bits(c, way, which);
	uint32_t i;
	uint64_t m;

	if (one_word(c, first, n, &i, &m)) {
		b[i] &= ~m;
		return;
	}
	for (i = first / 64; i < c->g.words && i * 64 < first + n; i++)
		b[i] &= ~word_mask(first, n, i);
}

bool ssc_way_any(const struct ssc_cache *c, uint64_t way, enum ssc_bits which)
{
	const uint64_t *b = ssc_bits(c, way, which);
	uint32_t i;

	for (i = 0; i < c->g.words; i++)
		if (b[i])
			return true;
	return false;
}

uint32_t ssc_way_weight(const struct ssc_cache *c, uint64_t way,
			enum ssc_bits which)
{
	const uint64_t *b = ssc_bits(c, way, which);
	uint32_t i, n = 0;

	for (i = 0; i < c->g.words; i++) {
		uint64_t v = b[i];

		while (v) {
			v &= v - 1;
			n++;
		}
	}
	return n;
}

/* ---- sets and replacement ---- */

bool ssc_way_reusable(const struct ssc_cache *c, uint64_t way)
{
	const struct ssc_way *x = &c->ways[way];

	if (x->oblock == SSC_NO_BLOCK)
		return true;
	return !x->busy && !x->fills && !(x->flags & SSC_WF_DISK_DIRTY) &&
	       !ssc_way_any(c, way, SSC_DIRTY) &&
	       !ssc_way_any(c, way, SSC_INFLIGHT);
}

static uint64_t victim_score(const struct ssc_cache *c, const struct ssc_way *x)
{
	if (c->policy == SSC_ADAPTIVE)
		return ssc_pol_score(c, x);
	if (c->policy == SSC_LRU)
		return x->atime < ~0ull ? x->atime + 1 : x->atime;
	return ((uint64_t)(x->count < LFU_COUNT_MAX ? x->count : LFU_COUNT_MAX)
		<< LFU_SHIFT) + (x->atime & ATIME_MASK) + 1;
}

uint64_t ssc_set_candidate(const struct ssc_cache *c, uint64_t set,
			   bool may_evict, uint64_t *score)
{
	uint64_t w = set * SSC_WAYS, end = w + SSC_WAYS;
	uint64_t best = SSC_NO_BLOCK, best_score = ~0ull;

	for (; w < end; w++) {
		const struct ssc_way *x = &c->ways[w];
		uint64_t s;

		if (x->oblock == SSC_NO_BLOCK) {
			*score = 0;
			return w;
		}
		if (!may_evict || !ssc_way_reusable(c, w))
			continue;
		s = victim_score(c, x);
		if (s < best_score) {
			best = w;
			best_score = s;
		}
	}
	*score = best_score;
	return best;
}

/* No way of @way's set other than @way holds a block. */
static bool set_empty_but(const struct ssc_cache *c, uint64_t way)
{
	uint64_t w, first = way - way % SSC_WAYS;

	for (w = first; w < first + SSC_WAYS; w++)
		if (w != way && c->ways[w].oblock != SSC_NO_BLOCK)
			return false;
	return true;
}

void ssc_way_evict(struct ssc_cache *c, uint64_t way)
{
	struct ssc_way *x = &c->ways[way];
	uint32_t k;

	if (x->oblock == SSC_NO_BLOCK)
		return;
	ssc_pol_evict(c, x);
	if (ssc_way_any(c, way, SSC_DIRTY))
		ssc_counter_add(&c->nr_dirty, -1);
	for (k = 0; k < SSC_NR_BITS; k++)
		memset(ssc_bits(c, way, (enum ssc_bits)k), 0,
		       c->g.words * sizeof(uint64_t));
	x->oblock = SSC_NO_BLOCK;
	x->count = 0;
	x->atime = 0;
	x->flags = 0;
	ssc_counter_add(&c->nr_used, -1);
	if (set_empty_but(c, way))
		ssc_counter_add(&c->nr_sets_used, -1);
}

static bool way_install(struct ssc_cache *c, uint64_t way, uint64_t oblock,
			uint64_t now, bool loaded)
{
	struct ssc_way *x = &c->ways[way];
	bool evicted = x->oblock != SSC_NO_BLOCK;

	if (evicted)
		ssc_pol_replaced(c, x);
	ssc_way_evict(c, way);
	if (set_empty_but(c, way))
		ssc_counter_add(&c->nr_sets_used, 1);
	x->oblock = oblock;
	x->atime = now;
	x->count = 1;
	if (c->policy == SSC_ADAPTIVE)
		ssc_pol_install(c, x, oblock, loaded);
	ssc_counter_add(&c->nr_used, 1);
	return evicted;
}

bool ssc_way_install(struct ssc_cache *c, uint64_t way, uint64_t oblock,
		     uint64_t now)
{
	return way_install(c, way, oblock, now, false);
}

void ssc_way_load(struct ssc_cache *c, uint64_t way, uint64_t oblock)
{
	way_install(c, way, oblock, 0, true);
}

void ssc_way_touch(struct ssc_cache *c, uint64_t way, uint64_t now,
		   uint32_t first, uint32_t n)
{
	struct ssc_way *x = &c->ways[way];

	if (c->policy == SSC_ADAPTIVE) {
		/* reuse of data, not a neighbour's first touch */
		ssc_pol_touch(c, x, now,
			      ssc_range_any(c, way, SSC_VALID, first, n) ||
			      ssc_range_any(c, way, SSC_INFLIGHT, first, n));
		return;
	}
	x->atime = now;
	if (x->count < 0xffffffffu)
		x->count++;
}

/* ---- sub-block state transitions ---- */

bool ssc_fill_start(struct ssc_cache *c, uint64_t way, uint32_t first,
		    uint32_t n)
{
	if (c->ways[way].fills)
		return false;
	c->ways[way].fills++;
	ssc_range_set(c, way, SSC_INFLIGHT, first, n);
	return true;
}

uint32_t ssc_fill_done(struct ssc_cache *c, uint64_t way, uint32_t first,
		       uint32_t n, bool ok)
{
	uint64_t *in = ssc_bits(c, way, SSC_INFLIGHT);
	uint64_t *va = ssc_bits(c, way, SSC_VALID);
	uint32_t i, made = 0;

	if (c->ways[way].fills)
		c->ways[way].fills--;
	for (i = first / 64; i < c->g.words && i * 64 < first + n; i++) {
		uint64_t m = word_mask(first, n, i) & in[i];
		uint64_t add = m & ~va[i];

		in[i] &= ~m;
		if (!ok)
			continue;
		va[i] |= m;
		while (add) {
			add &= add - 1;
			made++;
		}
	}
	return made;
}

bool ssc_cancel(struct ssc_cache *c, uint64_t way, uint32_t first, uint32_t n)
{
	bool had = ssc_range_any(c, way, SSC_INFLIGHT, first, n) ||
		   ssc_range_any(c, way, SSC_VALID, first, n);

	ssc_range_clear(c, way, SSC_INFLIGHT, first, n);
	ssc_invalidate(c, way, first, n);
	return had;
}

void ssc_write_done(struct ssc_cache *c, uint64_t way, uint32_t first,
		    uint32_t n, bool dirty)
{
	bool was_dirty = ssc_way_any(c, way, SSC_DIRTY);

	/* the write's data supersedes any fill still in flight */
	ssc_range_clear(c, way, SSC_INFLIGHT, first, n);
	ssc_range_set(c, way, SSC_VALID, first, n);
	if (dirty) {
		ssc_range_set(c, way, SSC_DIRTY, first, n);
		if (!was_dirty)
			ssc_counter_add(&c->nr_dirty, 1);
	} else if (was_dirty) {
		/* written to both devices: the copies agree again */
		ssc_clean(c, way, first, n);
	}
	/* (a way with no dirty sub-block has nothing to clean) */
}

void ssc_clean_mask(struct ssc_cache *c, uint64_t way, const uint64_t *mask)
{
	uint64_t *d = ssc_bits(c, way, SSC_DIRTY);
	bool was_dirty = ssc_way_any(c, way, SSC_DIRTY);
	uint32_t i;

	for (i = 0; i < c->g.words; i++)
		d[i] &= ~mask[i];
	if (was_dirty && !ssc_way_any(c, way, SSC_DIRTY))
		ssc_counter_add(&c->nr_dirty, -1);
}

void ssc_clean(struct ssc_cache *c, uint64_t way, uint32_t first, uint32_t n)
{
	bool was_dirty = ssc_way_any(c, way, SSC_DIRTY);

	ssc_range_clear(c, way, SSC_DIRTY, first, n);
	if (was_dirty && !ssc_way_any(c, way, SSC_DIRTY))
		ssc_counter_add(&c->nr_dirty, -1);
}

void ssc_invalidate(struct ssc_cache *c, uint64_t way, uint32_t first,
		    uint32_t n)
{
	ssc_clean(c, way, first, n);
	ssc_range_clear(c, way, SSC_VALID, first, n);
}

enum ssc_read_kind ssc_classify_read(const struct ssc_cache *c, uint64_t way,
				     uint32_t first, uint32_t n)
{
	if (ssc_range_all(c, way, SSC_VALID, first, n))
		return SSC_READ_HIT;
	if (ssc_range_any(c, way, SSC_DIRTY, first, n))
		return SSC_READ_DIRTY_MIX;
	return SSC_READ_PARTIAL;
}
