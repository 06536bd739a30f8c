// SPDX-License-Identifier: GPL-2.0
/* Unit tests: table line parsing and printing (core/ssc_table.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ssdcache/ssc_core.h"

/* Split @line on spaces into a static argv; returns argc. */
static unsigned int split(const char *line, char **argv, char *buf, size_t len)
{
	unsigned int argc = 0;
	char *p;

	snprintf(buf, len, "%s", line);
	for (p = strtok(buf, " "); p; p = strtok(NULL, " "))
		argv[argc++] = p;
	return argc;
}

static int parse(const char *line, struct ssc_config *cfg, const char **err)
{
	static char buf[1024];
	static char *argv[128];
	unsigned int argc = split(line, argv, buf, sizeof(buf));

	*err = NULL;
	return ssc_parse_table(argc, argv, cfg, err);
}

static void test_defaults(void **state)
{
	struct ssc_config cfg;
	const char *err;

	(void)state;
	assert_int_equal(parse("/dev/a /dev/b", &cfg, &err), 0);
	assert_string_equal(cfg.origin, "/dev/a");
	assert_string_equal(cfg.cache, "/dev/b");
	assert_int_equal(cfg.block_sectors, 256);
	assert_int_equal(cfg.assoc, 4);
	assert_int_equal(cfg.mode, SSC_WRITETHROUGH);
	assert_int_equal(cfg.policy, SSC_LFU);
	assert_int_equal(cfg.opts, 0);
}

static void test_rfc_lines(void **state)
{
	/* lines the RFC's constructor accepted */
	static const char *const ok[] = {
		"a b blocksize 256",
		"a b blocksize 8 assoc 1 writeback",
		"a b readcache",
		"a b WRITETHROUGH",
		"a b writeback options 1 lru",
		"a b options 5 lru async_lookup queue_busy disable_writeback skip_write_insert",
		"a b options 2 evict_on_write cmd_preload",
		"a b options 0",
		"a b assoc 8 blocksize 64 readcache options 1 LFU",
		"a b blocksize 128 blocksize 64",
		"a b options 2 lru lfu",
		"a b options 1 adaptive",
		"a b blocksize 8 options 2 Adaptive queue_busy",
	};
	struct ssc_config cfg;
	const char *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (parse(ok[i], &cfg, &err))
			fail_msg("refused \"%s\": %s", ok[i], err);
	}
	assert_int_equal(parse("a b blocksize 128 blocksize 64", &cfg, &err), 0);
	assert_int_equal(cfg.block_sectors, 64);
	assert_int_equal(parse("a b options 2 lru lfu", &cfg, &err), 0);
	assert_int_equal(cfg.policy, SSC_LFU);
	assert_int_equal(parse("a b options 2 adaptive queue_busy", &cfg, &err), 0);
	assert_int_equal(cfg.policy, SSC_ADAPTIVE);
	assert_int_equal(cfg.opts, SSC_OPT_QUEUE_BUSY);
}

static void test_all_options(void **state)
{
	struct ssc_config cfg;
	const char *err;

	(void)state;
	assert_int_equal(parse("a b writeback options 8 lru async_lookup queue_busy disable_writeback skip_write_insert evict_on_write cmd_preload eager_writeback",
			       &cfg, &err), 0);
	assert_int_equal(cfg.mode, SSC_WRITEBACK);
	assert_int_equal(cfg.policy, SSC_LRU);
	assert_int_equal(cfg.opts, (1u << SSC_NR_OPTS) - 1);
}

static void test_bad_lines(void **state)
{
	static const char *const bad[] = {
		"",
		"a",
		"a b blocksize",
		"a b blocksize x",
		"a b blocksize 0",
		"a b blocksize 3",
		"a b blocksize 100",
		"a b blocksize -8",
		"a b blocksize 131072",
		"a b blocksize 99999999999999999999",
		"a b assoc",
		"a b assoc 0",
		"a b assoc 65",
		"a b assoc 1x",
		"a b writearound",
		"a b options",
		"a b options x",
		"a b options 2 lru",
		"a b options 1 lru lfu",
		"a b options 1 bogus",
		"a b options 9999",
		"a b blocksize 8 assoc",
	};
	struct ssc_config cfg;
	const char *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!parse(bad[i], &cfg, &err))
			fail_msg("accepted \"%s\"", bad[i]);
		assert_non_null(err);
	}
}

static void test_null_args(void **state)
{
	char *argv[] = { "a", "b", "blocksize", NULL };
	struct ssc_config cfg;
	const char *err = NULL;

	(void)state;
	assert_int_equal(ssc_parse_table(3, argv, &cfg, &err), -EINVAL);
	assert_int_equal(ssc_parse_table(0, argv, &cfg, &err), -EINVAL);
	assert_string_equal(err, "Origin device is not specified");
	assert_int_equal(ssc_parse_table(1, argv, &cfg, &err), -EINVAL);
	assert_string_equal(err, "Cache device is not specified");
}

static void test_round_trip(void **state)
{
	static const char *const modes[] = { "writethrough", "writeback", "readcache" };
	static const char *const opts[] = { "async_lookup", "queue_busy",
		"disable_writeback", "skip_write_insert", "evict_on_write", "cmd_preload",
		"eager_writeback" };
	char line[512], out[512], again[600];
	struct ssc_config cfg, cfg2;
	const char *err;
	unsigned int m, mask, pol, j;

	(void)state;
	for (m = 0; m < 3; m++)
		for (pol = 0; pol < 3; pol++)
			for (mask = 0; mask < 128; mask++) {
				int n = snprintf(line, sizeof(line),
						 "o c blocksize 64 assoc 3 %s options %u %s",
						 modes[m], 1 + __builtin_popcount(mask),
						 pol == 2 ? "adaptive" :
						 pol ? "lru" : "lfu");
				for (j = 0; j < 7; j++)
					if (mask & (1u << j))
						n += snprintf(line + n, sizeof(line) - n,
							      " %s", opts[j]);
				assert_int_equal(parse(line, &cfg, &err), 0);
				assert_true(ssc_format_table(&cfg, out, sizeof(out)) <
					    (int)sizeof(out));
				snprintf(again, sizeof(again), "o c %s", out);
				assert_int_equal(parse(again, &cfg2, &err), 0);
				assert_int_equal(cfg2.block_sectors, cfg.block_sectors);
				assert_int_equal(cfg2.assoc, cfg.assoc);
				assert_int_equal(cfg2.mode, cfg.mode);
				assert_int_equal(cfg2.policy, cfg.policy);
				assert_int_equal(cfg2.opts, cfg.opts);
				assert_int_equal(cfg.opts, mask);
			}
}

static void test_reformat(void **state)
{
	struct ssc_config cfg;
	const char *err;
	char out[256];

	(void)state;
	assert_int_equal(parse("a b writeback reformat", &cfg, &err), 0);
	assert_true(cfg.reformat);
	/* never printed: a reload of the printed table must not wipe the cache */
	ssc_format_table(&cfg, out, sizeof(out));
	assert_null(strstr(out, "reformat"));
	assert_int_equal(parse("a b", &cfg, &err), 0);
	assert_false(cfg.reformat);
}

static void test_format_truncates(void **state)
{
	struct ssc_config cfg;
	const char *err;
	char small[10];
	int n;

	(void)state;
	assert_int_equal(parse("a b", &cfg, &err), 0);
	n = ssc_format_table(&cfg, small, sizeof(small));
	assert_true(n > (int)sizeof(small));
	assert_true(strlen(small) < sizeof(small));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_rfc_lines),
		cmocka_unit_test(test_all_options),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_null_args),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_reformat),
		cmocka_unit_test(test_format_truncates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
