// SPDX-License-Identifier: GPL-2.0
/*
 * ssc-explore - the interleaving explorer: drive the I/O engine
 * (core/ssc_engine.c, the code the module runs) with a deterministic,
 * seeded scheduler and judge every read against the block-device contract
 * (../shared/CONTRACT.md).
 *
 * One schedule: a small cache (one to three sets of 16 ways, blocks of 4
 * to 16 sectors, a few dozen origin blocks, so that blocks collide, get
 * evicted and refilled) in a random mode with random options, and a few
 * clients issuing reads, writes and write-zeroes to random ranges of a
 * hot part of the origin. The simulated devices hold, per 512-byte
 * sector, the id of the write that put the data there. The glue of this
 * file does what the target does with each plan of the engine (remap, two
 * halves, fills, write-behinds, fallbacks, demand cleaning, the cleaner,
 * commits), but every device I/O, completion and piece of background work
 * is an event, and at each step the scheduler runs one pending event
 * chosen by the seed: completions come in any order, background work runs
 * at any moment, I/O may fail, the cache may be detached.
 *
 * Checked:
 *  - every read, sector by sector, as ssct_regcheck.h states the contract:
 *    the value was written to that sector (or is its initial content), was
 *    not issued after the read completed, was not superseded by a write
 *    that completed before the read was issued, and is not older than what
 *    a read that completed before this one was issued returned;
 *  - after every event: no origin block is cached in two ways;
 *  - at the end: nothing is left waiting (a request that is never woken is
 *    a hang), every lock is idle, no way is busy or filling, every write
 *    that may enter the cache is accounted for; then the cleaner writes
 *    everything back and a read of every sector, and the origin itself,
 *    must hold values a read issued then may return.
 *
 * A failing schedule prints its seed and its event log; --seed S --trace
 * replays it exactly.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

#include "ssdcache/ssc_core.h"
#include "ssdcache/ssc_engine.h"
#include "ssdcache/ssc_format.h"

#define X_MAX_EVENTS	4096
#define X_MAX_CLIENTS	6
#define X_LOG		256	/* events kept for the report */
#define X_ERR_CACHE_FAIL 8	/* cache errors that fail the cache */
#define X_STACK		(64 * 1024)
#define X_MAX_TASKS	256
#define X_MAX_SPINS	200000	/* resumes of blocked tasks: a deadlock */

/* ------------------------------------------------------------ random */

static uint64_t x_rng;

static uint64_t x_rand(void)
{
	uint64_t z = (x_rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t x_below(uint32_t n)
{
	return n ? (uint32_t)(x_rand() % n) : 0;
}

static bool x_chance(uint32_t percent)
{
	return x_below(100) < percent;
}

/* ------------------------------------------------------------ model */

struct x_write {			/* a client write (id = index) */
	uint64_t start;
	uint32_t n;
	uint64_t ti, tc;		/* issue, completion (0: in flight) */
	bool ok;
	bool fua;
};

struct x_flush {			/* a client flush */
	uint64_t ti, tc;
};

struct x_seen {				/* a completed read's value of a sector */
	uint64_t ti, tc;
	uint32_t val;
};

struct x_sector {
	uint32_t *w;			/* ids of writes covering it, issue order */
	uint32_t nw, capw;
	struct x_seen *r;
	uint32_t nr, capr;
};

enum x_kind {
	XK_READ, XK_WRITE, XK_ZERO, XK_FLUSH,
};

struct x_io {
	struct ssc_req r;
	int client;
	enum x_kind kind;
	uint64_t sector;
	uint32_t nsect;
	uint32_t id;			/* write id */
	uint64_t ti;
	uint32_t *buf;			/* read data */
	int pending;			/* device halves in flight */
	bool cerr, oerr;
	bool err_ok;			/* a device error may fail it */
	struct x_io *cnext;		/* waiting for a commit */
};

/* A sector's content before the run: its own value, on the origin only. */
#define X_INIT(s)	(0x40000000u + (uint32_t)(s))
#define X_POISON	0xdeadbeefu	/* the cache device's initial content */

enum x_ev {
	EV_ISSUE,		/* a client issues its next request */
	EV_MAP,			/* (re)map a request */
	EV_DEVIO,		/* a device I/O completes */
	EV_WORK,		/* process-context work runs */
	EV_CLEANER,		/* the cleaner starts a pass */
	EV_DETACH,		/* the cache is detached */
};

enum x_dev { DEV_ORIGIN, DEV_CACHE };

enum x_cb {		/* what a completion or a work item continues with */
	CB_READ_HIT, CB_READ_MISS, CB_READ_RETRY, CB_ORIGIN, CB_HALF,
	CB_FILL_DONE, CB_COPY_READ, CB_COPY_WRITE,
	W_FILL, W_DEMAND, W_FALLBACK, W_ASYNC, W_COMMIT, W_BEHIND,
	W_COMMIT_RUN, CB_MD_WRITE,
};

struct x_copy;

struct x_event {
	enum x_ev type;
	enum x_cb cb;
	struct x_io *io;
	int client;
	/* device I/O */
	enum x_dev dev;
	bool write;
	uint64_t start;
	uint32_t n;
	uint32_t *data;			/* written, or filled by a read */
	/* fills, write-behinds, copies */
	struct ssc_fill_ref ref;
	struct x_copy *copy;
};

/* A copy cache -> origin (kcopyd) belonging to a parent job. */
struct x_job {
	enum { JOB_DEMAND, JOB_CLEAN, JOB_BEHIND } type;
	int pending;
	bool error;
	struct x_io *io;			/* demand clean */
	struct ssc_clean_item items[4];		/* cleaner */
	unsigned int nitems;
	struct ssc_fill_ref wb;			/* write-behind */
};

struct x_copy {
	struct x_job *job;
	uint64_t from, to;
	uint32_t n;
	uint32_t *data;
};

struct x_client {
	int left;			/* requests still to issue */
	bool busy;
};

struct x_cfg {
	enum ssc_mode mode;
	enum ssc_policy policy;
	uint32_t opts;
	uint32_t block_sectors;
	uint32_t sets;
	uint32_t assoc;
	uint32_t origin_blocks;
	uint32_t hot_blocks;		/* I/O goes to blocks [0, hot) */
	int clients;
	int ops;			/* per client */
	uint32_t err_pct;		/* device I/O that fails, percent */
	bool detach;			/* detach once, at a random moment */
	uint32_t preempt;		/* percent of lock acquisitions that yield */
};

/*
 * Every action that calls the engine runs as a task on a stack of its own
 * (a coroutine): at each lock acquisition the engine calls
 * ssc_env_lock_wait(), where a task may be preempted, and waits while
 * another task holds the lock. So the scheduler interleaves not only whole
 * engine calls but the critical sections inside them.
 */
enum x_act { ACT_EVENT, ACT_ISSUE, ACT_CLEANER };

struct x_task {
	enum x_act act;
	struct x_event ev;
	int client;
	ucontext_t ctx;
	void *stack;
	bool done;
	struct ssc_spinlock *wait;	/* blocked on it */
};

struct x_sim {
	struct x_cfg cfg;
	struct x_task *tasks[X_MAX_TASKS];	/* started, preempted */
	unsigned int ntasks;
	uint64_t spins;
	struct ssc_engine e;
	struct ssc_env_ops ops;
	uint64_t step;
	/* devices */
	uint32_t *origin, *cache;
	uint64_t origin_sect, cache_sect;
	/* model */
	struct x_write *w;
	uint32_t nw, capw;
	struct x_sector *sec;
	/* scheduler */
	struct x_event ev[X_MAX_EVENTS];
	unsigned int nev;
	struct x_client cl[X_MAX_CLIENTS];
	uint64_t clean_cursor;
	bool cleaning;
	int64_t cwrites;
	uint32_t cache_errors;
	/* persistence: the metadata as the last commit wrote it */
	uint64_t *dur_ob, *dur_dirty;	/* per way: block, dirty bitmap */
	uint64_t *enc_ob, *enc_dirty;	/* the commit in progress */
	uint32_t epm;			/* ways per metadata block */
	uint64_t md_blocks;
	bool *changed, *committing_b;	/* per metadata block, as the target */
	bool commit_empty;		/* nothing changed: only a flush */
	bool committing;
	struct x_io *cwait;		/* waiting for the next commit */
	struct x_io *cwait_run;		/* ... for the one in progress */
	struct x_flush *fl;
	uint32_t nfl, capfl;
	uint32_t crash_pct;		/* steps followed by a crash-point check */
	bool active;			/* a client still runs */
	/* verdict */
	bool failed;
	char why[512];
	char log[X_LOG][160];
	uint64_t nlog;
	bool trace;
	/* totals */
	uint64_t reads_checked;
};

static struct x_sim *X;		/* the schedule running (one at a time) */

static void x_note(const char *fmt, ...)
{
	char *l = X->log[X->nlog++ % X_LOG];
	va_list ap;
	int k;

	k = snprintf(l, 160, "%6" PRIu64 " ", X->step);
	va_start(ap, fmt);
	vsnprintf(l + k, 160 - k, fmt, ap);
	va_end(ap);
	if (X->trace)
		printf("%s\n", l);
}

static void x_fail(const char *fmt, ...)
{
	va_list ap;

	if (X->failed)
		return;
	X->failed = true;
	va_start(ap, fmt);
	vsnprintf(X->why, sizeof(X->why), fmt, ap);
	va_end(ap);
	x_note("FAIL: %s", X->why);
}

/* ------------------------------------------------------------ engine env */

static void x_env_stat(struct ssc_engine *e, enum ssc_stat s)
{
	(void)e;
	if (s == SSC_ST_CACHE_ERRORS && ++X->cache_errors == X_ERR_CACHE_FAIL) {
		SSC_WRITE_ONCE(X->e.cache_failed, true);
		x_note("cache failed (%u errors)", X->cache_errors);
	}
}

static struct x_event *x_push(enum x_ev type)
{
	struct x_event *v;

	if (X->nev == X_MAX_EVENTS) {
		x_fail("event table full");
		return NULL;
	}
	v = &X->ev[X->nev++];
	memset(v, 0, sizeof(*v));
	v->type = type;
	return v;
}

static void x_env_requeue(struct ssc_engine *e, struct ssc_req *list)
{
	struct ssc_req *r, *next;

	(void)e;
	for (r = list; r; r = next) {
		struct x_event *v = x_push(EV_MAP);

		next = r->next;
		r->next = NULL;
		if (v)
			v->io = (struct x_io *)r;	/* r is the first member */
		x_note("requeue io %p", (void *)r);
	}
}

static void x_env_md_changed(struct ssc_engine *e, uint64_t way)
{
	(void)e;
	X->changed[way / X->epm] = true;
}

static void x_env_cwrite_get(struct ssc_engine *e)
{
	(void)e;
	X->cwrites++;
}

static void x_env_cwrite_put(struct ssc_engine *e)
{
	(void)e;
	if (--X->cwrites < 0)
		x_fail("more cwrite puts than gets");
}

/* ------------------------------------------------------------ checker */

static void x_sector_add_write(struct x_sector *s, uint32_t id)
{
	if (s->nw == s->capw) {
		s->capw = s->capw ? s->capw * 2 : 8;
		s->w = realloc(s->w, s->capw * sizeof(*s->w));
	}
	s->w[s->nw++] = id;
}

static void x_sector_add_read(struct x_sector *s, uint64_t ti, uint64_t tc,
			      uint32_t val)
{
	if (s->nr == s->capr) {
		s->capr = s->capr ? s->capr * 2 : 8;
		s->r = realloc(s->r, s->capr * sizeof(*s->r));
	}
	s->r[s->nr].ti = ti;
	s->r[s->nr].tc = tc;
	s->r[s->nr].val = val;
	s->nr++;
}

/* How a report names the value @val of @sector. */
static const char *x_val_name(uint64_t sector, uint32_t val)
{
	static char b[64];

	if (val == X_INIT(sector))
		return "its initial content";
	if (val >= X_INIT(0) && val < X_POISON)
		snprintf(b, sizeof(b), "the initial content of sector %u",
			 val - X_INIT(0));
	else if (val == X_POISON)
		return "the cache device's initial content";
	else
		snprintf(b, sizeof(b), "write %u", val);
	return b;
}

/* Whether a read of @sector over [ti, tc] may return @val; *why if not. */
static bool x_allowed(uint64_t sector, uint32_t val, uint64_t ti, uint64_t tc,
		      const char **why)
{
	struct x_sector *s = &X->sec[sector];
	uint64_t ytc = 0;
	uint32_t i;

	if (val != X_INIT(sector)) {
		struct x_write *y;

		if (!val || val >= X->nw) {
			*why = val == X_POISON ? "the cache device's initial content" :
			       "a value never written to it (another sector's initial content, or garbage)";
			return false;
		}
		y = &X->w[val];
		if (sector < y->start || sector >= y->start + y->n) {
			*why = "another sector's data";
			return false;
		}
		if (y->ti >= tc) {
			*why = "a write issued after the read completed";
			return false;
		}
		ytc = y->tc ? y->tc : UINT64_MAX;
	}
	for (i = 0; i < s->nw; i++) {
		struct x_write *w = &X->w[s->w[i]];

		if (s->w[i] == val || !w->tc || !w->ok)
			continue;
		if (ytc < w->ti && w->tc < ti) {
			*why = "stale: a later write completed before the read began";
			return false;
		}
	}
	for (i = 0; i < s->nr; i++) {
		struct x_seen *o = &s->r[i];

		if (o->tc < ti && o->val != val && ytc < o->ti) {
			*why = "older than what an earlier read returned";
			return false;
		}
	}
	return true;
}

static void x_check_read(struct x_io *io, uint64_t tc)
{
	uint32_t i;

	for (i = 0; i < io->nsect; i++) {
		uint64_t s = io->sector + i;
		const char *why;

		if (!x_allowed(s, io->buf[i], io->ti, tc, &why)) {
			x_fail("read [%" PRIu64 "+%u] issued at %" PRIu64
			       ": sector %" PRIu64 " holds %s: %s",
			       io->sector, io->nsect, io->ti, s,
			       x_val_name(s, io->buf[i]), why);
			return;
		}
	}
	for (i = 0; i < io->nsect; i++)
		x_sector_add_read(&X->sec[io->sector + i], io->ti, tc,
				  io->buf[i]);
	X->reads_checked++;
}

/* No origin block in two ways. */
static void x_check_unique(void)
{
	const struct ssc_cache *c = &X->e.c;
	uint64_t a, b, small = 0, sets = 0;

	for (a = 0; a < c->g.nr_ways; a++) {
		if (c->ways[a].oblock == SSC_NO_BLOCK)
			continue;
		if (!(c->ways[a].count & SSC_POL_MAIN))
			small++;
		/* the first way in use of its set */
		for (b = a - a % SSC_WAYS; b < a; b++)
			if (c->ways[b].oblock != SSC_NO_BLOCK)
				break;
		sets += b == a;
		for (b = a + 1; b < c->g.nr_ways; b++)
			if (c->ways[b].oblock == c->ways[a].oblock) {
				x_fail("origin block %" PRIu64 " is cached in ways %" PRIu64 " and %" PRIu64,
				       c->ways[a].oblock, a, b);
				return;
			}
	}
	/* the count of sets in use the status prints */
	if (sets != ssc_counter_read(&c->nr_sets_used))
		x_fail("%" PRIu64 " sets in use, nr_sets_used says %" PRIu64,
		       sets, ssc_counter_read(&c->nr_sets_used));
	/* the adaptive policy's count of ways on probation */
	if (c->policy == SSC_ADAPTIVE && small != ssc_counter_read(&c->nr_small))
		x_fail("%" PRIu64 " ways on probation, nr_small says %" PRIu64,
		       small, ssc_counter_read(&c->nr_small));
}

/* ------------------------------------------------------------ devices */

static uint32_t *x_dev(enum x_dev d)
{
	return d == DEV_ORIGIN ? X->origin : X->cache;
}

static void x_devio(enum x_cb cb, struct x_io *io, enum x_dev dev, bool write,
		    uint64_t start, uint32_t n, const uint32_t *wdata)
{
	struct x_event *v = x_push(EV_DEVIO);

	if (!v)
		return;
	v->cb = cb;
	v->io = io;
	v->dev = dev;
	v->write = write;
	v->start = start;
	v->n = n;
	v->data = malloc(n * sizeof(uint32_t));
	if (write)
		memcpy(v->data, wdata, n * sizeof(uint32_t));
}

static void x_work(enum x_cb cb, struct x_io *io)
{
	struct x_event *v = x_push(EV_WORK);

	if (v) {
		v->cb = cb;
		v->io = io;
	}
}

static uint64_t x_cache_sector(uint64_t way, uint64_t tsector)
{
	return ssc_way_sector(&X->e.c.g, way) +
	       (tsector & (X->e.c.g.block_sectors - 1));
}

/* ------------------------------------------------------------ the glue */

static void x_complete(struct x_io *io, bool error)
{
	struct x_client *c = &X->cl[io->client];

	X->step++;
	if (error && !io->err_ok)
		x_fail("%s [%" PRIu64 "+%u] issued at %" PRIu64 " failed, but no device error made that necessary",
		       io->kind == XK_READ ? "read" : "write", io->sector,
		       io->nsect, io->ti);
	if (io->kind == XK_READ) {
		if (!error)
			x_check_read(io, X->step);
	} else if (io->kind == XK_FLUSH) {
		X->fl[io->id].tc = error ? 0 : X->step;
	} else {
		struct x_write *w = &X->w[io->id];

		w->tc = X->step;
		w->ok = !error;
	}
	x_note("complete io %p %s [%" PRIu64 "+%u]%s", (void *)io,
	       io->kind == XK_READ ? "read" : io->kind == XK_FLUSH ? "flush" : "write",
	       io->sector, io->nsect, error ? " error" : "");
	free(io->buf);
	free(io);
	c->busy = false;
}

static void x_write_complete(struct x_io *io);

/* ---- commits: what ssc_md_commit does, on the engine ---- */

struct x_enc {
	uint64_t *ob, *dirty;
};

static void x_encode(const struct ssc_cache *c, uint64_t from, uint64_t to,
		     void *arg)
{
	struct x_enc *a = arg;
	uint32_t words = c->g.words;
	uint64_t w;

	for (w = from; w < to; w++) {
		a->ob[w] = c->ways[w].oblock;
		memcpy(a->dirty + w * words, ssc_bits(c, w, SSC_DIRTY),
		       words * sizeof(uint64_t));
	}
}

/* Wait for a commit (a flush, or a FUA write that needs one). */
static void x_commit_wait(struct x_io *io)
{
	io->cnext = X->cwait;
	X->cwait = io;
	if (!X->committing) {
		X->committing = true;
		x_work(W_COMMIT_RUN, NULL);
	}
}

static uint64_t x_md_end(uint64_t b)
{
	uint64_t end = (b + 1) * X->epm;

	return end < X->e.c.g.nr_ways ? end : X->e.c.g.nr_ways;
}

/*
 * A commit, as the target's ssc_md_commit: the devices hold every
 * completed write (no volatile caches here); only the metadata blocks
 * changed since the last commit are written, each one's bit cleared before
 * it is encoded, set by set under the set's lock; with nothing changed it
 * is a flush only. The metadata write is an event of its own.
 */
static void x_commit_run(void)
{
	struct x_enc a = { X->enc_ob, X->enc_dirty };
	struct x_event *v;
	uint64_t b, from, to;

	X->cwait_run = X->cwait;
	X->cwait = NULL;
	X->commit_empty = true;
	for (b = 0; b < X->md_blocks; b++) {
		X->committing_b[b] = X->changed[b];
		if (!X->changed[b])
			continue;
		X->changed[b] = false;
		X->commit_empty = false;
		for (from = b * X->epm; from < x_md_end(b); from = to) {
			to = (from / SSC_WAYS + 1) * SSC_WAYS;
			if (to > x_md_end(b))
				to = x_md_end(b);
			ssc_eng_md_encode(&X->e, from, to, x_encode, &a);
		}
	}
	v = x_push(EV_DEVIO);
	if (v) {
		v->cb = CB_MD_WRITE;
		v->dev = DEV_CACHE;
		v->write = true;
		v->n = 0;
	}
	x_note("commit: metadata encoded");
}

static void x_complete(struct x_io *io, bool error);

/* Metadata block @b as the commit in progress encoded it is durable. */
static void x_md_land(uint64_t b)
{
	const struct ssc_geom *g = &X->e.c.g;
	uint64_t from = b * X->epm, n = x_md_end(b) - from;

	memcpy(X->dur_ob + from, X->enc_ob + from, n * sizeof(uint64_t));
	memcpy(X->dur_dirty + from * g->words, X->enc_dirty + from * g->words,
	       n * g->words * sizeof(uint64_t));
}

static void x_commit_done(bool error)
{
	struct x_io *io, *next;
	uint64_t b;

	for (b = 0; b < X->md_blocks && !X->commit_empty; b++) {
		if (!X->committing_b[b])
			continue;
		if (!error) {
			x_md_land(b);
			ssc_eng_md_committed(&X->e, b * X->epm, x_md_end(b));
		} else {
			/*
			 * A failed commit may still have reached the disk,
			 * block by block; the target writes the blocks again
			 * at the next commit.
			 */
			if (x_chance(50))
				x_md_land(b);
			X->changed[b] = true;
		}
	}
	x_note("commit %s", error ? "failed" : "done");
	for (io = X->cwait_run; io; io = next) {
		next = io->cnext;
		if (error)
			io->err_ok = true;
		x_complete(io, error);
	}
	X->cwait_run = NULL;
	X->committing = false;
	if (X->cwait) {
		X->committing = true;
		x_work(W_COMMIT_RUN, NULL);
	}
}

/*
 * The crash-point check: what a restart after an instant power loss now
 * would read (the committed metadata's dirty data over the origin: a load
 * after a crash keeps only dirty blocks) must keep every write that
 * completed with FUA and every one that completed before a flush that
 * completed, and hold nothing but data of some write to the sector.
 */
static void x_crash_check(void)
{
	const struct ssc_geom *g = &X->e.c.g;
	uint64_t s, end = (uint64_t)X->cfg.hot_blocks * g->block_sectors;
	uint64_t w;

	x_note("crash-point check");
	for (s = 0; s < end && !X->failed; s++) {
		uint64_t ob = s >> g->block_shift;
		uint32_t sub = (uint32_t)((s & (g->block_sectors - 1)) >> g->sub_shift);
		uint32_t val = X->origin[s], i, f;
		struct x_sector *sec = &X->sec[s];
		uint64_t vtc = 0;

		for (w = 0; w < g->nr_ways; w++)
			if (X->dur_ob[w] == ob &&
			    (X->dur_dirty[w * g->words + sub / 64] >> (sub % 64) & 1)) {
				val = X->cache[ssc_way_sector(g, w) +
					       (s & (g->block_sectors - 1))];
				break;
			}
		if (val != X_INIT(s)) {
			struct x_write *y = val && val < X->nw ? &X->w[val] : NULL;

			if (!y || s < y->start || s >= y->start + y->n) {
				x_fail("crash now: sector %" PRIu64 " would hold %s, never written to it",
				       s, x_val_name(s, val));
				return;
			}
			vtc = y->tc ? y->tc : UINT64_MAX;
		}
		for (i = 0; i < sec->nw; i++) {
			struct x_write *d = &X->w[sec->w[i]];
			bool durable = d->ok && d->tc && d->fua;

			for (f = 0; !durable && f < X->nfl; f++)
				durable = d->ok && d->tc && X->fl[f].tc &&
					  d->tc < X->fl[f].ti;
			if (durable && sec->w[i] != val && vtc < d->ti) {
				x_fail("crash now: sector %" PRIu64 " would hold %s, but write %u (%s, completed at %" PRIu64 ") must survive",
				       s, x_val_name(s, val), sec->w[i],
				       d->fua ? "FUA" : "flushed", d->tc);
				return;
			}
		}
	}
}

static void x_exec(struct x_io *io, enum ssc_plan p)
{
	uint64_t t = io->sector;
	uint32_t *vals;
	uint32_t i;

	x_note("plan %d for io %p", (int)p, (void *)io);
	vals = malloc(io->nsect * sizeof(uint32_t));
	for (i = 0; i < io->nsect; i++)
		vals[i] = io->id;
	switch (p) {
	case SSC_PLAN_QUEUED:
		break;
	case SSC_PLAN_READ_CACHE:
		x_devio(CB_READ_HIT, io, DEV_CACHE, false,
			x_cache_sector(io->r.way, t), io->nsect, NULL);
		break;
	case SSC_PLAN_READ_ORIGIN:
		x_devio(CB_READ_MISS, io, DEV_ORIGIN, false, t, io->nsect, NULL);
		break;
	case SSC_PLAN_DEMAND_CLEAN:
		x_work(W_DEMAND, io);
		break;
	case SSC_PLAN_ORIGIN:
		x_devio(CB_ORIGIN, io, DEV_ORIGIN, true, t, io->nsect, vals);
		break;
	case SSC_PLAN_WRITE_ASYNC:
		io->pending = 2;
		io->cerr = io->oerr = false;
		x_devio(CB_HALF, io, DEV_ORIGIN, true, t, io->nsect, vals);
		x_work(W_ASYNC, io);
		break;
	case SSC_PLAN_WRITE_CACHE:
		io->pending = 1;
		io->cerr = io->oerr = false;
		/* the eager write-behind object may or may not be available */
		io->r.eager = (X->cfg.opts & SSC_OPT_EAGER_WRITEBACK) &&
			      x_chance(80);
		x_devio(CB_HALF, io, DEV_CACHE, true,
			x_cache_sector(io->r.way, t), io->nsect, vals);
		break;
	case SSC_PLAN_WRITE_BOTH:
		io->pending = 2;
		io->cerr = io->oerr = false;
		x_devio(CB_HALF, io, DEV_CACHE, true,
			x_cache_sector(io->r.way, t), io->nsect, vals);
		x_devio(CB_HALF, io, DEV_ORIGIN, true, t, io->nsect, vals);
		break;
	case SSC_PLAN_KILL:
	case SSC_PLAN_DONE:
	default:
		x_complete(io, true);
		break;
	}
	free(vals);
}

/* What the target's ssc_write_endio does: a commit first for some FUA writes. */
static void x_end_write(struct x_io *io)
{
	if (!io->oerr && io->r.need_commit) {
		io->r.need_commit = false;
		x_commit_wait(io);
		return;
	}
	x_complete(io, io->oerr);
}

/* Every half of a write is done: what the target's ssc_write_complete does. */
static void x_write_complete(struct x_io *io)
{
	struct ssc_fill_ref ref;
	struct x_event *v;

	io->r.cerr = io->cerr;
	io->r.oerr = io->oerr;
	switch (ssc_eng_write_end(&X->e, &io->r, &ref)) {
	case SSC_WEND_FALLBACK:
		io->cerr = false;
		x_work(W_FALLBACK, io);
		return;
	case SSC_WEND_LAZY:
		x_end_write(io);
		return;
	case SSC_WEND_BEHIND:
		v = x_push(EV_WORK);
		if (v) {
			v->cb = W_BEHIND;
			v->ref = ref;
			v->start = io->sector;
			v->n = io->nsect;
		}
		x_end_write(io);
		return;
	case SSC_WEND_COMPLETE:
		x_end_write(io);
		return;
	}
}

/* Start the copies of a job: runs of @dirty of @way, or one range. */
static void x_copy_start(struct x_job *job, uint64_t from, uint64_t to,
			 uint32_t n)
{
	struct x_copy *c = calloc(1, sizeof(*c));
	struct x_event *v;

	c->job = job;
	c->from = from;
	c->to = to;
	c->n = n;
	job->pending++;
	v = x_push(EV_DEVIO);
	if (!v)
		return;
	v->cb = CB_COPY_READ;
	v->dev = DEV_CACHE;
	v->start = from;
	v->n = n;
	v->data = malloc(n * sizeof(uint32_t));
	v->copy = c;
}

static void x_copy_runs(struct x_job *job, uint64_t way, uint64_t oblock,
			const uint64_t *dirty)
{
	const struct ssc_geom *g = &X->e.c.g;
	uint32_t a = 0, b;

	while (a < g->nsub) {
		if (!(dirty[a / 64] & (1ull << (a % 64)))) {
			a++;
			continue;
		}
		for (b = a; b < g->nsub && (dirty[b / 64] & (1ull << (b % 64))); b++)
			;
		x_copy_start(job, ssc_way_sector(g, way) + ((uint64_t)a << g->sub_shift),
			     (oblock << g->block_shift) + ((uint64_t)a << g->sub_shift),
			     (b - a) << g->sub_shift);
		a = b;
	}
}

static void x_job_done(struct x_job *job)
{
	unsigned int i;

	switch (job->type) {
	case JOB_DEMAND: {
		struct x_io *io = job->io;

		if (!job->error)
			ssc_eng_dirty_cleaned(&X->e, io->r.way,
					      job->items[0].snap);
		else
			io->err_ok = true;	/* the write-back it needs failed */
		x_exec(io, ssc_eng_demand_clean_end(&X->e, &io->r, job->error));
		break;
	}
	case JOB_CLEAN:
		for (i = 0; i < job->nitems; i++)
			ssc_eng_clean_end(&X->e, &job->items[i], !job->error);
		X->cleaning = false;
		break;
	case JOB_BEHIND:
		ssc_eng_wb_end(&X->e, &job->wb, !job->error);
		break;
	}
	free(job);
}

static bool x_io_fails(void)
{
	return X->cfg.err_pct && x_chance(X->cfg.err_pct);
}

static void x_run_devio(struct x_event *v)
{
	uint32_t *d = x_dev(v->dev);
	bool err = x_io_fails();
	struct x_io *io = v->io;
	struct ssc_fill_ref f;

	x_note("devio %s %s [%" PRIu64 "+%u] cb %d%s",
	       v->dev == DEV_ORIGIN ? "origin" : "cache",
	       v->write ? "write" : "read", v->start, v->n, (int)v->cb,
	       err ? " FAILS" : "");
	if (v->write) {
		/* a failed write may or may not have reached the device */
		if ((!err || x_chance(50)) && v->n)
			memcpy(d + v->start, v->data, v->n * sizeof(uint32_t));
	} else if (!err) {
		memcpy(v->data, d + v->start, v->n * sizeof(uint32_t));
	}
	/*
	 * Errors are counted by the engine where it sees them. An origin
	 * error may fail the I/O it belongs to; a cache error only where the
	 * cache holds the only copy of what a read needs.
	 */
	if (err && io && v->dev == DEV_ORIGIN)
		io->err_ok = true;
	if (err && io && v->cb == CB_READ_HIT &&
	    ssc_range_any(&X->e.c, io->r.way, SSC_DIRTY, io->r.first, io->r.n))
		io->err_ok = true;
	switch (v->cb) {
	case CB_MD_WRITE:
		x_commit_done(err);
		break;
	case CB_READ_HIT:
		if (!err)
			memcpy(io->buf, v->data, io->nsect * sizeof(uint32_t));
		switch (ssc_eng_read_hit_end(&X->e, &io->r, err)) {
		case SSC_PLAN_KILL:
			x_complete(io, true);
			break;
		case SSC_PLAN_READ_ORIGIN:
			x_devio(CB_READ_RETRY, io, DEV_ORIGIN, false,
				io->sector, io->nsect, NULL);
			break;
		default:
			x_complete(io, err);
			break;
		}
		break;
	case CB_READ_RETRY:
		if (!err)
			memcpy(io->buf, v->data, io->nsect * sizeof(uint32_t));
		ssc_eng_retry_end(&X->e, &io->r);
		x_complete(io, err);
		break;
	case CB_READ_MISS:
		if (!err)
			memcpy(io->buf, v->data, io->nsect * sizeof(uint32_t));
		if (ssc_eng_read_miss_end(&X->e, &io->r, err, &f)) {
			if (x_chance(5)) {
				/* no memory for the fill */
				ssc_eng_fill_end(&X->e, &f, false);
			} else {
				struct x_event *w = x_push(EV_WORK);

				if (w) {
					w->cb = W_FILL;
					w->ref = f;
					w->start = x_cache_sector(f.way, io->sector);
					w->n = io->nsect;
					w->data = malloc(io->nsect * sizeof(uint32_t));
					memcpy(w->data, io->buf,
					       io->nsect * sizeof(uint32_t));
				}
			}
		}
		x_complete(io, err);
		break;
	case CB_FILL_DONE:
		ssc_eng_fill_end(&X->e, &v->ref, !err);
		if (err)
			x_env_stat(&X->e, SSC_ST_CACHE_ERRORS);
		break;
	case CB_ORIGIN:
		io->oerr = err;
		if (ssc_eng_origin_end(&X->e, &io->r, err))
			x_commit_wait(io);
		else
			x_complete(io, err);
		break;
	case CB_HALF:
		if (err) {
			if (v->dev == DEV_CACHE)
				io->cerr = true;
			else
				io->oerr = true;
		}
		if (--io->pending == 0)
			x_write_complete(io);
		break;
	case CB_COPY_READ: {
		struct x_copy *c = v->copy;
		struct x_event *w;

		if (err) {
			c->job->error = true;
			if (--c->job->pending == 0)
				x_job_done(c->job);
			free(c);
			break;
		}
		w = x_push(EV_DEVIO);
		if (!w)
			break;
		w->cb = CB_COPY_WRITE;
		w->dev = DEV_ORIGIN;
		w->write = true;
		w->start = c->to;
		w->n = c->n;
		w->data = malloc(c->n * sizeof(uint32_t));
		memcpy(w->data, v->data, c->n * sizeof(uint32_t));
		w->copy = c;
		break;
	}
	case CB_COPY_WRITE: {
		struct x_copy *c = v->copy;

		if (err)
			c->job->error = true;
		if (--c->job->pending == 0)
			x_job_done(c->job);
		free(c);
		break;
	}
	default:
		x_fail("bad device callback %d", (int)v->cb);
		break;
	}
	free(v->data);
}

static void x_run_work(struct x_event *v)
{
	struct x_io *io = v->io;
	struct x_job *job;
	uint32_t *vals;
	uint32_t i;

	x_note("work %d", (int)v->cb);
	switch (v->cb) {
	case W_FILL: {
		struct x_event *d = x_push(EV_DEVIO);

		if (!d)
			break;
		d->cb = CB_FILL_DONE;
		d->dev = DEV_CACHE;
		d->write = true;
		d->start = v->start;
		d->n = v->n;
		d->data = v->data;	/* handed over */
		d->ref = v->ref;
		v->data = NULL;
		break;
	}
	case W_DEMAND:
		job = calloc(1, sizeof(*job));
		job->type = JOB_DEMAND;
		job->io = io;
		ssc_eng_dirty_snapshot(&X->e, io->r.way, job->items[0].snap);
		job->pending = 1;
		x_copy_runs(job, io->r.way, X->e.c.ways[io->r.way].oblock,
			    job->items[0].snap);
		if (--job->pending == 0)
			x_job_done(job);
		break;
	case W_FALLBACK:
		io->pending = 1;
		vals = malloc(io->nsect * sizeof(uint32_t));
		for (i = 0; i < io->nsect; i++)
			vals[i] = io->id;
		x_devio(CB_HALF, io, DEV_ORIGIN, true, io->sector, io->nsect,
			vals);
		free(vals);
		break;
	case W_ASYNC:
		if (ssc_eng_async_lookup(&X->e, &io->r)) {
			vals = malloc(io->nsect * sizeof(uint32_t));
			for (i = 0; i < io->nsect; i++)
				vals[i] = io->id;
			x_devio(CB_HALF, io, DEV_CACHE, true,
				x_cache_sector(io->r.way, io->sector),
				io->nsect, vals);
			free(vals);
		} else if (--io->pending == 0) {
			x_write_complete(io);
		}
		break;
	case W_COMMIT_RUN:
		x_commit_run();
		break;
	case W_BEHIND:
		job = calloc(1, sizeof(*job));
		job->type = JOB_BEHIND;
		job->wb = v->ref;
		job->pending = 1;
		x_copy_start(job, x_cache_sector(v->ref.way, v->start),
			     v->start, v->n);
		if (--job->pending == 0)
			x_job_done(job);
		break;
	default:
		x_fail("bad work %d", (int)v->cb);
		break;
	}
}

static void x_run_cleaner(void)
{
	struct x_job *job = calloc(1, sizeof(*job));
	unsigned int i;

	job->type = JOB_CLEAN;
	job->nitems = ssc_eng_clean_pick(&X->e, &X->clean_cursor, job->items,
					 1 + x_below(4));
	x_note("cleaner picks %u", job->nitems);
	if (!job->nitems) {
		free(job);
		X->cleaning = false;
		return;
	}
	X->cleaning = true;
	job->pending = 1;
	for (i = 0; i < job->nitems; i++)
		x_copy_runs(job, job->items[i].way, job->items[i].oblock,
			    job->items[i].snap);
	if (--job->pending == 0)
		x_job_done(job);
}

/* A client's next request: a random range of one block of the hot set. */
static void x_issue(int client, enum x_kind kind, uint64_t sector,
		    uint32_t nsect)
{
	struct x_io *io = calloc(1, sizeof(*io));
	bool fua;
	uint32_t i;

	io->client = client;
	io->kind = kind;
	io->sector = sector;
	io->nsect = nsect;
	io->buf = calloc(nsect ? nsect : 1, sizeof(uint32_t));
	X->step++;
	io->ti = X->step;
	if (kind == XK_FLUSH) {
		/* the target's ssc_map_flush */
		if (X->nfl == X->capfl) {
			X->capfl = X->capfl ? X->capfl * 2 : 16;
			X->fl = realloc(X->fl, X->capfl * sizeof(*X->fl));
		}
		io->id = X->nfl++;
		X->fl[io->id].ti = io->ti;
		X->fl[io->id].tc = 0;
		X->cl[client].busy = true;
		x_note("issue io %p flush (client %d)", (void *)io, client);
		if (ssc_eng_flush_commits(&X->e))
			x_commit_wait(io);
		else
			x_complete(io, false);
		return;
	}
	fua = kind != XK_READ && x_chance(10);
	if (kind != XK_READ) {
		struct x_write *w;

		if (X->nw == X->capw) {
			X->capw *= 2;
			X->w = realloc(X->w, X->capw * sizeof(*X->w));
		}
		io->id = X->nw++;
		w = &X->w[io->id];
		w->start = sector;
		w->n = nsect;
		w->ti = io->ti;
		w->tc = 0;
		w->ok = false;
		w->fua = fua;
		for (i = 0; i < nsect; i++)
			x_sector_add_write(&X->sec[sector + i], io->id);
	}
	X->cl[client].busy = true;
	ssc_eng_req_init(&X->e, &io->r,
			 kind == XK_READ ? SSC_OP_READ :
			 kind == XK_WRITE ? SSC_OP_WRITE : SSC_OP_DISCARD,
			 sector, nsect, fua);
	x_note("issue io %p %s [%" PRIu64 "+%u] (client %d)%s", (void *)io,
	       kind == XK_READ ? "read" : kind == XK_WRITE ? "write" : "zeroes",
	       sector, nsect, client, io->r.fua ? " fua" : "");
	x_exec(io, ssc_eng_map(&X->e, &io->r));
}

static void x_issue_random(int client)
{
	const uint32_t bs = X->cfg.block_sectors;
	uint64_t block = x_below(X->cfg.hot_blocks);
	uint32_t off = x_below(bs), n = 1 + x_below(bs - off);
	uint32_t k = x_below(100);
	enum x_kind kind = k < 50 ? XK_READ : k < 92 ? XK_WRITE :
			   k < 96 ? XK_ZERO : XK_FLUSH;

	if (x_chance(30)) {		/* whole blocks are common */
		off = 0;
		n = bs;
	}
	if (kind == XK_FLUSH)
		n = 0;
	x_issue(client, kind, block * bs + off, n);
}

/* ------------------------------------------------------------ schedules */

static ucontext_t x_sched_ctx;
static struct x_task *x_cur;

static void x_yield(struct x_task *t)
{
	swapcontext(&t->ctx, &x_sched_ctx);
}

static void x_lock_wait(struct ssc_spinlock *l)
{
	struct x_task *t = x_cur;

	if (!t) {
		if (l->held)
			x_fail("a lock is held while no task runs");
		return;
	}
	if (l->held && l->owner == t) {
		x_fail("a task takes a lock it holds (self-deadlock)");
		printf("ssc-explore: %s\n", X->why);
		abort();
	}
	if (X->cfg.preempt && x_chance(X->cfg.preempt))
		x_yield(t);
	while (l->held) {
		t->wait = l;
		x_yield(t);
	}
	t->wait = NULL;
	l->owner = t;
}

static void x_task_main(void)
{
	struct x_task *t = x_cur;
	struct x_event *v = &t->ev;

	switch (t->act) {
	case ACT_EVENT:
		if (v->type == EV_MAP)
			x_exec(v->io, ssc_eng_map(&X->e, &v->io->r));
		else if (v->type == EV_DEVIO)
			x_run_devio(v);
		else if (v->type == EV_WORK)
			x_run_work(v);
		if (v->type != EV_DEVIO)
			free(v->data);
		break;
	case ACT_ISSUE:
		x_issue_random(t->client);
		break;
	case ACT_CLEANER:
		x_run_cleaner();
		break;
	}
	t->done = true;
}

/* Run @t until it ends or yields. */
static void x_switch(struct x_task *t)
{
	x_cur = t;
	swapcontext(&x_sched_ctx, &t->ctx);
	x_cur = NULL;
	if (t->done) {
		free(t->stack);
		free(t);
		return;
	}
	if (X->ntasks == X_MAX_TASKS) {
		x_fail("too many preempted tasks");
		return;
	}
	X->tasks[X->ntasks++] = t;
}

static void x_start(enum x_act act, const struct x_event *v, int client)
{
	struct x_task *t = calloc(1, sizeof(*t));

	t->act = act;
	if (v)
		t->ev = *v;
	t->client = client;
	t->stack = malloc(X_STACK);
	getcontext(&t->ctx);
	t->ctx.uc_stack.ss_sp = t->stack;
	t->ctx.uc_stack.ss_size = X_STACK;
	t->ctx.uc_link = &x_sched_ctx;
	makecontext(&t->ctx, x_task_main, 0);
	X->step++;
	x_switch(t);
	x_check_unique();
}

/* Run one step chosen by the seed; false when nothing is left to run. */
static bool x_step(void)
{
	unsigned int i, n = 0;
	struct x_event v;
	bool tick;
	int c;

	/* the tick only while clients run (the end must come) */
	X->active = false;
	for (c = 0; c < X->cfg.clients; c++)
		if (X->cl[c].busy || X->cl[c].left)
			X->active = true;
	if (X->crash_pct && x_chance(X->crash_pct))
		x_crash_check();
	/* clients, cleaner and detach are choices too, when possible */
	for (c = 0; c < X->cfg.clients; c++)
		if (!X->cl[c].busy && X->cl[c].left)
			n++;
	if (!X->cleaning && ssc_counter_read(&X->e.c.nr_dirty))
		n++;
	if (X->cfg.detach && !X->e.detached)
		n++;
	tick = !X->committing && X->active && x_chance(10) &&
	       ssc_eng_flush_commits(&X->e);
	if (tick)
		n++;			/* the periodic commit (the tick) */
	n += X->nev + X->ntasks;
	if (!n)
		return false;
	i = x_below(n);
	if (i < X->ntasks) {
		struct x_task *t = X->tasks[i];

		X->tasks[i] = X->tasks[--X->ntasks];
		if (t->wait && t->wait->held) {
			if (++X->spins > X_MAX_SPINS)
				x_fail("deadlock: tasks wait for locks nobody releases");
		} else {
			X->spins = 0;
		}
		x_switch(t);
		x_check_unique();
		return true;
	}
	i -= X->ntasks;
	if (i < X->nev) {
		v = X->ev[i];
		X->ev[i] = X->ev[--X->nev];
		x_start(ACT_EVENT, &v, 0);
		return true;
	}
	i -= X->nev;
	for (c = 0; c < X->cfg.clients; c++) {
		if (X->cl[c].busy || !X->cl[c].left)
			continue;
		if (!i--) {
			X->cl[c].left--;
			X->cl[c].busy = true;
			x_start(ACT_ISSUE, NULL, c);
			return true;
		}
	}
	if (!X->cleaning && ssc_counter_read(&X->e.c.nr_dirty)) {
		if (!i--) {
			X->cleaning = true;
			x_start(ACT_CLEANER, NULL, 0);
			return true;
		}
	}
	if (X->cfg.detach && !X->e.detached && !i--) {
		X->step++;
		SSC_WRITE_ONCE(X->e.detached, true);
		x_note("detach");
		return true;
	}
	if (tick && !i--) {
		X->committing = true;
		x_work(W_COMMIT_RUN, NULL);
	}
	return true;
}

static void x_check_idle(void)
{
	const struct ssc_cache *c = &X->e.c;
	uint64_t w;
	uint32_t s;
	int k;

	for (k = 0; k < X->cfg.clients; k++)
		if (X->cl[k].busy) {
			x_fail("hang: client %d's request never completed", k);
			return;
		}
	for (s = 0; s <= X->e.stripe_mask; s++)
		if (!ssc_lock_idle(&X->e.stripes[s].st) ||
		    X->e.stripes[s].wait_head) {
			x_fail("stripe %u not idle at the end", s);
			return;
		}
	for (w = 0; w < c->g.nr_ways; w++)
		if (c->ways[w].busy || c->ways[w].fills ||
		    ssc_way_any(c, w, SSC_INFLIGHT)) {
			x_fail("way %" PRIu64 " busy %u fills %u at the end", w,
			       c->ways[w].busy, c->ways[w].fills);
			return;
		}
	if (X->cwrites)
		x_fail("%" PRId64 " cache writes still counted", X->cwrites);
}

static void x_run_all(void)
{
	while (!X->failed && x_step())
		;
}

/* The final pass: clean everything, read every hot sector, check the origin. */
static void x_final(void)
{
	const uint32_t bs = X->cfg.block_sectors;
	uint64_t b, s, end = (uint64_t)X->cfg.hot_blocks * bs;
	int guard = 0;

	/* errors off: the cleaner must now write everything back */
	X->cfg.err_pct = 0;
	while (!X->failed && ssc_counter_read(&X->e.c.nr_dirty) && guard++ < 64) {
		if (!X->cleaning)
			x_start(ACT_CLEANER, NULL, 0);
		x_run_all();
	}
	if (X->failed)
		return;
	if (ssc_counter_read(&X->e.c.nr_dirty)) {
		x_fail("the cleaner does not get the cache clean");
		return;
	}
	for (s = 0; s < end; s++) {
		const char *why;

		X->step++;
		if (!x_allowed(s, X->origin[s], X->step, X->step + 1, &why)) {
			x_fail("after cleaning, origin sector %" PRIu64 " holds %s: %s",
			       s, x_val_name(s, X->origin[s]), why);
			return;
		}
	}
	for (b = 0; b < X->cfg.hot_blocks && !X->failed; b++) {
		X->cl[0].left = 0;
		x_issue(0, XK_READ, b * bs, bs);
		x_run_all();
	}
}

static void x_cfg_random(struct x_cfg *c)
{
	static const uint32_t opt_bits[] = {
		SSC_OPT_ASYNC_LOOKUP, SSC_OPT_QUEUE_BUSY,
		SSC_OPT_SKIP_WRITE_INSERT, SSC_OPT_EVICT_ON_WRITE,
		SSC_OPT_EAGER_WRITEBACK, SSC_OPT_DISABLE_WRITEBACK,
	};
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->mode = (enum ssc_mode)x_below(3);
	if (x_chance(30))
		c->mode = SSC_WRITEBACK;
	c->policy = (enum ssc_policy)x_below(3);	/* lfu, lru, adaptive */
	for (i = 0; i < sizeof(opt_bits) / sizeof(opt_bits[0]); i++)
		if (x_chance(i == 5 ? 5 : 25))
			c->opts |= opt_bits[i];
	c->block_sectors = 4u << x_below(3);		/* 4, 8, 16 */
	c->sets = 1 + x_below(3);
	c->assoc = 1 + x_below(2);
	c->origin_blocks = c->sets * 16 * 2 + x_below(16);
	c->hot_blocks = 2 + x_below(c->sets * 16 + 12);
	if (c->hot_blocks > c->origin_blocks)
		c->hot_blocks = c->origin_blocks;
	c->clients = 1 + x_below(X_MAX_CLIENTS);
	if (x_chance(30)) {
		/* contention: several clients on one to three blocks */
		c->hot_blocks = 1 + x_below(3);
		c->clients = 2 + x_below(X_MAX_CLIENTS - 1);
	}
	c->ops = 8 + x_below(40);
	c->err_pct = x_chance(25) ? 1 + x_below(5) : 0;
	if (x_chance(10))
		c->err_pct = 10 + x_below(16);	/* a failing device */
	c->detach = x_chance(10);
	c->preempt = x_chance(20) ? 0 : 1 + x_below(50);
}

/* Run the schedule of @seed; returns 0 if it passed. */
static int x_schedule(uint64_t seed, bool trace, bool quiet)
{
	struct x_sim *s = calloc(1, sizeof(*s));
	struct ssc_config cfg = { 0 };
	const char *err;
	struct ssc_geom g;
	uint64_t i;
	int k, r;

	X = s;
	s->trace = trace;
	x_rng = seed;
	x_cfg_random(&s->cfg);
	cfg.block_sectors = s->cfg.block_sectors;
	cfg.assoc = s->cfg.assoc;
	s->origin_sect = (uint64_t)s->cfg.origin_blocks * s->cfg.block_sectors;
	s->cache_sect = (uint64_t)s->cfg.sets * SSC_WAYS * s->cfg.block_sectors;
	if (ssc_geom_init(&g, &cfg, s->origin_sect, s->cache_sect, 512, &err)) {
		fprintf(stderr, "ssc-explore: geometry: %s\n", err);
		exit(2);
	}
	/* few stripes, so that blocks share them as in a big cache */
	r = ssc_eng_init(&s->e, &g, s->cfg.policy, s->cfg.mode, s->cfg.opts,
			 1u << x_below(4), ssc_user_zalloc, NULL);
	if (r) {
		fprintf(stderr, "ssc-explore: engine setup failed (%d)\n", r);
		exit(2);
	}
	s->ops.stat = x_env_stat;
	s->ops.md_changed = x_env_md_changed;
	s->ops.requeue = x_env_requeue;
	s->ops.cwrite_get = x_env_cwrite_get;
	s->ops.cwrite_put = x_env_cwrite_put;
	s->e.env = &s->ops;
	s->origin = calloc(s->origin_sect, sizeof(uint32_t));
	s->cache = calloc(s->cache_sect, sizeof(uint32_t));
	for (i = 0; i < s->origin_sect; i++)
		s->origin[i] = X_INIT(i);
	for (i = 0; i < s->cache_sect; i++)
		s->cache[i] = X_POISON;
	s->dur_ob = calloc(g.nr_ways, sizeof(uint64_t));
	s->enc_ob = calloc(g.nr_ways, sizeof(uint64_t));
	s->dur_dirty = calloc(g.nr_ways * g.words, sizeof(uint64_t));
	s->enc_dirty = calloc(g.nr_ways * g.words, sizeof(uint64_t));
	for (i = 0; i < g.nr_ways; i++)
		s->dur_ob[i] = s->enc_ob[i] = SSC_NO_BLOCK;
	/* small metadata blocks, so that some cut a set in two */
	s->epm = 1 + x_below(ssc_entries_per_md(g.words) < 24 ?
			     ssc_entries_per_md(g.words) : 24);
	s->md_blocks = (g.nr_ways + s->epm - 1) / s->epm;
	s->changed = calloc(s->md_blocks, sizeof(bool));
	s->committing_b = calloc(s->md_blocks, sizeof(bool));
	/* crash-point checks at random moments of most schedules */
	if (x_chance(70))
		s->crash_pct = 1 + x_below(5);
	s->sec = calloc(s->origin_sect, sizeof(*s->sec));
	s->capw = 64;
	s->w = calloc(s->capw, sizeof(*s->w));
	s->nw = 1;			/* id 0: the initial content */
	for (k = 0; k < s->cfg.clients; k++)
		s->cl[k].left = s->cfg.ops;
	if (trace)
		printf("seed %" PRIu64 ": mode %s policy %s opts 0x%x block %u sets %u assoc %u origin %u hot %u clients %d ops %d errors %u%% detach %d preempt %u%% stripes %u\n",
		       seed, ssc_mode_name(s->cfg.mode),
		       ssc_policy_name(s->cfg.policy), s->cfg.opts,
		       s->cfg.block_sectors, s->cfg.sets, s->cfg.assoc,
		       s->cfg.origin_blocks, s->cfg.hot_blocks, s->cfg.clients,
		       s->cfg.ops, s->cfg.err_pct, s->cfg.detach,
		       s->cfg.preempt, s->e.stripe_mask + 1);

	ssc_env_lock_wait = x_lock_wait;
	x_run_all();
	if (!s->failed)
		x_check_idle();
	if (!s->failed)
		x_final();
	if (!s->failed)
		x_check_idle();

	r = s->failed;
	if (r && !quiet) {
		uint64_t from = s->nlog > X_LOG ? s->nlog - X_LOG : 0;

		printf("ssc-explore: seed %" PRIu64 " FAILED: %s\n", seed, s->why);
		printf("  mode %s policy %s opts 0x%x block %u sets %u assoc %u origin %u hot %u clients %d errors %u%% detach %d preempt %u%%\n",
		       ssc_mode_name(s->cfg.mode), ssc_policy_name(s->cfg.policy),
		       s->cfg.opts, s->cfg.block_sectors, s->cfg.sets,
		       s->cfg.assoc, s->cfg.origin_blocks, s->cfg.hot_blocks,
		       s->cfg.clients, s->cfg.err_pct, s->cfg.detach,
		       s->cfg.preempt);
		if (!trace) {
			printf("  last events (replay: ssc-explore --seed %" PRIu64 " --trace):\n", seed);
			for (i = from; i < s->nlog; i++)
				printf("  %s\n", s->log[i % X_LOG]);
		}
	}
	for (i = 0; i < s->nev; i++)
		free(s->ev[i].data);
	for (i = 0; i < s->ntasks; i++) {
		free(s->tasks[i]->stack);
		free(s->tasks[i]);
	}
	for (i = 0; i < s->origin_sect; i++) {
		free(s->sec[i].w);
		free(s->sec[i].r);
	}
	free(s->sec);
	free(s->w);
	free(s->fl);
	free(s->changed);
	free(s->committing_b);
	free(s->dur_ob);
	free(s->enc_ob);
	free(s->dur_dirty);
	free(s->enc_dirty);
	free(s->origin);
	free(s->cache);
	ssc_eng_exit(&s->e, ssc_user_release, NULL);
	free(s);
	X = NULL;
	return r;
}

/* ------------------------------------------------------------ main */

static double x_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ssc-explore [--seconds S] [--schedules N] [--first SEED]\n"
		"       ssc-explore --seed SEED [--trace]\n"
		"Run seeded schedules of the I/O engine against the contract;\n"
		"exit 1 at the first failing seed (printed with how to replay it).\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 't' },
		{ "schedules", required_argument, NULL, 'n' },
		{ "first", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 's' },
		{ "trace", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double seconds = 0, t0;
	uint64_t n = 0, first = 1, seed = 0, done = 0;
	bool one = false, trace = false;
	int o;

	while ((o = getopt_long(argc, argv, "t:n:f:s:Th", lo, NULL)) != -1) {
		switch (o) {
		case 't':
			seconds = atof(optarg);
			break;
		case 'n':
			n = strtoull(optarg, NULL, 0);
			break;
		case 'f':
			first = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			one = true;
			break;
		case 'T':
			trace = true;
			break;
		default:
			usage();
		}
	}
	if (one)
		return x_schedule(seed, trace, false) ? 1 : 0;
	if (!seconds && !n)
		seconds = 5;
	t0 = x_now();
	for (seed = first;; seed++) {
		if (x_schedule(seed, false, false)) {
			printf("ssc-explore: FAIL after %" PRIu64 " schedules (%.1f s)\n",
			       done, x_now() - t0);
			return 1;
		}
		done++;
		if (n && done >= n)
			break;
		if (seconds && !(done & 63) && x_now() - t0 >= seconds)
			break;
	}
	printf("ssc-explore: %" PRIu64 " schedules passed in %.1f s (%.0f per second), seeds %" PRIu64 "..%" PRIu64 "\n",
	       done, x_now() - t0, done / (x_now() - t0), first, first + done - 1);
	return 0;
}
