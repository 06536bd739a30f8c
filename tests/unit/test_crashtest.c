// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: ssc-crashtest (tools/ssc-crashtest.c), the checker behind the
 * power-cut and log-replay VM tests. Its verdicts must be able to fail:
 * a stale copy of the device, garbage, another unit's data and lost
 * flushed data are each caught; an older state passes against the journal
 * as it was then.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#define main crashtest_main
#include "../../tools/lib/ssct_dev.c"
#include "../../tools/ssc-crashtest.c"
#undef main

static char dir[256], img[300], jrn[300], snap[300], jrn_tmp[300];

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

/* copy unit @from of @path over unit @to (or garbage if @from is -1) */
static void poke(const char *path, long from, long to)
{
	unsigned char u[512];
	int fd = open(path, O_RDWR), i;

	assert_true(fd >= 0);
	if (from < 0) {
		for (i = 0; i < 512; i++)
			u[i] = (unsigned char)(i * 7 + 3);
	} else {
		assert_int_equal(pread(fd, u, 512, from * 512), 512);
	}
	assert_int_equal(pwrite(fd, u, 512, to * 512), 512);
	close(fd);
}

static void run_cycle(uint32_t cycle)
{
	W.p.nthreads = 4;
	W.p.max_len = 16;
	W.p.fua_every = 8;
	W.p.seed = 3;
	W.cycle = cycle;
	/* enough work whatever the machine's load: no timing in the verdict */
	W.min_flushes = 4;
	W.min_runs = 400;
	assert_int_equal(cmd_write(img, jrn, 0.3, 20), 0);
}

static void test_crashtest(void **state)
{
	const char *tmp = getenv("TMPDIR");
	uint64_t nrec1;
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/ssc-crashtest.XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(img, sizeof(img), "%s/img", dir);
	snprintf(jrn, sizeof(jrn), "%s/journal", dir);
	snprintf(snap, sizeof(snap), "%s/snap", dir);
	snprintf(jrn_tmp, sizeof(jrn_tmp), "%s/stale", dir);
	f = fopen(img, "wb");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 2 << 20), 0);
	fclose(f);

	/* an empty journal asks nothing */
	f = fopen(jrn, "wb");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(cmd_verify(img, jrn, -1, 1), 0);

	run_cycle(1);
	nrec1 = W.j.nrec;
	assert_true(nrec1 >= 2);
	assert_int_equal(cmd_verify(img, jrn, -1, 1), 0);
	copy_file(img, snap);

	run_cycle(2);
	assert_int_equal(cmd_verify(img, jrn, -1, 1), 0);
	/* the state after cycle 1 is stale for the journal of cycle 2 ... */
	assert_int_equal(cmd_verify(snap, jrn, -1, 1), 1);
	/* ... and right for the journal as it was after cycle 1 */
	assert_int_equal(cmd_verify(snap, jrn, (long long)nrec1, 1), 0);
	/* one unit back to its value after cycle 1: stale */
	{
		unsigned char a[512], b[512];
		int fa = open(img, O_RDONLY), fb = open(snap, O_RDONLY);
		long u, found = -1;

		assert_true(fa >= 0 && fb >= 0);
		for (u = 0; u < 4096 && found < 0; u++) {
			assert_int_equal(pread(fa, a, 512, u * 512), 512);
			assert_int_equal(pread(fb, b, 512, u * 512), 512);
			if (memcmp(a, b, 512) && ((struct unit_hdr *)b)->magic == UNIT_MAGIC)
				found = u;
		}
		close(fa);
		assert_true(found >= 0);
		copy_file(img, jrn_tmp);
		fa = open(jrn_tmp, O_RDWR);
		assert_int_equal(pwrite(fa, b, 512, found * 512), 512);
		close(fa);
		close(fb);
		assert_int_equal(cmd_verify(jrn_tmp, jrn, -1, 1), 1);
		unlink(jrn_tmp);
	}

	/* with no record, nothing is required: zeros pass */
	f = fopen(snap, "wb");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 2 << 20), 0);
	fclose(f);
	assert_int_equal(cmd_verify(snap, jrn, 0, 1), 0);
	/* ... but flushed data that is gone fails */
	assert_int_equal(cmd_verify(snap, jrn, -1, 1), 1);

	/* garbage in one unit */
	copy_file(img, snap);
	poke(snap, -1, 100);
	assert_int_equal(cmd_verify(snap, jrn, -1, 1), 1);
	/* another unit's data */
	copy_file(img, snap);
	poke(snap, 2000, 2001);
	assert_int_equal(cmd_verify(snap, jrn, -1, 1), 1);
	/* a torn unit: right header, wrong filler */
	copy_file(img, snap);
	{
		unsigned char b = 0;
		int fd = open(snap, O_RDWR);

		assert_true(fd >= 0);
		assert_int_equal(pread(fd, &b, 1, 3000 * 512 + 300), 1);
		b ^= 0x40;
		assert_int_equal(pwrite(fd, &b, 1, 3000 * 512 + 300), 1);
		close(fd);
	}
	assert_int_equal(cmd_verify(snap, jrn, -1, 1), 1);

	unlink(img);
	unlink(jrn);
	unlink(snap);
	rmdir(dir);
}

/* The workload is a pure function of its parameters, within one region. */
static void test_runs(void **state)
{
	struct params p = { .seed = 9, .units = 4096, .unit = 512, .nthreads = 4,
			    .max_len = 64, .fua_every = 4 };
	uint64_t i, nfua = 0;
	uint32_t t;

	(void)state;
	for (t = 0; t < 4; t++) {
		for (i = 0; i < 2000; i++) {
			struct run a = gen_run(&p, 5, t, i), b = gen_run(&p, 5, t, i);

			assert_memory_equal(&a, &b, sizeof(a));
			assert_true(a.len >= 1 && a.len <= 64);
			assert_true(a.start >= t * 1024);
			assert_true(a.start + a.len <= (t + 1) * 1024);
			nfua += a.fua;
		}
	}
	/* about one in four */
	assert_true(nfua > 1500 && nfua < 2500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_crashtest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
