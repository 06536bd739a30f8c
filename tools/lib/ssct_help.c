// SPDX-License-Identifier: GPL-2.0
/*
 * ssct_help.c - the --help text of every ssdcache command. man/ssdcache.8
 * documents the same options; tests/unit/test_tool_args.c checks that.
 */
#include "ssct_help.h"

const char ssct_help_create[] =
"Usage: ssdcache create NAME --origin DEV --cache DEV [OPTIONS]\n"
"Create /dev/mapper/NAME: the origin DEV (slow) cached on the cache DEV (fast).\n"
"  --origin DEV         the slow device that holds the data\n"
"  --cache DEV          the fast device used as the cache\n"
"  --mode MODE          writethrough (default), writeback or readcache\n"
"  --block-size SIZE    cache block size in bytes, suffix k, M or G (default 128k)\n"
"  --policy POLICY      replacement policy: lfu (default), lru or adaptive\n"
"  --assoc N            further sets probed per block, 1 to 64 (default 4)\n"
"  --option OPT[,OPT]   target option (repeatable): async_lookup, queue_busy,\n"
"                       disable_writeback, skip_write_insert, evict_on_write,\n"
"                       cmd_preload, eager_writeback\n"
"  --reformat           discard what the cache device holds\n"
"  --force              reformat even when the cache holds dirty data (lost)\n"
"  --dry-run            check the devices, print the table, create nothing\n";

const char ssct_help_remove[] =
"Usage: ssdcache remove NAME [--flush]\n"
"Remove the ssdcache device NAME. The cache device keeps its content.\n"
"  --flush              write all dirty data back to the origin first\n";

const char ssct_help_flush[] =
"Usage: ssdcache flush NAME [--no-progress]\n"
"Write all dirty data of NAME back to the origin and wait for it.\n"
"On a terminal a progress bar shows the dirty data left, the rate and\n"
"the time to go.\n"
"  --no-progress        no progress bar\n";

const char ssct_help_detach[] =
"Usage: ssdcache detach NAME [--no-progress]\n"
"Stop caching new data on NAME and write all dirty data back; afterwards\n"
"the cache device can be removed safely.\n"
"  --no-progress        no progress bar\n";

const char ssct_help_attach[] =
"Usage: ssdcache attach NAME\n"
"Cache new data on NAME again after detach. Writes made while detached\n"
"went to the origin and dropped the cached copies, so nothing stale is\n"
"served.\n";

const char ssct_help_set[] =
"Usage: ssdcache set NAME [OPTIONS]\n"
"Change NAME's settings without a reformat; the cached data is kept.\n"
"A new mode or policy reloads the table (suspend, load, resume) with every\n"
"other table argument kept; leaving writeback writes all dirty data back\n"
"first. The other settings are the target's messages.\n"
"  --mode MODE          writethrough, writeback or readcache\n"
"  --policy POLICY      replacement policy: lfu, lru or adaptive\n"
"  --sequential-cutoff BYTES\n"
"                       misses of a stream that ran sequentially this far\n"
"                       go around the cache; suffix k, M or G (0: off)\n"
"  --high-watermark PCT the cleaner starts above this share of dirty\n"
"                       blocks (write-back mode)\n"
"  --low-watermark PCT  ... and stops at this share\n"
"  --no-progress        no progress bar while flushing\n";

const char ssct_help_resize[] =
"Usage: ssdcache resize NAME [--force] [--no-progress]\n"
"Follow a grown origin or cache device: reload NAME's table with the\n"
"origin's new length, every other table argument kept. A new size is a new\n"
"geometry, so the cache is reformatted and starts cold; dirty data is\n"
"written back first (the mode stays). Nothing changed: nothing to do.\n"
"  --force              follow an origin or cache device that shrank\n"
"  --no-progress        no progress bar while flushing\n";

const char ssct_help_list[] =
"Usage: ssdcache list\n"
"List the ssdcache devices: name, origin, cache, mode, used, dirty, state\n"
"(ok, degraded, detached or failed) and why.\n";

const char ssct_help_status[] =
"Usage: ssdcache status NAME [--json] [--format FORMAT]\n"
"Show NAME's mode, policy, cache use, hit ratios, dirty data, errors and\n"
"state (ok, degraded, detached or failed) with the reason.\n"
"  --json               one JSON object with every status key\n"
"  --format FORMAT      text (default), json, or prometheus: metrics for\n"
"                       node_exporter's textfile collector\n";

const char ssct_help_stats[] =
"Usage: ssdcache stats NAME [--watch] [--interval SEC] [--count N]\n"
"Print NAME's counters.\n"
"  --watch              refresh every interval, with rates per second\n"
"  --interval SEC       refresh interval in seconds (default 1)\n"
"  --count N            stop after N refreshes (default: until interrupted)\n";

const char ssct_help_inspect[] =
"Usage: ssdcache inspect DEV [--json]\n"
"Read and print the superblock of the cache device DEV (no kernel module\n"
"needed).\n"
"  --json               one JSON object\n";

const char ssct_help_assemble[] =
"Usage: ssdcache assemble [--config FILE] [--wait SEC] [--dry-run]\n"
"Create every cache listed in the config file that does not exist yet.\n"
"Each line: NAME ORIGIN CACHE [create options]; '#' starts a comment.\n"
"  --config FILE        default /etc/ssdcache.conf\n"
"  --wait SEC           wait up to SEC seconds for the devices to appear\n"
"  --dry-run            check and print the tables, create nothing\n";

const char ssct_help_shutdown[] =
"Usage: ssdcache shutdown [--config FILE | --all] [--suspend-busy]\n"
"Stop the caches listed in the config file (the last line first): write\n"
"back their dirty data, then remove them. A cache still in use (the root\n"
"file system's) is flushed and left active.\n"
"  --config FILE        default /etc/ssdcache.conf\n"
"  --all                every active ssdcache device instead\n"
"  --suspend-busy       suspend a cache still in use after its flush, so it\n"
"                       is shut down cleanly (the last step before power-off)\n";

const char ssct_help_advise[] =
"Usage: ssdcache advise DEV --for DURATION [OPTIONS]\n"
"       ssdcache advise --trace FILE [OPTIONS]\n"
"Record DEV's I/O with blktrace for DURATION (seconds, or with s, m or h),\n"
"replay it through the module's engine at a range of cache sizes, block\n"
"sizes and policies, and print the read miss ratio curves and the smallest\n"
"cache device that reaches the target read hit ratio.\n"
"  --for DURATION       how long to record (run the workload meanwhile)\n"
"  --trace FILE         replay a recorded trace instead (blkparse text or a\n"
"                       format of ssc-sim(1))\n"
"  --save FILE          keep the recorded trace (blkparse text) in FILE\n"
"  --target RATIO       read hit ratio to reach (default: 90 % of the best\n"
"                       any size on the curve reaches)\n"
"  --block-size LIST    block sizes to try (default 4k,32k,128k)\n"
"  --policy LIST        policies to try (default lfu,adaptive)\n"
"  --mode MODE          writethrough (default), writeback or readcache\n"
"  --min-size SIZE      smallest cache size on the curve (default 1/64 of\n"
"                       the footprint, at least 1M)\n"
"  --max-size SIZE      largest cache size (default twice the footprint)\n"
"  --steps N            sizes per doubling (default 2)\n"
"  --origin-size SIZE   origin size (default DEV's, or the trace's extent)\n"
"  --lbs BYTES          logical block size (default DEV's, or 512)\n"
"  --plot FILE.png      also plot the curves with gnuplot\n";
