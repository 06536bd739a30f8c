// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the ssdcache tool's pure part (tools/lib/ssct_args.c):
 * size suffixes, create arguments, table building, the superblock verdict,
 * status parsing, the config file, JSON strings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

/* The tool's library is not part of core/: build it into this test. */
#include "../../tools/lib/ssct_args.c"
#include "../../tools/lib/ssct_help.c"

static unsigned int split(const char *line, char **argv, char *buf, size_t len)
{
	unsigned int argc = 0;
	char *p;

	snprintf(buf, len, "%s", line);
	for (p = strtok(buf, " "); p; p = strtok(NULL, " "))
		argv[argc++] = p;
	return argc;
}

static int create(const char *line, struct ssct_create *c, char *err)
{
	static char buf[1024];
	static char *argv[64];
	int argc = (int)split(line, argv, buf, sizeof(buf));

	err[0] = '\0';
	return ssct_parse_create(argc, argv, c, err, SSCT_ERRLEN);
}

static void test_sizes(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "0", 0 }, { "512", 512 }, { "4k", 4096 }, { "4K", 4096 },
		{ "128k", 131072 }, { "128KiB", 131072 }, { "1kB", 1024 },
		{ "1M", 1 << 20 }, { "2m", 2 << 20 }, { "1G", 1ull << 30 },
		{ "3GiB", 3ull << 30 }, { "1T", 1ull << 40 }, { "8s", 4096 },
		{ "18446744073709551615", UINT64_MAX },
	};
	static const char *const bad[] = {
		"", "k", "-1", "+4", "1.5M", "12q", "4kk", "4 k", "0x10",
		"4KiBx", "4iB", " 4",
	};
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(ssct_parse_size(ok[i].s, &v), 0);
		assert_true(v == ok[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ssct_parse_size(bad[i], &v), -EINVAL);
	assert_int_equal(ssct_parse_size("18446744073709551616", &v), -ERANGE);
	assert_int_equal(ssct_parse_size("17179869184G", &v), -ERANGE);
	assert_int_equal(ssct_parse_size(NULL, &v), -EINVAL);
}

static void test_human(void **state)
{
	char b[32];

	(void)state;
	ssct_human(0, b, sizeof(b));
	assert_string_equal(b, "0 B");
	ssct_human(1023, b, sizeof(b));
	assert_string_equal(b, "1023 B");
	ssct_human(1536, b, sizeof(b));
	assert_string_equal(b, "1.5 KiB");
	ssct_human(64ull << 20, b, sizeof(b));
	assert_string_equal(b, "64.0 MiB");
	ssct_human(3ull << 40, b, sizeof(b));
	assert_string_equal(b, "3.0 TiB");
}

static void test_create_args(void **state)
{
	struct ssct_create c;
	char err[SSCT_ERRLEN];

	(void)state;
	assert_int_equal(create("demo --origin /dev/a --cache /dev/b", &c, err), 0);
	assert_string_equal(c.name, "demo");
	assert_string_equal(c.origin, "/dev/a");
	assert_string_equal(c.cache, "/dev/b");
	assert_int_equal(c.mode, -1);
	assert_int_equal(c.policy, -1);
	assert_true(c.block_bytes == 0);
	assert_false(c.force);

	assert_int_equal(create("--origin=/dev/a demo --cache=/dev/b --mode writeback --block-size=64k --policy LRU --assoc 8 --option queue_busy,eager_writeback --option cmd_preload --force --reformat",
				&c, err), 0);
	assert_string_equal(c.name, "demo");
	assert_int_equal(c.mode, SSC_WRITEBACK);
	assert_int_equal(c.policy, SSC_LRU);
	assert_true(c.block_bytes == 65536);
	assert_int_equal(c.assoc, 8);
	assert_int_equal(c.opts, SSC_OPT_QUEUE_BUSY | SSC_OPT_EAGER_WRITEBACK |
			 SSC_OPT_CMD_PRELOAD);
	assert_true(c.force);
	assert_true(c.reformat);

	/* lru/lfu are accepted as options too, as in the table */
	assert_int_equal(create("d --origin a --cache b --option lru", &c, err), 0);
	assert_int_equal(c.policy, SSC_LRU);

	assert_int_equal(create("d --help", &c, err), 0);
	assert_true(c.help);
	assert_int_equal(create("-h", &c, err), 0);
	assert_true(c.help);
}

static void test_create_errors(void **state)
{
	static const struct {
		const char *line;
		const char *msg;
	} bad[] = {
		{ "", "missing NAME" },
		{ "--origin a --cache b", "missing NAME" },
		{ "d --cache b", "missing --origin DEV" },
		{ "d --origin a", "missing --cache DEV" },
		{ "d --origin", "--origin needs a value" },
		{ "d --origin a --cache b --mode writearound", "invalid mode 'writearound' (writethrough, writeback or readcache)" },
		{ "d --origin a --cache b --block-size 12q", "invalid block size '12q' (bytes, with k, M or G)" },
		{ "d --origin a --cache b --block-size 0", "invalid block size '0' (bytes, with k, M or G)" },
		{ "d --origin a --cache b --block-size -4k", "invalid block size '-4k' (bytes, with k, M or G)" },
		{ "d --origin a --cache b --policy mru", "invalid policy 'mru' (lru, lfu or adaptive)" },
		{ "d --origin a --cache b --assoc 0", "invalid assoc '0' (1 to 64)" },
		{ "d --origin a --cache b --assoc 65", "invalid assoc '65' (1 to 64)" },
		{ "d --origin a --cache b --assoc x", "invalid assoc 'x' (1 to 64)" },
		{ "d --origin a --cache b --option nonsense", "unknown option 'nonsense'" },
		{ "d --origin a --cache b --option=", "--option needs a value" },
		{ "d --origin a --cache b --frobnicate", "unknown argument '--frobnicate'" },
		{ "d e --origin a --cache b", "unexpected argument 'e' (the name is 'd')" },
		{ "a/b --origin a --cache b", "invalid device name 'a/b'" },
		{ ".. --origin a --cache b", "invalid device name '..'" },
	};
	struct ssct_create c;
	char err[SSCT_ERRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(create(bad[i].line, &c, err), -EINVAL);
		assert_string_equal(err, bad[i].msg);
	}
}

static void test_config_and_table(void **state)
{
	struct ssct_create c;
	struct ssc_config cfg, back;
	char err[SSCT_ERRLEN], buf[512], copy[512], *argv[64];
	const char *perr;
	unsigned int argc;

	(void)state;
	assert_int_equal(create("d --origin /dev/vda --cache /dev/vdb", &c, err), 0);
	assert_int_equal(ssct_create_config(&c, &cfg, err, sizeof(err)), 0);
	ssct_build_table(&cfg, 524288, buf, sizeof(buf));
	assert_string_equal(buf, "0 524288 ssdcache /dev/vda /dev/vdb blocksize 256 assoc 4 writethrough options 1 lfu");

	assert_int_equal(create("d --origin /dev/vda --cache /dev/vdb --mode readcache --block-size 4k --policy lru --assoc 1 --option evict_on_write,async_lookup --reformat",
				&c, err), 0);
	assert_int_equal(ssct_create_config(&c, &cfg, err, sizeof(err)), 0);
	ssct_build_params(&cfg, buf, sizeof(buf));
	assert_string_equal(buf, "/dev/vda /dev/vdb blocksize 8 assoc 1 readcache options 3 lru async_lookup evict_on_write reformat");
	/* the kernel's parser reads it back to the same configuration */
	argc = split(buf, argv, copy, sizeof(copy));
	assert_int_equal(ssc_parse_table(argc, argv, &back, &perr), 0);
	assert_int_equal(back.block_sectors, 8);
	assert_int_equal(back.assoc, 1);
	assert_int_equal(back.mode, SSC_READCACHE);
	assert_int_equal(back.policy, SSC_LRU);
	assert_int_equal(back.opts, cfg.opts);
	assert_true(back.reformat);

	/* every option reads back */
	assert_int_equal(create("d --origin a --cache b --mode writeback --option async_lookup,queue_busy,disable_writeback,skip_write_insert,evict_on_write,cmd_preload,eager_writeback",
				&c, err), 0);
	assert_int_equal(ssct_create_config(&c, &cfg, err, sizeof(err)), 0);
	ssct_build_params(&cfg, buf, sizeof(buf));
	argc = split(buf, argv, copy, sizeof(copy));
	assert_int_equal(ssc_parse_table(argc, argv, &back, &perr), 0);
	assert_int_equal(back.opts, (1u << SSC_NR_OPTS) - 1);
	assert_false(back.reformat);

	/* block sizes the target cannot take */
	assert_int_equal(create("d --origin a --cache b --block-size 1000", &c, err), 0);
	assert_int_equal(ssct_create_config(&c, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "invalid block size 1000: a power of two from 512 bytes to 32M");
	assert_int_equal(create("d --origin a --cache b --block-size 256", &c, err), 0);
	assert_int_equal(ssct_create_config(&c, &cfg, err, sizeof(err)), -EINVAL);
	assert_int_equal(create("d --origin a --cache b --block-size 64M", &c, err), 0);
	assert_int_equal(ssct_create_config(&c, &cfg, err, sizeof(err)), -EINVAL);
	assert_int_equal(create("d --origin a --cache b --block-size 32M", &c, err), 0);
	assert_int_equal(ssct_create_config(&c, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.block_sectors, 65536);
	assert_int_equal(create("d --origin a --cache b --block-size 512", &c, err), 0);
	assert_int_equal(ssct_create_config(&c, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.block_sectors, 1);

	assert_string_equal(ssct_opt_name(SSC_OPT_EAGER_WRITEBACK), "eager_writeback");
	assert_null(ssct_opt_name(3));
}

/* A superblock as the target would write it for geometry @g. */
static void make_sb(struct ssc_sb *sb, const struct ssc_geom *g, uint64_t md,
		    uint32_t lbs, uint64_t dirty)
{
	memset(sb, 0, sizeof(*sb));
	sb->version = 1;
	sb->block_sectors = g->block_sectors;
	sb->lbs = lbs;
	sb->assoc = g->assoc;
	sb->nr_sets = g->nr_sets;
	sb->md_blocks = md;
	sb->data_offset = g->data_offset;
	sb->origin_sectors = g->origin_sectors;
	sb->cache_sectors = g->data_offset + g->nr_ways * g->block_sectors;
	sb->dirty_blocks = dirty;
	sb->used_blocks = dirty + 10;
}

static void geom(struct ssc_geom *g, uint64_t *md, uint32_t block, uint32_t assoc,
		 uint64_t origin, uint64_t cache)
{
	struct ssc_config cfg = { .block_sectors = block, .assoc = assoc };
	const char *err;

	assert_int_equal(ssc_geom_init(g, &cfg, origin, cache, 512, &err), 0);
	assert_int_equal(ssc_layout(g, cache, md, &err), 0);
}

static void test_verdict(void **state)
{
	struct ssc_geom g, g2;
	struct ssc_sb sb;
	uint8_t *buf = calloc(1, SSC_MD_BLOCK);
	const char *derr = NULL;
	char why[512];
	uint64_t md, md2;
	int r;

	(void)state;
	geom(&g, &md, 256, 4, 1 << 20, 1 << 17);
	/* unformatted */
	r = ssc_sb_decode(&sb, buf, &derr);
	assert_int_equal(r, -ENOENT);
	assert_int_equal(ssct_check_sb(r, derr, &sb, &g, 512, false, false, why, sizeof(why)),
			 SSCT_FORMAT);

	/* same geometry: load, whether dirty or not */
	make_sb(&sb, &g, md, 512, 5);
	ssc_sb_encode(&sb, buf);
	r = ssc_sb_decode(&sb, buf, &derr);
	assert_int_equal(r, 0);
	assert_int_equal(ssct_check_sb(r, derr, &sb, &g, 512, false, false, why, sizeof(why)),
			 SSCT_LOAD);
	assert_string_equal(why, "existing cache (15 blocks used, 5 dirty) is loaded");
	/* --reformat with dirty data: refused, unless --force */
	assert_int_equal(ssct_check_sb(r, derr, &sb, &g, 512, true, false, why, sizeof(why)),
			 SSCT_REFUSE);
	assert_string_equal(why, "holds 5 dirty blocks (640.0 KiB) not yet on the origin and --reformat would discard them; use the old settings and 'ssdcache flush', or --force");
	assert_int_equal(ssct_check_sb(r, derr, &sb, &g, 512, true, true, why, sizeof(why)),
			 SSCT_REFORMAT);

	/* other geometry with dirty data: refused and says what changed */
	geom(&g2, &md2, 128, 4, 1 << 20, 1 << 17);
	assert_int_equal(ssct_check_sb(r, derr, &sb, &g2, 512, false, false, why, sizeof(why)),
			 SSCT_REFUSE);
	assert_non_null(strstr(why, "block size 256 -> 128 sectors"));
	assert_int_equal(ssct_check_sb(r, derr, &sb, &g2, 512, false, true, why, sizeof(why)),
			 SSCT_REFORMAT);
	geom(&g2, &md2, 256, 8, 1 << 20, 1 << 17);
	assert_int_equal(ssct_check_sb(r, derr, &sb, &g2, 512, false, false, why, sizeof(why)),
			 SSCT_REFUSE);
	assert_non_null(strstr(why, "assoc 4 -> 8"));
	geom(&g2, &md2, 256, 4, 1 << 20, 1 << 18);
	assert_int_equal(ssct_check_sb(r, derr, &sb, &g2, 512, false, false, why, sizeof(why)),
			 SSCT_REFUSE);
	assert_non_null(strstr(why, "cache size changed"));
	geom(&g2, &md2, 256, 4, 1 << 21, 1 << 17);
	assert_int_equal(ssct_check_sb(r, derr, &sb, &g2, 512, false, false, why, sizeof(why)),
			 SSCT_REFUSE);
	assert_non_null(strstr(why, "origin size"));
	assert_int_equal(ssct_check_sb(r, derr, &sb, &g, 4096, false, false, why, sizeof(why)),
			 SSCT_REFUSE);
	assert_non_null(strstr(why, "logical block size 512 -> 4096"));

	/*
	 * other geometry, nothing dirty: reformatted without --force (after
	 * an unclean shutdown the caller counts the dirty entries of the
	 * metadata itself, ssct_md_dirty(), and passes that count)
	 */
	make_sb(&sb, &g, md, 512, 0);
	ssc_sb_encode(&sb, buf);
	r = ssc_sb_decode(&sb, buf, &derr);
	geom(&g2, &md2, 128, 4, 1 << 20, 1 << 17);
	assert_int_equal(ssct_check_sb(r, derr, &sb, &g2, 512, false, false, why, sizeof(why)),
			 SSCT_REFORMAT);
	assert_string_equal(why, "geometry changed (block size 256 -> 128 sectors): reformatting");
	assert_int_equal(ssct_check_sb(r, derr, &sb, &g, 512, true, false, why, sizeof(why)),
			 SSCT_REFORMAT);

	/* a corrupt superblock: its content is unknown, needs --force */
	buf[200] ^= 1;
	r = ssc_sb_decode(&sb, buf, &derr);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(ssct_check_sb(r, derr, &sb, &g, 512, false, false, why, sizeof(why)),
			 SSCT_REFUSE);
	assert_non_null(strstr(why, "checksum"));
	free(buf);
	assert_int_equal(ssct_check_sb(r, derr, &sb, &g, 512, false, true, why, sizeof(why)),
			 SSCT_REFORMAT);
}

static void test_status(void **state)
{
	char line[] = "blocks 496 used 12 dirty 3 blocksize 256 sets 31 mode writeback policy lfu read_hits 90 read_misses 10 state running dangling";
	struct ssct_kv kv[SSCT_MAX_KV];
	int n;

	(void)state;
	n = ssct_parse_status(line, kv, SSCT_MAX_KV);
	assert_int_equal(n, 10);
	assert_string_equal(ssct_kv_get(kv, n, "mode"), "writeback");
	assert_string_equal(ssct_kv_get(kv, n, "state"), "running");
	assert_null(ssct_kv_get(kv, n, "dangling"));
	assert_null(ssct_kv_get(kv, n, "cleaner"));
	assert_true(ssct_kv_u64(kv, n, "blocks", 0) == 496);
	assert_true(ssct_kv_u64(kv, n, "dirty", 0) == 3);
	assert_true(ssct_kv_u64(kv, n, "mode", 7) == 7);
	assert_true(ssct_kv_u64(kv, n, "missing", 9) == 9);
	assert_true(ssct_ratio(90, 10) > 89.99 && ssct_ratio(90, 10) < 90.01);
	assert_true(ssct_ratio(0, 0) < 0);
	assert_true(ssct_ratio(0, 5) == 0);
}

static void test_conf_line(void **state)
{
	char err[SSCT_ERRLEN], *argv[64];
	struct ssct_create c;
	char l1[] = "  # a comment\n";
	char l2[] = "\n";
	char l3[] = "data /dev/disk/by-id/a /dev/disk/by-id/b --mode writeback --block-size 64k  # fast\n";
	char l4[] = "data /dev/a\n";
	int n;

	(void)state;
	assert_int_equal(ssct_conf_line(l1, argv, 64, err, sizeof(err)), 0);
	assert_int_equal(ssct_conf_line(l2, argv, 64, err, sizeof(err)), 0);
	n = ssct_conf_line(l3, argv, 64, err, sizeof(err));
	assert_int_equal(n, 9);
	assert_int_equal(ssct_parse_create(n, argv, &c, err, sizeof(err)), 0);
	assert_string_equal(c.name, "data");
	assert_string_equal(c.origin, "/dev/disk/by-id/a");
	assert_string_equal(c.cache, "/dev/disk/by-id/b");
	assert_int_equal(c.mode, SSC_WRITEBACK);
	assert_true(c.block_bytes == 65536);
	assert_int_equal(ssct_conf_line(l4, argv, 64, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "expected NAME ORIGIN CACHE [options]");
}

static void test_json(void **state)
{
	char b[64];

	(void)state;
	ssct_json_str("a\"b\\c\n", b, sizeof(b));
	assert_string_equal(b, "\"a\\\"b\\\\c\\u000a\"");
	assert_int_equal(ssct_json_str("abcdef", b, 4), 8);
	assert_string_equal(b, "\"ab");
}

/* The cache state of a status line: the worst reason wins. */
static enum ssct_state state_of(const char *status, char *why, size_t len)
{
	static char line[1024];
	static struct ssct_kv kv[SSCT_MAX_KV];
	int n;

	snprintf(line, sizeof(line), "%s", status);
	n = ssct_parse_status(line, kv, SSCT_MAX_KV);
	return ssct_cache_state(kv, n, why, len);
}

static void test_cache_state(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(state_of("mode writeback cache_errors 0 origin_errors 0 state active md_errors 0 cache_state ok",
				  why, sizeof(why)), SSCT_ST_OK);
	assert_string_equal(why, "");
	assert_int_equal(state_of("cache_errors 0 origin_errors 2 state active md_errors 1 cache_state ok",
				  why, sizeof(why)), SSCT_ST_DEGRADED);
	assert_string_equal(why, "2 origin device errors, 1 metadata write errors since the table was loaded");
	assert_int_equal(state_of("cache_errors 0 origin_errors 0 state detached md_errors 0 cache_state ok",
				  why, sizeof(why)), SSCT_ST_DETACHED);
	assert_non_null(strstr(why, "detached: no new data enters the cache"));
	/* failed beats detached, and names the errors */
	assert_int_equal(state_of("cache_errors 16 origin_errors 0 state detached md_errors 0 cache_state failed",
				  why, sizeof(why)), SSCT_ST_FAILED);
	assert_non_null(strstr(why, "the cache device failed (16 cache device errors)"));
	assert_non_null(strstr(why, "cache_ok"));
	/* an old module without the keys: ok; NULL why is fine */
	assert_int_equal(state_of("blocks 10 used 1", NULL, 0), SSCT_ST_OK);
	assert_string_equal(ssct_state_name(SSCT_ST_DETACHED), "detached");
	assert_string_equal(ssct_state_name(SSCT_NR_STATES), "?");
}

/* Every sample has a TYPE line before it, and each metric one TYPE line. */
static void check_exposition(const char *out)
{
	char *copy = strdup(out), *line, *save = NULL;
	char typed[64][64];
	int nt = 0, i;

	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char metric[64];

		if (!strncmp(line, "# HELP ", 7))
			continue;
		if (sscanf(line, "# TYPE %63s", metric) == 1) {
			for (i = 0; i < nt; i++)
				if (!strcmp(typed[i], metric))
					fail_msg("second TYPE for %s", metric);
			assert_true(nt < 64);
			snprintf(typed[nt++], 64, "%s", metric);
			continue;
		}
		assert_int_equal(sscanf(line, "%63[a-z_]{", metric), 1);
		assert_true(nt > 0);
		if (strcmp(typed[nt - 1], metric))
			fail_msg("sample '%s' not under its TYPE line", line);
	}
	free(copy);
}

static void test_prometheus(void **state)
{
	char l1[] = "blocks 496 used 12 dirty 3 blocksize 256 mode writeback policy lfu read_hits 90 read_misses 10 write_hits 0 write_misses 0 cleaned 7 cache_errors 0 origin_errors 0 state active cleaning 1 md_errors 0 cache_state ok";
	char l2[] = "blocks 100 used 0 dirty 0 blocksize 8 mode readcache policy lru read_hits 0 read_misses 0 cache_errors 20 origin_errors 0 state active md_errors 0 cache_state failed";
	struct ssct_kv k1[SSCT_MAX_KV], k2[SSCT_MAX_KV];
	struct ssct_prom_cache c[2];
	char out[16384];
	int n;

	(void)state;
	c[0] = (struct ssct_prom_cache){ "data", k1,
					 ssct_parse_status(l1, k1, SSCT_MAX_KV) };
	c[1] = (struct ssct_prom_cache){ "we\"ird\\", k2,
					 ssct_parse_status(l2, k2, SSCT_MAX_KV) };
	n = ssct_prom_format(c, 1, out, sizeof(out));
	assert_int_equal(n, (int)strlen(out));
	check_exposition(out);
	assert_non_null(strstr(out, "# TYPE ssdcache_read_hits_total counter\nssdcache_read_hits_total{name=\"data\"} 90\n"));
	assert_non_null(strstr(out, "ssdcache_read_misses_total{name=\"data\"} 10\n"));
	assert_non_null(strstr(out, "# TYPE ssdcache_dirty_blocks gauge\nssdcache_dirty_blocks{name=\"data\"} 3\n"));
	assert_non_null(strstr(out, "ssdcache_cleaning{name=\"data\"} 1\n"));
	assert_non_null(strstr(out, "ssdcache_cleaned_total{name=\"data\"} 7\n"));
	assert_non_null(strstr(out, "ssdcache_read_hit_ratio{name=\"data\"} 0.900000\n"));
	assert_non_null(strstr(out, "ssdcache_write_hit_ratio{name=\"data\"} NaN\n"));
	assert_non_null(strstr(out, "ssdcache_block_size_bytes{name=\"data\"} 131072\n"));
	assert_non_null(strstr(out, "ssdcache_state{name=\"data\",state=\"ok\"} 1\n"));
	assert_non_null(strstr(out, "ssdcache_state{name=\"data\",state=\"failed\"} 0\n"));
	assert_non_null(strstr(out, "ssdcache_info{name=\"data\",mode=\"writeback\",policy=\"lfu\"} 1\n"));
	/* keys the module does not report are left out */
	assert_null(strstr(out, "sequential_cutoff"));
	/* two caches: one TYPE line per metric, label values escaped */
	n = ssct_prom_format(c, 2, out, sizeof(out));
	check_exposition(out);
	assert_non_null(strstr(out, "ssdcache_state{name=\"we\\\"ird\\\\\",state=\"failed\"} 1\n"));
	assert_non_null(strstr(out, "ssdcache_cache_errors_total{name=\"we\\\"ird\\\\\"} 20\n"));
	assert_null(strstr(out, "ssdcache_cleaned_total{name=\"we"));
	/* too small a buffer: the length it needs, a terminated prefix */
	assert_int_equal(ssct_prom_format(c, 2, out, 10), n);
	assert_int_equal(strlen(out), 9);
	assert_int_equal(ssct_prom_format(c, 0, out, sizeof(out)), 0);
}

static int set_args(const char *line, struct ssct_set *s, char *err)
{
	static char buf[512];
	static char *argv[32];

	return ssct_parse_set((int)split(line, argv, buf, sizeof(buf)), argv,
			      s, err, SSCT_ERRLEN);
}

static void test_set_args(void **state)
{
	char err[SSCT_ERRLEN];
	struct ssct_set s;

	(void)state;
	assert_int_equal(set_args("d --mode writethrough --policy=adaptive", &s, err), 0);
	assert_string_equal(s.name, "d");
	assert_int_equal(s.mode, SSC_WRITETHROUGH);
	assert_int_equal(s.policy, SSC_ADAPTIVE);
	assert_int_equal(s.high_wm, -1);
	assert_false(s.set_cutoff);
	assert_int_equal(set_args("d --sequential-cutoff 4M --high-watermark 80 --low-watermark=10 --no-progress", &s, err), 0);
	assert_true(s.set_cutoff && s.cutoff == 4u << 20);
	assert_int_equal(s.high_wm, 80);
	assert_int_equal(s.low_wm, 10);
	assert_true(s.no_progress);
	assert_int_equal(s.mode, -1);
	assert_int_equal(set_args("d --sequential-cutoff 0", &s, err), 0);
	assert_true(s.set_cutoff && !s.cutoff);
	assert_int_equal(set_args("--help", &s, err), 0);
	assert_true(s.help);
#define SET_ERR(line, msg) do { \
		assert_int_equal(set_args(line, &s, err), -EINVAL); \
		if (!strstr(err, msg)) \
			fail_msg("'%s': '%s', expected '%s'", line, err, msg); \
	} while (0)
	SET_ERR("d", "nothing to change");
	SET_ERR("--mode writeback", "missing NAME");
	SET_ERR("d e --mode writeback", "unexpected argument 'e'");
	SET_ERR("d --mode writearound", "invalid mode 'writearound'");
	SET_ERR("d --policy mru", "invalid policy 'mru'");
	SET_ERR("d --mode", "--mode needs a value");
	SET_ERR("d --sequential-cutoff 1000", "invalid sequential cutoff '1000'");
	SET_ERR("d --sequential-cutoff 2T", "invalid sequential cutoff '2T'");
	SET_ERR("d --high-watermark 101", "invalid high watermark '101'");
	SET_ERR("d --low-watermark x", "invalid low watermark 'x'");
	SET_ERR("d --high-watermark 20 --low-watermark 30", "low watermark 30% above the high watermark 20%");
	SET_ERR("d --frob", "unknown argument '--frob'");
#undef SET_ERR
}

static void test_set_params(void **state)
{
	char err[SSCT_ERRLEN], out[512];
	struct ssct_set s;

	(void)state;
	assert_int_equal(set_args("d --mode writethrough", &s, err), 0);
	assert_int_equal(ssct_set_params("254:1 254:2 blocksize 128 assoc 2 writeback options 3 lru queue_busy eager_writeback",
					 &s, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "254:1 254:2 blocksize 128 assoc 2 writethrough options 3 lru queue_busy eager_writeback");
	assert_int_equal(set_args("d --policy adaptive", &s, err), 0);
	assert_int_equal(ssct_set_params("254:1 254:2 blocksize 256 assoc 4 readcache options 1 lfu",
					 &s, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "254:1 254:2 blocksize 256 assoc 4 readcache options 1 adaptive");
	/* never reformat in a reload */
	assert_int_equal(ssct_set_params("254:1 254:2 writeback reformat",
					 &s, out, sizeof(out), err, sizeof(err)), 0);
	assert_null(strstr(out, "reformat"));
	assert_int_equal(ssct_set_params("254:1", &s, out, sizeof(out), err,
					 sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cannot read the live table"));
	/* watermark order: high first only when the new low exceeds the old high */
	assert_true(ssct_wm_high_first(50, 60));
	assert_false(ssct_wm_high_first(50, 50));
	assert_false(ssct_wm_high_first(50, 10));
}

static int resize_args(const char *line, struct ssct_resize *r, char *err)
{
	static char buf[512];
	static char *argv[32];

	return ssct_parse_resize((int)split(line, argv, buf, sizeof(buf)), argv,
				 r, err, SSCT_ERRLEN);
}

/* The superblock a table of @cfg over these sizes formats. */
static void resize_sb(const struct ssc_config *cfg, uint64_t osz,
		      uint64_t csz, struct ssc_sb *sb)
{
	const char *e = NULL;
	struct ssc_geom g;
	uint64_t md;

	assert_int_equal(ssc_geom_init(&g, cfg, osz, csz, 512, &e), 0);
	assert_int_equal(ssc_layout(&g, csz, &md, &e), 0);
	memset(sb, 0, sizeof(*sb));
	sb->nr_sets = g.nr_sets;
	sb->md_blocks = md;
	sb->cache_sectors = csz;
	sb->origin_sectors = osz;
}

static void test_resize(void **state)
{
	char err[SSCT_ERRLEN], why[512], copy[256];
	struct ssct_resize r;
	struct ssc_config cfg;
	struct ssc_geom g;
	struct ssc_sb sb;
	uint64_t md, o = 64 << 11, c = 16 << 11;	/* sectors */

	(void)state;
	assert_int_equal(resize_args("d --no-progress", &r, err), 0);
	assert_string_equal(r.name, "d");
	assert_true(r.no_progress && !r.force);
	assert_int_equal(resize_args("--force d", &r, err), 0);
	assert_true(r.force);
	assert_int_equal(resize_args("-h", &r, err), 0);
	assert_true(r.help);
	assert_int_equal(resize_args("", &r, err), -EINVAL);
	assert_non_null(strstr(err, "missing NAME"));
	assert_int_equal(resize_args("d e", &r, err), -EINVAL);
	assert_non_null(strstr(err, "unexpected argument 'e'"));
	assert_int_equal(resize_args("d --size 1G", &r, err), -EINVAL);
	assert_non_null(strstr(err, "unknown argument '--size'"));

	assert_int_equal(ssct_table_config("254:1 254:2 blocksize 128 assoc 4 writeback options 1 lfu",
					   copy, sizeof(copy), &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.cache, "254:2");
	resize_sb(&cfg, o, c, &sb);
#define CHECK(osz, csz, force) ssct_resize_check(&cfg, o, &sb, osz, csz, 512, \
		force, &g, &md, why, sizeof(why))
	/* same sizes, or a cache device grown by less than a set: nothing */
	assert_int_equal(CHECK(o, c, false), SSCT_RS_NOTHING);
	assert_int_equal(CHECK(o, c + 8, false), SSCT_RS_NOTHING);
	assert_non_null(strstr(why, "less than one set"));
	/* grown origin, grown cache device: a reload */
	assert_int_equal(CHECK(o + 2048, c, false), SSCT_RS_RELOAD);
	assert_string_equal(why, "origin 64.0 MiB -> 65.0 MiB");
	assert_int_equal(g.origin_sectors, o + 2048);
	assert_int_equal(CHECK(o, 2 * c, false), SSCT_RS_RELOAD);
	assert_non_null(strstr(why, "cache device 16.0 MiB -> 32.0 MiB"));
	assert_true(g.nr_sets > sb.nr_sets);
	assert_int_equal(CHECK(2 * o, 2 * c, false), SSCT_RS_RELOAD);
	assert_non_null(strstr(why, "origin 64.0 MiB -> 128.0 MiB, cache device"));
	/* shrunk: refused without --force */
	assert_int_equal(CHECK(o - 2048, c, false), SSCT_RS_REFUSE);
	assert_non_null(strstr(why, "the origin shrank from 64.0 MiB to 63.0 MiB"));
	assert_int_equal(CHECK(o - 2048, c, true), SSCT_RS_RELOAD);
	assert_int_equal(CHECK(o, c / 2, false), SSCT_RS_REFUSE);
	assert_non_null(strstr(why, "the cache device shrank"));
	assert_int_equal(CHECK(o, c / 2, true), SSCT_RS_RELOAD);
	/* too small for a cache */
	assert_int_equal(CHECK(o, 64, true), SSCT_RS_ERROR);
	assert_non_null(strstr(why, "the new sizes make no cache"));
#undef CHECK
}

/* man/ssdcache.8 with "\\-" unescaped, or NULL. */
static char *read_man(void)
{
	FILE *f = fopen("man/ssdcache.8", "r");
	char *buf, *o, *i;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	fclose(f);
	for (i = o = buf; *i; i++) {
		if (i[0] == '\\' && i[1] == '-')
			continue;
		*o++ = *i;
	}
	*o = '\0';
	return buf;
}

/* Collapse whitespace runs to one space. */
static void squeeze(char *s)
{
	char *o = s, *start = s;
	bool sp = false;

	for (; *s; s++) {
		if (*s == ' ' || *s == '\n' || *s == '\t') {
			sp = true;
			continue;
		}
		if (sp && o != start)
			*o++ = ' ';
		sp = false;
		*o++ = *s;
	}
	*o = '\0';
}

/*
 * Every command's --help agrees with man/ssdcache.8: a ".SS" heading with
 * the same usage, and each option with the same description.
 */
static void test_help_matches_man(void **state)
{
	static const struct {
		const char *cmd;
		const char *help;
	} h[] = {
		{ "create", ssct_help_create }, { "remove", ssct_help_remove },
		{ "flush", ssct_help_flush }, { "detach", ssct_help_detach },
		{ "attach", ssct_help_attach }, { "set", ssct_help_set },
		{ "list", ssct_help_list }, { "status", ssct_help_status },
		{ "stats", ssct_help_stats }, { "inspect", ssct_help_inspect },
		{ "assemble", ssct_help_assemble }, { "advise", ssct_help_advise },
		{ "resize", ssct_help_resize }, { "shutdown", ssct_help_shutdown },
	};
	char *man = read_man(), *sec, *end, *text, *p, *line, *save, *copy;
	char usage[256], opt[64], desc[512], *hl, *help;
	size_t k, n;

	(void)state;
	assert_non_null(man);
	for (k = 0; k < sizeof(h) / sizeof(h[0]); k++) {
		/* the usage line is the man page's sub-section heading */
		n = strcspn(h[k].help, "\n");
		assert_true(!strncmp(h[k].help, "Usage: ssdcache ", 16));
		snprintf(usage, sizeof(usage), "\n.SS %.*s\n", (int)(n - 16),
			 h[k].help + 16);
		sec = strstr(man, usage);
		if (!sec) {
			fail_msg("man page has no '%s'", usage + 1);
			free(man);
			return;
		}
		end = strstr(sec + 1, "\n.S");
		n = end ? (size_t)(end - sec) : strlen(sec);
		/* the section's text without the macro lines, squeezed */
		text = calloc(1, 2 * n + 16);
		copy = strndup(sec, n);
		for (line = strtok_r(copy, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			if (line[0] == '.') {
				/* option names from .B/.BI lines */
				strcat(text, " ");
				strcat(text, line);
				strcat(text, " ");
				continue;
			}
			strcat(text, line);
			strcat(text, " ");
		}
		free(copy);
		squeeze(text);
		/* every option: its name and its description */
		help = strdup(h[k].help);
		desc[0] = opt[0] = '\0';
		for (hl = strtok_r(help, "\n", &save); ; hl = strtok_r(NULL, "\n", &save)) {
			if (!hl || !strncmp(hl, "  --", 4)) {
				if (opt[0]) {
					squeeze(desc);
					if (!strstr(text, opt))
						fail_msg("%s: man page lacks %s", h[k].cmd, opt);
					if (!strstr(text, desc))
						fail_msg("%s %s: man page lacks '%s'", h[k].cmd, opt, desc);
				}
				if (!hl)
					break;
				sscanf(hl + 2, "%63s", opt);
				p = hl + 2 + strlen(opt);
				while (*p == ' ')
					p++;
				/* an argument word (SIZE, DEV) before the text */
				if (*p && !strchr(p, ' ') && *p >= 'A' && *p <= 'Z')
					p += strlen(p);	/* the text on the next lines */
				else if (p - hl < 23 && strlen(hl) > 23)
					p = hl + 23;
				snprintf(desc, sizeof(desc), "%s", p);
			} else if (opt[0] && !strncmp(hl, "                     ", 21)) {
				strncat(desc, " ", sizeof(desc) - strlen(desc) - 1);
				strncat(desc, hl, sizeof(desc) - strlen(desc) - 1);
			} else {
				opt[0] = '\0';
			}
		}
		free(help);
		free(text);
	}
	free(man);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_human),
		cmocka_unit_test(test_create_args),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_config_and_table),
		cmocka_unit_test(test_verdict),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_conf_line),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_cache_state),
		cmocka_unit_test(test_prometheus),
		cmocka_unit_test(test_set_args),
		cmocka_unit_test(test_set_params),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_help_matches_man),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
