/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ssct_sim.h - trace replay through the module's I/O engine (ssct_sim.c),
 * for ssc-sim and "ssdcache advise".
 */
#ifndef SSCT_SIM_H
#define SSCT_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssdcache/ssc_core.h"
#include "ssdcache/ssc_engine.h"

struct sim_rec {
	uint64_t sector;	/* 512-byte sectors */
	uint32_t nsect;
	uint8_t write;
};

struct sim_trace {
	struct sim_rec *r;
	size_t n, cap;
	uint64_t max_sector;	/* one past the highest sector */
};

enum sim_fmt {
	FMT_AUTO, FMT_MSR, FMT_SYSTOR, FMT_VSCSI, FMT_CPCSV, FMT_LIS, FMT_CSV,
	FMT_BLKPARSE,
};

struct sim_opts {
	uint64_t cache_bytes;
	uint32_t block_sectors;
	uint32_t assoc;
	uint32_t lbs;		/* logical block size, bytes */
	enum ssc_mode mode;
	enum ssc_policy policy;
	uint32_t opts;		/* SSC_OPT_SKIP_WRITE_INSERT, SSC_OPT_EVICT_ON_WRITE */
	bool writes_as_reads;	/* every access reads (as reference simulators) */
	bool layout;		/* leave room for the on-disk metadata, as the module */
	int64_t seq_cutoff;	/* bytes; -1: the engine's default (off) */
	uint64_t origin_sectors;	/* sim_run(): 0: the end of the trace */
};

struct sim_stats {
	uint64_t read_hits, read_misses, write_hits, write_misses;
	uint64_t read_hit_sectors, read_miss_sectors;
	uint64_t write_skip, evictions, invalidations, seq_bypassed;
};

struct sim {
	struct ssc_engine e;		/* the module's I/O engine */
	struct ssc_env_ops ops;
	struct sim_opts o;
	struct sim_stats st;
};

struct sim_refs {
	uint64_t *blk;
	size_t n;
};

extern const char *const sim_fmt_names[];
extern const unsigned int sim_nr_fmts;

int sim_parse_line(struct sim_trace *t, enum sim_fmt fmt, char *line);
int sim_parse_vscsi(struct sim_trace *t, const unsigned char *p);
/* Read a whole trace (FMT_AUTO: guess); at most @maxrec records if set. */
int sim_load(struct sim_trace *t, const char *path, enum sim_fmt fmt,
	     uint64_t maxrec);
void sim_trace_free(struct sim_trace *t);
/* Distinct blocks of @block_sectors the trace touches, or 0 out of memory. */
uint64_t sim_footprint(const struct sim_trace *t, uint32_t block_sectors);

int sim_init(struct sim *s, const struct sim_opts *o, uint64_t origin_sectors,
	     const char **err);
void sim_exit(struct sim *s);
void sim_access(struct sim *s, uint64_t sector, uint32_t nsect, bool write);
/* Replay the whole trace into a fresh cache: 0, or -1 with *err set. */
int sim_run(struct sim *s, const struct sim_opts *o, const struct sim_trace *t,
	    const char **err);
/* Read hit ratio (pieces, as the module's counters) of a finished run. */
double sim_hit_ratio(const struct sim *s);

int sim_refs_build(struct sim_refs *r, const struct sim_trace *t,
		   uint32_t block_sectors, bool writes_as_reads);
uint64_t sim_ref_lru(const struct sim_refs *r, uint64_t cap);
uint64_t sim_ref_opt(const struct sim_refs *r, uint64_t cap);

#endif /* SSCT_SIM_H */
