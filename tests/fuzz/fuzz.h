/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz.h - shared by the libFuzzer harnesses: CHECK(cond) aborts (a finding
 * libFuzzer reports and saves) with the file, line and condition.
 */
#ifndef SSC_FUZZ_H
#define SSC_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

#endif /* SSC_FUZZ_H */
