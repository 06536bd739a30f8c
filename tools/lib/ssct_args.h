/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ssct_args.h - the pure part of the ssdcache tool: argument handling,
 * size suffixes, table building, status line parsing, the superblock
 * verdict and the config file. No I/O, no device-mapper: unit tested.
 */
#ifndef SSCT_ARGS_H
#define SSCT_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssdcache/ssc_core.h"
#include "ssdcache/ssc_format.h"

#define SSCT_ERRLEN	256
#define SSCT_MAX_KV	128

/*
 * Parse a size in bytes: a decimal number with an optional binary suffix
 * k, M, G or T (case-insensitive, optionally followed by "iB" or "B"),
 * or "s" for 512-byte sectors. Returns 0, or -EINVAL (syntax) or
 * -ERANGE (overflow).
 */
int ssct_parse_size(const char *s, uint64_t *bytes);

/*
 * A mode (writethrough, writeback, readcache) or policy (lru, lfu,
 * adaptive) name, case-insensitive: its enum value, or -1.
 */
int ssct_parse_mode(const char *val);
int ssct_parse_policy(const char *val);

/* Print @bytes as "1.5 GiB" (or "512 B"). */
void ssct_human(uint64_t bytes, char *buf, size_t len);

/* What "ssdcache create" was asked to do. */
struct ssct_create {
	const char *name;
	const char *origin;
	const char *cache;
	uint64_t block_bytes;	/* 0: the target's default */
	uint32_t assoc;		/* 0: default */
	int mode;		/* enum ssc_mode, -1: default */
	int policy;		/* enum ssc_policy, -1: default */
	uint32_t opts;		/* enum ssc_opt bits */
	bool force;
	bool reformat;
	bool help;
};

/*
 * Parse the arguments of "create" (after the command word): NAME and
 * --origin DEV --cache DEV [--mode M] [--block-size SIZE] [--policy P]
 * [--assoc N] [--option OPT[,OPT...]]... [--reformat] [--force] [--help].
 * "--key value" and "--key=value" are both accepted. Returns 0 or -EINVAL
 * with a message in @err.
 */
int ssct_parse_create(int argc, char **argv, struct ssct_create *c,
		      char *err, size_t errlen);

/* Name of option bit @bit (enum ssc_opt), or NULL. */
const char *ssct_opt_name(uint32_t bit);

/*
 * The target configuration for @c (devices as given). Checks what needs
 * no device: the block size is a power of two, at least 512 bytes and at
 * most 32 MiB; assoc 1..64. Returns 0 or -EINVAL with @err.
 */
int ssct_create_config(const struct ssct_create *c, struct ssc_config *cfg,
		       char *err, size_t errlen);

/*
 * The target parameters (everything after "ssdcache" in a table line):
 * "<origin> <cache> blocksize .. assoc .. <mode> options N ..." plus
 * " reformat" when cfg->reformat. Returns the length (like snprintf);
 * the result is checked by reading it back with ssc_parse_table().
 */
int ssct_build_params(const struct ssc_config *cfg, char *buf, size_t len);

/* The whole table line "0 <sectors> ssdcache <params>". */
int ssct_build_table(const struct ssc_config *cfg, uint64_t origin_sectors,
		     char *buf, size_t len);

/*
 * What to do with the cache device's current content. @decode_rc and
 * @sb are ssc_sb_decode()'s result on its first 4 KiB; @g the geometry
 * the new table gives (ssc_geom_init + ssc_layout), @lbs the devices'
 * logical block size.
 */
enum ssct_verdict {
	SSCT_FORMAT,		/* no superblock: the target formats it */
	SSCT_LOAD,		/* same geometry: the content is kept */
	SSCT_REFORMAT,		/* reformat (set cfg->reformat) */
	SSCT_REFUSE,		/* dirty data would be lost: needs --force */
};

enum ssct_verdict ssct_check_sb(int decode_rc, const char *decode_err,
				const struct ssc_sb *sb,
				const struct ssc_geom *g, uint32_t lbs,
				bool want_reformat, bool force,
				char *why, size_t whylen);

/* A status line split into key/value pairs (in place). */
struct ssct_kv {
	char *key;
	char *val;
};

int ssct_parse_status(char *line, struct ssct_kv *kv, int max);
const char *ssct_kv_get(const struct ssct_kv *kv, int n, const char *key);
/* The value of @key as a number; @def when missing or not a number. */
uint64_t ssct_kv_u64(const struct ssct_kv *kv, int n, const char *key,
		     uint64_t def);

/* Percentage @a / (@a + @b) * 100, or -1 when both are zero. */
double ssct_ratio(uint64_t a, uint64_t b);

/*
 * One line of /etc/ssdcache.conf: "NAME ORIGIN CACHE [create options]",
 * '#' starts a comment. Splits @line in place into an argv for
 * ssct_parse_create: NAME --origin ORIGIN --cache CACHE [options].
 * Returns the argc (0 for a blank or comment line) or -EINVAL with @err.
 */
int ssct_conf_line(char *line, char **argv, int max, char *err,
		   size_t errlen);

/* Write @s as a JSON string (with quotes) into @buf. */
int ssct_json_str(const char *s, char *buf, size_t len);

/*
 * The cache's state from its status line, for status and list: the worst
 * of failed (cache_state failed: too many cache device errors), detached
 * (state detached), degraded (any cache, origin or metadata error since
 * the table was loaded) and ok. @why gets the reason in words ("" for ok).
 */
enum ssct_state {
	SSCT_ST_OK,
	SSCT_ST_DEGRADED,
	SSCT_ST_DETACHED,
	SSCT_ST_FAILED,
	SSCT_NR_STATES,
};

const char *ssct_state_name(enum ssct_state s);
enum ssct_state ssct_cache_state(const struct ssct_kv *kv, int n, char *why,
				 size_t len);

/* One cache for ssct_prom_format: its name and parsed status line. */
struct ssct_prom_cache {
	const char *name;
	const struct ssct_kv *kv;
	int n;
};

/*
 * The status lines of @count caches as node_exporter textfile-collector
 * metrics (Prometheus text format 0.0.4): each metric once with its HELP
 * and TYPE lines, then one sample per cache labelled name="...". Returns
 * the length (like snprintf).
 */
int ssct_prom_format(const struct ssct_prom_cache *c, int count, char *buf,
		     size_t len);

/* What "ssdcache set" was asked to change (-1 / false: keep). */
struct ssct_set {
	const char *name;
	int mode;		/* enum ssc_mode */
	int policy;		/* enum ssc_policy */
	int high_wm;		/* percent */
	int low_wm;
	bool set_cutoff;
	uint64_t cutoff;	/* bytes */
	bool no_progress;
	bool help;
};

/*
 * Parse "set" (after the command word): NAME [--mode M] [--policy P]
 * [--sequential-cutoff BYTES] [--high-watermark PCT] [--low-watermark PCT]
 * [--no-progress] [--help]. Returns 0 or -EINVAL with @err.
 */
int ssct_parse_set(int argc, char **argv, struct ssct_set *s, char *err,
		   size_t errlen);

/*
 * The configuration of a live table's parameters @params (as
 * device-mapper reports them); @copy (@clen bytes) holds the words
 * cfg->origin and cfg->cache point into. Returns 0 or -EINVAL with @err.
 */
int ssct_table_config(const char *params, char *copy, size_t clen,
		      struct ssc_config *cfg, char *err, size_t errlen);

/*
 * The parameters of @old (a live table's, "<origin> <cache> blocksize ..."
 * as device-mapper reports them) with the mode and policy of @s where it
 * sets them, every other argument kept. Returns 0 or -EINVAL with @err.
 */
int ssct_set_params(const char *old, const struct ssct_set *s, char *out,
		    size_t len, char *err, size_t errlen);

/*
 * Order of the two watermark messages: the target keeps high >= low at
 * every step. True when high_watermark must be sent before low_watermark.
 */
bool ssct_wm_high_first(unsigned int cur_high, unsigned int new_low);

/* What "ssdcache resize" was asked to do. */
struct ssct_resize {
	const char *name;
	bool force;		/* follow a shrunk origin or cache device */
	bool no_progress;
	bool help;
};

/*
 * Parse "resize" (after the command word): NAME [--force] [--no-progress]
 * [--help]. Returns 0 or -EINVAL with @err.
 */
int ssct_parse_resize(int argc, char **argv, struct ssct_resize *r, char *err,
		      size_t errlen);

enum ssct_resize_verdict {
	SSCT_RS_NOTHING,	/* the geometry stays: nothing to do */
	SSCT_RS_RELOAD,		/* reload with the new length: reformat, cold */
	SSCT_RS_REFUSE,		/* a device shrank and no --force */
	SSCT_RS_ERROR,		/* the new sizes make no valid cache */
};

/*
 * What a reload of a cache configured as @cfg would do, now that the
 * origin holds @origin_sectors and the cache device @cache_sectors (@lbs:
 * the logical block size), against the running table's length @old_len
 * and the superblock @sb it formatted. Fills @g (and *@md_blocks) with
 * the new geometry; @why says what changed or why not.
 */
enum ssct_resize_verdict ssct_resize_check(const struct ssc_config *cfg,
					   uint64_t old_len,
					   const struct ssc_sb *sb,
					   uint64_t origin_sectors,
					   uint64_t cache_sectors, uint32_t lbs,
					   bool force, struct ssc_geom *g,
					   uint64_t *md_blocks, char *why,
					   size_t whylen);

#endif /* SSCT_ARGS_H */
