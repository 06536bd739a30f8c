// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the register checker of ssc-regcheck (tools/lib/ssct_regcheck.c)
 * on made-up histories, and the tool itself on a file. Its verdicts must be
 * able to fail: a stale read, a value never written, another sector's data,
 * garbage, a read older than what an earlier read saw and a flip-flop
 * between two writes are each caught; an in-flight write's value, either
 * of two concurrent writes, a failed write's old or new value and a torn
 * sector during a write are accepted.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../tools/lib/ssct_dev.c"
#include "../../tools/lib/ssct_regcheck.c"
#define main regcheck_main
#include "../../tools/ssc-regcheck.c"
#undef main

#define TAG	0x1234567890abcdefull
#define NSECT	64
#define MS	1000000ll		/* times below are in ms */

static struct rc_log *L;
static struct rc_report R;
static FILE *OUT;

static struct rc_log *new_log(const struct rc_val *init, int strict_torn)
{
	struct rc_params p = { .start = 0, .nsect = NSECT, .tag = TAG, .nthreads = 4,
			       .block_sect = 8, .strict_torn = strict_torn, .max_reports = 5 };

	rc_log_free(L);
	L = rc_log_new(&p, init);
	return L;
}

/* a write by @thread of @n sectors at @s, issued at @ti ms, completed at @tc ms */
static uint32_t w(uint32_t thread, uint64_t s, uint32_t n, int64_t ti, int64_t tc, int ok)
{
	uint32_t id = rc_write_begin(L, thread, s, n);

	rc_write_end(L, id, L->t0 + ti * MS, L->t0 + tc * MS, ok);
	return id;
}

/* sector content naming write @id (0: the initial content) at sector @s */
static void value(uint8_t *p, uint64_t s, uint32_t id)
{
	struct rc_val v = { TAG, id, 0 };

	if (id == 0) {
		v = L->init[s];
	} else {
		v.thread = rc_write_get(L, id)->thread;
	}
	rc_fill_sector(p, s, &v);
}

/* a read of sector @s in [@ti, @tc] ms that returned @p */
static void rbuf(uint64_t s, int64_t ti, int64_t tc, const uint8_t *p)
{
	rc_read_log(L, 3, s, 1, L->t0 + ti * MS, L->t0 + tc * MS, 1, p, 0);
}

/* ... that returned write @id's content */
static void r(uint64_t s, int64_t ti, int64_t tc, uint32_t id)
{
	uint8_t p[RC_SECTOR];

	value(p, s, id);
	rbuf(s, ti, tc, p);
}

static uint64_t check(void)
{
	return rc_check(L, OUT, &R);
}

static void test_pattern(void **state)
{
	struct rc_val v = { TAG, 7, 2 }, got;
	uint8_t p[RC_SECTOR];
	uint64_t s;

	(void)state;
	rc_fill_sector(p, 100, &v);
	assert_true(rc_sector_is(p, 100, &v));
	assert_false(rc_sector_is(p, 101, &v));
	assert_true(rc_sector_decode(p, &s, &got));
	assert_int_equal(s, 100);
	assert_int_equal(got.id, 7);
	assert_int_equal(got.thread, 2);
	assert_true(got.tag == TAG);
	p[300] ^= 1;
	assert_false(rc_sector_is(p, 100, &v));
	assert_false(rc_sector_decode(p, &s, &got));
}

/* the value of the last write completed before the read was issued */
static void test_last_completed(void **state)
{
	uint32_t w1, w2;

	(void)state;
	new_log(NULL, 0);
	w1 = w(0, 0, 8, 0, 10, 1);
	w2 = w(1, 4, 1, 15, 18, 1);
	r(4, 20, 30, w2);	/* the last one: fine */
	r(3, 20, 30, w1);	/* w2 did not cover sector 3 */
	assert_int_equal(check(), 0);
	assert_int_equal(R.reads_checked, 2);
	assert_int_equal(R.sectors_checked, 2);
	assert_int_equal(R.writes, 2);
}

/* older than a write that completed before the read was issued */
static void test_stale(void **state)
{
	uint32_t w1;

	(void)state;
	new_log(NULL, 0);
	w1 = w(0, 0, 8, 0, 10, 1);
	w(1, 4, 1, 15, 18, 1);
	r(4, 20, 30, w1);
	assert_int_equal(check(), 1);
	assert_int_equal(R.stale, 1);
	assert_int_equal(R.bad_reads, 1);
}

/* a write in flight during the read: its value or the one before */
static void test_inflight(void **state)
{
	uint32_t w1, w2, w3;

	(void)state;
	new_log(NULL, 0);
	w1 = w(0, 0, 8, 0, 10, 1);
	w2 = w(1, 4, 1, 15, 40, 1);	/* overlaps [20, 30] */
	w3 = w(2, 5, 1, 25, 26, 1);	/* issued and completed during the read */
	r(4, 20, 30, w2);
	r(4, 21, 31, w1);
	r(5, 20, 30, w3);
	r(5, 20, 30, w1);
	/* equal readings prove no order: w4 may not have completed yet */
	w(0, 6, 1, 15, 50, 1);
	r(6, 50, 60, w1);
	assert_int_equal(check(), 0);
}

/* a write issued after the read completed cannot be seen */
static void test_future(void **state)
{
	uint32_t w2;

	(void)state;
	new_log(NULL, 0);
	w(0, 0, 8, 0, 10, 1);
	w2 = w(1, 4, 1, 35, 40, 1);
	r(4, 20, 30, w2);
	assert_int_equal(check(), 1);
	assert_int_equal(R.future, 1);
}

/* values never written to the sector */
static void test_not_written(void **state)
{
	struct rc_val v = { TAG, 999, 1 };
	uint8_t p[RC_SECTOR];
	uint32_t w1;

	(void)state;
	new_log(NULL, 0);
	w1 = w(0, 0, 8, 0, 10, 1);
	w(1, 20, 4, 0, 10, 1);
	rc_fill_sector(p, 4, &v);	/* no write 999 */
	rbuf(4, 20, 30, p);
	v.id = w1;
	v.thread = 2;			/* w1's id, another thread */
	rc_fill_sector(p, 5, &v);
	rbuf(5, 20, 30, p);
	v.id = w1 + 1;			/* a real write, of sectors 20..23 */
	v.thread = 1;
	rc_fill_sector(p, 6, &v);
	rbuf(6, 20, 30, p);
	assert_int_equal(check(), 3);
	assert_int_equal(R.not_written, 3);
}

/* another sector's data, another run's, garbage, zeros */
static void test_foreign_and_garbage(void **state)
{
	struct rc_val v = { TAG, 0, 0 };
	uint8_t p[RC_SECTOR];
	uint32_t w1;
	int k;

	(void)state;
	new_log(NULL, 0);
	w1 = w(0, 0, 8, 0, 10, 1);
	v.id = w1;
	rc_fill_sector(p, 6, &v);	/* sector 6's content */
	rbuf(5, 20, 30, p);		/* ... read at sector 5 */
	v.tag = TAG + 1;		/* another run's write */
	rc_fill_sector(p, 4, &v);
	rbuf(4, 20, 30, p);
	memset(p, 0, sizeof(p));
	rbuf(3, 20, 30, p);
	for (k = 0; k < RC_SECTOR; k++)
		p[k] = (uint8_t)(k * 7 + 3);
	rbuf(2, 20, 30, p);
	assert_int_equal(check(), 4);
	assert_int_equal(R.foreign, 2);
	assert_int_equal(R.garbage, 2);
}

/* a byte-wise mix of two values is torn while one was in flight, else garbage */
static void test_torn(void **state)
{
	uint8_t a[RC_SECTOR], b[RC_SECTOR];
	uint32_t w1, w2, w3;
	int strict;

	(void)state;
	for (strict = 0; strict < 2; strict++) {
		new_log(NULL, strict);
		w1 = w(0, 0, 8, 0, 10, 1);
		w2 = w(1, 4, 1, 15, 40, 1);
		value(a, 4, w1);
		value(b, 4, w2);
		memcpy(a + 200, b + 200, 100);
		rbuf(4, 20, 30, a);	/* w2 in flight: torn */
		w3 = w(2, 3, 1, 11, 12, 1);
		value(a, 3, w1);
		value(b, 3, w3);
		memcpy(a + 200, b + 200, 100);
		rbuf(3, 20, 30, a);	/* both completed before: garbage */
		assert_int_equal(check(), strict ? 2 : 1);
		assert_int_equal(R.torn, 1);
		assert_int_equal(R.garbage, strict ? 2 : 1);
	}
}

/* once a read returned a write, no later read returns anything older */
static void test_older_than_seen(void **state)
{
	uint32_t w1, w2;

	(void)state;
	new_log(NULL, 0);
	w1 = w(0, 0, 8, 0, 10, 1);
	w2 = w(1, 4, 1, 15, 100, 1);	/* in flight from 15 to 100 */
	r(4, 20, 30, w2);		/* sees w2 */
	r(4, 25, 45, w1);		/* overlaps that read: fine */
	r(4, 40, 50, w1);		/* after it: older than w2 */
	r(4, 60, 70, w2);
	assert_int_equal(check(), 1);
	assert_int_equal(R.older_than_seen, 1);
}

/* two concurrent writes: either may be last, but reads must not flip-flop */
static void test_concurrent_writers(void **state)
{
	uint32_t w1, w2;

	(void)state;
	new_log(NULL, 0);
	w1 = w(0, 4, 1, 0, 10, 1);
	w2 = w(1, 4, 1, 5, 12, 1);
	r(4, 20, 30, w1);
	r(4, 21, 31, w2);		/* overlaps the first read */
	assert_int_equal(check(), 0);
	r(4, 40, 50, w1);		/* after the second read saw w2 */
	assert_int_equal(check(), 1);
	assert_int_equal(R.older_than_seen, 1);
}

/* a failed write may or may not have changed the sector, until the next write */
static void test_failed_write(void **state)
{
	uint32_t w1, w2;

	(void)state;
	new_log(NULL, 0);
	w1 = w(0, 0, 8, 0, 10, 1);
	w2 = w(1, 4, 1, 15, 18, 0);
	r(4, 20, 30, w1);
	r(5, 20, 30, w1);
	r(4, 20, 30, w2);		/* overlaps the read at 20..30 that saw w1 */
	assert_int_equal(check(), 0);
	assert_int_equal(R.writes_failed, 1);
	w(2, 4, 1, 40, 45, 1);
	r(4, 50, 60, w2);		/* superseded */
	assert_int_equal(check(), 1);
	assert_int_equal(R.stale, 1);
}

/* the initial content (a previous run's state), then superseded */
static void test_initial(void **state)
{
	struct rc_val init[NSECT];
	uint8_t p[RC_SECTOR];
	uint64_t s;

	(void)state;
	for (s = 0; s < NSECT; s++)
		init[s] = (struct rc_val){ TAG ^ 77, (uint32_t)(s + 1), 1 };
	new_log(init, 0);
	r(4, 1, 2, 0);
	w(0, 4, 1, 5, 10, 1);
	r(5, 20, 30, 0);
	assert_int_equal(check(), 0);
	r(4, 20, 30, 0);
	assert_int_equal(check(), 1);
	assert_int_equal(R.stale, 1);
	/* another value of the previous run is not the initial content */
	rc_fill_sector(p, 6, &init[7]);
	rbuf(6, 20, 30, p);
	assert_int_equal(check(), 2);
	assert_int_equal(R.foreign, 1);

}

/* the state once nothing is in flight: the last completed write, or what was read */
static void test_settle(void **state)
{
	struct rc_val init[NSECT], fin[NSECT];
	uint8_t amb[NSECT];
	uint32_t w1, w2;
	uint64_t s;

	(void)state;
	for (s = 0; s < NSECT; s++)
		init[s] = (struct rc_val){ TAG ^ 77, (uint32_t)(s + 1), 1 };
	new_log(init, 0);
	w1 = w(0, 4, 1, 5, 10, 1);
	w2 = w(1, 5, 2, 5, 10, 0);	/* failed: sectors 5 and 6 may hold either */
	assert_int_equal(rc_settle(L, fin, amb), 2);
	assert_true(amb[5] && amb[6] && !amb[4] && !amb[7]);
	assert_int_equal(fin[4].id, w1);
	assert_true(fin[4].tag == TAG);
	assert_int_equal(fin[3].id, 4);
	/* a final read of sector 5 says which */
	{
		uint8_t buf[RC_SECTOR];

		value(buf, 5, w2);
		rc_read_log(L, 0, 5, 1, L->t0 + 20 * MS, L->t0 + 30 * MS, 1, buf, 1);
	}
	assert_int_equal(check(), 0);
	assert_int_equal(rc_final_state(L, fin), 1);	/* sector 6: not read */
	assert_int_equal(fin[5].id, w2);
	assert_true(fin[5].tag == TAG);
	assert_int_equal(fin[6].tag, 0);
	assert_int_equal(fin[4].id, w1);
	assert_int_equal(fin[9].id, 10);
}

/* failed reads are not judged */
static void test_failed_read(void **state)
{
	uint8_t p[RC_SECTOR] = { 0 };

	(void)state;
	new_log(NULL, 0);
	w(0, 0, 8, 0, 10, 1);
	rc_read_log(L, 1, 4, 1, L->t0 + 20 * MS, L->t0 + 30 * MS, 0, p, 0);
	assert_int_equal(check(), 0);
	assert_int_equal(R.reads_failed, 1);
	assert_int_equal(R.reads_checked, 0);
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
	size_t n;

	assert_non_null(a);
	assert_non_null(b);
	while ((n = fread(buf, 1, sizeof(buf), a)) > 0)
		assert_int_equal(fwrite(buf, 1, n, b), n);
	fclose(a);
	fclose(b);
}

/* the tool on a file: run, verify its state; a stale sector fails verify */
static void test_tool(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256], img[300], st1[300], st2[300], snap[300];
	struct run_opts o = { .region_mb = 2, .round = 1, .block_bytes = 4096,
			      .seconds = 30, .reports = 5 };
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/ssc-regcheck.XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(img, sizeof(img), "%s/img", dir);
	snprintf(st1, sizeof(st1), "%s/st1", dir);
	snprintf(st2, sizeof(st2), "%s/st2", dir);
	snprintf(snap, sizeof(snap), "%s/snap", dir);
	f = fopen(img, "wb");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 4 << 20), 0);
	fclose(f);

	G.nthreads = 4;
	G.read_pct = 60;
	G.seed = 5;
	G.max_ops = 3000;
	atomic_store(&G.next, 0);
	o.dev = img;
	o.state_out = st1;
	assert_int_equal(cmd_run(&o), 0);
	assert_int_equal(cmd_verify(img, st1), 0);
	copy_file(img, snap);
	/* a second run from the first one's state */
	atomic_store(&G.next, 0);
	o.round = 2;
	o.state_in = st1;
	o.state_out = st2;
	o.block_bytes = 65536;
	assert_int_equal(cmd_run(&o), 0);
	assert_int_equal(cmd_verify(img, st2), 0);
	assert_int_equal(cmd_verify(img, st1), 1);
	/* one sector back to its value after the first run: stale */
	{
		uint8_t a[RC_SECTOR], b[RC_SECTOR];
		int fa = open(img, O_RDWR), fb = open(snap, O_RDONLY);
		long u, found = -1;

		assert_true(fa >= 0 && fb >= 0);
		for (u = 0; u < 4096 && found < 0; u++) {
			assert_int_equal(pread(fa, a, RC_SECTOR, u * RC_SECTOR), RC_SECTOR);
			assert_int_equal(pread(fb, b, RC_SECTOR, u * RC_SECTOR), RC_SECTOR);
			if (memcmp(a, b, RC_SECTOR))
				found = u;
		}
		assert_true(found >= 0);
		assert_int_equal(pwrite(fa, b, RC_SECTOR, found * RC_SECTOR), RC_SECTOR);
		close(fa);
		close(fb);
		assert_int_equal(cmd_verify(img, st2), 1);
		/* ... and the next run's reads of it are not its initial content */
		atomic_store(&G.next, 0);
		o.round = 3;
		o.state_in = st2;
		o.state_out = NULL;
		G.read_pct = 100;
		assert_int_equal(cmd_run(&o), 1);
	}

	unlink(img);
	unlink(st1);
	unlink(st2);
	unlink(snap);
	rmdir(dir);
}

static int setup(void **state)
{
	(void)state;
	/* REGCHECK_VERBOSE=1: show the violation reports */
	OUT = getenv("REGCHECK_VERBOSE") ? fdopen(dup(1), "w") : fopen("/dev/null", "w");
	return OUT ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rc_log_free(L);
	L = NULL;
	fclose(OUT);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pattern),
		cmocka_unit_test(test_last_completed),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_inflight),
		cmocka_unit_test(test_future),
		cmocka_unit_test(test_not_written),
		cmocka_unit_test(test_foreign_and_garbage),
		cmocka_unit_test(test_torn),
		cmocka_unit_test(test_older_than_seen),
		cmocka_unit_test(test_concurrent_writers),
		cmocka_unit_test(test_failed_write),
		cmocka_unit_test(test_initial),
		cmocka_unit_test(test_settle),
		cmocka_unit_test(test_failed_read),
		cmocka_unit_test(test_tool),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
