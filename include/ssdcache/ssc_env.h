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
#define ssc_counter_inc_return(c) ((uint64_t)atomic64_inc_return(&(c)->v))
#define ssc_counter_set(c, x)	atomic64_set(&(c)->v, (x))

/*
 * The engine's locks: spinlocks taken with interrupts off (completions run
 * in interrupt context). @flags is an unsigned long of the caller's.
 */
#include <linux/spinlock.h>
#include <linux/compiler.h>
struct ssc_spinlock {
	spinlock_t l;
};

#define ssc_spin_init(x)		spin_lock_init(&(x)->l)
#define ssc_spin_lock(x, flags)		spin_lock_irqsave(&(x)->l, (flags))
#define ssc_spin_unlock(x, flags)	spin_unlock_irqrestore(&(x)->l, (flags))
#define SSC_RELEASES(x)			__releases(x)
#define SSC_READ_ONCE(x)		READ_ONCE(x)
#define SSC_WRITE_ONCE(x, v)		WRITE_ONCE(x, v)
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
#define ssc_counter_inc_return(c) \
	((uint64_t)__atomic_add_fetch(&(c)->v, 1, __ATOMIC_RELAXED))
#define ssc_counter_set(c, x)	__atomic_store_n(&(c)->v, (x), __ATOMIC_RELAXED)

#define SSC_READ_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define SSC_RELEASES(x)
#define SSC_WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#ifdef SSC_ENV_PTHREAD
/* Real threads (the explorer under ThreadSanitizer): pthread mutexes. */
#include <pthread.h>
struct ssc_spinlock {
	pthread_mutex_t m;
};

#define ssc_spin_init(x)		pthread_mutex_init(&(x)->m, NULL)
#define ssc_spin_lock(x, flags)		((void)(flags), pthread_mutex_lock(&(x)->m))
#define ssc_spin_unlock(x, flags)	((void)(flags), pthread_mutex_unlock(&(x)->m))
#else
/*
 * One thread (ssc-sim, the explorer's deterministic schedules): a lock is
 * a flag, and taking a lock already held, or releasing one not held, is a
 * bug: ssc_env_lock_bug() aborts.
 */
struct ssc_spinlock {
	int held;
	void *owner;		/* for ssc_env_lock_wait's caller */
};

void ssc_env_lock_bug(struct ssc_spinlock *l);
/*
 * Called before every lock is taken when set: the explorer's scheduler
 * preempts there, and waits while another of its tasks holds @l.
 */
extern void (*ssc_env_lock_wait)(struct ssc_spinlock *l);
#define ssc_spin_init(l)	((l)->held = 0, (l)->owner = NULL)
#define ssc_spin_lock(l, flags)					\
	do {							\
		(void)(flags);					\
		if (ssc_env_lock_wait)				\
			ssc_env_lock_wait(l);			\
		if ((l)->held++)				\
			ssc_env_lock_bug(l);			\
	} while (0)
#define ssc_spin_unlock(l, flags)				\
	do {							\
		(void)(flags);					\
		if (--(l)->held)				\
			ssc_env_lock_bug(l);			\
	} while (0)
#endif

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
