// SPDX-License-Identifier: GPL-2.0
/* Unit tests: the block lock state machine (core/ssc_lock.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ssdcache/ssc_core.h"

static void test_shared(void **state)
{
	struct ssc_lockst l = { 0 };

	(void)state;
	assert_true(ssc_lock_idle(&l));
	assert_true(ssc_lock_try(&l, SSC_LK_SHARED, false));
	assert_true(ssc_lock_try(&l, SSC_LK_SHARED, false));
	assert_int_equal(l.readers, 2);
	assert_false(ssc_lock_try(&l, SSC_LK_EXCL, false));
	assert_true(ssc_lock_fill_allowed(&l));
	/* a write that cancels instead of waiting */
	assert_true(ssc_lock_try(&l, SSC_LK_BYPASS, false));
	assert_false(ssc_lock_fill_allowed(&l));
	assert_true(ssc_lock_try(&l, SSC_LK_BYPASS, false));
	assert_false(ssc_lock_release(&l, SSC_LK_BYPASS));
	assert_false(ssc_lock_release(&l, SSC_LK_BYPASS));
	assert_true(ssc_lock_fill_allowed(&l));
	assert_false(ssc_lock_release(&l, SSC_LK_SHARED));
	assert_false(ssc_lock_release(&l, SSC_LK_SHARED));
	assert_true(ssc_lock_idle(&l));
}

static void test_excl(void **state)
{
	struct ssc_lockst l = { 0 };

	(void)state;
	assert_true(ssc_lock_try(&l, SSC_LK_EXCL, false));
	assert_false(ssc_lock_try(&l, SSC_LK_EXCL, true));
	assert_false(ssc_lock_try(&l, SSC_LK_SHARED, true));
	assert_false(ssc_lock_try(&l, SSC_LK_BYPASS, true));
	assert_false(ssc_lock_try(&l, SSC_LK_WB, true));
	ssc_lock_release(&l, SSC_LK_EXCL);
	assert_true(ssc_lock_idle(&l));
	/* the cleaner takes WB directly: readers may share it */
	assert_true(ssc_lock_try(&l, SSC_LK_SHARED, false));
	assert_true(ssc_lock_try(&l, SSC_LK_WB, false));
	assert_false(ssc_lock_try(&l, SSC_LK_WB, false));
	assert_false(ssc_lock_try(&l, SSC_LK_EXCL, false));
	ssc_lock_release(&l, SSC_LK_WB);
	ssc_lock_release(&l, SSC_LK_SHARED);
	assert_true(ssc_lock_idle(&l));
	/* EXCL waits for bypass writers too */
	assert_true(ssc_lock_try(&l, SSC_LK_BYPASS, false));
	assert_false(ssc_lock_try(&l, SSC_LK_EXCL, false));
	ssc_lock_release(&l, SSC_LK_BYPASS);
	assert_true(ssc_lock_try(&l, SSC_LK_EXCL, false));
}

static void test_writeback(void **state)
{
	struct ssc_lockst l = { 0 };

	(void)state;
	assert_true(ssc_lock_try(&l, SSC_LK_EXCL, false));
	assert_false(ssc_lock_downgrade(&l));
	assert_int_equal(l.excl, 0);
	assert_int_equal(l.wb, 1);
	/* reads go on during the write-behind, writes wait */
	assert_true(ssc_lock_try(&l, SSC_LK_SHARED, false));
	assert_false(ssc_lock_try(&l, SSC_LK_EXCL, false));
	assert_false(ssc_lock_try(&l, SSC_LK_BYPASS, false));
	ssc_lock_release(&l, SSC_LK_SHARED);
	ssc_lock_release(&l, SSC_LK_WB);
	assert_true(ssc_lock_idle(&l));
}

static void test_fairness(void **state)
{
	struct ssc_lockst l = { 0 };

	(void)state;
	assert_true(ssc_lock_try(&l, SSC_LK_SHARED, false));
	/* a writer queues */
	assert_false(ssc_lock_try(&l, SSC_LK_EXCL, false));
	l.waiters++;
	/* new readers queue behind it instead of starving it */
	assert_false(ssc_lock_try(&l, SSC_LK_SHARED, false));
	/* release reports waiters to wake */
	assert_true(ssc_lock_release(&l, SSC_LK_SHARED));
	l.waiters = 0;
	/* woken requests retry */
	assert_true(ssc_lock_try(&l, SSC_LK_EXCL, true));
	assert_false(ssc_lock_release(&l, SSC_LK_EXCL));
	/* release of a mode not held is harmless */
	ssc_lock_release(&l, SSC_LK_SHARED);
	ssc_lock_release(&l, SSC_LK_BYPASS);
	assert_true(ssc_lock_idle(&l));
}

static void test_compat_matrix(void **state)
{
	/* holder x request -> compatible */
	static const bool expect[4][3] = {
		/* request: SHARED EXCL  BYPASS */
		[SSC_LK_SHARED] = { true,  false, true },
		[SSC_LK_EXCL]   = { false, false, false },
		[SSC_LK_BYPASS] = { true,  false, true },
		[SSC_LK_WB]     = { true,  false, false },
	};
	static const enum ssc_lock_mode req[3] = {
		SSC_LK_SHARED, SSC_LK_EXCL, SSC_LK_BYPASS,
	};
	unsigned int h, r;

	(void)state;
	for (h = 0; h < 4; h++)
		for (r = 0; r < 3; r++) {
			struct ssc_lockst l = { 0 };

			if (h == SSC_LK_WB) {
				assert_true(ssc_lock_try(&l, SSC_LK_EXCL, false));
				ssc_lock_downgrade(&l);
			} else {
				assert_true(ssc_lock_try(&l, h, false));
			}
			assert_int_equal(ssc_lock_compatible(&l, req[r]),
					 expect[h][r]);
			assert_int_equal(ssc_lock_try(&l, req[r], false),
					 expect[h][r]);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_excl),
		cmocka_unit_test(test_writeback),
		cmocka_unit_test(test_fairness),
		cmocka_unit_test(test_compat_matrix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
