// SPDX-License-Identifier: GPL-2.0
/*
 * ssct_args.c - the pure part of the ssdcache tool (see ssct_args.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ssct_args.h"

#define MAX_BLOCK_BYTES		(32ull << 20)	/* the target's 65536 sectors */


static void errf(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

const char *ssct_opt_name(uint32_t bit)
{
	return ssc_opt_name(bit);	/* the core owns the option names */
}

int ssct_parse_size(const char *s, uint64_t *bytes)
{
	uint64_t v = 0, mult = 1;
	const char *p = s;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t d = (uint64_t)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	switch (*p) {
	case '\0':
		break;
	case 's':
	case 'S':
		mult = 512;
		p++;
		break;
	case 'k':
	case 'K':
		mult = 1ull << 10;
		break;
	case 'm':
	case 'M':
		mult = 1ull << 20;
		break;
	case 'g':
	case 'G':
		mult = 1ull << 30;
		break;
	case 't':
	case 'T':
		mult = 1ull << 40;
		break;
	default:
		return -EINVAL;
	}
	if (mult > 512) {
		p++;
		if (!strcasecmp(p, "iB") || !strcasecmp(p, "B"))
			p += strlen(p);
	}
	if (*p)
		return -EINVAL;
	if (v && mult > UINT64_MAX / v)
		return -ERANGE;
	*bytes = v * mult;
	return 0;
}

void ssct_human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, unit[u]);
}

/* Match "--key" or "--key=value"; sets *inl to the inline value. */
static bool is_opt(const char *arg, const char *key, const char **inl)
{
	size_t n = strlen(key);

	*inl = NULL;
	if (strncmp(arg, key, n))
		return false;
	if (arg[n] == '=') {
		*inl = arg + n + 1;
		return true;
	}
	return arg[n] == '\0';
}

static int parse_opt_list(const char *list, uint32_t *opts, int *policy,
			  char *err, size_t errlen)
{
	char buf[256], *tok, *save = NULL;
	uint32_t i;

	if (!*list) {
		errf(err, errlen, "--option needs a value");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcasecmp(tok, "lru")) {
			*policy = SSC_LRU;
			continue;
		}
		if (!strcasecmp(tok, "lfu")) {
			*policy = SSC_LFU;
			continue;
		}
		if (!strcasecmp(tok, "adaptive")) {
			*policy = SSC_ADAPTIVE;
			continue;
		}
		for (i = 0; i < SSC_NR_OPTS; i++)
			if (!strcasecmp(tok, ssc_opt_name(1u << i)))
				break;
		if (i == SSC_NR_OPTS) {
			errf(err, errlen, "unknown option '%s'", tok);
			return -EINVAL;
		}
		*opts |= 1u << i;
	}
	return 0;
}

static int parse_u32_arg(const char *what, const char *s, uint32_t max,
			 uint32_t *out, char *err, size_t errlen)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (!s || *s < '0' || *s > '9')
		goto bad;
	v = strtoul(s, &end, 10);
	if (*end || errno || v > max)
		goto bad;
	*out = (uint32_t)v;
	return 0;
bad:
	errf(err, errlen, "invalid %s '%s' (1 to %u)", what, s ? s : "", max);
	return -EINVAL;
}

int ssct_parse_mode(const char *val)
{
	if (!strcasecmp(val, "writethrough"))
		return SSC_WRITETHROUGH;
	if (!strcasecmp(val, "writeback"))
		return SSC_WRITEBACK;
	if (!strcasecmp(val, "readcache"))
		return SSC_READCACHE;
	return -1;
}

int ssct_parse_policy(const char *val)
{
	if (!strcasecmp(val, "lru"))
		return SSC_LRU;
	if (!strcasecmp(val, "lfu"))
		return SSC_LFU;
	if (!strcasecmp(val, "adaptive"))
		return SSC_ADAPTIVE;
	return -1;
}

int ssct_parse_create(int argc, char **argv, struct ssct_create *c,
		      char *err, size_t errlen)
{
	static const char *const with_value[] = {
		"--origin", "--cache", "--mode", "--block-size", "--policy",
		"--assoc", "--option",
	};
	int i, r;

	memset(c, 0, sizeof(*c));
	c->mode = -1;
	c->policy = -1;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *inl;
		unsigned int k;
		int key = -1;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			c->help = true;
			return 0;
		}
		if (!strcmp(a, "--force") || !strcmp(a, "-f")) {
			c->force = true;
			continue;
		}
		if (!strcmp(a, "--reformat")) {
			c->reformat = true;
			continue;
		}
		for (k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++) {
			if (is_opt(a, with_value[k], &inl)) {
				key = (int)k;
				break;
			}
		}
		if (key < 0) {
			if (a[0] == '-' && a[1]) {
				errf(err, errlen, "unknown argument '%s'", a);
				return -EINVAL;
			}
			if (c->name) {
				errf(err, errlen, "unexpected argument '%s' (the name is '%s')",
				     a, c->name);
				return -EINVAL;
			}
			if (!*a || strchr(a, '/') || strlen(a) >= 128 ||
			    !strcmp(a, ".") || !strcmp(a, "..")) {
				errf(err, errlen, "invalid device name '%s'", a);
				return -EINVAL;
			}
			c->name = a;
			continue;
		}
		if (inl) {
			val = inl;
		} else {
			if (i + 1 >= argc) {
				errf(err, errlen, "%s needs a value", with_value[key]);
				return -EINVAL;
			}
			val = argv[++i];
		}
		switch (key) {
		case 0:
			c->origin = val;
			break;
		case 1:
			c->cache = val;
			break;
		case 2:
			c->mode = ssct_parse_mode(val);
			if (c->mode < 0) {
				errf(err, errlen, "invalid mode '%s' (writethrough, writeback or readcache)",
				     val);
				return -EINVAL;
			}
			break;
		case 3:
			r = ssct_parse_size(val, &c->block_bytes);
			if (r || !c->block_bytes) {
				errf(err, errlen, "invalid block size '%s' (bytes, with k, M or G)",
				     val);
				return -EINVAL;
			}
			break;
		case 4:
			c->policy = ssct_parse_policy(val);
			if (c->policy < 0) {
				errf(err, errlen, "invalid policy '%s' (lru, lfu or adaptive)",
				     val);
				return -EINVAL;
			}
			break;
		case 5:
			if (parse_u32_arg("assoc", val, SSC_MAX_ASSOC, &c->assoc,
					  err, errlen) || !c->assoc) {
				errf(err, errlen, "invalid assoc '%s' (1 to %u)",
				     val, SSC_MAX_ASSOC);
				return -EINVAL;
			}
			break;
		case 6:
			r = parse_opt_list(val, &c->opts, &c->policy, err,
					   errlen);
			if (r)
				return r;
			break;
		}
	}
	if (!c->name) {
		errf(err, errlen, "missing NAME");
		return -EINVAL;
	}
	if (!c->origin || !*c->origin) {
		errf(err, errlen, "missing --origin DEV");
		return -EINVAL;
	}
	if (!c->cache || !*c->cache) {
		errf(err, errlen, "missing --cache DEV");
		return -EINVAL;
	}
	return 0;
}

int ssct_create_config(const struct ssct_create *c, struct ssc_config *cfg,
		       char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->origin = c->origin;
	cfg->cache = c->cache;
	cfg->block_sectors = SSC_DEFAULT_BLOCK;
	cfg->assoc = SSC_DEFAULT_ASSOC;
	cfg->mode = SSC_WRITETHROUGH;
	cfg->policy = SSC_LFU;
	if (c->block_bytes) {
		if (c->block_bytes < 512 || c->block_bytes > MAX_BLOCK_BYTES ||
		    (c->block_bytes & (c->block_bytes - 1))) {
			errf(err, errlen, "invalid block size %llu: a power of two from 512 bytes to 32M",
			     (unsigned long long)c->block_bytes);
			return -EINVAL;
		}
		cfg->block_sectors = (uint32_t)(c->block_bytes >> 9);
	}
	if (c->assoc) {
		if (c->assoc > SSC_MAX_ASSOC) {
			errf(err, errlen, "invalid assoc %u (1 to %u)",
			     c->assoc, SSC_MAX_ASSOC);
			return -EINVAL;
		}
		cfg->assoc = c->assoc;
	}
	if (c->mode >= 0)
		cfg->mode = (enum ssc_mode)c->mode;
	if (c->policy >= 0)
		cfg->policy = (enum ssc_policy)c->policy;
	cfg->opts = c->opts;
	cfg->reformat = c->reformat;
	if (strchr(c->origin, ' ') || strchr(c->cache, ' ')) {
		errf(err, errlen, "device paths may not contain spaces");
		return -EINVAL;
	}
	return 0;
}

int ssct_build_params(const struct ssc_config *cfg, char *buf, size_t len)
{
	char rest[512];

	ssc_format_table(cfg, rest, sizeof(rest));
	return snprintf(buf, len, "%s %s %s%s", cfg->origin, cfg->cache, rest,
			cfg->reformat ? " reformat" : "");
}

int ssct_build_table(const struct ssc_config *cfg, uint64_t origin_sectors,
		     char *buf, size_t len)
{
	char params[1024];

	ssct_build_params(cfg, params, sizeof(params));
	return snprintf(buf, len, "0 %llu ssdcache %s",
			(unsigned long long)origin_sectors, params);
}

static int describe_diff(const struct ssc_sb *sb, const struct ssc_geom *g,
			 uint32_t lbs, char *buf, size_t len)
{
	if (sb->block_sectors != g->block_sectors)
		return snprintf(buf, len, "block size %u -> %u sectors",
				sb->block_sectors, g->block_sectors);
	if (sb->lbs != lbs)
		return snprintf(buf, len, "logical block size %u -> %u",
				sb->lbs, lbs);
	if (sb->assoc != g->assoc)
		return snprintf(buf, len, "assoc %u -> %u", sb->assoc, g->assoc);
	if (sb->nr_sets != g->nr_sets || sb->data_offset != g->data_offset)
		return snprintf(buf, len, "sets %llu -> %llu (cache size changed)",
				(unsigned long long)sb->nr_sets,
				(unsigned long long)g->nr_sets);
	if (sb->origin_sectors != g->origin_sectors)
		return snprintf(buf, len, "origin size %llu -> %llu sectors",
				(unsigned long long)sb->origin_sectors,
				(unsigned long long)g->origin_sectors);
	if (len)
		buf[0] = '\0';
	return 0;
}

enum ssct_verdict ssct_check_sb(int decode_rc, const char *decode_err,
				const struct ssc_sb *sb,
				const struct ssc_geom *g, uint32_t lbs,
				bool want_reformat, bool force,
				char *why, size_t whylen)
{
	char diff[128], size[32];

	if (decode_rc == -ENOENT) {
		errf(why, whylen, "no ssdcache superblock: the cache will be formatted");
		return SSCT_FORMAT;
	}
	if (decode_rc) {
		if (force) {
			errf(why, whylen, "unreadable cache metadata (%s): reformatting (--force)",
			     decode_err ? decode_err : "corrupt");
			return SSCT_REFORMAT;
		}
		errf(why, whylen, "unreadable cache metadata (%s): it may hold dirty data; --force reformats it",
		     decode_err ? decode_err : "corrupt");
		return SSCT_REFUSE;
	}
	describe_diff(sb, g, lbs, diff, sizeof(diff));
	if (!diff[0] && !want_reformat) {
		errf(why, whylen, "existing cache (%llu blocks used, %llu dirty) is loaded",
		     (unsigned long long)sb->used_blocks,
		     (unsigned long long)sb->dirty_blocks);
		return SSCT_LOAD;
	}
	if (sb->dirty_blocks && !force) {
		ssct_human(sb->dirty_blocks * sb->block_sectors * 512ull,
			   size, sizeof(size));
		errf(why, whylen, "holds %llu dirty blocks (%s) not yet on the origin and %s would discard them; use the old settings and 'ssdcache flush', or --force",
		     (unsigned long long)sb->dirty_blocks, size,
		     diff[0] ? diff : "--reformat");
		return SSCT_REFUSE;
	}
	if (diff[0])
		errf(why, whylen, "geometry changed (%s): reformatting%s", diff,
		     sb->dirty_blocks ? ", discarding dirty data (--force)" : "");
	else
		errf(why, whylen, "reformatting as asked%s",
		     sb->dirty_blocks ? ", discarding dirty data (--force)" : "");
	return SSCT_REFORMAT;
}

int ssct_parse_status(char *line, struct ssct_kv *kv, int max)
{
	char *save = NULL, *k, *v;
	int n = 0;

	for (k = strtok_r(line, " \t\n", &save); k && n < max;
	     k = strtok_r(NULL, " \t\n", &save)) {
		v = strtok_r(NULL, " \t\n", &save);
		if (!v)
			break;
		kv[n].key = k;
		kv[n].val = v;
		n++;
	}
	return n;
}

const char *ssct_kv_get(const struct ssct_kv *kv, int n, const char *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].val;
	return NULL;
}

uint64_t ssct_kv_u64(const struct ssct_kv *kv, int n, const char *key,
		     uint64_t def)
{
	const char *v = ssct_kv_get(kv, n, key);
	char *end;
	unsigned long long x;

	if (!v || *v < '0' || *v > '9')
		return def;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (*end || errno)
		return def;
	return x;
}

double ssct_ratio(uint64_t a, uint64_t b)
{
	if (!a && !b)
		return -1;
	return 100.0 * (double)a / ((double)a + (double)b);
}

int ssct_conf_line(char *line, char **argv, int max, char *err,
		   size_t errlen)
{
	char *save = NULL, *tok, *hash;
	char *w[3];
	int n = 0, argc = 0;

	hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	for (tok = strtok_r(line, " \t\r\n", &save); tok;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (n < 3) {
			w[n++] = tok;
			if (n == 3) {
				if (max < 5)
					goto too_many;
				argv[argc++] = w[0];
				argv[argc++] = "--origin";
				argv[argc++] = w[1];
				argv[argc++] = "--cache";
				argv[argc++] = w[2];
			}
			continue;
		}
		if (argc >= max)
			goto too_many;
		argv[argc++] = tok;
	}
	if (n == 0)
		return 0;
	if (n < 3) {
		errf(err, errlen, "expected NAME ORIGIN CACHE [options]");
		return -EINVAL;
	}
	return argc;
too_many:
	errf(err, errlen, "too many arguments");
	return -EINVAL;
}

int ssct_json_str(const char *s, char *buf, size_t len)
{
	size_t o = 0;

#define PUT(c) do { if (o + 1 < len) buf[o] = (c); o++; } while (0)
	PUT('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			PUT('\\');
			PUT((char)ch);
		} else if (ch < 0x20) {
			char esc[8];
			int k;

			snprintf(esc, sizeof(esc), "\\u%04x", ch);
			for (k = 0; esc[k]; k++)
				PUT(esc[k]);
		} else {
			PUT((char)ch);
		}
	}
	PUT('"');
#undef PUT
	if (len)
		buf[o < len ? o : len - 1] = '\0';
	return (int)o;
}

/* ---------------------------------------------------------------- state */

static const char *const state_names[SSCT_NR_STATES] = {
	"ok", "degraded", "detached", "failed",
};

const char *ssct_state_name(enum ssct_state s)
{
	return s < SSCT_NR_STATES ? state_names[s] : "?";
}

enum ssct_state ssct_cache_state(const struct ssct_kv *kv, int n, char *why,
				 size_t len)
{
	uint64_t ce = ssct_kv_u64(kv, n, "cache_errors", 0);
	uint64_t oe = ssct_kv_u64(kv, n, "origin_errors", 0);
	uint64_t me = ssct_kv_u64(kv, n, "md_errors", 0);
	const char *cs = ssct_kv_get(kv, n, "cache_state");
	const char *st = ssct_kv_get(kv, n, "state");
	bool detached = st && !strcmp(st, "detached");
	char errs[160] = "";
	size_t o = 0;

	if (ce)
		o += snprintf(errs + o, sizeof(errs) - o, "%llu cache device errors",
			      (unsigned long long)ce);
	if (oe && o < sizeof(errs))
		o += snprintf(errs + o, sizeof(errs) - o, "%s%llu origin device errors",
			      o ? ", " : "", (unsigned long long)oe);
	if (me && o < sizeof(errs))
		snprintf(errs + o, sizeof(errs) - o, "%s%llu metadata write errors",
			 o ? ", " : "", (unsigned long long)me);
	if (cs && !strcmp(cs, "failed")) {
		errf(why, len, "the cache device failed (%s): clean data is read from the origin%s; after a repair, suspend and send message cache_ok",
		     errs[0] ? errs : "too many errors",
		     detached ? ", detached" : "");
		return SSCT_ST_FAILED;
	}
	if (detached) {
		errf(why, len, "detached: no new data enters the cache (ssdcache attach resumes caching)%s%s",
		     errs[0] ? "; " : "", errs);
		return SSCT_ST_DETACHED;
	}
	if (errs[0]) {
		errf(why, len, "%s since the table was loaded", errs);
		return SSCT_ST_DEGRADED;
	}
	if (why && len)
		why[0] = '\0';
	return SSCT_ST_OK;
}

/* ---------------------------------------------------------------- prometheus */

struct prom_buf {
	char *buf;
	size_t len;
	size_t o;
};

static void pb_printf(struct prom_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void pb_printf(struct prom_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(b->o < b->len ? b->buf + b->o : NULL,
		      b->o < b->len ? b->len - b->o : 0, fmt, ap);
	va_end(ap);
	if (r > 0)
		b->o += (size_t)r;
}

/* A label value: backslash, double quote and newline escaped. */
static void prom_label(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 3 < len; s++) {
		if (*s == '\\' || *s == '"') {
			out[o++] = '\\';
			out[o++] = *s;
		} else if (*s == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *s;
		}
	}
	if (len)
		out[o < len ? o : len - 1] = '\0';
}

struct prom_metric {
	const char *metric;	/* without the ssdcache_ prefix */
	const char *key;	/* status key */
	bool counter;
	const char *help;
};

static const struct prom_metric prom_metrics[] = {
	{ "read_hits_total", "read_hits", true, "Reads served from the cache." },
	{ "read_misses_total", "read_misses", true, "Reads that went to the origin." },
	{ "write_hits_total", "write_hits", true, "Writes to blocks the cache held." },
	{ "write_misses_total", "write_misses", true, "Writes to blocks the cache did not hold." },
	{ "bypassed_total", "bypassed", true, "Writes that went around the cache." },
	{ "seq_bypassed_total", "seq_bypassed", true, "Misses of sequential streams that went around the cache." },
	{ "evictions_total", "evictions", true, "Cache blocks evicted." },
	{ "fills_total", "fills", true, "Cache fills after read misses." },
	{ "writebacks_total", "writebacks", true, "Writes that completed in the cache alone (write-back)." },
	{ "cleaned_total", "cleaned", true, "Dirty blocks written back to the origin." },
	{ "cache_errors_total", "cache_errors", true, "I/O errors of the cache device." },
	{ "origin_errors_total", "origin_errors", true, "I/O errors of the origin device." },
	{ "metadata_errors_total", "md_errors", true, "Failed metadata commits." },
	{ "metadata_commits_total", "commits", true, "Metadata commits." },
	{ "blocks", "blocks", false, "Cache blocks." },
	{ "used_blocks", "used", false, "Cache blocks in use." },
	{ "dirty_blocks", "dirty", false, "Cache blocks not yet written back to the origin." },
	{ "cleaning", "cleaning", false, "1 while the cleaner writes dirty blocks back." },
	{ "high_watermark_percent", "high_watermark", false, "The cleaner starts above this share of dirty blocks." },
	{ "low_watermark_percent", "low_watermark", false, "The cleaner stops at this share of dirty blocks." },
	{ "sequential_cutoff_bytes", "sequential_cutoff", false, "Sequential streams this long bypass the cache (0: off)." },
};

static void prom_head(struct prom_buf *b, const char *metric, const char *type,
		      const char *help)
{
	pb_printf(b, "# HELP ssdcache_%s %s\n# TYPE ssdcache_%s %s\n", metric,
		  help, metric, type);
}

static void prom_ratio(struct prom_buf *b, const struct ssct_prom_cache *c,
		       int count, bool reads)
{
	const char *what = reads ? "read" : "write";
	char lbl[512], hk[16], mk[16];
	uint64_t hits, misses;
	int k;

	pb_printf(b, "# HELP ssdcache_%s_hit_ratio Share of %ss served by the cache: hits / (hits + misses), NaN before the first.\n# TYPE ssdcache_%s_hit_ratio gauge\n",
		  what, what, what);
	snprintf(hk, sizeof(hk), "%s_hits", what);
	snprintf(mk, sizeof(mk), "%s_misses", what);
	for (k = 0; k < count; k++) {
		prom_label(c[k].name, lbl, sizeof(lbl));
		hits = ssct_kv_u64(c[k].kv, c[k].n, hk, 0);
		misses = ssct_kv_u64(c[k].kv, c[k].n, mk, 0);
		if (hits + misses)
			pb_printf(b, "ssdcache_%s_hit_ratio{name=\"%s\"} %.6f\n",
				  what, lbl,
				  (double)hits / ((double)hits + (double)misses));
		else
			pb_printf(b, "ssdcache_%s_hit_ratio{name=\"%s\"} NaN\n",
				  what, lbl);
	}
}

int ssct_prom_format(const struct ssct_prom_cache *c, int count, char *buf,
		     size_t len)
{
	struct prom_buf b = { .buf = buf, .len = len };
	char lbl[512], mode[64], policy[64];
	enum ssct_state st;
	unsigned int i;
	int k;

	if (len)
		buf[0] = '\0';
	if (count <= 0)
		return 0;
	prom_head(&b, "info", "gauge", "Always 1: the cache's mode and policy.");
	for (k = 0; k < count; k++) {
		prom_label(c[k].name, lbl, sizeof(lbl));
		prom_label(ssct_kv_get(c[k].kv, c[k].n, "mode") ?: "unknown",
			   mode, sizeof(mode));
		prom_label(ssct_kv_get(c[k].kv, c[k].n, "policy") ?: "unknown",
			   policy, sizeof(policy));
		pb_printf(&b, "ssdcache_info{name=\"%s\",mode=\"%s\",policy=\"%s\"} 1\n",
			  lbl, mode, policy);
	}
	prom_head(&b, "state", "gauge",
		  "1 for the cache's state (ok, degraded, detached, failed), 0 for the others.");
	for (k = 0; k < count; k++) {
		prom_label(c[k].name, lbl, sizeof(lbl));
		st = ssct_cache_state(c[k].kv, c[k].n, NULL, 0);
		for (i = 0; i < SSCT_NR_STATES; i++)
			pb_printf(&b, "ssdcache_state{name=\"%s\",state=\"%s\"} %d\n",
				  lbl, state_names[i], st == (enum ssct_state)i);
	}
	prom_ratio(&b, c, count, true);
	prom_ratio(&b, c, count, false);
	prom_head(&b, "block_size_bytes", "gauge", "Cache block size.");
	for (k = 0; k < count; k++) {
		prom_label(c[k].name, lbl, sizeof(lbl));
		pb_printf(&b, "ssdcache_block_size_bytes{name=\"%s\"} %llu\n", lbl,
			  (unsigned long long)ssct_kv_u64(c[k].kv, c[k].n,
							  "blocksize", 0) * 512);
	}
	for (i = 0; i < sizeof(prom_metrics) / sizeof(prom_metrics[0]); i++) {
		const struct prom_metric *m = &prom_metrics[i];
		bool head = false;

		for (k = 0; k < count; k++) {
			const char *v = ssct_kv_get(c[k].kv, c[k].n, m->key);

			if (!v || *v < '0' || *v > '9')
				continue;	/* an older module: not reported */
			if (!head)
				prom_head(&b, m->metric,
					  m->counter ? "counter" : "gauge",
					  m->help);
			head = true;
			prom_label(c[k].name, lbl, sizeof(lbl));
			pb_printf(&b, "ssdcache_%s{name=\"%s\"} %llu\n", m->metric,
				  lbl,
				  (unsigned long long)ssct_kv_u64(c[k].kv, c[k].n,
								  m->key, 0));
		}
	}
	return (int)b.o;
}

/* ---------------------------------------------------------------- set */

int ssct_parse_set(int argc, char **argv, struct ssct_set *s, char *err,
		   size_t errlen)
{
	static const char *const with_value[] = {
		"--mode", "--policy", "--sequential-cutoff", "--high-watermark",
		"--low-watermark",
	};
	uint32_t pct;
	int i;

	memset(s, 0, sizeof(*s));
	s->mode = s->policy = s->high_wm = s->low_wm = -1;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *val, *inl;
		unsigned int k;
		int key = -1;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			s->help = true;
			return 0;
		}
		if (!strcmp(a, "--no-progress")) {
			s->no_progress = true;
			continue;
		}
		for (k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++) {
			if (is_opt(a, with_value[k], &inl)) {
				key = (int)k;
				break;
			}
		}
		if (key < 0) {
			if (a[0] == '-' && a[1]) {
				errf(err, errlen, "unknown argument '%s'", a);
				return -EINVAL;
			}
			if (s->name) {
				errf(err, errlen, "unexpected argument '%s' (the name is '%s')",
				     a, s->name);
				return -EINVAL;
			}
			s->name = a;
			continue;
		}
		if (inl) {
			val = inl;
		} else {
			if (i + 1 >= argc) {
				errf(err, errlen, "%s needs a value", with_value[key]);
				return -EINVAL;
			}
			val = argv[++i];
		}
		switch (key) {
		case 0:
			s->mode = ssct_parse_mode(val);
			if (s->mode < 0) {
				errf(err, errlen, "invalid mode '%s' (writethrough, writeback or readcache)",
				     val);
				return -EINVAL;
			}
			break;
		case 1:
			s->policy = ssct_parse_policy(val);
			if (s->policy < 0) {
				errf(err, errlen, "invalid policy '%s' (lru, lfu or adaptive)",
				     val);
				return -EINVAL;
			}
			break;
		case 2:
			if (ssct_parse_size(val, &s->cutoff) || (s->cutoff & 511) ||
			    s->cutoff > (1ull << 40)) {
				errf(err, errlen, "invalid sequential cutoff '%s' (bytes, a multiple of 512 up to 1T; 0: off)",
				     val);
				return -EINVAL;
			}
			s->set_cutoff = true;
			break;
		case 3:
		case 4:
			if (parse_u32_arg(key == 3 ? "high watermark" : "low watermark",
					  val, 100, &pct, err, errlen)) {
				errf(err, errlen, "invalid %s watermark '%s' (percent, 0 to 100)",
				     key == 3 ? "high" : "low", val);
				return -EINVAL;
			}
			if (key == 3)
				s->high_wm = (int)pct;
			else
				s->low_wm = (int)pct;
			break;
		}
	}
	if (!s->name) {
		errf(err, errlen, "missing NAME");
		return -EINVAL;
	}
	if (s->high_wm >= 0 && s->low_wm >= 0 && s->low_wm > s->high_wm) {
		errf(err, errlen, "low watermark %d%% above the high watermark %d%%",
		     s->low_wm, s->high_wm);
		return -EINVAL;
	}
	if (s->mode < 0 && s->policy < 0 && s->high_wm < 0 && s->low_wm < 0 &&
	    !s->set_cutoff) {
		errf(err, errlen, "nothing to change (--mode, --policy, --sequential-cutoff, --high-watermark or --low-watermark)");
		return -EINVAL;
	}
	return 0;
}

int ssct_table_config(const char *params, char *copy, size_t clen,
		      struct ssc_config *cfg, char *err, size_t errlen)
{
	char *argv[64], *save = NULL, *t;
	const char *perr = NULL;
	unsigned int argc = 0;

	if (strlen(params) >= clen) {
		errf(err, errlen, "table too long");
		return -EINVAL;
	}
	snprintf(copy, clen, "%s", params);
	for (t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (argc == 64) {
			errf(err, errlen, "table has too many arguments");
			return -EINVAL;
		}
		argv[argc++] = t;
	}
	if (ssc_parse_table(argc, argv, cfg, &perr)) {
		errf(err, errlen, "cannot read the live table: %s",
		     perr ? perr : "invalid");
		return -EINVAL;
	}
	return 0;
}

int ssct_set_params(const char *old, const struct ssct_set *s, char *out,
		    size_t len, char *err, size_t errlen)
{
	char copy[1024];
	struct ssc_config cfg;

	if (ssct_table_config(old, copy, sizeof(copy), &cfg, err, errlen))
		return -EINVAL;
	if (s->mode >= 0)
		cfg.mode = (enum ssc_mode)s->mode;
	if (s->policy >= 0)
		cfg.policy = (enum ssc_policy)s->policy;
	cfg.reformat = false;	/* never in a reload */
	if (ssct_build_params(&cfg, out, len) >= (int)len) {
		errf(err, errlen, "table too long");
		return -EINVAL;
	}
	return 0;
}

bool ssct_wm_high_first(unsigned int cur_high, unsigned int new_low)
{
	return new_low > cur_high;
}

int ssct_parse_resize(int argc, char **argv, struct ssct_resize *r, char *err,
		      size_t errlen)
{
	int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			r->help = true;
			return 0;
		} else if (!strcmp(a, "--force")) {
			r->force = true;
		} else if (!strcmp(a, "--no-progress")) {
			r->no_progress = true;
		} else if (a[0] == '-' && a[1]) {
			errf(err, errlen, "unknown argument '%s'", a);
			return -EINVAL;
		} else if (r->name) {
			errf(err, errlen, "unexpected argument '%s' (the name is '%s')",
			     a, r->name);
			return -EINVAL;
		} else {
			r->name = a;
		}
	}
	if (!r->name) {
		errf(err, errlen, "missing NAME");
		return -EINVAL;
	}
	return 0;
}

enum ssct_resize_verdict ssct_resize_check(const struct ssc_config *cfg,
					   uint64_t old_len,
					   const struct ssc_sb *sb,
					   uint64_t origin_sectors,
					   uint64_t cache_sectors, uint32_t lbs,
					   bool force, struct ssc_geom *g,
					   uint64_t *md_blocks, char *why,
					   size_t whylen)
{
	char a[32], b[32], o[96] = "", c[128] = "";
	const char *gerr = NULL;
	bool o_change, c_change;

	if (ssc_geom_init(g, cfg, origin_sectors, cache_sectors, lbs, &gerr) ||
	    ssc_layout(g, cache_sectors, md_blocks, &gerr)) {
		errf(why, whylen, "the new sizes make no cache: %s", gerr);
		return SSCT_RS_ERROR;
	}
	o_change = origin_sectors != old_len;
	c_change = g->nr_sets != sb->nr_sets || *md_blocks != sb->md_blocks;
	if (o_change) {
		ssct_human(old_len << 9, a, sizeof(a));
		ssct_human(origin_sectors << 9, b, sizeof(b));
		snprintf(o, sizeof(o), "origin %s -> %s", a, b);
	}
	if (c_change) {
		ssct_human(sb->cache_sectors << 9, a, sizeof(a));
		ssct_human(cache_sectors << 9, b, sizeof(b));
		snprintf(c, sizeof(c), "cache device %s -> %s (%llu -> %llu sets)",
			 a, b, (unsigned long long)sb->nr_sets,
			 (unsigned long long)g->nr_sets);
	}
	if (!o_change && !c_change) {
		ssct_human(origin_sectors << 9, a, sizeof(a));
		ssct_human(cache_sectors << 9, b, sizeof(b));
		errf(why, whylen, "origin %s, cache device %s: the sizes the table has%s",
		     a, b, cache_sectors != sb->cache_sectors ?
		     " (the cache device changed by less than one set)" : "");
		return SSCT_RS_NOTHING;
	}
	if (!force && o_change && origin_sectors < old_len) {
		ssct_human(old_len << 9, a, sizeof(a));
		ssct_human(origin_sectors << 9, b, sizeof(b));
		errf(why, whylen, "the origin shrank from %s to %s: whatever is above %s (a file system's end, dirty data for it) is lost; shrink what is on the device first, then --force",
		     a, b, b);
		return SSCT_RS_REFUSE;
	}
	if (!force && c_change && cache_sectors < sb->cache_sectors) {
		ssct_human(sb->cache_sectors << 9, a, sizeof(a));
		ssct_human(cache_sectors << 9, b, sizeof(b));
		errf(why, whylen, "the cache device shrank from %s to %s under a live cache: what it cached above %s is unreadable, dirty data there cannot be written back; --force to try",
		     a, b, b);
		return SSCT_RS_REFUSE;
	}
	errf(why, whylen, "%s%s%s", o, o[0] && c[0] ? ", " : "", c);
	return SSCT_RS_RELOAD;
}
