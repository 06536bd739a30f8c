// SPDX-License-Identifier: GPL-2.0
/*
 * ssct_sim.c - trace replay through the module's I/O engine, shared by
 * ssc-sim and "ssdcache advise": trace readers, the replay (every request
 * mapped by ssc_eng_map() as the target maps a bio, every I/O completing
 * at once), and the fully associative LRU and OPT references.
 *
 * Documentation/ssc-sim.rst describes the formats and what is counted.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssdcache/ssc_format.h"
#include "ssct_sim.h"


/* ---------------------------------------------------------------- trace */




const char *const sim_fmt_names[] = {
	"auto", "msr", "systor", "vscsi", "cpcsv", "lis", "csv", "blkparse",
};
const unsigned int sim_nr_fmts = sizeof(sim_fmt_names) / sizeof(sim_fmt_names[0]);


static int trace_add(struct sim_trace *t, uint64_t sector, uint32_t nsect,
		     bool write)
{
	if (!nsect)
		return 0;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		struct sim_rec *r = realloc(t->r, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		t->r = r;
		t->cap = cap;
	}
	t->r[t->n].sector = sector;
	t->r[t->n].nsect = nsect;
	t->r[t->n].write = write;
	t->n++;
	if (sector + nsect > t->max_sector)
		t->max_sector = sector + nsect;
	return 0;
}

/* Byte range -> sectors (rounded out to whole sectors). */
static int trace_add_bytes(struct sim_trace *t, uint64_t off, uint64_t len,
			   bool write)
{
	uint64_t s = off >> 9, e = (off + len + 511) >> 9;

	return trace_add(t, s, (uint32_t)(e - s), write);
}

void sim_trace_free(struct sim_trace *t)
{
	free(t->r);
	memset(t, 0, sizeof(*t));
}

static bool op_is_write(const char *s, bool *ok)
{
	*ok = true;
	if (!strcasecmp(s, "w") || !strcasecmp(s, "write") || !strcmp(s, "2a"))
		return true;
	if (!strcasecmp(s, "r") || !strcasecmp(s, "read") || !strcmp(s, "28"))
		return false;
	*ok = false;
	return false;
}

/* Split @line at commas into at most @max fields; returns the count. */
static int split_csv(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;

	while (n < max) {
		f[n++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = 0;
	}
	return n;
}

static bool parse_u64(const char *s, uint64_t *v, int base)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, base);
	while (isspace((unsigned char)*end))
		end++;
	return !errno && !*end;
}

/*
 * Parse one text line of format @fmt into @t. Returns 1 when a record was
 * added, 0 for a line to skip (header, blank, blkparse event we ignore),
 * -1 when the line is malformed.
 */
int sim_parse_line(struct sim_trace *t, enum sim_fmt fmt, char *line)
{
	char *f[8];
	uint64_t a, b;
	bool ok, w;
	int n;

	line[strcspn(line, "\r\n")] = 0;
	if (!*line || *line == '#')
		return 0;
	switch (fmt) {
	case FMT_MSR:
		/* ts,host,disk,Read|Write,offset,size,resp */
		n = split_csv(line, f, 8);
		if (n < 6)
			return -1;
		w = op_is_write(f[3], &ok);
		if (!ok || !parse_u64(f[4], &a, 10) || !parse_u64(f[5], &b, 10))
			return -1;
		return trace_add_bytes(t, a, b, w) ? -1 : 1;
	case FMT_SYSTOR:
		/* Timestamp,Response,IOType,LUN,Offset,Size */
		if (!strncmp(line, "Timestamp", 9))
			return 0;
		n = split_csv(line, f, 8);
		if (n < 6)
			return -1;
		w = op_is_write(f[2], &ok);
		if (!ok || !parse_u64(f[4], &a, 10) || !parse_u64(f[5], &b, 10))
			return -1;
		return trace_add_bytes(t, a, b, w) ? -1 : 1;
	case FMT_CPCSV:
		/* version,time,op(hex),size(bytes),lbn(sectors) */
		if (!strncmp(line, "version", 7))
			return 0;
		n = split_csv(line, f, 8);
		if (n < 5)
			return -1;
		w = op_is_write(f[2], &ok);
		if (!ok || !parse_u64(f[3], &b, 10) || !parse_u64(f[4], &a, 10))
			return -1;
		return trace_add_bytes(t, a << 9, b, w) ? -1 : 1;
	case FMT_CSV:
		/* op,offset,size (bytes) */
		if (!strncmp(line, "op", 2))
			return 0;
		n = split_csv(line, f, 8);
		if (n != 3)
			return -1;
		w = op_is_write(f[0], &ok);
		if (!ok || !parse_u64(f[1], &a, 10) || !parse_u64(f[2], &b, 10))
			return -1;
		return trace_add_bytes(t, a, b, w) ? -1 : 1;
	case FMT_LIS:
		{	/* start n_blocks ignore request_no (512 B blocks) */
		unsigned long long s, c, x, y;

		if (sscanf(line, "%llu %llu %llu %llu", &s, &c, &x, &y) != 4)
			return -1;
		return trace_add(t, s, (uint32_t)c, false) ? -1 : 1;
	}
	case FMT_BLKPARSE:
		{
		/* "8,0 3 1 0.000000000 697 Q R 223490 + 8 [proc]": Q events */
		char dev[32], act[8], rwbs[16];
		unsigned long long cpu, seq, pid, sec, cnt;
		double ts;

		if (sscanf(line, "%31s %llu %llu %lf %llu %7s %15s %llu + %llu",
			   dev, &cpu, &seq, &ts, &pid, act, rwbs, &sec, &cnt) != 9)
			return strchr(line, '+') && isdigit((unsigned char)line[strspn(line, " ")]) ? -1 : 0;
		if (strcmp(act, "Q"))
			return 0;
		if (strchr(rwbs, 'D') || (strchr(rwbs, 'F') && !cnt))
			return 0;	/* discards, empty flushes */
		if (!strchr(rwbs, 'R') && !strchr(rwbs, 'W'))
			return 0;
		return trace_add(t, sec, (uint32_t)cnt, strchr(rwbs, 'W')) ? -1 : 1;
	}
	default:
		return -1;
	}
}

/* VMware vscsi v1 record (CloudPhysics): 32 bytes, little-endian. */
int sim_parse_vscsi(struct sim_trace *t, const unsigned char *p)
{
	uint32_t len = p[4] | p[5] << 8 | p[6] << 16 | (uint32_t)p[7] << 24;
	uint16_t cmd = p[12] | p[13] << 8;
	uint64_t lbn = 0;
	int i;

	for (i = 7; i >= 0; i--)
		lbn = lbn << 8 | p[16 + i];
	switch (cmd) {
	case 0x28:
	case 0x08:
	case 0x88:
	case 0xa8:
		return trace_add_bytes(t, lbn << 9, len, false) ? -1 : 1;
	case 0x2a:
	case 0x0a:
	case 0x8a:
	case 0xaa:
		return trace_add_bytes(t, lbn << 9, len, true) ? -1 : 1;
	default:
		return 0;	/* not a read or write */
	}
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

static enum sim_fmt guess_fmt(const char *path, const char *first)
{
	if (strstr(path, ".vscsi"))
		return FMT_VSCSI;
	if (strstr(path, ".lis"))
		return FMT_LIS;
	if (!strncmp(first, "Timestamp,Response,IOType", 25))
		return FMT_SYSTOR;
	if (!strncmp(first, "version,time,op", 15))
		return FMT_CPCSV;
	if (!strncmp(first, "op,offset,size", 14))
		return FMT_CSV;
	if (strstr(first, ",Read,") || strstr(first, ",Write,"))
		return FMT_MSR;
	if (strstr(first, " + ") && (strstr(first, " Q ") || strstr(first, " C ")))
		return FMT_BLKPARSE;
	if (strchr(first, ',') && (first[0] == 'R' || first[0] == 'W' ||
				   first[0] == 'r' || first[0] == 'w'))
		return FMT_CSV;
	return FMT_AUTO;
}

/* Open @path, decompressing .gz/.zst/.xz through a pipe. */
static FILE *open_trace(const char *path, bool *piped)
{
	const char *tool = NULL;
	char *cmd;
	FILE *fp;
	size_t i, k;

	if (ends_with(path, ".gz"))
		tool = "gzip -dc";
	else if (ends_with(path, ".zst"))
		tool = "zstd -qdc";
	else if (ends_with(path, ".xz"))
		tool = "xz -dc";
	*piped = !!tool;
	if (!tool)
		return fopen(path, "rb");
	cmd = malloc(strlen(tool) + 4 * strlen(path) + 8);
	if (!cmd)
		return NULL;
	k = (size_t)sprintf(cmd, "%s '", tool);
	for (i = 0; path[i]; i++) {
		if (path[i] == '\'') {
			memcpy(cmd + k, "'\\''", 4);
			k += 4;
		} else {
			cmd[k++] = path[i];
		}
	}
	cmd[k++] = '\'';
	cmd[k] = 0;
	fp = popen(cmd, "r");
	free(cmd);
	return fp;
}

/* Load a whole trace. Returns 0 or -1 with a message on stderr. */
int sim_load(struct sim_trace *t, const char *path, enum sim_fmt fmt,
	     uint64_t max_records)
{
	bool piped;
	FILE *fp = open_trace(path, &piped);
	char line[4096];
	uint64_t recno = 0;
	int rc = 0, r;

	if (!fp) {
		fprintf(stderr, "ssc-sim: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fmt == FMT_AUTO && strstr(path, ".vscsi"))
		fmt = FMT_VSCSI;
	if (fmt == FMT_VSCSI) {
		unsigned char rec[32];
		size_t got;

		while ((got = fread(rec, 1, sizeof(rec), fp)) == sizeof(rec)) {
			recno++;
			if (sim_parse_vscsi(t, rec) < 0) {
				rc = -1;
				break;
			}
			if (max_records && t->n >= max_records)
				break;
		}
		if (!rc && got && got != sizeof(rec) && !(max_records && t->n >= max_records)) {
			fprintf(stderr, "ssc-sim: %s: record %" PRIu64 ": truncated vscsi record (%zu bytes)\n",
				path, recno + 1, got);
			rc = -1;
		}
	} else {
		while (fgets(line, sizeof(line), fp)) {
			recno++;
			if (fmt == FMT_AUTO) {
				fmt = guess_fmt(path, line);
				if (fmt == FMT_AUTO) {
					fprintf(stderr, "ssc-sim: %s: unknown trace format (give -f)\n", path);
					rc = -1;
					break;
				}
			}
			r = sim_parse_line(t, fmt, line);
			if (r < 0) {
				fprintf(stderr, "ssc-sim: %s: record %" PRIu64 ": malformed %s record: %.80s\n",
					path, recno, sim_fmt_names[fmt], line);
				rc = -1;
				break;
			}
			if (max_records && t->n >= max_records)
				break;
		}
	}
	if (piped) {
		if (pclose(fp) && !rc && !(max_records && t->n >= max_records)) {
			fprintf(stderr, "ssc-sim: %s: decompression failed\n", path);
			rc = -1;
		}
	} else {
		fclose(fp);
	}
	if (!rc && !t->n) {
		fprintf(stderr, "ssc-sim: %s: no read or write records\n", path);
		rc = -1;
	}
	return rc;
}

/* ---------------------------------------------------------------- core sim */




/* The engine's counters are the module's status counters. */
static void sim_env_stat(struct ssc_engine *e, enum ssc_stat st)
{
	struct sim *s = (struct sim *)e;	/* e is the first member */

	switch (st) {
	case SSC_ST_READ_HITS:
		s->st.read_hits++;
		break;
	case SSC_ST_READ_MISSES:
		s->st.read_misses++;
		break;
	case SSC_ST_WRITE_HITS:
		s->st.write_hits++;
		break;
	case SSC_ST_WRITE_MISSES:
		s->st.write_misses++;
		break;
	case SSC_ST_WRITE_SKIP:
		s->st.write_skip++;
		break;
	case SSC_ST_EVICTIONS:
		s->st.evictions++;
		break;
	case SSC_ST_WRITE_INVALID:
	case SSC_ST_WRITE_CANCEL:
		s->st.invalidations++;
		break;
	case SSC_ST_SEQ_BYPASSED:
		s->st.seq_bypassed++;
		break;
	default:
		break;
	}
}

int sim_init(struct sim *s, const struct sim_opts *o, uint64_t origin_sectors,
	     const char **err)
{
	struct ssc_config cfg = {
		.block_sectors = o->block_sectors, .assoc = o->assoc,
		.mode = o->mode, .policy = o->policy, .opts = o->opts,
	};
	struct ssc_geom g;
	int rc;

	memset(s, 0, sizeof(*s));
	s->o = *o;
	rc = ssc_geom_init(&g, &cfg, origin_sectors ? origin_sectors : 1,
			   o->cache_bytes >> 9, o->lbs, err);
	if (!rc && o->layout) {
		uint64_t md_blocks;

		/* the superblock and the metadata slots take their share */
		rc = ssc_layout(&g, o->cache_bytes >> 9, &md_blocks, err);
	}
	if (rc)
		return rc;
	rc = ssc_eng_init(&s->e, &g, o->policy, o->mode, o->opts,
			  ssc_eng_nstripes(&g), ssc_user_zalloc, NULL);
	if (rc) {
		ssc_eng_exit(&s->e, ssc_user_release, NULL);
		*err = "out of memory";
		return rc;
	}
	s->ops.stat = sim_env_stat;
	s->e.env = &s->ops;
	if (o->seq_cutoff >= 0)
		ssc_eng_set_seq_cutoff(&s->e, (uint64_t)o->seq_cutoff >> 9);
	return 0;
}

void sim_exit(struct sim *s)
{
	ssc_eng_exit(&s->e, ssc_user_release, NULL);
}

/*
 * One piece of @nsect sectors at @sector, within one cache block: the
 * engine's plan, carried out with every I/O succeeding at once. Write-
 * behinds are eager and done at once (nothing stays dirty).
 */
static void sim_piece(struct sim *s, uint64_t sector, uint32_t nsect,
		      bool write)
{
	struct ssc_fill_ref f;
	struct ssc_req r;
	enum ssc_plan p;

	if (write && s->o.writes_as_reads)
		write = false;
	ssc_eng_req_init(&s->e, &r, write ? SSC_OP_WRITE : SSC_OP_READ,
			 sector, nsect, false);
	p = ssc_eng_map(&s->e, &r);
	switch (p) {
	case SSC_PLAN_READ_CACHE:
		s->st.read_hit_sectors += nsect;
		ssc_eng_read_hit_end(&s->e, &r, false);
		break;
	case SSC_PLAN_READ_ORIGIN:
		s->st.read_miss_sectors += nsect;
		if (ssc_eng_read_miss_end(&s->e, &r, false, &f))
			ssc_eng_fill_end(&s->e, &f, true);
		break;
	case SSC_PLAN_ORIGIN:
		ssc_eng_origin_end(&s->e, &r, false);
		break;
	case SSC_PLAN_WRITE_ASYNC:
		ssc_eng_async_lookup(&s->e, &r);
		/* fall through */
	case SSC_PLAN_WRITE_CACHE:
	case SSC_PLAN_WRITE_BOTH:
		r.eager = r.writeback;
		if (ssc_eng_write_end(&s->e, &r, &f) == SSC_WEND_BEHIND)
			ssc_eng_wb_end(&s->e, &f, true);
		break;
	default:
		/* nothing is ever busy or dirty here */
		fprintf(stderr, "ssc-sim: unexpected plan %d\n", (int)p);
		abort();
	}
}

/* Round a request to logical blocks and split it at cache-block boundaries. */
void sim_access(struct sim *s, uint64_t sector, uint32_t nsect, bool write)
{
	const struct ssc_geom *g = &s->e.c.g;
	uint64_t end = sector + nsect;

	/* a device of this logical block size only sees whole blocks */
	sector &= ~(uint64_t)(g->sub_sectors - 1);
	end = (end + g->sub_sectors - 1) & ~(uint64_t)(g->sub_sectors - 1);
	if (end > g->origin_sectors)
		end = g->origin_sectors;
	while (sector < end) {
		uint64_t bend = ((sector >> g->block_shift) + 1) << g->block_shift;
		uint64_t pend = end < bend ? end : bend;

		sim_piece(s, sector, (uint32_t)(pend - sector), write);
		sector = pend;
	}
}

/* ---------------------------------------------------------------- references */

/* Open-addressing map uint64 -> uint64 (keys != ~0). */
struct sim_map {
	uint64_t *k, *v;
	size_t mask, n;
};

static int map_init(struct sim_map *m, size_t want)
{
	size_t sz = 16;

	while (sz < want * 2)
		sz <<= 1;
	m->k = malloc(sz * sizeof(*m->k));
	m->v = malloc(sz * sizeof(*m->v));
	if (!m->k || !m->v)
		return -ENOMEM;
	memset(m->k, 0xff, sz * sizeof(*m->k));
	m->mask = sz - 1;
	m->n = 0;
	return 0;
}

static void map_free(struct sim_map *m)
{
	free(m->k);
	free(m->v);
}

static size_t map_slot(const struct sim_map *m, uint64_t key)
{
	size_t i = ssc_hash64(key) & m->mask;

	while (m->k[i] != ~0ull && m->k[i] != key)
		i = (i + 1) & m->mask;
	return i;
}

static uint64_t *map_get(struct sim_map *m, uint64_t key)
{
	size_t i = map_slot(m, key);

	return m->k[i] == key ? &m->v[i] : NULL;
}

static void map_put(struct sim_map *m, uint64_t key, uint64_t val)
{
	size_t i = map_slot(m, key);

	if (m->k[i] != key)
		m->n++;
	m->k[i] = key;
	m->v[i] = val;
}

/* Backward-shift deletion keeps linear probing correct. */
static void map_del(struct sim_map *m, uint64_t key)
{
	size_t i = map_slot(m, key), j, h;

	if (m->k[i] != key)
		return;
	m->n--;
	j = i;
	for (;;) {
		j = (j + 1) & m->mask;
		if (m->k[j] == ~0ull)
			break;
		h = ssc_hash64(m->k[j]) & m->mask;
		if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
			m->k[i] = m->k[j];
			m->v[i] = m->v[j];
			i = j;
		}
	}
	m->k[i] = ~0ull;
}

/* The block accesses the references see: one per piece that reads. */

int sim_refs_build(struct sim_refs *r, const struct sim_trace *t,
		   uint32_t block_sectors, bool writes_as_reads)
{
	size_t i, cap = t->n + 16;
	uint64_t b, e;

	r->n = 0;
	r->blk = malloc(cap * sizeof(*r->blk));
	if (!r->blk)
		return -ENOMEM;
	for (i = 0; i < t->n; i++) {
		if (t->r[i].write && !writes_as_reads)
			continue;
		e = (t->r[i].sector + t->r[i].nsect - 1) / block_sectors;
		for (b = t->r[i].sector / block_sectors; b <= e; b++) {
			if (r->n == cap) {
				uint64_t *p = realloc(r->blk, cap * 2 * sizeof(*p));

				if (!p)
					return -ENOMEM;
				r->blk = p;
				cap *= 2;
			}
			r->blk[r->n++] = b;
		}
	}
	return 0;
}

/* Fully associative LRU of @cap blocks: returns the misses. */
uint64_t sim_ref_lru(const struct sim_refs *r, uint64_t cap)
{
	struct sim_map m;
	uint64_t *prev, *next, *key, misses = 0, head = ~0ull, tail = ~0ull, used = 0;
	size_t i;

	if (!cap)
		return r->n;
	prev = malloc(cap * sizeof(*prev));
	next = malloc(cap * sizeof(*next));
	key = malloc(cap * sizeof(*key));
	if (!prev || !next || !key || map_init(&m, cap + 1)) {
		fprintf(stderr, "ssc-sim: out of memory\n");
		exit(1);
	}
	for (i = 0; i < r->n; i++) {
		uint64_t *slot = map_get(&m, r->blk[i]), x;

		if (slot) {
			x = *slot;
			if (x == head)
				continue;
			/* unlink, then push at the head */
			next[prev[x]] = next[x];
			if (next[x] != ~0ull)
				prev[next[x]] = prev[x];
			else
				tail = prev[x];
		} else {
			misses++;
			if (used < cap) {
				x = used++;
			} else {
				x = tail;
				tail = prev[x];
				if (tail != ~0ull)
					next[tail] = ~0ull;
				else
					head = ~0ull;
				map_del(&m, key[x]);
			}
			key[x] = r->blk[i];
			map_put(&m, key[x], x);
		}
		prev[x] = ~0ull;
		next[x] = head;
		if (head != ~0ull)
			prev[head] = x;
		head = x;
		if (tail == ~0ull)
			tail = x;
	}
	map_free(&m);
	free(prev);
	free(next);
	free(key);
	return misses;
}

/* Belady's OPT (evict the block used furthest in the future): the misses. */
uint64_t sim_ref_opt(const struct sim_refs *r, uint64_t cap)
{
	struct sim_map last, cur;
	uint64_t *nxt, misses = 0, *hk, *hv, used = 0;
	size_t i, hn = 0, j, c;

	if (!cap)
		return r->n;
	nxt = malloc((r->n + 1) * sizeof(*nxt));
	/* heap of (next use, block); stale entries are skipped lazily */
	hk = malloc((r->n + 1) * sizeof(*hk));
	hv = malloc((r->n + 1) * sizeof(*hv));
	if (!nxt || !hk || !hv || map_init(&last, r->n / 4 + 16) ||
	    map_init(&cur, cap + 1)) {
		fprintf(stderr, "ssc-sim: out of memory\n");
		exit(1);
	}
	for (i = r->n; i-- > 0;) {
		uint64_t *p = map_get(&last, r->blk[i]);

		nxt[i] = p ? *p : ~0ull;	/* never again: furthest */
		map_put(&last, r->blk[i], i);
		if (last.n * 2 > last.mask) {	/* grow */
			struct sim_map big;

			if (map_init(&big, last.n * 2)) {
				fprintf(stderr, "ssc-sim: out of memory\n");
				exit(1);
			}
			for (j = 0; j <= last.mask; j++)
				if (last.k[j] != ~0ull)
					map_put(&big, last.k[j], last.v[j]);
			map_free(&last);
			last = big;
		}
	}
	map_free(&last);
	for (i = 0; i < r->n; i++) {
		uint64_t *p = map_get(&cur, r->blk[i]);

		if (!p) {
			misses++;
			if (used == cap) {
				/* pop until an entry is current */
				for (;;) {
					uint64_t k = hk[0], v = hv[0], *q;

					hn--;
					hk[0] = hk[hn];
					hv[0] = hv[hn];
					for (j = 0; (c = 2 * j + 1) < hn; j = c) {
						if (c + 1 < hn && hk[c + 1] > hk[c])
							c++;
						if (hk[c] <= hk[j])
							break;
						uint64_t tk = hk[c], tv = hv[c];

						hk[c] = hk[j];
						hv[c] = hv[j];
						hk[j] = tk;
						hv[j] = tv;
					}
					q = map_get(&cur, v);
					if (q && *q == k) {
						map_del(&cur, v);
						break;
					}
				}
				used--;
			}
			used++;
		}
		map_put(&cur, r->blk[i], nxt[i]);
		/* push */
		j = hn++;
		hk[j] = nxt[i];
		hv[j] = r->blk[i];
		while (j && hk[(j - 1) / 2] < hk[j]) {
			uint64_t tk = hk[j], tv = hv[j];

			c = (j - 1) / 2;
			hk[j] = hk[c];
			hv[j] = hv[c];
			hk[c] = tk;
			hv[c] = tv;
			j = c;
		}
	}
	map_free(&cur);
	free(nxt);
	free(hk);
	free(hv);
	return misses;
}

/* ---------------------------------------------------------------- main */

/* ---------------------------------------------------------------- helpers */

uint64_t sim_footprint(const struct sim_trace *t, uint32_t block_sectors)
{
	uint64_t fp = 0;
	struct sim_map m;
	size_t k;

	for (k = 0; k < t->n; k++)
		fp += (t->r[k].sector + t->r[k].nsect - 1) / block_sectors -
		      t->r[k].sector / block_sectors + 1;
	if (map_init(&m, fp + 16))
		return 0;
	for (k = 0; k < t->n; k++) {
		uint64_t b, e = (t->r[k].sector + t->r[k].nsect - 1) / block_sectors;

		for (b = t->r[k].sector / block_sectors; b <= e; b++)
			map_put(&m, b, 0);
	}
	fp = m.n;
	map_free(&m);
	return fp;
}

int sim_run(struct sim *s, const struct sim_opts *o, const struct sim_trace *t,
	    const char **err)
{
	size_t i;

	if (sim_init(s, o, o->origin_sectors > t->max_sector ?
		     o->origin_sectors : t->max_sector, err))
		return -1;
	for (i = 0; i < t->n; i++)
		sim_access(s, t->r[i].sector, t->r[i].nsect, t->r[i].write);
	return 0;
}

double sim_hit_ratio(const struct sim *s)
{
	uint64_t acc = s->st.read_hits + s->st.read_misses;

	return acc ? (double)s->st.read_hits / (double)acc : 0;
}
