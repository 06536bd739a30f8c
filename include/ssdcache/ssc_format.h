/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ssc_format.h - the on-disk format of an ssdcache cache device (version 1).
 *
 * Shared by the kernel target, the userspace tools and the fuzzers: all
 * encoding and decoding goes through these functions, on byte buffers, in
 * little endian; nothing here trusts the bytes it decodes.
 *
 * Layout, in 4 KiB metadata blocks:
 *
 *   block 0                superblock
 *   blocks 1 .. 2*M        M metadata blocks, each in two slots (A at
 *                          1 + 2*i, B at 2 + 2*i)
 *   data_offset ..         the cache blocks, way w at
 *                          data_offset + w * block_sectors (sectors)
 *
 * A metadata block holds the state of SSC_ENTRIES_PER_MD(words) consecutive
 * ways: origin block, valid and dirty sub-block bitmaps. A commit writes
 * each changed metadata block into the slot that does not hold its current
 * version, stamped with the commit's sequence number, then the superblock
 * with that sequence number (FUA). On load each metadata block is taken
 * from the valid slot (checksum, magic, block number) with the highest
 * sequence number not above the superblock's: a torn or unfinished commit
 * falls back to the previous version.
 */
#ifndef SSC_FORMAT_H
#define SSC_FORMAT_H

#include "ssc_core.h"

#define SSC_MD_BLOCK		4096u
#define SSC_MD_SECTORS		(SSC_MD_BLOCK >> 9)
#define SSC_SB_MAGIC		0x43445353u	/* "SSDC" */
#define SSC_MD_MAGIC		0x444d5353u	/* "SSMD" */
#define SSC_FORMAT_VERSION	1u
#define SSC_MD_HEADER		32u

/* Superblock flags */
#define SSC_SB_CLEAN		(1u << 0)	/* shut down cleanly */

struct ssc_sb {
	uint32_t version;
	uint32_t flags;
	uint8_t uuid[16];
	uint64_t seq;			/* last completed commit */
	uint32_t block_sectors;
	uint32_t lbs;			/* logical block size, bytes */
	uint32_t assoc;
	uint32_t mode;			/* enum ssc_mode when last used */
	uint64_t nr_sets;
	uint64_t md_blocks;		/* M: metadata blocks (each in 2 slots) */
	uint64_t data_offset;		/* sectors */
	uint64_t cache_sectors;		/* size of the cache device at format */
	uint64_t origin_sectors;	/* length of the cached origin region */
	/* crc32c of the origin's first 4 KiB at the last clean shutdown */
	uint32_t origin_fp;		/* 0 = unknown */
	uint32_t pad;
	uint64_t dirty_blocks;		/* as of the last commit */
	uint64_t used_blocks;
};

uint32_t ssc_crc32c(uint32_t crc, const void *buf, size_t len);

/* Entries per metadata block for bitmaps of @words 64-bit words. */
static inline uint32_t ssc_entry_size(uint32_t words)
{
	return 8 + 16 * words;
}

static inline uint32_t ssc_entries_per_md(uint32_t words)
{
	return (SSC_MD_BLOCK - SSC_MD_HEADER) / ssc_entry_size(words);
}

/*
 * Lay out a cache device: fills g->nr_sets, nr_ways, data_offset and
 * *md_blocks so that superblock, both metadata slots and the data fit
 * in @cache_sectors. g must already hold the block geometry (as from
 * ssc_geom_init). Returns 0 or -EINVAL with *err set.
 */
int ssc_layout(struct ssc_geom *g, uint64_t cache_sectors,
	       uint64_t *md_blocks, const char **err);

/* Sector of metadata block @i, slot @slot (0 = A, 1 = B). */
static inline uint64_t ssc_md_sector(uint64_t i, unsigned int slot)
{
	return (1 + 2 * i + slot) * SSC_MD_SECTORS;
}

void ssc_sb_encode(const struct ssc_sb *sb, uint8_t *buf /* 4096 */);

/*
 * Decode and check a superblock. Returns 0, -ENOENT when there is no
 * superblock (wrong magic: an unformatted device), -EINVAL when it is
 * corrupt or inconsistent, -EOPNOTSUPP for an unknown (newer) version;
 * *err says why.
 */
int ssc_sb_decode(struct ssc_sb *sb, const uint8_t *buf, const char **err);

/*
 * Encode metadata block @blocknr from the ways of @c (the caller keeps
 * them stable), stamped with @seq.
 */
void ssc_md_encode(const struct ssc_cache *c, uint64_t blocknr, uint64_t seq,
		   uint8_t *buf);

/*
 * The same in pieces, for callers that lock per set: clear @buf, encode
 * the entries of ways [from, to) (clipped to block @blocknr), repeat, then
 * seal (header and checksum).
 */
void ssc_md_encode_ways(const struct ssc_cache *c, uint64_t blocknr,
			uint64_t from, uint64_t to, uint8_t *buf);
void ssc_md_seal(const struct ssc_cache *c, uint64_t blocknr, uint64_t seq,
		 uint8_t *buf);

/*
 * Check metadata block @buf as block @blocknr of a cache with bitmaps of
 * @words words. Returns true when checksum, magic and number match, and
 * sets *seq.
 */
bool ssc_md_check(const uint8_t *buf, uint64_t blocknr, uint32_t words,
		  uint64_t *seq);

/*
 * The copy of metadata block @blocknr to use, given both slots at @pair
 * (2 * SSC_MD_BLOCK bytes) and the superblock's last commit @sb_seq: 0 or
 * 1, the newest valid copy not newer than the commit; -1 if neither is.
 */
int ssc_md_pick_slot(const uint8_t *pair, uint64_t blocknr, uint32_t words,
		     uint64_t sb_seq);

/*
 * The entries of metadata block @buf (checked, bitmaps of @words words)
 * with a dirty sub-block: decided on the block alone, without a cache of
 * its geometry.
 */
uint32_t ssc_md_dirty_entries(const uint8_t *buf, uint32_t words);

/*
 * Load a checked metadata block into @c. With @dirty_only (after a crash)
 * only dirty sub-blocks are kept valid and blocks without dirty data are
 * dropped. Entries that do not fit the geometry (block outside the origin,
 * a block in a set its probe sequence cannot reach, bits beyond nsub, a
 * dirty but not valid sub-block, the same block twice) are rejected:
 * returns -EINVAL with *err set and leaves the ways of that metadata
 * block free. Returns 0 otherwise.
 */
int ssc_md_decode(struct ssc_cache *c, const uint8_t *buf, uint64_t blocknr,
		  bool dirty_only, const char **err);

#endif /* SSC_FORMAT_H */
