// SPDX-License-Identifier: GPL-2.0
/*
 * ssct_regcheck.c - the register checker (see ssct_regcheck.h for the rule).
 *
 * The I/O threads only log: a write takes an id before its syscall and
 * records its times after it; a read decodes each sector it got into the
 * value it names (run-length coded; sectors that are not a clean value are
 * copied aside). rc_check() then judges every read offline, in one sweep
 * over the events of the history in time order:
 *   read issued      judge each sector against the state of that instant
 *   write completed  (successful) from now on it supersedes older values
 *   read completed   from now on its values bound later reads
 * with, per sector, the latest issue time of a completed successful write
 * and the two latest issue times of completed reads that returned
 * different values. At equal times the judgement comes first: equal clock
 * readings do not prove an order.
 */
#define _GNU_SOURCE
#include "ssct_regcheck.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RC_MAGIC	0x4b43474552435353ull	/* "SSCREGCK" */
#define RC_WCHUNK_SHIFT	16
#define RC_WCHUNKS	65536
#define RC_RAW_MAX	8192		/* sectors kept aside (4 MiB) */
#define T_MIN		INT64_MIN
#define T_MAX		INT64_MAX

struct rc_hdr {
	uint64_t magic;
	uint64_t tag;
	uint64_t sector;
	uint32_t id;
	uint32_t thread;
};

uint64_t rc_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t filler_base(uint64_t sector, const struct rc_val *v)
{
	return rc_mix64(v->tag ^ rc_mix64(sector ^ rc_mix64(((uint64_t)v->id << 32) | v->thread)));
}

void rc_fill_sector(uint8_t *p, uint64_t sector, const struct rc_val *v)
{
	struct rc_hdr h = { RC_MAGIC, v->tag, sector, v->id, v->thread };
	uint64_t base = filler_base(sector, v), w;
	size_t k;

	memcpy(p, &h, sizeof(h));
	for (k = sizeof(h); k < RC_SECTOR; k += 8) {
		w = base + k * 0x9e3779b97f4a7c15ull;
		memcpy(p + k, &w, 8);
	}
}

int rc_sector_is(const uint8_t *p, uint64_t sector, const struct rc_val *v)
{
	struct rc_hdr h;
	uint64_t base, w;
	size_t k;

	memcpy(&h, p, sizeof(h));
	if (h.magic != RC_MAGIC || h.tag != v->tag || h.sector != sector ||
	    h.id != v->id || h.thread != v->thread)
		return 0;
	base = filler_base(sector, v);
	for (k = sizeof(h); k < RC_SECTOR; k += 8) {
		w = base + k * 0x9e3779b97f4a7c15ull;
		if (memcmp(p + k, &w, 8))
			return 0;
	}
	return 1;
}

int rc_sector_decode(const uint8_t *p, uint64_t *sector, struct rc_val *v)
{
	struct rc_hdr h;

	memcpy(&h, p, sizeof(h));
	*sector = h.sector;
	v->tag = h.tag;
	v->id = h.id;
	v->thread = h.thread;
	return h.magic == RC_MAGIC && rc_sector_is(p, h.sector, v);
}

int64_t rc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p) {
		fprintf(stderr, "regcheck: out of memory\n");
		exit(2);
	}
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "regcheck: out of memory\n");
		exit(2);
	}
	return p;
}

struct rc_log *rc_log_new(const struct rc_params *p, const struct rc_val *init)
{
	struct rc_log *l = xcalloc(1, sizeof(*l));

	l->p = *p;
	if (l->p.nthreads > RC_MAX_THREADS)
		l->p.nthreads = RC_MAX_THREADS;
	l->init = init;
	l->t0 = rc_now();
	pthread_mutex_init(&l->lock, NULL);
	l->wchunk = xcalloc(RC_WCHUNKS, sizeof(*l->wchunk));
	return l;
}

void rc_log_free(struct rc_log *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < RC_WCHUNKS; i++)
		free(l->wchunk[i]);
	free(l->wchunk);
	for (i = 0; i < RC_MAX_THREADS; i++) {
		free(l->thr[i].reads);
		free(l->thr[i].runs);
	}
	free(l->raw);
	free(l->raw_sector);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

struct rc_write *rc_write_get(struct rc_log *l, uint32_t id)
{
	return &l->wchunk[id >> RC_WCHUNK_SHIFT][id & ((1u << RC_WCHUNK_SHIFT) - 1)];
}

uint32_t rc_write_begin(struct rc_log *l, uint32_t thread, uint64_t start, uint32_t nsect)
{
	struct rc_write *w;
	uint32_t id;

	pthread_mutex_lock(&l->lock);
	id = ++l->nwrites;
	if (id >= RC_RAW || (id >> RC_WCHUNK_SHIFT) >= RC_WCHUNKS) {
		fprintf(stderr, "regcheck: too many writes\n");
		exit(2);
	}
	if (!l->wchunk[id >> RC_WCHUNK_SHIFT])
		l->wchunk[id >> RC_WCHUNK_SHIFT] =
			xcalloc((size_t)1 << RC_WCHUNK_SHIFT, sizeof(struct rc_write));
	w = rc_write_get(l, id);
	w->start = start;
	w->nsect = nsect;
	w->thread = (uint16_t)thread;
	w->state = RC_W_INFLIGHT;
	pthread_mutex_unlock(&l->lock);
	return id;
}

void rc_write_end(struct rc_log *l, uint32_t id, int64_t ti, int64_t tc, int ok)
{
	struct rc_write *w = rc_write_get(l, id);

	w->ti = ti - l->t0;
	w->tc = tc - l->t0;
	w->state = ok ? RC_W_OK : RC_W_FAILED;
	l->thr[w->thread].nwrites++;
	if (!ok)
		l->thr[w->thread].nwrites_failed++;
}

void rc_write_fill(struct rc_log *l, uint32_t id, uint8_t *buf)
{
	struct rc_write *w = rc_write_get(l, id);
	struct rc_val v = { l->p.tag, id, w->thread };
	uint32_t k;

	for (k = 0; k < w->nsect; k++)
		rc_fill_sector(buf + (size_t)k * RC_SECTOR, w->start + k, &v);
}

static uint32_t keep_raw(struct rc_log *l, uint64_t sector, const uint8_t *p)
{
	uint32_t code = RC_RAW_LOST;

	pthread_mutex_lock(&l->lock);
	if (l->nraw < RC_RAW_MAX) {
		if (l->nraw == l->capraw) {
			l->capraw = l->capraw ? 2 * l->capraw : 64;
			l->raw = xrealloc(l->raw, (size_t)l->capraw * RC_SECTOR);
			l->raw_sector = xrealloc(l->raw_sector, l->capraw * sizeof(uint64_t));
		}
		memcpy(l->raw + (size_t)l->nraw * RC_SECTOR, p, RC_SECTOR);
		l->raw_sector[l->nraw] = sector;
		code = RC_RAW | l->nraw++;
	} else {
		l->raw_lost++;
	}
	pthread_mutex_unlock(&l->lock);
	return code;
}

static void add_run(struct rc_thread_log *t, struct rc_read *r, uint32_t code, uint32_t thread)
{
	struct rc_run *last = r->nrun ? &t->runs[t->nruns - 1] : NULL;

	if (last && !(code & RC_RAW) && last->code == code && last->thread == thread) {
		last->n++;
		return;
	}
	if (t->nruns == t->capruns) {
		t->capruns = t->capruns ? 2 * t->capruns : 4096;
		t->runs = xrealloc(t->runs, t->capruns * sizeof(*t->runs));
	}
	t->runs[t->nruns].n = 1;
	t->runs[t->nruns].code = code;
	t->runs[t->nruns].thread = thread;
	t->nruns++;
	r->nrun++;
}

void rc_read_log(struct rc_log *l, uint32_t thread, uint64_t start, uint32_t nsect,
		 int64_t ti, int64_t tc, int ok, const uint8_t *buf, int final)
{
	struct rc_thread_log *t = &l->thr[thread];
	struct rc_read *r;
	uint32_t k;

	if (t->nreads == t->capreads) {
		t->capreads = t->capreads ? 2 * t->capreads : 1024;
		t->reads = xrealloc(t->reads, t->capreads * sizeof(*t->reads));
	}
	r = &t->reads[t->nreads++];
	memset(r, 0, sizeof(*r));
	r->start = start;
	r->nsect = nsect;
	r->thread = (uint16_t)thread;
	r->ok = !!ok;
	r->final = !!final;
	r->ti = ti - l->t0;
	r->tc = tc - l->t0;
	r->run0 = t->nruns;
	if (!ok) {
		t->nreads_failed++;
		return;
	}
	for (k = 0; k < nsect; k++) {
		const uint8_t *p = buf + (size_t)k * RC_SECTOR;
		uint64_t s = start + k;
		struct rc_hdr h;

		memcpy(&h, p, sizeof(h));
		if (h.magic == RC_MAGIC && h.tag == l->p.tag && h.sector == s && h.id &&
		    h.id < RC_RAW && h.thread < RC_MAX_THREADS) {
			struct rc_val v = { h.tag, h.id, h.thread };

			if (rc_sector_is(p, s, &v)) {
				add_run(t, r, h.id, h.thread);
				continue;
			}
		}
		if (l->init && s >= l->p.start && s - l->p.start < l->p.nsect &&
		    l->init[s - l->p.start].tag &&
		    rc_sector_is(p, s, &l->init[s - l->p.start])) {
			add_run(t, r, 0, RC_NO_THREAD);
			continue;
		}
		add_run(t, r, keep_raw(l, s, p), RC_NO_THREAD);
	}
}

/* ---------------------------------------------------------------- the check */

enum { EV_CHECK, EV_WDONE, EV_INSERT };

struct rc_event {
	int64_t t;
	uint32_t idx;		/* read index in its thread, or write id */
	uint8_t kind;
	uint8_t thread;
};

enum rc_kind {
	K_OK, K_TORN, K_STALE, K_OLDER, K_NOT_WRITTEN, K_FUTURE, K_OTHER_SECTOR,
	K_OTHER_RUN, K_GARBAGE,
};

static const char *const kind_text[] = {
	[K_STALE] = "stale: a write to this sector completed before the read was issued, after the value returned had completed",
	[K_OLDER] = "older than what an earlier read (completed before this one was issued) returned",
	[K_NOT_WRITTEN] = "a value never written to this sector",
	[K_FUTURE] = "the value of a write issued after the read completed",
	[K_OTHER_SECTOR] = "another sector's data",
	[K_OTHER_RUN] = "data of another run (neither this run's writes nor the initial content)",
	[K_GARBAGE] = "garbage (not a value any write produced, nor a mix of values in flight)",
};

struct sect_state {
	int64_t m;		/* latest issue of a completed successful write */
	int64_t b1i, b2i;	/* latest issues of completed reads with distinct values */
	uint32_t mid;		/* that write */
	uint32_t b1v;		/* b1's value */
	uint64_t b1r, b2r;	/* those reads (thread << 32 | index) */
};

struct checker {
	struct rc_log *l;
	FILE *out;
	struct rc_report *rep;
	struct sect_state *st;
	/* writes covering each sector (built when a report or a torn sector needs it) */
	uint64_t *wl_first;
	uint32_t *wl;
	int reports;
	/* the violation group being reported */
	int gkind;
	uint64_t gread, gfirst, glast;
	uint32_t gcode;
};

static int ev_cmp(const void *a, const void *b)
{
	const struct rc_event *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static struct rc_read *read_of(struct rc_log *l, uint64_t ref)
{
	return &l->thr[ref >> 32].reads[(uint32_t)ref];
}

static double ms(int64_t t)
{
	return (double)t / 1e6;
}

static void build_write_lists(struct checker *c)
{
	struct rc_log *l = c->l;
	uint64_t n = l->p.nsect, i, *fill;
	uint32_t id, k;

	if (c->wl_first)
		return;
	c->wl_first = xcalloc(n + 1, sizeof(uint64_t));
	for (id = 1; id <= l->nwrites; id++) {
		struct rc_write *w = rc_write_get(l, id);

		for (k = 0; k < w->nsect; k++)
			if (w->start + k >= l->p.start && w->start + k - l->p.start < n)
				c->wl_first[w->start + k - l->p.start + 1]++;
	}
	for (i = 0; i < n; i++)
		c->wl_first[i + 1] += c->wl_first[i];
	c->wl = xcalloc(c->wl_first[n], sizeof(uint32_t));
	fill = xcalloc(n, sizeof(uint64_t));
	for (id = 1; id <= l->nwrites; id++) {
		struct rc_write *w = rc_write_get(l, id);

		for (k = 0; k < w->nsect; k++) {
			uint64_t s = w->start + k;

			if (s >= l->p.start && s - l->p.start < n) {
				i = s - l->p.start;
				c->wl[c->wl_first[i] + fill[i]++] = id;
			}
		}
	}
	free(fill);
}

/* completion time of a write as the rules see it */
static int64_t w_tc(const struct rc_write *w)
{
	return w->state == RC_W_INFLIGHT ? T_MAX : w->tc;
}

static const char *w_state(const struct rc_write *w)
{
	return w->state == RC_W_OK ? "ok" : w->state == RC_W_FAILED ? "FAILED" : "in flight";
}

static void print_write(struct checker *c, uint32_t id, const char *mark)
{
	struct rc_write *w = rc_write_get(c->l, id);

	fprintf(c->out, "    W#%-7u thread %-2u sectors %" PRIu64 "+%-4u issued %10.3f ms completed %10.3f ms %s%s\n",
		id, w->thread, w->start, w->nsect, ms(w->ti), ms(w->tc), w_state(w), mark);
}

static void print_value(struct checker *c, uint64_t s, uint32_t code, uint32_t thread)
{
	struct rc_log *l = c->l;

	if (code == 0) {
		const struct rc_val *v = &l->init[s - l->p.start];

		fprintf(c->out, "the initial content (tag %016" PRIx64 " write %u thread %u)",
			v->tag, v->id, v->thread);
	} else if (code == RC_RAW_LOST) {
		fprintf(c->out, "a sector that is not a clean value (not kept: too many)");
	} else if (code & RC_RAW) {
		const uint8_t *p = l->raw + (size_t)(code & ~RC_RAW) * RC_SECTOR;
		struct rc_val v;
		uint64_t hs;
		int k;

		if (rc_sector_decode(p, &hs, &v)) {
			fprintf(c->out, "the content of sector %" PRIu64 " written by tag %016" PRIx64
				" write %u thread %u", hs, v.tag, v.id, v.thread);
		} else {
			fprintf(c->out, "bytes");
			for (k = 0; k < 16; k++)
				fprintf(c->out, " %02x", p[k]);
			fprintf(c->out, " ... (header: sector %" PRIu64 " tag %016" PRIx64 " write %u thread %u)",
				hs, v.tag, v.id, v.thread);
		}
	} else {
		struct rc_write *w = code <= l->nwrites ? rc_write_get(l, code) : NULL;

		fprintf(c->out, "W#%u of thread %u", code, thread);
		if (w)
			fprintf(c->out, " (sectors %" PRIu64 "+%u, issued %.3f ms, completed %.3f ms, %s)",
				w->start, w->nsect, ms(w->ti), ms(w->tc), w_state(w));
	}
}

static void print_read(struct checker *c, const char *what, uint64_t ref)
{
	struct rc_read *r = read_of(c->l, ref);

	fprintf(c->out, "  %s: thread %u sectors %" PRIu64 "+%u issued %.3f ms completed %.3f ms%s\n",
		what, r->thread, r->start, r->nsect, ms(r->ti), ms(r->tc),
		r->final ? " (final pass)" : "");
}

/* The history of sector @s around read @ref: the writes to it, marked. */
static void print_history(struct checker *c, uint64_t ref, uint64_t s, uint32_t code,
			  uint32_t thread, int kind, uint32_t superseder, uint64_t earlier)
{
	struct rc_log *l = c->l;
	struct rc_read *r = read_of(l, ref);
	uint64_t i = s - l->p.start, a, b, j, nafter = 0;
	const uint32_t bs = l->p.block_sect ? l->p.block_sect : 1;

	fprintf(c->out, "VIOLATION: sector %" PRIu64 " (cache block %" PRIu64 " + %" PRIu64 " of %u sectors): %s\n",
		s, s / bs, s % bs, bs, kind_text[kind]);
	print_read(c, "read", ref);
	fprintf(c->out, "  returned ");
	print_value(c, s, code, thread);
	fprintf(c->out, "\n");
	if (superseder) {
		fprintf(c->out, "  but this write completed before the read was issued:\n");
		print_write(c, superseder, "");
	}
	if (earlier != UINT64_MAX) {
		struct rc_read *o = read_of(l, earlier);
		uint32_t k, n = 0;

		print_read(c, "earlier read", earlier);
		/* what it returned for this sector */
		for (k = 0; k < o->nrun; k++) {
			struct rc_run *run = &l->thr[o->thread].runs[o->run0 + k];

			if (s < o->start + n + run->n) {
				fprintf(c->out, "  which returned ");
				print_value(c, s, run->code, run->thread);
				fprintf(c->out, "\n");
				break;
			}
			n += run->n;
		}
	}
	build_write_lists(c);
	a = c->wl_first[i];
	b = c->wl_first[i + 1];
	if (l->init) {
		const struct rc_val *v = &l->init[i];

		fprintf(c->out, "  before the run the sector held tag %016" PRIx64 " write %u thread %u\n",
			v->tag, v->id, v->thread);
	}
	if (a == b)
		fprintf(c->out, "  no write to sector %" PRIu64 " in this run\n", s);
	else
		fprintf(c->out, "  writes to sector %" PRIu64 " (%" PRIu64 " in this run; those around the read):\n",
			s, b - a);
	for (j = a; j < b; j++) {
		uint32_t id = c->wl[j];
		struct rc_write *w = rc_write_get(l, id);
		int before = w_tc(w) < r->ti, after = w->ti > r->tc;
		uint64_t rank = 0, k;
		const char *mark = "";

		if (before) {	/* keep the last 4 completed before the read */
			for (k = j + 1; k < b; k++)
				rank += w_tc(rc_write_get(l, c->wl[k])) < r->ti;
			if (rank >= 4 && id != code && id != superseder)
				continue;
		}
		if (after && ++nafter > 2 && id != code)
			continue;
		if (id == code)
			mark = "   <- returned";
		else if (id == superseder)
			mark = "   <- supersedes the value returned";
		else if (!before && !after)
			mark = "   (in flight during the read)";
		print_write(c, id, mark);
	}
}

static void group_flush(struct checker *c)
{
	if (c->gkind != K_OK && c->glast > c->gfirst && c->reports <= c->l->p.max_reports)
		fprintf(c->out, "  (the same for sectors %" PRIu64 "..%" PRIu64 " of this read: %" PRIu64 " sectors)\n",
			c->gfirst, c->glast, c->glast - c->gfirst + 1);
	c->gkind = K_OK;
}

static void violation(struct checker *c, uint64_t ref, uint64_t s, uint32_t code,
		      uint32_t thread, int kind, uint32_t superseder, uint64_t earlier)
{
	struct rc_report *rep = c->rep;

	rep->violations++;
	switch (kind) {
	case K_STALE: rep->stale++; break;
	case K_OLDER: rep->older_than_seen++; break;
	case K_NOT_WRITTEN: rep->not_written++; break;
	case K_FUTURE: rep->future++; break;
	case K_OTHER_SECTOR: case K_OTHER_RUN: rep->foreign++; break;
	default: rep->garbage++; break;
	}
	if (c->gkind == kind && c->gread == ref && c->glast + 1 == s &&
	    (c->gcode == code || (code & RC_RAW && c->gcode & RC_RAW))) {
		c->glast = s;
		return;
	}
	group_flush(c);
	c->gkind = kind;
	c->gread = ref;
	c->gfirst = c->glast = s;
	c->gcode = code;
	if (++c->reports <= c->l->p.max_reports)
		print_history(c, ref, s, code, thread, kind, superseder, earlier);
	else if (c->reports == c->l->p.max_reports + 1)
		fprintf(c->out, "(further violations are counted, not printed)\n");
}

/*
 * A sector that is not a clean value: another sector's or another run's
 * data, or a byte-wise mix of values the read may return with one of them
 * in flight during the read (torn), or garbage.
 */
static int judge_raw(struct checker *c, struct rc_read *r, uint64_t s, uint32_t code)
{
	struct rc_log *l = c->l;
	struct sect_state *st = &c->st[s - l->p.start];
	const uint8_t *p;
	uint8_t cand[RC_SECTOR];
	uint8_t covered[RC_SECTOR] = { 0 }, cov_done[RC_SECTOR] = { 0 };
	struct rc_val v;
	uint64_t hs, j, i = s - l->p.start;
	int ncov = 0, ndone = 0, k;

	if (code == RC_RAW_LOST)
		return K_GARBAGE;
	p = l->raw + (size_t)(code & ~RC_RAW) * RC_SECTOR;
	if (rc_sector_decode(p, &hs, &v))
		return hs != s ? K_OTHER_SECTOR : v.tag != l->p.tag ? K_OTHER_RUN : K_NOT_WRITTEN;
	build_write_lists(c);
	/* values the read may return (rules 2 and 3); done = completed before it */
	if (l->init && l->init[i].tag && st->m == T_MIN) {
		rc_fill_sector(cand, s, &l->init[i]);
		for (k = 0; k < RC_SECTOR; k++)
			if (cand[k] == p[k] && !cov_done[k]) {
				cov_done[k] = 1;
				ndone++;
			}
	}
	for (j = c->wl_first[i]; j < c->wl_first[i + 1]; j++) {
		uint32_t id = c->wl[j];
		struct rc_write *w = rc_write_get(l, id);
		struct rc_val wv = { l->p.tag, id, w->thread };
		int inflight = w_tc(w) >= r->ti;

		if (w->ti > r->tc || w_tc(w) < st->m)
			continue;
		rc_fill_sector(cand, s, &wv);
		for (k = 0; k < RC_SECTOR; k++) {
			if (cand[k] != p[k])
				continue;
			if (!covered[k]) {
				covered[k] = 1;
				ncov++;
			}
			if (!inflight && !cov_done[k]) {
				cov_done[k] = 1;
				ndone++;
			}
		}
	}
	for (k = 0; k < RC_SECTOR; k++)
		if (cov_done[k] && !covered[k]) {
			covered[k] = 1;
			ncov++;
		}
	/* a mix that needs a value in flight during the read */
	if (ncov == RC_SECTOR && ndone < RC_SECTOR)
		return K_TORN;
	return K_GARBAGE;
}

static void check_read(struct checker *c, uint64_t ref)
{
	struct rc_log *l = c->l;
	struct rc_read *r = read_of(l, ref);
	struct rc_thread_log *t = &l->thr[r->thread];
	uint64_t s = r->start, nv0 = c->rep->violations;
	uint32_t k, n;

	c->rep->reads_checked++;
	for (k = 0; k < r->nrun; k++) {
		struct rc_run *run = &t->runs[r->run0 + k];

		for (n = 0; n < run->n; n++, s++) {
			uint64_t i = s - l->p.start;
			struct sect_state *st;
			uint32_t code = run->code, sup = 0;
			uint64_t earlier = UINT64_MAX;
			int64_t yi = T_MIN, yc = T_MIN;
			int kind = K_OK;

			c->rep->sectors_checked++;
			if (s < l->p.start || i >= l->p.nsect)
				continue;	/* outside the region: not a register */
			st = &c->st[i];
			if (code & RC_RAW) {
				kind = judge_raw(c, r, s, code);
				if (kind == K_TORN) {
					c->rep->torn++;
					if (l->p.strict_torn)
						violation(c, ref, s, code, run->thread, K_GARBAGE, 0, UINT64_MAX);
				} else {
					violation(c, ref, s, code, run->thread, kind, 0, UINT64_MAX);
				}
				continue;
			}
			if (code != 0) {	/* 0: the initial content */
				struct rc_write *w = code <= l->nwrites ? rc_write_get(l, code) : NULL;

				if (!w || s < w->start || s >= w->start + w->nsect ||
				    w->thread != run->thread) {
					kind = K_NOT_WRITTEN;
				} else {
					yi = w->ti;
					yc = w_tc(w);
					if (r->tc < yi)
						kind = K_FUTURE;
				}
			}
			if (kind == K_OK && yc < st->m) {
				kind = K_STALE;
				sup = st->mid;
			}
			if (kind == K_OK && code != st->b1v && yc < st->b1i) {
				kind = K_OLDER;
				earlier = st->b1r;
			} else if (kind == K_OK && code == st->b1v && yc < st->b2i) {
				kind = K_OLDER;
				earlier = st->b2r;
			}
			if (kind != K_OK)
				violation(c, ref, s, code, run->thread, kind, sup, earlier);
		}
	}
	group_flush(c);
	if (c->rep->violations > nv0) {
		c->rep->bad_reads++;
		r->pad = 1;	/* its values bound no later read */
	}
}

/* A read completed: its (clean) values bound the reads issued after now. */
static void insert_read(struct checker *c, uint64_t ref)
{
	struct rc_log *l = c->l;
	struct rc_read *r = read_of(l, ref);
	struct rc_thread_log *t = &l->thr[r->thread];
	uint64_t s = r->start;
	uint32_t k, n;

	if (r->pad)
		return;
	for (k = 0; k < r->nrun; k++) {
		struct rc_run *run = &t->runs[r->run0 + k];

		for (n = 0; n < run->n; n++, s++) {
			struct sect_state *st;

			if (run->code & RC_RAW || s < l->p.start || s - l->p.start >= l->p.nsect)
				continue;
			st = &c->st[s - l->p.start];
			if (run->code == st->b1v) {
				if (r->ti > st->b1i) {
					st->b1i = r->ti;
					st->b1r = ref;
				}
			} else if (r->ti > st->b1i) {
				/* the old best has another value than the new one */
				st->b2i = st->b1i;
				st->b2r = st->b1r;
				st->b1i = r->ti;
				st->b1r = ref;
				st->b1v = run->code;
			} else if (r->ti > st->b2i) {
				st->b2i = r->ti;
				st->b2r = ref;
			}
		}
	}
}

static void write_done(struct checker *c, uint32_t id)
{
	struct rc_log *l = c->l;
	struct rc_write *w = rc_write_get(l, id);
	uint32_t k;

	for (k = 0; k < w->nsect; k++) {
		uint64_t s = w->start + k;
		struct sect_state *st;

		if (s < l->p.start || s - l->p.start >= l->p.nsect)
			continue;
		st = &c->st[s - l->p.start];
		if (w->ti > st->m) {
			st->m = w->ti;
			st->mid = id;
		}
	}
}

uint64_t rc_check(struct rc_log *l, FILE *out, struct rc_report *rep)
{
	struct checker c = { .l = l, .out = out, .rep = rep, .gkind = K_OK };
	struct rc_event *ev;
	size_t nev = 0, cap = 0, e;
	uint32_t t, id;
	uint64_t i;

	memset(rep, 0, sizeof(*rep));
	for (t = 0; t < RC_MAX_THREADS; t++) {
		rep->reads += l->thr[t].nreads;
		rep->reads_failed += l->thr[t].nreads_failed;
		rep->writes += l->thr[t].nwrites;
		rep->writes_failed += l->thr[t].nwrites_failed;
		cap += 2 * l->thr[t].nreads;
	}
	cap += l->nwrites;
	ev = xcalloc(cap, sizeof(*ev));
	for (t = 0; t < RC_MAX_THREADS; t++) {
		for (i = 0; i < l->thr[t].nreads; i++) {
			struct rc_read *r = &l->thr[t].reads[i];

			r->pad = 0;
			if (!r->ok)
				continue;
			ev[nev++] = (struct rc_event){ r->ti, (uint32_t)i, EV_CHECK, (uint8_t)t };
			ev[nev++] = (struct rc_event){ r->tc, (uint32_t)i, EV_INSERT, (uint8_t)t };
		}
	}
	for (id = 1; id <= l->nwrites; id++) {
		struct rc_write *w = rc_write_get(l, id);

		if (w->state == RC_W_OK)
			ev[nev++] = (struct rc_event){ w->tc, id, EV_WDONE, 0 };
	}
	qsort(ev, nev, sizeof(*ev), ev_cmp);
	c.st = xcalloc(l->p.nsect, sizeof(*c.st));
	for (i = 0; i < l->p.nsect; i++) {
		c.st[i].m = c.st[i].b1i = c.st[i].b2i = T_MIN;
		c.st[i].b1v = RC_RAW_LOST;	/* no value */
	}
	for (e = 0; e < nev; e++) {
		uint64_t ref = ((uint64_t)ev[e].thread << 32) | ev[e].idx;

		switch (ev[e].kind) {
		case EV_CHECK:
			check_read(&c, ref);
			break;
		case EV_WDONE:
			write_done(&c, ev[e].idx);
			break;
		default:
			insert_read(&c, ref);
			break;
		}
	}
	free(ev);
	free(c.st);
	free(c.wl_first);
	free(c.wl);
	return rep->violations;
}

/*
 * Once nothing is in flight, the value a sector must hold is that of its
 * last successful write (or its initial content), unless a write that
 * failed, or one concurrent with the last, came after: then it may hold
 * either (ambiguous, marked in @amb).
 */
uint64_t rc_settle(struct rc_log *l, struct rc_val *state, uint8_t *amb)
{
	uint64_t n = l->p.nsect, i, namb = 0;
	int64_t *m = xcalloc(n, sizeof(*m));
	uint32_t *mid = xcalloc(n, sizeof(*mid)), id, k;

	for (i = 0; i < n; i++)
		m[i] = T_MIN;
	for (id = 1; id <= l->nwrites; id++) {
		struct rc_write *w = rc_write_get(l, id);

		for (k = 0; w->state == RC_W_OK && k < w->nsect; k++) {
			i = w->start + k - l->p.start;
			if (w->start + k >= l->p.start && i < n && w->ti > m[i]) {
				m[i] = w->ti;
				mid[i] = id;
			}
		}
	}
	memset(amb, 0, n);
	for (id = 1; id <= l->nwrites; id++) {
		struct rc_write *w = rc_write_get(l, id);

		for (k = 0; k < w->nsect; k++) {
			i = w->start + k - l->p.start;
			if (w->start + k >= l->p.start && i < n && id != mid[i] && w_tc(w) >= m[i])
				amb[i] = 1;
		}
	}
	for (i = 0; i < n; i++) {
		if (mid[i]) {
			state[i] = (struct rc_val){ l->p.tag, mid[i], rc_write_get(l, mid[i])->thread };
		} else if (l->init) {
			state[i] = l->init[i];
		} else {
			memset(&state[i], 0, sizeof(state[i]));
			amb[i] = 1;
		}
		namb += amb[i];
	}
	free(m);
	free(mid);
	return namb;
}

uint64_t rc_final_state(struct rc_log *l, struct rc_val *state)
{
	uint64_t i, unknown = 0;
	uint8_t *amb = xcalloc(l->p.nsect, 1);
	uint32_t t;

	rc_settle(l, state, amb);
	for (i = 0; i < l->p.nsect; i++)
		if (amb[i])
			state[i].tag = 0;
	/* ambiguous sectors: what the final reads saw */
	for (t = 0; t < RC_MAX_THREADS; t++) {
		for (i = 0; i < l->thr[t].nreads; i++) {
			struct rc_read *r = &l->thr[t].reads[i];
			uint64_t s = r->start;
			uint32_t k, n;

			if (!r->ok || !r->final)
				continue;
			for (k = 0; k < r->nrun; k++) {
				struct rc_run *run = &l->thr[t].runs[r->run0 + k];

				for (n = 0; n < run->n; n++, s++) {
					struct rc_val *v;

					if (s < l->p.start || s - l->p.start >= l->p.nsect ||
					    !amb[s - l->p.start])
						continue;
					v = &state[s - l->p.start];
					if (run->code & RC_RAW) {
						v->tag = 0;
					} else if (run->code == 0) {
						*v = l->init[s - l->p.start];
					} else {
						v->tag = l->p.tag;
						v->id = run->code;
						v->thread = run->thread;
					}
				}
			}
		}
	}
	for (i = 0; i < l->p.nsect; i++)
		unknown += !state[i].tag;
	free(amb);
	return unknown;
}

void rc_print_report(FILE *out, const struct rc_report *r)
{
	fprintf(out, "regcheck: %" PRIu64 " ops (%" PRIu64 " reads, %" PRIu64 " failed; %" PRIu64
		" writes, %" PRIu64 " failed); %" PRIu64 " reads checked, %" PRIu64
		" sector reads checked; %" PRIu64 " violations in %" PRIu64 " reads (stale %" PRIu64
		", older than seen %" PRIu64 ", never written %" PRIu64 ", from the future %" PRIu64
		", other sector/run %" PRIu64 ", garbage %" PRIu64 "); %" PRIu64 " torn sectors tolerated\n",
		r->reads + r->writes, r->reads, r->reads_failed, r->writes, r->writes_failed,
		r->reads_checked, r->sectors_checked, r->violations, r->bad_reads, r->stale,
		r->older_than_seen, r->not_written, r->future, r->foreign, r->garbage, r->torn);
}
