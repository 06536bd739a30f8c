// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the engine's hit path (core/ssc_engine.c), by the locks it
 * takes and the state it leaves. Its cost in instructions is what
 * "make hitcost" reports (callgrind); these pin the work a hit does: which
 * locks, how often, in which order, one access recorded, no reference
 * left, and the lazily computed probe sequence being the same sets in the
 * same order as ssc_probe_sets(). Also the bitmap range helpers' one-word
 * fast path against a bit-by-bit reference.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ssdcache/ssc_core.h"
#include "ssdcache/ssc_engine.h"

#define BS	8	/* sectors per block: 8 sub-blocks of 512 bytes */
#define NSETS	64

static uint64_t stats[SSC_NR_STATS];

static void count(struct ssc_engine *e, enum ssc_stat s)
{
	(void)e;
	stats[s]++;
}

static const struct ssc_env_ops ops = { .stat = count };

/* The locks taken, in order, while recording. */
#define MAX_TAKEN 64
static struct ssc_spinlock *taken[MAX_TAKEN];
static unsigned int ntaken;

static void record(struct ssc_spinlock *l)
{
	assert_true(ntaken < MAX_TAKEN);
	taken[ntaken++] = l;
}

static void rec_start(void)
{
	ntaken = 0;
	ssc_env_lock_wait = record;
}

static void rec_stop(void)
{
	ssc_env_lock_wait = NULL;
}

static void setup(struct ssc_engine *e, enum ssc_policy pol,
		  enum ssc_mode mode)
{
	struct ssc_config cfg = { .block_sectors = BS, .assoc = 4 };
	const char *err;
	struct ssc_geom g;

	memset(stats, 0, sizeof(stats));
	assert_int_equal(ssc_geom_init(&g, &cfg, 1024 * NSETS * BS,
				       NSETS * SSC_WAYS * BS, 512, &err), 0);
	assert_int_equal(g.nr_sets, NSETS);
	assert_int_equal(ssc_eng_init(e, &g, pol, mode, 0, 1024,
				      ssc_user_zalloc, NULL), 0);
	e->env = &ops;
}

/* A whole-block read, every device I/O succeeding; returns its plan. */
static enum ssc_plan rd(struct ssc_engine *e, uint64_t oblock)
{
	struct ssc_fill_ref f;
	struct ssc_req r;
	enum ssc_plan p;

	ssc_eng_req_init(e, &r, SSC_OP_READ, oblock * BS, BS, false);
	p = ssc_eng_map(e, &r);
	switch (p) {
	case SSC_PLAN_READ_CACHE:
		assert_int_equal(ssc_eng_read_hit_end(e, &r, false),
				 SSC_PLAN_DONE);
		break;
	case SSC_PLAN_READ_ORIGIN:
		if (ssc_eng_read_miss_end(e, &r, false, &f))
			ssc_eng_fill_end(e, &f, true);
		break;
	default:
		fail_msg("unexpected read plan %d", (int)p);
	}
	return p;
}

/* Where @oblock lives (SSC_NO_BLOCK: nowhere), without touching it. */
static uint64_t way_of(struct ssc_engine *e, uint64_t oblock)
{
	uint64_t sets[SSC_MAX_ASSOC + 1], w;
	unsigned int n = ssc_probe_sets(&e->c.g, oblock, sets), i;

	for (i = 0; i < n; i++) {
		w = ssc_set_find(&e->c, sets[i], oblock);
		if (w != SSC_NO_BLOCK)
			return w;
	}
	return SSC_NO_BLOCK;
}

static struct ssc_spinlock *set_lock(struct ssc_engine *e, uint64_t set)
{
	return &e->set_locks[set];
}

static struct ssc_spinlock *stripe_lock(struct ssc_engine *e, uint64_t ob)
{
	return &e->stripes[ssc_eng_stripe_of(e, ob)].lock;
}

static bool is_set_lock(struct ssc_engine *e, struct ssc_spinlock *l)
{
	return l >= e->set_locks && l < e->set_locks + e->c.g.nr_sets;
}

/*
 * A read hit in the home set: the stripe lock to take the block SHARED,
 * the home set's once for the lookup, the access and the classification,
 * once more to drop the reference, the stripe's to release. One access:
 * the clock moves by one and the block carries the new stamp.
 */
static void test_read_hit_home(void **state)
{
	struct ssc_engine e;
	uint64_t ob = 3 * NSETS + 5, home, w, clk;

	(void)state;
	setup(&e, SSC_LRU, SSC_WRITETHROUGH);
	home = ssc_home_set(&e.c.g, ob);
	assert_int_equal(rd(&e, ob), SSC_PLAN_READ_ORIGIN);
	w = way_of(&e, ob);
	assert_int_equal(w / SSC_WAYS, home);
	clk = ssc_counter_read(&e.clock);

	rec_start();
	assert_int_equal(rd(&e, ob), SSC_PLAN_READ_CACHE);
	rec_stop();
	assert_int_equal(ntaken, 4);
	assert_ptr_equal(taken[0], stripe_lock(&e, ob));
	assert_ptr_equal(taken[1], set_lock(&e, home));
	assert_ptr_equal(taken[2], set_lock(&e, home));
	assert_ptr_equal(taken[3], stripe_lock(&e, ob));

	assert_int_equal(ssc_counter_read(&e.clock), clk + 1);
	assert_int_equal(e.c.ways[w].atime, clk + 1);
	assert_int_equal(e.c.ways[w].busy, 0);
	assert_int_equal(stats[SSC_ST_READ_HITS], 1);
	assert_int_equal(stats[SSC_ST_READ_CLEAN], 1);
	ssc_eng_exit(&e, ssc_user_release, NULL);
}

/*
 * A block in a probed set (its home set is full): the lookup locks the
 * sets of ssc_probe_sets() in order up to the block's own and no further.
 */
static void test_read_hit_probed(void **state)
{
	uint64_t sets[SSC_MAX_ASSOC + 1], ob, home = 9, w;
	struct ssc_engine e;
	unsigned int n, i;

	(void)state;
	setup(&e, SSC_LRU, SSC_WRITETHROUGH);
	for (i = 0; i < SSC_WAYS; i++)
		assert_int_equal(rd(&e, home + (uint64_t)(i + 1) * NSETS),
				 SSC_PLAN_READ_ORIGIN);
	ob = home + (SSC_WAYS + 1) * NSETS;
	assert_int_equal(rd(&e, ob), SSC_PLAN_READ_ORIGIN);
	n = ssc_probe_sets(&e.c.g, ob, sets);
	assert_true(n > 1);
	assert_int_equal(sets[0], home);
	w = way_of(&e, ob);
	assert_int_equal(w / SSC_WAYS, sets[1]);

	rec_start();
	assert_int_equal(rd(&e, ob), SSC_PLAN_READ_CACHE);
	rec_stop();
	assert_int_equal(ntaken, 5);
	assert_ptr_equal(taken[1], set_lock(&e, sets[0]));
	assert_ptr_equal(taken[2], set_lock(&e, sets[1]));
	assert_ptr_equal(taken[3], set_lock(&e, sets[1]));
	assert_int_equal(e.c.ways[w].busy, 0);
	ssc_eng_exit(&e, ssc_user_release, NULL);
}

/*
 * A miss looks in every set of the probe sequence, in its order, before
 * it allocates: the lazily computed sequence is ssc_probe_sets()'s.
 */
static void test_miss_probes_all(void **state)
{
	uint64_t sets[SSC_MAX_ASSOC + 1], ob = 12345;
	struct ssc_engine e;
	unsigned int n, i, k = 0;

	(void)state;
	setup(&e, SSC_LFU, SSC_WRITETHROUGH);
	/* a block whose sequence is the longest assoc 4 gives */
	while ((n = ssc_probe_sets(&e.c.g, ob, sets)) != 5)
		ob++;
	rec_start();
	assert_int_equal(rd(&e, ob), SSC_PLAN_READ_ORIGIN);
	rec_stop();
	/* the first set locks taken are the lookup's, one per probed set */
	for (i = 0; i < ntaken && k < n; i++)
		if (is_set_lock(&e, taken[i]))
			assert_ptr_equal(taken[i], set_lock(&e, sets[k++]));
	assert_int_equal(k, n);
	assert_true(way_of(&e, ob) != SSC_NO_BLOCK);
	ssc_eng_exit(&e, ssc_user_release, NULL);
}

/*
 * A write hit, write-through and write-back: the stripe's lock EXCL, the
 * home set's for the lookup, for recording the write and for dropping the
 * reference, the stripe's to release; the data ends valid (and dirty in
 * write-back), one access recorded, no reference left.
 */
static void test_write_hit(void **state)
{
	enum ssc_mode modes[] = { SSC_WRITETHROUGH, SSC_WRITEBACK };
	unsigned int m;

	(void)state;
	for (m = 0; m < 2; m++) {
		struct ssc_engine e;
		uint64_t ob = 7 * NSETS + 1, home, w, clk;
		struct ssc_fill_ref f;
		struct ssc_req r;

		setup(&e, SSC_ADAPTIVE, modes[m]);
		home = ssc_home_set(&e.c.g, ob);
		assert_int_equal(rd(&e, ob), SSC_PLAN_READ_ORIGIN);
		w = way_of(&e, ob);
		clk = ssc_counter_read(&e.clock);

		rec_start();
		ssc_eng_req_init(&e, &r, SSC_OP_WRITE, ob * BS + 2, 4, false);
		assert_int_equal(ssc_eng_map(&e, &r), modes[m] == SSC_WRITEBACK ?
				 SSC_PLAN_WRITE_CACHE : SSC_PLAN_WRITE_BOTH);
		assert_int_equal(ssc_eng_write_end(&e, &r, &f),
				 modes[m] == SSC_WRITEBACK ?
				 SSC_WEND_LAZY : SSC_WEND_COMPLETE);
		rec_stop();
		assert_int_equal(ntaken, 5);
		assert_ptr_equal(taken[0], stripe_lock(&e, ob));
		assert_ptr_equal(taken[1], set_lock(&e, home));
		assert_ptr_equal(taken[2], set_lock(&e, home));
		assert_ptr_equal(taken[3], set_lock(&e, home));
		assert_ptr_equal(taken[4], stripe_lock(&e, ob));

		assert_int_equal(ssc_counter_read(&e.clock), clk + 1);
		assert_int_equal(e.c.ways[w].busy, 0);
		assert_true(ssc_range_all(&e.c, w, SSC_VALID, 0, BS));
		assert_int_equal(ssc_way_weight(&e.c, w, SSC_DIRTY),
				 modes[m] == SSC_WRITEBACK ? 4 : 0);
		assert_int_equal(ssc_counter_read(&e.c.nr_dirty),
				 modes[m] == SSC_WRITEBACK ? 1 : 0);
		assert_int_equal(stats[SSC_ST_WRITE_HITS], 1);
		ssc_eng_exit(&e, ssc_user_release, NULL);
	}
}

/* ---- the range helpers against a bit-by-bit reference ---- */

static bool bit(const uint64_t *b, uint32_t i)
{
	return (b[i / 64] >> (i % 64)) & 1;
}

static void test_range_fast_path(void **state)
{
	struct ssc_config cfg = { .block_sectors = 256, .assoc = 1 };
	uint64_t seed = 0x12345678, ref[4], *b;
	struct ssc_cache c;
	const char *err;
	struct ssc_geom g;
	uint32_t first, n, i;

	(void)state;
	/* 256 sub-blocks: 4 words */
	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 20, 16 * 256, 512,
				       &err), 0);
	assert_int_equal(ssc_cache_init(&c, &g, SSC_LRU, ssc_user_zalloc,
					NULL), 0);
	b = ssc_bits(&c, 3, SSC_VALID);
	for (first = 0; first <= 256; first++) {
		for (n = 0; first + n <= 256; n += (n < 70 ? 1 : 37)) {
			bool all = true, any = false;

			for (i = 0; i < 4; i++) {
				seed = seed * 6364136223846793005ull + 1;
				/* mostly full words, so that "all" is often true */
				b[i] = (seed >> 60) < 12 ? ~0ull : seed;
			}
			for (i = first; i < first + n; i++) {
				all = all && bit(b, i);
				any = any || bit(b, i);
			}
			assert_int_equal(ssc_range_all(&c, 3, SSC_VALID, first, n), all);
			assert_int_equal(ssc_range_any(&c, 3, SSC_VALID, first, n), any);

			memcpy(ref, b, sizeof(ref));
			ssc_range_set(&c, 3, SSC_VALID, first, n);
			for (i = 0; i < 256; i++)
				assert_int_equal(bit(b, i), bit(ref, i) ||
						 (i >= first && i < first + n));
			memcpy(b, ref, sizeof(ref));
			ssc_range_clear(&c, 3, SSC_VALID, first, n);
			for (i = 0; i < 256; i++)
				assert_int_equal(bit(b, i), bit(ref, i) &&
						 !(i >= first && i < first + n));
		}
	}
	/* the neighbouring ways' bitmaps were never touched */
	for (i = 0; i < 4; i++) {
		assert_int_equal(ssc_bits(&c, 2, SSC_INFLIGHT)[i], 0);
		assert_int_equal(ssc_bits(&c, 3, SSC_DIRTY)[i], 0);
	}
	ssc_cache_exit(&c, ssc_user_release, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_hit_home),
		cmocka_unit_test(test_read_hit_probed),
		cmocka_unit_test(test_miss_probes_all),
		cmocka_unit_test(test_write_hit),
		cmocka_unit_test(test_range_fast_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
