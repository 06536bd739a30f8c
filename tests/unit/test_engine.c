// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the I/O engine (core/ssc_engine.c), one request at a time,
 * each plan carried out by hand. ssc-explore covers interleavings; these
 * pin single paths whose outcome is not a contract violation but a
 * behaviour the target doc promises.
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

#define BS 8	/* sectors per block: 8 sub-blocks of 512 bytes */

static uint64_t stats[SSC_NR_STATS];

static void count(struct ssc_engine *e, enum ssc_stat s)
{
	(void)e;
	stats[s]++;
}

static const struct ssc_env_ops ops = { .stat = count };

static void setup(struct ssc_engine *e, enum ssc_mode mode, uint32_t opts)
{
	struct ssc_config cfg = { .block_sectors = BS, .assoc = 1 };
	const char *err;
	struct ssc_geom g;

	memset(stats, 0, sizeof(stats));
	assert_int_equal(ssc_geom_init(&g, &cfg, 64 * BS, 16 * BS, 512, &err), 0);
	assert_int_equal(ssc_eng_init(e, &g, SSC_LRU, mode, opts, 4,
				      ssc_user_zalloc, NULL), 0);
	e->env = &ops;
}

/* A read, every device I/O succeeding; returns its plan. */
static enum ssc_plan rd(struct ssc_engine *e, uint64_t sector, uint32_t n,
			bool cache_error)
{
	struct ssc_fill_ref f;
	struct ssc_req r;
	enum ssc_plan p, q;

	ssc_eng_req_init(e, &r, SSC_OP_READ, sector, n, false);
	p = ssc_eng_map(e, &r);
	switch (p) {
	case SSC_PLAN_READ_CACHE:
		q = ssc_eng_read_hit_end(e, &r, cache_error);
		if (q == SSC_PLAN_READ_ORIGIN)
			ssc_eng_retry_end(e, &r);
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

/* A write-back write that stays dirty (no eager write-behind). */
static void wr(struct ssc_engine *e, uint64_t sector, uint32_t n)
{
	struct ssc_fill_ref f;
	struct ssc_req r;

	ssc_eng_req_init(e, &r, SSC_OP_WRITE, sector, n, false);
	assert_int_equal(ssc_eng_map(e, &r), SSC_PLAN_WRITE_CACHE);
	assert_int_equal(ssc_eng_write_end(e, &r, &f), SSC_WEND_LAZY);
}

static void idle(struct ssc_engine *e)
{
	uint64_t w;
	uint32_t s;

	for (s = 0; s <= e->stripe_mask; s++)
		assert_true(ssc_lock_idle(&e->stripes[s].st));
	for (w = 0; w < e->c.g.nr_ways; w++)
		assert_int_equal(e->c.ways[w].busy, 0);
}

/* miss, fill, hit; a write-back write is dirty until the cleaner ran. */
static void test_paths(void **state)
{
	struct ssc_clean_item it[2];
	struct ssc_engine e;
	uint64_t cursor = 0;

	(void)state;
	setup(&e, SSC_WRITEBACK, 0);
	assert_int_equal(rd(&e, 0, 4, false), SSC_PLAN_READ_ORIGIN);
	assert_int_equal(rd(&e, 0, 4, false), SSC_PLAN_READ_CACHE);
	assert_int_equal(rd(&e, 4, 4, false), SSC_PLAN_READ_ORIGIN);
	wr(&e, 8, 8);
	assert_int_equal(ssc_counter_read(&e.c.nr_dirty), 1);
	assert_int_equal(rd(&e, 8, 8, false), SSC_PLAN_READ_CACHE);
	assert_int_equal(ssc_eng_clean_pick(&e, &cursor, it, 2), 1);
	ssc_eng_clean_end(&e, &it[0], true);
	assert_int_equal(ssc_counter_read(&e.c.nr_dirty), 0);
	assert_int_equal(stats[SSC_ST_CLEANED], 1);
	idle(&e);
	ssc_eng_exit(&e, ssc_user_release, NULL);
}

/*
 * A cache read error on clean data is served from the origin, and the
 * range is dropped even when another part of the block is dirty: the next
 * read must not go to the failing cache sector again.
 */
static void test_read_error_drops_clean(void **state)
{
	struct ssc_engine e;

	(void)state;
	setup(&e, SSC_WRITEBACK, 0);
	wr(&e, 0, 1);				/* sub-block 0 dirty */
	assert_int_equal(rd(&e, 4, 4, false), SSC_PLAN_READ_ORIGIN);
	assert_int_equal(rd(&e, 4, 4, true), SSC_PLAN_READ_CACHE);
	assert_int_equal(stats[SSC_ST_CACHE_ERRORS], 1);
	/* the retried range is not valid any more: a miss, a new fill */
	assert_int_equal(rd(&e, 4, 4, false), SSC_PLAN_READ_ORIGIN);
	/* the dirty sub-block stays */
	assert_int_equal(ssc_counter_read(&e.c.nr_dirty), 1);
	assert_int_equal(rd(&e, 0, 1, false), SSC_PLAN_READ_CACHE);
	idle(&e);
	ssc_eng_exit(&e, ssc_user_release, NULL);
}

/* A cache read error on dirty data fails the read: nothing else has it. */
static void test_read_error_dirty(void **state)
{
	struct ssc_engine e;
	struct ssc_req r;

	(void)state;
	setup(&e, SSC_WRITEBACK, 0);
	wr(&e, 0, 8);
	ssc_eng_req_init(&e, &r, SSC_OP_READ, 0, 8, false);
	assert_int_equal(ssc_eng_map(&e, &r), SSC_PLAN_READ_CACHE);
	assert_int_equal(ssc_eng_read_hit_end(&e, &r, true), SSC_PLAN_KILL);
	assert_int_equal(ssc_counter_read(&e.c.nr_dirty), 1);
	idle(&e);
	ssc_eng_exit(&e, ssc_user_release, NULL);
}

/*
 * A write-back write whose cache write fails goes to the origin; if that
 * fails too, the clean cached copy of the range is dropped (either device
 * may hold either version) and the write fails.
 */
static void test_both_fail(void **state)
{
	struct ssc_fill_ref f;
	struct ssc_engine e;
	struct ssc_req r;

	(void)state;
	setup(&e, SSC_WRITEBACK, 0);
	assert_int_equal(rd(&e, 0, 8, false), SSC_PLAN_READ_ORIGIN);
	ssc_eng_req_init(&e, &r, SSC_OP_WRITE, 0, 4, false);
	assert_int_equal(ssc_eng_map(&e, &r), SSC_PLAN_WRITE_CACHE);
	r.cerr = true;
	assert_int_equal(ssc_eng_write_end(&e, &r, &f), SSC_WEND_FALLBACK);
	assert_true(r.fallback);
	r.oerr = true;
	assert_int_equal(ssc_eng_write_end(&e, &r, &f), SSC_WEND_COMPLETE);
	assert_int_equal(rd(&e, 0, 4, false), SSC_PLAN_READ_ORIGIN);
	assert_int_equal(rd(&e, 4, 4, false), SSC_PLAN_READ_CACHE);
	idle(&e);
	ssc_eng_exit(&e, ssc_user_release, NULL);
}

/* A write waits for a read holding its block, and is given back on release. */
static struct ssc_req *woken;

static void requeue(struct ssc_engine *e, struct ssc_req *list)
{
	(void)e;
	woken = list;
}

static void test_wait(void **state)
{
	static const struct ssc_env_ops wops = {
		.stat = count, .requeue = requeue,
	};
	struct ssc_req rr, w;
	struct ssc_fill_ref f;
	struct ssc_engine e;

	(void)state;
	setup(&e, SSC_WRITETHROUGH, SSC_OPT_QUEUE_BUSY);
	e.env = &wops;
	woken = NULL;
	ssc_eng_req_init(&e, &rr, SSC_OP_READ, 0, 8, false);
	assert_int_equal(ssc_eng_map(&e, &rr), SSC_PLAN_READ_ORIGIN);
	ssc_eng_req_init(&e, &w, SSC_OP_WRITE, 0, 8, false);
	assert_int_equal(ssc_eng_map(&e, &w), SSC_PLAN_QUEUED);
	assert_int_equal(stats[SSC_ST_WRITE_BUSY], 1);
	assert_true(ssc_eng_read_miss_end(&e, &rr, false, &f));
	assert_null(woken);			/* the fill holds the lock */
	ssc_eng_fill_end(&e, &f, true);
	assert_ptr_equal(woken, &w);
	assert_true(w.retry);
	assert_int_equal(ssc_eng_map(&e, &w), SSC_PLAN_WRITE_BOTH);
	assert_int_equal(stats[SSC_ST_WRITE_BUSY], 1);	/* counted once */
	assert_int_equal(ssc_eng_write_end(&e, &w, &f), SSC_WEND_COMPLETE);
	idle(&e);
	ssc_eng_exit(&e, ssc_user_release, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_read_error_drops_clean),
		cmocka_unit_test(test_read_error_dirty),
		cmocka_unit_test(test_both_fail),
		cmocka_unit_test(test_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
