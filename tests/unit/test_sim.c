// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of ssc-sim (tools/lib/ssct_sim.c, included):
 * trace parsers, the replay through the core on hand-made traces whose hit
 * counts are derived by hand, and the LRU / OPT references.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../tools/lib/ssct_sim.c"

/* A one-set cache (16 blocks of 8 sectors) over a 512 MiB origin. */
static void one_set(struct sim *s, enum ssc_policy p, uint32_t lbs,
		    enum ssc_mode mode, uint32_t opts)
{
	struct sim_opts o = {
		.cache_bytes = 16 * 8 * 512, .block_sectors = 8, .assoc = 1,
		.lbs = lbs, .mode = mode, .policy = p, .opts = opts,
	};
	const char *err;

	assert_int_equal(sim_init(s, &o, 1 << 20, &err), 0);
	assert_int_equal(s->e.c.g.nr_sets, 1);
}

static void rd(struct sim *s, uint64_t block)
{
	sim_access(s, block * 8, 8, false);
}

/*
 * LRU, 16 ways: b0..b15 (16 misses), b0 (hit), b16 (miss, evicts b1, the
 * least recently used), b1 (miss, evicts b2), b0 (hit): 2 hits, 18 misses.
 */
static void test_lru_one_set(void **state)
{
	struct sim s;
	int i;

	one_set(&s, SSC_LRU, 4096, SSC_WRITETHROUGH, 0);
	for (i = 0; i < 16; i++)
		rd(&s, i);
	rd(&s, 0);
	rd(&s, 16);
	rd(&s, 1);
	rd(&s, 0);
	assert_int_equal(s.st.read_hits, 2);
	assert_int_equal(s.st.read_misses, 18);
	assert_int_equal(s.st.evictions, 2);
	rd(&s, 2);	/* evicted by b1 */
	assert_int_equal(s.st.read_misses, 19);
	sim_exit(&s);
}

/*
 * LFU: b0..b15 (16 misses, count 1), b0 twice (hits, count 3), b1 (hit,
 * count 2), b16 (miss: evicts b2, the oldest of the count-1 blocks), b2
 * (miss: evicts b3), b0 (hit): 4 hits, 18 misses; b1 survives.
 */
static void test_lfu_one_set(void **state)
{
	struct sim s;
	int i;

	one_set(&s, SSC_LFU, 4096, SSC_WRITETHROUGH, 0);
	for (i = 0; i < 16; i++)
		rd(&s, i);
	rd(&s, 0);
	rd(&s, 0);
	rd(&s, 1);
	rd(&s, 16);
	rd(&s, 2);
	rd(&s, 0);
	assert_int_equal(s.st.read_hits, 4);
	assert_int_equal(s.st.read_misses, 18);
	rd(&s, 1);
	assert_int_equal(s.st.read_hits, 5);
	rd(&s, 3);
	assert_int_equal(s.st.read_misses, 19);
	sim_exit(&s);
}

/*
 * Sub-blocks (8 per block on 512-byte sectors): sector 0 (miss, fills 0),
 * sector 1 (mapped but invalid: miss), sectors 0-1 (hit), write 4-7 (write
 * hit, valid), read 4-7 (hit), read 0-7 (2-3 invalid: miss).
 */
static void test_sub_blocks(void **state)
{
	struct sim s;

	one_set(&s, SSC_LRU, 512, SSC_WRITETHROUGH, 0);
	sim_access(&s, 0, 1, false);
	sim_access(&s, 1, 1, false);
	sim_access(&s, 0, 2, false);
	sim_access(&s, 4, 4, true);
	sim_access(&s, 4, 4, false);
	sim_access(&s, 0, 8, false);
	assert_int_equal(s.st.read_hits, 2);
	assert_int_equal(s.st.read_misses, 3);
	assert_int_equal(s.st.write_hits, 1);
	assert_int_equal(s.st.read_hit_sectors, 6);
	assert_int_equal(s.st.read_miss_sectors, 10);
	sim_access(&s, 0, 8, false);	/* filled by the miss before */
	assert_int_equal(s.st.read_hits, 3);
	sim_exit(&s);
}

/* A request is split at block boundaries: sectors 4-11 are two pieces. */
static void test_split(void **state)
{
	struct sim s;

	one_set(&s, SSC_LRU, 512, SSC_WRITETHROUGH, 0);
	sim_access(&s, 4, 8, false);
	assert_int_equal(s.st.read_misses, 2);
	sim_access(&s, 4, 4, false);
	sim_access(&s, 8, 4, false);
	assert_int_equal(s.st.read_hits, 2);
	sim_exit(&s);
}

/* readcache: a write invalidates; the next read misses. */
static void test_readcache(void **state)
{
	struct sim s;

	one_set(&s, SSC_LRU, 4096, SSC_READCACHE, 0);
	rd(&s, 0);
	sim_access(&s, 0, 8, true);
	rd(&s, 0);
	assert_int_equal(s.st.read_hits, 0);
	assert_int_equal(s.st.read_misses, 2);
	assert_int_equal(s.st.invalidations, 1);
	rd(&s, 0);
	assert_int_equal(s.st.read_hits, 1);
	sim_exit(&s);
}

/* Write misses take only free ways, unless evict_on_write. */
static void test_write_alloc(void **state)
{
	struct sim s;
	int i;

	one_set(&s, SSC_LRU, 4096, SSC_WRITEBACK, 0);
	for (i = 0; i < 16; i++)
		rd(&s, i);
	sim_access(&s, 16 * 8, 8, true);
	assert_int_equal(s.st.write_misses, 1);
	assert_int_equal(s.st.write_skip, 1);
	rd(&s, 16);
	assert_int_equal(s.st.read_misses, 17);
	sim_exit(&s);

	one_set(&s, SSC_LRU, 4096, SSC_WRITEBACK, SSC_OPT_EVICT_ON_WRITE);
	for (i = 0; i < 16; i++)
		rd(&s, i);
	sim_access(&s, 16 * 8, 8, true);
	assert_int_equal(s.st.write_skip, 0);
	assert_int_equal(s.st.evictions, 1);
	rd(&s, 16);	/* the write made it valid */
	assert_int_equal(s.st.read_hits, 1);
	sim_exit(&s);

	one_set(&s, SSC_LRU, 4096, SSC_WRITETHROUGH, SSC_OPT_SKIP_WRITE_INSERT);
	sim_access(&s, 0, 8, true);
	assert_int_equal(s.st.write_skip, 1);
	rd(&s, 0);
	assert_int_equal(s.st.read_misses, 1);
	sim_exit(&s);
}

/*
 * The textbook reference string (Silberschatz): 3 frames, OPT 9 faults,
 * LRU 12 faults.
 */
static void test_refs_textbook(void **state)
{
	static const uint64_t str[] = {
		7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1,
	};
	struct sim_refs r = { .blk = (uint64_t *)str, .n = 20 };

	assert_int_equal(sim_ref_opt(&r, 3), 9);
	assert_int_equal(sim_ref_lru(&r, 3), 12);
	/* 6 pages: 6 frames only take cold misses */
	assert_int_equal(sim_ref_opt(&r, 6), 6);
	assert_int_equal(sim_ref_lru(&r, 6), 6);
	/* 5 frames: OPT evicts 7 for the 4 (used last), then 4 for the 7 */
	assert_int_equal(sim_ref_opt(&r, 5), 7);
}

/*
 * 1 2 3 1 4 2 in 2 blocks: LRU misses all 6; OPT keeps 1 for its reuse
 * (evicts 2 at the 3): 5 misses.
 */
static void test_refs_small(void **state)
{
	static const uint64_t str[] = { 1, 2, 3, 1, 4, 2 };
	struct sim_refs r = { .blk = (uint64_t *)str, .n = 6 };

	assert_int_equal(sim_ref_lru(&r, 2), 6);
	assert_int_equal(sim_ref_opt(&r, 2), 5);
	assert_int_equal(sim_ref_lru(&r, 1), 6);
}

/*
 * A loop 0 1 2 x3 in 2 blocks: LRU misses all 9; OPT: 0m 1m 2m(evicts 1)
 * 0h 1m(evicts 0) 2h 0m(evicts 2) 1h 2m: 6 misses.
 */
static void test_refs_loop(void **state)
{
	static const uint64_t str[] = { 0, 1, 2, 0, 1, 2, 0, 1, 2 };
	struct sim_refs r = { .blk = (uint64_t *)str, .n = 9 };

	assert_int_equal(sim_ref_lru(&r, 2), 9);
	assert_int_equal(sim_ref_opt(&r, 2), 6);
	assert_int_equal(sim_ref_opt(&r, 3), 3);
}

static void test_parsers(void **state)
{
	struct sim_trace t = { 0 };
	char l1[] = "128166385295514663,hm,0,Write,9056014336,2048,2833";
	char l2[] = "1456095145.133076000,0.000806000,R,0,899056122368,131072";
	char l3[] = "1,5633898,2a,512,42932745";
	char l4[] = "230027 8 0 0";
	char l5[] = "R,4096,8192";
	char l6[] = "  8,0    3        1     0.000000000   697  Q   WS 223490 + 8 [kjournald]";
	char l7[] = "  8,0    3        2     0.000000100   697  C   WS 223490 + 8 [0]";
	char bad1[] = "128166385295514663,hm,0,Frob,1,2,3";
	char bad2[] = "R,x,8192";
	char hdr[] = "Timestamp,Response,IOType,LUN,Offset,Size";
	unsigned char v[32] = { 0 };

	assert_int_equal(sim_parse_line(&t, FMT_MSR, l1), 1);
	assert_int_equal(t.r[0].sector, 9056014336ull / 512);
	assert_int_equal(t.r[0].nsect, 4);
	assert_true(t.r[0].write);
	assert_int_equal(sim_parse_line(&t, FMT_SYSTOR, hdr), 0);
	assert_int_equal(sim_parse_line(&t, FMT_SYSTOR, l2), 1);
	assert_int_equal(t.r[1].nsect, 256);
	assert_false(t.r[1].write);
	assert_int_equal(sim_parse_line(&t, FMT_CPCSV, l3), 1);
	assert_int_equal(t.r[2].sector, 42932745);
	assert_int_equal(t.r[2].nsect, 1);
	assert_true(t.r[2].write);
	assert_int_equal(sim_parse_line(&t, FMT_LIS, l4), 1);
	assert_int_equal(t.r[3].sector, 230027);
	assert_int_equal(t.r[3].nsect, 8);
	assert_int_equal(sim_parse_line(&t, FMT_CSV, l5), 1);
	assert_int_equal(t.r[4].sector, 8);
	assert_int_equal(t.r[4].nsect, 16);
	assert_int_equal(sim_parse_line(&t, FMT_BLKPARSE, l6), 1);
	assert_int_equal(t.r[5].sector, 223490);
	assert_true(t.r[5].write);
	assert_int_equal(sim_parse_line(&t, FMT_BLKPARSE, l7), 0);
	assert_int_equal(sim_parse_line(&t, FMT_MSR, bad1), -1);
	assert_int_equal(sim_parse_line(&t, FMT_CSV, bad2), -1);
	/* vscsi: len 4096, cmd 0x28 (read), lbn 1000 */
	v[5] = 0x10;
	v[12] = 0x28;
	v[13] = 0;
	v[16] = 1000 & 0xff;
	v[17] = 1000 >> 8;
	assert_int_equal(sim_parse_vscsi(&t, v), 1);
	assert_int_equal(t.r[6].sector, 1000);
	assert_int_equal(t.r[6].nsect, 8);
	assert_false(t.r[6].write);
	v[12] = 0x12;	/* INQUIRY: skipped */
	assert_int_equal(sim_parse_vscsi(&t, v), 0);
	assert_int_equal(t.n, 7);
	sim_trace_free(&t);
}

/* Guessing the format from the first line. */
static void test_guess(void **state)
{
	assert_int_equal(guess_fmt("x.csv", "Timestamp,Response,IOType,LUN,Offset,Size"), FMT_SYSTOR);
	assert_int_equal(guess_fmt("x.csv", "version,time,op,size,lbn"), FMT_CPCSV);
	assert_int_equal(guess_fmt("x.csv", "1,hm,0,Read,0,512,1"), FMT_MSR);
	assert_int_equal(guess_fmt("x.lis.zst", "1 8 0 0"), FMT_LIS);
	assert_int_equal(guess_fmt("x.txt", "W,0,4096"), FMT_CSV);
	assert_int_equal(guess_fmt("x.txt", "hello"), FMT_AUTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lru_one_set),
		cmocka_unit_test(test_lfu_one_set),
		cmocka_unit_test(test_sub_blocks),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_readcache),
		cmocka_unit_test(test_write_alloc),
		cmocka_unit_test(test_refs_textbook),
		cmocka_unit_test(test_refs_small),
		cmocka_unit_test(test_refs_loop),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_guess),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
