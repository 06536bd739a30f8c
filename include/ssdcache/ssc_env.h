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
#else
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <errno.h>
#endif

#endif /* SSC_ENV_H */
