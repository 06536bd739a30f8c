/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ssct_dev.h - block device helpers shared by the test tools
 * (ssc-crashtest, ssc-regcheck): size, logical block size, O_DIRECT opens
 * and aligned buffers, for block devices and plain files alike.
 */
#ifndef SSCT_DEV_H
#define SSCT_DEV_H

#include <stddef.h>
#include <stdint.h>

/* Size in bytes of the block device or file open as @fd: 0, or -errno. */
int ssct_dev_bytes(int fd, uint64_t *bytes);

/* Logical block size of a block device (512 for a file). */
uint32_t ssct_dev_lbs(int fd);

/* open() with O_DIRECT where the file system has it (tmpfs has not). */
int ssct_open_direct(const char *path, int flags);

/* A zeroed buffer of @n bytes (at least 4096) aligned for O_DIRECT, or NULL. */
void *ssct_zalloc_aligned(size_t n);

/*
 * After an unclean shutdown the superblock's dirty count may lag the
 * committed metadata: count the committed entries with dirty data of the
 * cache device @path in the superblock @sb's own layout (the copy of each
 * metadata block the module would load). Returns 0 with *dirty set, or -1
 * with *why set (unreadable, or a block with no valid copy: the content
 * is unknown).
 */
struct ssc_sb;
int ssct_md_dirty(const char *path, const struct ssc_sb *sb, uint64_t *dirty,
		  const char **why);

#endif /* SSCT_DEV_H */
