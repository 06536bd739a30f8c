// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_geom: libFuzzer harness for the cache geometry and placement
 * (core/ssc_geom.c) with random device sizes, block sizes, associativity
 * and logical block sizes, plus a few set operations on small caches
 * (core/ssc_cache.c).
 *
 * Input (little endian, missing bytes are zero):
 *   u32 block_sectors, u32 assoc, u64 origin_sectors, u64 cache_sectors,
 *   u8 lbs selector (512 << (b % 9), and b >= 0xf0 gives a raw u32 value
 *   taken from the next 4 bytes), then u64 origin block numbers to place.
 *
 * Properties checked: ssc_geom_init() returns 0 or -EINVAL with *err set;
 * an accepted geometry fits the cache device, covers the origin, has
 * 1..4096 sub-blocks of the logical block size per cache block, and every
 * probe sequence stays inside the set range with distinct sets; a way
 * installed for a block is found again in its probe sets.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssdcache/ssc_core.h"

#include "fuzz.h"

/* Small caches only: the set-operation part allocates the metadata. */
#define MAX_WAYS_FOR_CACHE 4096

struct reader {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct reader *r, unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++) {
		if (r->left) {
			v |= (uint64_t)*r->p << (8 * i);
			r->p++;
			r->left--;
		}
	}
	return v;
}

static void check_probe(const struct ssc_geom *g, uint64_t oblock)
{
	uint64_t sets[SSC_MAX_ASSOC + 1];
	unsigned int n, i, j;

	n = ssc_probe_sets(g, oblock, sets);
	CHECK(n >= 1 && n <= g->assoc + 1);
	CHECK(sets[0] == oblock % g->nr_sets);
	for (i = 0; i < n; i++) {
		CHECK(sets[i] < g->nr_sets);
		for (j = 0; j < i; j++)
			CHECK(sets[i] != sets[j]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader rd = { data, size };
	struct ssc_config cfg;
	struct ssc_geom g;
	const char *err = NULL;
	uint64_t osz, csz, ob;
	uint32_t lbs;
	uint8_t sel;
	int r, k;

	if (size > 4096)
		return 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.origin = "o";
	cfg.cache = "c";
	cfg.block_sectors = (uint32_t)take(&rd, 4);
	cfg.assoc = (uint32_t)take(&rd, 4);
	osz = take(&rd, 8);
	csz = take(&rd, 8);
	sel = (uint8_t)take(&rd, 1);
	lbs = sel >= 0xf0 ? (uint32_t)take(&rd, 4) : 512u << (sel % 9);

	r = ssc_geom_init(&g, &cfg, osz, csz, lbs, &err);
	CHECK(r == 0 || r == -EINVAL);
	if (r) {
		CHECK(err && *err);
		return 0;
	}
	/* what the caller passed in range */
	CHECK(lbs >= 512 && lbs <= 65536 && !(lbs & (lbs - 1)));
	CHECK(cfg.assoc >= 1 && cfg.assoc <= SSC_MAX_ASSOC);
	CHECK(osz > 0);
	/* the geometry itself */
	CHECK(g.block_sectors == cfg.block_sectors);
	CHECK((1ull << g.block_shift) == g.block_sectors);
	CHECK(g.sub_sectors == lbs / 512);
	CHECK((1ull << g.sub_shift) == g.sub_sectors);
	CHECK(g.nsub >= 1 && g.nsub <= SSC_MAX_SUB);
	CHECK((uint64_t)g.nsub * g.sub_sectors == g.block_sectors);
	CHECK(g.words == (g.nsub + 63) / 64 && g.words >= 1 && g.words <= SSC_MAX_SUB / 64);
	CHECK(g.nr_sets >= 1 && g.nr_ways == g.nr_sets * SSC_WAYS);
	CHECK(g.assoc == cfg.assoc);
	/* fits on the cache device (no overflow: nr_ways <= csz / 16) */
	CHECK(g.data_offset <= csz);
	CHECK(g.nr_ways <= (csz - g.data_offset) >> g.block_shift);
	CHECK(g.data_offset + (g.nr_ways << g.block_shift) <= csz);
	/* less than one more set would not fit */
	CHECK(((csz - g.data_offset) >> g.block_shift) - g.nr_ways < SSC_WAYS);
	/* covers the origin exactly */
	CHECK(g.origin_sectors == osz);
	CHECK(g.origin_blocks >= 1);
	CHECK(g.origin_blocks - 1 <= (osz - 1) >> g.block_shift);
	CHECK(g.origin_blocks == ((osz - 1) >> g.block_shift) + 1);
	/* the last way's last sector is on the device */
	CHECK(ssc_way_sector(&g, g.nr_ways - 1) + g.block_sectors <= csz);

	check_probe(&g, 0);
	check_probe(&g, g.origin_blocks - 1);
	while (rd.left) {
		ob = take(&rd, 8);
		check_probe(&g, ob);
		check_probe(&g, ob % g.origin_blocks);
	}

	/* set operations on a small cache */
	if (g.nr_ways <= MAX_WAYS_FOR_CACHE) {
		struct ssc_cache c;
		uint64_t sets[SSC_MAX_ASSOC + 1], way, score;
		unsigned int n, i;

		CHECK(ssc_cache_init(&c, &g, SSC_LRU, ssc_user_zalloc, NULL) == 0);
		CHECK(ssc_bytes_per_block(&g) > 0);
		for (k = 0; k < 64; k++) {
			ob = ((uint64_t)k * 2654435761u) % g.origin_blocks;
			n = ssc_probe_sets(&g, ob, sets);
			for (i = 0; i < n; i++)
				if (ssc_set_find(&c, sets[i], ob) != SSC_NO_BLOCK)
					break;
			if (i < n)	/* already placed (k wrapped around) */
				continue;
			way = ssc_set_candidate(&c, sets[n - 1], true, &score);
			if (way == SSC_NO_BLOCK)
				continue;
			CHECK(way < g.nr_ways && way / SSC_WAYS == sets[n - 1]);
			ssc_way_install(&c, way, ob, (uint64_t)k);
			CHECK(ssc_set_find(&c, sets[n - 1], ob) == way);
			ssc_write_done(&c, way, 0, g.nsub, k & 1);
			CHECK(ssc_range_all(&c, way, SSC_VALID, 0, g.nsub));
			if (k & 1) {
				ssc_clean(&c, way, 0, g.nsub);
				CHECK(!ssc_way_any(&c, way, SSC_DIRTY));
			}
			ssc_invalidate(&c, way, g.nsub - 1, 1);
			CHECK(ssc_classify_read(&c, way, 0, g.nsub) != SSC_READ_HIT ||
			      g.nsub == 0);
		}
		CHECK(ssc_counter_read(&c.nr_dirty) == 0);
		ssc_cache_exit(&c, ssc_user_release, NULL);
	}
	return 0;
}
