/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ssct_regcheck.h - the register checker of ssc-regcheck (tools/ssc-regcheck.c):
 * sector contents that name the write they came from, a history of timed
 * reads and writes, and the verdict of every read against the block-device
 * contract (../shared/CONTRACT.md, "Reads and writes"). No I/O here: the
 * tool does the I/O, tests/unit/test_regcheck.c feeds made-up histories.
 *
 * Every 512-byte sector of the region is a register. A write gets an id
 * (1, 2, ...; 0 is the region's content before the run) and fills each
 * sector it covers with (magic, run tag, sector, id, thread) and a filler
 * derived from them, so a read tells exactly which write it saw.
 *
 * Times are CLOCK_MONOTONIC nanoseconds: issue taken just before the
 * syscall, completion just after it returned, so the recorded interval
 * contains the real one and "A completed before B was issued" is proven
 * by A.complete < B.issue (strictly: equal readings prove nothing).
 *
 * A read of sector s that returned value Y (a write, or the initial
 * content) is a violation when
 *   - Y is not a write to s of this run, nor s's initial content (garbage,
 *     another sector's data, another run's data, a value never written);
 *   - Y was issued after the read completed (R.complete < Y.issue);
 *   - Y is stale: a successful write W to s has Y.complete < W.issue and
 *     W.complete < R.issue (W superseded Y before the read began);
 *   - Y is older than what an earlier read saw: a read O of s with
 *     O.complete < R.issue returned X != Y and Y.complete < O.issue.
 * Writes that failed may or may not have changed a sector: they supersede
 * nothing, and their value may be read until a successful write supersedes
 * it. Failed reads are not judged. A sector that is a byte-wise mix of
 * values the read may return, while one of them was in flight during the
 * read, is counted as torn (a 512-byte copy is not atomic on brd) and is a
 * violation only with strict_torn.
 */
#ifndef SSCT_REGCHECK_H
#define SSCT_REGCHECK_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define RC_SECTOR	512
#define RC_MAX_THREADS	64
#define RC_NO_THREAD	0xffffu

/* A sector's value: the write (tag of its run, id, thread) that put it there. */
struct rc_val {
	uint64_t tag;		/* 0: unknown */
	uint32_t id;
	uint32_t thread;
};

struct rc_params {
	uint64_t start;		/* first 512-byte sector of the region on the device */
	uint64_t nsect;		/* sectors in the region */
	uint64_t tag;		/* this run's tag (distinct per run) */
	uint32_t nthreads;	/* threads that log I/O (ids 0 .. nthreads - 1) */
	uint32_t block_sect;	/* cache block size in sectors, for the report only */
	int strict_torn;	/* a torn sector is a violation */
	int max_reports;	/* violations printed with their history */
};

/* Fill one sector with @v's content at @sector. */
void rc_fill_sector(uint8_t *p, uint64_t sector, const struct rc_val *v);
/* Does @p hold exactly @v's content for @sector? */
int rc_sector_is(const uint8_t *p, uint64_t sector, const struct rc_val *v);
/* Parse @p's header; returns 1 when the whole sector is a valid pattern. */
int rc_sector_decode(const uint8_t *p, uint64_t *sector, struct rc_val *v);

struct rc_write {
	uint64_t start;		/* device sector */
	uint32_t nsect;
	uint16_t thread;
	uint8_t state;		/* RC_W_* */
	uint8_t pad;
	int64_t ti, tc;		/* issue, completion (ns since the log began) */
};

enum { RC_W_INFLIGHT, RC_W_OK, RC_W_FAILED };

struct rc_run {			/* consecutive sectors of a read with one value */
	uint32_t n;
	uint32_t code;		/* write id, 0 = initial content, RC_RAW + i */
	uint32_t thread;	/* the writer named by the sector (RC_NO_THREAD) */
};

#define RC_RAW		0x80000000u	/* not a clean value: raw copy i */
#define RC_RAW_LOST	0xffffffffu	/* ... not kept (too many) */

struct rc_read {
	uint64_t start;
	uint32_t nsect;
	uint16_t thread;
	uint8_t ok;
	uint8_t final;		/* part of the final pass (the state) */
	int64_t ti, tc;
	uint64_t run0;		/* first run in the thread's run array */
	uint32_t nrun;
	uint32_t pad;
};

struct rc_thread_log {
	struct rc_read *reads;
	size_t nreads, capreads;
	struct rc_run *runs;
	size_t nruns, capruns;
	uint64_t nwrites, nwrites_failed, nreads_failed;
};

struct rc_log {
	struct rc_params p;
	const struct rc_val *init;	/* initial content per sector, or NULL */
	int64_t t0;			/* CLOCK_MONOTONIC ns at creation */
	pthread_mutex_t lock;		/* writes[] growth, raw[] */
	struct rc_write **wchunk;	/* writes by id, in chunks */
	size_t nchunks;
	uint32_t nwrites;		/* ids 1 .. nwrites are taken */
	uint8_t *raw;			/* copies of sectors that are not clean values */
	uint64_t *raw_sector;
	uint32_t nraw, capraw;
	uint64_t raw_lost;
	struct rc_thread_log thr[RC_MAX_THREADS];
};

struct rc_report {
	uint64_t reads, reads_failed, writes, writes_failed;
	uint64_t reads_checked, sectors_checked;
	uint64_t violations;		/* sectors */
	uint64_t bad_reads;		/* reads with at least one violation */
	uint64_t torn;			/* tolerated torn sectors */
	uint64_t stale, older_than_seen, not_written, foreign, garbage, future;
};

int64_t rc_now(void);			/* CLOCK_MONOTONIC, ns */
uint64_t rc_mix64(uint64_t x);		/* splitmix64's finaliser */

struct rc_log *rc_log_new(const struct rc_params *p, const struct rc_val *init);
void rc_log_free(struct rc_log *l);

/* Take the next write id for @nsect sectors at @start (thread-safe). */
uint32_t rc_write_begin(struct rc_log *l, uint32_t thread, uint64_t start, uint32_t nsect);
/* Record its times (ns from rc_now()) and whether it succeeded. */
void rc_write_end(struct rc_log *l, uint32_t id, int64_t ti, int64_t tc, int ok);
/* The content of write @id, for its whole range. */
void rc_write_fill(struct rc_log *l, uint32_t id, uint8_t *buf);
struct rc_write *rc_write_get(struct rc_log *l, uint32_t id);

/*
 * Log a read by @thread (only that thread logs under its id): @buf holds
 * the data when @ok. Decodes each sector into the value it names.
 */
void rc_read_log(struct rc_log *l, uint32_t thread, uint64_t start, uint32_t nsect,
		 int64_t ti, int64_t tc, int ok, const uint8_t *buf, int final);

/*
 * Judge every read; prints each violation with the history that shows it
 * (up to p.max_reports) to @out. Returns the number of violating sectors.
 * Call once, after every thread stopped.
 */
uint64_t rc_check(struct rc_log *l, FILE *out, struct rc_report *rep);

/*
 * The value each sector must hold once nothing is in flight: its last
 * successful write's (or its initial content), except where a failed
 * write, or one concurrent with the last, came after; those sectors are
 * marked in @amb (one byte per sector) and returned: read them (final).
 */
uint64_t rc_settle(struct rc_log *l, struct rc_val *state, uint8_t *amb);

/*
 * After rc_check(): @state[i] for sector start + i, as rc_settle() says, or
 * for an ambiguous sector what the final reads (logged with final) saw;
 * tag 0 where none saw a clean value. Returns the number of those.
 */
uint64_t rc_final_state(struct rc_log *l, struct rc_val *state);

/* The summary line. */
void rc_print_report(FILE *out, const struct rc_report *r);

#endif /* SSCT_REGCHECK_H */
