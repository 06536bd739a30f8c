// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: geometry, placement, replacement and sub-block state
 * (core/ssc_geom.c, core/ssc_cache.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <pthread.h>

#include "ssdcache/ssc_core.h"

static struct ssc_config cfg_of(uint32_t bs, uint32_t assoc, enum ssc_policy p)
{
	struct ssc_config cfg = {
		.block_sectors = bs, .assoc = assoc, .policy = p,
	};
	return cfg;
}

/* A cache of @sets sets of 8-sector blocks over 512-byte sectors. */
static void make_cache(struct ssc_cache *c, uint64_t sets, uint32_t assoc,
		       enum ssc_policy p)
{
	struct ssc_config cfg = cfg_of(8, assoc, p);
	struct ssc_geom g;
	const char *err;

	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 20, sets * 16 * 8, 512,
				       &err), 0);
	assert_int_equal(g.nr_sets, sets);
	assert_int_equal(ssc_cache_init(c, &g, p, ssc_user_zalloc, NULL), 0);
}

static void test_geometry(void **state)
{
	struct ssc_config cfg = cfg_of(256, 4, SSC_LFU);
	struct ssc_geom g;
	const char *err;

	(void)state;
	/* 64 MiB cache, 128 KiB blocks: 512 blocks, 32 sets */
	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 21, 1 << 17, 512, &err), 0);
	assert_int_equal(g.nr_ways, 512);
	assert_int_equal(g.nr_sets, 32);
	assert_int_equal(g.nsub, 256);
	assert_int_equal(g.words, 4);
	assert_int_equal(g.block_shift, 8);
	assert_int_equal(g.origin_blocks, 8192);
	/* 4 KiB logical blocks: 32 sub-blocks of 8 sectors */
	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 21, 1 << 17, 4096, &err), 0);
	assert_int_equal(g.nsub, 32);
	assert_int_equal(g.sub_shift, 3);
	assert_int_equal(g.words, 1);
	/* partial last origin block counts */
	assert_int_equal(ssc_geom_init(&g, &cfg, 257, 1 << 17, 512, &err), 0);
	assert_int_equal(g.origin_blocks, 2);
	assert_true(ssc_bytes_per_block(&g) > sizeof(struct ssc_way));
}

static void test_geometry_errors(void **state)
{
	struct ssc_config cfg = cfg_of(256, 4, SSC_LFU);
	struct ssc_geom g;
	const char *err;

	(void)state;
	/* cache smaller than one set of 16 blocks */
	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 20, 15 * 256, 512, &err), -EINVAL);
	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 20, 0, 512, &err), -EINVAL);
	/* block below the logical block size */
	cfg.block_sectors = 4;
	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 20, 1 << 20, 4096, &err), -EINVAL);
	/* more than 4096 sub-blocks; 4096 (2 MiB of 512 bytes) is fine */
	cfg.block_sectors = 8192;
	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 24, 1 << 20, 512, &err), -EINVAL);
	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 24, 1 << 20, 4096, &err), 0);
	cfg.block_sectors = 4096;
	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 24, 1 << 20, 512, &err), 0);
	assert_int_equal(g.nsub, 4096);
	assert_int_equal(g.words, 64);
	/* not a power of two, zero */
	cfg.block_sectors = 24;
	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 20, 1 << 20, 512, &err), -EINVAL);
	cfg.block_sectors = 0;
	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 20, 1 << 20, 512, &err), -EINVAL);
	cfg.block_sectors = 8;
	cfg.assoc = 0;
	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 20, 1 << 20, 512, &err), -EINVAL);
	cfg.assoc = 4;
	assert_int_equal(ssc_geom_init(&g, &cfg, 0, 1 << 20, 512, &err), -EINVAL);
	assert_int_equal(ssc_geom_init(&g, &cfg, 8, 1 << 20, 768, &err), -EINVAL);
}

static void test_probe_sets(void **state)
{
	struct ssc_config cfg = cfg_of(8, 4, SSC_LFU);
	uint64_t sets[SSC_MAX_ASSOC + 1], b;
	struct ssc_geom g;
	const char *err;
	unsigned int n, i, j;

	(void)state;
	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 20, 100 * 16 * 8, 512, &err), 0);
	for (b = 0; b < 5000; b++) {
		n = ssc_probe_sets(&g, b, sets);
		assert_true(n >= 1 && n <= 5);
		assert_int_equal(sets[0], b % 100);
		for (i = 0; i < n; i++) {
			assert_true(sets[i] < 100);
			for (j = 0; j < i; j++)
				assert_true(sets[i] != sets[j]);
		}
		/* deterministic */
		{
			uint64_t again[SSC_MAX_ASSOC + 1];

			assert_int_equal(ssc_probe_sets(&g, b, again), n);
			assert_memory_equal(again, sets, n * sizeof(uint64_t));
		}
	}
	/* two blocks with the same home set take different probe paths */
	{
		uint64_t a[8], c[8];

		ssc_probe_sets(&g, 7, a);
		ssc_probe_sets(&g, 107, c);
		assert_int_equal(a[0], c[0]);
		assert_true(a[1] != c[1] || a[2] != c[2]);
	}
	/* one set: no probing */
	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 20, 16 * 8, 512, &err), 0);
	assert_int_equal(ssc_probe_sets(&g, 12345, sets), 1);
	/* two sets: only the other one */
	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 20, 2 * 16 * 8, 512, &err), 0);
	assert_int_equal(ssc_probe_sets(&g, 3, sets), 2);
	/* assoc 64 over 4 sets stops at the cycle */
	cfg.assoc = 64;
	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 20, 4 * 16 * 8, 512, &err), 0);
	n = ssc_probe_sets(&g, 9, sets);
	assert_true(n <= 4);
}

static void test_install_find_evict(void **state)
{
	struct ssc_cache c;
	uint64_t score, w;

	(void)state;
	make_cache(&c, 4, 4, SSC_LRU);
	assert_int_equal(ssc_set_find(&c, 1, 42), SSC_NO_BLOCK);
	w = ssc_set_candidate(&c, 1, false, &score);
	assert_int_equal(w, 16);
	assert_int_equal(score, 0);
	assert_false(ssc_way_install(&c, w, 42, 1));
	assert_int_equal(ssc_counter_read(&c.nr_used), 1);
	assert_int_equal(ssc_set_find(&c, 1, 42), 16);
	assert_int_equal(ssc_set_find(&c, 0, 42), SSC_NO_BLOCK);
	ssc_way_evict(&c, w);
	assert_int_equal(ssc_counter_read(&c.nr_used), 0);
	assert_int_equal(ssc_set_find(&c, 1, 42), SSC_NO_BLOCK);

	/* sets in use, as the status prints them (no walk of the cache) */
	assert_int_equal(ssc_counter_read(&c.nr_sets_used), 0);
	assert_false(ssc_way_install(&c, 16, 42, 1));
	assert_false(ssc_way_install(&c, 17, 43, 1));
	assert_false(ssc_way_install(&c, 33, 44, 1));
	assert_int_equal(ssc_counter_read(&c.nr_sets_used), 2);
	assert_true(ssc_way_install(&c, 16, 45, 2));	/* replaced in place */
	assert_int_equal(ssc_counter_read(&c.nr_sets_used), 2);
	ssc_way_evict(&c, 16);
	assert_int_equal(ssc_counter_read(&c.nr_sets_used), 2);
	ssc_way_evict(&c, 17);
	assert_int_equal(ssc_counter_read(&c.nr_sets_used), 1);
	ssc_way_evict(&c, 17);				/* already free */
	ssc_way_evict(&c, 33);
	assert_int_equal(ssc_counter_read(&c.nr_sets_used), 0);
	ssc_cache_exit(&c, ssc_user_release, NULL);
}

static void fill_set(struct ssc_cache *c, uint64_t set, uint64_t base)
{
	unsigned int i;

	for (i = 0; i < SSC_WAYS; i++)
		ssc_way_install(c, set * SSC_WAYS + i, base + i, 100 + i);
}

static void test_lru(void **state)
{
	struct ssc_cache c;
	uint64_t score, w;

	(void)state;
	make_cache(&c, 1, 1, SSC_LRU);
	fill_set(&c, 0, 1000);
	/* no free way and eviction not allowed */
	assert_int_equal(ssc_set_candidate(&c, 0, false, &score), SSC_NO_BLOCK);
	/* oldest is way 0 */
	assert_int_equal(ssc_set_candidate(&c, 0, true, &score), 0);
	ssc_way_touch(&c, 0, 500, 0, 1);
	assert_int_equal(ssc_set_candidate(&c, 0, true, &score), 1);
	/* busy, dirty and filling blocks are never victims */
	c.ways[1].busy = 1;
	assert_int_equal(ssc_set_candidate(&c, 0, true, &score), 2);
	ssc_write_done(&c, 2, 0, 1, true);
	assert_int_equal(ssc_set_candidate(&c, 0, true, &score), 3);
	assert_true(ssc_fill_start(&c, 3, 0, 2));
	w = ssc_set_candidate(&c, 0, true, &score);
	assert_int_equal(w, 4);
	assert_true(ssc_way_install(&c, w, 77, 600));
	assert_int_equal(ssc_set_find(&c, 0, 77), 4);
	assert_int_equal(ssc_set_find(&c, 0, 1004), SSC_NO_BLOCK);
	ssc_cache_exit(&c, ssc_user_release, NULL);
}

static void test_lfu(void **state)
{
	struct ssc_cache c;
	uint64_t score;
	unsigned int i;

	(void)state;
	make_cache(&c, 1, 1, SSC_LFU);
	fill_set(&c, 0, 0);
	for (i = 0; i < SSC_WAYS; i++)
		if (i != 9)
			ssc_way_touch(&c, i, 1000 + i, 0, 1);
	/* way 9 has the fewest accesses although it is not the oldest */
	assert_int_equal(ssc_set_candidate(&c, 0, true, &score), 9);
	ssc_way_touch(&c, 9, 2000, 0, 1);
	/* tie on count: the least recent of them */
	assert_int_equal(ssc_set_candidate(&c, 0, true, &score), 0);
	ssc_cache_exit(&c, ssc_user_release, NULL);
}

/* The clock runs past 2^40 (and past 2^48 for LRU): the oldest still goes. */
static void test_clock_no_wrap(void **state)
{
	struct ssc_cache c;
	uint64_t score, t = 1ull << 40;
	unsigned int i;

	(void)state;
	make_cache(&c, 1, 1, SSC_LRU);
	for (i = 0; i < SSC_WAYS; i++)
		ssc_way_install(&c, i, 100 + i, t - 8 + i);
	/* way 0 is the oldest, stamped just below 2^40 */
	assert_int_equal(ssc_set_candidate(&c, 0, true, &score), 0);
	for (i = 0; i < SSC_WAYS; i++)
		ssc_way_touch(&c, i, (1ull << 50) + (i == 3 ? 0 : 100 + i), 0, 1);
	assert_int_equal(ssc_set_candidate(&c, 0, true, &score), 3);
	ssc_cache_exit(&c, ssc_user_release, NULL);

	make_cache(&c, 1, 1, SSC_LFU);
	for (i = 0; i < SSC_WAYS; i++)
		ssc_way_install(&c, i, 100 + i, t - 8 + i);
	assert_int_equal(ssc_set_candidate(&c, 0, true, &score), 0);
	ssc_cache_exit(&c, ssc_user_release, NULL);
}

static void test_ranges(void **state)
{
	struct ssc_cache c;
	struct ssc_config cfg = cfg_of(256, 1, SSC_LRU);
	struct ssc_geom g;
	const char *err;

	(void)state;
	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 20, 16 * 256, 512, &err), 0);
	assert_int_equal(ssc_cache_init(&c, &g, SSC_LRU, ssc_user_zalloc, NULL), 0);
	ssc_way_install(&c, 0, 5, 1);
	ssc_range_set(&c, 0, SSC_VALID, 60, 10);	/* crosses a word */
	assert_true(ssc_range_all(&c, 0, SSC_VALID, 60, 10));
	assert_false(ssc_range_all(&c, 0, SSC_VALID, 59, 10));
	assert_true(ssc_range_any(&c, 0, SSC_VALID, 0, 61));
	assert_false(ssc_range_any(&c, 0, SSC_VALID, 70, 186));
	assert_int_equal(ssc_way_weight(&c, 0, SSC_VALID), 10);
	ssc_range_set(&c, 0, SSC_VALID, 0, 256);
	assert_int_equal(ssc_way_weight(&c, 0, SSC_VALID), 256);
	assert_true(ssc_range_all(&c, 0, SSC_VALID, 0, 256));
	ssc_range_clear(&c, 0, SSC_VALID, 128, 64);
	assert_int_equal(ssc_way_weight(&c, 0, SSC_VALID), 192);
	assert_false(ssc_range_any(&c, 0, SSC_VALID, 128, 64));
	assert_true(ssc_range_all(&c, 0, SSC_VALID, 192, 64));
	/* ways do not share bits */
	assert_false(ssc_way_any(&c, 1, SSC_VALID));
	ssc_cache_exit(&c, ssc_user_release, NULL);
}

static void test_transitions(void **state)
{
	struct ssc_cache c;

	(void)state;
	make_cache(&c, 1, 1, SSC_LRU);
	ssc_way_install(&c, 0, 1, 1);

	/* invalid -> inflight -> valid */
	assert_true(ssc_fill_start(&c, 0, 0, 4));
	assert_true(ssc_range_all(&c, 0, SSC_INFLIGHT, 0, 4));
	assert_int_equal(ssc_classify_read(&c, 0, 0, 4), SSC_READ_PARTIAL);
	/* a second fill on the same way must wait for the first */
	assert_false(ssc_fill_start(&c, 0, 4, 2));
	assert_int_equal(ssc_fill_done(&c, 0, 0, 4, true), 4);
	assert_int_equal(c.ways[0].fills, 0);
	assert_false(ssc_way_any(&c, 0, SSC_INFLIGHT));
	assert_int_equal(ssc_classify_read(&c, 0, 0, 4), SSC_READ_HIT);

	/* inflight -> cancelled: the fill's data is never made valid */
	assert_true(ssc_fill_start(&c, 0, 4, 4));
	assert_true(ssc_cancel(&c, 0, 5, 1));
	assert_int_equal(ssc_fill_done(&c, 0, 4, 4, true), 3);
	assert_false(ssc_range_any(&c, 0, SSC_VALID, 5, 1));
	assert_true(ssc_range_all(&c, 0, SSC_VALID, 6, 2));

	/* a failed fill validates nothing */
	assert_true(ssc_fill_start(&c, 0, 8, 2));
	assert_int_equal(ssc_fill_done(&c, 0, 8, 2, false), 0);
	assert_false(ssc_range_any(&c, 0, SSC_VALID, 8, 2));

	/* write-through write: valid, clean; supersedes an inflight fill */
	assert_true(ssc_fill_start(&c, 0, 10, 2));
	ssc_write_done(&c, 0, 10, 1, false);
	assert_true(ssc_range_all(&c, 0, SSC_VALID, 10, 1));
	assert_false(ssc_range_any(&c, 0, SSC_INFLIGHT, 10, 1));
	assert_int_equal(ssc_fill_done(&c, 0, 10, 2, true), 1);
	assert_int_equal(ssc_counter_read(&c.nr_dirty), 0);

	/* write-back write: valid + dirty; eviction impossible */
	ssc_write_done(&c, 0, 12, 2, true);
	assert_int_equal(ssc_counter_read(&c.nr_dirty), 1);
	assert_false(ssc_way_reusable(&c, 0));
	assert_int_equal(ssc_classify_read(&c, 0, 12, 2), SSC_READ_HIT);
	assert_int_equal(ssc_classify_read(&c, 0, 11, 4), SSC_READ_DIRTY_MIX);
	/* a partial read next to, but not over, dirty data can use the origin */
	assert_int_equal(ssc_classify_read(&c, 0, 14, 2), SSC_READ_PARTIAL);
	ssc_write_done(&c, 0, 14, 1, true);
	assert_int_equal(ssc_counter_read(&c.nr_dirty), 1);	/* counted per block */

	/* clean: dirty -> valid */
	ssc_clean(&c, 0, 12, 2);
	assert_int_equal(ssc_counter_read(&c.nr_dirty), 1);
	ssc_clean(&c, 0, 14, 1);
	assert_int_equal(ssc_counter_read(&c.nr_dirty), 0);
	assert_true(ssc_range_all(&c, 0, SSC_VALID, 12, 3));
	assert_true(ssc_way_reusable(&c, 0));

	/* invalidate of dirty data keeps the dirty count right */
	ssc_write_done(&c, 0, 0, 1, true);
	assert_int_equal(ssc_counter_read(&c.nr_dirty), 1);
	ssc_invalidate(&c, 0, 0, 8);
	assert_int_equal(ssc_counter_read(&c.nr_dirty), 0);
	assert_false(ssc_range_any(&c, 0, SSC_VALID, 0, 8));

	/* a write-through write cleans what it overwrites */
	ssc_write_done(&c, 0, 0, 2, true);
	assert_int_equal(ssc_counter_read(&c.nr_dirty), 1);
	ssc_write_done(&c, 0, 0, 2, false);
	assert_int_equal(ssc_counter_read(&c.nr_dirty), 0);
	assert_true(ssc_range_all(&c, 0, SSC_VALID, 0, 2));
	/* clean by mask (the cleaner's snapshot) */
	ssc_write_done(&c, 0, 0, 3, true);
	{
		uint64_t m[1] = { 0x3 };

		ssc_clean_mask(&c, 0, m);
		assert_int_equal(ssc_counter_read(&c.nr_dirty), 1);
		m[0] = 0x4;
		ssc_clean_mask(&c, 0, m);
		assert_int_equal(ssc_counter_read(&c.nr_dirty), 0);
	}
	ssc_invalidate(&c, 0, 0, 8);
	/* committed dirty state blocks reuse until a commit clears it */
	c.ways[0].flags |= SSC_WF_DISK_DIRTY;
	assert_false(ssc_way_reusable(&c, 0));
	c.ways[0].flags = 0;
	assert_true(ssc_way_reusable(&c, 0));

	/* cancel of nothing reports nothing */
	assert_false(ssc_cancel(&c, 0, 0, 8));

	/* eviction of a dirty way adjusts the count (used on detach) */
	ssc_write_done(&c, 0, 0, 1, true);
	ssc_way_evict(&c, 0);
	assert_int_equal(ssc_counter_read(&c.nr_dirty), 0);
	assert_int_equal(ssc_counter_read(&c.nr_used), 0);
	ssc_cache_exit(&c, ssc_user_release, NULL);
}

/*
 * The used/dirty counters are shared by all sets while each set has its own
 * lock: threads working on different sets must not lose updates.
 */
struct counter_arg {
	struct ssc_cache *c;
	uint64_t set;
};

static void *counter_worker(void *p)
{
	struct counter_arg *a = p;
	uint64_t w = a->set * SSC_WAYS;
	int i;

	for (i = 0; i < 1000000; i++) {
		ssc_way_install(a->c, w, 1000 + a->set, (uint64_t)i);
		ssc_write_done(a->c, w, 0, 1, true);
		ssc_way_evict(a->c, w);
	}
	return NULL;
}

static void test_counters_concurrent(void **state)
{
	struct counter_arg args[4];
	pthread_t t[4];
	struct ssc_cache c;
	int i;

	(void)state;
	make_cache(&c, 4, 1, SSC_LRU);
	for (i = 0; i < 4; i++) {
		args[i].c = &c;
		args[i].set = (uint64_t)i;
		assert_int_equal(pthread_create(&t[i], NULL, counter_worker, &args[i]), 0);
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(ssc_counter_read(&c.nr_used), 0);
	assert_int_equal(ssc_counter_read(&c.nr_dirty), 0);
	ssc_cache_exit(&c, ssc_user_release, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_geometry_errors),
		cmocka_unit_test(test_probe_sets),
		cmocka_unit_test(test_install_find_evict),
		cmocka_unit_test(test_lru),
		cmocka_unit_test(test_lfu),
		cmocka_unit_test(test_clock_no_wrap),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_counters_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
