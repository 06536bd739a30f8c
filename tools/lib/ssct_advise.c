// SPDX-License-Identifier: GPL-2.0
/*
 * ssct_advise.c - the pure part of "ssdcache advise" (ssct_advise.h): a
 * recorded trace replayed through the module's I/O engine at a range of
 * cache sizes, for every block size and policy asked for.
 *
 * Sizes are cache device sizes, metadata included, as the user would buy or
 * carve them: the replay lays the cache out as the module does, so a cache
 * device of the recommended size has the geometry that was simulated.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ssct_advise.h"
#include "ssct_args.h"

#define MIB		((uint64_t)1 << 20)
#define MIN_CACHE	MIB		/* the smallest size on the curve */

static void adv_errf(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

int ssct_advise_blocks(struct ssct_advise *a, const char *list, char *err,
		       size_t errlen)
{
	char *dup = strdup(list), *tok, *save = NULL;
	int rc = 0;

	if (!dup)
		return -ENOMEM;
	a->nblock = 0;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t b;

		if (ssct_parse_size(tok, &b) || b < 512 || (b & (b - 1))) {
			adv_errf(err, errlen, "invalid block size '%s' (a power of two, at least 512)", tok);
			rc = -EINVAL;
			break;
		}
		if (a->nblock == SSCT_ADV_MAX_BLOCKS) {
			adv_errf(err, errlen, "at most %d block sizes", SSCT_ADV_MAX_BLOCKS);
			rc = -EINVAL;
			break;
		}
		a->block_bytes[a->nblock++] = b;
	}
	if (!rc && !a->nblock) {
		adv_errf(err, errlen, "no block size given");
		rc = -EINVAL;
	}
	free(dup);
	return rc;
}

int ssct_advise_policies(struct ssct_advise *a, const char *list, char *err,
			 size_t errlen)
{
	char *dup = strdup(list), *tok, *save = NULL;
	int rc = 0, p;

	if (!dup)
		return -ENOMEM;
	a->npolicy = 0;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		p = ssct_parse_policy(tok);
		if (p < 0) {
			adv_errf(err, errlen, "invalid policy '%s' (lru, lfu or adaptive)", tok);
			rc = -EINVAL;
			break;
		}
		if (a->npolicy == 3) {
			adv_errf(err, errlen, "at most 3 policies");
			rc = -EINVAL;
			break;
		}
		a->policy[a->npolicy++] = (enum ssc_policy)p;
	}
	if (!rc && !a->npolicy) {
		adv_errf(err, errlen, "no policy given");
		rc = -EINVAL;
	}
	free(dup);
	return rc;
}

static void conf_opts(const struct ssct_advise *a, const struct ssct_adv_conf *c,
		      uint64_t bytes, struct sim_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cache_bytes = bytes;
	o->block_sectors = (uint32_t)(c->block_bytes >> 9);
	o->assoc = SSC_DEFAULT_ASSOC;
	o->lbs = a->lbs;
	o->mode = a->mode;
	o->policy = c->policy;
	o->layout = true;
	o->seq_cutoff = -1;
	o->origin_sectors = a->origin_sectors;
}

/* Read hit ratio of one replay, or -1 when the cache cannot be that small. */
static double replay(const struct sim_trace *t, const struct ssct_advise *a,
		     struct ssct_adv_conf *c, uint64_t bytes)
{
	struct sim_opts o;
	const char *err;
	struct sim s;
	double h;

	conf_opts(a, c, bytes, &o);
	if (sim_run(&s, &o, t, &err)) {
		sim_exit(&s);
		return -1;
	}
	h = sim_hit_ratio(&s);
	if (!c->ram_per_block)
		c->ram_per_block = (uint32_t)ssc_cache_bytes_per_block(&s.e.c);
	sim_exit(&s);
	return h;
}

/* The @n-th root of 2 (Newton), without libm. */
static double root2(unsigned int n)
{
	double x = 1 + 1.0 / n;
	int it, k;

	for (it = 0; it < 60; it++) {
		double p = 1;

		for (k = 1; k < (int)n; k++)
			p *= x;			/* x^(n-1) */
		x -= (p * x - 2) / (n * p);
	}
	return x;
}

static uint64_t round_mib(uint64_t b)
{
	return (b + MIB - 1) / MIB * MIB;
}

int ssct_advise_run(const struct sim_trace *t, const struct ssct_advise *a,
		    struct ssct_advise_result *r, char *err, size_t errlen)
{
	unsigned int steps = a->steps ? a->steps : 2, i, k, n;
	uint64_t lo, hi, fp;
	double best = 0, step, b;
	size_t q;

	memset(r, 0, sizeof(*r));
	if (a->lbs < 512 || (a->lbs & (a->lbs - 1))) {
		adv_errf(err, errlen, "invalid logical block size %u", a->lbs);
		return -1;
	}
	for (q = 0; q < t->n; q++)
		t->r[q].write ? r->writes++ : r->reads++;
	if (!r->reads) {
		adv_errf(err, errlen, "the workload has no reads: a cache cannot help it read");
		return -1;
	}
	fp = sim_footprint(t, a->lbs >> 9);
	if (!fp) {
		adv_errf(err, errlen, "out of memory");
		return -1;
	}
	r->footprint = fp * a->lbs;
	for (i = 0; i < a->nblock; i++) {
		if (a->block_bytes[i] < a->lbs ||
		    a->block_bytes[i] > (uint64_t)SSC_MAX_SUB * a->lbs) {
			adv_errf(err, errlen, "block size %" PRIu64 " is outside %u .. %" PRIu64
			     " for a logical block size of %u", a->block_bytes[i], a->lbs,
			     (uint64_t)SSC_MAX_SUB * a->lbs, a->lbs);
			return -1;
		}
		for (k = 0; k < a->npolicy; k++) {
			r->conf[r->nconf].block_bytes = a->block_bytes[i];
			r->conf[r->nconf].policy = a->policy[k];
			r->nconf++;
		}
	}
	if (!r->nconf) {
		adv_errf(err, errlen, "no configuration to replay");
		return -1;
	}

	/* sizes: from 1/64 of the footprint to twice it, @steps per doubling */
	lo = a->min_bytes ? a->min_bytes : r->footprint / 64;
	hi = a->max_bytes ? a->max_bytes : r->footprint * 2;
	if (lo < MIN_CACHE)
		lo = MIN_CACHE;
	if (hi < lo)
		hi = lo;
	step = root2(steps);
	for (n = 0, b = (double)lo; b * step <= (double)hi * 1.0001 && n < 400; n++)
		b *= step;
	r->npoints = n + 1;
	r->bytes = calloc(r->npoints, sizeof(*r->bytes));
	r->hit = calloc((size_t)r->npoints * r->nconf, sizeof(*r->hit));
	if (!r->bytes || !r->hit) {
		ssct_advise_free(r);
		adv_errf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0, n = 0, b = (double)lo; i < r->npoints; i++, b *= step) {
		uint64_t sz = round_mib((uint64_t)b);

		if (n && sz <= r->bytes[n - 1])
			continue;	/* rounded to the size before */
		r->bytes[n] = sz;
		for (k = 0; k < r->nconf; k++) {
			double h = replay(t, a, &r->conf[k], sz);

			r->hit[n * r->nconf + k] = h;
			if (h > best)
				best = h;
		}
		n++;
	}
	r->npoints = n;

	r->target = a->target > 0 ? a->target : 0.9 * best;
	if (best <= 0)
		return 0;	/* no read is ever a hit: nothing to recommend */
	/*
	 * Per configuration: the first size on the curve that reaches the
	 * target, then bisected (whole MiB) against the size before it.
	 */
	for (k = 0; k < r->nconf; k++) {
		uint64_t below, above;
		double h_above;

		for (i = 0; i < r->npoints; i++)
			if (r->hit[i * r->nconf + k] >= r->target)
				break;
		if (i == r->npoints)
			continue;
		above = r->bytes[i];
		h_above = r->hit[i * r->nconf + k];
		/* not below the curve's first size when it was asked for */
		below = i ? r->bytes[i - 1] : a->min_bytes ? above : 0;
		while (above - below > MIB) {
			uint64_t mid = round_mib(below + (above - below) / 2);
			double h;

			if (mid >= above)
				break;
			h = replay(t, a, &r->conf[k], mid);
			if (h >= r->target) {
				above = mid;
				h_above = h;
			} else {
				below = mid;
			}
		}
		if (!r->found || above < r->rec_bytes ||
		    (above == r->rec_bytes && h_above > r->rec_hit)) {
			r->found = true;
			r->rec_bytes = above;
			r->rec_conf = k;
			r->rec_hit = h_above;
		}
	}
	return 0;
}

void ssct_advise_free(struct ssct_advise_result *r)
{
	free(r->bytes);
	free(r->hit);
	r->bytes = NULL;
	r->hit = NULL;
}

static void conf_name(const struct ssct_adv_conf *c, char *buf, size_t len)
{
	uint64_t b = c->block_bytes;
	const char *unit = "";

	if (b >= MIB && !(b % MIB)) {
		b /= MIB;
		unit = "M";
	} else if (b >= 1024 && !(b % 1024)) {
		b /= 1024;
		unit = "K";
	}
	snprintf(buf, len, "%" PRIu64 "%s/%s", b, unit, ssc_policy_name(c->policy));
}

void ssct_advise_print(FILE *f, const struct ssct_advise *a,
		       const struct ssct_advise_result *r)
{
	char h[32], name[48];
	unsigned int i, k;

	ssct_human(r->footprint, h, sizeof(h));
	fprintf(f, "workload: %" PRIu64 " requests (%" PRIu64 " reads, %" PRIu64
		" writes), footprint %s\n", r->reads + r->writes, r->reads, r->writes, h);
	fprintf(f, "read miss ratio by cache device size (block size/policy, %s):\n",
		ssc_mode_name(a->mode));
	fprintf(f, "%12s", "cache");
	for (k = 0; k < r->nconf; k++) {
		conf_name(&r->conf[k], name, sizeof(name));
		fprintf(f, " %13s", name);
	}
	fprintf(f, "\n");
	for (i = 0; i < r->npoints; i++) {
		ssct_human(r->bytes[i], h, sizeof(h));
		fprintf(f, "%12s", h);
		for (k = 0; k < r->nconf; k++) {
			double v = r->hit[i * r->nconf + k];

			if (v < 0)
				fprintf(f, " %13s", "-");
			else
				fprintf(f, " %13.4f", 1 - v);
		}
		fprintf(f, "\n");
	}
	fprintf(f, "RAM per cache block:");
	for (k = 0; k < r->nconf; k++) {
		conf_name(&r->conf[k], name, sizeof(name));
		fprintf(f, " %s %u B%s", name, r->conf[k].ram_per_block,
			k + 1 < r->nconf ? "," : "\n");
	}
	if (!r->found && r->target <= 0) {
		fprintf(f, "recommended: none: no read is ever read again, at any size: a cache would not help\n");
		return;
	}
	if (!r->found) {
		fprintf(f, "recommended: none: no size up to %s reaches a read hit ratio of %.4f\n",
			h, r->target);
		return;
	}
	{
		const struct ssct_adv_conf *c = &r->conf[r->rec_conf];
		char bs[32], ram[32];

		ssct_human(r->rec_bytes, h, sizeof(h));
		ssct_human(c->block_bytes, bs, sizeof(bs));
		ssct_human(r->rec_bytes / c->block_bytes * c->ram_per_block, ram, sizeof(ram));
		fprintf(f, "smallest cache reaching a read hit ratio of %.4f: %s with %s blocks and "
			"the %s policy (about %s of kernel memory)\n",
			r->target, h, bs, ssc_policy_name(c->policy), ram);
		fprintf(f, "  ssdcache create NAME --origin ORIGIN --cache CACHE --mode %s "
			"--block-size %" PRIu64 " --policy %s\n",
			ssc_mode_name(a->mode), c->block_bytes, ssc_policy_name(c->policy));
		fprintf(f, "recommended: cache_bytes %" PRIu64 " block_bytes %" PRIu64
			" policy %s mode %s hit_ratio %.4f\n", r->rec_bytes, c->block_bytes,
			ssc_policy_name(c->policy), ssc_mode_name(a->mode), r->rec_hit);
	}
}

void ssct_advise_data(FILE *f, const struct ssct_advise_result *r)
{
	unsigned int i, k;

	for (i = 0; i < r->npoints; i++) {
		fprintf(f, "%.6f", (double)r->bytes[i] / (double)MIB);
		for (k = 0; k < r->nconf; k++) {
			double v = r->hit[i * r->nconf + k];

			if (v < 0)
				fprintf(f, " NaN");
			else
				fprintf(f, " %.6f", 1 - v);
		}
		fprintf(f, "\n");
	}
}

void ssct_advise_gnuplot(FILE *f, const struct ssct_advise_result *r,
			 const char *datafile, const char *png)
{
	char name[48];
	unsigned int k;

	fprintf(f, "set terminal pngcairo size 900,600\n");
	fprintf(f, "set output '%s'\n", png);
	fprintf(f, "set title 'ssdcache advise: read miss ratio by cache size'\n");
	fprintf(f, "set xlabel 'cache device size (MiB)'\nset ylabel 'read miss ratio'\n");
	fprintf(f, "set logscale x 2\nset yrange [0:1]\nset grid\nset key top right\n");
	fprintf(f, "set datafile missing 'NaN'\n");
	if (r->found)
		fprintf(f, "set arrow from %.6f, graph 0 to %.6f, graph 1 nohead dashtype 2\n",
			(double)r->rec_bytes / (double)MIB, (double)r->rec_bytes / (double)MIB);
	fprintf(f, "plot ");
	for (k = 0; k < r->nconf; k++) {
		conf_name(&r->conf[k], name, sizeof(name));
		fprintf(f, "'%s' using 1:%u with linespoints title '%s'%s", datafile, k + 2,
			name, k + 1 < r->nconf ? ", \\\n     " : "\n");
	}
}
