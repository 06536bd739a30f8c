/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ssct_advise.h - "ssdcache advise": replay a recorded workload through the
 * module's I/O engine (ssct_sim.c) at a range of cache sizes, block sizes
 * and policies; the miss-ratio curves and the smallest cache that reaches
 * a target read hit ratio. No I/O besides the output stream: unit tested.
 */
#ifndef SSCT_ADVISE_H
#define SSCT_ADVISE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ssct_sim.h"

#define SSCT_ADV_MAX_BLOCKS	8
#define SSCT_ADV_MAX_CONF	(SSCT_ADV_MAX_BLOCKS * 3)

struct ssct_advise {
	uint64_t block_bytes[SSCT_ADV_MAX_BLOCKS];
	unsigned int nblock;
	enum ssc_policy policy[3];
	unsigned int npolicy;
	enum ssc_mode mode;
	uint32_t lbs;			/* logical block size of the devices */
	uint64_t origin_sectors;	/* 0: the end of the trace */
	double target;			/* read hit ratio; <= 0: 90 % of the best */
	uint64_t min_bytes, max_bytes;	/* 0: from the footprint */
	unsigned int steps;		/* sizes per doubling (default 2) */
};

/* One configuration: a block size and a policy. */
struct ssct_adv_conf {
	uint64_t block_bytes;
	enum ssc_policy policy;
	uint32_t ram_per_block;		/* bytes of kernel memory per cache block */
};

struct ssct_advise_result {
	uint64_t reads, writes;		/* requests of the trace */
	uint64_t footprint;		/* bytes, in logical blocks */
	struct ssct_adv_conf conf[SSCT_ADV_MAX_CONF];
	unsigned int nconf;
	uint64_t *bytes;		/* npoints cache sizes */
	double *hit;			/* [point * nconf + conf]; < 0: too small */
	unsigned int npoints;
	double target;			/* the target used */
	bool found;
	uint64_t rec_bytes;		/* smallest cache device reaching it */
	unsigned int rec_conf;
	double rec_hit;			/* predicted read hit ratio at rec_bytes */
};

/*
 * The block sizes ("4k,32k,128k") and policies ("lfu,adaptive") of @a from
 * comma lists. Returns 0 or -EINVAL with @err.
 */
int ssct_advise_blocks(struct ssct_advise *a, const char *list, char *err,
		       size_t errlen);
int ssct_advise_policies(struct ssct_advise *a, const char *list, char *err,
			 size_t errlen);

/* Replay @t for every size and configuration. 0, or -1 with @err. */
int ssct_advise_run(const struct sim_trace *t, const struct ssct_advise *a,
		    struct ssct_advise_result *r, char *err, size_t errlen);
void ssct_advise_free(struct ssct_advise_result *r);

/* The curves as a text table and the recommendation (last line). */
void ssct_advise_print(FILE *f, const struct ssct_advise *a,
		       const struct ssct_advise_result *r);
/* The curves as whitespace-separated columns, for gnuplot. */
void ssct_advise_data(FILE *f, const struct ssct_advise_result *r);
/* A gnuplot script that plots @datafile into the PNG @png. */
void ssct_advise_gnuplot(FILE *f, const struct ssct_advise_result *r,
			 const char *datafile, const char *png);

#endif /* SSCT_ADVISE_H */
