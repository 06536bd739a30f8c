// SPDX-License-Identifier: GPL-2.0
/*
 * ssc_format.c - encode, decode and check the on-disk format (see
 * ssc_format.h). Byte-wise little endian, so the same code serves the
 * kernel, the tools and the fuzzers on any host.
 */
#include "ssdcache/ssc_format.h"

/* ---- crc32c (Castagnoli), table driven ---- */

/*
 * Table of the reflected polynomial 0x82f63b78, constant so that no caller
 * ever sees it half built (tests/unit/test_format.c checks the standard
 * check value of "123456789").
 */
static const uint32_t crc_table[256] = {
	0x00000000u, 0xf26b8303u, 0xe13b70f7u, 0x1350f3f4u, 0xc79a971fu,
	0x35f1141cu, 0x26a1e7e8u, 0xd4ca64ebu, 0x8ad958cfu, 0x78b2dbccu,
	0x6be22838u, 0x9989ab3bu, 0x4d43cfd0u, 0xbf284cd3u, 0xac78bf27u,
	0x5e133c24u, 0x105ec76fu, 0xe235446cu, 0xf165b798u, 0x030e349bu,
	0xd7c45070u, 0x25afd373u, 0x36ff2087u, 0xc494a384u, 0x9a879fa0u,
	0x68ec1ca3u, 0x7bbcef57u, 0x89d76c54u, 0x5d1d08bfu, 0xaf768bbcu,
	0xbc267848u, 0x4e4dfb4bu, 0x20bd8edeu, 0xd2d60dddu, 0xc186fe29u,
	0x33ed7d2au, 0xe72719c1u, 0x154c9ac2u, 0x061c6936u, 0xf477ea35u,
	0xaa64d611u, 0x580f5512u, 0x4b5fa6e6u, 0xb93425e5u, 0x6dfe410eu,
	0x9f95c20du, 0x8cc531f9u, 0x7eaeb2fau, 0x30e349b1u, 0xc288cab2u,
	0xd1d83946u, 0x23b3ba45u, 0xf779deaeu, 0x05125dadu, 0x1642ae59u,
	0xe4292d5au, 0xba3a117eu, 0x4851927du, 0x5b016189u, 0xa96ae28au,
	0x7da08661u, 0x8fcb0562u, 0x9c9bf696u, 0x6ef07595u, 0x417b1dbcu,
	0xb3109ebfu, 0xa0406d4bu, 0x522bee48u, 0x86e18aa3u, 0x748a09a0u,
	0x67dafa54u, 0x95b17957u, 0xcba24573u, 0x39c9c670u, 0x2a993584u,
	0xd8f2b687u, 0x0c38d26cu, 0xfe53516fu, 0xed03a29bu, 0x1f682198u,
	0x5125dad3u, 0xa34e59d0u, 0xb01eaa24u, 0x42752927u, 0x96bf4dccu,
	0x64d4cecfu, 0x77843d3bu, 0x85efbe38u, 0xdbfc821cu, 0x2997011fu,
	0x3ac7f2ebu, 0xc8ac71e8u, 0x1c661503u, 0xee0d9600u, 0xfd5d65f4u,
	0x0f36e6f7u, 0x61c69362u, 0x93ad1061u, 0x80fde395u, 0x72966096u,
	0xa65c047du, 0x5437877eu, 0x4767748au, 0xb50cf789u, 0xeb1fcbadu,
	0x197448aeu, 0x0a24bb5au, 0xf84f3859u, 0x2c855cb2u, 0xdeeedfb1u,
	0xcdbe2c45u, 0x3fd5af46u, 0x7198540du, 0x83f3d70eu, 0x90a324fau,
	0x62c8a7f9u, 0xb602c312u, 0x44694011u, 0x5739b3e5u, 0xa55230e6u,
	0xfb410cc2u, 0x092a8fc1u, 0x1a7a7c35u, 0xe811ff36u, 0x3cdb9bddu,
	0xceb018deu, 0xdde0eb2au, 0x2f8b6829u, 0x82f63b78u, 0x709db87bu,
	0x63cd4b8fu, 0x91a6c88cu, 0x456cac67u, 0xb7072f64u, 0xa457dc90u,
	0x563c5f93u, 0x082f63b7u, 0xfa44e0b4u, 0xe9141340u, 0x1b7f9043u,
	0xcfb5f4a8u, 0x3dde77abu, 0x2e8e845fu, 0xdce5075cu, 0x92a8fc17u,
	0x60c37f14u, 0x73938ce0u, 0x81f80fe3u, 0x55326b08u, 0xa759e80bu,
	0xb4091bffu, 0x466298fcu, 0x1871a4d8u, 0xea1a27dbu, 0xf94ad42fu,
	0x0b21572cu, 0xdfeb33c7u, 0x2d80b0c4u, 0x3ed04330u, 0xccbbc033u,
	0xa24bb5a6u, 0x502036a5u, 0x4370c551u, 0xb11b4652u, 0x65d122b9u,
	0x97baa1bau, 0x84ea524eu, 0x7681d14du, 0x2892ed69u, 0xdaf96e6au,
	0xc9a99d9eu, 0x3bc21e9du, 0xef087a76u, 0x1d63f975u, 0x0e330a81u,
	0xfc588982u, 0xb21572c9u, 0x407ef1cau, 0x532e023eu, 0xa145813du,
	0x758fe5d6u, 0x87e466d5u, 0x94b49521u, 0x66df1622u, 0x38cc2a06u,
	0xcaa7a905u, 0xd9f75af1u, 0x2b9cd9f2u, 0xff56bd19u, 0x0d3d3e1au,
	0x1e6dcdeeu, 0xec064eedu, 0xc38d26c4u, 0x31e6a5c7u, 0x22b65633u,
	0xd0ddd530u, 0x0417b1dbu, 0xf67c32d8u, 0xe52cc12cu, 0x1747422fu,
	0x49547e0bu, 0xbb3ffd08u, 0xa86f0efcu, 0x5a048dffu, 0x8ecee914u,
	0x7ca56a17u, 0x6ff599e3u, 0x9d9e1ae0u, 0xd3d3e1abu, 0x21b862a8u,
	0x32e8915cu, 0xc083125fu, 0x144976b4u, 0xe622f5b7u, 0xf5720643u,
	0x07198540u, 0x590ab964u, 0xab613a67u, 0xb831c993u, 0x4a5a4a90u,
	0x9e902e7bu, 0x6cfbad78u, 0x7fab5e8cu, 0x8dc0dd8fu, 0xe330a81au,
	0x115b2b19u, 0x020bd8edu, 0xf0605beeu, 0x24aa3f05u, 0xd6c1bc06u,
	0xc5914ff2u, 0x37faccf1u, 0x69e9f0d5u, 0x9b8273d6u, 0x88d28022u,
	0x7ab90321u, 0xae7367cau, 0x5c18e4c9u, 0x4f48173du, 0xbd23943eu,
	0xf36e6f75u, 0x0105ec76u, 0x12551f82u, 0xe03e9c81u, 0x34f4f86au,
	0xc69f7b69u, 0xd5cf889du, 0x27a40b9eu, 0x79b737bau, 0x8bdcb4b9u,
	0x988c474du, 0x6ae7c44eu, 0xbe2da0a5u, 0x4c4623a6u, 0x5f16d052u,
	0xad7d5351u,
};

uint32_t ssc_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

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

int ssc_md_pick_slot(const uint8_t *pair, uint64_t blocknr, uint32_t words,
		     uint64_t sb_seq)
{
	uint64_t seq_a, seq_b;
	bool ok_a, ok_b;

	ok_a = ssc_md_check(pair, blocknr, words, &seq_a) && seq_a <= sb_seq;
	ok_b = ssc_md_check(pair + SSC_MD_BLOCK, blocknr, words, &seq_b) &&
	       seq_b <= sb_seq;
	if (!ok_a && !ok_b)
		return -1;
	return (!ok_a || (ok_b && seq_b > seq_a)) ? 1 : 0;
}

uint32_t ssc_md_dirty_entries(const uint8_t *buf, uint32_t words)
{
	uint32_t epm = ssc_entries_per_md(words), esz = ssc_entry_size(words);
	const uint8_t *e = buf + SSC_MD_HEADER;
	uint32_t i, k, n = 0;

	for (i = 0; i < epm; i++, e += esz) {
		if (get64(e) == SSC_NO_BLOCK)
			continue;
		for (k = 0; k < words; k++) {
			if (get64(e + 8 + 8 * (words + k))) {
				n++;
				break;
			}
		}
	}
	return n;
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
		ssc_way_load(c, way, ob);
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
