// SPDX-License-Identifier: GPL-2.0
/*
 * ssc_lock.c - the block lock state machine (our own small bio prison).
 *
 * The kernel keeps one struct ssc_lockst per stripe of origin blocks, under
 * a spinlock, with a list of waiting bios beside it. This file only decides
 * who may go; see ssc_core.h for the modes.
 */
#include "ssdcache/ssc_core.h"

bool ssc_lock_compatible(const struct ssc_lockst *l, enum ssc_lock_mode mode)
{
	switch (mode) {
	case SSC_LK_SHARED:
		return !l->excl;
	case SSC_LK_BYPASS:
		return !l->excl && !l->wb;
	case SSC_LK_EXCL:
		return !l->excl && !l->wb && !l->readers && !l->bypass;
	case SSC_LK_WB:
		return !l->excl && !l->wb && !l->bypass;
	default:
		return false;
	}
}

bool ssc_lock_try(struct ssc_lockst *l, enum ssc_lock_mode mode, bool retry)
{
	if (!retry && l->waiters)
		return false;
	if (!ssc_lock_compatible(l, mode))
		return false;
	switch (mode) {
	case SSC_LK_SHARED:
		l->readers++;
		break;
	case SSC_LK_BYPASS:
		l->bypass++;
		break;
	case SSC_LK_EXCL:
		l->excl = 1;
		break;
	case SSC_LK_WB:
		l->wb = 1;
		break;
	default:
		return false;
	}
	return true;
}

bool ssc_lock_release(struct ssc_lockst *l, enum ssc_lock_mode mode)
{
	switch (mode) {
	case SSC_LK_SHARED:
		if (l->readers)
			l->readers--;
		break;
	case SSC_LK_BYPASS:
		if (l->bypass)
			l->bypass--;
		break;
	case SSC_LK_EXCL:
		l->excl = 0;
		break;
	case SSC_LK_WB:
		l->wb = 0;
		break;
	}
	return l->waiters != 0;
}

bool ssc_lock_downgrade(struct ssc_lockst *l)
{
	l->excl = 0;
	l->wb = 1;
	return l->waiters != 0;
}
