// SPDX-License-Identifier: GPL-2.0
/*
 * tsan.c - the I/O engine under real threads, for ThreadSanitizer
 * (scripts/explore.sh builds it with -DSSC_ENV_PTHREAD -fsanitize=thread,
 * so that the engine's locks are pthread mutexes).
 *
 * ssc-explore interleaves the engine's critical sections one at a time;
 * here several threads run it at once, as the kernel's CPUs do, so that
 * ThreadSanitizer sees every access the engine makes outside its locks and
 * every lock order it takes (a stripe's lock, then a set's). The devices
 * complete at once in the calling thread; requests that must wait are
 * requeued to a shared list that every thread drains; a cleaner thread
 * writes dirty blocks back meanwhile. At the end: no request is left
 * waiting, every lock is idle, no way is busy, no block is cached twice.
 * Data is not judged here (ssc-explore does that).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ssdcache/ssc_core.h"
#include "ssdcache/ssc_engine.h"

#define T_THREADS	4
#define T_OPS		4000
#define T_BLOCK		8
#define T_HOT		40

struct t_req {
	struct ssc_req r;	/* first member */
	int done;		/* atomic */
};

static struct ssc_engine E;
static struct ssc_env_ops ops;
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ssc_req *q_head;
static int64_t cwrites;
static int stop;
static int failures;

static void t_requeue(struct ssc_engine *e, struct ssc_req *list)
{
	struct ssc_req *tail = list;

	(void)e;
	while (tail->next)
		tail = tail->next;
	pthread_mutex_lock(&q_lock);
	tail->next = q_head;
	q_head = list;
	pthread_mutex_unlock(&q_lock);
}

static void t_cwrite_get(struct ssc_engine *e)
{
	(void)e;
	__atomic_add_fetch(&cwrites, 1, __ATOMIC_SEQ_CST);
}

static void t_cwrite_put(struct ssc_engine *e)
{
	(void)e;
	__atomic_sub_fetch(&cwrites, 1, __ATOMIC_SEQ_CST);
}

static void t_finish(struct t_req *q)
{
	__atomic_store_n(&q->done, 1, __ATOMIC_RELEASE);
}

/* Carry out @p at once, every device I/O succeeding, as the target would. */
static void t_exec(struct t_req *q, enum ssc_plan p)
{
	struct ssc_fill_ref f;
	struct ssc_req *r = &q->r;

	switch (p) {
	case SSC_PLAN_QUEUED:
		return;
	case SSC_PLAN_READ_CACHE:
		ssc_eng_read_hit_end(&E, r, false);
		break;
	case SSC_PLAN_READ_ORIGIN:
		if (ssc_eng_read_miss_end(&E, r, false, &f))
			ssc_eng_fill_end(&E, &f, true);
		break;
	case SSC_PLAN_DEMAND_CLEAN: {
		uint64_t snap[SSC_MAX_SUB / 64];

		ssc_eng_dirty_snapshot(&E, r->way, snap);
		ssc_eng_dirty_cleaned(&E, r->way, snap);
		t_exec(q, ssc_eng_demand_clean_end(&E, r, false));
		return;
	}
	case SSC_PLAN_ORIGIN:
		ssc_eng_origin_end(&E, r, false);
		break;
	case SSC_PLAN_WRITE_ASYNC:
		ssc_eng_async_lookup(&E, r);
		/* fall through */
	case SSC_PLAN_WRITE_CACHE:
	case SSC_PLAN_WRITE_BOTH:
		if (r->writeback)
			r->eager = rand() & 1;
		if (ssc_eng_write_end(&E, r, &f) == SSC_WEND_BEHIND)
			ssc_eng_wb_end(&E, &f, true);
		break;
	default:
		break;
	}
	t_finish(q);
}

static void t_drain(void)
{
	struct ssc_req *list, *r, *next;

	pthread_mutex_lock(&q_lock);
	list = q_head;
	q_head = NULL;
	pthread_mutex_unlock(&q_lock);
	for (r = list; r; r = next) {
		next = r->next;
		r->next = NULL;
		t_exec((struct t_req *)r, ssc_eng_map(&E, r));
	}
}

static void *t_client(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	int i;

	for (i = 0; i < T_OPS; i++) {
		struct t_req *q = calloc(1, sizeof(*q));
		uint64_t b = rand_r(&seed) % T_HOT;
		uint32_t off = rand_r(&seed) % T_BLOCK;
		uint32_t n = 1 + rand_r(&seed) % (T_BLOCK - off);
		int k = rand_r(&seed) % 100;

		ssc_eng_req_init(&E, &q->r, k < 55 ? SSC_OP_READ :
				 k < 95 ? SSC_OP_WRITE : SSC_OP_DISCARD,
				 b * T_BLOCK + off, n, !(rand_r(&seed) % 10));
		t_exec(q, ssc_eng_map(&E, &q->r));
		while (!__atomic_load_n(&q->done, __ATOMIC_ACQUIRE)) {
			t_drain();
			sched_yield();
		}
		free(q);
	}
	return NULL;
}

static void *t_cleaner(void *arg)
{
	struct ssc_clean_item items[4];
	uint64_t cursor = 0;
	unsigned int n, i;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		n = ssc_eng_clean_pick(&E, &cursor, items, 4);
		for (i = 0; i < n; i++)
			ssc_eng_clean_end(&E, &items[i], true);
		t_drain();
		sched_yield();
	}
	return NULL;
}

static void t_check_idle(const char *what)
{
	const struct ssc_cache *c = &E.c;
	uint64_t w, v;
	uint32_t s;

	for (s = 0; s <= E.stripe_mask; s++)
		if (!ssc_lock_idle(&E.stripes[s].st) || E.stripes[s].wait_head) {
			printf("tsan: %s: stripe %u not idle\n", what, s);
			failures++;
			return;
		}
	for (w = 0; w < c->g.nr_ways; w++) {
		if (c->ways[w].busy || c->ways[w].fills) {
			printf("tsan: %s: way %" PRIu64 " busy\n", what, w);
			failures++;
			return;
		}
		for (v = w + 1; v < c->g.nr_ways; v++)
			if (c->ways[w].oblock != SSC_NO_BLOCK &&
			    c->ways[w].oblock == c->ways[v].oblock) {
				printf("tsan: %s: block cached twice\n", what);
				failures++;
				return;
			}
	}
	if (cwrites) {
		printf("tsan: %s: %" PRId64 " cache writes counted\n", what, cwrites);
		failures++;
	}
}

static void t_run(enum ssc_policy pol, enum ssc_mode mode, uint32_t opts,
		  const char *what)
{
	struct ssc_config cfg = { .block_sectors = T_BLOCK, .assoc = 2 };
	pthread_t th[T_THREADS], cl;
	const char *err;
	struct ssc_geom g;
	long i;

	if (ssc_geom_init(&g, &cfg, 4096, 2 * SSC_WAYS * T_BLOCK, 512, &err) ||
	    ssc_eng_init(&E, &g, pol, mode, opts, 4, ssc_user_zalloc, NULL)) {
		printf("tsan: setup failed\n");
		exit(2);
	}
	ops.requeue = t_requeue;
	ops.cwrite_get = t_cwrite_get;
	ops.cwrite_put = t_cwrite_put;
	E.env = &ops;
	stop = 0;
	pthread_create(&cl, NULL, t_cleaner, NULL);
	for (i = 0; i < T_THREADS; i++)
		pthread_create(&th[i], NULL, t_client, (void *)(i + 1));
	for (i = 0; i < T_THREADS; i++)
		pthread_join(th[i], NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(cl, NULL);
	t_drain();
	t_check_idle(what);
	printf("tsan: %s: %d threads x %d requests done\n", what, T_THREADS,
	       T_OPS);
	ssc_eng_exit(&E, ssc_user_release, NULL);
}

int main(void)
{
	t_run(SSC_LRU, SSC_WRITETHROUGH, 0, "writethrough lru");
	t_run(SSC_ADAPTIVE, SSC_WRITETHROUGH, 0, "writethrough adaptive");
	t_run(SSC_LFU, SSC_WRITEBACK, SSC_OPT_EAGER_WRITEBACK, "writeback eager lfu");
	t_run(SSC_ADAPTIVE, SSC_WRITEBACK, 0, "writeback adaptive");
	t_run(SSC_LRU, SSC_WRITEBACK, SSC_OPT_QUEUE_BUSY | SSC_OPT_EVICT_ON_WRITE,
	      "writeback queue_busy evict_on_write lru");
	t_run(SSC_ADAPTIVE, SSC_WRITETHROUGH, SSC_OPT_ASYNC_LOOKUP,
	      "writethrough async_lookup adaptive");
	t_run(SSC_LRU, SSC_READCACHE, 0, "readcache lru");
	return failures ? 1 : 0;
}
