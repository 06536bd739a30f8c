// SPDX-License-Identifier: GPL-2.0
/*
 * ssc_table.c - parse and print the ssdcache table line.
 *
 * Shared by the kernel constructor, the userspace tool and the fuzzers.
 * Every argument is checked before it is used: a missing value, a
 * non-number, an unknown keyword or option and a wrong option count are
 * errors, never undefined behaviour (the RFC ran sscanf on NULL).
 */
#include "ssdcache/ssc_core.h"

#define SSC_MAX_BLOCK_SECTORS	(1u << 16)

static const char *const opt_names[SSC_NR_OPTS] = {
	"async_lookup",
	"queue_busy",
	"disable_writeback",
	"skip_write_insert",
	"evict_on_write",
	"cmd_preload",
	"eager_writeback",
};

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static bool word_is(const char *s, const char *word)
{
	while (*s && *word) {
		if (lower(*s) != *word)
			return false;
		s++;
		word++;
	}
	return !*s && !*word;
}

/* Strict decimal: digits only, no sign, no overflow past @max. */
static bool parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

const char *ssc_opt_name(uint32_t bit)
{
	uint32_t j;

	for (j = 0; j < SSC_NR_OPTS; j++)
		if (bit == 1u << j)
			return opt_names[j];
	return NULL;
}

const char *ssc_mode_name(enum ssc_mode mode)
{
	switch (mode) {
	case SSC_WRITEBACK:
		return "writeback";
	case SSC_READCACHE:
		return "readcache";
	default:
		return "writethrough";
	}
}

const char *ssc_policy_name(enum ssc_policy policy)
{
	switch (policy) {
	case SSC_LRU:
		return "lru";
	case SSC_ADAPTIVE:
		return "adaptive";
	default:
		return "lfu";
	}
}

static int parse_options(unsigned int argc, char **argv, unsigned int *i,
			 struct ssc_config *cfg, const char **err)
{
	uint32_t count, k, j;

	if (*i >= argc || !parse_u32(argv[*i], 64, &count)) {
		*err = "Invalid option count";
		return -EINVAL;
	}
	(*i)++;
	if (count > argc - *i) {
		*err = "Option count exceeds the number of arguments";
		return -EINVAL;
	}
	for (k = 0; k < count; k++, (*i)++) {
		const char *name = argv[*i];

		if (word_is(name, "lru")) {
			cfg->policy = SSC_LRU;
			continue;
		}
		if (word_is(name, "lfu")) {
			cfg->policy = SSC_LFU;
			continue;
		}
		if (word_is(name, "adaptive")) {
			cfg->policy = SSC_ADAPTIVE;
			continue;
		}
		for (j = 0; j < SSC_NR_OPTS; j++) {
			if (word_is(name, opt_names[j])) {
				cfg->opts |= 1u << j;
				break;
			}
		}
		if (j == SSC_NR_OPTS) {
			*err = "Unknown option";
			return -EINVAL;
		}
	}
	return 0;
}

int ssc_parse_table(unsigned int argc, char **argv, struct ssc_config *cfg,
		    const char **err)
{
	unsigned int i;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->block_sectors = SSC_DEFAULT_BLOCK;
	cfg->assoc = SSC_DEFAULT_ASSOC;
	cfg->mode = SSC_WRITETHROUGH;
	cfg->policy = SSC_LFU;

	if (argc < 1 || !argv[0] || !*argv[0]) {
		*err = "Origin device is not specified";
		return -EINVAL;
	}
	if (argc < 2 || !argv[1] || !*argv[1]) {
		*err = "Cache device is not specified";
		return -EINVAL;
	}
	cfg->origin = argv[0];
	cfg->cache = argv[1];

	for (i = 2; i < argc;) {
		const char *key = argv[i++];

		if (!key) {
			*err = "Missing argument";
			return -EINVAL;
		}
		if (word_is(key, "blocksize")) {
			if (i >= argc) {
				*err = "blocksize needs a value";
				return -EINVAL;
			}
			if (!parse_u32(argv[i], SSC_MAX_BLOCK_SECTORS,
				       &cfg->block_sectors)) {
				*err = "Invalid blocksize (sectors, power of two, at most 65536)";
				return -EINVAL;
			}
			i++;
			if (!cfg->block_sectors ||
			    (cfg->block_sectors & (cfg->block_sectors - 1))) {
				*err = "blocksize must be a non-zero power of two";
				return -EINVAL;
			}
		} else if (word_is(key, "assoc")) {
			if (i >= argc) {
				*err = "assoc needs a value";
				return -EINVAL;
			}
			if (!parse_u32(argv[i], SSC_MAX_ASSOC, &cfg->assoc) ||
			    !cfg->assoc) {
				*err = "Invalid assoc (1 to 64)";
				return -EINVAL;
			}
			i++;
		} else if (word_is(key, "writethrough")) {
			cfg->mode = SSC_WRITETHROUGH;
		} else if (word_is(key, "writeback")) {
			cfg->mode = SSC_WRITEBACK;
		} else if (word_is(key, "readcache")) {
			cfg->mode = SSC_READCACHE;
		} else if (word_is(key, "reformat")) {
			cfg->reformat = true;
		} else if (word_is(key, "options")) {
			r = parse_options(argc, argv, &i, cfg, err);
			if (r)
				return r;
		} else {
			*err = "Unknown argument (mode or keyword)";
			return -EINVAL;
		}
	}
	return 0;
}

static int append(char *buf, size_t len, int pos, const char *s)
{
	size_t n = strlen(s);

	if (pos >= 0 && (size_t)pos + n < len)
		memcpy(buf + pos, s, n + 1);
	else if (pos >= 0 && (size_t)pos < len)
		buf[pos] = '\0';
	return pos + (int)n;
}

static int append_u32(char *buf, size_t len, int pos, uint32_t v)
{
	char tmp[12];
	int n = 0, k;
	char out[12];

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (k = 0; k < n; k++)
		out[k] = tmp[n - 1 - k];
	out[n] = '\0';
	return append(buf, len, pos, out);
}

int ssc_format_table(const struct ssc_config *cfg, char *buf, size_t len)
{
	uint32_t count = 1, j;
	int pos = 0;

	if (len)
		buf[0] = '\0';
	for (j = 0; j < SSC_NR_OPTS; j++)
		if (cfg->opts & (1u << j))
			count++;
	pos = append(buf, len, pos, "blocksize ");
	pos = append_u32(buf, len, pos, cfg->block_sectors);
	pos = append(buf, len, pos, " assoc ");
	pos = append_u32(buf, len, pos, cfg->assoc);
	pos = append(buf, len, pos, " ");
	pos = append(buf, len, pos, ssc_mode_name(cfg->mode));
	pos = append(buf, len, pos, " options ");
	pos = append_u32(buf, len, pos, count);
	pos = append(buf, len, pos, " ");
	pos = append(buf, len, pos, ssc_policy_name(cfg->policy));
	for (j = 0; j < SSC_NR_OPTS; j++) {
		if (cfg->opts & (1u << j)) {
			pos = append(buf, len, pos, " ");
			pos = append(buf, len, pos, opt_names[j]);
		}
	}
	return pos;
}
