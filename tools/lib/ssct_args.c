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
			if (!strcasecmp(val, "writethrough")) {
				c->mode = SSC_WRITETHROUGH;
			} else if (!strcasecmp(val, "writeback")) {
				c->mode = SSC_WRITEBACK;
			} else if (!strcasecmp(val, "readcache")) {
				c->mode = SSC_READCACHE;
			} else {
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
			if (!strcasecmp(val, "lru")) {
				c->policy = SSC_LRU;
			} else if (!strcasecmp(val, "lfu")) {
				c->policy = SSC_LFU;
			} else if (!strcasecmp(val, "adaptive")) {
				c->policy = SSC_ADAPTIVE;
			} else {
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
