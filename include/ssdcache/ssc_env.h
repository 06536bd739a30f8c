/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ssc_env.h - the only environment seam of the dm-ssdcache core.
 *
 * The core (the files in core/) is plain C shared by the kernel module and by the
 * userspace tools and tests. It includes nothing but this header, which
 * maps the few basic types and helpers it needs onto the kernel or libc.
 */
#ifndef SSC_ENV_H
#define SSC_ENV_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#include <linux/errno.h>
#include <linux/atomic.h>

/*
 * Counters shared by all sets: updated under different set locks at once,
 * so they must be atomic.
 */
struct ssc_counter {
	atomic64_t v;
};

#define ssc_counter_add(c, d)	atomic64_add((d), &(c)->v)
#define ssc_counter_read(c)	((uint64_t)atomic64_read(&(c)->v))
#else
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

struct ssc_counter {
	int64_t v;
};

#define ssc_counter_add(c, d)	__atomic_add_fetch(&(c)->v, (d), __ATOMIC_RELAXED)
#define ssc_counter_read(c)	((uint64_t)__atomic_load_n(&(c)->v, __ATOMIC_RELAXED))

/* The allocator pair ssc_cache_init()/ssc_cache_exit() take, on libc. */
static inline void *ssc_user_zalloc(size_t size, void *arg)
{
	(void)arg;
	return calloc(1, size ? size : 1);
}

static inline void ssc_user_release(void *p, void *arg)
{
	(void)arg;
	free(p);
}
#endif

#endif /* SSC_ENV_H */
