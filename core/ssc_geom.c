// SPDX-License-Identifier: GPL-2.0
/*
 * ssc_geom.c - cache geometry and hashed set-associative placement.
 *
 * An origin block's home set is its number modulo the set count (the RFC's
 * hash_wrap: neighbouring blocks land in neighbouring sets). With assoc N
 * the lookup then probes up to N further sets by double hashing: the step
 * is derived from a multiplicative hash of the block number (the RFC's
 * rehash_block), so two blocks that collide in their home set follow
 * different probe sequences.
 */
#include "ssdcache/ssc_core.h"

static uint32_t ilog2_u32(uint32_t v)
{
	uint32_t r = 0;

	while (v >>= 1)
		r++;
	return r;
}

int ssc_geom_init(struct ssc_geom *g, const struct ssc_config *cfg,
		  uint64_t origin_sectors, uint64_t cache_sectors,
		  uint32_t lbs, const char **err)
{
	uint32_t lbs_sectors;
	uint64_t cache_blocks;

	memset(g, 0, sizeof(*g));
	if (lbs < 512 || (lbs & (lbs - 1)) || lbs > 65536) {
		*err = "Unsupported logical block size";
		return -EINVAL;
	}
	lbs_sectors = lbs >> 9;
	if (!cfg->block_sectors || (cfg->block_sectors & (cfg->block_sectors - 1))) {
		*err = "blocksize must be a non-zero power of two";
		return -EINVAL;
	}
	if (cfg->block_sectors < lbs_sectors) {
		*err = "blocksize is smaller than the devices' logical block size";
		return -EINVAL;
	}
	if (cfg->block_sectors / lbs_sectors > SSC_MAX_SUB) {
		*err = "blocksize too large: at most 4096 logical blocks per cache block";
		return -EINVAL;
	}
	if (!cfg->assoc || cfg->assoc > SSC_MAX_ASSOC) {
		*err = "Invalid assoc (1 to 64)";
		return -EINVAL;
	}
	if (!origin_sectors) {
		*err = "Target length is zero";
		return -EINVAL;
	}
	g->block_sectors = cfg->block_sectors;
	g->block_shift = ilog2_u32(cfg->block_sectors);
	g->sub_sectors = lbs_sectors;
	g->sub_shift = ilog2_u32(lbs_sectors);
	g->nsub = cfg->block_sectors / lbs_sectors;
	g->words = (g->nsub + 63) / 64;
	g->assoc = cfg->assoc;
	g->data_offset = 0;

	cache_blocks = (cache_sectors - g->data_offset) >> g->block_shift;
	if (cache_sectors <= g->data_offset || cache_blocks < SSC_WAYS) {
		*err = "Cache device is smaller than one set (16 blocks)";
		return -EINVAL;
	}
	g->nr_sets = cache_blocks / SSC_WAYS;
	g->nr_ways = g->nr_sets * SSC_WAYS;
	g->origin_sectors = origin_sectors;
	g->origin_blocks = ((origin_sectors - 1) >> g->block_shift) + 1;
	return 0;
}

unsigned int ssc_probe_sets(const struct ssc_geom *g, uint64_t oblock,
			    uint64_t *sets)
{
	uint64_t home = ssc_home_set(g, oblock), s = home, step;
	unsigned int n = 1, i;

	sets[0] = home;
	if (g->nr_sets < 2)
		return 1;
	step = 1 + ssc_hash64(oblock) % (g->nr_sets - 1);
	for (i = 0; i < g->assoc; i++) {
		s += step;
		if (s >= g->nr_sets)
			s -= g->nr_sets;
		/* an arithmetic probe sequence first repeats at its start */
		if (s == home)
			break;
		sets[n++] = s;
	}
	return n;
}
