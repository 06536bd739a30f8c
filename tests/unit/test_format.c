// SPDX-License-Identifier: GPL-2.0
/* Unit tests: on-disk format (core/ssc_format.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ssdcache/ssc_format.h"

static void make(struct ssc_cache *c, uint32_t bs, uint32_t lbs,
		 uint64_t cache_sectors, uint64_t *md)
{
	struct ssc_config cfg = { .block_sectors = bs, .assoc = 4 };
	struct ssc_geom g;
	const char *err;

	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 22, cache_sectors, lbs, &err), 0);
	assert_int_equal(ssc_layout(&g, cache_sectors, md, &err), 0);
	assert_int_equal(ssc_cache_init(c, &g, SSC_LRU, ssc_user_zalloc, NULL), 0);
}

static void test_crc32c(void **state)
{
	(void)state;
	/* the standard check value of CRC-32C */
	assert_int_equal(ssc_crc32c(0, "123456789", 9), 0xe3069283);
	assert_int_equal(ssc_crc32c(0, "", 0), 0);
}

static void test_layout(void **state)
{
	struct ssc_config cfg = { .block_sectors = 256, .assoc = 4 };
	uint64_t md, cs;
	struct ssc_geom g;
	const char *err;

	(void)state;
	for (cs = 16 * 256; cs < (1ull << 24); cs = cs * 3 + 7) {
		if (ssc_geom_init(&g, &cfg, 1 << 22, cs, 512, &err))
			continue;
		if (ssc_layout(&g, cs, &md, &err))
			continue;
		/* everything fits, nothing overlaps */
		assert_true(g.data_offset >= 8 + 2 * md * 8);
		assert_true(g.data_offset + g.nr_ways * 256 <= cs);
		assert_true(md * ssc_entries_per_md(g.words) >= g.nr_ways);
		/* and it is nearly the most that fits */
		assert_true(g.data_offset + (g.nr_sets + 2) * 16 * 256 + 64 > cs);
	}
	/* exactly 16 blocks: no room left for the metadata */
	assert_int_equal(ssc_geom_init(&g, &cfg, 1 << 22, 16 * 256, 512, &err), 0);
	assert_int_equal(ssc_layout(&g, 16 * 256, &md, &err), -EINVAL);
	assert_int_equal(ssc_layout(&g, 17 * 256 + 8, &md, &err), 0);
	assert_int_equal(g.nr_sets, 1);
}

static struct ssc_sb sample_sb(void)
{
	struct ssc_sb sb = {
		.version = 1, .flags = SSC_SB_CLEAN, .seq = 42,
		.block_sectors = 256, .lbs = 512, .assoc = 4, .mode = SSC_WRITEBACK,
		.cache_sectors = 1 << 20, .origin_sectors = 1 << 22,
		.origin_fp = 0x1234, .dirty_blocks = 3, .used_blocks = 9,
	};
	struct ssc_geom g = { .block_sectors = 256, .words = 4 };
	const char *err;

	assert_int_equal(ssc_layout(&g, sb.cache_sectors, &sb.md_blocks, &err), 0);
	sb.nr_sets = g.nr_sets;
	sb.data_offset = g.data_offset;
	memcpy(sb.uuid, "0123456789abcdef", 16);
	return sb;
}

static void test_sb_roundtrip(void **state)
{
	struct ssc_sb sb = sample_sb(), out;
	uint8_t buf[SSC_MD_BLOCK];
	const char *err;

	(void)state;
	ssc_sb_encode(&sb, buf);
	assert_int_equal(ssc_sb_decode(&out, buf, &err), 0);
	assert_memory_equal(&sb, &out, sizeof(sb));
}

static void test_sb_corruption(void **state)
{
	struct ssc_sb sb = sample_sb(), out;
	uint8_t buf[SSC_MD_BLOCK];
	const char *err;
	unsigned int i;

	(void)state;
	ssc_sb_encode(&sb, buf);
	/* any flipped bit in the used part is caught */
	for (i = 0; i < 128; i++) {
		buf[i] ^= 0x10;
		assert_int_not_equal(ssc_sb_decode(&out, buf, &err), 0);
		buf[i] ^= 0x10;
	}
	/* and in the padding too (the checksum covers the block) */
	buf[4000] ^= 1;
	assert_int_equal(ssc_sb_decode(&out, buf, &err), -EINVAL);
	/* zeroes: not formatted */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(ssc_sb_decode(&out, buf, &err), -ENOENT);
	/* a newer version is refused as such */
	sb.version = 2;
	ssc_sb_encode(&sb, buf);
	assert_int_equal(ssc_sb_decode(&out, buf, &err), -EOPNOTSUPP);
	/* consistent checksum but hostile numbers */
	sb = sample_sb();
	sb.nr_sets = ~0ull;
	ssc_sb_encode(&sb, buf);
	assert_int_equal(ssc_sb_decode(&out, buf, &err), -EINVAL);
	sb = sample_sb();
	sb.block_sectors = 3;
	ssc_sb_encode(&sb, buf);
	assert_int_equal(ssc_sb_decode(&out, buf, &err), -EINVAL);
	sb = sample_sb();
	sb.data_offset = 0;
	ssc_sb_encode(&sb, buf);
	assert_int_equal(ssc_sb_decode(&out, buf, &err), -EINVAL);
	sb = sample_sb();
	sb.dirty_blocks = 1ull << 50;
	ssc_sb_encode(&sb, buf);
	assert_int_equal(ssc_sb_decode(&out, buf, &err), -EINVAL);
	sb = sample_sb();
	sb.cache_sectors = 1 << 12;
	ssc_sb_encode(&sb, buf);
	assert_int_equal(ssc_sb_decode(&out, buf, &err), -EINVAL);
}

static uint64_t way_for(struct ssc_cache *c, uint64_t oblock)
{
	uint64_t sets[SSC_MAX_ASSOC + 1], score;

	ssc_probe_sets(&c->g, oblock, sets);
	return ssc_set_candidate(c, sets[0], false, &score);
}

static void test_md_roundtrip(void **state)
{
	struct ssc_cache c, d;
	uint8_t buf[SSC_MD_BLOCK];
	uint64_t md, b, seq, w;
	const char *err;
	uint32_t epm;

	(void)state;
	make(&c, 256, 512, 1 << 16, &md);
	make(&d, 256, 512, 1 << 16, &md);
	epm = ssc_entries_per_md(c.g.words);
	for (b = 0; b < 20; b++) {
		w = way_for(&c, b * 7);
		ssc_way_install(&c, w, b * 7, 1);
		ssc_range_set(&c, w, SSC_VALID, b, 100);
		if (b % 3 == 0)
			ssc_write_done(&c, w, b + 1, 5, true);
	}
	for (b = 0; b < md; b++) {
		ssc_md_encode(&c, b, 5, buf);
		assert_true(ssc_md_check(buf, b, c.g.words, &seq));
		assert_int_equal(seq, 5);
		assert_false(ssc_md_check(buf, b + 1, c.g.words, &seq));
		assert_int_equal(ssc_md_decode(&d, buf, b, false, &err), 0);
	}
	assert_int_equal(ssc_counter_read(&d.nr_used), ssc_counter_read(&c.nr_used));
	assert_int_equal(ssc_counter_read(&d.nr_dirty), ssc_counter_read(&c.nr_dirty));
	for (w = 0; w < c.g.nr_ways; w++) {
		assert_int_equal(d.ways[w].oblock, c.ways[w].oblock);
		assert_memory_equal(ssc_bits(&d, w, SSC_VALID), ssc_bits(&c, w, SSC_VALID), 32);
		assert_memory_equal(ssc_bits(&d, w, SSC_DIRTY), ssc_bits(&c, w, SSC_DIRTY), 32);
	}
	(void)epm;
	ssc_cache_exit(&d, ssc_user_release, NULL);

	/* after a crash only dirty data is kept, and only it is valid */
	make(&d, 256, 512, 1 << 16, &md);
	for (b = 0; b < md; b++) {
		ssc_md_encode(&c, b, 5, buf);
		assert_int_equal(ssc_md_decode(&d, buf, b, true, &err), 0);
	}
	assert_int_equal(ssc_counter_read(&d.nr_used), ssc_counter_read(&c.nr_dirty));
	assert_int_equal(ssc_counter_read(&d.nr_dirty), ssc_counter_read(&c.nr_dirty));
	for (w = 0; w < d.g.nr_ways; w++)
		if (d.ways[w].oblock != SSC_NO_BLOCK)
			assert_memory_equal(ssc_bits(&d, w, SSC_VALID),
					    ssc_bits(&d, w, SSC_DIRTY), 32);
	ssc_cache_exit(&d, ssc_user_release, NULL);

	/* ssc_md_dirty_entries() sees what decoding sees, without a cache */
	{
		uint64_t dirty_blocks = 0;

		for (b = 0; b < md; b++) {
			ssc_md_encode(&c, b, 5, buf);
			dirty_blocks += ssc_md_dirty_entries(buf, c.g.words);
		}
		assert_int_equal(dirty_blocks, ssc_counter_read(&c.nr_dirty));
		for (w = 0; w < c.g.nr_ways; w++)
			if (c.ways[w].oblock != SSC_NO_BLOCK)
				memset(ssc_bits(&c, w, SSC_DIRTY), 0, 32);
		for (b = 0; b < md; b++) {
			ssc_md_encode(&c, b, 5, buf);
			assert_int_equal(ssc_md_dirty_entries(buf, c.g.words), 0);
		}
		/* one dirty sub-block, the last of a block's last word */
		for (w = 0; w < c.g.nr_ways; w++)
			if (c.ways[w].oblock != SSC_NO_BLOCK)
				break;
		assert_true(w < c.g.nr_ways);
		ssc_bits(&c, w, SSC_DIRTY)[c.g.words - 1] = 1ull << 63;
		ssc_md_encode(&c, w / epm, 5, buf);
		assert_int_equal(ssc_md_dirty_entries(buf, c.g.words), 1);
		ssc_bits(&c, w, SSC_DIRTY)[c.g.words - 1] = 0;
	}
	ssc_cache_exit(&c, ssc_user_release, NULL);
}

/*
 * 2 MiB blocks of 512-byte sub-blocks (4096 bits per bitmap, 64 words):
 * ranges in the last word, an entry per 1 KiB, a round trip through the
 * metadata and the crash load.
 */
static void test_md_big_blocks(void **state)
{
	struct ssc_cache c, d;
	uint8_t buf[SSC_MD_BLOCK];
	uint64_t md, b, w, seq;
	const char *err;

	(void)state;
	make(&c, 4096, 512, 40 << 11, &md);		/* 40 MiB: 16 blocks */
	make(&d, 4096, 512, 40 << 11, &md);
	assert_int_equal(c.g.nsub, 4096);
	assert_int_equal(c.g.nr_ways, 16);
	assert_int_equal(ssc_entries_per_md(c.g.words), 3);
	for (b = 0; b < 16; b++) {
		w = way_for(&c, b * 3);
		ssc_way_install(&c, w, b * 3, 1);
		ssc_range_set(&c, w, SSC_VALID, 4000 - b * 200, 96 + b);
		if (b % 2)
			ssc_write_done(&c, w, 4095 - b, 1, true);
	}
	assert_true(ssc_way_any(&c, ssc_set_find(&c, 0, 3), SSC_DIRTY));
	for (b = 0; b < md; b++) {
		ssc_md_encode(&c, b, 3, buf);
		assert_true(ssc_md_check(buf, b, c.g.words, &seq));
		assert_int_equal(ssc_md_decode(&d, buf, b, false, &err), 0);
	}
	for (w = 0; w < c.g.nr_ways; w++) {
		assert_int_equal(d.ways[w].oblock, c.ways[w].oblock);
		assert_memory_equal(ssc_bits(&d, w, SSC_VALID), ssc_bits(&c, w, SSC_VALID), 512);
		assert_memory_equal(ssc_bits(&d, w, SSC_DIRTY), ssc_bits(&c, w, SSC_DIRTY), 512);
	}
	assert_int_equal(ssc_counter_read(&d.nr_dirty), ssc_counter_read(&c.nr_dirty));
	ssc_cache_exit(&d, ssc_user_release, NULL);
	ssc_cache_exit(&c, ssc_user_release, NULL);
}

/* Build a block holding one hand-made entry at @way, then decode it. */
static int decode_one(uint64_t way, uint64_t oblock, uint64_t v0, uint64_t d0,
		      uint64_t v3, const char **err)
{
	struct ssc_cache c, d;
	uint8_t buf[SSC_MD_BLOCK];
	uint64_t md, blk;
	uint32_t epm, esz, i;
	int r;

	make(&c, 256, 512, 1 << 16, &md);
	make(&d, 256, 512, 1 << 16, &md);
	epm = ssc_entries_per_md(c.g.words);
	esz = ssc_entry_size(c.g.words);
	blk = way / epm;
	ssc_md_encode(&c, blk, 1, buf);	/* empty block */
	i = way % epm;
	{
		uint8_t *e = buf + SSC_MD_HEADER + i * esz;
		uint64_t vals[9] = { oblock, v0, 0, 0, v3, d0, 0, 0, 0 };
		unsigned int k, j;

		for (k = 0; k < 9; k++)
			for (j = 0; j < 8; j++)
				e[8 * k + j] = (uint8_t)(vals[k] >> (8 * j));
	}
	/* fix the checksum like an attacker would */
	{
		uint32_t crc = ssc_crc32c(0, buf + 4, SSC_MD_BLOCK - 4);
		unsigned int j;

		for (j = 0; j < 4; j++)
			buf[j] = (uint8_t)(crc >> (8 * j));
	}
	r = ssc_md_decode(&d, buf, blk, false, err);
	if (!r && oblock != SSC_NO_BLOCK && (v0 | v3))
		assert_int_equal(d.ways[way].oblock, oblock);
	if (r)
		assert_int_equal(ssc_counter_read(&d.nr_used), 0);
	ssc_cache_exit(&d, ssc_user_release, NULL);
	ssc_cache_exit(&c, ssc_user_release, NULL);
	return r;
}

static void test_md_hostile(void **state)
{
	struct ssc_cache c;
	uint64_t md, sets[SSC_MAX_ASSOC + 1], home, ob;
	const char *err;

	(void)state;
	make(&c, 256, 512, 1 << 16, &md);
	ob = 1000;
	ssc_probe_sets(&c.g, ob, sets);
	home = sets[0] * SSC_WAYS;
	ssc_cache_exit(&c, ssc_user_release, NULL);

	assert_int_equal(decode_one(home, ob, 1, 1, 0, &err), 0);
	/* a block beyond the origin */
	assert_int_equal(decode_one(home, 1ull << 40, 1, 0, 0, &err), -EINVAL);
	/* a set the block cannot map to */
	assert_int_equal(decode_one((sets[0] ^ 1) * SSC_WAYS + 3 == home ? home + 16 : (sets[0] + 7) % 16 * SSC_WAYS, ob, 1, 0, 0, &err),
			 decode_one((sets[0] + 7) % 16 * SSC_WAYS, ob, 1, 0, 0, &err));
	/* dirty but not valid */
	assert_int_equal(decode_one(home, ob, 1, 2, 0, &err), -EINVAL);
	/* nothing valid: ignored */
	assert_int_equal(decode_one(home, ob, 0, 0, 0, &err), 0);
}

static void test_md_unreachable(void **state)
{
	struct ssc_cache c;
	uint64_t md, sets[SSC_MAX_ASSOC + 1], s, ob = 1000;
	unsigned int n, i;
	const char *err;
	bool reach;

	(void)state;
	make(&c, 256, 512, 1 << 16, &md);
	n = ssc_probe_sets(&c.g, ob, sets);
	for (s = 0; s < c.g.nr_sets; s++) {
		reach = false;
		for (i = 0; i < n; i++)
			reach |= sets[i] == s;
		if (!reach)
			break;
	}
	ssc_cache_exit(&c, ssc_user_release, NULL);
	assert_true(s < 1000);
	assert_int_equal(decode_one(s * SSC_WAYS, ob, 1, 0, 0, &err), -EINVAL);
	assert_string_equal(err, "Metadata entry in a set its block cannot map to");
}

static void test_md_torn(void **state)
{
	struct ssc_cache c;
	uint8_t buf[SSC_MD_BLOCK];
	uint64_t md, seq;

	(void)state;
	make(&c, 8, 4096, 1 << 16, &md);
	ssc_way_install(&c, 0, 0, 1);
	ssc_range_set(&c, 0, SSC_VALID, 0, 1);
	ssc_md_encode(&c, 0, 9, buf);
	assert_true(ssc_md_check(buf, 0, c.g.words, &seq));
	/* a torn write: the second half from an older version */
	memset(buf + 2048, 0xa5, 2048);
	assert_false(ssc_md_check(buf, 0, c.g.words, &seq));
	ssc_cache_exit(&c, ssc_user_release, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_sb_roundtrip),
		cmocka_unit_test(test_sb_corruption),
		cmocka_unit_test(test_md_roundtrip),
		cmocka_unit_test(test_md_big_blocks),
		cmocka_unit_test(test_md_hostile),
		cmocka_unit_test(test_md_unreachable),
		cmocka_unit_test(test_md_torn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
