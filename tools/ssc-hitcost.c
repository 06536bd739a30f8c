// SPDX-License-Identifier: GPL-2.0
/*
 * ssc-hitcost - drive the dm-ssdcache I/O engine's hit path as the target
 * does, for counting the instructions of one hit under callgrind
 * (scripts/hitcost.sh, "make hitcost").
 *
 * A cache of --blocks cache blocks is warmed with --warm distinct origin
 * blocks, each read whole (a miss that fills the whole block), then
 * hitcost_loop() issues --hits 4 KiB requests (--op read or write) at
 * random 4 KiB offsets inside the warm blocks, each one as the target
 * issues a bio: ssc_eng_req_init, ssc_eng_map and the completion the
 * plan calls for (ssc_eng_read_hit_end, or ssc_eng_write_end with every
 * half succeeding; a write-back stays dirty, as with lazy write-back).
 * The offsets are drawn before the loop, so the loop holds the engine's
 * work and a few instructions of its own per hit.
 *
 * Every request in the loop must be a hit: the tool fails (exit 1) when
 * the engine's counters say otherwise, so a count is never a miss's.
 *
 *   valgrind --tool=callgrind --collect-atstart=no \
 *            --toggle-collect=hitcost_loop ssc-hitcost -b 256 -p lru ...
 *
 * The instructions per hit are then callgrind's total over --hits.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssdcache/ssc_core.h"
#include "ssdcache/ssc_engine.h"

struct hc {
	struct ssc_engine e;	/* first: the hooks cast back */
	struct ssc_env_ops ops;
	uint64_t stats[SSC_NR_STATS];
	uint64_t md_changed;
};

static void hc_stat(struct ssc_engine *e, enum ssc_stat s)
{
	((struct hc *)e)->stats[s]++;
}

static void hc_md_changed(struct ssc_engine *e, uint64_t way)
{
	(void)way;
	((struct hc *)e)->md_changed++;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* One I/O of @nsect sectors at @sector, carried out as the target does. */
static enum ssc_plan hc_io(struct hc *h, bool write, uint64_t sector,
			   uint32_t nsect)
{
	struct ssc_fill_ref f;
	struct ssc_req r;
	enum ssc_plan p;

	ssc_eng_req_init(&h->e, &r, write ? SSC_OP_WRITE : SSC_OP_READ,
			 sector, nsect, false);
	p = ssc_eng_map(&h->e, &r);
	switch (p) {
	case SSC_PLAN_READ_CACHE:
		ssc_eng_read_hit_end(&h->e, &r, false);
		break;
	case SSC_PLAN_READ_ORIGIN:
		if (ssc_eng_read_miss_end(&h->e, &r, false, &f))
			ssc_eng_fill_end(&h->e, &f, true);
		break;
	case SSC_PLAN_ORIGIN:
		ssc_eng_origin_end(&h->e, &r, false);
		break;
	case SSC_PLAN_WRITE_CACHE:
	case SSC_PLAN_WRITE_BOTH:
		if (ssc_eng_write_end(&h->e, &r, &f) == SSC_WEND_BEHIND)
			ssc_eng_wb_end(&h->e, &f, true);
		break;
	default:
		fprintf(stderr, "ssc-hitcost: unexpected plan %d\n", (int)p);
		exit(1);
	}
	return p;
}

/* The measured loop: callgrind's --toggle-collect names it. */
__attribute__((noinline)) void hitcost_loop(struct hc *h, bool write,
					    const uint64_t *sectors, size_t n,
					    uint32_t nsect);
__attribute__((noinline)) void hitcost_loop(struct hc *h, bool write,
					    const uint64_t *sectors, size_t n,
					    uint32_t nsect)
{
	size_t i;

	for (i = 0; i < n; i++)
		hc_io(h, write, sectors[i], nsect);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ssc-hitcost [options]\n"
		"  -b SECTORS   cache block size in 512-byte sectors (default 256)\n"
		"  -p POLICY    lru, lfu or adaptive (default lfu)\n"
		"  -m MODE      writethrough (default) or writeback\n"
		"  -o OP        read (default) or write: the hits issued\n"
		"  -n N         hits (default 20000)\n"
		"  -B N         cache blocks (default 4096)\n"
		"  -w N         warm origin blocks (default 1024)\n"
		"  -a N         assoc (default 4)\n"
		"  -l BYTES     logical block size (default 512)\n"
		"  -r BYTES     request size (default 4096)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint32_t bsect = 256, assoc = 4, lbs = 512, reqb = 4096;
	uint64_t nhits = 20000, nblocks = 4096, nwarm = 1024, i;
	enum ssc_policy policy = SSC_LFU;
	enum ssc_mode mode = SSC_WRITETHROUGH;
	struct ssc_config cfg;
	struct ssc_geom g;
	uint64_t *warm, *sectors, origin_blocks, hits, per_block;
	const char *err = NULL;
	bool write = false;
	struct hc *h;
	int c;

	while ((c = getopt(argc, argv, "b:p:m:o:n:B:w:a:l:r:h")) != -1) {
		switch (c) {
		case 'b': bsect = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'p':
			if (!strcmp(optarg, "lru"))
				policy = SSC_LRU;
			else if (!strcmp(optarg, "lfu"))
				policy = SSC_LFU;
			else if (!strcmp(optarg, "adaptive"))
				policy = SSC_ADAPTIVE;
			else
				usage();
			break;
		case 'm':
			if (!strcmp(optarg, "writethrough"))
				mode = SSC_WRITETHROUGH;
			else if (!strcmp(optarg, "writeback"))
				mode = SSC_WRITEBACK;
			else
				usage();
			break;
		case 'o':
			if (!strcmp(optarg, "read"))
				write = false;
			else if (!strcmp(optarg, "write"))
				write = true;
			else
				usage();
			break;
		case 'n': nhits = strtoull(optarg, NULL, 0); break;
		case 'B': nblocks = strtoull(optarg, NULL, 0); break;
		case 'w': nwarm = strtoull(optarg, NULL, 0); break;
		case 'a': assoc = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'l': lbs = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'r': reqb = (uint32_t)strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (!nhits || !nwarm || nwarm > nblocks || reqb < lbs ||
	    (reqb >> 9) > bsect || bsect % (reqb >> 9))
		usage();

	memset(&cfg, 0, sizeof(cfg));
	cfg.block_sectors = bsect;
	cfg.assoc = assoc;
	cfg.mode = mode;
	cfg.policy = policy;
	origin_blocks = nblocks * 16;
	if (ssc_geom_init(&g, &cfg, origin_blocks * bsect,
			  nblocks * bsect, lbs, &err)) {
		fprintf(stderr, "ssc-hitcost: %s\n", err);
		return 2;
	}
	h = calloc(1, sizeof(*h));
	warm = calloc(nwarm, sizeof(*warm));
	sectors = calloc(nhits, sizeof(*sectors));
	if (!h || !warm || !sectors ||
	    ssc_eng_init(&h->e, &g, policy, mode, 0, ssc_eng_nstripes(&g),
			 ssc_user_zalloc, NULL)) {
		fprintf(stderr, "ssc-hitcost: out of memory\n");
		return 1;
	}
	h->ops.stat = hc_stat;
	h->ops.md_changed = hc_md_changed;
	h->e.env = &h->ops;

	/* distinct random origin blocks, each read whole (a full fill) */
	for (i = 0; i < nwarm; i++) {
		uint64_t b, j;

		do {
			b = rng() % origin_blocks;
			for (j = 0; j < i && warm[j] != b; j++)
				;
		} while (j < i);
		warm[i] = b;
		hc_io(h, false, b * bsect, bsect);
	}
	/* drop the blocks the warm-up evicted again: hits only */
	for (i = 0, hits = 0; i < nwarm; i++) {
		uint64_t before = h->stats[SSC_ST_READ_HITS];

		if (hc_io(h, false, warm[i] * bsect, bsect) ==
		    SSC_PLAN_READ_CACHE && h->stats[SSC_ST_READ_HITS] > before)
			warm[hits++] = warm[i];
	}
	if (!hits) {
		fprintf(stderr, "ssc-hitcost: nothing stayed in the cache\n");
		return 1;
	}
	per_block = bsect / (reqb >> 9);
	for (i = 0; i < nhits; i++)
		sectors[i] = warm[rng() % hits] * bsect +
			     (rng() % per_block) * (reqb >> 9);

	memset(h->stats, 0, sizeof(h->stats));
	hitcost_loop(h, write, sectors, nhits, reqb >> 9);

	if (h->stats[write ? SSC_ST_WRITE_HITS : SSC_ST_READ_HITS] != nhits ||
	    h->stats[SSC_ST_READ_MISSES] || h->stats[SSC_ST_WRITE_MISSES] ||
	    h->stats[SSC_ST_EVICTIONS]) {
		fprintf(stderr, "ssc-hitcost: not all hits: %" PRIu64
			" read hits, %" PRIu64 " write hits, %" PRIu64
			" misses of %" PRIu64 "\n",
			h->stats[SSC_ST_READ_HITS], h->stats[SSC_ST_WRITE_HITS],
			h->stats[SSC_ST_READ_MISSES] +
			h->stats[SSC_ST_WRITE_MISSES], nhits);
		return 1;
	}
	printf("hits=%" PRIu64 " warm=%" PRIu64 " resident=%" PRIu64
	       " block_kib=%u policy=%s mode=%s op=%s write_done=%" PRIu64
	       " md_changed=%" PRIu64 "\n",
	       nhits, nwarm, hits, bsect / 2, ssc_policy_name(policy),
	       ssc_mode_name(mode), write ? "write" : "read",
	       h->stats[SSC_ST_WRITE_DONE], h->md_changed);
	ssc_eng_exit(&h->e, ssc_user_release, NULL);
	free(h);
	free(warm);
	free(sectors);
	return 0;
}
