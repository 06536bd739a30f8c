// SPDX-License-Identifier: GPL-2.0
/*
 * ssc_format.c - encode, decode and check the on-disk format (see
 * ssc_format.h). Byte-wise little endian, so the same code serves the
 * kernel, the tools and the fuzzers on any host.
 */
#include "ssdcache/ssc_format.h"

/* ---- crc32c (Castagnoli), table driven ---- */

static uint32_t crc_table[256];
static bool crc_ready;

static void crc_init(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ ((c & 1) ? 0x82f63b78u : 0);
		crc_table[i] = c;
	}
	crc_ready = true;
}

uint32_t ssc_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (!crc_ready)
		crc_init();	/* idempotent: racing callers write the same values */
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ---- little-endian helpers ---- */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* ---- layout ---- */

#define SB_SECTORS	SSC_MD_SECTORS
#define DATA_ALIGN_MAX	256u	/* align data to min(block, 128 KiB) */

static uint64_t md_blocks_for(uint64_t nr_sets, uint32_t words)
{
	uint64_t ways = nr_sets * SSC_WAYS;
	uint64_t epm = ssc_entries_per_md(words);

	return (ways + epm - 1) / epm;
}

static uint64_t data_offset_for(uint64_t md_blocks, uint32_t block_sectors)
{
	uint64_t align = block_sectors < DATA_ALIGN_MAX ? block_sectors :
							  DATA_ALIGN_MAX;
	uint64_t end = SB_SECTORS + 2 * md_blocks * SSC_MD_SECTORS;

	return (end + align - 1) / align * align;
}

int ssc_layout(struct ssc_geom *g, uint64_t cache_sectors,
	       uint64_t *md_blocks, const char **err)
{
	uint64_t per_set, sets, md, epm = ssc_entries_per_md(g->words);
	uint64_t room, align;

	/* sectors per set: data plus its share of both metadata slots */
	per_set = (uint64_t)SSC_WAYS * g->block_sectors;
	align = g->block_sectors < DATA_ALIGN_MAX ? g->block_sectors :
						   DATA_ALIGN_MAX;
	room = SB_SECTORS + align + 2 * SSC_MD_SECTORS;
	if (cache_sectors <= room) {
		*err = "Cache device is smaller than one set (16 blocks) and its metadata";
		return -EINVAL;
	}
	/* an estimate from above, then down to the first layout that fits */
	sets = (cache_sectors - room) * epm /
	       (per_set * epm + 2 * SSC_MD_SECTORS * SSC_WAYS) + 1;
	for (; sets > 0; sets--) {
		md = md_blocks_for(sets, g->words);
		if (data_offset_for(md, g->block_sectors) + sets * per_set <=
		    cache_sectors)
			break;
	}
	if (!sets) {
		*err = "Cache device is smaller than one set (16 blocks) and its metadata";
		return -EINVAL;
	}
	g->nr_sets = sets;
	g->nr_ways = sets * SSC_WAYS;
	*md_blocks = md_blocks_for(sets, g->words);
	g->data_offset = data_offset_for(*md_blocks, g->block_sectors);
	return 0;
}

/* ---- superblock ---- */

/*
 * Offsets in the 4 KiB superblock block; the checksum covers bytes
 * 4..4095 (everything after itself).
 */
enum {
	SB_CSUM = 0, SB_MAGIC = 4, SB_VERSION = 8, SB_FLAGS = 12, SB_UUID = 16,
	SB_SEQ = 32, SB_BLOCK = 40, SB_LBS = 44, SB_ASSOC = 48, SB_MODE = 52,
	SB_SETS = 56, SB_MDBLOCKS = 64, SB_DATAOFF = 72, SB_CACHESZ = 80,
	SB_ORIGINSZ = 88, SB_ORIGINFP = 96, SB_PAD = 100, SB_DIRTY = 104,
	SB_USED = 112, SB_END = 120,
};

void ssc_sb_encode(const struct ssc_sb *sb, uint8_t *buf)
{
	memset(buf, 0, SSC_MD_BLOCK);
	put32(buf + SB_MAGIC, SSC_SB_MAGIC);
	put32(buf + SB_VERSION, sb->version);
	put32(buf + SB_FLAGS, sb->flags);
	memcpy(buf + SB_UUID, sb->uuid, 16);
	put64(buf + SB_SEQ, sb->seq);
	put32(buf + SB_BLOCK, sb->block_sectors);
	put32(buf + SB_LBS, sb->lbs);
	put32(buf + SB_ASSOC, sb->assoc);
	put32(buf + SB_MODE, sb->mode);
	put64(buf + SB_SETS, sb->nr_sets);
	put64(buf + SB_MDBLOCKS, sb->md_blocks);
	put64(buf + SB_DATAOFF, sb->data_offset);
	put64(buf + SB_CACHESZ, sb->cache_sectors);
	put64(buf + SB_ORIGINSZ, sb->origin_sectors);
	put32(buf + SB_ORIGINFP, sb->origin_fp);
	put64(buf + SB_DIRTY, sb->dirty_blocks);
	put64(buf + SB_USED, sb->used_blocks);
	put32(buf + SB_CSUM, ssc_crc32c(0, buf + 4, SSC_MD_BLOCK - 4));
}

int ssc_sb_decode(struct ssc_sb *sb, const uint8_t *buf, const char **err)
{
	uint64_t md, need;
	uint32_t words, nsub;
	struct ssc_geom g;

	memset(sb, 0, sizeof(*sb));
	if (get32(buf + SB_MAGIC) != SSC_SB_MAGIC) {
		*err = "No ssdcache superblock";
		return -ENOENT;
	}
	if (get32(buf + SB_CSUM) != ssc_crc32c(0, buf + 4, SSC_MD_BLOCK - 4)) {
		*err = "Superblock checksum mismatch";
		return -EINVAL;
	}
	sb->version = get32(buf + SB_VERSION);
	if (sb->version > SSC_FORMAT_VERSION) {
		*err = "Cache was formatted by a newer version (unknown format)";
		return -EOPNOTSUPP;
	}
	if (sb->version < 1) {
		*err = "Invalid format version";
		return -EINVAL;
	}
	sb->flags = get32(buf + SB_FLAGS);
	memcpy(sb->uuid, buf + SB_UUID, 16);
	sb->seq = get64(buf + SB_SEQ);
	sb->block_sectors = get32(buf + SB_BLOCK);
	sb->lbs = get32(buf + SB_LBS);
	sb->assoc = get32(buf + SB_ASSOC);
	sb->mode = get32(buf + SB_MODE);
	sb->nr_sets = get64(buf + SB_SETS);
	sb->md_blocks = get64(buf + SB_MDBLOCKS);
	sb->data_offset = get64(buf + SB_DATAOFF);
	sb->cache_sectors = get64(buf + SB_CACHESZ);
	sb->origin_sectors = get64(buf + SB_ORIGINSZ);
	sb->origin_fp = get32(buf + SB_ORIGINFP);
	sb->dirty_blocks = get64(buf + SB_DIRTY);
	sb->used_blocks = get64(buf + SB_USED);

	/* everything derived must be consistent: never trust a number */
	if (sb->lbs < 512 || sb->lbs > 65536 || (sb->lbs & (sb->lbs - 1)) ||
	    !sb->block_sectors || sb->block_sectors > (1u << 16) ||
	    (sb->block_sectors & (sb->block_sectors - 1)) ||
	    sb->block_sectors < sb->lbs / 512) {
		*err = "Superblock has an invalid block geometry";
		return -EINVAL;
	}
	nsub = sb->block_sectors / (sb->lbs / 512);
	if (nsub > SSC_MAX_SUB || !sb->assoc || sb->assoc > SSC_MAX_ASSOC ||
	    sb->mode > SSC_READCACHE) {
		*err = "Superblock has invalid settings";
		return -EINVAL;
	}
	words = (nsub + 63) / 64;
	if (!sb->nr_sets || sb->nr_sets > (1ull << 40) / SSC_WAYS ||
	    sb->md_blocks != md_blocks_for(sb->nr_sets, words) ||
	    sb->data_offset != data_offset_for(sb->md_blocks, sb->block_sectors)) {
		*err = "Superblock has an inconsistent layout";
		return -EINVAL;
	}
	need = sb->data_offset + sb->nr_sets * SSC_WAYS * sb->block_sectors;
	if (need > sb->cache_sectors || !sb->origin_sectors ||
	    sb->dirty_blocks > sb->nr_sets * SSC_WAYS ||
	    sb->used_blocks > sb->nr_sets * SSC_WAYS) {
		*err = "Superblock sizes are out of range";
		return -EINVAL;
	}
	/* the layout must be the one ssc_layout() picks for this device */
	memset(&g, 0, sizeof(g));
	g.block_sectors = sb->block_sectors;
	g.words = words;
	if (ssc_layout(&g, sb->cache_sectors, &md, err) || g.nr_sets != sb->nr_sets) {
		*err = "Superblock layout does not match its cache size";
		return -EINVAL;
	}
	return 0;
}

/* ---- metadata blocks ---- */

enum {
	MD_CSUM = 0, MD_MAGIC = 4, MD_BLOCKNR = 8, MD_SEQ = 16, MD_COUNT = 24,
};

void ssc_md_encode_ways(const struct ssc_cache *c, uint64_t blocknr,
			uint64_t from, uint64_t to, uint8_t *buf)
{
	uint32_t words = c->g.words, epm = ssc_entries_per_md(words);
	uint32_t esz = ssc_entry_size(words), k;
	uint64_t first = blocknr * epm, way;

	if (from < first)
		from = first;
	if (to > first + epm)
		to = first + epm;
	for (way = from; way < to; way++) {
		uint8_t *e = buf + SSC_MD_HEADER + (way - first) * esz;
		const uint64_t *v, *d;

		if (way >= c->g.nr_ways || c->ways[way].oblock == SSC_NO_BLOCK) {
			put64(e, SSC_NO_BLOCK);
			for (k = 0; k < 2 * words; k++)
				put64(e + 8 + 8 * k, 0);
			continue;
		}
		v = ssc_bits(c, way, SSC_VALID);
		d = ssc_bits(c, way, SSC_DIRTY);
		put64(e, c->ways[way].oblock);
		for (k = 0; k < words; k++) {
			put64(e + 8 + 8 * k, v[k]);
			put64(e + 8 + 8 * (words + k), d[k]);
		}
	}
}

void ssc_md_seal(const struct ssc_cache *c, uint64_t blocknr, uint64_t seq,
		 uint8_t *buf)
{
	uint32_t words = c->g.words, epm = ssc_entries_per_md(words);
	uint32_t esz = ssc_entry_size(words), i;
	uint64_t first = blocknr * epm;

	/* entries past the last way are empty */
	for (i = 0; i < epm; i++)
		if (first + i >= c->g.nr_ways)
			put64(buf + SSC_MD_HEADER + i * esz, SSC_NO_BLOCK);
	put32(buf + MD_MAGIC, SSC_MD_MAGIC);
	put64(buf + MD_BLOCKNR, blocknr);
	put64(buf + MD_SEQ, seq);
	put32(buf + MD_COUNT, epm);
	put32(buf + MD_CSUM, ssc_crc32c(0, buf + 4, SSC_MD_BLOCK - 4));
}

void ssc_md_encode(const struct ssc_cache *c, uint64_t blocknr, uint64_t seq,
		   uint8_t *buf)
{
	uint64_t first = blocknr * ssc_entries_per_md(c->g.words);

	memset(buf, 0, SSC_MD_BLOCK);
	ssc_md_encode_ways(c, blocknr, first,
			   first + ssc_entries_per_md(c->g.words), buf);
	ssc_md_seal(c, blocknr, seq, buf);
}

bool ssc_md_check(const uint8_t *buf, uint64_t blocknr, uint32_t words,
		  uint64_t *seq)
{
	if (get32(buf + MD_MAGIC) != SSC_MD_MAGIC ||
	    get64(buf + MD_BLOCKNR) != blocknr ||
	    get32(buf + MD_COUNT) != ssc_entries_per_md(words) ||
	    get32(buf + MD_CSUM) != ssc_crc32c(0, buf + 4, SSC_MD_BLOCK - 4))
		return false;
	*seq = get64(buf + MD_SEQ);
	return true;
}

static bool set_reachable(const struct ssc_geom *g, uint64_t oblock,
			  uint64_t set)
{
	uint64_t sets[SSC_MAX_ASSOC + 1];
	unsigned int n = ssc_probe_sets(g, oblock, sets), i;

	for (i = 0; i < n; i++)
		if (sets[i] == set)
			return true;
	return false;
}

static bool already_cached(const struct ssc_cache *c, uint64_t oblock)
{
	uint64_t sets[SSC_MAX_ASSOC + 1];
	unsigned int n = ssc_probe_sets(&c->g, oblock, sets), i;

	for (i = 0; i < n; i++)
		if (ssc_set_find(c, sets[i], oblock) != SSC_NO_BLOCK)
			return true;
	return false;
}

int ssc_md_decode(struct ssc_cache *c, const uint8_t *buf, uint64_t blocknr,
		  bool dirty_only, const char **err)
{
	uint32_t words = c->g.words, epm = ssc_entries_per_md(words);
	uint32_t esz = ssc_entry_size(words), i, k;
	uint64_t first = blocknr * epm, way;
	uint64_t tail = c->g.nsub % 64 ? ~0ull << (c->g.nsub % 64) : 0;
	const uint8_t *e = buf + SSC_MD_HEADER;

	for (i = 0; i < epm; i++, e += esz) {
		uint64_t ob = get64(e), v[SSC_MAX_SUB / 64], d[SSC_MAX_SUB / 64];
		bool any_dirty = false, any_valid = false;

		way = first + i;
		if (ob == SSC_NO_BLOCK)
			continue;
		if (way >= c->g.nr_ways) {
			*err = "Metadata entry beyond the last cache block";
			goto bad;
		}
		if (ob >= c->g.origin_blocks) {
			*err = "Metadata entry for a block beyond the origin";
			goto bad;
		}
		if (!set_reachable(&c->g, ob, way / SSC_WAYS)) {
			*err = "Metadata entry in a set its block cannot map to";
			goto bad;
		}
		for (k = 0; k < words; k++) {
			v[k] = get64(e + 8 + 8 * k);
			d[k] = get64(e + 8 + 8 * (words + k));
			if (d[k] & ~v[k]) {
				*err = "Metadata entry has dirty data that is not valid";
				goto bad;
			}
			if (k == words - 1 && ((v[k] | d[k]) & tail)) {
				*err = "Metadata entry has bits beyond the block";
				goto bad;
			}
			any_dirty |= d[k] != 0;
			any_valid |= v[k] != 0;
		}
		if (dirty_only && !any_dirty)
			continue;
		if (!any_valid)
			continue;
		if (already_cached(c, ob)) {
			*err = "Metadata holds the same block twice";
			goto bad;
		}
		ssc_way_install(c, way, ob, 0);
		if (any_dirty)
			c->ways[way].flags |= SSC_WF_DISK_DIRTY;
		for (k = 0; k < words; k++) {
			ssc_bits(c, way, SSC_VALID)[k] = dirty_only ? d[k] : v[k];
			ssc_bits(c, way, SSC_DIRTY)[k] = d[k];
		}
		if (any_dirty)
			ssc_counter_add(&c->nr_dirty, 1);
	}
	return 0;
bad:
	for (way = first; way < first + epm && way < c->g.nr_ways; way++)
		ssc_way_evict(c, way);
	return -EINVAL;
}
