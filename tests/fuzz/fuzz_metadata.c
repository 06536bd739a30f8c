// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_metadata: libFuzzer harness for the on-disk metadata decoder
 * (core/ssc_format.c), the code that reads what an attacker or a broken
 * disk may have written to a cache device.
 *
 * Input: byte 0 selects a small geometry (block size, logical block size,
 * cache size); the rest is a cache device image: superblock (4 KiB) then
 * metadata blocks (4 KiB each, slot A only), missing bytes are zero. When
 * byte 1 is odd the harness first writes a valid superblock and valid
 * empty metadata into the image and lets the input overwrite only the
 * entries, so that the fuzzer reaches the entry checks behind the
 * checksums (the checksum is recomputed, as a crafted image would).
 *
 * Properties: the superblock decoder returns 0, -ENOENT, -EINVAL or
 * -EOPNOTSUPP with *err set, and a superblock it accepts has a layout
 * that fits its cache size; the metadata decoder never crashes, returns 0
 * or -EINVAL with *err set, and afterwards every installed way holds an
 * origin block inside the origin, in a set of its probe sequence, with
 * dirty bits a subset of its valid bits and nothing beyond the block, and
 * no block twice; the used/dirty counters match the ways.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssdcache/ssc_format.h"

#include "fuzz.h"

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void check_cache(const struct ssc_cache *c)
{
	uint64_t w, used = 0, dirty = 0, sets[SSC_MAX_ASSOC + 1], k, sets_used = 0;
	uint64_t tail = c->g.nsub % 64 ? ~0ull << (c->g.nsub % 64) : 0;
	unsigned int n, i;

	for (w = 0; w < c->g.nr_ways; w++) {
		const uint64_t *v = ssc_bits(c, w, SSC_VALID);
		const uint64_t *d = ssc_bits(c, w, SSC_DIRTY);
		bool in_probe = false, any_dirty = false;

		if (c->ways[w].oblock == SSC_NO_BLOCK)
			continue;
		used++;
		/* the first way in use of its set counts the set */
		for (k = w - w % SSC_WAYS; k < w; k++)
			if (c->ways[k].oblock != SSC_NO_BLOCK)
				break;
		sets_used += k == w;
		CHECK(c->ways[w].oblock < c->g.origin_blocks);
		n = ssc_probe_sets(&c->g, c->ways[w].oblock, sets);
		for (i = 0; i < n; i++) {
			in_probe |= sets[i] == w / SSC_WAYS;
			/* found where a lookup looks first: no duplicates */
			k = ssc_set_find(c, sets[i], c->ways[w].oblock);
			CHECK(k == SSC_NO_BLOCK || k == w || sets[i] != w / SSC_WAYS ||
			      k <= w);
		}
		CHECK(in_probe);
		for (i = 0; i < c->g.words; i++) {
			CHECK(!(d[i] & ~v[i]));
			any_dirty |= d[i] != 0;
		}
		CHECK(!((v[c->g.words - 1] | d[c->g.words - 1]) & tail));
		dirty += any_dirty;
	}
	CHECK(used == ssc_counter_read(&c->nr_used));
	CHECK(dirty == ssc_counter_read(&c->nr_dirty));
	CHECK(sets_used == ssc_counter_read(&c->nr_sets_used));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t bs[4] = { 8, 64, 256, 16 };
	static const uint32_t lbs[4] = { 512, 4096, 512, 512 };
	static uint8_t img[8 * 4096];
	uint8_t sel = size ? data[0] : 0, mode = size > 1 ? data[1] : 0;
	struct ssc_config cfg = {
		.block_sectors = bs[sel & 3], .assoc = 1 + (sel >> 2) % 8,
	};
	uint64_t cache_sectors = 2048 + (uint64_t)(sel >> 5) * 4096;
	struct ssc_cache c;
	struct ssc_geom g;
	struct ssc_sb sb;
	const char *err = NULL;
	uint64_t md, b, seq;
	int r;

	memset(img, 0, sizeof(img));
	if (ssc_geom_init(&g, &cfg, 1 << 16, cache_sectors, lbs[sel & 3], &err) ||
	    ssc_layout(&g, cache_sectors, &md, &err))
		return 0;
	if (ssc_cache_init(&c, &g, SSC_LRU, ssc_user_zalloc, NULL))
		goto out;
	if (mode & 1) {
		/* valid frame, fuzzed entries */
		for (b = 0; b < md && 1 + b < 8; b++)
			ssc_md_encode(&c, b, 0, img + (1 + b) * 4096);
		if (size > 2) {
			size_t n = size - 2, off = 4096 + 32;

			if (n > sizeof(img) - off)
				n = sizeof(img) - off;
			memcpy(img + off, data + 2, n);
		}
		for (b = 0; b < md && 1 + b < 8; b++) {
			uint8_t *blk = img + (1 + b) * 4096;

			put32(blk, ssc_crc32c(0, blk + 4, 4096 - 4));
		}
	} else if (size > 2) {
		memcpy(img, data + 2, size - 2 < sizeof(img) ? size - 2 : sizeof(img));
	}

	r = ssc_sb_decode(&sb, img, &err);
	CHECK(r == 0 || r == -ENOENT || r == -EINVAL || r == -EOPNOTSUPP);
	if (r) {
		CHECK(err != NULL);
	} else {
		CHECK(sb.data_offset + sb.nr_sets * SSC_WAYS * sb.block_sectors <=
		      sb.cache_sectors);
		CHECK(sb.md_blocks * ssc_entries_per_md((sb.block_sectors /
			(sb.lbs / 512) + 63) / 64) >= sb.nr_sets * SSC_WAYS);
	}

	for (b = 0; b < md && 1 + b < 8; b++) {
		const uint8_t *blk = img + (1 + b) * 4096;

		if (!ssc_md_check(blk, b, g.words, &seq))
			continue;
		err = NULL;
		r = ssc_md_decode(&c, blk, b, (mode & 2) != 0, &err);
		CHECK(r == 0 || r == -EINVAL);
		if (r)
			CHECK(err != NULL);
		check_cache(&c);
	}
out:
	ssc_cache_exit(&c, ssc_user_release, NULL);
	return 0;
}
