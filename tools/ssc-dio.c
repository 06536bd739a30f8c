// SPDX-License-Identifier: GPL-2.0
/*
 * ssc-dio: one O_DIRECT read or write of a byte range, for VM scenarios
 * that must see exactly the I/O they issue (no page cache, no
 * read-modify-write).
 *
 *   ssc-dio read DEV OFFSET LEN         the range to standard output
 *   ssc-dio write DEV OFFSET [--fua]    standard input (LEN bytes, a
 *                                       multiple of the logical block
 *                                       size) to the range; --fua writes
 *                                       with RWF_DSYNC (REQ_FUA)
 *   ssc-dio flush DEV                   fsync (REQ_PREFLUSH)
 *
 * OFFSET and LEN are bytes and must be multiples of the device's logical
 * block size. Exit status 0 on success, 1 on an I/O error, 2 on bad use.
 * With SSC_DIO_HUGE=1 in the environment the I/O buffer is made of 2 MiB
 * huge pages (MAP_HUGETLB; reserve them in /proc/sys/vm/nr_hugepages):
 * physically contiguous memory, so the kernel builds one bio of a few
 * multi-page segments however long the I/O is.
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef RWF_DSYNC
#define RWF_DSYNC 0x00000002
#endif

#define MAX_LEN (64u << 20)

static unsigned long long num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s)
		errx(2, "not a number: %s", s);
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: ssc-dio read DEV OFFSET LEN\n"
			"       ssc-dio write DEV OFFSET [--fua] < DATA\n"
			"       ssc-dio flush DEV\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long off;
	size_t len = 0, got = 0;
	int fua = 0, fd, wr, hugebuf = 0;
	struct iovec iov;
	char *buf;
	ssize_t n;

	if (argc == 3 && !strcmp(argv[1], "flush")) {
		fd = open(argv[2], O_WRONLY);
		if (fd < 0)
			err(1, "%s", argv[2]);
		if (fsync(fd))
			err(1, "fsync %s", argv[2]);
		return close(fd) ? 1 : 0;
	}
	if (argc < 4)
		usage();
	wr = !strcmp(argv[1], "write");
	if (!wr && strcmp(argv[1], "read"))
		usage();
	off = num(argv[3]);
	if (wr) {
		if (argc == 5 && !strcmp(argv[4], "--fua"))
			fua = 1;
		else if (argc != 4)
			usage();
	} else {
		if (argc != 5)
			usage();
		len = num(argv[4]);
		if (!len || len > MAX_LEN)
			errx(2, "length out of range: %zu", len);
	}
	if (posix_memalign((void **)&buf, 4096, MAX_LEN))
		errx(1, "out of memory");
	if (wr) {
		while (got < MAX_LEN && (n = read(0, buf + got, MAX_LEN - got)) > 0)
			got += (size_t)n;
		if (n < 0)
			err(1, "standard input");
		len = got;
		if (!len)
			errx(2, "nothing to write");
	}
	if (getenv("SSC_DIO_HUGE") && !strcmp(getenv("SSC_DIO_HUGE"), "1")) {
		size_t hlen = (len + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
		char *h = mmap(NULL, hlen, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

		if (h == MAP_FAILED)
			err(1, "huge pages for %zu bytes (nr_hugepages?)", hlen);
		memcpy(h, buf, len);
		free(buf);
		buf = h;	/* never freed: the process ends */
		hugebuf = 1;
	}
	fd = open(argv[2], (wr ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0)
		err(1, "%s", argv[2]);
	iov.iov_base = buf;
	iov.iov_len = len;
	if (wr)
		n = pwritev2(fd, &iov, 1, (off_t)off, fua ? RWF_DSYNC : 0);
	else
		n = preadv2(fd, &iov, 1, (off_t)off, 0);
	if (n < 0)
		err(1, "%s %zu bytes at %llu on %s", wr ? "write" : "read", len,
		    off, argv[2]);
	if ((size_t)n != len)
		errx(1, "short %s: %zd of %zu bytes", wr ? "write" : "read", n, len);
	if (!wr && fwrite(buf, 1, len, stdout) != len)
		err(1, "standard output");
	close(fd);
	if (!hugebuf)
		free(buf);
	return 0;
}
