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

#endif /* SSCT_DEV_H */
