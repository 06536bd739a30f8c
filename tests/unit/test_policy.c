// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the adaptive policy (core/ssc_policy.c): its state
 * machine on one set, then its behaviour through the engine (ssc-sim's
 * replay) on workloads whose outcome the policy exists for: a hot set
 * that survives a scan, a hot set that moves.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../tools/lib/ssct_sim.c"

/* One set of 16 blocks of 8 sectors, every block valid (one sub-block). */
static void one_set(struct ssc_cache *c, uint64_t small_target)
{
	struct ssc_config cfg = {
		.block_sectors = 8, .assoc = 1, .policy = SSC_ADAPTIVE,
	};
	struct ssc_geom g;
	const char *err;

	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 20, 16 * 8, 4096, &err), 0);
	assert_int_equal(g.nr_sets, 1);
	assert_int_equal(ssc_cache_init(c, &g, SSC_ADAPTIVE, ssc_user_zalloc,
					NULL), 0);
	c->small_target = small_target;
}

static void put(struct ssc_cache *c, uint64_t way, uint64_t oblock,
		uint64_t now)
{
	ssc_way_install(c, way, oblock, now);
	ssc_write_done(c, way, 0, 1, false);	/* valid, clean */
}

static uint64_t victim(const struct ssc_cache *c)
{
	uint64_t score;

	return ssc_set_candidate(c, 0, true, &score);
}

static uint64_t nr_small(const struct ssc_cache *c)
{
	return ssc_counter_read(&c->nr_small);
}

static void test_probation(void **state)
{
	struct ssc_cache c;
	unsigned int i;

	(void)state;
	one_set(&c, 4);
	for (i = 0; i < SSC_WAYS; i++)
		put(&c, i, 100 + i, 1 + i);
	assert_int_equal(nr_small(&c), 16);
	/* over its share, probation gives the victim: the oldest entry */
	assert_int_equal(victim(&c), 0);
	/* two reuses earn the main part; a touch of no data is no reuse */
	ssc_way_touch(&c, 0, 20, 0, 1);
	assert_false(ssc_pol_reprieve(&c, 0, 21));
	ssc_way_touch(&c, 0, 22, 0, 1);
	assert_true(ssc_pol_reprieve(&c, 0, 23));
	assert_int_equal(nr_small(&c), 15);
	assert_int_equal(victim(&c), 1);
	ssc_range_clear(&c, 1, SSC_VALID, 0, 1);
	ssc_way_touch(&c, 1, 24, 0, 1);
	ssc_way_touch(&c, 1, 25, 0, 1);
	assert_false(ssc_pol_reprieve(&c, 1, 26));
	ssc_cache_exit(&c, ssc_user_release, NULL);
}

static void test_ghosts(void **state)
{
	struct ssc_cache c;
	unsigned int i;

	(void)state;
	one_set(&c, 4);
	for (i = 0; i < SSC_WAYS; i++)
		put(&c, i, 100 + i, 1 + i);
	/* block 100 leaves probation unhit: its ghost stays */
	assert_int_equal(victim(&c), 0);
	assert_false(ssc_pol_reprieve(&c, 0, 30));
	put(&c, 0, 200, 31);
	assert_int_equal(nr_small(&c), 16);
	/* when it comes back, it goes straight to the main part */
	assert_int_equal(victim(&c), 1);
	put(&c, 1, 100, 32);
	assert_int_equal(nr_small(&c), 15);
	/* the ghost was used up: out and back again, on probation */
	ssc_way_evict(&c, 1);
	assert_int_equal(nr_small(&c), 15);
	put(&c, 1, 100, 33);
	assert_int_equal(nr_small(&c), 16);
	ssc_cache_exit(&c, ssc_user_release, NULL);
}

static void test_main_part(void **state)
{
	struct ssc_cache c;
	unsigned int i;

	(void)state;
	one_set(&c, 4);
	/* loaded from the metadata: main part, in stamp order */
	for (i = 0; i < SSC_WAYS; i++) {
		ssc_way_load(&c, i, 100 + i);
		ssc_write_done(&c, i, 0, 1, false);
	}
	assert_int_equal(nr_small(&c), 0);
	for (i = 0; i < SSC_WAYS; i++)
		c.ways[i].atime = 10 + i;
	/* probation within its share: the main part's least recent goes */
	assert_int_equal(victim(&c), 0);
	/* a hit moves a main block to the front and buys one more round */
	ssc_way_touch(&c, 0, 40, 0, 1);
	assert_int_equal(victim(&c), 1);
	ssc_way_touch(&c, 1, 41, 0, 1);
	c.ways[1].atime = 5;
	assert_int_equal(victim(&c), 1);
	assert_true(ssc_pol_reprieve(&c, 1, 42));
	assert_int_equal(victim(&c), 2);
	c.ways[1].atime = 5;
	assert_false(ssc_pol_reprieve(&c, 1, 43));
	/* a new block on probation over its share is the victim first */
	ssc_way_evict(&c, 2);
	put(&c, 2, 300, 50);
	put(&c, 3, 301, 51);
	ssc_way_evict(&c, 4);
	put(&c, 4, 302, 52);
	c.small_target = 1;
	assert_int_equal(victim(&c), 2);
	c.small_target = 3;
	assert_int_equal(victim(&c), 1);
	/* every way out: the probation count is back to 0 */
	for (i = 0; i < SSC_WAYS; i++)
		ssc_way_evict(&c, i);
	assert_int_equal(nr_small(&c), 0);
	ssc_cache_exit(&c, ssc_user_release, NULL);
}

/* ---- through the engine ---- */

/* 64 sets of 4 KiB blocks (1024 ways) over a 4 GiB origin. */
static void sim_of(struct sim *s, enum ssc_policy p)
{
	struct sim_opts o = {
		.cache_bytes = 1024 * 4096, .block_sectors = 8, .assoc = 4,
		.lbs = 4096, .mode = SSC_WRITETHROUGH, .policy = p,
	};
	const char *err;

	assert_int_equal(sim_init(s, &o, 8ull << 20, &err), 0);
	assert_int_equal(s->e.c.g.nr_ways, 1024);
	if (p == SSC_ADAPTIVE) {
		/* probation 1/32 of the ways, ghosts for 5/4 of them */
		assert_int_equal(s->e.c.small_target, 32);
		assert_int_equal(s->e.c.nr_ghost_buckets, 1024 * 5 / 16 + 1);
	}
}

static void rd(struct sim *s, uint64_t block)
{
	sim_access(s, block * 8, 8, false);
}

/* Hits while reading blocks [first, first + n) @passes times. */
static uint64_t passes(struct sim *s, uint64_t first, uint64_t n,
		       unsigned int passes)
{
	uint64_t h = s->st.read_hits, b;
	unsigned int p;

	for (p = 0; p < passes; p++)
		for (b = 0; b < n; b++)
			rd(s, first + (b * 7919) % n);	/* scattered order */
	return s->st.read_hits - h;
}

/*
 * Run @w on a fresh cache with the adaptive policy and with @other;
 * out[0], out[1]: what @w returned with each.
 */
static void compare(enum ssc_policy other, uint64_t (*w)(struct sim *s),
		    uint64_t out[2])
{
	const enum ssc_policy pol[] = { SSC_ADAPTIVE, other };
	struct sim s;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		sim_of(&s, pol[i]);
		out[i] = w(&s);
		sim_exit(&s);
	}
}

/* A hot set of half the cache, then a scan of 8x the cache: hot set hits. */
static uint64_t scan_workload(struct sim *s)
{
	passes(s, 0, 512, 4);
	passes(s, 1000000, 8192, 1);
	return passes(s, 0, 512, 1);
}

static void test_scan(void **state)
{
	uint64_t hits[2];

	(void)state;
	compare(SSC_LRU, scan_workload, hits);
	print_message("scan: hot set hits after it: adaptive %llu, lru %llu of 512\n",
		      (unsigned long long)hits[0], (unsigned long long)hits[1]);
	assert_true(hits[0] >= 512 * 9 / 10);
	assert_int_equal(hits[1], 0);
}

/* A new hot set of half the cache: its hits in passes 3 and 4. */
static uint64_t moving_workload(struct sim *s)
{
	passes(s, 0, 900, 8);
	passes(s, 500000, 512, 2);
	return passes(s, 500000, 512, 2);
}

static void test_moving_hot_set(void **state)
{
	uint64_t hits[2];

	(void)state;
	compare(SSC_LFU, moving_workload, hits);
	print_message("moving hot set: passes 3-4 hits: adaptive %llu, lfu %llu of 1024\n",
		      (unsigned long long)hits[0], (unsigned long long)hits[1]);
	assert_true(hits[0] >= 1024 * 9 / 10);
	assert_true(hits[1] < 1024 / 2);
}

/*
 * Writes into a cache full of clean data: the adaptive policy admits them
 * (they enter probation), LFU and LRU take free ways only; a hot set of a
 * quarter of the cache, read before, stays. Returns skips << 32 | hits.
 */
static uint64_t write_workload(struct sim *s)
{
	uint64_t b, hot;

	passes(s, 0, 256, 3);
	passes(s, 10000, 768, 1);
	for (b = 0; b < 512; b++)
		sim_access(s, (200000 + b) * 8, 8, true);
	hot = passes(s, 0, 256, 1);
	return s->st.write_skip << 32 | hot;
}

static void test_write_admission(void **state)
{
	uint64_t r[2];

	(void)state;
	compare(SSC_LFU, write_workload, r);
	print_message("writes into a full cache: not cached: adaptive %llu, lfu %llu of 512; hot set hits after: %llu, %llu of 256\n",
		      (unsigned long long)(r[0] >> 32), (unsigned long long)(r[1] >> 32),
		      (unsigned long long)(r[0] & 0xffffffff),
		      (unsigned long long)(r[1] & 0xffffffff));
	assert_int_equal(r[0] >> 32, 0);
	assert_int_equal(r[1] >> 32, 512);
	assert_int_equal(r[0] & 0xffffffff, 256);
}

/*
 * The sequential cutoff (any policy; here LRU, which a scan flushes): a
 * stream of misses goes around the cache once it has run 1 MiB; the hot
 * set stays, random misses still fill, and a hit breaks no stream.
 */
static void test_seq_cutoff(void **state)
{
	struct sim s;
	uint64_t b, fills;

	(void)state;
	sim_of(&s, SSC_LRU);
	ssc_eng_set_seq_cutoff(&s.e, 2048);
	passes(&s, 0, 768, 2);
	/* 8 MiB in 64 KiB reads: 256 blocks of it cached, the rest not */
	for (b = 0; b < 2048; b += 16)
		sim_access(&s, (300000 + b) * 8, 128, false);
	assert_int_equal(s.st.seq_bypassed, 2048 - 256);
	assert_int_equal(passes(&s, 0, 768, 1), 768);
	/* the cached head of the stream is hit: a read after it is new */
	fills = s.st.read_misses;
	rd(&s, 300000);
	assert_int_equal(s.st.read_misses, fills);
	passes(&s, 500000, 64, 1);
	assert_int_equal(s.st.seq_bypassed, 2048 - 256);
	assert_int_equal(s.st.evictions, 768 + 256 + 64 - 1024);
	/* off again: a scan fills */
	ssc_eng_set_seq_cutoff(&s.e, 0);
	for (b = 0; b < 512; b++)
		rd(&s, 600000 + b);
	assert_int_equal(s.st.seq_bypassed, 2048 - 256);
	assert_int_equal(passes(&s, 600000, 512, 1), 512);
	sim_exit(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probation),
		cmocka_unit_test(test_ghosts),
		cmocka_unit_test(test_main_part),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_moving_hot_set),
		cmocka_unit_test(test_write_admission),
		cmocka_unit_test(test_seq_cutoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
