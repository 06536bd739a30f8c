// SPDX-License-Identifier: GPL-2.0
/*
 * ssc_policy.c - the adaptive replacement policy (SSC_ADAPTIVE).
 *
 * Quick demotion through a small probationary part, a main part ordered
 * by recency whose blocks earn extra rounds with hits, and ghosts of
 * recent probation evictions for admission: ideas of S3-FIFO (Yang et al.,
 * SOSP'23), CLOCK and 2Q, cast onto hashed sets, whose victims are chosen
 * by score among the ways of the probed sets.
 *
 * Per way: ssc_way.atime is the stamp of the block's entry (probation) or
 * last hit (main part); ssc_way.count holds a 2-bit hit count and the
 * main-part bit. Shared: the number of ways on probation (atomic) and the
 * ghost table, buckets of four 16-bit fingerprints, newest first, the
 * oldest shifted out.
 *
 * Locking: per way state under its set's lock, as all of the core. Ghost
 * buckets are read and written whole with READ_ONCE/WRITE_ONCE from under
 * different set locks: two updates of one bucket at once may lose one
 * fingerprint, which costs one admission decision and nothing else.
 */
#include "ssdcache/ssc_core.h"

#define POL_FREQ	0x3u		/* hit count */
#define POL_FREQ_MAX	2u
#define POL_MAIN	SSC_POL_MAIN	/* in the main part */
#define POL_PROMOTE	2u		/* hits that move a block off probation */
#define POL_OTHER	(1ull << 62)	/* score offset of the other part */



int ssc_pol_init(struct ssc_cache *c,
		 void *(*zalloc)(size_t size, void *arg), void *arg)
{
	uint64_t n;

	if (c->policy != SSC_ADAPTIVE)
		return 0;
	/* probation: 1/32 of the ways (about 3 %) */
	c->small_target = c->g.nr_ways / 32;
	/* ghosts: 5/4 of the ways, four to a bucket */
	n = c->g.nr_ways * 5 / 16 + 1;
	c->ghosts = zalloc(n * sizeof(*c->ghosts), arg);
	if (!c->ghosts)
		return -ENOMEM;
	c->nr_ghost_buckets = n;
	return 0;
}

void ssc_pol_exit(struct ssc_cache *c, void (*release)(void *p, void *arg),
		  void *arg)
{
	if (c->ghosts)
		release(c->ghosts, arg);
	c->ghosts = NULL;
}

/* The bucket and the (nonzero) fingerprint of @oblock's ghost. */
static uint64_t *ghost_slot(const struct ssc_cache *c, uint64_t oblock,
			    uint64_t *fp)
{
	uint64_t h = ssc_hash64(oblock ^ 0x5bd1e9955bd1e995ull);
	uint64_t h32 = h & 0xffffffffu, nb = c->nr_ghost_buckets;

	*fp = h >> 48;
	if (!*fp)
		*fp = 1;
	/* h32 * nb >> 32, without a 128-bit product */
	return &c->ghosts[((h32 * (nb & 0xffffffffu)) >> 32) +
			  h32 * (nb >> 32)];
}

static void ghost_put(struct ssc_cache *c, uint64_t oblock)
{
	uint64_t fp, *b = ghost_slot(c, oblock, &fp);

	SSC_WRITE_ONCE(*b, (SSC_READ_ONCE(*b) << 16) | fp);
}

static bool ghost_take(struct ssc_cache *c, uint64_t oblock)
{
	uint64_t fp, *b = ghost_slot(c, oblock, &fp);
	uint64_t v = SSC_READ_ONCE(*b);
	unsigned int i;

	for (i = 0; i < 64; i += 16) {
		if (((v >> i) & 0xffff) == fp) {
			SSC_WRITE_ONCE(*b, v & ~(0xffffull << i));
			return true;
		}
	}
	return false;
}

bool ssc_pol_from_small(const struct ssc_cache *c)
{
	return c->policy == SSC_ADAPTIVE &&
	       ssc_counter_read(&c->nr_small) > c->small_target;
}

uint64_t ssc_pol_score(const struct ssc_cache *c, const struct ssc_way *x)
{
	bool from_small = ssc_pol_from_small(c);
	uint64_t s = (x->atime & (POL_OTHER - 1)) + 1;

	if (!!(x->count & POL_MAIN) == from_small)
		s |= POL_OTHER;
	return s;
}

bool ssc_pol_reprieve(struct ssc_cache *c, uint64_t way, uint64_t now)
{
	struct ssc_way *x = &c->ways[way];
	uint32_t f = x->count & POL_FREQ;

	if (c->policy != SSC_ADAPTIVE)
		return false;
	if (!(x->count & POL_MAIN)) {
		if (f < POL_PROMOTE)
			return false;
		x->count = POL_MAIN;
		ssc_counter_add(&c->nr_small, -1);
	} else {
		if (!f)
			return false;
		x->count--;
	}
	x->atime = now;
	return true;
}

void ssc_pol_touch(struct ssc_cache *c, struct ssc_way *x, uint64_t now,
		   bool reuse)
{
	(void)c;
	if (x->count & POL_MAIN)
		x->atime = now;
	if (reuse && (x->count & POL_FREQ) < POL_FREQ_MAX)
		x->count++;
}

void ssc_pol_install(struct ssc_cache *c, struct ssc_way *x, uint64_t oblock,
		     bool loaded)
{
	if (loaded || ghost_take(c, oblock)) {
		x->count = POL_MAIN;
		return;
	}
	x->count = 0;
	ssc_counter_add(&c->nr_small, 1);
}

void ssc_pol_replaced(struct ssc_cache *c, const struct ssc_way *x)
{
	if (c->policy == SSC_ADAPTIVE && x->oblock != SSC_NO_BLOCK &&
	    !(x->count & POL_MAIN))
		ghost_put(c, x->oblock);
}

void ssc_pol_evict(struct ssc_cache *c, const struct ssc_way *x)
{
	if (c->policy == SSC_ADAPTIVE && x->oblock != SSC_NO_BLOCK &&
	    !(x->count & POL_MAIN))
		ssc_counter_add(&c->nr_small, -1);
}
