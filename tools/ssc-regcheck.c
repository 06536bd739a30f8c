// SPDX-License-Identifier: GPL-2.0
/*
 * ssc-regcheck: the register check. Judges a block device by the contract
 * (../shared/CONTRACT.md, "Reads and writes"), whatever path its code takes:
 * every 512-byte sector of a small hot region is a register, many threads
 * read and write it with O_DIRECT, and every read is checked against the
 * writes whose times it saw (the rule: tools/lib/ssct_regcheck.h).
 *
 *   ssc-regcheck run --dev DEV --region-mb N [--offset-mb N] [--threads N]
 *                    [--seconds S] [--ops N] [--seed X] [--round R]
 *                    [--block-bytes B] [--max-len BYTES] [--read-pct P]
 *                    [--state-in F] [--state-out F] [--sync-dir D]
 *                    [--herd-pct P] [--rt-herd] [--final-pass] [--strict-torn]
 *                    [--reports N]
 *   ssc-regcheck verify --dev DEV --state F
 *
 * run writes the region with a "generation 0" pattern first (or, with
 * --state-in, takes what a previous run left as the initial content),
 * runs the workload, judges every read, and with --state-out saves the
 * value every sector must hold now: its last completed write's. Where a
 * write that failed came after it, the sector may hold either: those are
 * read once more (with --final-pass: the whole region) and the state takes
 * what was read. verify reads the region and fails unless every sector
 * holds exactly what the state says (after a remove and create of the
 * target nothing is in flight, so the device must return the last
 * completed writes). --max-len defaults to 4
 * cache blocks, at least 64 KiB.
 *
 * The workload: op number g (a global counter) is a pure function of the
 * seed, the round and g. Ops come in phases of 16 ops per thread, each one of
 * (herd: --herd-pct percent of the phases, default 20; the rest half focus,
 * half mixed)
 *   mixed  anywhere in the region: one logical block, 1..k whole cache
 *          blocks, or any aligned range up to --max-len
 *   focus  1-3 cache blocks: mostly single logical blocks (reads of one
 *          sector next to writes of another of the same block), whole
 *          blocks, partial ranges and ranges into the next blocks
 *   herd   the threads read the same range at once, sequentially: one
 *          cache block or --max-len of them at a time (the ops of one
 *          step, one per thread, read the same chunk and start at the same
 *          instant; the threads are spread over the CPUs), with a few
 *          writes just behind the front
 * With --rt-herd one thread per CPU runs SCHED_FIFO and starts its herd
 * reads at a random instant of the 200 us after the others: with full
 * kernel preemption it preempts one of them midway through the device's
 * code, so the two race on one CPU as well. Reads and writes are mixed by
 * --read-pct. Writes never overlap a write
 * in flight (so that the final content of a sector is one write's, not a
 * mix two concurrent copies may leave on a RAM disk); reads overlap
 * anything.
 *
 * With --sync-dir D: D/ready appears once the initial content is written
 * (background events may start), D/done when the workload ended; the
 * final reads wait for D/quiet (the events stopped, the devices healthy),
 * and give up at once when D/broken appears (the device cannot work).
 *
 * Exit status: 0 no violation, 1 violations (printed with their history),
 * 2 usage or setup error (device, initial writes, final reads failing).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/ssct_dev.h"
#include "ssdcache/ssc_format.h"
#include "lib/ssct_regcheck.h"

#define STATE_MAGIC	"SSCRGST1"
#define PHASE_PER_THREAD 16
#define CHUNK_SECT	2048		/* 1 MiB: initial writes, final pass, verify */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ssc-regcheck: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

/* ---------------------------------------------------------------- devices */

static uint64_t dev_bytes(int fd)
{
	uint64_t b;
	int r = ssct_dev_bytes(fd, &b);

	if (r)
		die("device size: %s", strerror(-r));
	return b;
}

static uint32_t dev_lbs(int fd)
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
		die("out of memory");
	return p;
}

static int full_pread(int fd, void *buf, size_t n, off_t off)
{
	return pread(fd, buf, n, off) == (ssize_t)n;
}

/* ---------------------------------------------------------------- state files */

struct state_hdr {
	char magic[8];
	uint32_t version;
	uint32_t lbs;
	uint64_t start;		/* region, 512-byte sectors */
	uint64_t nsect;
	uint64_t tag;		/* the run that wrote it */
	uint32_t crc;		/* crc32c of the entries */
	uint32_t pad;
};

static void state_save(const char *path, const struct state_hdr *h0, const struct rc_val *v)
{
	struct state_hdr h = *h0;
	char tmp[4096];
	FILE *f;

	memcpy(h.magic, STATE_MAGIC, 8);
	h.version = 1;
	h.crc = ssc_crc32c(0, v, h.nsect * sizeof(*v));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "wb");
	if (!f || fwrite(&h, sizeof(h), 1, f) != 1 ||
	    fwrite(v, sizeof(*v), h.nsect, f) != h.nsect || fclose(f))
		die("%s: cannot write the state", tmp);
	if (rename(tmp, path))
		die("%s: %s", path, strerror(errno));
}

static struct rc_val *state_load(const char *path, struct state_hdr *h)
{
	FILE *f = fopen(path, "rb");
	struct rc_val *v;

	if (!f)
		die("%s: %s", path, strerror(errno));
	if (fread(h, sizeof(*h), 1, f) != 1 || memcmp(h->magic, STATE_MAGIC, 8) ||
	    h->version != 1 || h->nsect == 0 || h->nsect > (1ull << 32))
		die("%s: not a state file", path);
	v = calloc(h->nsect, sizeof(*v));
	if (!v)
		die("out of memory");
	if (fread(v, sizeof(*v), h->nsect, f) != h->nsect ||
	    ssc_crc32c(0, v, h->nsect * sizeof(*v)) != h->crc)
		die("%s: truncated or corrupt state", path);
	fclose(f);
	return v;
}

/* ---------------------------------------------------------------- the workload */

struct op {
	uint64_t start;		/* sector in the region */
	uint32_t n;		/* sectors */
	int write;
	int herd;		/* a herd read: starts with the others of its step */
	uint32_t herd_n;	/* reads in the step */
	uint64_t step;
};

static struct {
	int fd;
	uint64_t start, nsect;		/* region on the device, sectors */
	uint32_t ls, bs, maxl;		/* logical block, cache block, max I/O: sectors */
	uint32_t nthreads, read_pct, herd_pct, nrt;
	uint64_t seed, tag, max_ops;
	int64_t end;
	atomic_uint_fast64_t next;	/* the global op counter */
	struct rc_log *log;
	/* writes in flight, one slot per thread (start, n; n = 0: none) */
	pthread_mutex_t wlock;
	pthread_cond_t wcond;
	uint64_t wstart[RC_MAX_THREADS];
	uint32_t wn[RC_MAX_THREADS];
	uint64_t ops[RC_MAX_THREADS];
} G = { .wlock = PTHREAD_MUTEX_INITIALIZER, .wcond = PTHREAD_COND_INITIALIZER };

enum { PH_MIXED, PH_FOCUS, PH_HERD };

static uint64_t rnd(uint64_t *h, uint64_t n)
{
	*h = rc_mix64(*h);
	return n ? *h % n : 0;
}

/* A herd op: is op @g (@j-th of its phase @ph) a small write behind the front? */
static int herd_writes(uint64_t ph, uint64_t g, uint64_t j, uint64_t *h)
{
	int w;

	*h = rc_mix64(ph ^ rc_mix64(g));
	w = rnd(h, 100) >= G.read_pct;
	return w && rnd(h, 100) < 30 && j >= 2 * G.nthreads;
}

/* Op number @g: a pure function of the seed, @g and the geometry. */
static struct op gen_op(uint64_t g)
{
	uint64_t plen = (uint64_t)PHASE_PER_THREAD * G.nthreads, phase = g / plen;
	uint64_t ph = rc_mix64(G.seed ^ rc_mix64(G.tag ^ phase));
	uint64_t h = rc_mix64(ph ^ rc_mix64(g)), nlb = G.nsect / G.ls, nblk = G.nsect / G.bs;
	uint64_t bl = G.bs / G.ls, maxlb = G.maxl / G.ls, lb, len, x;
	uint64_t pt = ph % 100;
	int type = pt < G.herd_pct ? PH_HERD : pt < G.herd_pct + (100 - G.herd_pct) / 2 ?
		   PH_FOCUS : PH_MIXED;
	struct op o = { .herd = 0 };

	o.write = rnd(&h, 100) >= G.read_pct;
	if (type == PH_HERD) {
		/* chunks of one block or of --max-len, one after the other */
		uint64_t j = g - phase * plen, cb = maxlb / bl && ph >> 63 ? maxlb / bl : 1;
		uint64_t nch = nblk / cb, front = (ph >> 8) + j / G.nthreads, k, hh;

		o.write = herd_writes(ph, g, j, &h);
		if (o.write) {
			/* a small write just behind the front */
			lb = ((front - 1) % nch) * cb * bl + rnd(&h, cb * bl);
			len = 1;
		} else {
			/* the reads of one step: ops g / nthreads * nthreads + 0 .. nthreads - 1 */
			o.herd = 1;
			o.step = g / G.nthreads;
			for (k = o.step * G.nthreads; k < (o.step + 1) * G.nthreads; k++)
				o.herd_n += !herd_writes(ph, k, k - phase * plen, &hh);
			lb = (front % nch) * cb * bl;
			len = cb * bl;
		}
	} else if (type == PH_FOCUS) {
		uint64_t nf = 1 + ph % 3, k = rnd(&h, nf);
		uint64_t b0 = rc_mix64(ph + k) % nblk;

		x = rnd(&h, 100);
		if (x < 45) {			/* one logical block */
			lb = b0 * bl + rnd(&h, bl);
			len = 1;
		} else if (x < 60) {		/* the whole block */
			lb = b0 * bl;
			len = bl;
		} else if (x < 80) {		/* part of it */
			uint64_t off = rnd(&h, bl);

			lb = b0 * bl + off;
			len = 1 + rnd(&h, bl - off);
		} else {			/* from its second half on into the next */
			lb = b0 * bl + bl / 2 + rnd(&h, bl - bl / 2);
			len = 1 + rnd(&h, maxlb);
		}
	} else {
		x = rnd(&h, 100);
		if (x < 30) {
			lb = rnd(&h, nlb);
			len = 1;
		} else if (x < 55) {
			uint64_t k = maxlb / bl ? maxlb / bl : 1;

			lb = rnd(&h, nblk) * bl;
			len = (1 + rnd(&h, k)) * bl;
		} else {
			lb = rnd(&h, nlb);
			len = 1 + rnd(&h, maxlb);
		}
	}
	if (len > maxlb)
		len = maxlb;
	if (lb >= nlb)
		lb %= nlb;
	if (lb + len > nlb)
		len = nlb - lb;
	o.start = lb * G.ls;
	o.n = (uint32_t)(len * G.ls);
	return o;
}

static int overlaps_write(uint32_t self, uint64_t s, uint32_t n)
{
	uint32_t t;

	for (t = 0; t < G.nthreads; t++)
		if (t != self && G.wn[t] && s < G.wstart[t] + G.wn[t] && G.wstart[t] < s + n)
			return 1;
	return 0;
}

static int do_write(uint32_t t, uint64_t s, uint32_t n, uint8_t *buf)
{
	size_t bytes = (size_t)n * RC_SECTOR;
	int64_t ti, tc;
	uint32_t id;
	ssize_t r;

	pthread_mutex_lock(&G.wlock);
	while (overlaps_write(t, s, n))
		pthread_cond_wait(&G.wcond, &G.wlock);
	G.wstart[t] = s;
	G.wn[t] = n;
	pthread_mutex_unlock(&G.wlock);

	id = rc_write_begin(G.log, t, G.start + s, n);
	rc_write_fill(G.log, id, buf);
	ti = rc_now();
	r = pwrite(G.fd, buf, bytes, (off_t)((G.start + s) * RC_SECTOR));
	tc = rc_now();
	rc_write_end(G.log, id, ti, tc, r == (ssize_t)bytes);

	pthread_mutex_lock(&G.wlock);
	G.wn[t] = 0;
	pthread_cond_broadcast(&G.wcond);
	pthread_mutex_unlock(&G.wlock);
	return r == (ssize_t)bytes;
}

static int do_read(uint32_t t, uint64_t s, uint32_t n, uint8_t *buf, int final)
{
	size_t bytes = (size_t)n * RC_SECTOR;
	int64_t ti, tc;
	int ok;

	ti = rc_now();
	ok = full_pread(G.fd, buf, bytes, (off_t)((G.start + s) * RC_SECTOR));
	tc = rc_now();
	rc_read_log(G.log, t, G.start + s, n, ti, tc, ok, buf, final);
	return ok;
}

/*
 * Herd reads start together: the first read of a step fixes a start
 * instant 2 ms ahead; every read of the step sleeps until just before it
 * and spins on the clock for the rest, so that on each CPU (the threads are
 * spread over the CPUs) one of them enters the device's map function for
 * the same cache blocks at the same instant.
 */
#define HERD_SLOTS 64
static struct {
	pthread_mutex_t lock;
	uint64_t step[HERD_SLOTS];	/* step + 1 */
	int64_t start[HERD_SLOTS];
} H = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void sleep_until(int64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000, .tv_nsec = t % 1000000000 };

	if (rc_now() < t)
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
}

static void herd_gate(uint32_t t, const struct op *o)
{
	unsigned int k = o->step % HERD_SLOTS;
	int64_t start;

	pthread_mutex_lock(&H.lock);
	if (H.step[k] != o->step + 1) {
		H.step[k] = o->step + 1;
		H.start[k] = rc_now() + 2000000;
	}
	start = H.start[k];
	pthread_mutex_unlock(&H.lock);
	if (t < G.nrt) {
		/* a real-time reader: at a random instant of the 200 us after */
		sleep_until(start + (int64_t)(rc_mix64(G.tag ^ rc_mix64(o->step * 64 + t)) % 200000));
		return;
	}
	sleep_until(start - 300000);
	while (rc_now() < start)
		;
}

/* Thread @t on the (t mod n)-th of the n CPUs it may use. */
static void spread(uint32_t t)
{
	cpu_set_t set, one;
	int c, n = 0, k;

	if (sched_getaffinity(0, sizeof(set), &set) || CPU_COUNT(&set) < 2)
		return;
	k = (int)(t % (uint32_t)CPU_COUNT(&set));
	for (c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		if (n++ == k) {
			CPU_ZERO(&one);
			CPU_SET(c, &one);
			sched_setaffinity(0, sizeof(one), &one);
			return;
		}
	}
}

static void *worker(void *arg)
{
	uint32_t t = (uint32_t)(uintptr_t)arg;
	uint8_t *buf = xalign((size_t)G.maxl * RC_SECTOR);

	spread(t);
	if (t < G.nrt) {
		struct sched_param sp = { .sched_priority = 1 };

		if (sched_setscheduler(0, SCHED_FIFO, &sp))
			die("SCHED_FIFO: %s", strerror(errno));
	}
	for (;;) {
		uint64_t g = atomic_fetch_add(&G.next, 1);
		struct op o;

		if (g >= G.max_ops || rc_now() >= G.end)
			break;
		o = gen_op(g);
		if (o.herd)
			herd_gate(t, &o);
		/* a failing device fails fast: do not spin */
		if (!(o.write ? do_write(t, o.start, o.n, buf) : do_read(t, o.start, o.n, buf, 0)))
			usleep(2000);
		G.ops[t]++;
	}
	free(buf);
	return NULL;
}

static void touch(const char *dir, const char *name)
{
	char p[4096];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	if (fd < 0)
		die("%s: %s", p, strerror(errno));
	close(fd);
}

static int exists(const char *dir, const char *name)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static void wait_for(const char *dir, const char *name, int seconds)
{
	int i;

	for (i = 0; i < seconds * 20; i++) {
		if (exists(dir, name))
			return;
		usleep(50000);
	}
	die("%s/%s did not appear within %d s", dir, name, seconds);
}

struct run_opts {
	const char *dev, *state_in, *state_out, *sync_dir;
	uint64_t offset_mb, region_mb, round, block_bytes, max_len;
	double seconds;
	int strict_torn, reports, final_pass;
};

static int cmd_run(const struct run_opts *o)
{
	pthread_t th[RC_MAX_THREADS];
	struct rc_params p = { 0 };
	struct rc_report rep;
	struct state_hdr sh = { .version = 1 };
	struct rc_val *init = NULL, *fin;
	uint64_t s, unknown, v, namb, nseen = 0;
	uint8_t *amb;
	uint8_t *buf;
	uint32_t lbs, t;
	int64_t tstart, t0, t1, tquiet, tfinal, tcheck;

	G.fd = open_direct(o->dev, O_RDWR);
	if (G.fd < 0)
		die("%s: %s", o->dev, strerror(errno));
	lbs = dev_lbs(G.fd);
	G.ls = lbs / RC_SECTOR;
	G.bs = (uint32_t)(o->block_bytes / RC_SECTOR);
	G.maxl = (uint32_t)((o->max_len ? o->max_len :
			     o->block_bytes < 16384 ? 65536 : 4 * o->block_bytes) / RC_SECTOR);
	if (G.maxl > 2048)
		G.maxl = 2048;
	G.start = o->offset_mb * 2048;
	G.nsect = o->region_mb * 2048;
	if (!G.ls || G.bs < G.ls || G.bs % G.ls || G.maxl < G.ls || G.maxl % G.ls)
		die("--block-bytes and --max-len must be multiples of the logical block size (%u)", lbs);
	if (!G.nsect || G.nsect % G.bs || G.nsect / G.bs < 4)
		die("--region-mb must hold 4 or more cache blocks");
	if ((G.start + G.nsect) * RC_SECTOR > dev_bytes(G.fd))
		die("%s is smaller than the region", o->dev);
	p.start = G.start;
	p.nsect = G.nsect;
	p.tag = G.tag = rc_mix64(G.seed * 1000003 + o->round) | 1;
	p.nthreads = G.nthreads;
	p.block_sect = G.bs;
	p.strict_torn = o->strict_torn;
	p.max_reports = o->reports;
	if (o->state_in) {
		init = state_load(o->state_in, &sh);
		if (sh.start != G.start || sh.nsect != G.nsect || sh.lbs != lbs)
			die("%s is for another region or device", o->state_in);
		for (s = 0; s < G.nsect; s++)
			if (!init[s].tag || init[s].tag == p.tag)
				die("%s: sector %" PRIu64 " unknown, or of this run's tag (reuse of --round?)",
				    o->state_in, G.start + s);
	}
	G.log = rc_log_new(&p, init);
	buf = xalign((size_t)CHUNK_SECT * RC_SECTOR);
	tstart = rc_now();

	if (!init) {	/* generation 0: every sector written once, through the device */
		for (s = 0; s < G.nsect; s += CHUNK_SECT) {
			uint32_t n = G.nsect - s < CHUNK_SECT ? (uint32_t)(G.nsect - s) : CHUNK_SECT;

			if (!do_write(0, s, n, buf))
				die("initial write at sector %" PRIu64 " failed: %s", G.start + s,
				    strerror(errno));
		}
	}
	if (o->sync_dir)
		touch(o->sync_dir, "ready");

	t0 = rc_now();
	G.end = t0 + (int64_t)(o->seconds * 1e9);
	for (t = 0; t < G.nthreads; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)(uintptr_t)t))
			die("pthread_create failed");
	for (t = 0; t < G.nthreads; t++)
		pthread_join(th[t], NULL);
	t1 = rc_now();
	if (o->sync_dir) {
		touch(o->sync_dir, "done");
		wait_for(o->sync_dir, "quiet", 600);
	}
	tquiet = rc_now();

	/*
	 * The final reads: of the sectors whose value is not settled by the
	 * history (a failed write came last), or with --final-pass of all,
	 * judged like any read. Nothing else runs, so they may be retried.
	 */
	fin = calloc(G.nsect, sizeof(*fin));
	amb = calloc(G.nsect, 1);
	if (!fin || !amb)
		die("out of memory");
	namb = rc_settle(G.log, fin, amb);
	for (s = 0; s < G.nsect; s += G.ls)	/* whole logical blocks */
		if (o->final_pass || memchr(amb + s, 1, G.ls))
			memset(amb + s, 1, G.ls);
	for (s = 0; s < G.nsect; ) {
		uint32_t n = 0;
		int tries;

		while (s + n < G.nsect && n < CHUNK_SECT && amb[s + n])
			n++;
		if (!n) {
			s++;
			continue;
		}
		for (tries = 0; !do_read(0, s, n, buf, 1); tries++) {
			if (tries == 50)
				die("final read at sector %" PRIu64 " keeps failing: %s",
				    G.start + s, strerror(errno));
			if (o->sync_dir && exists(o->sync_dir, "broken"))
				die("final read at sector %" PRIu64 " failed: the device is broken (%s/broken)",
				    G.start + s, o->sync_dir);
			usleep(200000);
		}
		s += n;
	}

	tfinal = rc_now();
	v = rc_check(G.log, stdout, &rep);
	tcheck = rc_now();
	{	/* cache blocks the workload read (a cold cache fills as many) */
		uint8_t *seen = calloc(G.nsect / G.bs, 1);
		uint64_t i, b;

		if (!seen)
			die("out of memory");
		for (t = 0; t < RC_MAX_THREADS; t++)
			for (i = 0; i < G.log->thr[t].nreads; i++) {
				struct rc_read *r = &G.log->thr[t].reads[i];

				for (b = (r->start - G.start) / G.bs; !r->final &&
				     b <= (r->start - G.start + r->nsect - 1) / G.bs; b++) {
					nseen += !seen[b];
					seen[b] = 1;
				}
			}
		free(seen);
	}
	printf("regcheck: %s region %" PRIu64 "+%" PRIu64 " sectors, logical block %u, cache block %u sectors, max I/O %u sectors, %u threads (%u real-time), seed %" PRIu64 ", round %" PRIu64 "\n",
	       o->dev, G.start, G.nsect, lbs, G.bs, G.maxl, G.nthreads, G.nrt, G.seed, o->round);
	printf("regcheck: %.0f ops/s; %" PRIu64 " distinct cache blocks read; %" PRIu64 " sectors not settled by the history (a failed write came last) read once more%s; seconds: initial writes %.1f, workload %.1f, events stopping %.1f, final reads %.1f, check %.1f\n",
	       (double)(rep.reads + rep.writes) / ((double)(t1 - t0) / 1e9), nseen, namb,
	       o->final_pass ? " (final pass over the whole region)" : "",
	       (double)(t0 - tstart) / 1e9, (double)(t1 - t0) / 1e9, (double)(tquiet - t1) / 1e9,
	       (double)(tfinal - tquiet) / 1e9, (double)(tcheck - tfinal) / 1e9);
	rc_print_report(stdout, &rep);
	if (o->state_out) {
		unknown = rc_final_state(G.log, fin);
		if (unknown && !v)
			die("%" PRIu64 " sectors without a value after the final pass", unknown);
		sh.lbs = lbs;
		sh.start = G.start;
		sh.nsect = G.nsect;
		sh.tag = p.tag;
		state_save(o->state_out, &sh, fin);
	}
	free(fin);
	free(amb);
	rc_log_free(G.log);
	free(init);
	free(buf);
	close(G.fd);
	return v ? 1 : 0;
}

/* Every sector must hold exactly what the state says. */
static int cmd_verify(const char *dev, const char *state)
{
	struct state_hdr sh;
	struct rc_val *want = state_load(state, &sh);
	uint64_t s, bad = 0;
	uint8_t *buf = xalign((size_t)CHUNK_SECT * RC_SECTOR);
	int fd = open_direct(dev, O_RDONLY);

	if (fd < 0)
		die("%s: %s", dev, strerror(errno));
	if (dev_lbs(fd) != sh.lbs || (sh.start + sh.nsect) * RC_SECTOR > dev_bytes(fd))
		die("%s does not match the state (logical block %u, region %" PRIu64 "+%" PRIu64 ")",
		    dev, sh.lbs, sh.start, sh.nsect);
	for (s = 0; s < sh.nsect; s += CHUNK_SECT) {
		uint32_t n = sh.nsect - s < CHUNK_SECT ? (uint32_t)(sh.nsect - s) : CHUNK_SECT, k;

		if (!full_pread(fd, buf, (size_t)n * RC_SECTOR, (off_t)((sh.start + s) * RC_SECTOR))) {
			printf("verify: read of sectors %" PRIu64 "+%u failed: %s\n", sh.start + s, n,
			       strerror(errno));
			bad += n;
			continue;
		}
		for (k = 0; k < n; k++) {
			const uint8_t *p = buf + (size_t)k * RC_SECTOR;
			const struct rc_val *w = &want[s + k];
			struct rc_val got;
			uint64_t hs;

			if (rc_sector_is(p, sh.start + s + k, w))
				continue;
			if (bad++ < 20) {
				int ok = rc_sector_decode(p, &hs, &got);

				printf("verify: sector %" PRIu64 " holds %s (sector %" PRIu64 " tag %016" PRIx64 " write %u thread %u), expected tag %016" PRIx64 " write %u thread %u\n",
				       sh.start + s + k, ok ? "a clean value" : "no clean value; header says",
				       hs, got.tag, got.id, got.thread, w->tag, w->id, w->thread);
			}
		}
	}
	printf("verify: %s: %" PRIu64 " sectors checked against %s, %" PRIu64 " differ\n",
	       dev, sh.nsect, state, bad);
	close(fd);
	free(buf);
	free(want);
	return bad ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ssc-regcheck run --dev DEV --region-mb N [--offset-mb N] [--threads N]\n"
		"                        [--seconds S] [--ops N] [--seed X] [--round R]\n"
		"                        [--block-bytes B] [--max-len BYTES] [--read-pct P]\n"
		"                        [--state-in F] [--state-out F] [--sync-dir D]\n"
		"                        [--herd-pct P] [--rt-herd] [--final-pass] [--strict-torn]\n"
		"                        [--reports N]\n"
		"       ssc-regcheck verify --dev DEV --state F\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", 1, NULL, 'd' }, { "region-mb", 1, NULL, 'r' },
		{ "offset-mb", 1, NULL, 'o' }, { "threads", 1, NULL, 't' },
		{ "seconds", 1, NULL, 's' }, { "ops", 1, NULL, 'n' },
		{ "seed", 1, NULL, 'x' }, { "round", 1, NULL, 'R' },
		{ "block-bytes", 1, NULL, 'b' }, { "max-len", 1, NULL, 'l' },
		{ "read-pct", 1, NULL, 'p' }, { "state-in", 1, NULL, 'i' },
		{ "state-out", 1, NULL, 'O' }, { "state", 1, NULL, 'S' },
		{ "sync-dir", 1, NULL, 'y' }, { "strict-torn", 0, NULL, 'T' },
		{ "reports", 1, NULL, 'P' }, { "herd-pct", 1, NULL, 'H' },
		{ "final-pass", 0, NULL, 'F' }, { "rt-herd", 0, NULL, 'Z' },
		{ NULL, 0, NULL, 0 }
	};
	struct run_opts o = { .region_mb = 16, .round = 1, .block_bytes = 4096,
			      .seconds = 10, .reports = 10 };
	const char *cmd, *state = NULL;
	int c, rt_herd = 0;

	if (argc < 2)
		usage();
	cmd = argv[1];
	G.nthreads = 8;
	G.read_pct = 60;
	G.herd_pct = 20;
	G.seed = 1;
	G.max_ops = UINT64_MAX;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o.dev = optarg; break;
		case 'r': o.region_mb = strtoull(optarg, NULL, 0); break;
		case 'o': o.offset_mb = strtoull(optarg, NULL, 0); break;
		case 't': G.nthreads = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 's': o.seconds = strtod(optarg, NULL); break;
		case 'n': G.max_ops = strtoull(optarg, NULL, 0); break;
		case 'x': G.seed = strtoull(optarg, NULL, 0); break;
		case 'R': o.round = strtoull(optarg, NULL, 0); break;
		case 'b': o.block_bytes = strtoull(optarg, NULL, 0); break;
		case 'l': o.max_len = strtoull(optarg, NULL, 0); break;
		case 'p': G.read_pct = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'i': o.state_in = optarg; break;
		case 'O': o.state_out = optarg; break;
		case 'S': state = optarg; break;
		case 'y': o.sync_dir = optarg; break;
		case 'T': o.strict_torn = 1; break;
		case 'P': o.reports = atoi(optarg); break;
		case 'F': o.final_pass = 1; break;
		case 'Z': rt_herd = 1; break;
		case 'H': G.herd_pct = (uint32_t)strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (!o.dev)
		usage();
	if (!strcmp(cmd, "run")) {
		if (G.nthreads < 1 || G.nthreads > RC_MAX_THREADS || G.read_pct > 100 ||
		    G.herd_pct > 100 || o.seconds <= 0)
			die("bad --threads (1-%d), --read-pct, --herd-pct or --seconds", RC_MAX_THREADS);
		if (rt_herd) {	/* one real-time thread per CPU (spread() pins t to CPU t mod n) */
			cpu_set_t set;

			if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 1)
				G.nrt = (uint32_t)CPU_COUNT(&set);
			if (G.nrt >= G.nthreads)
				G.nrt = G.nthreads / 2;
		}
		return cmd_run(&o);
	}
	if (!strcmp(cmd, "verify")) {
		if (!state)
			usage();
		return cmd_verify(o.dev, state);
	}
	usage();
	return 2;
}
