// SPDX-License-Identifier: GPL-2.0
/* ssct_dev.c - block device helpers of the test tools (ssct_dev.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ssdcache/ssc_format.h"
#include "ssct_dev.h"

int ssct_dev_bytes(int fd, uint64_t *bytes)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, bytes) ? -errno : 0;
	*bytes = (uint64_t)st.st_size;
	return 0;
}

uint32_t ssct_dev_lbs(int fd)
{
	struct stat st;
	int ss;

	if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode) &&
	    ioctl(fd, BLKSSZGET, &ss) == 0)
		return (uint32_t)ss;
	return 512;
}

int ssct_open_direct(const char *path, int flags)
{
	int fd = open(path, flags | O_DIRECT);

	if (fd < 0 && errno == EINVAL)
		fd = open(path, flags);
	return fd;
}

void *ssct_zalloc_aligned(size_t n)
{
	void *p;

	if (posix_memalign(&p, 4096, n ? n : 4096))
		return NULL;
	memset(p, 0, n);
	return p;
}

int ssct_md_dirty(const char *path, const struct ssc_sb *sb, uint64_t *dirty,
		  const char **why)
{
	uint32_t lbs_sectors = sb->lbs >> 9, words;
	uint8_t *pair = NULL;
	uint64_t b;
	int fd, slot, rc = -1;

	*dirty = 0;
	if (!lbs_sectors || sb->block_sectors % lbs_sectors) {
		*why = "the superblock's geometry is inconsistent";
		return -1;
	}
	words = (sb->block_sectors / lbs_sectors + 63) / 64;
	fd = ssct_open_direct(path, O_RDONLY);
	pair = ssct_zalloc_aligned(2 * SSC_MD_BLOCK);
	if (fd < 0 || !pair) {
		*why = "cannot read the cache metadata";
		goto out;
	}
	for (b = 0; b < sb->md_blocks; b++) {
		if (pread(fd, pair, 2 * SSC_MD_BLOCK,
			  (off_t)(ssc_md_sector(b, 0) << 9)) != 2 * SSC_MD_BLOCK) {
			*why = "cannot read the cache metadata";
			goto out;
		}
		slot = ssc_md_pick_slot(pair, b, words, sb->seq);
		if (slot < 0) {
			*why = "a metadata block has no valid copy";
			goto out;
		}
		*dirty += ssc_md_dirty_entries(pair + slot * SSC_MD_BLOCK, words);
	}
	rc = 0;
out:
	free(pair);
	if (fd >= 0)
		close(fd);
	return rc;
}
