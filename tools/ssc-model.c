// SPDX-License-Identifier: GPL-2.0
/*
 * ssc-model: self-describing sectors, and a check of a device against a
 * per-sector model, for the restart-sequence test
 * (tests/vm/scenarios/contract-restart.sh).
 *
 *   ssc-model write [--seed S] [--fsync] DEV START:COUNT:ID[:fua] ...
 *   ssc-model sync DEV
 *   ssc-model check [--seed S] [--start S] [--count N]
 *                   [--update | --update-all] [--what TEXT] DEV MODEL
 *
 * (options before the arguments) *
 * write: each START:COUNT:ID writes COUNT 512-byte sectors from sector
 * START in one O_DIRECT pwritev2 (with RWF_DSYNC, i.e. REQ_FUA, for
 * ":fua"), in the order given; --fsync calls fdatasync() at the end. A
 * sector written with id ID holds a header (magic, sector number, ID,
 * seed) and a filler derived from the three, so a sector read back names
 * the one write it came from. ID 0 stands for zeros (never written).
 *
 * check: MODEL is a text file with one line per sector of the device
 * (line N is sector N); its first field is the comma-separated list of
 * ids that sector may hold ("3" or "0,3,7"); further fields are kept as
 * they are. Every sector of the range is read (O_DIRECT) and must hold
 * one of them. With --update, the first field of each sector checked
 * becomes the id found (a register keeps returning the value it
 * returned), with --update-all every field; the file is replaced. Exit
 * status 1 if any sector is wrong (MODEL is then left alone), with up to
 * 10 of them described on stderr; the last line printed is
 *   check TEXT: N sectors, M bad
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define SECT		512
#define SECT_MAGIC	0x4c45444f4d435353ull	/* "SSCMODEL" */
#define MAX_IDS		1024

struct sect_hdr {
	uint64_t magic;
	uint64_t sector;
	uint64_t id;
	uint64_t seed;
};

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void fill_sector(uint8_t *p, uint64_t s, uint64_t id, uint64_t seed)
{
	struct sect_hdr h = { SECT_MAGIC, s, id, seed };
	uint64_t x = mix64(s ^ mix64(id ^ mix64(seed)));
	size_t k;

	memcpy(p, &h, sizeof(h));
	for (k = sizeof(h); k < SECT; k += 8) {
		x = mix64(x);
		memcpy(p + k, &x, 8);
	}
}

static uint64_t dev_sectors(int fd)
{
	struct stat st;
	uint64_t b;

	if (fstat(fd, &st))
		err(2, "fstat");
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &b))
			err(2, "BLKGETSIZE64");
		return b / SECT;
	}
	return (uint64_t)st.st_size / SECT;
}

static void *xalign(size_t n)
{
	void *p;

	if (posix_memalign(&p, 4096, n))
		errx(2, "out of memory");
	memset(p, 0, n);
	return p;
}

static int cmd_write(const char *dev, uint64_t seed, int do_fsync, int n, char **specs)
{
	int fd = open(dev, O_RDWR | O_DIRECT), i;
	uint64_t size;

	if (fd < 0)
		err(2, "%s", dev);
	size = dev_sectors(fd);
	for (i = 0; i < n; i++) {
		unsigned long long start, count, id;
		char fua[8] = "";
		struct iovec iov;
		uint8_t *buf;
		uint64_t k;
		ssize_t r;

		if (sscanf(specs[i], "%llu:%llu:%llu:%7s", &start, &count, &id, fua) < 3 ||
		    (fua[0] && strcmp(fua, "fua")) || !count || !id || count > 8192 ||
		    start + count > size)
			errx(2, "bad write '%s' (START:COUNT:ID[:fua] within %llu sectors)",
			     specs[i], (unsigned long long)size);
		buf = xalign(count * SECT);
		for (k = 0; k < count; k++)
			fill_sector(buf + k * SECT, start + k, id, seed);
		iov.iov_base = buf;
		iov.iov_len = count * SECT;
		r = pwritev2(fd, &iov, 1, (off_t)(start * SECT), fua[0] ? RWF_DSYNC : 0);
		if (r != (ssize_t)iov.iov_len)
			errx(2, "write %s: %s", specs[i], r < 0 ? strerror(errno) : "short");
		free(buf);
	}
	if (do_fsync && fdatasync(fd))
		err(2, "fdatasync %s", dev);
	close(fd);
	return 0;
}

static int cmd_sync(const char *dev)
{
	int fd = open(dev, O_RDWR);

	if (fd < 0)
		err(2, "%s", dev);
	if (fdatasync(fd))
		err(2, "fdatasync %s", dev);
	close(fd);
	return 0;
}

/* The id a sector holds: 0 for zeros, -1 garbage, -2 another sector's. */
static long long sector_id(const uint8_t *p, uint64_t s, uint64_t seed, uint64_t *other)
{
	static uint8_t want[SECT];
	struct sect_hdr h;
	size_t z;

	for (z = 0; z < SECT && !p[z]; z++)
		;
	if (z == SECT)
		return 0;
	memcpy(&h, p, sizeof(h));
	if (h.magic != SECT_MAGIC || h.seed != seed || !h.id || h.id > (1ull << 62))
		return -1;
	if (h.sector != s) {
		*other = h.sector;
		return -2;
	}
	fill_sector(want, s, h.id, seed);
	if (memcmp(want, p, SECT))
		return -1;
	return (long long)h.id;
}

/* Split MODEL's line into the id list (first field) and the rest. */
static int parse_ids(char *line, long long *ids, const char **rest)
{
	char *p = line, *q;
	int n = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	q = p + strcspn(p, " \t\n");
	*rest = *q && *q != '\n' ? q : "";
	for (;;) {
		char *e;
		long long v = strtoll(p, &e, 10);

		if (e == p || n == MAX_IDS)
			break;
		ids[n++] = v;
		if (*e != ',')
			break;
		p = e + 1;
	}
	return n;
}

static int cmd_check(const char *dev, const char *model, uint64_t seed, uint64_t start,
		     long long count, int update, const char *what)
{
	const size_t chunk = 1 << 20;
	uint64_t size, s, end, nbad = 0;
	static long long ids[MAX_IDS];
	char **lines, *tmp = NULL;
	FILE *m = fopen(model, "r");
	size_t cap = 0;
	uint8_t *buf;
	int fd;

	if (!m)
		err(2, "%s", model);
	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0)
		err(2, "%s", dev);
	size = dev_sectors(fd);
	end = count < 0 ? size : start + (uint64_t)count;
	if (start > end || end > size)
		errx(2, "range %llu..%llu beyond the device (%llu sectors)",
		     (unsigned long long)start, (unsigned long long)end,
		     (unsigned long long)size);
	lines = calloc(size, sizeof(*lines));
	if (!lines)
		errx(2, "out of memory");
	for (s = 0; s < size; s++) {
		lines[s] = NULL;
		cap = 0;
		if (getline(&lines[s], &cap, m) <= 0) {
			if (s < end)
				errx(2, "%s: no line for sector %llu", model, (unsigned long long)s);
			free(lines[s]);
			lines[s] = NULL;
			break;
		}
	}
	fclose(m);
	buf = xalign(chunk);
	for (s = start; s < end; ) {
		uint64_t n = chunk / SECT, k;

		if (n > end - s)
			n = end - s;
		if (pread(fd, buf, n * SECT, (off_t)(s * SECT)) != (ssize_t)(n * SECT))
			err(2, "read %s at sector %llu", dev, (unsigned long long)s);
		for (k = 0; k < n; k++, s++) {
			uint64_t other = 0;
			const char *rest;
			long long got;
			int nids, ok = 0, i;

			nids = parse_ids(lines[s], ids, &rest);
			got = sector_id(buf + k * SECT, s, seed, &other);
			for (i = 0; i < nids; i++)
				ok |= ids[i] == got;
			if (!ok) {
				if (nbad < 10) {
					fprintf(stderr, "%s: sector %llu holds ", what,
						(unsigned long long)s);
					if (got == -1)
						fprintf(stderr, "garbage (no valid header)");
					else if (got == -2)
						fprintf(stderr, "sector %llu's data", (unsigned long long)other);
					else if (got == 0)
						fprintf(stderr, "zeros (id 0)");
					else
						fprintf(stderr, "id %lld", got);
					fprintf(stderr, "; the model allows ");
					for (i = 0; i < nids; i++)
						fprintf(stderr, "%s%lld", i ? "," : "", ids[i]);
					fprintf(stderr, "\n");
				}
				nbad++;
				continue;
			}
			if (update) {
				char *l = NULL;
				int r;

				if (update == 2)
					r = asprintf(&l, "%lld %lld %lld\n", got, got, got);
				else
					r = asprintf(&l, "%lld%s", got, rest);
				if (r < 0)
					errx(2, "out of memory");
				if (l[strlen(l) - 1] != '\n') {
					free(l);
					if (asprintf(&l, "%lld%s\n", got, rest) < 0)
						errx(2, "out of memory");
				}
				free(lines[s]);
				lines[s] = l;
			}
		}
	}
	close(fd);
	free(buf);
	if (update && !nbad) {
		FILE *o;

		if (asprintf(&tmp, "%s.new", model) < 0)
			errx(2, "out of memory");
		o = fopen(tmp, "w");
		if (!o)
			err(2, "%s", tmp);
		for (s = 0; s < size && lines[s]; s++)
			fputs(lines[s], o);
		if (fclose(o) || rename(tmp, model))
			err(2, "%s", model);
		free(tmp);
	}
	for (s = 0; s < size; s++)
		free(lines[s]);
	free(lines);
	printf("check %s: %llu sectors, %llu bad\n", what,
	       (unsigned long long)(end - start), (unsigned long long)nbad);
	return nbad ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ssc-model write [--seed S] [--fsync] DEV START:COUNT:ID[:fua] ...\n"
		"       ssc-model sync DEV\n"
		"       ssc-model check [--seed S] [--start S] [--count N] [--update|--update-all]\n"
		"                       [--what TEXT] DEV MODEL\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", 1, NULL, 'x' }, { "fsync", 0, NULL, 'f' },
		{ "start", 1, NULL, 's' }, { "count", 1, NULL, 'n' },
		{ "update", 0, NULL, 'u' }, { "update-all", 0, NULL, 'U' },
		{ "what", 1, NULL, 'w' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t seed = 1, start = 0;
	long long count = -1;
	const char *what = "device", *cmd;
	int c, do_fsync = 0, update = 0;

	if (argc < 3)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'x': seed = strtoull(optarg, NULL, 0); break;
		case 'f': do_fsync = 1; break;
		case 's': start = strtoull(optarg, NULL, 0); break;
		case 'n': count = strtoll(optarg, NULL, 0); break;
		case 'u': update = 1; break;
		case 'U': update = 2; break;
		case 'w': what = optarg; break;
		default: usage();
		}
	}
	if (!strcmp(cmd, "write") && optind + 1 < argc)
		return cmd_write(argv[optind], seed, do_fsync, argc - optind - 1, argv + optind + 1);
	if (!strcmp(cmd, "sync") && optind + 1 == argc)
		return cmd_sync(argv[optind]);
	if (!strcmp(cmd, "check") && optind + 2 == argc)
		return cmd_check(argv[optind], argv[optind + 1], seed, start, count, update, what);
	usage();
	return 2;
}
