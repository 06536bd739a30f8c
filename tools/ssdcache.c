// SPDX-License-Identifier: GPL-2.0
/*
 * ssdcache - create, inspect and manage dm-ssdcache devices.
 *
 * Talks to device-mapper through libdevmapper (no dmsetup). The pure parts
 * (arguments, sizes, the table line, the superblock verdict, the status
 * line, the config file) live in tools/lib/ssct_args.c and are unit tested.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libdevmapper.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#include "lib/ssct_advise.h"
#include "lib/ssct_args.h"
#include "lib/ssct_dev.h"
#include "lib/ssct_help.h"

#define PROG		"ssdcache"
#define VERSION		"1.1.0"
#define TARGET		"ssdcache"
#define CONF_FILE	"/etc/ssdcache.conf"

static char dm_last_err[512];

/* ---------------------------------------------------------------- help */

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static int cmd_create(int argc, char **argv);
static int cmd_remove(int argc, char **argv);
static int cmd_flush(int argc, char **argv);
static int cmd_detach(int argc, char **argv);
static int cmd_attach(int argc, char **argv);
static int cmd_set(int argc, char **argv);
static int cmd_list(int argc, char **argv);
static int cmd_status(int argc, char **argv);
static int cmd_stats(int argc, char **argv);
static int cmd_inspect(int argc, char **argv);
static int cmd_assemble(int argc, char **argv);
static int cmd_shutdown(int argc, char **argv);
static int cmd_advise(int argc, char **argv);
static int cmd_resize(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "create", cmd_create, ssct_help_create },
	{ "remove", cmd_remove, ssct_help_remove },
	{ "flush", cmd_flush, ssct_help_flush },
	{ "detach", cmd_detach, ssct_help_detach },
	{ "list", cmd_list, ssct_help_list },
	{ "status", cmd_status, ssct_help_status },
	{ "stats", cmd_stats, ssct_help_stats },
	{ "inspect", cmd_inspect, ssct_help_inspect },
	{ "assemble", cmd_assemble, ssct_help_assemble },
	{ "shutdown", cmd_shutdown, ssct_help_shutdown },
	{ "attach", cmd_attach, ssct_help_attach },
	{ "set", cmd_set, ssct_help_set },
	{ "advise", cmd_advise, ssct_help_advise },
	{ "resize", cmd_resize, ssct_help_resize },
};

#define NR_CMDS (sizeof(cmds) / sizeof(cmds[0]))

/* The entry of command @name (for its help text in error messages). */
static const struct cmd *cmd_of(const char *name)
{
	unsigned int i;

	for (i = 0; i < NR_CMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	abort();	/* only called with the names above */
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ssdcache COMMAND [ARGS]\n"
		"Manage dm-ssdcache devices (a fast cache device in front of a slow one).\n"
		"Commands:\n"
		"  create NAME --origin DEV --cache DEV [OPTIONS]   create a cached device\n"
		"  remove NAME [--flush]                            remove it\n"
		"  flush NAME                                       write back dirty data\n"
		"  detach NAME                                      stop caching, write back\n"
		"  attach NAME                                      cache again after detach\n"
		"  set NAME [--mode M] [--policy P] [...]           change settings, keep data\n"
		"  resize NAME [--force]                            follow a resized origin or cache\n"
		"  list                                             list ssdcache devices\n"
		"  status NAME [--json|--format prometheus]         human readable status\n"
		"  stats NAME [--watch]                             counters\n"
		"  inspect DEV [--json]                             print a cache superblock\n"
		"  assemble [--config FILE]                         create configured caches\n"
		"  shutdown [--config FILE|--all]                   flush and remove them\n"
		"  advise DEV --for DURATION                        size a cache from DEV's I/O\n"
		"  help [COMMAND]                                   help on a command\n"
		"Run 'ssdcache COMMAND --help' for a command's options.\n");
}

/* ---------------------------------------------------------------- errors */

static int err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr, "ssdcache: ...". Returns 1 (the exit status). */
static int err(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int usage_err(const struct cmd *c, const char *what)
{
	err("%s: %s (see 'ssdcache %s --help')", c->name, what, c->name);
	return 2;
}

/* libdevmapper's messages: keep the last error, print with SSDCACHE_DEBUG. */
static void dm_log(int level, const char *file, int line, int dm_errno,
		   const char *f, ...) __attribute__((format(printf, 5, 6)));

static void dm_log(int level, const char *file, int line, int dm_errno,
		   const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	if ((level & 7) <= 3)
		vsnprintf(dm_last_err, sizeof(dm_last_err), f, ap);
	va_end(ap);
	if (getenv("SSDCACHE_DEBUG")) {
		va_start(ap, f);
		fputs("libdevmapper: ", stderr);
		vfprintf(stderr, f, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
}

/* ---------------------------------------------------------------- devices */

struct blkdev {
	const char *path;
	struct stat st;
	uint64_t bytes;
	uint32_t lbs;
};

/* "/dev/NAME" (or /dev/mapper/NAME) of a block device number, or "M:m". */
static void dev_name(dev_t rdev, char *buf, size_t len)
{
	char p[128], line[256];
	FILE *f;

	snprintf(buf, len, "%u:%u", major(rdev), minor(rdev));
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/dm/name", major(rdev),
		 minor(rdev));
	f = fopen(p, "r");
	if (f) {
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "/dev/mapper/%s", line);
		}
		fclose(f);
		return;
	}
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/uevent", major(rdev),
		 minor(rdev));
	f = fopen(p, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "DEVNAME=", 8)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "/dev/%s", line + 8);
		}
	}
	fclose(f);
}

/* Name a "M:m" device from a table line. */
static void majmin_name(const char *mm, char *buf, size_t len)
{
	unsigned int ma, mi;

	if (sscanf(mm, "%u:%u", &ma, &mi) == 2)
		dev_name(makedev(ma, mi), buf, len);
	else
		snprintf(buf, len, "%s", mm);
}

/* Where a block device is mounted (or used as swap), NULL if not. */
static bool dev_mounted(dev_t rdev, char *where, size_t len)
{
	char src[PATH_MAX], dst[PATH_MAX], line[PATH_MAX * 2 + 64];
	struct stat st;
	bool found = false;
	FILE *f;

	f = fopen("/proc/mounts", "r");
	while (f && !found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%4095s %4095s", src, dst) != 2 ||
		    src[0] != '/')
			continue;
		if (!stat(src, &st) && S_ISBLK(st.st_mode) &&
		    st.st_rdev == rdev) {
			snprintf(where, len, "mounted on %s", dst);
			found = true;
		}
	}
	if (f)
		fclose(f);
	f = fopen("/proc/swaps", "r");
	while (f && !found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%4095s", src) != 1 || src[0] != '/')
			continue;
		if (!stat(src, &st) && S_ISBLK(st.st_mode) &&
		    st.st_rdev == rdev) {
			snprintf(where, len, "used as swap");
			found = true;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* The holders of a block device (from sysfs), e.g. "/dev/mapper/cached". */
static void dev_holders(dev_t rdev, char *buf, size_t len)
{
	char p[128], name[128], out[256] = "";
	FILE *f;
	int i;

	buf[0] = '\0';
	/* holders/<dm-N>: resolve dm-N to its name */
	for (i = 0; i < 256; i++) {
		snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/holders/dm-%d/dm/name",
			 major(rdev), minor(rdev), i);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f)) {
			name[strcspn(name, "\n")] = '\0';
			snprintf(out + strlen(out), sizeof(out) - strlen(out),
				 "%s/dev/mapper/%s", out[0] ? ", " : "", name);
		}
		fclose(f);
	}
	snprintf(buf, len, "%s", out);
}

/*
 * Check one device of a new cache: exists, is a block device, is not
 * mounted, not in use (exclusive open); get its size. Prints the error.
 */
static int check_dev(const char *role, const char *path, struct blkdev *d)
{
	char why[PATH_MAX + 32], holders[256];
	int fd, sz;

	memset(d, 0, sizeof(*d));
	d->path = path;
	if (stat(path, &d->st))
		return err("%s: %s (%s device)", path,
			   errno == ENOENT ? "no such device" : strerror(errno),
			   role);
	if (!S_ISBLK(d->st.st_mode))
		return err("%s: not a block device (%s device)", path, role);
	if (dev_mounted(d->st.st_rdev, why, sizeof(why)))
		return err("%s: %s (%s device)", path, why, role);
	fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EBUSY) {
			dev_holders(d->st.st_rdev, holders, sizeof(holders));
			if (holders[0])
				return err("%s: in use by %s (%s device)", path,
					   holders, role);
			return err("%s: in use (%s device)", path, role);
		}
		return err("%s: cannot open: %s (%s device)", path,
			   strerror(errno), role);
	}
	if (ioctl(fd, BLKGETSIZE64, &d->bytes) || ioctl(fd, BLKSSZGET, &sz)) {
		close(fd);
		return err("%s: cannot get its size: %s", path, strerror(errno));
	}
	d->lbs = (uint32_t)sz;
	close(fd);
	if (d->bytes < 512)
		return err("%s: empty device (%s device)", path, role);
	return 0;
}

/* Read the first 4 KiB of @path (O_DIRECT: what the device holds). */
static int read_sb_block(const char *path, uint8_t **out)
{
	uint8_t *buf;
	ssize_t n;
	int fd;

	if (posix_memalign((void **)&buf, 4096, SSC_MD_BLOCK))
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0 && errno == EINVAL)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		n = -errno;
		free(buf);
		return (int)n;
	}
	n = pread(fd, buf, SSC_MD_BLOCK, 0);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n != SSC_MD_BLOCK) {
		free(buf);
		return n < 0 ? (int)n : -ENODATA;
	}
	*out = buf;
	return 0;
}

/* ---------------------------------------------------------------- device-mapper */

struct dmdev {
	struct dm_info info;
	char ttype[64];
	char params[4096];
	uint64_t len;
	int ntargets;
};

/*
 * DM_DEVICE_STATUS or DM_DEVICE_TABLE of @name. Returns 0, -ENXIO when
 * there is no such device, or another -errno.
 */
static int dm_query(const char *name, int type, struct dmdev *d)
{
	struct dm_task *dmt;
	uint64_t start, length;
	char *ttype = NULL, *params = NULL;
	void *next = NULL;
	int r = 0;

	memset(d, 0, sizeof(*d));
	dmt = dm_task_create(type);
	if (!dmt)
		return -ENODEV;	/* no device-mapper driver */
	if (!dm_task_set_name(dmt, name) || !dm_task_no_open_count(dmt)) {
		r = -EINVAL;
		goto out;
	}
	if (!dm_task_run(dmt)) {
		r = dm_task_get_errno(dmt) ? -dm_task_get_errno(dmt) : -EIO;
		goto out;
	}
	if (!dm_task_get_info(dmt, &d->info) || !d->info.exists) {
		r = -ENXIO;
		goto out;
	}
	do {
		next = dm_get_next_target(dmt, next, &start, &length, &ttype,
					  &params);
		if (!ttype)
			break;
		if (!d->ntargets++) {
			snprintf(d->ttype, sizeof(d->ttype), "%s", ttype);
			snprintf(d->params, sizeof(d->params), "%s",
				 params ? params : "");
			d->len = length;
		}
	} while (next);
out:
	dm_task_destroy(dmt);
	return r;
}

/* Status or table of an ssdcache device; prints the error. */
static int get_cache(const char *name, int type, struct dmdev *d)
{
	int r = dm_query(name, type, d);

	if (r == -ENXIO)
		return err("%s: no such device", name);
	if (r == -ENODEV)
		return err("%s: device-mapper is not available (load dm-mod)",
			   name);
	if (r)
		return err("%s: cannot query device-mapper: %s", name,
			   strerror(-r));
	if (d->ntargets != 1 || strcmp(d->ttype, TARGET))
		return err("%s: not an ssdcache device (target %s)", name,
			   d->ntargets ? d->ttype : "none");
	return 0;
}

static bool dm_exists(const char *name)
{
	struct dmdev d;

	return dm_query(name, DM_DEVICE_INFO, &d) == 0;
}

static int dm_message(const char *name, const char *msg)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_TARGET_MSG);
	int r = 0;

	if (!dmt)
		return -ENOMEM;
	if (!dm_task_set_name(dmt, name) || !dm_task_set_sector(dmt, 0) ||
	    !dm_task_set_message(dmt, msg))
		r = -EINVAL;
	else if (!dm_task_run(dmt))
		r = dm_task_get_errno(dmt) ? -dm_task_get_errno(dmt) : -EIO;
	dm_task_destroy(dmt);
	return r;
}

/* The last line the kernel logged about ssdcache since @fd was opened. */
static void kmsg_reason(int fd, char *buf, size_t len)
{
	char rec[1024];
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		rec[strcspn(rec, "\n")] = '\0';
		/* dm core's "ssdcache: preresume failed" follows the reason */
		if (strstr(rec, "ssdcache") && strchr(rec, ';') &&
		    !strstr(rec, "preresume failed"))
			snprintf(buf, len, "%s", strchr(rec, ';') + 1);
	}
}

static int dm_create_dev(const char *name, uint64_t len, const char *params)
{
	char reason[512];
	uint32_t cookie = 0;
	struct dm_task *dmt;
	int r = 0, kfd;

	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kfd >= 0)
		lseek(kfd, 0, SEEK_END);
	dmt = dm_task_create(DM_DEVICE_CREATE);
	if (!dmt)
		return err("%s: cannot create a device-mapper task", name);
	if (!dm_task_set_name(dmt, name) ||
	    !dm_task_add_target(dmt, 0, len, TARGET, params) ||
	    !dm_task_set_cookie(dmt, &cookie, 0)) {
		dm_task_destroy(dmt);
		return err("%s: cannot set up the device-mapper task", name);
	}
	if (!dm_task_run(dmt))
		r = dm_task_get_errno(dmt) ? dm_task_get_errno(dmt) : EIO;
	dm_udev_wait(cookie);
	dm_task_destroy(dmt);
	if (r) {
		kmsg_reason(kfd, reason, sizeof(reason));
		if (kfd >= 0)
			close(kfd);
		if (reason[0])
			return err("%s: the kernel refused the table: %s", name,
				   reason);
		return err("%s: the kernel refused the table (%s)%s", name,
			   strerror(r),
			   r == EINVAL ? "; is dm-ssdcache loaded? see dmesg" : "");
	}
	if (kfd >= 0)
		close(kfd);
	return 0;
}

static int dm_remove_dev(const char *name)
{
	uint32_t cookie = 0;
	struct dm_task *dmt;
	int r = 0;

	dmt = dm_task_create(DM_DEVICE_REMOVE);
	if (!dmt)
		return -ENOMEM;
	if (!dm_task_set_name(dmt, name) || !dm_task_retry_remove(dmt) ||
	    !dm_task_set_cookie(dmt, &cookie, 0)) {
		dm_task_destroy(dmt);
		return -EINVAL;
	}
	if (!dm_task_run(dmt))
		r = dm_task_get_errno(dmt) ? -dm_task_get_errno(dmt) : -EIO;
	dm_udev_wait(cookie);
	dm_task_destroy(dmt);
	return r;
}

/*
 * DM_DEVICE_RELOAD (with @params), DM_DEVICE_SUSPEND, DM_DEVICE_RESUME or
 * DM_DEVICE_CLEAR of @name. Returns 0 or -errno; a refused reload (or a
 * resume whose preresume failed) puts the kernel's reason into @reason.
 */
static int dm_simple(int type, const char *name, uint64_t len,
		     const char *params, char *reason, size_t rlen)
{
	uint32_t cookie = 0;
	struct dm_task *dmt;
	bool udev = type == DM_DEVICE_RESUME;
	int r = 0, kfd = -1;

	if (reason && rlen)
		reason[0] = '\0';
	if (reason && rlen) {
		kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (kfd >= 0)
			lseek(kfd, 0, SEEK_END);
	}
	dmt = dm_task_create(type);
	if (!dmt) {
		r = -ENOMEM;
		goto out;
	}
	if (!dm_task_set_name(dmt, name) ||
	    (params && !dm_task_add_target(dmt, 0, len, TARGET, params)) ||
	    (udev && !dm_task_set_cookie(dmt, &cookie, 0))) {
		dm_task_destroy(dmt);
		r = -EINVAL;
		goto out;
	}
	if (!dm_task_run(dmt))
		r = dm_task_get_errno(dmt) ? -dm_task_get_errno(dmt) : -EIO;
	if (udev)
		dm_udev_wait(cookie);
	dm_task_destroy(dmt);
	if (r && reason)
		kmsg_reason(kfd, reason, rlen);
out:
	if (kfd >= 0)
		close(kfd);
	return r;
}

/* Names of every dm device; free with free(). */
static int dm_list_names(char ***out, int *count)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_LIST);
	struct dm_names *n;
	char **names = NULL;
	int k = 0;
	unsigned int next = 0;

	*out = NULL;
	*count = 0;
	if (!dmt)
		return -ENOMEM;
	if (!dm_task_run(dmt)) {
		dm_task_destroy(dmt);
		return -EIO;
	}
	n = dm_task_get_names(dmt);
	if (n && n->dev) {
		do {
			n = (struct dm_names *)((char *)n + next);
			names = realloc(names, sizeof(*names) * (k + 1));
			if (!names)
				break;
			names[k++] = strdup(n->name);
			next = n->next;
		} while (next);
	}
	dm_task_destroy(dmt);
	*out = names;
	*count = names ? k : 0;
	return 0;
}

/* ---------------------------------------------------------------- create */

struct create_extra {
	bool dry_run;
	bool quiet;
};

static int do_create(struct ssct_create *c, const struct create_extra *x)
{
	char errbuf[SSCT_ERRLEN], why[512], table[1536], params[1280];
	const char *cerr = NULL, *derr = NULL;
	enum ssct_verdict v;
	struct blkdev o, k;
	struct ssc_config cfg;
	struct ssc_geom g;
	struct ssc_sb sb;
	uint64_t md;
	uint8_t *blk = NULL;
	int r;

	if (ssct_create_config(c, &cfg, errbuf, sizeof(errbuf)))
		return err("create %s: %s", c->name, errbuf);
	if (dm_exists(c->name))
		return err("%s: a device-mapper device of that name exists",
			   c->name);
	if (check_dev("origin", c->origin, &o) ||
	    check_dev("cache", c->cache, &k))
		return 1;
	if (o.st.st_rdev == k.st.st_rdev)
		return err("%s: origin and cache are the same device (%s)",
			   c->cache, c->origin);
	if (o.lbs != k.lbs)
		return err("%s: logical block size %u differs from the origin's (%s: %u)",
			   c->cache, k.lbs, c->origin, o.lbs);
	if (ssc_geom_init(&g, &cfg, o.bytes >> 9, k.bytes >> 9, k.lbs, &cerr) ||
	    ssc_layout(&g, k.bytes >> 9, &md, &cerr))
		return err("%s: %s", c->cache, cerr);

	r = read_sb_block(c->cache, &blk);
	if (r)
		return err("%s: cannot read the superblock: %s", c->cache,
			   strerror(-r));
	r = ssc_sb_decode(&sb, blk, &derr);
	free(blk);
	if (!r && !(sb.flags & SSC_SB_CLEAN)) {
		/* after a crash the metadata, not the superblock, counts */
		uint64_t dirty;

		if (ssct_md_dirty(c->cache, &sb, &dirty, &derr))
			r = -EIO;
		else if (dirty > sb.dirty_blocks)
			sb.dirty_blocks = dirty;
	}
	v = ssct_check_sb(r, derr, &sb, &g, k.lbs, c->reformat, c->force,
			  why, sizeof(why));
	if (v == SSCT_REFUSE)
		return err("%s: %s", c->cache, why);
	cfg.reformat = v == SSCT_REFORMAT;

	ssct_build_params(&cfg, params, sizeof(params));
	ssct_build_table(&cfg, o.bytes >> 9, table, sizeof(table));
	/* what the kernel will parse: check it reads back */
	{
		char copy[1280], *argv[64], *save = NULL, *t;
		struct ssc_config back;
		unsigned int argc = 0;

		snprintf(copy, sizeof(copy), "%s", params);
		for (t = strtok_r(copy, " ", &save); t && argc < 64;
		     t = strtok_r(NULL, " ", &save))
			argv[argc++] = t;
		if (ssc_parse_table(argc, argv, &back, &cerr))
			return err("create %s: internal error: bad table (%s)",
				   c->name, cerr);
	}
	if (x->dry_run) {
		printf("%s\n", table);
		if (!x->quiet)
			fprintf(stderr, "%s: %s: %s\n", PROG, c->cache, why);
		return 0;
	}
	if (!x->quiet && v != SSCT_FORMAT)
		fprintf(stderr, "%s: %s: %s\n", PROG, c->cache, why);
	if (dm_create_dev(c->name, o.bytes >> 9, params))
		return 1;
	if (!x->quiet)
		printf("/dev/mapper/%s\n", c->name);
	return 0;
}

static int cmd_create(int argc, char **argv)
{
	struct create_extra x = { 0 };
	char errbuf[SSCT_ERRLEN];
	struct ssct_create c;
	char *args[argc + 1];
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run"))
			x.dry_run = true;
		else
			args[n++] = argv[i];
	}
	if (ssct_parse_create(n, args, &c, errbuf, sizeof(errbuf)))
		return usage_err(cmd_of("create"), errbuf);
	if (c.help) {
		fputs(ssct_help_create, stdout);
		return 0;
	}
	return do_create(&c, &x);
}

/* ---------------------------------------------------------------- flush, detach */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fmt_eta(double s, char *buf, size_t len)
{
	long t = (long)(s + 0.5);

	if (s < 0 || s > 360000)
		snprintf(buf, len, "--:--");
	else if (t >= 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60,
			 t % 60);
	else
		snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

/* Dirty blocks and block size of @name from its status; -1 on error. */
static int64_t get_dirty(const char *name, uint64_t *block_bytes)
{
	struct ssct_kv kv[SSCT_MAX_KV];
	struct dmdev d;
	int n;

	if (dm_query(name, DM_DEVICE_STATUS, &d))
		return -1;
	n = ssct_parse_status(d.params, kv, SSCT_MAX_KV);
	*block_bytes = ssct_kv_u64(kv, n, "blocksize", 0) * 512;
	return (int64_t)ssct_kv_u64(kv, n, "dirty", 0);
}

/*
 * Send @msg (flush or detach) in a child process and poll the dirty count
 * meanwhile, drawing a progress bar on a terminal.
 */
static int run_cleaning(const char *cmd, const char *name, const char *msg,
			bool progress)
{
	char left[32], rate_s[32], eta[32], bar[41];
	double t0 = now_s(), tprev = t0, rate = 0;
	int64_t d0, dprev, dcur;
	uint64_t bb = 0;
	struct dmdev d;
	int status, r, i, fill;
	pid_t pid;

	if (get_cache(name, DM_DEVICE_TABLE, &d))
		return 1;
	d0 = get_dirty(name, &bb);
	dprev = d0;
	progress = progress && isatty(STDERR_FILENO);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return err("%s: fork: %s", name, strerror(errno));
	if (!pid)
		_exit(-dm_message(name, msg) & 0xff);
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			break;
		usleep(200000);
		if (!progress)
			continue;
		dcur = get_dirty(name, &bb);
		if (dcur < 0)
			continue;
		if (now_s() - tprev > 0.1 && dprev >= dcur) {
			double inst = (double)(dprev - dcur) * bb / (now_s() - tprev);

			rate = rate ? 0.7 * rate + 0.3 * inst : inst;
		}
		tprev = now_s();
		dprev = dcur;
		fill = d0 > 0 ? (int)(40 * (d0 - dcur) / d0) : 40;
		for (i = 0; i < 40; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[40] = '\0';
		ssct_human((uint64_t)dcur * bb, left, sizeof(left));
		ssct_human((uint64_t)rate, rate_s, sizeof(rate_s));
		fmt_eta(rate > 0 ? dcur * bb / rate : -1, eta, sizeof(eta));
		fprintf(stderr, "\r%s %s [%s] %s dirty, %s/s, ETA %s   ", cmd,
			name, bar, left, rate_s, eta);
	}
	if (progress)
		fputc('\n', stderr);
	if (r != pid || !WIFEXITED(status))
		return err("%s: %s: the message process failed", name, cmd);
	r = WEXITSTATUS(status);
	if (r)
		return err("%s: the kernel refused '%s' (%s)%s", name, msg,
			   strerror(r),
			   r == EINVAL ? ": the loaded dm-ssdcache module does not support it" : "");
	dcur = get_dirty(name, &bb);
	ssct_human((uint64_t)(d0 > 0 ? d0 : 0) * bb, left, sizeof(left));
	printf("%s: %s done in %.1f s, %s written back, %lld dirty blocks left\n",
	       name, cmd, now_s() - t0, left, (long long)dcur);
	return 0;
}

static int cleaning_cmd(const struct cmd *c, int argc, char **argv,
			const char *msg)
{
	const char *name = NULL;
	bool progress = true;
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(c->help, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--no-progress")) {
			progress = false;
		} else if (argv[i][0] == '-' || name) {
			return usage_err(c, "unexpected argument");
		} else {
			name = argv[i];
		}
	}
	if (!name)
		return usage_err(c, "missing NAME");
	return run_cleaning(c->name, name, msg, progress);
}

static int cmd_flush(int argc, char **argv)
{
	return cleaning_cmd(cmd_of("flush"), argc, argv, "flush");
}

static int cmd_detach(int argc, char **argv)
{
	return cleaning_cmd(cmd_of("detach"), argc, argv, "detach");
}

/* ---------------------------------------------------------------- attach, set */

static const char *kv_of(const struct dmdev *st, const char *key, char *buf,
			 size_t len)
{
	struct ssct_kv kv[SSCT_MAX_KV];
	char copy[sizeof(st->params)];
	const char *v;
	int n;

	snprintf(copy, sizeof(copy), "%s", st->params);
	n = ssct_parse_status(copy, kv, SSCT_MAX_KV);
	v = ssct_kv_get(kv, n, key);
	if (!v)
		return NULL;
	snprintf(buf, len, "%s", v);
	return buf;
}

static int cmd_attach(int argc, char **argv)
{
	const struct cmd *c = cmd_of("attach");
	const char *name = NULL;
	char state[32];
	struct dmdev st;
	int i, r;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(c->help, stdout);
			return 0;
		} else if (argv[i][0] == '-' || name) {
			return usage_err(c, "unexpected argument");
		} else {
			name = argv[i];
		}
	}
	if (!name)
		return usage_err(c, "missing NAME");
	if (get_cache(name, DM_DEVICE_STATUS, &st))
		return 1;
	if (!kv_of(&st, "state", state, sizeof(state)))
		return err("%s: the loaded dm-ssdcache module reports no state; cannot attach",
			   name);
	if (strcmp(state, "detached")) {
		printf("%s: not detached (state %s), nothing to do\n", name, state);
		return 0;
	}
	/*
	 * Nothing to invalidate: while detached every write went to the
	 * origin and dropped the cached copy of what it wrote (as in
	 * readcache mode), so what the cache holds is still current.
	 */
	r = dm_message(name, "attach");
	if (r)
		return err("%s: the kernel refused 'attach' (%s)%s", name,
			   strerror(-r),
			   r == -EINVAL ? ": the loaded dm-ssdcache module does not support it" : "");
	if (get_cache(name, DM_DEVICE_STATUS, &st))
		return 1;
	if (!kv_of(&st, "state", state, sizeof(state)) ||
	    !strcmp(state, "detached"))
		return err("%s: still detached after 'attach'", name);
	printf("%s: attached: new data is cached again\n", name);
	return 0;
}

/* Send "@key @val"; prints the error. */
static int send_setting(const char *name, const char *key, const char *val)
{
	char msg[128];
	int r;

	snprintf(msg, sizeof(msg), "%s %s", key, val);
	r = dm_message(name, msg);
	if (r)
		return err("%s: the kernel refused '%s' (%s)%s", name, msg,
			   strerror(-r),
			   r == -EINVAL ? ": not supported by the loaded module, or out of range" : "");
	return 0;
}

/*
 * Watermarks: the target keeps high >= low after each message, so the
 * order depends on the current values.
 */
static int send_watermarks(const char *name, const struct dmdev *st,
			   int high, int low)
{
	char cur[32], v[16];
	unsigned int ch = 100;

	if (kv_of(st, "high_watermark", cur, sizeof(cur)))
		ch = (unsigned int)strtoul(cur, NULL, 10);
	if (high >= 0 && low >= 0 && ssct_wm_high_first(ch, (unsigned int)low)) {
		snprintf(v, sizeof(v), "%d", high);
		if (send_setting(name, "high_watermark", v))
			return 1;
		high = -1;
	}
	if (low >= 0) {
		snprintf(v, sizeof(v), "%d", low);
		if (send_setting(name, "low_watermark", v))
			return 1;
	}
	if (high >= 0) {
		snprintf(v, sizeof(v), "%d", high);
		if (send_setting(name, "high_watermark", v))
			return 1;
	}
	return 0;
}

struct runtime;
static int runtime_restore(const char *name, const struct runtime *rt,
			   bool skip_cutoff);

/*
 * The cache's health while suspended, as the old table saw it at its
 * postsuspend commit: a failed cache or a metadata error there leaves an
 * unclean superblock, on which a table of another geometry cannot start.
 */
static bool healthy(const char *name, uint64_t md_errors0)
{
	struct ssct_kv kv[SSCT_MAX_KV];
	const char *cs;
	struct dmdev d;
	int n;

	if (dm_query(name, DM_DEVICE_STATUS, &d))
		return false;
	n = ssct_parse_status(d.params, kv, SSCT_MAX_KV);
	cs = ssct_kv_get(kv, n, "cache_state");
	return (!cs || !strcmp(cs, "ok")) &&
	       ssct_kv_u64(kv, n, "md_errors", 0) == md_errors0;
}

/*
 * Between suspend and resume nothing may stop the tool (the device would
 * stay suspended, its file system frozen) nor fault in a page from the
 * device it suspended: block the signals that end it, lock its memory.
 */
static void critical_enter(sigset_t *old)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGHUP);
	sigaddset(&s, SIGQUIT);
	sigprocmask(SIG_BLOCK, &s, old);
	mlockall(MCL_CURRENT | MCL_FUTURE);
}

static void critical_leave(const sigset_t *old)
{
	munlockall();
	sigprocmask(SIG_SETMASK, old, NULL);
}

/*
 * Reload @name with @params and length @len (the same devices). When
 * @need_clean (leaving writeback, or a new geometry the target reformats
 * only without dirty data), dirty data is written back first and the
 * dirty count must be 0 with the device suspended (no write can enter
 * between the check and the new table); writes that keep coming get
 * three tries. @why ends the error messages ("cannot @why: ..."). Whatever
 * fails, the device is left resumed on the old table (its settings @rt put
 * back if it had to be loaded again), or the message says it is not.
 */
static int reload_cache(const char *name, const struct dmdev *tb,
			uint64_t len, const char *params, bool need_clean,
			const char *why, bool progress, const struct runtime *rt)
{
	char reason[512];
	uint64_t bb, md_errors0 = 0;
	int64_t dirty = 0;
	sigset_t old;
	int r, r2, tries;

	{
		struct ssct_kv kv[SSCT_MAX_KV];
		struct dmdev d;
		int n;

		if (!dm_query(name, DM_DEVICE_STATUS, &d)) {
			n = ssct_parse_status(d.params, kv, SSCT_MAX_KV);
			md_errors0 = ssct_kv_u64(kv, n, "md_errors", 0);
		}
	}
	for (tries = 1; ; tries++) {
		if (need_clean &&
		    run_cleaning("flush", name, "flush", progress))
			return err("%s: cannot %s: the dirty data was not written back; nothing changed",
				   name, why);
		r = dm_simple(DM_DEVICE_RELOAD, name, len, params, reason,
			      sizeof(reason));
		if (r) {
			if (reason[0])
				return err("%s: the kernel refused the new table: %s",
					   name, reason);
			return err("%s: the kernel refused the new table (%s)",
				   name, strerror(-r));
		}
		critical_enter(&old);
		r = dm_simple(DM_DEVICE_SUSPEND, name, 0, NULL, NULL, 0);
		if (r) {
			dm_simple(DM_DEVICE_CLEAR, name, 0, NULL, NULL, 0);
			critical_leave(&old);
			return err("%s: cannot suspend: %s; nothing changed",
				   name, strerror(-r));
		}
		if (need_clean)
			dirty = get_dirty(name, &bb);
		if (need_clean && !healthy(name, md_errors0)) {
			/* the old table, still bound, always resumes */
			dm_simple(DM_DEVICE_CLEAR, name, 0, NULL, NULL, 0);
			r = dm_simple(DM_DEVICE_RESUME, name, 0, NULL, NULL, 0);
			critical_leave(&old);
			return err("%s: cannot %s: the cache device failed or its metadata could not be saved while suspending; %s",
				   name, why, r ? "cannot resume the old table (the device is suspended)" :
				   "nothing changed");
		}
		if (!need_clean || dirty == 0)
			break;
		/* new writes made data dirty again: back to the old table */
		dm_simple(DM_DEVICE_CLEAR, name, 0, NULL, NULL, 0);
		r = dm_simple(DM_DEVICE_RESUME, name, 0, NULL, NULL, 0);
		critical_leave(&old);
		if (r)
			return err("%s: cannot resume the old table: %s (the device is suspended)",
				   name, strerror(-r));
		if (tries == 3)
			return err("%s: cannot %s: %lld blocks still dirty after %d flushes (writes keep coming?); nothing changed",
				   name, why, (long long)dirty, tries);
	}
	r = dm_simple(DM_DEVICE_RESUME, name, 0, NULL, reason, sizeof(reason));
	if (!r) {
		critical_leave(&old);
		return 0;
	}
	/* the new table is in place but did not start: the old one */
	r2 = dm_simple(DM_DEVICE_RELOAD, name, tb->len, tb->params, NULL, 0);
	if (!r2)
		r2 = dm_simple(DM_DEVICE_RESUME, name, 0, NULL, NULL, 0);
	critical_leave(&old);
	/* a fresh table: its runtime settings are the defaults */
	if (!r2 && rt)
		runtime_restore(name, rt, false);
	return err("%s: the new table did not start (%s%s%s); %s", name,
		   strerror(-r), reason[0] ? ": " : "", reason,
		   r2 ? "the old one neither: the device is suspended, see dmesg" :
		   "the old table is back");
}

/* What a reload resets and the tool puts back: the target's messages. */
struct runtime {
	char hw[16], lw[16], cut[32];
	bool detached;
};

static void runtime_save(const struct dmdev *st, struct runtime *rt)
{
	char state[32];

	rt->detached = kv_of(st, "state", state, sizeof(state)) &&
		       !strcmp(state, "detached");
	if (!kv_of(st, "high_watermark", rt->hw, sizeof(rt->hw)))
		rt->hw[0] = '\0';
	if (!kv_of(st, "low_watermark", rt->lw, sizeof(rt->lw)))
		rt->lw[0] = '\0';
	if (!kv_of(st, "sequential_cutoff", rt->cut, sizeof(rt->cut)))
		rt->cut[0] = '\0';
}

/* Put @rt back on the new table (the cutoff unless @skip_cutoff). */
static int runtime_restore(const char *name, const struct runtime *rt,
			   bool skip_cutoff)
{
	if ((rt->lw[0] && send_setting(name, "low_watermark", "0")) ||
	    (rt->hw[0] && send_setting(name, "high_watermark", rt->hw)) ||
	    (rt->lw[0] && send_setting(name, "low_watermark", rt->lw)) ||
	    (rt->cut[0] && !skip_cutoff &&
	     send_setting(name, "sequential_cutoff", rt->cut)))
		return err("%s: the new table runs, but its watermarks or cutoff could not be restored",
			   name);
	if (rt->detached && dm_message(name, "detach"))
		return err("%s: the new table runs, but it could not be detached again",
			   name);
	return 0;
}

/* Refuse a reload of a suspended device or one whose cache failed. */
static int reload_allowed(const char *name, const struct dmdev *st,
			  const char *what)
{
	char cs[32];

	if (st->info.suspended)
		return err("%s: suspended; resume it before %s", name, what);
	if (kv_of(st, "cache_state", cs, sizeof(cs)) && !strcmp(cs, "failed"))
		return err("%s: the cache device failed; repair it (message cache_ok) before %s",
			   name, what);
	return 0;
}

static int cmd_set(int argc, char **argv)
{
	const struct cmd *c = cmd_of("set");
	char errbuf[SSCT_ERRLEN], params[1280], cur_mode[32], cur_pol[32];
	char v[32];
	struct dmdev tb, st;
	struct runtime rt;
	struct ssct_set s;
	bool reload, leave_wb;
	int new_mode, new_pol;

	if (ssct_parse_set(argc, argv, &s, errbuf, sizeof(errbuf)))
		return usage_err(c, errbuf);
	if (s.help) {
		fputs(c->help, stdout);
		return 0;
	}
	if (get_cache(s.name, DM_DEVICE_TABLE, &tb) ||
	    get_cache(s.name, DM_DEVICE_STATUS, &st))
		return 1;
	if (!kv_of(&st, "mode", cur_mode, sizeof(cur_mode)) ||
	    !kv_of(&st, "policy", cur_pol, sizeof(cur_pol)))
		return err("%s: the status line has no mode or policy", s.name);
	new_mode = s.mode >= 0 ? s.mode : -1;
	new_pol = s.policy >= 0 ? s.policy : -1;
	reload = (new_mode >= 0 &&
		  strcmp(cur_mode, ssc_mode_name((enum ssc_mode)new_mode))) ||
		 (new_pol >= 0 &&
		  strcmp(cur_pol, ssc_policy_name((enum ssc_policy)new_pol)));
	if (reload) {
		if (reload_allowed(s.name, &st, "changing mode or policy"))
			return 1;
		if (ssct_set_params(tb.params, &s, params, sizeof(params),
				    errbuf, sizeof(errbuf)))
			return err("%s: %s", s.name, errbuf);
		/* runtime settings, not in the table: put back after the reload */
		runtime_save(&st, &rt);
		leave_wb = !strcmp(cur_mode, "writeback") && new_mode >= 0 &&
			   new_mode != SSC_WRITEBACK;
		if (reload_cache(s.name, &tb, tb.len, params, leave_wb,
				 "leave writeback", !s.no_progress, &rt))
			return 1;
		if (runtime_restore(s.name, &rt, s.set_cutoff))
			return 1;
		printf("%s: reloaded: mode %s -> %s, policy %s -> %s%s\n", s.name,
		       cur_mode, new_mode >= 0 ? ssc_mode_name((enum ssc_mode)new_mode) : cur_mode,
		       cur_pol, new_pol >= 0 ? ssc_policy_name((enum ssc_policy)new_pol) : cur_pol,
		       leave_wb ? " (dirty data written back first)" : "");
		if (get_cache(s.name, DM_DEVICE_STATUS, &st))
			return 1;
	}
	if ((s.high_wm >= 0 || s.low_wm >= 0) &&
	    send_watermarks(s.name, &st, s.high_wm, s.low_wm))
		return 1;
	if (s.set_cutoff) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)s.cutoff);
		if (send_setting(s.name, "sequential_cutoff", v))
			return 1;
	}
	if (s.high_wm >= 0 || s.low_wm >= 0 || s.set_cutoff)
		printf("%s: settings changed\n", s.name);
	else if (!reload)
		printf("%s: mode %s, policy %s already; nothing to do\n", s.name,
		       cur_mode, cur_pol);
	return 0;
}

/* ---------------------------------------------------------------- resize */

/* Size (sectors) and logical block size of device "M:m", from sysfs. */
static int mm_size(const char *mm, uint64_t *sectors, uint32_t *lbs)
{
	char path[128];
	unsigned long long v;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/dev/block/%s/size", mm);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ok = fscanf(f, "%llu", &v) == 1;
	fclose(f);
	if (!ok)
		return -EIO;
	*sectors = v;
	snprintf(path, sizeof(path), "/sys/dev/block/%s/queue/logical_block_size",
		 mm);
	*lbs = 512;
	f = fopen(path, "r");
	if (!f) {
		/* a partition: its disk's queue, one directory up */
		snprintf(path, sizeof(path),
			 "/sys/dev/block/%s/../queue/logical_block_size", mm);
		f = fopen(path, "r");
	}
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) == 1)
		*lbs = (uint32_t)v;
	fclose(f);
	return 0;
}

static int cmd_resize(int argc, char **argv)
{
	const struct cmd *c = cmd_of("resize");
	char errbuf[SSCT_ERRLEN], copy[1024], why[512], oname[128], cname[128];
	char mode[32], cpath[160];
	const char *derr = NULL;
	enum ssct_resize_verdict v;
	struct ssc_config cfg;
	struct ssct_resize rs;
	struct dmdev tb, st;
	struct runtime rt;
	struct ssc_geom g;
	struct ssc_sb sb;
	uint64_t osz, csz, md;
	uint32_t olbs, clbs;
	uint8_t *blk;
	int r;

	if (ssct_parse_resize(argc, argv, &rs, errbuf, sizeof(errbuf)))
		return usage_err(c, errbuf);
	if (rs.help) {
		fputs(c->help, stdout);
		return 0;
	}
	if (get_cache(rs.name, DM_DEVICE_TABLE, &tb) ||
	    get_cache(rs.name, DM_DEVICE_STATUS, &st))
		return 1;
	if (ssct_table_config(tb.params, copy, sizeof(copy), &cfg, errbuf,
			      sizeof(errbuf)))
		return err("%s: %s", rs.name, errbuf);
	majmin_name(cfg.origin, oname, sizeof(oname));
	majmin_name(cfg.cache, cname, sizeof(cname));
	r = mm_size(cfg.origin, &osz, &olbs);
	if (!r)
		r = mm_size(cfg.cache, &csz, &clbs);
	if (r)
		return err("%s: cannot read the size of its devices: %s", rs.name,
			   strerror(-r));
	/* the superblock: the geometry the running table formatted */
	snprintf(cpath, sizeof(cpath), "/dev/block/%s", cfg.cache);
	r = read_sb_block(cpath, &blk);
	if (r == -ENOENT) {
		snprintf(cpath, sizeof(cpath), "%s", cname);
		r = read_sb_block(cpath, &blk);
	}
	if (r)
		return err("%s: cannot read the cache superblock on %s: %s",
			   rs.name, cname, strerror(-r));
	r = ssc_sb_decode(&sb, blk, &derr);
	free(blk);
	if (r)
		return err("%s: the cache superblock on %s: %s", rs.name, cname,
			   derr ? derr : "unreadable");
	v = ssct_resize_check(&cfg, tb.len, &sb, osz, csz, olbs, rs.force, &g,
			      &md, why, sizeof(why));
	if (v == SSCT_RS_NOTHING) {
		printf("%s: %s; nothing to do\n", rs.name, why);
		return 0;
	}
	if (v == SSCT_RS_ERROR)
		return err("%s: %s", rs.name, why);
	if (v == SSCT_RS_REFUSE)
		return err("%s: %s", rs.name, why);
	if (olbs != clbs)
		return err("%s: logical block size of %s (%u) differs from %s's (%u)",
			   rs.name, cname, clbs, oname, olbs);
	if (reload_allowed(rs.name, &st, "resizing"))
		return 1;
	if (!kv_of(&st, "mode", mode, sizeof(mode)))
		mode[0] = '\0';
	/*
	 * The origin's size is part of the cache's geometry, and so is the
	 * number of sets: the target reformats a cache without dirty data
	 * and refuses one with. Flush, and check 0 dirty while suspended.
	 */
	runtime_save(&st, &rt);
	if (reload_cache(rs.name, &tb, osz, tb.params, true, "resize",
			 !rs.no_progress, &rt))
		return 1;
	if (runtime_restore(rs.name, &rt, false))
		return 1;
	printf("%s: resized: %s; the cache was reformatted and starts cold (dirty data written back first, nothing lost)%s%s\n",
	       rs.name, why, mode[0] ? ", mode " : "", mode);
	return 0;
}

/* ---------------------------------------------------------------- remove */

static int cmd_remove(int argc, char **argv)
{
	const struct cmd *c = cmd_of("remove");
	const char *name = NULL;
	bool flush = false;
	struct dmdev d;
	int i, r;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(c->help, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--flush")) {
			flush = true;
		} else if (argv[i][0] == '-' || name) {
			return usage_err(c, "unexpected argument");
		} else {
			name = argv[i];
		}
	}
	if (!name)
		return usage_err(c, "missing NAME");
	if (get_cache(name, DM_DEVICE_TABLE, &d))
		return 1;
	r = dm_query(name, DM_DEVICE_INFO, &d);
	if (!r) {
		struct dm_task *dmt = dm_task_create(DM_DEVICE_INFO);

		if (dmt && dm_task_set_name(dmt, name) && dm_task_run(dmt) &&
		    dm_task_get_info(dmt, &d.info) && d.info.open_count > 0) {
			dm_task_destroy(dmt);
			return err("%s: in use (open count %d)", name,
				   d.info.open_count);
		}
		if (dmt)
			dm_task_destroy(dmt);
	}
	if (flush && run_cleaning("flush", name, "flush", true))
		return 1;
	r = dm_remove_dev(name);
	if (r == -EBUSY)
		return err("%s: in use", name);
	if (r)
		return err("%s: cannot remove: %s", name, strerror(-r));
	return 0;
}

/* ---------------------------------------------------------------- list, status */

/* The status of @name parsed, with its table; prints the error. */
struct cache_view {
	struct dmdev st;
	struct dmdev tb;
	struct ssct_kv kv[SSCT_MAX_KV];
	int n;
	char origin[300];
	char cache[300];
};

static int get_view(const char *name, struct cache_view *v)
{
	char mm[2][64];

	if (get_cache(name, DM_DEVICE_TABLE, &v->tb) ||
	    get_cache(name, DM_DEVICE_STATUS, &v->st))
		return 1;
	v->n = ssct_parse_status(v->st.params, v->kv, SSCT_MAX_KV);
	mm[0][0] = mm[1][0] = '\0';
	sscanf(v->tb.params, "%63s %63s", mm[0], mm[1]);
	majmin_name(mm[0], v->origin, sizeof(v->origin));
	majmin_name(mm[1], v->cache, sizeof(v->cache));
	return 0;
}

/* ok, degraded, detached or failed, and why ("" for ok). */
static const char *view_state(const struct cache_view *v, char *why,
			      size_t len)
{
	enum ssct_state st = ssct_cache_state(v->kv, v->n, why, len);

	if (v->st.info.suspended) {
		size_t o = strlen(why);

		snprintf(why + o, len - o, "%sdevice suspended", o ? "; " : "");
	}
	return ssct_state_name(st);
}

static int cmd_list(int argc, char **argv)
{
	struct cache_view *v;
	char used[32], dirty[32], why[512], **names;
	const char *st;
	int i, count, shown = 0;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(ssct_help_list, stdout);
			return 0;
		}
		return usage_err(cmd_of("list"), "unexpected argument");
	}
	if (dm_list_names(&names, &count))
		return err("cannot list device-mapper devices: %s",
			   dm_last_err[0] ? dm_last_err : "is dm-mod loaded?");
	v = calloc(1, sizeof(*v));
	if (!v)
		return err("out of memory");
	for (i = 0; i < count; i++) {
		struct dmdev t;
		uint64_t bb;

		if (dm_query(names[i], DM_DEVICE_TABLE, &t) || t.ntargets != 1 ||
		    strcmp(t.ttype, TARGET))
			continue;
		if (get_view(names[i], v))
			continue;
		if (!shown++)
			printf("%-16s %-20s %-20s %-12s %-10s %-10s %-9s %s\n",
			       "NAME", "ORIGIN", "CACHE", "MODE", "USED", "DIRTY",
			       "STATE", "WHY");
		bb = ssct_kv_u64(v->kv, v->n, "blocksize", 0) * 512;
		ssct_human(ssct_kv_u64(v->kv, v->n, "used", 0) * bb, used,
			   sizeof(used));
		ssct_human(ssct_kv_u64(v->kv, v->n, "dirty", 0) * bb, dirty,
			   sizeof(dirty));
		st = view_state(v, why, sizeof(why));
		printf("%-16s %-20s %-20s %-12s %-10s %-10s %-9s %s\n", names[i],
		       v->origin, v->cache,
		       ssct_kv_get(v->kv, v->n, "mode") ?: "?", used, dirty,
		       st, why[0] ? why : "-");
	}
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	free(v);
	if (!shown)
		fprintf(stderr, "%s: no ssdcache devices\n", PROG);
	return 0;
}

static void print_ratio(const char *what, uint64_t hits, uint64_t misses)
{
	double r = ssct_ratio(hits, misses);

	if (r < 0)
		printf("%-13s -    (no %s yet)\n", what, what[0] == 'r' ? "reads" : "writes");
	else
		printf("%-13s %.1f%% (%llu hits, %llu misses)\n", what, r,
		       (unsigned long long)hits, (unsigned long long)misses);
}

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void json_kv(const char *key, const char *val, bool comma)
{
	char k[256], v[512];

	ssct_json_str(key, k, sizeof(k));
	if (is_number(val))
		printf("%s: %s%s", k, val, comma ? ", " : "");
	else {
		ssct_json_str(val, v, sizeof(v));
		printf("%s: %s%s", k, v, comma ? ", " : "");
	}
}

/*
 * Metrics of @name, or of every ssdcache device when NULL, for
 * node_exporter's textfile collector (one file must name each metric
 * once, so several caches share the HELP and TYPE lines).
 */
static int status_prometheus(const char *name)
{
	struct ssct_prom_cache *pc = NULL;
	struct cache_view *v = NULL;
	char **names = NULL, *out;
	int i, count = 0, k = 0, r = 0, need;
	size_t len = 1 << 16;

	if (name) {
		v = calloc(1, sizeof(*v));
		pc = calloc(1, sizeof(*pc));
		if (!v || !pc) {
			free(v);
			free(pc);
			return err("out of memory");
		}
		if (get_view(name, v)) {
			free(v);
			return 1;
		}
		pc[k++] = (struct ssct_prom_cache){ name, v->kv, v->n };
	} else {
		if (dm_list_names(&names, &count))
			return err("cannot list device-mapper devices: %s",
				   dm_last_err[0] ? dm_last_err : "is dm-mod loaded?");
		v = calloc(count ? count : 1, sizeof(*v));
		pc = calloc(count ? count : 1, sizeof(*pc));
		if (!v || !pc) {
			free(v);
			free(pc);
			return err("out of memory");
		}
		for (i = 0; i < count; i++) {
			struct dmdev t;

			if (dm_query(names[i], DM_DEVICE_TABLE, &t) ||
			    t.ntargets != 1 || strcmp(t.ttype, TARGET) ||
			    get_view(names[i], &v[k]))
				continue;
			pc[k] = (struct ssct_prom_cache){ names[i], v[k].kv,
							  v[k].n };
			k++;
		}
	}
	out = malloc(len);
	need = out ? ssct_prom_format(pc, k, out, len) : -1;
	if (need >= (int)len) {		/* many caches: as much as it takes */
		free(out);
		len = (size_t)need + 1;
		out = malloc(len);
		need = out ? ssct_prom_format(pc, k, out, len) : -1;
	}
	if (!out || need < 0 || need >= (int)len)
		r = err("out of memory");
	else
		fputs(out, stdout);
	free(out);
	free(pc);
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	free(v);
	return r;
}

static int cmd_status(int argc, char **argv)
{
	const struct cmd *c = cmd_of("status");
	const char *name = NULL, *s, *state, *fmt = "text";
	bool json = false;
	struct cache_view *v;
	char a[32], b[32], tbl[4200], why[512];
	uint64_t bb, blocks, used, dirty, osz;
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(c->help, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			fmt = "json";
		} else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			fmt = argv[++i];
		} else if (!strncmp(argv[i], "--format=", 9)) {
			fmt = argv[i] + 9;
		} else if (argv[i][0] == '-' || name) {
			return usage_err(c, "unexpected argument");
		} else {
			name = argv[i];
		}
	}
	if (!strcmp(fmt, "prometheus"))
		return status_prometheus(name);
	if (!strcmp(fmt, "json"))
		json = true;
	else if (strcmp(fmt, "text"))
		return usage_err(c, "invalid --format (text, json or prometheus)");
	if (!name)
		return usage_err(c, "missing NAME");
	v = calloc(1, sizeof(*v));
	if (!v)
		return err("out of memory");
	if (get_view(name, v)) {
		free(v);
		return 1;
	}
	bb = ssct_kv_u64(v->kv, v->n, "blocksize", 0) * 512;
	blocks = ssct_kv_u64(v->kv, v->n, "blocks", 0);
	used = ssct_kv_u64(v->kv, v->n, "used", 0);
	dirty = ssct_kv_u64(v->kv, v->n, "dirty", 0);
	osz = v->tb.len * 512;
	state = view_state(v, why, sizeof(why));
	if (json) {
		printf("{");
		json_kv("name", name, true);
		json_kv("origin", v->origin, true);
		json_kv("cache", v->cache, true);
		snprintf(tbl, sizeof(tbl), "0 %llu %s %s",
			 (unsigned long long)v->tb.len, TARGET, v->tb.params);
		json_kv("table", tbl, true);
		json_kv("state", state, true);
		json_kv("state_reason", why, true);
		printf("\"size_bytes\": %llu, ", (unsigned long long)osz);
		printf("\"read_hit_ratio\": %.4f, ",
		       ssct_ratio(ssct_kv_u64(v->kv, v->n, "read_hits", 0),
				  ssct_kv_u64(v->kv, v->n, "read_misses", 0)) / 100);
		printf("\"write_hit_ratio\": %.4f, ",
		       ssct_ratio(ssct_kv_u64(v->kv, v->n, "write_hits", 0),
				  ssct_kv_u64(v->kv, v->n, "write_misses", 0)) / 100);
		printf("\"status\": {");
		for (i = 0; i < v->n; i++)
			json_kv(v->kv[i].key, v->kv[i].val, i + 1 < v->n);
		printf("}}\n");
		free(v);
		return 0;
	}
	ssct_human(osz, a, sizeof(a));
	printf("%-13s %s (/dev/mapper/%s, %u:%u), %s\n", "name:", name, name,
	       v->st.info.major, v->st.info.minor, a);
	printf("%-13s %s\n", "origin:", v->origin);
	printf("%-13s %s\n", "cache:", v->cache);
	ssct_human(bb, a, sizeof(a));
	printf("%-13s %s, policy %s, block size %s, assoc %s\n", "mode:",
	       ssct_kv_get(v->kv, v->n, "mode") ?: "?",
	       ssct_kv_get(v->kv, v->n, "policy") ?: "?", a,
	       ssct_kv_get(v->kv, v->n, "assoc") ?: "?");
	ssct_human(used * bb, a, sizeof(a));
	ssct_human(blocks * bb, b, sizeof(b));
	printf("%-13s %s of %s (%llu of %llu blocks, %.1f%%)\n", "used:", a, b,
	       (unsigned long long)used, (unsigned long long)blocks,
	       blocks ? 100.0 * used / blocks : 0.0);
	ssct_human(dirty * bb, a, sizeof(a));
	printf("%-13s %s (%llu blocks)\n", "dirty:", a,
	       (unsigned long long)dirty);
	print_ratio("read hits:", ssct_kv_u64(v->kv, v->n, "read_hits", 0),
		    ssct_kv_u64(v->kv, v->n, "read_misses", 0));
	print_ratio("write hits:", ssct_kv_u64(v->kv, v->n, "write_hits", 0),
		    ssct_kv_u64(v->kv, v->n, "write_misses", 0));
	printf("%-13s cache %llu, origin %llu\n", "errors:",
	       (unsigned long long)ssct_kv_u64(v->kv, v->n, "cache_errors", 0),
	       (unsigned long long)ssct_kv_u64(v->kv, v->n, "origin_errors", 0));
	if (why[0])
		printf("%-13s %s (%s)\n", "state:", state, why);
	else
		printf("%-13s %s\n", "state:", state);
	s = ssct_kv_get(v->kv, v->n, "cleaner");
	if (s)
		printf("%-13s %s\n", "cleaner:", s);
	free(v);
	return 0;
}

/* ---------------------------------------------------------------- stats */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int cmd_stats(int argc, char **argv)
{
	const struct cmd *c = cmd_of("stats");
	const char *name = NULL;
	struct cache_view *v;
	uint64_t prev[SSCT_MAX_KV];
	double interval = 1, t, tprev = 0;
	bool watch = false, tty = isatty(STDOUT_FILENO);
	long count = 0, round;
	char *end;
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(c->help, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--watch")) {
			watch = true;
		} else if (!strcmp(argv[i], "--interval") && i + 1 < argc) {
			interval = strtod(argv[++i], &end);
			if (*end || !(interval >= 0.1 && interval <= 3600))
				return usage_err(c, "invalid --interval (0.1 to 3600 seconds)");
		} else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			count = strtol(argv[++i], &end, 10);
			if (*end || count < 1)
				return usage_err(c, "invalid --count");
		} else if (argv[i][0] == '-' || name) {
			return usage_err(c, "unexpected argument");
		} else {
			name = argv[i];
		}
	}
	if (!name)
		return usage_err(c, "missing NAME");
	v = calloc(1, sizeof(*v));
	if (!v)
		return err("out of memory");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (round = 0; !stop; round++) {
		if (get_view(name, v)) {
			free(v);
			return 1;
		}
		t = now_s();
		if (watch && tty)
			printf("\033[H\033[2J");
		if (watch)
			printf("%s: every %.1f s (Ctrl-C to stop)\n", name,
			       interval);
		for (i = 0; i < v->n; i++) {
			const char *val = v->kv[i].val;
			uint64_t x = strtoull(val, NULL, 10);

			if (watch && round && is_number(val) && t > tprev)
				printf("%-22s %14s %12.1f/s\n", v->kv[i].key, val,
				       (double)(x - prev[i]) / (t - tprev));
			else
				printf("%-22s %14s\n", v->kv[i].key, val);
			prev[i] = x;
		}
		fflush(stdout);
		tprev = t;
		if (!watch || (count && round + 1 >= count))
			break;
		usleep((useconds_t)(interval * 1e6));
	}
	free(v);
	return 0;
}

/* ---------------------------------------------------------------- inspect */

static int cmd_inspect(int argc, char **argv)
{
	const struct cmd *c = cmd_of("inspect");
	const char *path = NULL, *derr = NULL;
	char uuid[40], a[32], b[32];
	struct ssc_sb sb;
	struct stat st;
	bool json = false;
	uint8_t *blk;
	int i, r;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(c->help, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (argv[i][0] == '-' || path) {
			return usage_err(c, "unexpected argument");
		} else {
			path = argv[i];
		}
	}
	if (!path)
		return usage_err(c, "missing DEV");
	if (stat(path, &st))
		return err("%s: %s", path,
			   errno == ENOENT ? "no such device" : strerror(errno));
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		return err("%s: not a block device", path);
	r = read_sb_block(path, &blk);
	if (r)
		return err("%s: cannot read the superblock: %s", path,
			   strerror(-r));
	r = ssc_sb_decode(&sb, blk, &derr);
	free(blk);
	if (r == -ENOENT)
		return err("%s: no ssdcache superblock (not a formatted cache)",
			   path);
	if (r)
		return err("%s: bad superblock: %s", path, derr);
	snprintf(uuid, sizeof(uuid),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 sb.uuid[0], sb.uuid[1], sb.uuid[2], sb.uuid[3], sb.uuid[4],
		 sb.uuid[5], sb.uuid[6], sb.uuid[7], sb.uuid[8], sb.uuid[9],
		 sb.uuid[10], sb.uuid[11], sb.uuid[12], sb.uuid[13],
		 sb.uuid[14], sb.uuid[15]);
	if (json) {
		printf("{\"device\": ");
		ssct_json_str(path, a, sizeof(a));
		printf("%s, \"version\": %u, \"uuid\": \"%s\", \"clean\": %s, \"seq\": %llu, \"mode\": \"%s\", \"block_sectors\": %u, \"logical_block_size\": %u, \"assoc\": %u, \"sets\": %llu, \"blocks\": %llu, \"md_blocks\": %llu, \"data_offset\": %llu, \"cache_sectors\": %llu, \"origin_sectors\": %llu, \"used_blocks\": %llu, \"dirty_blocks\": %llu}\n",
		       a, sb.version, uuid,
		       sb.flags & SSC_SB_CLEAN ? "true" : "false",
		       (unsigned long long)sb.seq, ssc_mode_name(sb.mode),
		       sb.block_sectors, sb.lbs, sb.assoc,
		       (unsigned long long)sb.nr_sets,
		       (unsigned long long)(sb.nr_sets * SSC_WAYS),
		       (unsigned long long)sb.md_blocks,
		       (unsigned long long)sb.data_offset,
		       (unsigned long long)sb.cache_sectors,
		       (unsigned long long)sb.origin_sectors,
		       (unsigned long long)sb.used_blocks,
		       (unsigned long long)sb.dirty_blocks);
		return 0;
	}
	printf("%-16s %s\n", "device:", path);
	printf("%-16s %u\n", "format version:", sb.version);
	printf("%-16s %s\n", "uuid:", uuid);
	printf("%-16s %s\n", "shutdown:",
	       sb.flags & SSC_SB_CLEAN ? "clean" : "not clean (in use or crashed)");
	printf("%-16s %llu\n", "commit:", (unsigned long long)sb.seq);
	printf("%-16s %s\n", "mode:", ssc_mode_name(sb.mode));
	ssct_human(sb.block_sectors * 512ull, a, sizeof(a));
	printf("%-16s %s (%u sectors), logical block %u bytes\n",
	       "block size:", a, sb.block_sectors, sb.lbs);
	printf("%-16s %u\n", "assoc:", sb.assoc);
	printf("%-16s %llu sets, %llu blocks\n", "geometry:",
	       (unsigned long long)sb.nr_sets,
	       (unsigned long long)(sb.nr_sets * SSC_WAYS));
	printf("%-16s %llu blocks (2 slots each), data at sector %llu\n",
	       "metadata:", (unsigned long long)sb.md_blocks,
	       (unsigned long long)sb.data_offset);
	ssct_human(sb.cache_sectors * 512, a, sizeof(a));
	ssct_human(sb.origin_sectors * 512, b, sizeof(b));
	printf("%-16s %s, origin %s\n", "cache size:", a, b);
	ssct_human(sb.used_blocks * sb.block_sectors * 512, a, sizeof(a));
	printf("%-16s %llu blocks (%s)\n", "used:",
	       (unsigned long long)sb.used_blocks, a);
	ssct_human(sb.dirty_blocks * sb.block_sectors * 512, a, sizeof(a));
	printf("%-16s %llu blocks (%s)\n", "dirty:",
	       (unsigned long long)sb.dirty_blocks, a);
	return 0;
}

/* ---------------------------------------------------------------- assemble */

static bool wait_for(const char *path, double deadline)
{
	struct stat st;

	while (stat(path, &st) || !S_ISBLK(st.st_mode)) {
		if (now_s() >= deadline)
			return false;
		usleep(200000);
	}
	return true;
}

static int cmd_assemble(int argc, char **argv)
{
	const struct cmd *c = cmd_of("assemble");
	const char *conf = CONF_FILE;
	struct create_extra x = { 0 };
	char line[2048], errbuf[SSCT_ERRLEN], *av[64], *end;
	double wait = 0, deadline;
	struct ssct_create cr;
	int i, n, lineno = 0, failed = 0, created = 0;
	FILE *f;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(c->help, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			conf = argv[++i];
		} else if (!strcmp(argv[i], "--wait") && i + 1 < argc) {
			wait = strtod(argv[++i], &end);
			if (*end || wait < 0)
				return usage_err(c, "invalid --wait");
		} else if (!strcmp(argv[i], "--dry-run")) {
			x.dry_run = true;
		} else {
			return usage_err(c, "unexpected argument");
		}
	}
	f = fopen(conf, "r");
	if (!f) {
		if (errno == ENOENT && !strcmp(conf, CONF_FILE))
			return 0;	/* nothing configured */
		return err("%s: %s", conf, strerror(errno));
	}
	deadline = now_s() + wait;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		n = ssct_conf_line(line, av, 64, errbuf, sizeof(errbuf));
		if (!n)
			continue;
		if (n < 0 ||
		    ssct_parse_create(n, av, &cr, errbuf, sizeof(errbuf)) ||
		    cr.help) {
			err("%s:%d: %s", conf, lineno,
			    n < 0 || !cr.help ? errbuf : "--help in a config line");
			failed++;
			continue;
		}
		if (dm_exists(cr.name)) {
			struct dmdev d;

			if (dm_query(cr.name, DM_DEVICE_TABLE, &d) ||
			    strcmp(d.ttype, TARGET)) {
				err("%s: exists and is not an ssdcache device",
				    cr.name);
				failed++;
			} else {
				printf("%s: already active\n", cr.name);
			}
			continue;
		}
		if (!wait_for(cr.origin, deadline) ||
		    !wait_for(cr.cache, deadline)) {
			err("%s: %s: no such device (waited %.0f s)", cr.name,
			    wait_for(cr.origin, 0) ? cr.cache : cr.origin, wait);
			failed++;
			continue;
		}
		if (do_create(&cr, &x))
			failed++;
		else
			created++;
	}
	fclose(f);
	return failed ? 1 : 0;
}

/* ---------------------------------------------------------------- shutdown */

/* The open count of @name, or -1 if it cannot be read. */
static int open_count(const char *name)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_INFO);
	struct dm_info info;
	int r = -1;

	if (dmt && dm_task_set_name(dmt, name) && dm_task_run(dmt) &&
	    dm_task_get_info(dmt, &info) && info.exists)
		r = info.open_count;
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}

/*
 * Suspend @name without freezing its file system (it is mounted read-only
 * by now, or not at all): the target commits its metadata with the clean
 * flag, so the next boot loads the cache warm.
 */
static int dm_suspend_nolockfs(const char *name)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_SUSPEND);
	int r = 0;

	if (!dmt)
		return -ENOMEM;
	if (!dm_task_set_name(dmt, name) || !dm_task_skip_lockfs(dmt))
		r = -EINVAL;
	else if (!dm_task_run(dmt))
		r = dm_task_get_errno(dmt) ? -dm_task_get_errno(dmt) : -EIO;
	dm_task_destroy(dmt);
	return r;
}

/*
 * Stop one cache at shutdown: write back its dirty data, then remove it;
 * one still open (the root file system's, or below a mounted one) is only
 * flushed, and with @suspend_busy suspended afterwards. 0 or 1.
 */
static int shutdown_one(const char *name, bool suspend_busy)
{
	struct dmdev d;
	int open, r;

	if (get_cache(name, DM_DEVICE_TABLE, &d))
		return 1;
	if (run_cleaning("flush", name, "flush", false))
		return 1;
	open = open_count(name);
	if (open != 0) {
		if (!suspend_busy) {
			printf("%s: in use (open count %d): flushed, left active\n",
			       name, open);
			return 0;
		}
		r = dm_suspend_nolockfs(name);
		if (r)
			return err("%s: cannot suspend: %s", name, strerror(-r));
		printf("%s: in use: flushed and suspended (shut down cleanly)\n",
		       name);
		return 0;
	}
	r = dm_remove_dev(name);
	if (r)
		return err("%s: cannot remove: %s", name, strerror(-r));
	printf("%s: removed\n", name);
	return 0;
}

static int cmd_shutdown(int argc, char **argv)
{
	const struct cmd *c = cmd_of("shutdown");
	const char *conf = CONF_FILE;
	char line[2048], errbuf[SSCT_ERRLEN], *av[64], **names;
	bool all = false, suspend_busy = false;
	struct ssct_create cr;
	int i, n, count, failed = 0;
	FILE *f;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(c->help, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			conf = argv[++i];
		} else if (!strcmp(argv[i], "--all")) {
			all = true;
		} else if (!strcmp(argv[i], "--suspend-busy")) {
			suspend_busy = true;
		} else {
			return usage_err(c, "unexpected argument");
		}
	}
	if (all) {
		/* every active ssdcache device, whatever the config says */
		if (dm_list_names(&names, &count))
			return err("shutdown: cannot list the device-mapper devices");
		for (i = 0; i < count; i++) {
			struct dmdev d;

			if (!dm_query(names[i], DM_DEVICE_TABLE, &d) &&
			    d.ntargets == 1 && !strcmp(d.ttype, TARGET))
				failed += shutdown_one(names[i], suspend_busy);
			free(names[i]);
		}
		free(names);
		return failed ? 1 : 0;
	}
	f = fopen(conf, "r");
	if (!f) {
		if (errno == ENOENT && !strcmp(conf, CONF_FILE))
			return 0;	/* nothing configured */
		return err("%s: %s", conf, strerror(errno));
	}
	/* the caches of the config's lines, last first (assembly's reverse) */
	names = NULL;
	count = 0;
	while (fgets(line, sizeof(line), f)) {
		n = ssct_conf_line(line, av, 64, errbuf, sizeof(errbuf));
		if (n <= 0 || ssct_parse_create(n, av, &cr, errbuf, sizeof(errbuf)) ||
		    cr.help)
			continue;	/* assemble reports those */
		names = realloc(names, sizeof(*names) * (count + 1));
		if (!names) {
			fclose(f);
			return err("shutdown: out of memory");
		}
		names[count++] = strdup(cr.name);
	}
	fclose(f);
	for (i = count - 1; i >= 0; i--) {
		if (names[i] && dm_exists(names[i]))
			failed += shutdown_one(names[i], suspend_busy);
		free(names[i]);
	}
	free(names);
	return failed ? 1 : 0;
}

/* ---------------------------------------------------------------- main */

/* ---------------------------------------------------------------- advise */

static volatile pid_t fwd_pid;

/* SIGINT/SIGTERM while recording: stop blktrace (it then saves the trace). */
static void fwd_signal(int sig)
{
	if (fwd_pid > 0)
		kill(fwd_pid, SIGINT);
}

/*
 * Run @argv (stdout to /dev/null unless @keep_out); its exit status or -1.
 * With @fwd, SIGINT and SIGTERM end the program with SIGINT (blktrace
 * stops recording cleanly) instead of ending the tool.
 */
static int run_prog(char *const argv[], bool keep_out, bool fwd)
{
	struct sigaction sa = { .sa_handler = fwd_signal }, oint, oterm;
	sigset_t block, omask;
	int status;
	pid_t pid;

	/* a signal between fork() and fwd_pid waits until fwd_pid is set */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &omask);
	if (fwd) {
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, &oint);
		sigaction(SIGTERM, &sa, &oterm);
	}
	pid = fork();
	if (pid < 0) {
		if (fwd) {
			sigaction(SIGINT, &oint, NULL);
			sigaction(SIGTERM, &oterm, NULL);
		}
		sigprocmask(SIG_SETMASK, &omask, NULL);
		return -1;
	}
	if (!pid) {
		sigprocmask(SIG_SETMASK, &omask, NULL);
		if (!keep_out) {
			int fd = open("/dev/null", O_WRONLY);

			if (fd >= 0)
				dup2(fd, STDOUT_FILENO);
		}
		execvp(argv[0], argv);
		fprintf(stderr, PROG ": cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	fwd_pid = pid;
	sigprocmask(SIG_SETMASK, &omask, NULL);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -1;
			break;
		}
	}
	fwd_pid = 0;
	if (fwd) {
		sigaction(SIGINT, &oint, NULL);
		sigaction(SIGTERM, &oterm, NULL);
	}
	if (status == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (!path || !*path)
		path = "/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, prog);
		if (!access(buf, X_OK))
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

/*
 * Where the recording goes: $TMPDIR (put it on another disk than the one
 * recorded, or the recording's writes join the workload), else /tmp.
 */
static const char *tmp_dir(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t == '/' ? t : "/tmp";
}

/* "30", "30s", "5m", "2h" -> seconds; 0 if invalid. */
static unsigned int parse_duration(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end == s)
		return 0;
	if (!strcmp(end, "m"))
		v *= 60;
	else if (!strcmp(end, "h"))
		v *= 3600;
	else if (*end && strcmp(end, "s"))
		return 0;
	return v > 86400 * 7 ? 0 : (unsigned int)v;
}

/*
 * Record @dev's I/O for @secs seconds with blktrace into the blkparse text
 * file @out (queue events only: what was asked of the device).
 */
static int record_trace(const char *dev, unsigned int secs, const char *out)
{
	char dir[PATH_MAX - 300], w[16], path[PATH_MAX];
	char *bt[] = { "blktrace", "-d", (char *)dev, "-a", "queue", "-w", w, "-D", dir,
		       "-o", "trace", NULL };
	char *bp[] = { "blkparse", "-q", "-a", "queue", "-i", "trace", "-D", dir,
		       "-o", (char *)out, NULL };
	bool mounted = false;
	struct dirent *de;
	int rc;
	DIR *d;

	if (access("/sys/kernel/debug/block", F_OK)) {
		if (!mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL))
			mounted = true;		/* and unmounted when done */
		else if (errno != EBUSY)
			return err("advise: cannot mount debugfs on /sys/kernel/debug: %s "
				   "(blktrace needs it)", strerror(errno));
	}
	snprintf(dir, sizeof(dir), "%s/ssdcache-advise.XXXXXX", tmp_dir());
	if (!mkdtemp(dir)) {
		rc = err("advise: cannot create a directory in %s: %s", tmp_dir(),
			 strerror(errno));
		goto umount;
	}
	snprintf(w, sizeof(w), "%u", secs);
	fprintf(stderr, PROG ": advise: recording the I/O of %s for %u s (Ctrl-C ends it sooner)\n",
		dev, secs);
	rc = run_prog(bt, false, true);
	if (rc)
		err("advise: blktrace -d %s failed (exit status %d)", dev, rc);
	else if ((rc = run_prog(bp, false, false)))
		err("advise: blkparse failed (exit status %d)", rc);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
umount:
	if (mounted)
		umount("/sys/kernel/debug");
	return rc ? 1 : 0;
}

static int cmd_advise(int argc, char **argv)
{
	const struct cmd *c = cmd_of("advise");
	const char *dev = NULL, *trace = NULL, *save = NULL, *plot = NULL;
	const char *blocks = NULL, *policies = "lfu,adaptive";
	struct ssct_advise a = { .mode = SSC_WRITETHROUGH, .lbs = 0 };
	struct ssct_advise_result r;
	struct sim_trace t = { 0 };
	char e[SSCT_ERRLEN], tmp[PATH_MAX];
	unsigned int secs = 0;
	uint64_t v;
	char *end;
	int i, rc = 1;

	for (i = 0; i < argc; i++) {
		const char *o = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			fputs(c->help, stdout);
			return 0;
		}
		if (o[0] != '-') {
			if (dev)
				return usage_err(c, "unexpected argument");
			dev = o;
			continue;
		}
		if (!val)
			return usage_err(c, "an option lacks its value");
		i++;
		if (!strcmp(o, "--for")) {
			secs = parse_duration(val);
			if (!secs)
				return usage_err(c, "invalid --for (seconds, or a number with s, m or h)");
		} else if (!strcmp(o, "--trace")) {
			trace = val;
		} else if (!strcmp(o, "--save")) {
			save = val;
		} else if (!strcmp(o, "--plot")) {
			plot = val;
		} else if (!strcmp(o, "--target")) {
			a.target = strtod(val, &end);
			if (*end || !(a.target > 0 && a.target < 1))
				return usage_err(c, "invalid --target (a hit ratio between 0 and 1)");
		} else if (!strcmp(o, "--block-size")) {
			blocks = val;
		} else if (!strcmp(o, "--policy")) {
			policies = val;
		} else if (!strcmp(o, "--mode")) {
			int m = ssct_parse_mode(val);

			if (m < 0)
				return usage_err(c, "invalid --mode (writethrough, writeback or readcache)");
			a.mode = (enum ssc_mode)m;
		} else if (!strcmp(o, "--min-size") || !strcmp(o, "--max-size") ||
			   !strcmp(o, "--origin-size")) {
			if (ssct_parse_size(val, &v) || !v)
				return usage_err(c, "invalid size");
			if (o[2] == 'm' && o[3] == 'i')
				a.min_bytes = v;
			else if (o[2] == 'm')
				a.max_bytes = v;
			else
				a.origin_sectors = v >> 9;
		} else if (!strcmp(o, "--lbs")) {
			a.lbs = (uint32_t)strtoul(val, &end, 10);
			if (*end || a.lbs < 512 || a.lbs > 65536 || (a.lbs & (a.lbs - 1)))
				return usage_err(c, "invalid --lbs (512 to 65536, a power of two)");
		} else if (!strcmp(o, "--steps")) {
			a.steps = (unsigned int)strtoul(val, &end, 10);
			if (*end || a.steps < 1 || a.steps > 16)
				return usage_err(c, "invalid --steps (1 to 16)");
		} else {
			return usage_err(c, "unknown option");
		}
	}
	if (!!dev == !!trace)
		return usage_err(c, "give a device (with --for) or --trace FILE");
	if (dev && !secs)
		return usage_err(c, "missing --for DURATION");
	if (trace && save)
		return usage_err(c, "--save goes with a device, not with --trace");
	if (save && (strstr(save, ".gz") || strstr(save, ".zst") || strstr(save, ".xz")))
		return usage_err(c, "--save writes blkparse text: compress it afterwards");
	if (plot && strpbrk(plot, "'\"\n\\"))
		return usage_err(c, "--plot: the file name may not contain quotes, newlines or backslashes");
	if (plot && !in_path("gnuplot"))
		return err("advise: --plot needs gnuplot (Debian package gnuplot-nox)");
	if (dev && (!in_path("blktrace") || !in_path("blkparse")))
		return err("advise: recording needs blktrace and blkparse (Debian package blktrace)");
	if (dev) {
		struct stat st;
		uint64_t bytes;
		int fd, sz;

		if (stat(dev, &st) || !S_ISBLK(st.st_mode))
			return err("advise: %s: not a block device", dev);
		fd = open(dev, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return err("advise: %s: %s", dev, strerror(errno));
		if (ioctl(fd, BLKGETSIZE64, &bytes) || ioctl(fd, BLKSSZGET, &sz)) {
			close(fd);
			return err("advise: %s: cannot get its size: %s", dev, strerror(errno));
		}
		close(fd);
		if (!a.origin_sectors)
			a.origin_sectors = bytes >> 9;
		if (!a.lbs)
			a.lbs = (uint32_t)sz;
	}
	if (!a.lbs)
		a.lbs = 512;
	if (!blocks)
		blocks = a.lbs <= 4096 ? "4k,32k,128k" : "64k,128k";
	if (ssct_advise_blocks(&a, blocks, e, sizeof(e)) ||
	    ssct_advise_policies(&a, policies, e, sizeof(e)))
		return usage_err(c, e);

	if (dev) {
		int fd;

		if (save) {
			if (strlen(save) >= sizeof(tmp))
				return usage_err(c, "--save: path too long");
			snprintf(tmp, sizeof(tmp), "%s", save);
		} else {
			snprintf(tmp, sizeof(tmp), "%s/ssdcache-advise-XXXXXX", tmp_dir());
			fd = mkstemp(tmp);
			if (fd < 0)
				return err("advise: cannot create a file in /tmp: %s", strerror(errno));
			close(fd);
		}
		if (record_trace(dev, secs, tmp))
			goto out;
		trace = tmp;
	}
	if (sim_load(&t, trace, dev ? FMT_BLKPARSE : FMT_AUTO, 0)) {
		err("advise: %s: no usable trace (%s)", trace,
		    dev ? "did the device see any I/O?" : "see ssc-sim(1) for the formats");
		goto out;
	}
	if (ssct_advise_run(&t, &a, &r, e, sizeof(e))) {
		err("advise: %s", e);
		goto out;
	}
	ssct_advise_print(stdout, &a, &r);
	fflush(stdout);
	rc = 0;
	if (plot) {
		char data[] = "/tmp/ssdcache-plot-XXXXXX", script[] = "/tmp/ssdcache-gp-XXXXXX";
		char *gp[] = { "gnuplot", script, NULL };
		int fd1 = mkstemp(data), fd2 = mkstemp(script);
		FILE *f1 = fd1 >= 0 ? fdopen(fd1, "w") : NULL;
		FILE *f2 = fd2 >= 0 ? fdopen(fd2, "w") : NULL;

		if (f1 && f2) {
			ssct_advise_data(f1, &r);
			ssct_advise_gnuplot(f2, &r, data, plot);
		}
		if (f1)
			fclose(f1);
		if (f2)
			fclose(f2);
		if (!f1 || !f2 || run_prog(gp, true, false))
			rc = err("advise: gnuplot could not write %s", plot);
		else
			fprintf(stderr, PROG ": advise: plot written to %s\n", plot);
		unlink(data);
		unlink(script);
	}
	ssct_advise_free(&r);
out:
	sim_trace_free(&t);
	if (dev && !save)
		unlink(tmp);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned int i;
	int r;

	dm_log_with_errno_init(dm_log);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("ssdcache %s\n", VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		for (i = 0; i < NR_CMDS; i++) {
			if (!strcmp(argv[2], cmds[i].name)) {
				fputs(cmds[i].help, stdout);
				return 0;
			}
		}
		err("help: unknown command '%s'", argv[2]);
		return 2;
	}
	for (i = 0; i < NR_CMDS; i++) {
		if (!strcmp(argv[1], cmds[i].name)) {
			r = cmds[i].fn(argc - 2, argv + 2);
			dm_lib_release();
			return r;
		}
	}
	err("unknown command '%s' (see 'ssdcache --help')", argv[1]);
	return 2;
}
