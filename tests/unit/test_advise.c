// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of "ssdcache advise" (tools/lib/ssct_advise.c): the lists it
 * parses, and on hand-made traces that the recommendation is the smallest
 * size that reaches the target, that its predicted hit ratio is the
 * replay's at that size, and that an unreachable target says so.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../tools/lib/ssct_sim.c"
#include "../../tools/lib/ssct_args.c"
#include "../../tools/lib/ssct_advise.c"

/* @loops passes over @n 4 KiB blocks, reads: a loop needs all n cached. */
static void loop_trace(struct sim_trace *t, uint64_t n, int loops)
{
	int l;

	memset(t, 0, sizeof(*t));
	for (l = 0; l < loops; l++)
		for (uint64_t b = 0; b < n; b++)
			assert_int_equal(trace_add(t, b * 8, 8, false), 0);
}

static void base(struct ssct_advise *a)
{
	char e[128];

	memset(a, 0, sizeof(*a));
	a->lbs = 4096;
	a->mode = SSC_WRITETHROUGH;
	a->origin_sectors = 1ull << 24;		/* 8 GiB */
	assert_int_equal(ssct_advise_blocks(a, "4k", e, sizeof(e)), 0);
	assert_int_equal(ssct_advise_policies(a, "lru", e, sizeof(e)), 0);
}

static double hit_at(const struct ssct_advise *a, const struct sim_trace *t,
		     uint64_t bytes)
{
	struct ssct_adv_conf c = { .block_bytes = a->block_bytes[0], .policy = a->policy[0] };

	return replay(t, a, &c, bytes);
}

static void test_lists(void **state)
{
	struct ssct_advise a = { 0 };
	char e[128];

	(void)state;
	assert_int_equal(ssct_advise_blocks(&a, "4k,32K,128k", e, sizeof(e)), 0);
	assert_int_equal(a.nblock, 3);
	assert_int_equal(a.block_bytes[1], 32768);
	assert_int_equal(ssct_advise_blocks(&a, "3k", e, sizeof(e)), -EINVAL);
	assert_non_null(strstr(e, "power of two"));
	assert_int_equal(ssct_advise_blocks(&a, "256", e, sizeof(e)), -EINVAL);
	assert_int_equal(ssct_advise_blocks(&a, ",", e, sizeof(e)), -EINVAL);
	assert_int_equal(ssct_advise_policies(&a, "LFU,adaptive", e, sizeof(e)), 0);
	assert_int_equal(a.npolicy, 2);
	assert_int_equal(a.policy[1], SSC_ADAPTIVE);
	assert_int_equal(ssct_advise_policies(&a, "fifo", e, sizeof(e)), -EINVAL);
	assert_non_null(strstr(e, "fifo"));
}

/*
 * A loop over 4096 blocks (16 MiB), 4 passes: LRU hits 3/4 of the reads
 * once the cache holds all of them, nothing below. The recommendation is
 * a size whose replay reaches the target, and 1 MiB less does not.
 */
static void test_smallest(void **state)
{
	struct ssct_advise_result r;
	struct ssct_advise a;
	struct sim_trace t;
	char e[128];
	FILE *f;

	(void)state;
	loop_trace(&t, 4096, 4);
	base(&a);
	a.target = 0.7;
	assert_int_equal(ssct_advise_run(&t, &a, &r, e, sizeof(e)), 0);
	assert_int_equal(r.reads, 4 * 4096);
	assert_int_equal(r.footprint, 16ull << 20);
	assert_true(r.npoints >= 10);
	for (unsigned int i = 1; i < r.npoints; i++)
		assert_true(r.bytes[i] > r.bytes[i - 1]);
	assert_true(r.found);
	assert_true(r.rec_hit >= 0.7);
	assert_true(r.rec_bytes > (16ull << 20));	/* data and metadata */
	assert_true(r.rec_bytes < (24ull << 20));
	assert_true(r.rec_hit == hit_at(&a, &t, r.rec_bytes));
	assert_true(hit_at(&a, &t, r.rec_bytes - MIB) < 0.7);
	f = fopen("/dev/null", "w");
	ssct_advise_print(f, &a, &r);
	ssct_advise_data(f, &r);
	ssct_advise_gnuplot(f, &r, "d", "p.png");
	fclose(f);
	ssct_advise_free(&r);

	/* the default target: 90 % of the best, 0.75 here */
	a.target = 0;
	assert_int_equal(ssct_advise_run(&t, &a, &r, e, sizeof(e)), 0);
	assert_true(r.target > 0.67 && r.target < 0.68);
	assert_true(r.found);
	ssct_advise_free(&r);
	sim_trace_free(&t);
}

/* A target beyond what any size reaches; a workload without reads. */
static void test_unreachable(void **state)
{
	struct ssct_advise_result r;
	struct ssct_advise a;
	struct sim_trace t;
	char e[128];

	(void)state;
	loop_trace(&t, 1024, 2);		/* at most 1/2 of the reads hit */
	base(&a);
	a.target = 0.6;
	assert_int_equal(ssct_advise_run(&t, &a, &r, e, sizeof(e)), 0);
	assert_false(r.found);
	ssct_advise_free(&r);
	sim_trace_free(&t);

	memset(&t, 0, sizeof(t));
	assert_int_equal(trace_add(&t, 0, 8, true), 0);
	assert_int_equal(ssct_advise_run(&t, &a, &r, e, sizeof(e)), -1);
	assert_non_null(strstr(e, "no reads"));
	sim_trace_free(&t);

	/* a block size the logical block size cannot have */
	loop_trace(&t, 16, 1);
	assert_int_equal(ssct_advise_blocks(&a, "1k", e, sizeof(e)), 0);
	assert_int_equal(ssct_advise_run(&t, &a, &r, e, sizeof(e)), -1);
	assert_non_null(strstr(e, "outside"));
	sim_trace_free(&t);
}

/* Review findings: no reuse at all; --min-size bounds the bisection. */
static void test_no_reuse_min_size(void **state)
{
	struct ssct_advise_result r;
	struct ssct_advise a;
	struct sim_trace t;
	char e[128];

	(void)state;
	loop_trace(&t, 4096, 1);		/* every read a first read */
	base(&a);
	assert_int_equal(ssct_advise_run(&t, &a, &r, e, sizeof(e)), 0);
	assert_false(r.found);
	assert_true(r.target <= 0);
	ssct_advise_free(&r);
	sim_trace_free(&t);

	loop_trace(&t, 4096, 4);
	base(&a);
	a.target = 0.7;
	a.min_bytes = 64ull << 20;
	a.max_bytes = 128ull << 20;
	assert_int_equal(ssct_advise_run(&t, &a, &r, e, sizeof(e)), 0);
	assert_true(r.found);
	assert_int_equal(r.rec_bytes, 64ull << 20);
	ssct_advise_free(&r);
	sim_trace_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_smallest),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_no_reuse_min_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
