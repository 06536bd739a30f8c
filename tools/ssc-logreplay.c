// SPDX-License-Identifier: GPL-2.0
/*
 * ssc-logreplay: rebuild a device's state from a dm-log-writes log at a
 * chosen cut point, for the flush-ordering test
 * (tests/vm/scenarios/persist-logwrites.sh).
 *
 *   ssc-logreplay list LOG                   entries, flushes and marks
 *                                            ("MARK NAME after_flush=K": K
 *                                            flushes precede the mark)
 *   ssc-logreplay replay LOG DEV --flush K   state right after flush K
 *   ssc-logreplay replay LOG DEV --between K --seed S [--keep PERCENT]
 *                                            after flush K, plus a random
 *                                            subset (each write kept with
 *                                            PERCENT %, default 50) of the
 *                                            writes that completed before
 *                                            flush K+1
 *
 * The log format is the kernel's (Documentation/admin-guide/device-mapper/
 * log-writes.rst, drivers/md/dm-log-writes.c): a super (magic, version,
 * entry count, sector size) in the first sector, then per entry one
 * header sector (sector, nr_sectors, flags, data_len; a mark's name
 * follows the header) and, for writes, nr_sectors sectors of data. Sizes
 * count the logged device's logical blocks. dm-log-writes logs a plain
 * write only at the next flush, after every write that completed before
 * that flush was issued, so a state "at flush K" holds exactly what a
 * disk with a volatile cache must hold once flush K completed. --between
 * K is the state just before flush K+1 completes: every FUA write logged
 * before it (FUA writes are logged when they complete) and a random
 * subset of the plain writes of flush K+1's group, which may or may not
 * have reached the media. DEV must hold zeros (the log starts on a zeroed
 * device).
 *
 * DEV is written with O_DIRECT. Discards are replayed as zeros. The last line printed is
 *   CUT flush=K entries=E writes=W dropped=D mark=NAME
 * where NAME is the last mark logged before the cut (with --flush, before
 * the end of flush K; with --between, before flush K+1), or "-": every
 * write that mark's writer had seen flushed must be in the state.
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_FLUSH_FLAG		(1 << 0)
#define LOG_FUA_FLAG		(1 << 1)
#define LOG_DISCARD_FLAG	(1 << 2)
#define LOG_MARK_FLAG		(1 << 3)
#define LOG_METADATA_FLAG	(1 << 4)
#define WRITE_LOG_VERSION	1ull
#define WRITE_LOG_MAGIC		0x6a736677736872ull

struct log_write_super {	/* little endian (x86 only) */
	uint64_t magic;
	uint64_t version;
	uint64_t nr_entries;
	uint32_t sectorsize;
} __attribute__((packed));

struct log_write_entry {
	uint64_t sector;
	uint64_t nr_sectors;
	uint64_t flags;
	uint64_t data_len;
} __attribute__((packed));

struct entry {
	uint64_t sector, nr, flags;
	uint64_t pos;		/* log offset of the data, bytes */
	char mark[64];
};

static uint32_t ssize;
static struct entry *ents;
static uint64_t nents;

static void read_log(int fd)
{
	struct log_write_super sb;
	uint8_t *hdr;
	uint64_t off, i;

	if (pread(fd, &sb, sizeof(sb), 0) != sizeof(sb))
		errx(2, "cannot read the log super");
	if (sb.magic != WRITE_LOG_MAGIC)
		errx(2, "not a dm-log-writes log (magic %llx)", (unsigned long long)sb.magic);
	if (sb.version != WRITE_LOG_VERSION)
		errx(2, "log version %llu, expected 1", (unsigned long long)sb.version);
	if (sb.sectorsize < 512 || sb.sectorsize > 65536 || (sb.sectorsize & (sb.sectorsize - 1)))
		errx(2, "bad log sector size %u", sb.sectorsize);
	if (sb.nr_entries > 100000000ull)
		errx(2, "implausible entry count %llu", (unsigned long long)sb.nr_entries);
	ssize = sb.sectorsize;
	nents = sb.nr_entries;
	ents = calloc(nents ? nents : 1, sizeof(*ents));
	hdr = malloc(ssize);
	if (!ents || !hdr)
		errx(2, "out of memory");
	off = ssize;
	for (i = 0; i < nents; i++) {
		struct log_write_entry le;
		struct entry *e = &ents[i];

		if (pread(fd, hdr, ssize, (off_t)off) != (ssize_t)ssize)
			errx(2, "log truncated at entry %llu", (unsigned long long)i);
		memcpy(&le, hdr, sizeof(le));
		e->sector = le.sector;
		e->nr = le.nr_sectors;
		e->flags = le.flags;
		if (le.flags & LOG_MARK_FLAG) {
			size_t n = le.data_len < sizeof(e->mark) ? le.data_len : sizeof(e->mark) - 1;

			if (le.data_len > ssize - sizeof(le))
				errx(2, "entry %llu: mark too long", (unsigned long long)i);
			memcpy(e->mark, hdr + sizeof(le), n);
			e->mark[n] = 0;
		} else if (le.data_len) {
			errx(2, "entry %llu: inline data is not supported", (unsigned long long)i);
		}
		if (e->nr > (1ull << 32))
			errx(2, "entry %llu: implausible length", (unsigned long long)i);
		off += ssize;
		e->pos = off;
		if (!(le.flags & LOG_DISCARD_FLAG))
			off += e->nr * ssize;
	}
	free(hdr);
}

static void apply(int log, int dev, const struct entry *e, uint8_t *buf, size_t bufsz)
{
	uint64_t done = 0, len = e->nr * ssize;

	while (done < len) {
		size_t n = len - done < bufsz ? (size_t)(len - done) : bufsz;

		if (e->flags & LOG_DISCARD_FLAG)
			memset(buf, 0, n);
		else if (pread(log, buf, n, (off_t)(e->pos + done)) != (ssize_t)n)
			errx(2, "log read failed: %s", strerror(errno));
		if (pwrite(dev, buf, n, (off_t)(e->sector * ssize + done)) != (ssize_t)n)
			errx(2, "replay write at sector %llu failed: %s",
			    (unsigned long long)e->sector, strerror(errno));
		done += n;
	}
}

static int is_flush(const struct entry *e)
{
	return (e->flags & LOG_FLUSH_FLAG) != 0;
}

static int cmd_list(void)
{
	uint64_t i, nflush = 0, nw = 0, nmark = 0;

	for (i = 0; i < nents; i++) {
		const struct entry *e = &ents[i];

		if (is_flush(e))
			nflush++;
		if (e->flags & LOG_MARK_FLAG) {
			nmark++;
			printf("MARK %s after_flush=%llu\n", e->mark, (unsigned long long)nflush);
		}
		else if (e->nr)
			nw++;
		printf("%llu %s%s%s%s%s sector %llu len %llu%s%s\n", (unsigned long long)i,
		       e->flags & LOG_FLUSH_FLAG ? "F" : "", e->flags & LOG_FUA_FLAG ? "U" : "",
		       e->flags & LOG_DISCARD_FLAG ? "D" : "", e->flags & LOG_MARK_FLAG ? "M" : "",
		       e->flags & LOG_METADATA_FLAG ? "m" : "",
		       (unsigned long long)e->sector, (unsigned long long)e->nr,
		       e->mark[0] ? " mark " : "", e->mark);
	}
	printf("LOG entries=%llu writes=%llu flushes=%llu marks=%llu sectorsize=%u\n",
	       (unsigned long long)nents, (unsigned long long)nw, (unsigned long long)nflush,
	       (unsigned long long)nmark, ssize);
	return 0;
}

static int cmd_replay(int log, const char *devpath, long long k, int between,
		      unsigned long seed, int keep)
{
	const size_t bufsz = 1 << 20;
	uint64_t i, nflush = 0, nw = 0, ndrop = 0, stop;
	const char *mark = "-";
	int dev = open(devpath, O_WRONLY | O_DIRECT);
	void *buf;

	if (dev < 0)
		errx(2, "%s: %s", devpath, strerror(errno));
	if (posix_memalign(&buf, 4096, bufsz))
		errx(2, "out of memory");
	srandom((unsigned int)seed);
	/* entries before @stop are replayed in full: up to flush K */
	for (stop = 0; stop < nents && nflush < (uint64_t)k; stop++)
		if (is_flush(&ents[stop]))
			nflush++;
	if (nflush < (uint64_t)k)
		errx(2, "the log has only %llu flushes", (unsigned long long)nflush);
	for (i = 0; i < stop; i++) {
		if (ents[i].flags & LOG_MARK_FLAG)
			continue;
		apply(log, dev, &ents[i], buf, bufsz);
		nw += ents[i].nr != 0;
	}
	/*
	 * --between: the power goes just before flush K+1 completes. Every
	 * FUA write logged by then completed (kept), every mark logged by
	 * then counts, and each plain write of flush K+1's group may or may
	 * not have reached the media. --flush: the power goes right after
	 * flush K; what is logged after it has not happened yet.
	 */
	i = stop;
	if (between) {
		for (; i < nents && !is_flush(&ents[i]); i++) {
			const struct entry *e = &ents[i];

			if (e->flags & LOG_MARK_FLAG || !e->nr)
				continue;
			if (!(e->flags & LOG_FUA_FLAG) && random() % 100 >= keep) {
				ndrop++;
				continue;
			}
			apply(log, dev, e, buf, bufsz);
			nw++;
		}
	}
	/* the last mark logged before the cut */
	for (uint64_t m = 0; m < i; m++)
		if (ents[m].flags & LOG_MARK_FLAG)
			mark = ents[m].mark;
	if (fsync(dev))
		errx(2, "fsync %s: %s", devpath, strerror(errno));
	close(dev);
	free(buf);
	printf("CUT flush=%lld entries=%llu writes=%llu dropped=%llu mark=%s\n", k,
	       (unsigned long long)i, (unsigned long long)nw, (unsigned long long)ndrop,
	       mark[0] ? mark : "-");
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ssc-logreplay list LOG\n"
		"       ssc-logreplay replay LOG DEV --flush K\n"
		"       ssc-logreplay replay LOG DEV --between K --seed S [--keep PERCENT]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long long k = -1;
	unsigned long seed = 1;
	int log, between = 0, keep = 50, i;

	if (argc < 3)
		usage();
	log = open(argv[2], O_RDONLY);
	if (log < 0)
		errx(2, "%s: %s", argv[2], strerror(errno));
	read_log(log);
	if (!strcmp(argv[1], "list") && argc == 3)
		return cmd_list();
	if (strcmp(argv[1], "replay") || argc < 6)
		usage();
	for (i = 4; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--flush")) {
			k = atoll(argv[i + 1]);
		} else if (!strcmp(argv[i], "--between")) {
			k = atoll(argv[i + 1]);
			between = 1;
		} else if (!strcmp(argv[i], "--keep")) {
			keep = atoi(argv[i + 1]);
		} else if (!strcmp(argv[i], "--seed")) {
			seed = strtoul(argv[i + 1], NULL, 0);
		} else {
			usage();
		}
	}
	if (i != argc || k < 0)
		usage();
	if (keep < 0 || keep > 100)
		usage();
	return cmd_replay(log, argv[3], k, between, seed, keep);
}
