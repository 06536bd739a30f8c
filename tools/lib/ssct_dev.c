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
