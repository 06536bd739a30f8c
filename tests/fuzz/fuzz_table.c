// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_table: libFuzzer harness for the table-line parser and printer
 * (core/ssc_table.c), which the kernel constructor runs on whatever
 * "dmsetup create" hands it.
 *
 * Input: byte 0 is a buffer length for a truncated ssc_format_table() call,
 * the rest is a table line, split into arguments on white space and NUL
 * bytes the way dm_split_args() splits it (no empty arguments).
 *
 * Properties checked (a violation aborts, i.e. is a "crash"):
 *  - ssc_parse_table() returns 0 or -EINVAL, and sets *err on -EINVAL;
 *  - an accepted config is in range (power-of-two blocksize <= 65536,
 *    assoc 1..64, a known mode and policy, only known option bits);
 *  - round trip: the origin, the cache and format(parse(x)) parse again,
 *    to the same config, and formatting that gives the same text;
 *  - ssc_format_table() into a short buffer returns the full length, writes
 *    a NUL-terminated prefix and never past the buffer (ASan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssdcache/ssc_core.h"

#define MAX_TEXT 4096

#include "fuzz.h"

static int is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '\v' || c == '\f' || c == '\0';
}

/* Split @buf (len bytes, NUL-terminated after them) in place. */
static unsigned int split(char *buf, size_t len, char **argv, unsigned int max)
{
	unsigned int argc = 0;
	size_t i = 0;

	while (i < len && argc < max) {
		while (i < len && is_sep(buf[i]))
			buf[i++] = '\0';
		if (i >= len)
			break;
		argv[argc++] = buf + i;
		while (i < len && !is_sep(buf[i]))
			i++;
	}
	for (; i < len; i++)
		if (is_sep(buf[i]))
			buf[i] = '\0';
	return argc;
}

static void check_range(const struct ssc_config *c)
{
	CHECK(c->block_sectors && c->block_sectors <= 65536);
	CHECK(!(c->block_sectors & (c->block_sectors - 1)));
	CHECK(c->assoc >= 1 && c->assoc <= SSC_MAX_ASSOC);
	CHECK(c->mode == SSC_WRITETHROUGH || c->mode == SSC_WRITEBACK ||
	      c->mode == SSC_READCACHE);
	CHECK(c->policy == SSC_LFU || c->policy == SSC_LRU ||
	      c->policy == SSC_ADAPTIVE);
	CHECK(!(c->opts & ~((1u << SSC_NR_OPTS) - 1)));
	CHECK(c->origin && *c->origin && c->cache && *c->cache);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *argv[MAX_TEXT / 2 + 4], *argv2[64];
	char *buf, out[512], out2[512], tbuf[257], line[1024];
	struct ssc_config cfg, cfg2;
	const char *err = NULL;
	unsigned int argc, argc2, i;
	size_t tlen;
	int r, n, n2;

	if (size < 1 || size > MAX_TEXT)
		return 0;
	tlen = data[0];
	buf = malloc(size);	/* exact size: ASan sees any overread */
	CHECK(buf);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	argc = split(buf, size - 1, argv, sizeof(argv) / sizeof(argv[0]));

	r = ssc_parse_table(argc, argv, &cfg, &err);
	CHECK(r == 0 || r == -EINVAL);
	if (r) {
		CHECK(err && *err);
		free(buf);
		return 0;
	}
	check_range(&cfg);

	n = ssc_format_table(&cfg, out, sizeof(out));
	CHECK(n > 0 && (size_t)n < sizeof(out) && strlen(out) == (size_t)n);

	/* truncated output: same return value, NUL-terminated prefix */
	memset(tbuf, 'X', sizeof(tbuf));
	n2 = ssc_format_table(&cfg, tbuf, tlen);
	CHECK(n2 == n);
	if (tlen) {
		CHECK(memchr(tbuf, '\0', tlen));
		CHECK(!strncmp(tbuf, out, strlen(tbuf)));
	}
	CHECK(tbuf[tlen] == 'X' || tlen == sizeof(tbuf) - 1);

	/* round trip: "origin cache <format>" parses to the same config */
	n2 = snprintf(line, sizeof(line), "%s %s %s", cfg.origin, cfg.cache, out);
	if (n2 > 0 && (size_t)n2 < sizeof(line)) {
		argc2 = split(line, (size_t)n2, argv2, 64);
		err = NULL;
		r = ssc_parse_table(argc2, argv2, &cfg2, &err);
		if (r)
			fprintf(stderr, "fuzz_table: reparse of '%s' failed: %s\n",
				out, err ? err : "?");
		CHECK(r == 0);
		CHECK(!strcmp(cfg2.origin, cfg.origin));
		CHECK(!strcmp(cfg2.cache, cfg.cache));
		CHECK(cfg2.block_sectors == cfg.block_sectors);
		CHECK(cfg2.assoc == cfg.assoc);
		CHECK(cfg2.mode == cfg.mode);
		CHECK(cfg2.policy == cfg.policy);
		CHECK(cfg2.opts == cfg.opts);
		n2 = ssc_format_table(&cfg2, out2, sizeof(out2));
		CHECK(n2 == n && !strcmp(out, out2));
	}
	for (i = 0; i < argc; i++)	/* argv untouched by the parser */
		CHECK(argv[i] >= buf && argv[i] < buf + size);
	free(buf);
	return 0;
}
