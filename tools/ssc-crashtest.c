// SPDX-License-Identifier: GPL-2.0
/*
 * ssc-crashtest: a write workload whose every acknowledged write can be
 * checked after a crash, for the power-cut and log-replay tests
 * (tests/vm/scenarios/persist-powerloop.sh, persist-logwrites.sh).
 *
 *   ssc-crashtest write  --dev DEV --journal J --cycle C [--threads N]
 *                        [--seconds S] [--max-len UNITS] [--flush-ms MS]
 *                        [--fua-every N] [--mark DMNAME] [--seed X]
 *   ssc-crashtest verify --dev DEV --journal J [--records N] [--quiet]
 *
 * The device is cut into one region per thread. Thread t of cycle c writes
 * a sequence of runs of logical blocks ("units") that is a pure function of
 * (seed, c, t): run i starts at a pseudo-random unit of the thread's region
 * and is 1..max-len units long. Every unit written holds a header naming
 * (unit, cycle, thread, run) and a filler derived from the same, so a unit
 * read back names the one write it came from, and the verifier can prove
 * that write was really issued to that unit.
 *
 * Writes are O_DIRECT, one at a time per thread; a flusher thread calls
 * fdatasync() (an empty REQ_PREFLUSH) at random intervals. Before each
 * flush it notes how many runs each thread had completed; when the flush
 * returns, those runs are durable, and it appends a record (cycle, runs
 * completed per thread) to the journal J: a file or a block device, one
 * 512-byte checksummed record per flush, written O_DSYNC, appended after
 * the last valid record. One run in --fua-every is written with RWF_DSYNC
 * (REQ_FUA) and is durable on its own: it gets a record of its own. With
 * --mark, a dm-log-writes mark "scj<record number>" follows each record.
 *
 * verify replays the journal (the first N records with --records) into the
 * newest durable write of every unit, then reads the whole device and
 * fails unless every unit holds either that write or a later run of the
 * same thread that covers the unit (issued, maybe not flushed), or zeros
 * if no durable write covers it. That is the contract of a disk with a
 * volatile write cache: nothing flushed is lost, nothing returned is
 * garbage, another unit's data or older than the last flush.
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "lib/ssct_dev.h"
#include "ssdcache/ssc_format.h"

#define MAX_THREADS	16
#define REC_SIZE	512
#define REC_MAGIC	0x314a4353u		/* "SCJ1" */
#define UNIT_MAGIC	0x5453455448535243ull	/* "CRSHTEST" */
#define REC_FLUSH	1
#define REC_FUA		2

struct record {			/* little endian on disk (x86 only) */
	uint32_t magic;
	uint32_t crc;		/* crc32c of the 512 bytes, this field 0 */
	uint32_t type;
	uint32_t cycle;
	uint32_t nthreads;
	uint32_t unit;
	uint64_t seed;
	uint64_t units;		/* device size in units */
	uint32_t max_len;
	uint32_t fua_every;
	uint32_t thread;	/* REC_FUA: the thread */
	uint32_t pad;
	uint64_t runs[MAX_THREADS];	/* REC_FLUSH: runs completed; REC_FUA: the run */
};

struct unit_hdr {
	uint64_t magic;
	uint64_t unit;
	uint32_t cycle;
	uint32_t thread;
	uint64_t run;
	uint64_t seed;
};

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* ---- the deterministic workload ---- */

struct params {
	uint64_t seed;
	uint64_t units;		/* device size in units */
	uint32_t unit;		/* bytes */
	uint32_t nthreads;
	uint32_t max_len;
	uint32_t fua_every;
};

struct run {
	uint64_t start;		/* absolute unit */
	uint32_t len;
	uint32_t fua;
};

static uint64_t region_len(const struct params *p)
{
	return p->units / p->nthreads;
}

/* Run @i of thread @t in cycle @c: a pure function of the parameters. */
static struct run gen_run(const struct params *p, uint32_t c, uint32_t t, uint64_t i)
{
	uint64_t h = mix64(p->seed ^ mix64(((uint64_t)c << 40) ^ ((uint64_t)t << 32) ^ i));
	uint64_t rl = region_len(p), off = h % rl;
	struct run r;

	h = mix64(h);
	r.len = 1 + (uint32_t)(h % p->max_len);
	if (off + r.len > rl)
		r.len = (uint32_t)(rl - off);
	r.start = t * rl + off;
	r.fua = p->fua_every && (mix64(h) % p->fua_every) == 0;
	return r;
}

static void fill_unit(const struct params *p, uint8_t *buf, uint64_t u,
		      uint32_t c, uint32_t t, uint64_t i)
{
	struct unit_hdr h = { UNIT_MAGIC, u, c, t, i, p->seed };
	uint64_t x = mix64(u ^ mix64(((uint64_t)c << 40) ^ ((uint64_t)t << 32) ^ i ^ p->seed));
	size_t k;

	memcpy(buf, &h, sizeof(h));
	for (k = sizeof(h); k + 8 <= p->unit; k += 8) {
		x = mix64(x);
		memcpy(buf + k, &x, 8);
	}
}

/* ---- devices ---- */

static uint64_t dev_bytes(int fd)
{
	uint64_t b;
	int r = ssct_dev_bytes(fd, &b);

	if (r)
		errx(2, "device size: %s", strerror(-r));
	return b;
}

static uint32_t dev_unit(int fd)
{
	return ssct_dev_lbs(fd);
}

static int open_direct(const char *path, int flags)
{
	return ssct_open_direct(path, flags);
}

static void *xalign(size_t n)
{
	void *p = ssct_zalloc_aligned(n);

	if (!p)
		errx(2, "out of memory");
	return p;
}

/* ---- the journal ---- */

struct journal {
	int fd;
	uint64_t nrec;		/* valid records */
	struct record *recs;
};

static int rec_valid(struct record *r)
{
	uint32_t crc = r->crc;
	int ok;

	if (r->magic != REC_MAGIC)
		return 0;
	r->crc = 0;
	ok = ssc_crc32c(0, r, REC_SIZE) == crc;
	r->crc = crc;
	return ok && r->nthreads >= 1 && r->nthreads <= MAX_THREADS;
}

static void journal_open(struct journal *j, const char *path, int create)
{
	union { struct record r; uint8_t b[REC_SIZE]; } buf;
	size_t cap = 0;

	j->fd = open(path, O_RDWR | (create ? O_CREAT : 0), 0644);
	if (j->fd < 0)
		errx(2, "%s: %s", path, strerror(errno));
	j->nrec = 0;
	j->recs = NULL;
	for (;;) {
		ssize_t n = pread(j->fd, buf.b, REC_SIZE, (off_t)(j->nrec * REC_SIZE));

		if (n != REC_SIZE || !rec_valid(&buf.r))
			break;
		if (j->nrec == cap) {
			cap = cap ? 2 * cap : 64;
			j->recs = realloc(j->recs, cap * sizeof(*j->recs));
			if (!j->recs)
				errx(2, "out of memory");
		}
		j->recs[j->nrec++] = buf.r;
	}
}

/* The journal is written through the page cache: no O_DIRECT alignment. */
static void journal_append(struct journal *j, struct record *r)
{
	union { struct record r; uint8_t b[REC_SIZE]; } buf;

	r->magic = REC_MAGIC;
	r->crc = 0;
	memset(buf.b, 0, REC_SIZE);
	buf.r = *r;
	buf.r.crc = ssc_crc32c(0, buf.b, REC_SIZE);
	if (pwrite(j->fd, buf.b, REC_SIZE, (off_t)(j->nrec * REC_SIZE)) != REC_SIZE ||
	    fdatasync(j->fd))
		errx(2, "journal write: %s", strerror(errno));
	j->nrec++;
}

/* ---- write ---- */

static struct {
	struct params p;
	uint32_t cycle;
	int fd;
	struct journal j;
	pthread_mutex_t jlock;
	const char *mark;
	atomic_uint_fast64_t done[MAX_THREADS];
	atomic_int stop;
	uint64_t nfua, nflush;
	/* run on past the time until this many flushes and runs (unit tests) */
	uint64_t min_flushes, min_runs;
} W;

static uint64_t runs_done(void)
{
	uint64_t total = 0;
	uint32_t t;

	for (t = 0; t < W.p.nthreads; t++)
		total += atomic_load(&W.done[t]);
	return total;
}

static void send_mark(uint64_t recno)
{
	char cmd[256];

	if (!W.mark)
		return;
	snprintf(cmd, sizeof(cmd), "dmsetup message %s 0 mark scj%llu",
		 W.mark, (unsigned long long)recno);
	if (system(cmd) != 0)
		errx(2, "'%s' failed", cmd);
}

static void base_record(struct record *r, uint32_t type)
{
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->cycle = W.cycle;
	r->nthreads = W.p.nthreads;
	r->unit = W.p.unit;
	r->seed = W.p.seed;
	r->units = W.p.units;
	r->max_len = W.p.max_len;
	r->fua_every = W.p.fua_every;
}

static void *writer(void *arg)
{
	uint32_t t = (uint32_t)(uintptr_t)arg;
	uint8_t *buf = xalign((size_t)W.p.max_len * W.p.unit);
	uint64_t i;

	for (i = 0; !atomic_load(&W.stop); i++) {
		struct run r = gen_run(&W.p, W.cycle, t, i);
		struct iovec iov;
		uint32_t k;
		ssize_t n;

		for (k = 0; k < r.len; k++)
			fill_unit(&W.p, buf + (size_t)k * W.p.unit, r.start + k, W.cycle, t, i);
		iov.iov_base = buf;
		iov.iov_len = (size_t)r.len * W.p.unit;
		n = pwritev2(W.fd, &iov, 1, (off_t)(r.start * W.p.unit),
			     r.fua ? RWF_DSYNC : 0);
		if (n != (ssize_t)iov.iov_len)
			errx(2, "write of %u units at unit %llu: %s", r.len,
			    (unsigned long long)r.start, n < 0 ? strerror(errno) : "short");
		atomic_store(&W.done[t], i + 1);
		if (r.fua) {
			struct record rec;

			base_record(&rec, REC_FUA);
			rec.thread = t;
			rec.runs[t] = i;
			pthread_mutex_lock(&W.jlock);
			journal_append(&W.j, &rec);
			send_mark(W.j.nrec - 1);
			W.nfua++;
			pthread_mutex_unlock(&W.jlock);
		}
	}
	free(buf);
	return NULL;
}

static void do_flush(void)
{
	struct record rec;
	uint32_t t;

	base_record(&rec, REC_FLUSH);
	for (t = 0; t < W.p.nthreads; t++)
		rec.runs[t] = atomic_load(&W.done[t]);
	if (fdatasync(W.fd))
		errx(2, "fdatasync: %s", strerror(errno));
	pthread_mutex_lock(&W.jlock);
	journal_append(&W.j, &rec);
	send_mark(W.j.nrec - 1);
	W.nflush++;
	pthread_mutex_unlock(&W.jlock);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmd_write(const char *dev, const char *jpath, double seconds,
		     uint32_t flush_ms)
{
	pthread_t th[MAX_THREADS];
	double end = now() + seconds;
	uint64_t total = 0;
	uint32_t t;

	W.nfua = W.nflush = 0;
	atomic_store(&W.stop, 0);
	for (t = 0; t < MAX_THREADS; t++)
		atomic_store(&W.done[t], 0);
	W.fd = open_direct(dev, O_RDWR);
	if (W.fd < 0)
		errx(2, "%s: %s", dev, strerror(errno));
	W.p.unit = dev_unit(W.fd);
	W.p.units = dev_bytes(W.fd) / W.p.unit;
	if (W.p.units < (uint64_t)W.p.nthreads * W.p.max_len)
		errx(2, "%s is too small", dev);
	journal_open(&W.j, jpath, 1);
	if (W.j.nrec) {
		struct record *r = &W.j.recs[W.j.nrec - 1];

		if (r->seed != W.p.seed || r->units != W.p.units || r->unit != W.p.unit ||
		    r->nthreads != W.p.nthreads || r->max_len != W.p.max_len ||
		    r->fua_every != W.p.fua_every)
			errx(2, "the journal was written with other parameters");
		if (r->cycle >= W.cycle)
			errx(2, "the journal already has cycle %u", r->cycle);
	}
	pthread_mutex_init(&W.jlock, NULL);
	for (t = 0; t < W.p.nthreads; t++)
		if (pthread_create(&th[t], NULL, writer, (void *)(uintptr_t)t))
			errx(2, "pthread_create failed");
	srand((unsigned int)(W.p.seed ^ W.cycle));
	while (now() < end || W.nflush < W.min_flushes ||
	       runs_done() < W.min_runs) {
		usleep((useconds_t)(1000 * (1 + rand() % flush_ms)));
		do_flush();
	}
	atomic_store(&W.stop, 1);
	for (t = 0; t < W.p.nthreads; t++) {
		pthread_join(th[t], NULL);
		total += atomic_load(&W.done[t]);
	}
	do_flush();
	printf("cycle %u: %llu writes (%llu with FUA), %llu flushes, journal %llu records\n",
	       W.cycle, (unsigned long long)total, (unsigned long long)W.nfua,
	       (unsigned long long)W.nflush, (unsigned long long)W.j.nrec);
	pthread_mutex_destroy(&W.jlock);
	close(W.fd);
	close(W.j.fd);
	free(W.j.recs);
	return 0;
}

/* ---- verify ---- */

struct runs {			/* the runs of one (cycle, thread), generated lazily */
	struct run *r;
	uint64_t n, cap;
};

static struct params VP;
static struct runs *vruns;	/* [cycle * MAX_THREADS + thread] */
static uint32_t vcycles;

static const struct run *get_run(uint32_t c, uint32_t t, uint64_t i)
{
	struct runs *rs;

	if (c == 0 || c > vcycles || t >= VP.nthreads || i > 100000000ull)
		return NULL;
	rs = &vruns[(size_t)c * MAX_THREADS + t];
	while (rs->n <= i) {
		if (rs->n == rs->cap) {
			rs->cap = rs->cap ? 2 * rs->cap : 1024;
			rs->r = realloc(rs->r, rs->cap * sizeof(*rs->r));
			if (!rs->r)
				errx(2, "out of memory");
		}
		rs->r[rs->n] = gen_run(&VP, c, t, rs->n);
		rs->n++;
	}
	return &rs->r[i];
}

/* required write per unit: (cycle << 40 | run + 1), 0 = none */
static uint64_t *req;

static uint64_t key(uint32_t c, uint64_t i)
{
	return ((uint64_t)c << 40) | (i + 1);
}

static void require(uint32_t c, uint32_t t, uint64_t i)
{
	const struct run *r = get_run(c, t, i);
	uint64_t k = key(c, i), u;

	if (!r)
		errx(2, "journal names an impossible run");
	for (u = r->start; u < r->start + r->len; u++)
		if (req[u] < k)
			req[u] = k;
}

static int cmd_verify(const char *dev, const char *jpath, long long nrec_max, int quiet)
{
	struct journal j;
	uint64_t done[MAX_THREADS] = { 0 }, n, u, k;
	uint64_t nzero = 0, nflushed = 0, nnewer = 0, nbad = 0, nrequired = 0;
	uint32_t cur = 0, t;
	const size_t chunk = 1 << 20;
	uint8_t *buf, *want;
	int fd;

	journal_open(&j, jpath, 0);
	n = j.nrec;
	if (nrec_max >= 0 && (uint64_t)nrec_max < n)
		n = (uint64_t)nrec_max;
	if (j.nrec == 0) {
		printf("verify: empty journal, nothing to check\n");
		close(j.fd);
		return 0;
	}
	VP.seed = j.recs[0].seed;
	VP.units = j.recs[0].units;
	VP.unit = j.recs[0].unit;
	VP.nthreads = j.recs[0].nthreads;
	VP.max_len = j.recs[0].max_len;
	VP.fua_every = j.recs[0].fua_every;
	vcycles = j.recs[j.nrec - 1].cycle;
	vruns = calloc((size_t)(vcycles + 1) * MAX_THREADS, sizeof(*vruns));
	req = calloc(VP.units, sizeof(*req));
	if (!vruns || !req)
		errx(2, "out of memory");

	for (k = 0; k < n; k++) {
		struct record *r = &j.recs[k];

		if (r->cycle != cur) {
			if (r->cycle < cur)
				errx(2, "journal record %llu goes back to cycle %u",
				    (unsigned long long)k, r->cycle);
			cur = r->cycle;
			memset(done, 0, sizeof(done));
		}
		if (r->type == REC_FUA) {
			require(cur, r->thread, r->runs[r->thread]);
			continue;
		}
		for (t = 0; t < VP.nthreads; t++) {
			for (; done[t] < r->runs[t]; done[t]++)
				require(cur, t, done[t]);
		}
	}

	fd = open_direct(dev, O_RDONLY);
	if (fd < 0)
		errx(2, "%s: %s", dev, strerror(errno));
	if (dev_unit(fd) != VP.unit || dev_bytes(fd) / VP.unit < VP.units)
		errx(2, "%s does not match the journal's device (%u-byte units, %llu units)",
		    dev, VP.unit, (unsigned long long)VP.units);
	buf = xalign(chunk);
	want = xalign(VP.unit);
	for (u = 0; u < VP.units; ) {
		uint64_t cnt = chunk / VP.unit, m;
		ssize_t got;

		if (cnt > VP.units - u)
			cnt = VP.units - u;
		got = pread(fd, buf, cnt * VP.unit, (off_t)(u * VP.unit));
		if (got != (ssize_t)(cnt * VP.unit))
			errx(2, "read at unit %llu: %s", (unsigned long long)u,
			    got < 0 ? strerror(errno) : "short");
		for (m = 0; m < cnt; m++, u++) {
			uint8_t *p = buf + m * VP.unit;
			struct unit_hdr h;
			const struct run *r;
			const char *why = NULL;
			size_t z;

			if (req[u])
				nrequired++;
			memcpy(&h, p, sizeof(h));
			for (z = 0; z < VP.unit && !p[z]; z++)
				;
			if (z == VP.unit) {
				nzero++;
				if (req[u])
					why = "zeros, but a flushed write covers it";
			} else if (h.magic != UNIT_MAGIC || h.seed != VP.seed) {
				why = "garbage (no header)";
			} else if (h.unit != u) {
				why = "another unit's data";
			} else if (!(r = get_run(h.cycle, h.thread, h.run)) ||
				   u < r->start || u >= r->start + r->len) {
				why = "a header of a write that never covered this unit";
			} else {
				fill_unit(&VP, want, u, h.cycle, h.thread, h.run);
				if (memcmp(want, p, VP.unit))
					why = "right header, wrong data (torn or mixed)";
				else if (key(h.cycle, h.run) < req[u])
					why = "older than the last flushed write";
				else if (key(h.cycle, h.run) == req[u])
					nflushed++;
				else
					nnewer++;
			}
			if (why) {
				if (nbad < 10)
					fprintf(stderr,
						"verify: unit %llu: %s (holds cycle %u thread %u run %llu; needs cycle %llu run %lld)\n",
						(unsigned long long)u, why, h.cycle, h.thread,
						(unsigned long long)h.run,
						(unsigned long long)(req[u] >> 40),
						(long long)(req[u] & ((1ull << 40) - 1)) - 1);
				nbad++;
			}
		}
	}
	close(fd);
	close(j.fd);
	free(j.recs);
	free(buf);
	free(want);
	for (k = 0; k < (uint64_t)(vcycles + 1) * MAX_THREADS; k++)
		free(vruns[k].r);
	free(vruns);
	free(req);
	if (!quiet || nbad)
		printf("verify: %llu units checked against %llu journal records (cycles 1-%u): %llu required by flushes, %llu hold the flushed write, %llu a newer one, %llu zero; %llu bad\n",
		       (unsigned long long)VP.units, (unsigned long long)n, cur,
		       (unsigned long long)nrequired, (unsigned long long)nflushed,
		       (unsigned long long)nnewer, (unsigned long long)nzero,
		       (unsigned long long)nbad);
	return nbad ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ssc-crashtest write --dev DEV --journal J --cycle C [--threads N] [--seconds S]\n"
		"                           [--max-len UNITS] [--flush-ms MS] [--fua-every N]\n"
		"                           [--mark DMNAME] [--seed X]\n"
		"       ssc-crashtest verify --dev DEV --journal J [--records N] [--quiet]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", 1, NULL, 'd' }, { "journal", 1, NULL, 'j' },
		{ "cycle", 1, NULL, 'c' }, { "threads", 1, NULL, 't' },
		{ "seconds", 1, NULL, 's' }, { "max-len", 1, NULL, 'l' },
		{ "flush-ms", 1, NULL, 'f' }, { "fua-every", 1, NULL, 'u' },
		{ "mark", 1, NULL, 'm' }, { "seed", 1, NULL, 'x' },
		{ "records", 1, NULL, 'r' }, { "quiet", 0, NULL, 'q' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dev = NULL, *jpath = NULL, *cmd;
	double seconds = 5;
	uint32_t flush_ms = 300;
	long long nrec = -1;
	int c, quiet = 0;

	if (argc < 2)
		usage();
	cmd = argv[1];
	W.p.nthreads = 4;
	W.p.max_len = 64;
	W.p.fua_every = 16;
	W.p.seed = 1;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dev = optarg; break;
		case 'j': jpath = optarg; break;
		case 'c': W.cycle = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 't': W.p.nthreads = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 's': seconds = strtod(optarg, NULL); break;
		case 'l': W.p.max_len = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'f': flush_ms = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'u': W.p.fua_every = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'm': W.mark = optarg; break;
		case 'x': W.p.seed = strtoull(optarg, NULL, 0); break;
		case 'r': nrec = strtoll(optarg, NULL, 0); break;
		case 'q': quiet = 1; break;
		default: usage();
		}
	}
	if (!dev || !jpath)
		usage();
	if (!strcmp(cmd, "write")) {
		if (W.cycle < 1 || W.cycle >= (1u << 23))
			errx(2, "--cycle must be 1 or more");
		if (W.p.nthreads < 1 || W.p.nthreads > MAX_THREADS || W.p.max_len < 1 ||
		    W.p.max_len > 1024 || flush_ms < 1)
			errx(2, "bad --threads, --max-len or --flush-ms");
		return cmd_write(dev, jpath, seconds, flush_ms);
	}
	if (!strcmp(cmd, "verify"))
		return cmd_verify(dev, jpath, nrec, quiet);
	usage();
	return 2;
}
