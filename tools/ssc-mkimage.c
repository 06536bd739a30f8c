// SPDX-License-Identifier: GPL-2.0
/*
 * ssc-mkimage: write an ssdcache cache device image, valid or crafted the
 * way an attacker or a broken disk would, for tests of the loader
 * (tests/vm/scenarios/rel-metadata.sh). Uses the core's own encoder, then
 * damages the result and, unless the damage is the checksum itself,
 * recomputes the checksums so that the loader's deeper checks are reached.
 *
 *   ssc-mkimage KIND CACHE_SECTORS ORIGIN_SECTORS BLOCK_SECTORS > image
 *
 * Every metadata block has a valid current version in slot A (sequence 1)
 * and an older, empty one in slot B (sequence 0).
 *
 * KIND: valid, sb-bitflip, sb-huge-sets, sb-newer, md-bitflip,
 * md-both-slots, entry-beyond-origin, entry-wrong-set, entry-dirty-invalid,
 * entry-tail-bits, entry-twice; crashed-clean (an unclean shutdown, no
 * dirty entry), crashed-lagging (an unclean shutdown whose superblock
 * counts no dirty block while an entry is dirty: a count taken after a
 * block was cleaned, before the cleaning was committed). The image holds
 * the superblock and the metadata (both slots); the data area is not
 * written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssdcache/ssc_format.h"

static void put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void reseal(uint8_t *blk)
{
	uint32_t crc = ssc_crc32c(0, blk + 4, SSC_MD_BLOCK - 4);
	int i;

	for (i = 0; i < 4; i++)
		blk[i] = (uint8_t)(crc >> (8 * i));
}

/* First way of the home set of @ob, and a set @ob can never map to. */
static uint64_t home_way(const struct ssc_geom *g, uint64_t ob, uint64_t *bad_set)
{
	uint64_t sets[SSC_MAX_ASSOC + 1], s;
	unsigned int n = ssc_probe_sets(g, ob, sets), i;

	*bad_set = SSC_NO_BLOCK;
	for (s = 0; s < g->nr_sets && *bad_set == SSC_NO_BLOCK; s++) {
		for (i = 0; i < n && sets[i] != s; i++)
			;
		if (i == n)
			*bad_set = s;
	}
	return sets[0] * SSC_WAYS;
}

int main(int argc, char **argv)
{
	struct ssc_config cfg = { .assoc = 4 };
	struct ssc_cache c;
	struct ssc_geom g;
	struct ssc_sb sb;
	const char *err, *kind;
	uint64_t md, b, w, bad_set, cache_sectors, origin_sectors;
	uint8_t *img, *e, *blk;
	size_t len;
	uint32_t esz, epm;

	if (argc != 5) {
		fprintf(stderr, "usage: ssc-mkimage KIND CACHE_SECTORS ORIGIN_SECTORS BLOCK_SECTORS\n");
		return 2;
	}
	kind = argv[1];
	cache_sectors = strtoull(argv[2], NULL, 0);
	origin_sectors = strtoull(argv[3], NULL, 0);
	cfg.block_sectors = (uint32_t)strtoul(argv[4], NULL, 0);
	if (ssc_geom_init(&g, &cfg, origin_sectors, cache_sectors, 512, &err) ||
	    ssc_layout(&g, cache_sectors, &md, &err) ||
	    ssc_cache_init(&c, &g, SSC_LFU, ssc_user_zalloc, NULL)) {
		fprintf(stderr, "ssc-mkimage: %s\n", err);
		return 1;
	}
	/* a few valid blocks, some dirty */
	for (b = 0; b < 8; b++) {
		w = home_way(&g, b * 5, &bad_set) + b % 2;
		if (c.ways[w].oblock != SSC_NO_BLOCK)
			continue;
		ssc_way_install(&c, w, b * 5, 1);
		ssc_range_set(&c, w, SSC_VALID, 0, g.nsub);
		if (b % 3 == 0 && strcmp(kind, "crashed-clean"))
			ssc_write_done(&c, w, 0, 1, true);
	}
	memset(&sb, 0, sizeof(sb));
	sb.version = SSC_FORMAT_VERSION;
	sb.flags = SSC_SB_CLEAN;
	memcpy(sb.uuid, "ssc-mkimage-test", 16);
	sb.seq = 1;
	sb.block_sectors = g.block_sectors;
	sb.lbs = 512;
	sb.assoc = g.assoc;
	sb.mode = SSC_WRITEBACK;
	sb.nr_sets = g.nr_sets;
	sb.md_blocks = md;
	sb.data_offset = g.data_offset;
	sb.cache_sectors = cache_sectors;
	sb.origin_sectors = origin_sectors;
	sb.dirty_blocks = ssc_counter_read(&c.nr_dirty);
	sb.used_blocks = ssc_counter_read(&c.nr_used);
	if (!strncmp(kind, "crashed-", 8))
		sb.flags = 0;
	if (!strcmp(kind, "crashed-lagging"))
		sb.dirty_blocks = 0;

	len = (size_t)(1 + 2 * md) * SSC_MD_BLOCK;
	img = calloc(1, len);
	if (!img)
		return 1;
	if (!strcmp(kind, "sb-newer"))
		sb.version = SSC_FORMAT_VERSION + 1;
	if (!strcmp(kind, "sb-huge-sets"))
		sb.nr_sets = 1ull << 50;
	ssc_sb_encode(&sb, img);
	for (b = 0; b < md; b++) {
		struct ssc_cache empty = c;	/* slot B: an older, empty version */

		ssc_md_encode(&c, b, 1, img + ssc_md_sector(b, 0) * 512);
		empty.ways = calloc(g.nr_ways, sizeof(*empty.ways));
		if (!empty.ways)
			return 1;
		for (w = 0; w < g.nr_ways; w++)
			empty.ways[w].oblock = SSC_NO_BLOCK;
		ssc_md_encode(&empty, b, 0, img + ssc_md_sector(b, 1) * 512);
		free(empty.ways);
	}

	esz = ssc_entry_size(g.words);
	epm = ssc_entries_per_md(g.words);
	w = home_way(&g, 1000, &bad_set);
	blk = img + ssc_md_sector(w / epm, 0) * 512;
	e = blk + SSC_MD_HEADER + (w % epm) * esz;
	if (!strcmp(kind, "sb-bitflip")) {
		img[60] ^= 0x04;
	} else if (!strncmp(kind, "md-", 3)) {
		/* the metadata block holding block 0, which is cached */
		w = home_way(&g, 0, &bad_set);
		blk = img + ssc_md_sector(w / epm, 0) * 512;
		if (!strcmp(kind, "md-bitflip")) {
			/* slot B still holds a valid older copy */
			blk[100] ^= 0x01;
		} else if (!strcmp(kind, "md-both-slots")) {
			blk[100] ^= 0x01;
			blk[SSC_MD_BLOCK + 100] ^= 0x01;
		} else {
			fprintf(stderr, "ssc-mkimage: unknown kind %s\n", kind);
			return 2;
		}
	} else if (!strncmp(kind, "entry-", 6)) {
		if (!strcmp(kind, "entry-beyond-origin")) {
			put64(e, 1ull << 40);
			put64(e + 8, 1);
		} else if (!strcmp(kind, "entry-wrong-set")) {
			w = bad_set * SSC_WAYS;
			blk = img + ssc_md_sector(w / epm, 0) * 512;
			e = blk + SSC_MD_HEADER + (w % epm) * esz;
			put64(e, 1000);
			put64(e + 8, 1);
		} else if (!strcmp(kind, "entry-dirty-invalid")) {
			put64(e, 1000);
			put64(e + 8, 1);
			put64(e + 8 + 8 * g.words, 2);
		} else if (!strcmp(kind, "entry-tail-bits")) {
			put64(e, 1000);
			put64(e + 8 + 8 * (g.words - 1), ~0ull);
		} else if (!strcmp(kind, "entry-twice")) {
			/* block 0 is in its home set already: add it again */
			uint64_t w0 = home_way(&g, 0, &bad_set) + 5;

			blk = img + ssc_md_sector(w0 / epm, 0) * 512;
			e = blk + SSC_MD_HEADER + (w0 % epm) * esz;
			put64(e, 0);
			put64(e + 8, 1);
		} else {
			fprintf(stderr, "ssc-mkimage: unknown kind %s\n", kind);
			return 2;
		}
		reseal(blk);
	} else if (strcmp(kind, "valid") && strcmp(kind, "sb-newer") &&
		   strcmp(kind, "sb-huge-sets") && strcmp(kind, "crashed-clean") &&
		   strcmp(kind, "crashed-lagging")) {
		fprintf(stderr, "ssc-mkimage: unknown kind %s\n", kind);
		return 2;
	}
	if (fwrite(img, 1, len, stdout) != len)
		return 1;
	free(img);
	return 0;
}
