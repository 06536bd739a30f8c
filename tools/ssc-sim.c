// SPDX-License-Identifier: GPL-2.0
/*
 * ssc-sim - replay a block trace through the dm-ssdcache core (core/ssc_*.c:
 * the module's own placement, lookup, replacement and sub-block state) and
 * print hit and miss counts, with fully associative LRU and Belady's OPT at
 * the same block size and capacity as references.
 *
 * Every request is split into the cache's blocks, as the target sees them
 * (its maximum I/O size is one block). Per piece, as the target does:
 *   read   lookup (touch); all sub-blocks valid: hit; else a miss that
 *          allocates a way (a free way first in probe order, else the
 *          policy's victim among all probed sets) and fills the range;
 *   write  writethrough/writeback: lookup (touch); a hit updates the
 *          range; a miss takes only a free way (evict_on_write or the
 *          adaptive policy: may evict, skip_write_insert: nothing);
 *          readcache: invalidates.
 * Write-behinds are taken as instantaneous (nothing stays dirty), fills
 * always succeed and no block is ever busy: the counts equal the module's
 * for I/O issued one at a time.
 *
 * Documentation/ssc-sim.rst has the options and formats.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ssct_sim.h"



static uint64_t parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	uint64_t m = 1;

	switch (toupper((unsigned char)*end)) {
	case 'K':
		m = 1ull << 10;
		break;
	case 'M':
		m = 1ull << 20;
		break;
	case 'G':
		m = 1ull << 30;
		break;
	case 'T':
		m = 1ull << 40;
		break;
	case 0:
		break;
	default:
		fprintf(stderr, "ssc-sim: bad size '%s'\n", s);
		exit(2);
	}
	return (uint64_t)(v * (double)m);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ssc-sim [options] TRACE\n"
		"  -c SIZE        cache size (K/M/G/T suffix; default 64M); a comma list or\n"
		"                 --sweep gives one CSV line per size\n"
		"  -b SECTORS     cache block size in 512-byte sectors (default 256)\n"
		"  -a N           assoc: further sets probed (1-64, default 4)\n"
		"  -p POLICY      lru, lfu or adaptive (default lfu)\n"
		"  -m MODE        writethrough (default), writeback, readcache\n"
		"  -l BYTES       logical block size (sub-block; default 512)\n"
		"  -o OPT         skip_write_insert | evict_on_write (repeatable)\n"
		"  -S SIZE        sequential cutoff (default 0: off)\n"
		"  -W             count writes as reads (every request is an access)\n"
		"  -f FORMAT      auto msr systor vscsi cpcsv lis csv blkparse (default auto)\n"
		"  -n N           read only the first N records\n"
		"  -s, --sweep    sweep: cache sizes 1/64 .. 1x the footprint, doubling\n"
		"  -t RATIO       with a sweep: recommend the smallest size reaching this hit ratio\n"
		"  -R             skip the references (LRU, OPT)\n");
	exit(2);
}

static void run_one(const struct sim_trace *t, struct sim_opts *o,
		    const struct sim_refs *refs, bool do_refs, bool csv,
		    double *hit_out)
{
	struct sim s;
	const char *err;
	uint64_t acc, lru = 0, opt = 0;

	if (sim_run(&s, o, t, &err)) {
		fprintf(stderr, "ssc-sim: cache %" PRIu64 " bytes: %s\n", o->cache_bytes, err);
		exit(1);
	}
	if (do_refs) {
		lru = sim_ref_lru(refs, s.e.c.g.nr_ways);
		opt = sim_ref_opt(refs, s.e.c.g.nr_ways);
	}
	acc = s.st.read_hits + s.st.read_misses;
	if (hit_out)
		*hit_out = acc ? (double)s.st.read_hits / (double)acc : 0;
	if (csv) {
		printf("%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.4f,%.4f",
		       o->cache_bytes, s.e.c.g.nr_ways, s.st.read_hits, s.st.read_misses,
		       acc ? (double)s.st.read_misses / (double)acc : 0,
		       (s.st.read_hit_sectors + s.st.read_miss_sectors) ?
		       (double)s.st.read_miss_sectors /
		       (double)(s.st.read_hit_sectors + s.st.read_miss_sectors) : 0);
		if (do_refs)
			printf(",%.4f,%.4f", refs->n ? (double)lru / (double)refs->n : 0,
			       refs->n ? (double)opt / (double)refs->n : 0);
		printf("\n");
	} else {
		printf("cache: %" PRIu64 " bytes, %" PRIu64 " blocks of %u sectors, %" PRIu64
		       " sets, assoc %u, %s, %s, lbs %u%s\n",
		       o->cache_bytes, s.e.c.g.nr_ways, o->block_sectors, s.e.c.g.nr_sets,
		       o->assoc, ssc_policy_name(o->policy), ssc_mode_name(o->mode), o->lbs,
		       o->writes_as_reads ? ", writes counted as reads" : "");
		printf("read_hits %" PRIu64 " read_misses %" PRIu64 " write_hits %" PRIu64
		       " write_misses %" PRIu64 " write_skip %" PRIu64 " evictions %" PRIu64 "\n",
		       s.st.read_hits, s.st.read_misses, s.st.write_hits, s.st.write_misses,
		       s.st.write_skip, s.st.evictions);
		printf("miss ratio %.4f  byte miss ratio %.4f  (hit ratio %.4f)\n",
		       acc ? (double)s.st.read_misses / (double)acc : 0,
		       (s.st.read_hit_sectors + s.st.read_miss_sectors) ?
		       (double)s.st.read_miss_sectors /
		       (double)(s.st.read_hit_sectors + s.st.read_miss_sectors) : 0,
		       acc ? (double)s.st.read_hits / (double)acc : 0);
		if (do_refs)
			printf("reference, %" PRIu64 " blocks fully associative, %zu block accesses: "
			       "LRU miss ratio %.4f, OPT miss ratio %.4f\n",
			       s.e.c.g.nr_ways, refs->n,
			       refs->n ? (double)lru / (double)refs->n : 0,
			       refs->n ? (double)opt / (double)refs->n : 0);
	}
	sim_exit(&s);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "sweep", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim_opts o = {
		.cache_bytes = 64ull << 20, .block_sectors = SSC_DEFAULT_BLOCK,
		.assoc = SSC_DEFAULT_ASSOC, .lbs = 512, .mode = SSC_WRITETHROUGH,
		.policy = SSC_LFU, .layout = true, .seq_cutoff = -1,
	};
	enum sim_fmt fmt = FMT_AUTO;
	const char *sizes = NULL;
	bool sweep = false, do_refs = true;
	double target = 0;
	uint64_t maxrec = 0;
	struct sim_trace t = { 0 };
	struct sim_refs refs = { 0 };
	int c, i;

	while ((c = getopt_long(argc, argv, "c:b:a:p:m:l:o:S:Wf:n:st:Rh", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			sizes = optarg;
			break;
		case 'b':
			o.block_sectors = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'a':
			o.assoc = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'p':
			if (!strcmp(optarg, "lru"))
				o.policy = SSC_LRU;
			else if (!strcmp(optarg, "lfu"))
				o.policy = SSC_LFU;
			else if (!strcmp(optarg, "adaptive"))
				o.policy = SSC_ADAPTIVE;
			else
				usage();
			break;
		case 'm':
			if (!strcmp(optarg, "writethrough"))
				o.mode = SSC_WRITETHROUGH;
			else if (!strcmp(optarg, "writeback"))
				o.mode = SSC_WRITEBACK;
			else if (!strcmp(optarg, "readcache"))
				o.mode = SSC_READCACHE;
			else
				usage();
			break;
		case 'l':
			o.lbs = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'o':
			if (!strcmp(optarg, "skip_write_insert"))
				o.opts |= SSC_OPT_SKIP_WRITE_INSERT;
			else if (!strcmp(optarg, "evict_on_write"))
				o.opts |= SSC_OPT_EVICT_ON_WRITE;
			else
				usage();
			break;
		case 'S':
			o.seq_cutoff = (int64_t)parse_size(optarg);
			break;
		case 'W':
			o.writes_as_reads = true;
			break;
		case 'f':
			for (i = 0; i < (int)sim_nr_fmts; i++)
				if (!strcmp(optarg, sim_fmt_names[i]))
					break;
			if (i == (int)sim_nr_fmts)
				usage();
			fmt = (enum sim_fmt)i;
			break;
		case 'n':
			maxrec = strtoull(optarg, NULL, 0);
			break;
		case 's':
			sweep = true;
			break;
		case 't':
			target = strtod(optarg, NULL);
			break;
		case 'R':
			do_refs = false;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	if (sim_load(&t, argv[optind], fmt, maxrec))
		return 1;
	{
		uint64_t r = 0, w = 0, fp;

		for (size_t k = 0; k < t.n; k++)
			t.r[k].write ? w++ : r++;
		if (do_refs && sim_refs_build(&refs, &t, o.block_sectors, o.writes_as_reads)) {
			fprintf(stderr, "ssc-sim: out of memory\n");
			return 1;
		}
		/* footprint in cache blocks (all accesses) */
		fp = sim_footprint(&t, o.block_sectors);
		if (!fp) {
			fprintf(stderr, "ssc-sim: out of memory\n");
			return 1;
		}
		if (!sweep)
			printf("trace: %s, %zu requests (%" PRIu64 " reads, %" PRIu64
			       " writes), %" PRIu64 " distinct blocks of %u sectors (%.1f MiB)\n",
			       argv[optind], t.n, r, w, fp, o.block_sectors,
			       (double)fp * o.block_sectors / 2048.0);
		if (sweep) {
			uint64_t full = fp * o.block_sectors * 512ull, sz;
			uint64_t min = (uint64_t)SSC_WAYS * o.block_sectors * 512ull;
			uint64_t best = 0;
			double h;

			printf("cache_bytes,blocks,read_hits,read_misses,miss_ratio,byte_miss_ratio%s\n",
			       do_refs ? ",lru_miss_ratio,opt_miss_ratio" : "");
			for (sz = full / 64 > min ? full / 64 : min; sz <= full * 2; sz *= 2) {
				o.cache_bytes = sz;
				run_one(&t, &o, &refs, do_refs, true, &h);
				if (target > 0 && !best && h >= target)
					best = sz;
			}
			if (target > 0) {
				if (best)
					fprintf(stderr, "ssc-sim: hit ratio %.3f needs a cache of about %.1f MiB\n",
						target, (double)best / 1048576.0);
				else
					fprintf(stderr, "ssc-sim: hit ratio %.3f not reached up to 2x the footprint\n",
						target);
			}
		} else if (sizes && strchr(sizes, ',')) {
			char *dup = strdup(sizes), *tok, *save = NULL;

			printf("cache_bytes,blocks,read_hits,read_misses,miss_ratio,byte_miss_ratio%s\n",
			       do_refs ? ",lru_miss_ratio,opt_miss_ratio" : "");
			for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				o.cache_bytes = parse_size(tok);
				run_one(&t, &o, &refs, do_refs, true, NULL);
			}
			free(dup);
		} else {
			if (sizes)
				o.cache_bytes = parse_size(sizes);
			run_one(&t, &o, &refs, do_refs, false, NULL);
		}
	}
	free(refs.blk);
	sim_trace_free(&t);
	return 0;
}

